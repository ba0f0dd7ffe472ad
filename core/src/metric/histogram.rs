//! Histograms: observations counted in buckets with a running sum. An observation is one
//! bucket increment plus one sum update; the count is the sum of the buckets, read at
//! snapshot time, so `_count` and the `+Inf` bucket always agree.

use super::cell::add_f64_from;
use super::store::Held;
use super::{gate, Family, Kind, MetricType, Series};
use crate::error::{Error, Result};
use crate::sampling::round_weight;
use crate::snapshot::Value;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Instant;

/// The default buckets of the Prometheus client libraries, in seconds.
pub const DEFAULT_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Most buckets a histogram may have: each one is a counter in every series, so a count
/// past this is a mistake (a loop bound, a unit error) that would cost memory in each.
pub const MAX_BUCKETS: usize = 4096;

fn check_bucket_count(what: &str, count: usize) -> Result<()> {
    if count > MAX_BUCKETS {
        return Err(Error::InvalidConfig(format!(
            "{what}: {count} buckets, but at most {MAX_BUCKETS} are accepted"
        )));
    }
    Ok(())
}

/// `count` buckets starting at `start`, each `width` apart.
///
/// ```
/// assert_eq!(pushmetrics::linear_buckets(1.0, 2.0, 3).unwrap(), vec![1.0, 3.0, 5.0]);
/// ```
pub fn linear_buckets(start: f64, width: f64, count: usize) -> Result<Vec<f64>> {
    if count == 0 || width.is_nan() || width <= 0.0 || !start.is_finite() || !width.is_finite() {
        return Err(Error::InvalidConfig(format!(
            "linear_buckets(start={start}, width={width}, count={count}): need count >= 1 and a finite width > 0"
        )));
    }
    check_bucket_count("linear_buckets", count)?;
    Ok((0..count).map(|i| start + width * i as f64).collect())
}

/// `count` buckets starting at `start`, each `factor` times the previous.
///
/// ```
/// assert_eq!(pushmetrics::exponential_buckets(1.0, 10.0, 3).unwrap(), vec![1.0, 10.0, 100.0]);
/// ```
pub fn exponential_buckets(start: f64, factor: f64, count: usize) -> Result<Vec<f64>> {
    if count == 0
        || start.is_nan()
        || start <= 0.0
        || factor.is_nan()
        || factor <= 1.0
        || !start.is_finite()
        || !factor.is_finite()
    {
        return Err(Error::InvalidConfig(format!(
            "exponential_buckets(start={start}, factor={factor}, count={count}): need count >= 1, start > 0 and factor > 1"
        )));
    }
    check_bucket_count("exponential_buckets", count)?;
    Ok((0..count).map(|i| start * factor.powi(i as i32)).collect())
}

/// Checks bucket bounds and drops a trailing `+Inf` (it is always implied).
pub(crate) fn validate_buckets(mut b: Vec<f64>) -> Result<Arc<[f64]>> {
    check_bucket_count("histogram buckets", b.len())?;
    if b.last() == Some(&f64::INFINITY) {
        b.pop();
    }
    if b.iter().any(|x| x.is_nan() || x.is_infinite()) {
        return Err(Error::InvalidConfig(format!(
            "histogram buckets {b:?} must be finite numbers"
        )));
    }
    if let Some(w) = b.windows(2).find(|w| w[0] >= w[1]) {
        return Err(Error::InvalidConfig(format!(
            "histogram buckets must be strictly increasing, but {} is followed by {}",
            w[0], w[1]
        )));
    }
    Ok(b.into())
}

/// Marks a [`crate::MetricBuilder`] that builds histograms.
#[derive(Debug)]
pub struct HistogramKind;

pub(crate) struct HistogramCell {
    /// Per-bucket (not cumulative) counts; the last one is the `+Inf` bucket.
    counts: Box<[AtomicU64]>,
    sum: AtomicU64,
}

/// A histogram's bucket bounds, plus a copy padded with `+Inf` to [`PADDED`] entries when
/// they fit, so that finding the bucket is one fixed-size, branch-free count.
#[derive(Clone, PartialEq)]
pub(crate) struct Bounds {
    pub(crate) bounds: Arc<[f64]>,
    padded: Option<Box<[f64; PADDED]>>,
}

const PADDED: usize = 16;

impl std::fmt::Debug for Bounds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.bounds.fmt(f)
    }
}

impl Bounds {
    pub(crate) fn new(bounds: Arc<[f64]>) -> Self {
        let padded = (bounds.len() <= PADDED).then(|| {
            let mut p = Box::new([f64::INFINITY; PADDED]);
            p[..bounds.len()].copy_from_slice(&bounds);
            p
        });
        Bounds { bounds, padded }
    }

    /// The bucket of `v` (not NaN): the number of bounds below it. A padding `+Inf` is
    /// never below anything.
    #[inline]
    fn bucket(&self, v: f64) -> usize {
        match &self.padded {
            Some(p) => count_below(p, v),
            None => self.bounds.partition_point(|b| *b < v),
        }
    }
}

