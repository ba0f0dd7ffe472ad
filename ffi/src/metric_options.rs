//! Per-metric options: constant labels, the cardinality guard (series limit, hashed and
//! dropped labels), sampling, histogram buckets and summary quantiles. C fills one opaque
//! object with setters; the metric constructors hand its contents to the core's builder.

use crate::error::{pm_status, Failure};
use crate::ffi::{arg_slice, arg_str, check_count, Out, BUCKETS, QUANTILES};
use crate::handle::{handle, live_mut, new_handle, release, Tagged};
use crate::panic::guard;
use pushmetrics_core::Sampling;
use std::ffi::c_char;
use std::time::Duration;

/// Options of one metric, for `pm_counter_new`, `pm_histogram_vec_new` and the others.
/// Create with `pm_metric_options_new`, fill with the `pm_metric_options_set_*` and
/// `pm_metric_options_add_*` functions, release with `pm_metric_options_free`. One options
/// object may define any number of metrics; it is not consumed. Not thread-safe: do not
/// change one options object from two threads at once.
///
/// Options apply to the metric types that have them: buckets to histograms; quantiles,
/// max age and age buckets to summaries; sampling to all but gauges. A metric constructor
/// given an option its type lacks returns PM_ERR_INVALID_ARGUMENT.
pub struct pm_metric_options(Tagged<MetricOptions>);

handle!(pm_metric_options, MetricOptions, MetricOptions);

/// What a `pm_metric_options` holds.
#[derive(Clone, Default)]
pub(crate) struct MetricOptions {
    pub(crate) const_labels: Vec<(String, String)>,
    pub(crate) sampling: Option<Sampling>,
    pub(crate) max_series: Option<usize>,
    pub(crate) hashed: Vec<(String, u32)>,
    pub(crate) dropped: Vec<String>,
    pub(crate) buckets: Option<Vec<f64>>,
    pub(crate) quantiles: Option<Vec<f64>>,
    pub(crate) max_age: Option<Duration>,
    pub(crate) age_buckets: Option<u32>,
    pub(crate) multiprocess_mode: Option<pushmetrics_core::multiprocess::GaugeMode>,
}

impl MetricOptions {
    /// Refuses the histogram and summary options for a metric of type `kind` that lacks them.
    pub(crate) fn only(&self, kind: &str, allowed: &[&str]) -> Result<(), Failure> {
        let set = [
            ("buckets", self.buckets.is_some()),
            ("quantiles", self.quantiles.is_some()),
            ("max_age", self.max_age.is_some()),
            ("age_buckets", self.age_buckets.is_some()),
            ("multiprocess_mode", self.multiprocess_mode.is_some()),
        ];
        match set.iter().find(|(n, on)| *on && !allowed.contains(n)) {
            Some((n, _)) => Err(Failure::invalid_argument(format!(
                "option `{n}` does not apply to a {kind}"
            ))),
            None => Ok(()),
        }
    }
}

/// Gives a core `MetricBuilder` the options every metric type shares.
macro_rules! with_common_options {
    ($builder:expr, $opts:expr) => {{
        let o: &$crate::metric_options::MetricOptions = $opts;
        let mut b = $builder;
        for (n, v) in &o.const_labels {
            b = b.const_label(n, v);
        }
        if let Some(s) = o.sampling {
            b = b.sampling(s);
        }
        if let Some(n) = o.max_series {
            b = b.max_series(n);
        }
        for (n, k) in &o.hashed {
            b = b.hashed_label(n, *k);
        }
        for n in &o.dropped {
            b = b.dropped_label(n);
        }
        b
    }};
}
pub(crate) use with_common_options;

/// New, empty metric options. `*out` receives an object to release with
/// `pm_metric_options_free`.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_metric_options_new(out: *mut *mut pm_metric_options) -> pm_status {
    guard(|| {
        Out::new(out, "out")?.write(new_handle::<pm_metric_options>(MetricOptions::default()));
        Ok(())
    })
}

/// Releases metric options. NULL is ignored.
#[no_mangle]
pub extern "C" fn pm_metric_options_free(options: *mut pm_metric_options) {
    release(options, "options")
}

