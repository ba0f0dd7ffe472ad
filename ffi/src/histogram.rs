//! Histograms in C: `pm_histogram` (one series) and `pm_histogram_vec` (with labels).

use crate::error::pm_status;
use crate::family::{
    define, labelled, labelled_call, series, series_by_name, series_call, series_read, Definition,
};
use crate::handle::{handle, release, Tagged};
use crate::metric_options::{pm_metric_options, with_common_options};
use crate::registry::pm_registry;
use pushmetrics_core::metric::histogram::HistogramKind;
use pushmetrics_core::{Histogram, HistogramVec, MetricBuilder};
use std::ffi::c_char;

/// One histogram series: observations counted in buckets, with their sum. From
/// `pm_histogram_new` or `pm_histogram_vec_with`; release with `pm_histogram_free`.
/// Thread-safe; a handle stays valid after its registry is freed.
pub struct pm_histogram(Tagged<Histogram>);

/// A histogram with labels, from `pm_histogram_vec_new`; release with
/// `pm_histogram_vec_free`. Thread-safe.
pub struct pm_histogram_vec(Tagged<HistogramVec>);

handle!(pm_histogram, Histogram, Histogram);
handle!(pm_histogram_vec, HistogramVec, HistogramVec);
labelled!(HistogramVec, Histogram);

fn build(d: Definition<'_>) -> MetricBuilder<'_, HistogramKind> {
    let b = d.registry.histogram(d.name, d.help).labels(d.labels);
    let b = match &d.options.buckets {
        Some(bounds) => b.buckets(bounds.clone()),
        None => b,
    };
    with_common_options!(b, d.options)
}

/// Defines a histogram without labels (or returns the existing identical one) and gives its
/// series handle in `*out`, to release with `pm_histogram_free`. Buckets come from
/// `pm_metric_options_set_buckets` (see `pm_linear_buckets`, `pm_exponential_buckets`);
/// `options` may be NULL for the default buckets. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_histogram_new(
    registry: *const pm_registry,
    name: *const c_char,
    help: *const c_char,
    options: *const pm_metric_options,
    out: *mut *mut pm_histogram,
) -> pm_status {
    define(registry, name, help, None, options, out, |d| {
        d.options.only("histogram", &["buckets"])?;
        Ok(build(d).build()?)
    })
}

/// Defines a histogram with the `n` label names at `labelnames` ("le" is reserved) and
/// gives it in `*out`, to release with `pm_histogram_vec_free`. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_histogram_vec_new(
    registry: *const pm_registry,
    name: *const c_char,
    help: *const c_char,
    labelnames: *const *const c_char,
    n: usize,
    options: *const pm_metric_options,
    out: *mut *mut pm_histogram_vec,
) -> pm_status {
    define(
        registry,
        name,
        help,
        Some((labelnames, n)),
        options,
        out,
        |d| {
            d.options.only("histogram", &["buckets"])?;
            Ok(build(d).build_vec()?)
        },
    )
}

/// Records one observation `v` (NaN is PM_ERR_INVALID_VALUE). Thread-safe; lock-free.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_histogram_observe(histogram: *const pm_histogram, v: f64) -> pm_status {
    series_call(histogram, "histogram", |h| h.observe(v))
}

/// The number of observations of the histogram series so far.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_histogram_count(histogram: *const pm_histogram, out: *mut u64) -> pm_status {
    series_read(histogram, "histogram", out, Histogram::count)
}

/// The sum of the observations of the histogram series so far.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_histogram_sum(histogram: *const pm_histogram, out: *mut f64) -> pm_status {
    series_read(histogram, "histogram", out, Histogram::sum)
}

/// Releases a histogram series handle. NULL is ignored. Must not be called while another
/// thread uses the same handle.
#[no_mangle]
pub extern "C" fn pm_histogram_free(histogram: *mut pm_histogram) {
    release(histogram, "histogram")
}

/// The series of `vec` for the `n` label values at `values`, in the order of the label
/// names, as a handle in `*out` to release with `pm_histogram_free`. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_histogram_vec_with(
    vec: *const pm_histogram_vec,
    values: *const *const c_char,
    n: usize,
    out: *mut *mut pm_histogram,
) -> pm_status {
    series(vec, values, n, out)
}

/// Like `pm_histogram_vec_with`, with `n` label names and `n` values as pairs in any order.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_histogram_vec_with_labels(
    vec: *const pm_histogram_vec,
    names: *const *const c_char,
    values: *const *const c_char,
    n: usize,
    out: *mut *mut pm_histogram,
) -> pm_status {
    series_by_name(vec, names, values, n, out)
}

/// Observes `v` into the series for the `n` label values at `values`, without keeping a
/// handle. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_histogram_vec_observe(
    vec: *const pm_histogram_vec,
    values: *const *const c_char,
    n: usize,
    v: f64,
) -> pm_status {
    labelled_call(vec, values, n, |h, values| h.observe(values, v))
}

/// Releases a labelled histogram handle. NULL is ignored.
#[no_mangle]
pub extern "C" fn pm_histogram_vec_free(vec: *mut pm_histogram_vec) {
    release(vec, "vec")
}
