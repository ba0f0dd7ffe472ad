//! An immutable view of a registry at one moment: what the encoders and the pusher read.
//! It shares label storage with the live series but never touches their cells.

use crate::labels::LabelSlice;
use crate::metric::{Desc, MetricType};
use std::sync::{Arc, Mutex};

/// The value of one series at snapshot time. Histograms and summaries are boxed, so that
/// a snapshot of many counters and gauges takes 16 bytes per value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A counter's total.
    Counter(f64),
    /// A gauge's value.
    Gauge(f64),
    /// A histogram.
    Histogram(Box<HistogramValue>),
    /// A summary.
    Summary(Box<SummaryValue>),
}

/// A histogram at snapshot time: cumulative counts per bucket (the last is `+Inf` and
/// equals `count`).
#[derive(Clone, Debug, PartialEq)]
pub struct HistogramValue {
    /// Upper bounds of the finite buckets.
    pub bounds: Arc<[f64]>,
    /// Cumulative count per bucket, `bounds.len() + 1` entries.
    pub cumulative: Vec<u64>,
    /// Number of observations.
    pub count: u64,
    /// Sum of observations.
    pub sum: f64,
}

/// A summary at snapshot time: `(quantile, value)` pairs over the window, all-time sum and
/// count.
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryValue {
    /// `(quantile, value)`; the value is NaN when the window holds no observation.
    pub quantiles: Vec<(f64, f64)>,
    /// Sum of observations.
    pub sum: f64,
    /// Number of observations.
    pub count: u64,
}

#[derive(Clone)]
pub(crate) struct SeriesSnapshot {
    /// Where this series' encoded label values sit in the family's arena.
    pub(crate) labels: (u32, u32),
    pub(crate) value: Value,
}

/// One metric family in a snapshot. Label values are copied into one contiguous arena, so
/// the snapshot owns everything it shows and encoders read memory in order.
#[derive(Clone)]
pub struct FamilySnapshot {
    pub(crate) desc: Arc<Desc>,
    pub(crate) arena: Vec<u8>,
    pub(crate) series: Vec<SeriesSnapshot>,
    /// Where the buffers go back when the snapshot is dropped.
    pub(crate) spare: Option<Arc<Spare>>,
}

impl Drop for FamilySnapshot {
    fn drop(&mut self) {
        if let Some(spare) = self.spare.take() {
            spare.give(
                std::mem::take(&mut self.arena),
                std::mem::take(&mut self.series),
            );
        }
    }
}

/// The buffers of a family's last snapshot, kept for its next one: a periodic snapshot of
/// many series then reuses memory the process already has, instead of faulting in fresh
/// pages (and returning them) each time.
#[derive(Default)]
pub(crate) struct Spare(Mutex<Option<(Vec<u8>, Vec<SeriesSnapshot>)>>);

/// The lock of a [`Spare`], taken before a fork.
pub(crate) type SpareGuard<'a> = std::sync::MutexGuard<'a, Option<(Vec<u8>, Vec<SeriesSnapshot>)>>;

impl Spare {
    pub(crate) fn hold(&self) -> SpareGuard<'_> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Empty buffers, with the capacity of the last snapshot's when they are not far larger
    /// than `series` series need.
    pub(crate) fn take(&self, series: usize) -> (Vec<u8>, Vec<SeriesSnapshot>) {
        let kept = self.0.lock().unwrap_or_else(|e| e.into_inner()).take();
        match kept {
            Some((arena, list)) if list.capacity() <= 4 * series + 64 => (arena, list),
            _ => Default::default(),
        }
    }

    fn give(&self, mut arena: Vec<u8>, mut series: Vec<SeriesSnapshot>) {
        // Never waits: with another snapshot's buffers already back, these are freed.
        if let Ok(mut kept) = self.0.try_lock() {
            if kept.is_none() {
                arena.clear();
                series.clear();
                *kept = Some((arena, series));
            }
        }
    }
}

/// One series of a [`FamilySnapshot`].
#[derive(Clone, Copy)]
pub struct SeriesRef<'a> {
    family: &'a FamilySnapshot,
    series: &'a SeriesSnapshot,
}

impl<'a> SeriesRef<'a> {
    /// The series' own labels (constant labels not included), in declared order.
    pub fn labels(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let names = &self.family.desc.exposed;
        names
            .iter()
            .map(String::as_str)
            .zip(self.family.labels_of(self.series).iter(names.len()))
    }
    /// The series' own label values, encoded as the series stores them.
    #[inline]
    pub(crate) fn label_slice(&self) -> LabelSlice<'a> {
        self.family.labels_of(self.series)
    }
    /// The value of label `name`, constant labels included.
    pub fn label(&self, name: &str) -> Option<&'a str> {
        self.labels()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
            .or_else(|| {
                self.family
                    .desc
                    .const_labels
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.as_str())
            })
    }
    /// The value.
    pub fn value(&self) -> &'a Value {
        &self.series.value
    }
}

impl FamilySnapshot {
    fn labels_of(&self, s: &SeriesSnapshot) -> LabelSlice<'_> {
        LabelSlice(&self.arena[s.labels.0 as usize..s.labels.1 as usize])
    }
    /// Metric name.
    pub fn name(&self) -> &str {
        &self.desc.name
    }
    /// Help text.
    pub fn help(&self) -> &str {
        &self.desc.help
    }
    /// Metric type.
    pub fn metric_type(&self) -> MetricType {
        self.desc.kind
    }
    /// Names of the labels each series carries (dropped labels excluded).
    pub fn label_names(&self) -> &[String] {
        &self.desc.exposed
    }
    /// Labels every series of the family carries.
    pub fn const_labels(&self) -> &[(String, String)] {
        &self.desc.const_labels
    }
    /// Number of series.
    pub fn len(&self) -> usize {
        self.series.len()
    }
    /// Whether the family has no series.
    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }
    /// The series, in the order they were created.
    pub fn iter(&self) -> impl Iterator<Item = SeriesRef<'_>> {
        self.series.iter().map(move |s| SeriesRef {
            family: self,
            series: s,
        })
    }
    /// The value of the series with exactly these label values (in declared order).
    pub fn get(&self, values: &[&str]) -> Option<&Value> {
        self.series
            .iter()
            .find(|s| self.labels_of(s).matches(values))
            .map(|s| &s.value)
    }
}

/// Every family of a registry at one moment.
///
/// ```
/// let reg = pushmetrics::Registry::new();
/// reg.counter("a_total", "A").build().unwrap().inc();
/// let snap = reg.snapshot();
/// let fam = snap.family("a_total").unwrap();
/// assert_eq!(fam.get(&[]), Some(&pushmetrics::Value::Counter(1.0)));
/// ```
#[derive(Clone, Default)]
pub struct Snapshot {
    pub(crate) families: Vec<FamilySnapshot>,
}

impl Snapshot {
    /// The families, in registration order.
    pub fn families(&self) -> &[FamilySnapshot] {
        &self.families
    }
    /// The family named `name`.
    pub fn family(&self, name: &str) -> Option<&FamilySnapshot> {
        self.families.iter().find(|f| f.name() == name)
    }
    /// Total number of series.
    pub fn series_count(&self) -> usize {
        self.families.iter().map(|f| f.series.len()).sum()
    }
    /// Appends the families of `other` whose names are not taken yet.
    pub(crate) fn merge(&mut self, other: Snapshot) {
        for f in other.families {
            if self.family(f.name()).is_none() {
                self.families.push(f);
            }
        }
    }
}
