//! The compiled module `pushmetrics._pushmetrics`: Python classes over the pushmetrics core,
//! one file per concept. It translates types and errors only; the package's Python files
//! (`python/pushmetrics/`) add what is plain Python (exceptions, context managers, hooks).

mod collector;
mod convert;
mod errors;
mod fork;
mod logging;
mod metrics;
mod multiprocess;
mod pusher;
mod registry;
mod sampling;
mod serve;
mod state;
mod textfile;

use pyo3::prelude::*;

#[pymodule]
fn _pushmetrics(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add(
        "CONTENT_TYPE_LATEST",
        pushmetrics::Format::Text.content_type(),
    )?;
    m.add("DEFAULT_BUCKETS", pushmetrics::DEFAULT_BUCKETS.to_vec())?;
    m.add("DEFAULT_QUANTILES", pushmetrics::DEFAULT_QUANTILES.to_vec())?;
    m.add_class::<registry::Registry>()?;
    m.add("REGISTRY", registry::default_registry())?;
    m.add_class::<sampling::Sampling>()?;
    m.add_class::<metrics::Counter>()?;
    m.add_class::<metrics::Gauge>()?;
    m.add_class::<metrics::Histogram>()?;
    m.add_class::<metrics::Summary>()?;
    metrics::install_labels::<metrics::Counter>(m.py())?;
    metrics::install_labels::<metrics::Gauge>(m.py())?;
    metrics::install_labels::<metrics::Histogram>(m.py())?;
    metrics::install_labels::<metrics::Summary>(m.py())?;
    m.add_class::<state::Enum>()?;
    m.add_class::<state::Info>()?;
    m.add_class::<pusher::Pusher>()?;
    m.add_class::<pusher::Stats>()?;
    m.add_class::<pusher::ReceiverStats>()?;
    m.add_class::<pusher::FlushReport>()?;
    m.add_function(wrap_pyfunction!(fork::_install_fork_handlers, m)?)?;
    m.add_function(wrap_pyfunction!(registry::generate_latest, m)?)?;
    m.add_function(wrap_pyfunction!(pusher::push_to_gateway, m)?)?;
    m.add_function(wrap_pyfunction!(pusher::pushadd_to_gateway, m)?)?;
    m.add_function(wrap_pyfunction!(pusher::delete_from_gateway, m)?)?;
    m.add_function(wrap_pyfunction!(textfile::write_to_textfile, m)?)?;
    m.add_function(wrap_pyfunction!(multiprocess::_enable_multiprocess, m)?)?;
    m.add_function(wrap_pyfunction!(multiprocess::_multiprocess_dir, m)?)?;
    m.add_function(wrap_pyfunction!(multiprocess::_is_multiprocess_worker, m)?)?;
    m.add_function(wrap_pyfunction!(multiprocess::_remove_multiprocess_dir, m)?)?;
    m.add_function(wrap_pyfunction!(pusher::_shutdown_all, m)?)?;
    m.add_class::<serve::HttpServer>()?;
    m.add_function(wrap_pyfunction!(serve::start_http_server, m)?)?;
    m.add_function(wrap_pyfunction!(logging::_install_logger, m)?)?;
    m.add_function(wrap_pyfunction!(logging::_set_log_level, m)?)?;
    m.add_function(wrap_pyfunction!(logging::_next_log_records, m)?)?;
    m.add_function(wrap_pyfunction!(logging::_log_records_dropped, m)?)?;
    Ok(())
}
