//! The registry: owns metric families, enforces unique names and the registry-wide limits,
//! and produces snapshots. There is one process-wide default and any number of private ones.

use crate::cardinality::{Guard, GuardCounts, MAX_LABELS, MAX_VALUE_LENGTH, MIN_VALUE_LENGTH};
use crate::error::{Error, Result};
use crate::fork::{Forkable, Hold};
use crate::labels::{validate_label_name, validate_metric_name};
use crate::metric::counter::{Counter, CounterKind, CounterVec};
use crate::metric::gauge::{Gauge, GaugeKind, GaugeVec};
use crate::metric::histogram::{Histogram, HistogramKind, HistogramVec};
use crate::metric::summary::{Summary, SummaryKind, SummaryVec};
use crate::metric::{AnyFamily, Desc, Family, Kind, TypeOptions};
use crate::sampling::{Sampler, Sampling};
use crate::snapshot::Snapshot;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, OnceLock, RwLock, RwLockWriteGuard, Weak};
use std::time::{Duration, Instant};

/// Limits and clocks every family of one registry shares.
pub(crate) struct Shared {
    pub(crate) max_series_per_metric: usize,
    pub(crate) max_series: usize,
    pub(crate) max_label_value_length: usize,
    pub(crate) ttl_secs: Option<u32>,
    series: AtomicUsize,
    epoch: Instant,
}

impl Shared {
    /// Takes one slot of the registry-wide limit, or says there is none left.
    pub(crate) fn reserve_series(&self) -> bool {
        let prev = self.series.fetch_add(1, Relaxed);
        if prev >= self.max_series {
            self.series.fetch_sub(1, Relaxed);
            return false;
        }
        true
    }
    pub(crate) fn release_series(&self, n: usize) {
        self.series.fetch_sub(n, Relaxed);
    }
    pub(crate) fn now_secs(&self) -> u32 {
        self.epoch.elapsed().as_secs() as u32
    }
}

/// Options of a [`Registry`].
///
/// ```
/// use std::time::Duration;
/// let reg = pushmetrics::Registry::builder()
///     .max_series_per_metric(500)
///     .max_series(10_000)
///     .max_label_value_length(64)
///     .series_ttl(Duration::from_secs(600))
///     .build()
///     .unwrap();
/// # let _ = reg;
/// ```
#[derive(Clone, Debug)]
pub struct RegistryBuilder {
    max_series_per_metric: usize,
    max_series: usize,
    max_label_value_length: usize,
    series_ttl: Option<Duration>,
}

impl Default for RegistryBuilder {
    fn default() -> Self {
        RegistryBuilder {
            max_series_per_metric: 2000,
            max_series: 100_000,
            max_label_value_length: 256,
            series_ttl: None,
        }
    }
}

impl RegistryBuilder {
    /// Series per metric before new label sets fold into the overflow series (default 2000).
    pub fn max_series_per_metric(mut self, n: usize) -> Self {
        self.max_series_per_metric = n;
        self
    }
    /// Series in the whole registry (default 100,000).
    pub fn max_series(mut self, n: usize) -> Self {
        self.max_series = n;
        self
    }
    /// Longest label value kept as is, in bytes (default 256); longer ones are cut and get a
    /// hash suffix.
    pub fn max_label_value_length(mut self, n: usize) -> Self {
        self.max_label_value_length = n;
        self
    }
    /// Evict series idle for longer than this at snapshot time (default: never).
    pub fn series_ttl(mut self, ttl: Duration) -> Self {
        self.series_ttl = Some(ttl);
        self
    }
    /// Builds the registry.
    pub fn build(self) -> Result<Registry> {
        if self.max_series_per_metric == 0 || self.max_series == 0 {
            return Err(Error::InvalidConfig(format!(
                "max_series_per_metric ({}) and max_series ({}) must be at least 1",
                self.max_series_per_metric, self.max_series
            )));
        }
        if !(MIN_VALUE_LENGTH..=MAX_VALUE_LENGTH).contains(&self.max_label_value_length) {
            return Err(Error::InvalidConfig(format!(
                "max_label_value_length {} must be between {MIN_VALUE_LENGTH} and {MAX_VALUE_LENGTH}",
                self.max_label_value_length
            )));
        }
        let ttl_secs = match self.series_ttl {
            Some(t) if t.is_zero() => {
                return Err(Error::InvalidConfig("series_ttl must be > 0".into()))
            }
            Some(t) => Some(t.as_secs().clamp(1, u32::MAX as u64) as u32),
            None => None,
        };
        let inner = Arc::new(Inner {
            shared: Arc::new(Shared {
                max_series_per_metric: self.max_series_per_metric,
                max_series: self.max_series,
                max_label_value_length: self.max_label_value_length,
                ttl_secs,
                series: AtomicUsize::new(0),
                epoch: Instant::now(),
            }),
            families: RwLock::new(Vec::new()),
            hooks: RwLock::new(Vec::new()),
        });
        crate::fork::register(Arc::downgrade(&inner) as Weak<dyn Forkable>);
        Ok(Registry { inner })
    }
}