/// How many of `p` are below `v`: eight two-lane compares whose masks are summed in a
/// tree, a short dependency chain from `v` to the bucket's address.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn count_below(p: &[f64; PADDED], v: f64) -> usize {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is part of every x86_64 target; each load reads two of the 16 elements.
    unsafe {
        let v = _mm_set1_pd(v);
        let q = p.as_ptr();
        // All ones (-1) in a lane whose bound is below v.
        let m = |k: usize| _mm_castpd_si128(_mm_cmplt_pd(_mm_loadu_pd(q.add(2 * k)), v));
        let a = _mm_add_epi64(_mm_add_epi64(m(0), m(1)), _mm_add_epi64(m(2), m(3)));
        let b = _mm_add_epi64(_mm_add_epi64(m(4), m(5)), _mm_add_epi64(m(6), m(7)));
        let s = _mm_add_epi64(a, b);
        let s = _mm_add_epi64(s, _mm_unpackhi_epi64(s, s));
        _mm_cvtsi128_si64(s).wrapping_neg() as usize
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn count_below(p: &[f64; PADDED], v: f64) -> usize {
    p.iter().map(|b| usize::from(*b < v)).sum()
}

impl Kind for HistogramKind {
    type Cell = HistogramCell;
    type Config = Bounds;
    const TYPE: MetricType = MetricType::Histogram;
    const RESERVED: &'static str = "le";
    fn config(o: &super::TypeOptions) -> Result<Bounds> {
        validate_buckets(
            o.buckets
                .clone()
                .unwrap_or_else(|| DEFAULT_BUCKETS.to_vec()),
        )
        .map(Bounds::new)
    }
    fn new_cell(b: &Bounds) -> HistogramCell {
        HistogramCell {
            counts: (0..=b.bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum: AtomicU64::new(0f64.to_bits()),
        }
    }
    fn reset(cell: &HistogramCell) {
        zero(cell)
    }
    fn bounds(b: &Bounds) -> &[f64] {
        &b.bounds
    }
    fn copy_to(cell: &HistogramCell, _: &Bounds, w: &[AtomicU64]) {
        for (c, w) in cell.counts.iter().zip(w) {
            w.store(c.load(Relaxed), Relaxed);
        }
        w[cell.counts.len()].store(cell.sum.load(Relaxed), Relaxed);
    }
    fn read(cell: &HistogramCell, b: &Bounds) -> Value {
        let mut acc = 0u64;
        let cumulative: Vec<u64> = cell
            .counts
            .iter()
            .map(|c| {
                acc += c.load(Relaxed);
                acc
            })
            .collect();
        Value::Histogram(Box::new(crate::snapshot::HistogramValue {
            bounds: b.bounds.clone(),
            count: acc,
            cumulative,
            sum: f64::from_bits(cell.sum.load(Relaxed)),
        }))
    }
}

fn zero(cell: &HistogramCell) {
    cell.counts.iter().for_each(|c| c.store(0, Relaxed));
    cell.sum.store(0f64.to_bits(), Relaxed);
}

#[inline]
fn check(family: &Family<HistogramKind>, v: f64) -> Result<()> {
    if v.is_nan() {
        return Err(nan(family, v));
    }
    Ok(())
}

#[cold]
fn nan(family: &Family<HistogramKind>, v: f64) -> Error {
    Error::InvalidValue {
        metric: family.name().to_owned(),
        value: v,
        reason: "an observation must not be NaN",
    }
}

#[inline]
fn observe(family: &Family<HistogramKind>, s: &Series<HistogramKind>, v: f64) {
    if family.plain() {
        record(family, s, v, 1, v);
    } else {
        observe_sampled(family, s, v);
    }
}

#[inline(never)]
fn observe_sampled(family: &Family<HistogramKind>, s: &Series<HistogramKind>, v: f64) {
    let (n, sum) = match gate(family) {
        Some(1.0) => (1, v),
        Some(w) => (round_weight(w), v * w),
        None => return,
    };
    record(family, s, v, n, sum);
    let bucket = family.cfg.bucket(v);
    family.mirror_op(s, crate::multiprocess::Op::Observe { bucket, n, sum });
}

/// Adds `n` to the bucket of `v` and `sum_add` to the sum. The sum is read before the
/// bucket is updated, so that its compare-and-swap does not wait for a read behind the
/// first atomic update.
#[inline(always)]
fn record(family: &Family<HistogramKind>, s: &Series<HistogramKind>, v: f64, n: u64, sum_add: f64) {
    let sum = s.cell.sum.load(Relaxed);
    let i = family.cfg.bucket(v);
    s.cell.counts[i].fetch_add(n, Relaxed);
    add_f64_from(&s.cell.sum, sum, sum_add);
    s.mark();
}

/// One histogram series.
///
/// ```
/// let reg = pushmetrics::Registry::new();
/// let h = reg.histogram("job_seconds", "Job duration").buckets(vec![0.1, 1.0, 10.0]).build().unwrap();
/// h.observe(0.5).unwrap();
/// { let _t = h.start_timer(); /* timed work */ }
/// assert_eq!(h.count(), 2);
/// ```
#[derive(Clone)]
pub struct Histogram {
    series: Held<HistogramKind>,
}

impl Histogram {
    /// The metric name.
    pub fn name(&self) -> &str {
        self.series.family.name()
    }

    pub(crate) fn new(series: Held<HistogramKind>) -> Self {
        Histogram { series }
    }
    /// Records one observation; NaN is rejected.
    #[inline]
    pub fn observe(&self, v: f64) -> Result<()> {
        crate::fork::check();
        check(&self.series.family, v)?;
        observe(&self.series.family, &self.series, v);
        Ok(())
    }
    /// A guard that observes the seconds elapsed until it is dropped (or `observe_duration`).
    pub fn start_timer(&self) -> HistogramTimer<'_> {
        HistogramTimer {
            h: self,
            start: Instant::now(),
            done: false,
        }
    }
    /// Number of observations so far.
    pub fn count(&self) -> u64 {
        crate::fork::check();
        self.series
            .cell
            .counts
            .iter()
            .map(|c| c.load(Relaxed))
            .sum()
    }
    /// Sum of observations so far.
    pub fn sum(&self) -> f64 {
        crate::fork::check();
        f64::from_bits(self.series.cell.sum.load(Relaxed))
    }
}

/// Observes elapsed seconds into a histogram when dropped.
pub struct HistogramTimer<'a> {
    h: &'a Histogram,
    start: Instant,
    done: bool,
}

