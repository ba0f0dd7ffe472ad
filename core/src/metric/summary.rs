//! Summaries: quantiles over a sliding time window, plus an all-time sum and count. The
//! window is a ring of `age_buckets` DDSketches (see `sketch.rs`, 1 % relative error); an
//! observation goes to the newest, a read merges them all, and the oldest is cleared each
//! `max_age / age_buckets`.

use super::sketch::Sketch;
use super::store::Held;
use super::{gate, Family, Kind, MetricType, Series};
use crate::error::{Error, Result};
use crate::sampling::round_weight;
use crate::snapshot::Value;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The quantiles a summary reports unless told otherwise.
pub const DEFAULT_QUANTILES: [f64; 3] = [0.5, 0.9, 0.99];

/// Most quantiles a summary may report.
pub const MAX_QUANTILES: usize = 256;

/// How a summary computes its quantiles.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SummaryConfig {
    pub(crate) quantiles: Arc<[f64]>,
    pub(crate) max_age: Duration,
    pub(crate) age_buckets: u32,
}

impl Default for SummaryConfig {
    fn default() -> Self {
        SummaryConfig {
            quantiles: DEFAULT_QUANTILES.into(),
            max_age: Duration::from_secs(600),
            age_buckets: 5,
        }
    }
}

impl SummaryConfig {
    pub(crate) fn validate(&self) -> Result<()> {
        if self.quantiles.len() > MAX_QUANTILES {
            return Err(Error::InvalidConfig(format!(
                "summary: {} quantiles, but at most {MAX_QUANTILES} are accepted",
                self.quantiles.len()
            )));
        }
        if let Some(q) = self.quantiles.iter().find(|q| !(0.0..=1.0).contains(*q)) {
            return Err(Error::InvalidConfig(format!(
                "summary quantile {q} must be between 0 and 1"
            )));
        }
        for (i, q) in self.quantiles.iter().enumerate() {
            if self.quantiles[..i].contains(q) {
                return Err(Error::InvalidConfig(format!(
                    "summary quantile {q} is given twice: each must be distinct"
                )));
            }
        }
        if self.max_age.is_zero() || self.age_buckets == 0 || self.age_buckets > 1000 {
            return Err(Error::InvalidConfig(format!(
                "summary max_age {:?} must be > 0 and age_buckets {} between 1 and 1000",
                self.max_age, self.age_buckets
            )));
        }
        Ok(())
    }
}

/// Marks a [`crate::MetricBuilder`] that builds summarys.
#[derive(Debug)]
pub struct SummaryKind;

pub(crate) struct SummaryCell(Mutex<State>);

pub(crate) struct State {
    windows: Vec<Sketch>,
    head: usize,
    next_rotation: Instant,
    sum: f64,
    count: u64,
}

impl State {
    fn rotate(&mut self, cfg: &SummaryConfig, now: Instant) {
        if now < self.next_rotation {
            return;
        }
        let step = cfg.max_age / cfg.age_buckets;
        let behind = (now - self.next_rotation).as_nanos() / step.as_nanos().max(1) + 1;
        for _ in 0..behind.min(self.windows.len() as u128) {
            self.head = (self.head + 1) % self.windows.len();
            self.windows[self.head].clear();
        }
        self.next_rotation += step * behind.min(u32::MAX as u128) as u32;
    }
}