/// A registry's locks taken before a fork: its hooks, its list of families and each
/// family's. Fields drop in the order the locks are let go.
struct RegistryHold {
    families: Vec<Box<dyn Hold>>,
    list: Option<RwLockWriteGuard<'static, Vec<Entry>>>,
    hooks: Option<RwLockWriteGuard<'static, Vec<Hook>>>,
    _inner: Arc<Inner>,
}

impl Hold for RegistryHold {
    fn release(&mut self) {
        for f in self.families.iter_mut().rev() {
            f.release();
        }
        self.list = None;
        self.hooks = None;
    }
}

impl Forkable for Inner {
    fn rank(&self) -> u8 {
        1
    }

    fn hold(self: Arc<Self>) -> Box<dyn Hold> {
        let hooks = self.hooks.write().unwrap_or_else(|e| e.into_inner());
        let list = self.families.write().unwrap_or_else(|e| e.into_inner());
        let families = list.iter().map(|e| e.family.clone().hold()).collect();
        // SAFETY: the guards borrow from `self`, which `_inner` keeps alive; the hold drops
        // (or forgets) them before it.
        unsafe {
            Box::new(RegistryHold {
                families,
                list: Some(std::mem::transmute::<
                    RwLockWriteGuard<'_, Vec<Entry>>,
                    RwLockWriteGuard<'static, Vec<Entry>>,
                >(list)),
                hooks: Some(std::mem::transmute::<
                    RwLockWriteGuard<'_, Vec<Hook>>,
                    RwLockWriteGuard<'static, Vec<Hook>>,
                >(hooks)),
                _inner: self.clone(),
            })
        }
    }
}

struct Entry {
    family: Arc<dyn AnyFamily>,
    any: Arc<dyn std::any::Any + Send + Sync>,
    name: String,
}

/// A function run at the start of every snapshot.
type Hook = Arc<dyn Fn() + Send + Sync>;

struct Inner {
    shared: Arc<Shared>,
    families: RwLock<Vec<Entry>>,
    hooks: RwLock<Vec<Hook>>,
}

/// A set of metric families. Cloning is cheap and shares the families.
///
/// ```
/// let reg = pushmetrics::Registry::new();
/// let c = reg.counter("events_total", "Events").build().unwrap();
/// c.inc();
/// // The same definition again returns the same metric; a different one is an error.
/// assert_eq!(reg.counter("events_total", "Events").build().unwrap().get(), 1.0);
/// assert!(reg.gauge("events_total", "Events").build().is_err());
/// ```
#[derive(Clone)]
pub struct Registry {
    inner: Arc<Inner>,
}

impl Default for Registry {
    fn default() -> Self {
        Registry::new()
    }
}

impl Registry {
    /// A registry with the default limits.
    pub fn new() -> Registry {
        RegistryBuilder::default()
            .build()
            .expect("defaults are valid")
    }

    /// Options for a new registry.
    pub fn builder() -> RegistryBuilder {
        RegistryBuilder::default()
    }