fn set(
    options: *mut pm_metric_options,
    f: impl FnOnce(&mut MetricOptions) -> Result<(), Failure>,
) -> pm_status {
    guard(|| f(live_mut(options, "options")?))
}

/// Adds a constant label: every series of the metric carries `name="value"`.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_metric_options_add_const_label(
    options: *mut pm_metric_options,
    name: *const c_char,
    value: *const c_char,
) -> pm_status {
    set(options, |o| {
        let pair = (
            arg_str(name, "name")?.into(),
            arg_str(value, "value")?.into(),
        );
        o.const_labels.push(pair);
        Ok(())
    })
}

/// Series limit of the metric, overriding the registry's max_series_per_metric; past it,
/// new label sets fold into one overflow series (label values "__overflow__").
#[no_mangle]
#[must_use]
pub extern "C" fn pm_metric_options_set_max_series(
    options: *mut pm_metric_options,
    n: usize,
) -> pm_status {
    set(options, |o| {
        o.max_series = Some(n);
        Ok(())
    })
}

/// Maps the values of label `name` to `buckets` hash buckets, so it makes at most that
/// many distinct values.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_metric_options_add_hashed_label(
    options: *mut pm_metric_options,
    name: *const c_char,
    buckets: u32,
) -> pm_status {
    set(options, |o| {
        o.hashed.push((arg_str(name, "name")?.into(), buckets));
        Ok(())
    })
}

/// Aggregates label `name` away: series that differ only in it are one series. Recording
/// calls still pass a value for it.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_metric_options_add_dropped_label(
    options: *mut pm_metric_options,
    name: *const c_char,
) -> pm_status {
    set(options, |o| {
        o.dropped.push(arg_str(name, "name")?.into());
        Ok(())
    })
}

/// Records every call (the default).
#[no_mangle]
#[must_use]
pub extern "C" fn pm_metric_options_set_sampling_always(
    options: *mut pm_metric_options,
) -> pm_status {
    set(options, |o| {
        o.sampling = Some(Sampling::Always);
        Ok(())
    })
}

/// Keeps each recording call with probability `p` (0 < p <= 1) and weights it by 1/p, so
/// counts and sums stay unbiased estimates.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_metric_options_set_sampling_probability(
    options: *mut pm_metric_options,
    p: f64,
) -> pm_status {
    set(options, |o| {
        o.sampling = Some(Sampling::Probability(p));
        Ok(())
    })
}

/// Keeps every n-th recording call (per thread) and weights it by n.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_metric_options_set_sampling_every_nth(
    options: *mut pm_metric_options,
    n: u64,
) -> pm_status {
    set(options, |o| {
        o.sampling = Some(Sampling::EveryNth(n));
        Ok(())
    })
}

/// Aims at `per_second` kept calls per second per series, re-weighting every second.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_metric_options_set_sampling_adaptive(
    options: *mut pm_metric_options,
    per_second: f64,
) -> pm_status {
    set(options, |o| {
        o.sampling = Some(Sampling::Adaptive { per_second });
        Ok(())
    })
}

/// Histogram bucket upper bounds: `n` strictly increasing finite numbers at `bounds` (a
/// trailing +Inf is implied). Copied; `bounds` may be freed after the call. Without this
/// option histograms use 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10.
/// PM_ERR_INVALID_ARGUMENT if `n` is above PM_MAX_BUCKETS (checked before `bounds` is read).
#[no_mangle]
#[must_use]
pub extern "C" fn pm_metric_options_set_buckets(
    options: *mut pm_metric_options,
    bounds: *const f64,
    n: usize,
) -> pm_status {
    set(options, |o| {
        o.buckets = Some(arg_slice(bounds, n, "bounds", &BUCKETS)?.to_vec());
        Ok(())
    })
}

