//! Counters: a value that only goes up. `Counter` is a handle to one series (an unlabelled
//! metric, or one label set of a `CounterVec`); every update is one atomic operation.

use super::cell::Adder;
use super::store::Held;
use super::{gate, Family, Kind, MetricType, Series};
use crate::error::{Error, Result};
use crate::multiprocess::Op;
use crate::snapshot::Value;
use std::sync::Arc;

/// Marks a [`crate::MetricBuilder`] that builds counters.
#[derive(Debug)]
pub struct CounterKind;

impl Kind for CounterKind {
    type Cell = Adder;
    type Config = ();
    fn config(_: &super::TypeOptions) -> Result<()> {
        Ok(())
    }
    const TYPE: MetricType = MetricType::Counter;
    fn new_cell(_: &()) -> Adder {
        Adder::default()
    }
    fn read(cell: &Adder, _: &()) -> Value {
        Value::Counter(cell.get())
    }
    fn reset(cell: &Adder) {
        cell.reset();
    }
    fn copy_to(cell: &Adder, _: &(), w: &[std::sync::atomic::AtomicU64]) {
        w[0].store(cell.get().to_bits(), std::sync::atomic::Ordering::Relaxed);
    }
}

#[inline]
fn check(family: &Family<CounterKind>, v: f64) -> Result<()> {
    if v >= 0.0 && v.is_finite() {
        Ok(())
    } else {
        Err(invalid(family, v))
    }
}

#[cold]
fn invalid(family: &Family<CounterKind>, v: f64) -> Error {
    Error::InvalidValue {
        metric: family.name().to_owned(),
        value: v,
        reason: "a counter increment must be a finite number >= 0",
    }
}

#[inline]
fn add(family: &Family<CounterKind>, series: &Series<CounterKind>, v: f64) {
    if family.plain() {
        series.cell.add(v);
        series.mark();
    } else {
        add_sampled(family, series, v);
    }
}

/// The sampled (or multiprocess) update, out of line so that the plain one stays a few
/// instructions.
#[inline(never)]
fn add_sampled(family: &Family<CounterKind>, series: &Series<CounterKind>, v: f64) {
    if let Some(w) = gate(family) {
        let v = if w == 1.0 { v } else { v * w };
        series.cell.add(v);
        series.mark();
        family.mirror_op(series, Op::Add(v));
    }
}

/// One counter series.
///
/// ```
/// let reg = pushmetrics::Registry::new();
/// let jobs = reg.counter("jobs_done_total", "Jobs finished").build().unwrap();
/// jobs.inc();
/// jobs.inc_by(2.0).unwrap();
/// assert_eq!(jobs.get(), 3.0);
/// assert!(jobs.inc_by(-1.0).is_err());
/// ```
#[derive(Clone)]
pub struct Counter {
    series: Held<CounterKind>,
}

impl Counter {
    /// The metric name.
    pub fn name(&self) -> &str {
        self.series.family.name()
    }

    pub(crate) fn new(series: Held<CounterKind>) -> Self {
        Counter { series }
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        crate::fork::check();
        if self.series.family.plain() {
            self.series.cell.inc();
            self.series.mark();
        } else {
            add_sampled(&self.series.family, &self.series, 1.0)
        }
    }

    /// Adds `v`, which must be finite and not negative.
    #[inline]
    pub fn inc_by(&self, v: f64) -> Result<()> {
        crate::fork::check();
        check(&self.series.family, v)?;
        add(&self.series.family, &self.series, v);
        Ok(())
    }

    /// The current value (the estimate, when the metric samples).
    pub fn get(&self) -> f64 {
        crate::fork::check();
        self.series.cell.get()
    }
}

/// A counter with labels: one series per label set.
///
/// ```
/// let reg = pushmetrics::Registry::new();
/// let req = reg.counter("requests_total", "Requests").labels(&["method", "code"]).build_vec().unwrap();
/// req.inc(&["GET", "200"]).unwrap();             // one-shot: look up, add
/// let held = req.with(&["GET", "500"]).unwrap(); // resolve once, then one atomic per call
/// held.inc();
/// assert_eq!(req.with_labels(&[("code", "200"), ("method", "GET")]).unwrap().get(), 1.0);
///
/// // Past the series limit, new label sets share one overflow series.
/// let few = reg.counter("few_total", "F").labels(&["id"]).max_series(1).build_vec().unwrap();
/// assert!(!few.with(&["a"]).unwrap().is_overflow());
/// assert!(few.overflow().is_none());
/// few.with(&["b"]).unwrap().inc();
/// assert!(few.with(&["c"]).unwrap().is_overflow());
/// assert_eq!(few.overflow().unwrap().get(), 1.0);
/// ```
#[derive(Clone)]
pub struct CounterVec {
    pub(super) family: Arc<Family<CounterKind>>,
}

super::labelled_family!(CounterVec, Counter, CounterKind, "counter");

impl CounterVec {
    /// Adds one to the series for `values` without keeping a handle.
    #[inline]
    pub fn inc<S: AsRef<str>>(&self, values: &[S]) -> Result<()> {
        if !self.family.plain() {
            return self.inc_by(values, 1.0);
        }
        self.family.with_series(values, |s| {
            s.cell.inc();
            s.mark();
        })
    }

    /// Adds `v` to the series for `values` without keeping a handle.
    #[inline]
    pub fn inc_by<S: AsRef<str>>(&self, values: &[S], v: f64) -> Result<()> {
        check(&self.family, v)?;
        let Some(w) = gate(&self.family) else {
            return self.family.with_series(values, |_| ());
        };
        let fam = &self.family;
        fam.with_series(values, |s| {
            let v = if w == 1.0 { v } else { v * w };
            s.cell.add(v);
            s.mark();
            if !fam.plain() {
                fam.mirror_op(s, Op::Add(v));
            }
        })
    }
}