    /// The process-wide default registry.
    pub fn default_registry() -> &'static Registry {
        static DEFAULT: OnceLock<Registry> = OnceLock::new();
        DEFAULT.get_or_init(Registry::new)
    }

    /// Starts defining a counter.
    pub fn counter(&self, name: &str, help: &str) -> MetricBuilder<'_, CounterKind> {
        MetricBuilder::new(self, name, help)
    }
    /// Starts defining a gauge.
    pub fn gauge(&self, name: &str, help: &str) -> MetricBuilder<'_, GaugeKind> {
        MetricBuilder::new(self, name, help)
    }

    /// Starts defining a histogram (default buckets unless `.buckets(..)`).
    pub fn histogram(&self, name: &str, help: &str) -> MetricBuilder<'_, HistogramKind> {
        MetricBuilder::new(self, name, help)
    }

    /// Starts defining a summary (quantiles 0.5, 0.9, 0.99 over 10 minutes by default).
    pub fn summary(&self, name: &str, help: &str) -> MetricBuilder<'_, SummaryKind> {
        MetricBuilder::new(self, name, help)
    }

    /// Removes the family `name`; returns whether it existed. Handles keep working but are
    /// no longer reported.
    pub fn unregister(&self, name: &str) -> bool {
        let mut fams = self
            .inner
            .families
            .write()
            .unwrap_or_else(|e| e.into_inner());
        let before = fams.len();
        fams.retain(|e| e.name != name);
        before != fams.len()
    }

    /// Runs `hook` at the start of every snapshot, on the thread taking it (the push thread,
    /// for scheduled pushes). A binding that buffers updates outside the core (in memory
    /// shared with a JIT, say) uses it to hand them over before the values are read.
    /// The hook must not take a snapshot itself.
    ///
    /// ```
    /// let reg = pushmetrics::Registry::new();
    /// let c = reg.counter("buffered_total", "B").build().unwrap();
    /// let c2 = c.clone();
    /// reg.on_snapshot(move || c2.inc());
    /// assert!(reg.encode_text().contains("buffered_total 1"));
    /// ```
    pub fn on_snapshot(&self, hook: impl Fn() + Send + Sync + 'static) {
        self.inner
            .hooks
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::new(hook));
    }

    /// An immutable view of every family and series. Recorders are blocked at most for the
    /// time it takes to copy one family's series list.
    pub fn snapshot(&self) -> Snapshot {
        crate::fork::check();
        let hooks = self
            .inner
            .hooks
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for hook in hooks {
            hook();
        }
        let fams: Vec<Arc<dyn AnyFamily>> = self
            .inner
            .families
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|e| e.family.clone())
            .collect();
        Snapshot {
            families: fams.iter().map(|f| f.collect()).collect(),
        }
    }

    /// Per metric: what the cardinality guard and the sampler did.
    pub fn guard_stats(&self) -> Vec<(String, GuardCounts)> {
        self.inner
            .families
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|e| (e.name.clone(), e.family.guard_stats()))
            .collect()
    }

    /// Whether `other` is this registry (or a clone of it).
    pub(crate) fn same_as(&self, other: &Registry) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Sets every counter, histogram and summary back to zero; gauges keep their values.
    /// Series and handles stay. A forked child does this so it never reports the
    /// parent's counts a second time.
    pub fn reset(&self) {
        for e in self
            .inner
            .families
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            e.family.reset();
        }
    }

    /// Live series in the registry.
    pub fn series_count(&self) -> usize {
        self.inner.shared.series.load(Relaxed)
    }

    /// The registry in the Prometheus text format 0.0.4.
    pub fn encode_text(&self) -> String {
        let mut out = Vec::new();
        crate::encode::text::encode(&self.snapshot(), &mut out);
        String::from_utf8(out).expect("the text encoder writes UTF-8")
    }

    fn register<K: Kind>(&self, b: MetricBuilder<'_, K>, labelled: bool) -> Result<Arc<Family<K>>> {
        validate_metric_name(&b.name)?;
        if !labelled && !b.labels.is_empty() {
            return Err(Error::InvalidConfig(format!(
                "metric {:?} has label names {:?}: build it with build_vec()",
                b.name, b.labels
            )));
        }
        if b.labels.len() + b.const_labels.len() > MAX_LABELS {
            return Err(Error::InvalidConfig(format!(
                "metric {:?} has {} labels; at most {MAX_LABELS} are allowed",
                b.name,
                b.labels.len() + b.const_labels.len()
            )));
        }
        let mut all: Vec<&str> = Vec::new();
        for n in b.labels.iter().chain(b.const_labels.iter().map(|(n, _)| n)) {
            validate_label_name(n)?;
            if n == K::RESERVED {
                return Err(Error::InvalidLabelName(n.clone()));
            }
            if all.contains(&n.as_str()) {
                return Err(Error::DuplicateLabelName(n.clone()));
            }
            all.push(n);
        }
        let index = |n: &str| {
            b.labels
                .iter()
                .position(|l| l == n)
                .ok_or_else(|| Error::UnknownLabel {
                    metric: b.name.clone(),
                    label: n.to_owned(),
                })
        };
        let mut hashed = Vec::new();
        for (n, buckets) in &b.hashed {
            if *buckets == 0 {
                return Err(Error::InvalidConfig(format!(
                    "hashed label {n:?} needs at least 1 bucket"
                )));
            }
            hashed.push((index(n)?, *buckets));
        }
        let dropped = b
            .dropped
            .iter()
            .map(|n| index(n))
            .collect::<Result<Vec<_>>>()?;
        if hashed.iter().any(|(i, _)| dropped.contains(i)) {
            return Err(Error::InvalidConfig(format!(
                "metric {:?}: a label cannot be both hashed and dropped",
                b.name
            )));
        }
        if b.max_series == Some(0) {
            return Err(Error::InvalidConfig(format!(
                "metric {:?}: max_series must be at least 1",
                b.name
            )));
        }
        b.sampling.validate()?;
        if K::TYPE == crate::MetricType::Gauge && b.sampling != Sampling::Always {
            return Err(Error::InvalidConfig(format!(
                "metric {:?}: gauges cannot be sampled (a set is not additive)",
                b.name
            )));
        }
        let cfg = K::config(&b.opts)?;
        let desc = Desc {
            exposed: b
                .labels
                .iter()
                .enumerate()
                .filter(|(i, _)| !dropped.contains(i))
                .map(|(_, n)| n.clone())
                .collect(),
            name: b.name,
            help: b.help,
            kind: K::TYPE,
            declared: b.labels,
            const_labels: b.const_labels,
        };
        let guard = Guard {
            max_series: b.max_series,
            max_value_len: self.inner.shared.max_label_value_length,
            hashed,
            dropped,
        };

        let mut fams = self
            .inner
            .families
            .write()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(e) = fams.iter().find(|e| e.name == desc.name) {
            let reason = match e.any.clone().downcast::<Family<K>>() {
                Err(_) => "with another type".to_string(),
                Ok(f) if *f.desc != desc => {
                    format!(
                        "with another help, label names or constant labels ({:?})",
                        f.desc
                    )
                }
                Ok(f) if f.cfg != cfg => format!("with other buckets or quantiles ({:?})", f.cfg),
                Ok(f) if f.guard != guard => "with other cardinality options".to_string(),
                Ok(f) => return Ok(f),
            };
            return Err(Error::Conflict {
                name: desc.name,
                reason,
            });
        }
        let family = Arc::new(Family::<K>::new(
            desc,
            cfg,
            guard,
            Sampler::new(b.sampling),
            self.inner.shared.clone(),
        ));
        fams.push(Entry {
            name: family.name().to_owned(),
            family: family.clone(),
            any: family.clone(),
        });
        Ok(family)
    }
}

