//! prometheus_client's `write_to_textfile` on the core's: the registry written atomically to
//! a file for node_exporter's textfile collector, with the GIL released during the write.

use crate::errors::OrRaise;
use crate::registry::RegistryArg;
use pyo3::prelude::*;
use std::path::PathBuf;

/// Writes `registry` to `path` in the text format 0.0.4, atomically (a temporary file in
/// the same directory, flushed to disk, renamed over `path`).
#[pyfunction]
#[pyo3(signature = (path, registry=RegistryArg::Default))]
pub(crate) fn write_to_textfile(
    py: Python<'_>,
    path: PathBuf,
    registry: RegistryArg,
) -> PyResult<()> {
    let registry = registry.resolve();
    py.detach(|| pushmetrics::write_to_textfile(&path, &registry))
        .or_raise()
}
