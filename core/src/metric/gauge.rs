//! Gauges: a value that goes up and down. Set is a store; add is a compare-and-swap loop.

use super::cell::add_f64;
use super::store::Held;
use super::{Family, Kind, MetricType};
use crate::error::Result;
use crate::multiprocess::Op;
use crate::snapshot::Value;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

/// Marks a [`crate::MetricBuilder`] that builds gauges.
#[derive(Debug)]
pub struct GaugeKind;

impl Kind for GaugeKind {
    type Cell = AtomicU64;
    type Config = ();
    fn config(_: &super::TypeOptions) -> Result<()> {
        Ok(())
    }
    const TYPE: MetricType = MetricType::Gauge;
    fn new_cell(_: &()) -> AtomicU64 {
        AtomicU64::new(0f64.to_bits())
    }
    fn read(cell: &AtomicU64, _: &()) -> Value {
        Value::Gauge(f64::from_bits(cell.load(Relaxed)))
    }
    fn reset(_: &AtomicU64) {}
    fn copy_to(cell: &AtomicU64, _: &(), w: &[AtomicU64]) {
        w[0].store(cell.load(Relaxed), Relaxed);
    }
}

/// Seconds since the Unix epoch, now.
pub(crate) fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// One gauge series.
///
/// ```
/// let reg = pushmetrics::Registry::new();
/// let g = reg.gauge("queue_depth", "Items waiting").build().unwrap();
/// g.set(10.0);
/// g.dec();
/// g.add(0.5);
/// assert_eq!(g.get(), 9.5);
/// ```
#[derive(Clone)]
pub struct Gauge {
    series: Held<GaugeKind>,
}

impl Gauge {
    /// The metric name.
    pub fn name(&self) -> &str {
        self.series.family.name()
    }

    pub(crate) fn new(series: Held<GaugeKind>) -> Self {
        Gauge { series }
    }

    /// Sets the value.
    #[inline]
    pub fn set(&self, v: f64) {
        crate::fork::check();
        self.series.cell.store(v.to_bits(), Relaxed);
        self.series.mark();
        if !self.series.family.plain() {
            self.series.family.mirror_op(&self.series, Op::Set(v));
        }
    }
    /// Adds `v` (which may be negative).
    #[inline]
    pub fn add(&self, v: f64) {
        crate::fork::check();
        add_f64(&self.series.cell, v);
        self.series.mark();
        if !self.series.family.plain() {
            self.series.family.mirror_op(&self.series, Op::Add(v));
        }
    }
    /// Subtracts `v`.
    #[inline]
    pub fn sub(&self, v: f64) {
        crate::fork::check();
        self.add(-v)
    }
    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        crate::fork::check();
        self.add(1.0)
    }
    /// Subtracts one.
    #[inline]
    pub fn dec(&self) {
        crate::fork::check();
        self.add(-1.0)
    }
    /// Sets the value to the current Unix time in seconds.
    pub fn set_to_current_time(&self) {
        crate::fork::check();
        self.set(unix_now())
    }
    /// The current value.
    pub fn get(&self) -> f64 {
        crate::fork::check();
        f64::from_bits(self.series.cell.load(Relaxed))
    }
}

/// A gauge with labels: one series per label set.
///
/// ```
/// let reg = pushmetrics::Registry::new();
/// let temp = reg.gauge("temperature_celsius", "Temperature").labels(&["room"]).build_vec().unwrap();
/// temp.set(&["kitchen"], 21.5).unwrap();
/// assert_eq!(temp.with(&["kitchen"]).unwrap().get(), 21.5);
/// ```
#[derive(Clone)]
pub struct GaugeVec {
    pub(super) family: Arc<Family<GaugeKind>>,
}

super::labelled_family!(GaugeVec, Gauge, GaugeKind, "gauge");

impl GaugeVec {
    /// Sets the series for `values` without keeping a handle.
    pub fn set<S: AsRef<str>>(&self, values: &[S], v: f64) -> Result<()> {
        let fam = &self.family;
        fam.with_series(values, |s| {
            s.cell.store(v.to_bits(), Relaxed);
            s.mark();
            if !fam.plain() {
                fam.mirror_op(s, Op::Set(v));
            }
        })
    }
    /// Adds `v` to the series for `values` without keeping a handle.
    pub fn add<S: AsRef<str>>(&self, values: &[S], v: f64) -> Result<()> {
        let fam = &self.family;
        fam.with_series(values, |s| {
            add_f64(&s.cell, v);
            s.mark();
            if !fam.plain() {
                fam.mirror_op(s, Op::Add(v));
            }
        })
    }
}