/// Summary quantiles to report: `n` numbers in 0..1 at `quantiles` (default 0.5, 0.9,
/// 0.99). Copied. PM_ERR_INVALID_ARGUMENT if `n` is above PM_MAX_QUANTILES (checked before
/// `quantiles` is read).
#[no_mangle]
#[must_use]
pub extern "C" fn pm_metric_options_set_quantiles(
    options: *mut pm_metric_options,
    quantiles: *const f64,
    n: usize,
) -> pm_status {
    set(options, |o| {
        o.quantiles = Some(arg_slice(quantiles, n, "quantiles", &QUANTILES)?.to_vec());
        Ok(())
    })
}

/// Length of a summary's sliding window in milliseconds (default 600000, 10 minutes).
#[no_mangle]
#[must_use]
pub extern "C" fn pm_metric_options_set_max_age_ms(
    options: *mut pm_metric_options,
    max_age_ms: u64,
) -> pm_status {
    set(options, |o| {
        o.max_age = Some(Duration::from_millis(max_age_ms));
        Ok(())
    })
}

/// How a gauge's values in several processes combine in multiprocess mode (see
/// `pm_registry_enable_multiprocess`): `"all"` (the default: one series per process, with a
/// `pid` label), `"liveall"`, `"sum"`, `"livesum"`, `"max"`, `"livemax"`, `"min"`,
/// `"livemin"`, `"mostrecent"` or `"livemostrecent"`; the `live` modes leave out processes
/// that have ended. Gauges only. PM_ERR_INVALID_CONFIG names any other value.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_metric_options_set_multiprocess_mode(
    options: *mut pm_metric_options,
    mode: *const c_char,
) -> pm_status {
    set(options, |o| {
        let mode = arg_str(mode, "mode")?;
        o.multiprocess_mode = Some(pushmetrics_core::multiprocess::GaugeMode::parse(mode)?);
        Ok(())
    })
}

/// Number of sub-windows a summary's window slides by (default 5).
#[no_mangle]
#[must_use]
pub extern "C" fn pm_metric_options_set_age_buckets(
    options: *mut pm_metric_options,
    n: u32,
) -> pm_status {
    set(options, |o| {
        o.age_buckets = Some(n);
        Ok(())
    })
}

/// Writes the `count` bounds `make` computes into `out`, after checking `count` and `out`:
/// nothing is computed or allocated for a count above PM_MAX_BUCKETS.
fn fill_buckets(
    count: usize,
    out: *mut f64,
    make: impl FnOnce() -> pushmetrics_core::Result<Vec<f64>>,
) -> Result<(), Failure> {
    check_count(count, "count", "out", &BUCKETS)?;
    if out.is_null() {
        return Err(crate::ffi::null("out"));
    }
    let bounds = make()?;
    debug_assert_eq!(bounds.len(), count);
    // SAFETY: `out` is non-NULL and, per the contract, holds `count` doubles; the core
    // made exactly `count` bounds.
    unsafe { std::ptr::copy_nonoverlapping(bounds.as_ptr(), out, bounds.len().min(count)) };
    Ok(())
}

/// Writes `count` bucket bounds into `out` (room for `count` doubles): `start`,
/// `start + width`, `start + 2*width`, ... PM_ERR_INVALID_CONFIG unless count >= 1 and width
/// is finite and > 0; PM_ERR_INVALID_ARGUMENT if count is above PM_MAX_BUCKETS (nothing is
/// written). For `pm_metric_options_set_buckets`.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_linear_buckets(
    start: f64,
    width: f64,
    count: usize,
    out: *mut f64,
) -> pm_status {
    guard(|| {
        fill_buckets(count, out, || {
            pushmetrics_core::linear_buckets(start, width, count)
        })
    })
}

/// Writes `count` bucket bounds into `out` (room for `count` doubles): `start`,
/// `start * factor`, `start * factor^2`, ... PM_ERR_INVALID_CONFIG unless count >= 1,
/// start > 0 and factor > 1; PM_ERR_INVALID_ARGUMENT if count is above PM_MAX_BUCKETS
/// (nothing is written). For `pm_metric_options_set_buckets`.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_exponential_buckets(
    start: f64,
    factor: f64,
    count: usize,
    out: *mut f64,
) -> pm_status {
    guard(|| {
        fill_buckets(count, out, || {
            pushmetrics_core::exponential_buckets(start, factor, count)
        })
    })
}
