//! Summaries in C: `pm_summary` (one series) and `pm_summary_vec` (with labels).

use crate::error::pm_status;
use crate::family::{
    define, labelled, labelled_call, series, series_by_name, series_call, series_read, Definition,
};
use crate::handle::{handle, release, Tagged};
use crate::metric_options::{pm_metric_options, with_common_options};
use crate::registry::pm_registry;
use pushmetrics_core::metric::summary::SummaryKind;
use pushmetrics_core::{MetricBuilder, Summary, SummaryVec};
use std::ffi::c_char;

/// One summary series: quantiles over a sliding window plus an all-time sum and count.
/// From `pm_summary_new` or `pm_summary_vec_with`; release with `pm_summary_free`.
/// Thread-safe; a handle stays valid after its registry is freed.
pub struct pm_summary(Tagged<Summary>);

/// A summary with labels, from `pm_summary_vec_new`; release with `pm_summary_vec_free`.
/// Thread-safe.
pub struct pm_summary_vec(Tagged<SummaryVec>);

handle!(pm_summary, Summary, Summary);
handle!(pm_summary_vec, SummaryVec, SummaryVec);
labelled!(SummaryVec, Summary);

fn build(d: Definition<'_>) -> MetricBuilder<'_, SummaryKind> {
    let o = d.options;
    let mut b = d.registry.summary(d.name, d.help).labels(d.labels);
    if let Some(q) = &o.quantiles {
        b = b.quantiles(q);
    }
    if let Some(age) = o.max_age {
        b = b.max_age(age);
    }
    if let Some(n) = o.age_buckets {
        b = b.age_buckets(n);
    }
    with_common_options!(b, o)
}

const SUMMARY_OPTIONS: &[&str] = &["quantiles", "max_age", "age_buckets"];

/// Defines a summary without labels (or returns the existing identical one) and gives its
/// series handle in `*out`, to release with `pm_summary_free`. Quantiles, window length
/// and age buckets come from `options` (may be NULL for 0.5, 0.9, 0.99 over 10 minutes).
/// Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_summary_new(
    registry: *const pm_registry,
    name: *const c_char,
    help: *const c_char,
    options: *const pm_metric_options,
    out: *mut *mut pm_summary,
) -> pm_status {
    define(registry, name, help, None, options, out, |d| {
        d.options.only("summary", SUMMARY_OPTIONS)?;
        Ok(build(d).build()?)
    })
}

/// Defines a summary with the `n` label names at `labelnames` ("quantile" is reserved) and
/// gives it in `*out`, to release with `pm_summary_vec_free`. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_summary_vec_new(
    registry: *const pm_registry,
    name: *const c_char,
    help: *const c_char,
    labelnames: *const *const c_char,
    n: usize,
    options: *const pm_metric_options,
    out: *mut *mut pm_summary_vec,
) -> pm_status {
    define(
        registry,
        name,
        help,
        Some((labelnames, n)),
        options,
        out,
        |d| {
            d.options.only("summary", SUMMARY_OPTIONS)?;
            Ok(build(d).build_vec()?)
        },
    )
}

/// Records one observation `v` (NaN is PM_ERR_INVALID_VALUE). Thread-safe (a short
/// per-series lock).
#[no_mangle]
#[must_use]
pub extern "C" fn pm_summary_observe(summary: *const pm_summary, v: f64) -> pm_status {
    series_call(summary, "summary", |s| s.observe(v))
}

/// The number of observations of the summary series so far.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_summary_count(summary: *const pm_summary, out: *mut u64) -> pm_status {
    series_read(summary, "summary", out, Summary::count)
}

/// The sum of the observations of the summary series so far.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_summary_sum(summary: *const pm_summary, out: *mut f64) -> pm_status {
    series_read(summary, "summary", out, Summary::sum)
}

/// The current estimate of quantile `q` (0..1) over the window into `*out` (NaN when the
/// window is empty).
#[no_mangle]
#[must_use]
pub extern "C" fn pm_summary_quantile(
    summary: *const pm_summary,
    q: f64,
    out: *mut f64,
) -> pm_status {
    series_read(summary, "summary", out, |s| s.quantile(q))
}

/// Releases a summary series handle. NULL is ignored. Must not be called while another
/// thread uses the same handle.
#[no_mangle]
pub extern "C" fn pm_summary_free(summary: *mut pm_summary) {
    release(summary, "summary")
}

/// The series of `vec` for the `n` label values at `values`, in the order of the label
/// names, as a handle in `*out` to release with `pm_summary_free`. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_summary_vec_with(
    vec: *const pm_summary_vec,
    values: *const *const c_char,
    n: usize,
    out: *mut *mut pm_summary,
) -> pm_status {
    series(vec, values, n, out)
}

/// Like `pm_summary_vec_with`, with `n` label names and `n` values as pairs in any order.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_summary_vec_with_labels(
    vec: *const pm_summary_vec,
    names: *const *const c_char,
    values: *const *const c_char,
    n: usize,
    out: *mut *mut pm_summary,
) -> pm_status {
    series_by_name(vec, names, values, n, out)
}

/// Observes `v` into the series for the `n` label values at `values`, without keeping a
/// handle. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_summary_vec_observe(
    vec: *const pm_summary_vec,
    values: *const *const c_char,
    n: usize,
    v: f64,
) -> pm_status {
    labelled_call(vec, values, n, |s, values| s.observe(values, v))
}

/// Releases a labelled summary handle. NULL is ignored.
#[no_mangle]
pub extern "C" fn pm_summary_vec_free(vec: *mut pm_summary_vec) {
    release(vec, "vec")
}
