//! Counters in C: `pm_counter` (one series) and `pm_counter_vec` (a counter with labels).

use crate::error::pm_status;
use crate::family::{
    define, labelled, labelled_call, series, series_by_name, series_call, series_read, Definition,
};
use crate::handle::{handle, release, Tagged};
use crate::metric_options::{pm_metric_options, with_common_options};
use crate::registry::pm_registry;
use pushmetrics_core::metric::counter::CounterKind;
use pushmetrics_core::{Counter, CounterVec, MetricBuilder};
use std::ffi::c_char;

/// One counter series: a value that only goes up. From `pm_counter_new` (a counter without
/// labels) or `pm_counter_vec_with` (one label set); release with `pm_counter_free`.
/// Thread-safe: any number of threads may record through the same handle; each call is one
/// atomic operation. A handle stays valid after its registry is freed.
pub struct pm_counter(Tagged<Counter>);

/// A counter with labels, from `pm_counter_vec_new`; release with `pm_counter_vec_free`.
/// Thread-safe.
pub struct pm_counter_vec(Tagged<CounterVec>);

handle!(pm_counter, Counter, Counter);
handle!(pm_counter_vec, CounterVec, CounterVec);
labelled!(CounterVec, Counter);

fn build(d: Definition<'_>) -> MetricBuilder<'_, CounterKind> {
    with_common_options!(
        d.registry.counter(d.name, d.help).labels(d.labels),
        d.options
    )
}

/// Defines a counter without labels in `registry` (or returns the existing identical one)
/// and gives its series handle in `*out`, to release with `pm_counter_free`. `options` may
/// be NULL. The name must match [a-zA-Z_:][a-zA-Z0-9_:]* (PM_ERR_INVALID_NAME); the same
/// name with another type, help or options is PM_ERR_CONFLICT. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_counter_new(
    registry: *const pm_registry,
    name: *const c_char,
    help: *const c_char,
    options: *const pm_metric_options,
    out: *mut *mut pm_counter,
) -> pm_status {
    define(registry, name, help, None, options, out, |d| {
        d.options.only("counter", &[])?;
        Ok(build(d).build()?)
    })
}

/// Defines a counter with the `n` label names at `labelnames` (or returns the existing
/// identical one) and gives it in `*out`, to release with `pm_counter_vec_free`. Label
/// names must match [a-zA-Z_][a-zA-Z0-9_]* and not start with "__". `options` may be NULL.
/// Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_counter_vec_new(
    registry: *const pm_registry,
    name: *const c_char,
    help: *const c_char,
    labelnames: *const *const c_char,
    n: usize,
    options: *const pm_metric_options,
    out: *mut *mut pm_counter_vec,
) -> pm_status {
    define(
        registry,
        name,
        help,
        Some((labelnames, n)),
        options,
        out,
        |d| {
            d.options.only("counter", &[])?;
            Ok(build(d).build_vec()?)
        },
    )
}

/// Adds `v` (finite, >= 0; otherwise PM_ERR_INVALID_VALUE) to the counter series. The hot
/// path: one atomic operation, no allocation, no lock. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_counter_inc(counter: *const pm_counter, v: f64) -> pm_status {
    series_call(counter, "counter", |c| c.inc_by(v))
}

/// The current value of the counter series (the estimate, when the metric samples).
#[no_mangle]
#[must_use]
pub extern "C" fn pm_counter_get(counter: *const pm_counter, out: *mut f64) -> pm_status {
    series_read(counter, "counter", out, Counter::get)
}

/// Releases a counter series handle; the series keeps its value and stays reported. NULL is
/// ignored. Must not be called while another thread uses the same handle.
#[no_mangle]
pub extern "C" fn pm_counter_free(counter: *mut pm_counter) {
    release(counter, "counter")
}

/// The series of `vec` for the `n` label values at `values`, in the order of the label
/// names (any UTF-8), as a handle in `*out` to release with `pm_counter_free`. Resolve
/// once, then record through the handle. PM_ERR_INVALID_LABELS if `n` differs from the
/// number of label names. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_counter_vec_with(
    vec: *const pm_counter_vec,
    values: *const *const c_char,
    n: usize,
    out: *mut *mut pm_counter,
) -> pm_status {
    series(vec, values, n, out)
}

/// Like `pm_counter_vec_with`, with `n` label names and `n` values as pairs in any order.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_counter_vec_with_labels(
    vec: *const pm_counter_vec,
    names: *const *const c_char,
    values: *const *const c_char,
    n: usize,
    out: *mut *mut pm_counter,
) -> pm_status {
    series_by_name(vec, names, values, n, out)
}

/// Adds `v` to the series for the `n` label values at `values` without keeping a handle (a
/// lookup per call; hold a `pm_counter` from `pm_counter_vec_with` on hot paths).
/// Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_counter_vec_inc(
    vec: *const pm_counter_vec,
    values: *const *const c_char,
    n: usize,
    v: f64,
) -> pm_status {
    labelled_call(vec, values, n, |c, values| c.inc_by(values, v))
}

/// Releases a labelled counter handle; its series stay reported and their handles valid.
/// NULL is ignored.
#[no_mangle]
pub extern "C" fn pm_counter_vec_free(vec: *mut pm_counter_vec) {
    release(vec, "vec")
}