impl HistogramTimer<'_> {
    /// Observes now and returns the seconds observed.
    pub fn observe_duration(mut self) -> f64 {
        self.finish()
    }
    fn finish(&mut self) -> f64 {
        let secs = self.start.elapsed().as_secs_f64();
        if !self.done {
            self.done = true;
            observe(&self.h.series.family, &self.h.series, secs);
        }
        secs
    }
}

impl Drop for HistogramTimer<'_> {
    fn drop(&mut self) {
        self.finish();
    }
}

/// A histogram with labels: one series per label set.
#[derive(Clone)]
pub struct HistogramVec {
    pub(super) family: Arc<Family<HistogramKind>>,
}

super::labelled_family!(HistogramVec, Histogram, HistogramKind, "histogram");

impl HistogramVec {
    /// Observes `v` into the series for `values` without keeping a handle.
    pub fn observe<S: AsRef<str>>(&self, values: &[S], v: f64) -> Result<()> {
        check(&self.family, v)?;
        self.family
            .with_series(values, |s| observe(&self.family, s, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_bucket_and_quantile_counts_are_refused_before_any_allocation() {
        for e in [
            linear_buckets(0.0, 1.0, usize::MAX).unwrap_err(),
            exponential_buckets(1.0, 2.0, usize::MAX).unwrap_err(),
            validate_buckets((0..=MAX_BUCKETS).map(|i| i as f64).collect()).unwrap_err(),
        ] {
            assert!(e.to_string().contains("at most 4096"), "{e}");
        }
        assert_eq!(
            linear_buckets(0.0, 1.0, MAX_BUCKETS).unwrap().len(),
            MAX_BUCKETS
        );
        let reg = crate::Registry::new();
        let many: Vec<f64> = (0..=crate::MAX_QUANTILES).map(|i| i as f64 / 1e3).collect();
        let e = reg.summary("q", "Q").quantiles(&many).build().unwrap_err();
        assert!(e.to_string().contains("257 quantiles"), "{e}");
    }

    #[test]
    fn an_observation_lands_in_the_first_bucket_whose_bound_is_not_below_it() {
        let few = Bounds::new(validate_buckets(vec![0.5, 1.0, 2.0]).unwrap());
        let many = Bounds::new(validate_buckets((1..=40).map(f64::from).collect()).unwrap());
        let sixteen = Bounds::new(validate_buckets((1..=16).map(f64::from).collect()).unwrap());
        for (b, v, want) in [
            (&few, f64::NEG_INFINITY, 0),
            (&few, 0.5, 0),
            (&few, 0.50001, 1),
            (&few, 2.0, 2),
            (&few, 2.1, 3),
            (&few, f64::INFINITY, 3),
            (&many, 0.0, 0),
            (&many, 39.5, 39),
            (&many, 1e9, 40),
            (&sixteen, 16.0, 15),
            (&sixteen, 16.5, 16),
            (&sixteen, f64::INFINITY, 16),
        ] {
            assert_eq!(b.bucket(v), want, "{v} in {:?}", b);
        }
    }

    #[test]
    fn buckets_must_increase_and_trailing_inf_is_implied() {
        assert!(validate_buckets(vec![1.0, 1.0]).is_err());
        assert!(validate_buckets(vec![2.0, 1.0])
            .unwrap_err()
            .to_string()
            .contains("2 is followed by 1"));
        assert!(validate_buckets(vec![f64::NAN]).is_err());
        assert_eq!(
            &*validate_buckets(vec![1.0, f64::INFINITY]).unwrap(),
            &[1.0]
        );
        assert!(linear_buckets(0.0, 0.0, 3).is_err());
        assert!(exponential_buckets(0.0, 2.0, 3).is_err());
        assert!(exponential_buckets(1.0, 1.0, 3).is_err());
    }
}
