//! Gauges in C: `pm_gauge` (one series) and `pm_gauge_vec` (a gauge with labels).

use crate::error::pm_status;
use crate::family::{
    define, labelled, labelled_call, series, series_by_name, series_call, series_read, Definition,
};
use crate::handle::{handle, release, Tagged};
use crate::metric_options::{pm_metric_options, with_common_options};
use crate::registry::pm_registry;
use pushmetrics_core::metric::gauge::GaugeKind;
use pushmetrics_core::{Gauge, GaugeVec, MetricBuilder};
use std::ffi::c_char;

/// One gauge series: a value that goes up and down. From `pm_gauge_new` or
/// `pm_gauge_vec_with`; release with `pm_gauge_free`. Thread-safe; a handle stays valid
/// after its registry is freed.
pub struct pm_gauge(Tagged<Gauge>);

/// A gauge with labels, from `pm_gauge_vec_new`; release with `pm_gauge_vec_free`.
/// Thread-safe.
pub struct pm_gauge_vec(Tagged<GaugeVec>);

handle!(pm_gauge, Gauge, Gauge);
handle!(pm_gauge_vec, GaugeVec, GaugeVec);
labelled!(GaugeVec, Gauge);

fn build(d: Definition<'_>) -> MetricBuilder<'_, GaugeKind> {
    let b = with_common_options!(d.registry.gauge(d.name, d.help).labels(d.labels), d.options);
    match d.options.multiprocess_mode {
        Some(m) => b.multiprocess_mode(m),
        None => b,
    }
}

/// Defines a gauge without labels (or returns the existing identical one) and gives its
/// series handle in `*out`, to release with `pm_gauge_free`. `options` may be NULL; gauges
/// cannot be sampled (PM_ERR_INVALID_CONFIG). Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_gauge_new(
    registry: *const pm_registry,
    name: *const c_char,
    help: *const c_char,
    options: *const pm_metric_options,
    out: *mut *mut pm_gauge,
) -> pm_status {
    define(registry, name, help, None, options, out, |d| {
        d.options.only("gauge", &["multiprocess_mode"])?;
        Ok(build(d).build()?)
    })
}

/// Defines a gauge with the `n` label names at `labelnames` (or returns the existing
/// identical one) and gives it in `*out`, to release with `pm_gauge_vec_free`. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_gauge_vec_new(
    registry: *const pm_registry,
    name: *const c_char,
    help: *const c_char,
    labelnames: *const *const c_char,
    n: usize,
    options: *const pm_metric_options,
    out: *mut *mut pm_gauge_vec,
) -> pm_status {
    define(
        registry,
        name,
        help,
        Some((labelnames, n)),
        options,
        out,
        |d| {
            d.options.only("gauge", &["multiprocess_mode"])?;
            Ok(build(d).build_vec()?)
        },
    )
}

/// Sets the gauge series to `v`. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_gauge_set(gauge: *const pm_gauge, v: f64) -> pm_status {
    series_call(gauge, "gauge", |g| {
        g.set(v);
        Ok(())
    })
}

/// Adds `v` (which may be negative) to the gauge series. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_gauge_add(gauge: *const pm_gauge, v: f64) -> pm_status {
    series_call(gauge, "gauge", |g| {
        g.add(v);
        Ok(())
    })
}

/// Subtracts `v` from the gauge series. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_gauge_sub(gauge: *const pm_gauge, v: f64) -> pm_status {
    series_call(gauge, "gauge", |g| {
        g.sub(v);
        Ok(())
    })
}

/// Adds one to the gauge series. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_gauge_inc(gauge: *const pm_gauge) -> pm_status {
    series_call(gauge, "gauge", |g| {
        g.inc();
        Ok(())
    })
}

/// Subtracts one from the gauge series. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_gauge_dec(gauge: *const pm_gauge) -> pm_status {
    series_call(gauge, "gauge", |g| {
        g.dec();
        Ok(())
    })
}

/// Sets the gauge series to the current Unix time in seconds. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_gauge_set_to_current_time(gauge: *const pm_gauge) -> pm_status {
    series_call(gauge, "gauge", |g| {
        g.set_to_current_time();
        Ok(())
    })
}

/// The current value of the gauge series.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_gauge_get(gauge: *const pm_gauge, out: *mut f64) -> pm_status {
    series_read(gauge, "gauge", out, Gauge::get)
}

/// Releases a gauge series handle; the series keeps its value. NULL is ignored. Must not be
/// called while another thread uses the same handle.
#[no_mangle]
pub extern "C" fn pm_gauge_free(gauge: *mut pm_gauge) {
    release(gauge, "gauge")
}

/// The series of `vec` for the `n` label values at `values`, in the order of the label
/// names, as a handle in `*out` to release with `pm_gauge_free`. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_gauge_vec_with(
    vec: *const pm_gauge_vec,
    values: *const *const c_char,
    n: usize,
    out: *mut *mut pm_gauge,
) -> pm_status {
    series(vec, values, n, out)
}

/// Like `pm_gauge_vec_with`, with `n` label names and `n` values as pairs in any order.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_gauge_vec_with_labels(
    vec: *const pm_gauge_vec,
    names: *const *const c_char,
    values: *const *const c_char,
    n: usize,
    out: *mut *mut pm_gauge,
) -> pm_status {
    series_by_name(vec, names, values, n, out)
}

/// Sets the series for the `n` label values at `values` to `v`, without keeping a handle.
/// Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_gauge_vec_set(
    vec: *const pm_gauge_vec,
    values: *const *const c_char,
    n: usize,
    v: f64,
) -> pm_status {
    labelled_call(vec, values, n, |g, values| g.set(values, v))
}

/// Adds `v` (which may be negative) to the series for the `n` label values at `values`,
/// without keeping a handle. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_gauge_vec_add(
    vec: *const pm_gauge_vec,
    values: *const *const c_char,
    n: usize,
    v: f64,
) -> pm_status {
    labelled_call(vec, values, n, |g, values| g.add(values, v))
}

/// Releases a labelled gauge handle. NULL is ignored.
#[no_mangle]
pub extern "C" fn pm_gauge_vec_free(vec: *mut pm_gauge_vec) {
    release(vec, "vec")
}
