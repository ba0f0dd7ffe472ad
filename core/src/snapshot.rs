//! An immutable view of a registry at one moment: what the encoders and the pusher read.
//! It shares label storage with the live series but never touches their cells.

use crate::cardinality::MAX_LABELS;
use crate::error::{Error, Result};
use crate::labels::{validate_label_name, validate_metric_name, LabelSlice, LabelValues};
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
    /// Adds `labels` to the constant labels, except those whose name the family's series
    /// already carry (as a label of their own or a constant one): theirs wins. One new
    /// description per family, nothing per series.
    pub(crate) fn add_const_labels(&mut self, labels: &[(String, String)]) {
        let d = &self.desc;
        let has = |n: &str| {
            d.exposed.iter().any(|e| e == n) || d.const_labels.iter().any(|(c, _)| c == n)
        };
        if labels.iter().all(|(n, _)| has(n)) {
            return;
        }
        let mut desc = (**d).clone();
        let added: Vec<(String, String)> =
            labels.iter().filter(|(n, _)| !has(n)).cloned().collect();
        desc.const_labels.extend(added);
        self.desc = Arc::new(desc);
    }
    /// Prepends `prefix` to the name.
    pub(crate) fn prefix_name(&mut self, prefix: &str) {
        if prefix.is_empty() {
            return;
        }
        let mut desc = (*self.desc).clone();
        desc.name.insert_str(0, prefix);
        self.desc = Arc::new(desc);
    }
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

/// Builds a [`FamilySnapshot`] that no registered metric backs: what a collector (see
/// [`Registry::register_collector`](crate::Registry::register_collector)) returns. Names,
/// label names and values are checked as a registered metric's are, and the encoders treat
/// the family exactly like a registered one.
///
/// ```
/// use pushmetrics::{FamilySnapshot, MetricType, Value};
/// let mut b = FamilySnapshot::builder("queue_depth", "Jobs waiting", MetricType::Gauge, &["queue"])
///     .unwrap();
/// b.add(&["mail"], Value::Gauge(3.0)).unwrap();
/// b.add(&["sms"], Value::Gauge(0.0)).unwrap();
/// assert!(b.add(&["mail", "extra"], Value::Gauge(1.0)).is_err());
/// let fam = b.build();
/// assert_eq!(fam.get(&["mail"]), Some(&Value::Gauge(3.0)));
/// ```
#[must_use]
pub struct FamilySnapshotBuilder {
    desc: Desc,
    arena: Vec<u8>,
    series: Vec<SeriesSnapshot>,
    seen: std::collections::HashSet<Vec<String>>,
}

impl FamilySnapshot {
    /// Starts a family named `name` of type `kind` whose series carry `label_names`.
    pub fn builder<S: AsRef<str>>(
        name: &str,
        help: &str,
        kind: MetricType,
        label_names: &[S],
    ) -> Result<FamilySnapshotBuilder> {
        validate_metric_name(name)?;
        if label_names.len() > MAX_LABELS {
            return Err(Error::InvalidConfig(format!(
                "metric {name:?} has {} labels; at most {MAX_LABELS} are allowed",
                label_names.len()
            )));
        }
        let reserved = match kind {
            MetricType::Histogram => "le",
            MetricType::Summary => "quantile",
            _ => "",
        };
        let mut names: Vec<String> = Vec::with_capacity(label_names.len());
        for n in label_names {
            let n = n.as_ref();
            validate_label_name(n)?;
            if n == reserved {
                return Err(Error::InvalidLabelName(n.to_owned()));
            }
            if names.iter().any(|m| m == n) {
                return Err(Error::DuplicateLabelName(n.to_owned()));
            }
            names.push(n.to_owned());
        }
        Ok(FamilySnapshotBuilder {
            desc: Desc {
                name: name.to_owned(),
                help: help.to_owned(),
                kind,
                declared: names.clone(),
                exposed: names,
                const_labels: Vec::new(),
            },
            arena: Vec::new(),
            series: Vec::new(),
            seen: Default::default(),
        })
    }
}

impl FamilySnapshotBuilder {
    /// Adds the series with these label values (in the order of the label names). The value
    /// must be of the family's type; a counter's is a number `>= 0`, a histogram's counts are
    /// cumulative over increasing bounds, a summary's quantiles lie in `0..=1`. A label set
    /// given twice is an error.
    pub fn add<S: AsRef<str>>(&mut self, values: &[S], value: Value) -> Result<()> {
        let d = &self.desc;
        if values.len() != d.exposed.len() {
            return Err(Error::LabelCount {
                metric: d.name.clone(),
                expected: d.exposed.len(),
                got: values.len(),
            });
        }
        let invalid = |value: f64, reason: &'static str| Error::InvalidValue {
            metric: d.name.clone(),
            value,
            reason,
        };
        match (&value, d.kind) {
            (Value::Counter(v), MetricType::Counter) => {
                if v.is_nan() || *v < 0.0 {
                    return Err(invalid(*v, "a counter must be a number >= 0"));
                }
            }
            (Value::Gauge(_), MetricType::Gauge) => {}
            (Value::Histogram(h), MetricType::Histogram) => {
                if h.cumulative.len() != h.bounds.len() + 1 {
                    return Err(invalid(
                        h.cumulative.len() as f64,
                        "a histogram needs one cumulative count per bound plus one for +Inf",
                    ));
                }
                if let Some(w) = h.bounds.windows(2).find(|w| w[0] >= w[1] || w[1].is_nan()) {
                    return Err(invalid(w[1], "histogram bounds must increase strictly"));
                }
                if let Some(b) = h.bounds.iter().find(|b| !b.is_finite()) {
                    return Err(invalid(
                        *b,
                        "histogram bounds must be finite (+Inf is implied)",
                    ));
                }
                if h.cumulative.windows(2).any(|w| w[0] > w[1]) {
                    return Err(invalid(
                        h.count as f64,
                        "histogram bucket counts must be cumulative (never decrease)",
                    ));
                }
                if h.cumulative.last() != Some(&h.count) {
                    return Err(invalid(
                        h.count as f64,
                        "a histogram's count must equal its +Inf bucket",
                    ));
                }
            }
            (Value::Summary(s), MetricType::Summary) => {
                if let Some((q, _)) = s.quantiles.iter().find(|(q, _)| !(0.0..=1.0).contains(q)) {
                    return Err(invalid(*q, "a quantile must lie in 0..=1"));
                }
            }
            _ => {
                return Err(Error::InvalidConfig(format!(
                    "metric {:?} is a {}; a value of another type was given ({value:?})",
                    d.name,
                    d.kind.as_str()
                )))
            }
        }
        let key: Vec<String> = values.iter().map(|v| v.as_ref().to_owned()).collect();
        if !self.seen.insert(key) {
            return Err(Error::InvalidConfig(format!(
                "metric {:?}: the label values {:?} are given twice",
                d.name,
                values.iter().map(|v| v.as_ref()).collect::<Vec<_>>()
            )));
        }
        let start = self.arena.len() as u32;
        LabelValues::new(values).encode_into(values.len(), &mut self.arena);
        self.series.push(SeriesSnapshot {
            labels: (start, self.arena.len() as u32),
            value,
        });
        Ok(())
    }

    /// The family.
    pub fn build(self) -> FamilySnapshot {
        FamilySnapshot {
            desc: Arc::new(self.desc),
            arena: self.arena,
            series: self.series,
            spare: None,
        }
    }
}