impl Kind for SummaryKind {
    type Cell = SummaryCell;
    type Config = SummaryConfig;
    const TYPE: MetricType = MetricType::Summary;
    const RESERVED: &'static str = "quantile";
    fn config(o: &super::TypeOptions) -> Result<SummaryConfig> {
        let d = SummaryConfig::default();
        let cfg = SummaryConfig {
            quantiles: o.quantiles.clone().map_or(d.quantiles, Into::into),
            max_age: o.max_age.unwrap_or(d.max_age),
            age_buckets: o.age_buckets.unwrap_or(d.age_buckets),
        };
        cfg.validate()?;
        Ok(cfg)
    }
    fn new_cell(cfg: &SummaryConfig) -> SummaryCell {
        SummaryCell(Mutex::new(State {
            windows: vec![Sketch::default(); cfg.age_buckets as usize],
            head: 0,
            next_rotation: Instant::now() + cfg.max_age / cfg.age_buckets,
            sum: 0.0,
            count: 0,
        }))
    }
    fn copy_to(cell: &SummaryCell, _: &SummaryConfig, w: &[std::sync::atomic::AtomicU64]) {
        use std::sync::atomic::Ordering::Relaxed;
        let st = cell.0.lock().unwrap_or_else(|e| e.into_inner());
        w[0].store(st.count, Relaxed);
        w[1].store(st.sum.to_bits(), Relaxed);
    }
    fn lock_cell(cell: &SummaryCell) -> Option<std::sync::MutexGuard<'_, State>> {
        Some(cell.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
    fn reset(cell: &SummaryCell) {
        let mut st = cell.0.lock().unwrap_or_else(|e| e.into_inner());
        st.windows.iter_mut().for_each(Sketch::clear);
        st.sum = 0.0;
        st.count = 0;
    }
    fn read(cell: &SummaryCell, cfg: &SummaryConfig) -> Value {
        let mut st = cell.0.lock().unwrap_or_else(|e| e.into_inner());
        st.rotate(cfg, Instant::now());
        let mut merged = Sketch::default();
        for w in &st.windows {
            merged.merge(w);
        }
        Value::Summary(Box::new(crate::snapshot::SummaryValue {
            quantiles: cfg
                .quantiles
                .iter()
                .map(|q| (*q, merged.quantile(*q)))
                .collect(),
            sum: st.sum,
            count: st.count,
        }))
    }
}

fn check(family: &Family<SummaryKind>, v: f64) -> Result<()> {
    if v.is_nan() {
        return Err(Error::InvalidValue {
            metric: family.name().to_owned(),
            value: v,
            reason: "an observation must not be NaN",
        });
    }
    Ok(())
}

fn observe(family: &Family<SummaryKind>, s: &Series<SummaryKind>, v: f64) {
    let Some(w) = gate(family) else { return };
    let now = Instant::now();
    let mut st = s.cell.0.lock().unwrap_or_else(|e| e.into_inner());
    st.rotate(&family.cfg, now);
    let head = st.head;
    st.windows[head].add(v, w);
    st.sum += v * w;
    let n = if w == 1.0 { 1 } else { round_weight(w) };
    st.count += n;
    drop(st);
    s.mark();
    if !family.plain() {
        let op = crate::multiprocess::Op::Observe {
            bucket: 0,
            n,
            sum: v * w,
        };
        family.mirror_op(s, op);
    }
}

/// One summary series.
///
/// ```
/// let reg = pushmetrics::Registry::new();
/// let s = reg.summary("payload_bytes", "Payload sizes").build().unwrap();
/// for v in 1..=100 { s.observe(v as f64).unwrap(); }
/// assert_eq!(s.count(), 100);
/// let median = s.quantile(0.5);
/// assert!((median - 50.0).abs() <= 1.0);
/// ```
#[derive(Clone)]
pub struct Summary {
    series: Held<SummaryKind>,
}

impl Summary {
    /// The metric name.
    pub fn name(&self) -> &str {
        self.series.family.name()
    }

    pub(crate) fn new(series: Held<SummaryKind>) -> Self {
        Summary { series }
    }
    /// Records one observation; NaN is rejected.
    pub fn observe(&self, v: f64) -> Result<()> {
        crate::fork::check();
        check(&self.series.family, v)?;
        observe(&self.series.family, &self.series, v);
        Ok(())
    }
    /// A guard that observes the seconds elapsed until it is dropped.
    pub fn start_timer(&self) -> SummaryTimer<'_> {
        SummaryTimer {
            s: self,
            start: Instant::now(),
        }
    }
    /// Number of observations so far.
    pub fn count(&self) -> u64 {
        crate::fork::check();
        self.series
            .cell
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .count
    }
    /// Sum of observations so far.
    pub fn sum(&self) -> f64 {
        crate::fork::check();
        self.series
            .cell
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .sum
    }
    /// The current estimate of quantile `q` over the window (NaN when the window is empty).
    pub fn quantile(&self, q: f64) -> f64 {
        crate::fork::check();
        let mut st = self.series.cell.0.lock().unwrap_or_else(|e| e.into_inner());
        st.rotate(&self.series.family.cfg, Instant::now());
        let mut merged = Sketch::default();
        st.windows.iter().for_each(|w| merged.merge(w));
        merged.quantile(q)
    }
}

/// Observes elapsed seconds into a summary when dropped.
pub struct SummaryTimer<'a> {
    s: &'a Summary,
    start: Instant,
}

impl Drop for SummaryTimer<'_> {
    fn drop(&mut self) {
        observe(
            &self.s.series.family,
            &self.s.series,
            self.start.elapsed().as_secs_f64(),
        );
    }
}

/// A summary with labels: one series per label set.
#[derive(Clone)]
pub struct SummaryVec {
    pub(super) family: Arc<Family<SummaryKind>>,
}

super::labelled_family!(SummaryVec, Summary, SummaryKind, "summary");

impl SummaryVec {
    /// Observes `v` into the series for `values` without keeping a handle.
    pub fn observe<S: AsRef<str>>(&self, values: &[S], v: f64) -> Result<()> {
        check(&self.family, v)?;
        self.family
            .with_series(values, |s| observe(&self.family, s, v))
    }
}