/// Defines a metric: name, help, labels and options, then `build()` (no labels) or
/// `build_vec()` (with labels).
///
/// ```
/// use pushmetrics::{Registry, Sampling};
/// let reg = Registry::new();
/// let lat = reg
///     .histogram("request_seconds", "Request latency")
///     .labels(&["route", "user"])
///     .const_label("service", "api")
///     .buckets(pushmetrics::exponential_buckets(0.001, 2.0, 12).unwrap())
///     .hashed_label("user", 16)          // at most 16 distinct values
///     .max_series(100)
///     .sampling(Sampling::Probability(0.5))
///     .build_vec()
///     .unwrap();
/// lat.observe(&["/", "alice"], 0.02).unwrap();
/// ```
#[must_use]
pub struct MetricBuilder<'r, K> {
    registry: &'r Registry,
    name: String,
    help: String,
    labels: Vec<String>,
    const_labels: Vec<(String, String)>,
    sampling: Sampling,
    max_series: Option<usize>,
    hashed: Vec<(String, u32)>,
    dropped: Vec<String>,
    opts: TypeOptions,
    _kind: PhantomData<K>,
}

#[allow(private_bounds)]
impl<'r, K: Kind> MetricBuilder<'r, K> {
    fn new(registry: &'r Registry, name: &str, help: &str) -> Self {
        MetricBuilder {
            registry,
            name: name.to_owned(),
            help: help.to_owned(),
            labels: Vec::new(),
            const_labels: Vec::new(),
            sampling: Sampling::Always,
            max_series: None,
            hashed: Vec::new(),
            dropped: Vec::new(),
            opts: TypeOptions::default(),
            _kind: PhantomData,
        }
    }
    /// Label names, in the order values will be given.
    pub fn labels<S: AsRef<str>>(mut self, names: &[S]) -> Self {
        self.labels = names.iter().map(|s| s.as_ref().to_owned()).collect();
        self
    }
    /// A label every series carries with the same value.
    pub fn const_label(mut self, name: &str, value: &str) -> Self {
        self.const_labels.push((name.to_owned(), value.to_owned()));
        self
    }
    /// How recording calls are sampled (counters, histograms, summaries).
    pub fn sampling(mut self, sampling: Sampling) -> Self {
        self.sampling = sampling;
        self
    }
    /// Series limit of this metric (overrides the registry's `max_series_per_metric`).
    pub fn max_series(mut self, n: usize) -> Self {
        self.max_series = Some(n);
        self
    }
    /// Maps the values of label `name` to `buckets` hash buckets.
    pub fn hashed_label(mut self, name: &str, buckets: u32) -> Self {
        self.hashed.push((name.to_owned(), buckets));
        self
    }
    /// Aggregates label `name` away: series differing only in it are one series.
    pub fn dropped_label(mut self, name: &str) -> Self {
        self.dropped.push(name.to_owned());
        self
    }
}

impl MetricBuilder<'_, HistogramKind> {
    /// Upper bounds of the buckets, strictly increasing (`+Inf` is implied).
    pub fn buckets(mut self, bounds: Vec<f64>) -> Self {
        self.opts.buckets = Some(bounds);
        self
    }
}

impl MetricBuilder<'_, SummaryKind> {
    /// Quantiles to report, each in 0..=1.
    pub fn quantiles(mut self, q: &[f64]) -> Self {
        self.opts.quantiles = Some(q.to_vec());
        self
    }
    /// Length of the sliding window (default 10 minutes).
    pub fn max_age(mut self, d: Duration) -> Self {
        self.opts.max_age = Some(d);
        self
    }
    /// Number of sub-windows the window slides by (default 5).
    pub fn age_buckets(mut self, n: u32) -> Self {
        self.opts.age_buckets = Some(n);
        self
    }
}

macro_rules! builds {
    ($kind:ty, $one:ident, $vec:ident) => {
        impl MetricBuilder<'_, $kind> {
            /// Registers a metric without labels (or returns the identical existing one).
            pub fn build(self) -> Result<$one> {
                let reg = self.registry;
                let fam = reg.register::<$kind>(self, false)?;
                Ok($one::new(fam.resolve::<&str>(&[])?))
            }
            /// Registers a metric with labels (or returns the identical existing one).
            pub fn build_vec(self) -> Result<$vec> {
                let reg = self.registry;
                Ok($vec::new(reg.register::<$kind>(self, true)?))
            }
        }
    };
}
builds!(CounterKind, Counter, CounterVec);
builds!(GaugeKind, Gauge, GaugeVec);
builds!(HistogramKind, Histogram, HistogramVec);
builds!(SummaryKind, Summary, SummaryVec);
