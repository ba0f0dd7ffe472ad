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
use crate::snapshot::{FamilySnapshot, Snapshot};
use crate::Value;
use std::marker::PhantomData;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
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
    /// Multiprocess mode, once turned on.
    pub(crate) mp: OnceLock<Arc<crate::multiprocess::Multiproc>>,
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
                mp: OnceLock::new(),
            }),
            families: RwLock::new(Vec::new()),
            hooks: RwLock::new(Vec::new()),
            collectors: RwLock::new(Vec::new()),
            default_labels: RwLock::new(Arc::new(Vec::new())),
        });
        crate::fork::register(Arc::downgrade(&inner) as Weak<dyn Forkable>);
        Ok(Registry { inner })
    }
}

/// A registry's locks taken before a fork: its hooks, its collectors, its list of families
/// and each family's. Fields drop in the order the locks are let go.
struct RegistryHold {
    mp_file:
        Option<std::sync::RwLockWriteGuard<'static, Option<Arc<crate::multiprocess::ProcFile>>>>,
    families: Vec<Box<dyn Hold>>,
    list: Option<RwLockWriteGuard<'static, Vec<Entry>>>,
    collectors: Option<RwLockWriteGuard<'static, Vec<Arc<Collector>>>>,
    hooks: Option<RwLockWriteGuard<'static, Vec<Hook>>>,
    default_labels: Option<RwLockWriteGuard<'static, Labels>>,
    _inner: Arc<Inner>,
}

impl Hold for RegistryHold {
    fn release(&mut self) {
        self.mp_file = None;
        for f in self.families.iter_mut().rev() {
            f.release();
        }
        self.list = None;
        self.collectors = None;
        self.hooks = None;
        self.default_labels = None;
    }
}

impl Forkable for Inner {
    fn rank(&self) -> u8 {
        1
    }

    fn hold(self: Arc<Self>) -> Box<dyn Hold> {
        let default_labels = self
            .default_labels
            .write()
            .unwrap_or_else(|e| e.into_inner());
        let hooks = self.hooks.write().unwrap_or_else(|e| e.into_inner());
        let collectors = self.collectors.write().unwrap_or_else(|e| e.into_inner());
        let list = self.families.write().unwrap_or_else(|e| e.into_inner());
        let families = list.iter().map(|e| e.family.clone().hold()).collect();
        // Taken last: an update holds a family's lock when it takes this one.
        let mp_file = self.shared.mp.get().map(|mp| mp.hold());
        // SAFETY: the guards borrow from `self`, which `_inner` keeps alive; the hold drops
        // (or forgets) them before it.
        unsafe {
            Box::new(RegistryHold {
                mp_file: std::mem::transmute::<
                    Option<
                        std::sync::RwLockWriteGuard<'_, Option<Arc<crate::multiprocess::ProcFile>>>,
                    >,
                    Option<
                        std::sync::RwLockWriteGuard<
                            'static,
                            Option<Arc<crate::multiprocess::ProcFile>>,
                        >,
                    >,
                >(mp_file),
                families,
                list: Some(std::mem::transmute::<
                    RwLockWriteGuard<'_, Vec<Entry>>,
                    RwLockWriteGuard<'static, Vec<Entry>>,
                >(list)),
                collectors: Some(std::mem::transmute::<
                    RwLockWriteGuard<'_, Vec<Arc<Collector>>>,
                    RwLockWriteGuard<'static, Vec<Arc<Collector>>>,
                >(collectors)),
                hooks: Some(std::mem::transmute::<
                    RwLockWriteGuard<'_, Vec<Hook>>,
                    RwLockWriteGuard<'static, Vec<Hook>>,
                >(hooks)),
                default_labels: Some(std::mem::transmute::<
                    RwLockWriteGuard<'_, Labels>,
                    RwLockWriteGuard<'static, Labels>,
                >(default_labels)),
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

/// `(name, value)` pairs that snapshots share.
type Labels = Arc<Vec<(String, String)>>;

/// A function run at the start of every snapshot.
type Hook = Arc<dyn Fn() + Send + Sync>;

/// What a collector returns: the families it computed, or why it could not.
pub type CollectResult = std::result::Result<Vec<FamilySnapshot>, String>;

/// A function that computes families at snapshot time, with the count of its failures.
struct Collector {
    name: String,
    collect: Box<dyn Fn() -> CollectResult + Send + Sync>,
    failures: AtomicU64,
}

/// What the collectors returned at one snapshot, each with its collector.
pub(crate) struct Collected(Vec<(Arc<Collector>, CollectResult)>);

impl From<Vec<(Arc<Collector>, CollectResult)>> for Collected {
    fn from(v: Vec<(Arc<Collector>, CollectResult)>) -> Self {
        Collected(v)
    }
}

/// The self-metric counting failed collector calls, by collector.
pub const COLLECTOR_FAILURES: &str = "pushmetrics_collector_failures_total";

struct Inner {
    shared: Arc<Shared>,
    families: RwLock<Vec<Entry>>,
    hooks: RwLock<Vec<Hook>>,
    collectors: RwLock<Vec<Arc<Collector>>>,
    /// Labels added to every family of a snapshot (see [`Registry::set_default_labels`]).
    default_labels: RwLock<Labels>,
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

    /// The process-wide default registry. It reports the process metrics from the start
    /// (see [`register_process_collector`](Registry::register_process_collector)).
    pub fn default_registry() -> &'static Registry {
        static DEFAULT: OnceLock<Registry> = OnceLock::new();
        DEFAULT.get_or_init(|| {
            let reg = Registry::new();
            reg.register_process_collector()
                .expect("a new registry has no collector");
            if let Err(e) = reg.join_multiprocess_from_env() {
                log::error!(target: "pushmetrics", "multiprocess mode not joined: {e}");
            }
            reg
        })
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

    /// Runs `collect` at every snapshot (so at every push, scheduled or not, every textfile
    /// write and every scrape), on the thread taking it, and reports the families it returns
    /// after the registered ones. A collector that returns `Err` or panics, or returns a
    /// family whose name is taken (by a registered metric, another collector's family, or
    /// the `_bucket`, `_sum` and `_count` lines of a histogram or summary), is logged and
    /// counted in `pushmetrics_collector_failures_total{collector="<name>"}`; everything else
    /// is still reported. A name already registered as a collector is an error.
    /// The collector must not take a snapshot itself.
    ///
    /// ```
    /// use pushmetrics::{FamilySnapshot, MetricType, Registry, Value};
    /// let reg = Registry::new();
    /// reg.register_collector("queues", || {
    ///     let mut b = FamilySnapshot::builder("queue_depth", "Jobs waiting", MetricType::Gauge, &["queue"])
    ///         .map_err(|e| e.to_string())?;
    ///     b.add(&["mail"], Value::Gauge(3.0)).map_err(|e| e.to_string())?;
    ///     Ok(vec![b.build()])
    /// })
    /// .unwrap();
    /// assert!(reg.encode_text().contains("queue_depth{queue=\"mail\"} 3"));
    /// assert!(reg.register_collector("queues", || Ok(vec![])).is_err());
    /// assert!(reg.unregister_collector("queues"));
    /// ```
    pub fn register_collector(
        &self,
        name: &str,
        collect: impl Fn() -> CollectResult + Send + Sync + 'static,
    ) -> Result<()> {
        let mut list = self
            .inner
            .collectors
            .write()
            .unwrap_or_else(|e| e.into_inner());
        if list.iter().any(|c| c.name == name) {
            return Err(Error::Conflict {
                name: name.to_owned(),
                reason: "as a collector".to_owned(),
            });
        }
        list.push(Arc::new(Collector {
            name: name.to_owned(),
            collect: Box::new(collect),
            failures: AtomicU64::new(0),
        }));
        Ok(())
    }

    /// Removes the collector `name`; returns whether it existed. Its failure count goes
    /// with it.
    pub fn unregister_collector(&self, name: &str) -> bool {
        let mut list = self
            .inner
            .collectors
            .write()
            .unwrap_or_else(|e| e.into_inner());
        let before = list.len();
        list.retain(|c| c.name != name);
        before != list.len()
    }

    /// Turns on multiprocess mode (see [`crate::multiprocess`]): every process of the job
    /// writes its updates of this registry's metrics through to a file of its own in
    /// `dir` (made if missing; a new temporary directory if `None`), and the calling
    /// process, the owner, reports the sums over all of them. Processes forked afterwards
    /// are workers; so are processes it starts, which find the directory and the owner in
    /// `PUSHMETRICS_MULTIPROC_DIR` and `PUSHMETRICS_MULTIPROC_OWNER`, set here, and join
    /// with [`Registry::join_multiprocess_from_env`] (the default registry does that on
    /// its own). Series that already count are copied into the file, and the fork handlers
    /// are installed ([`crate::fork::install_handlers`]). Returns the
    /// directory. Turning it on a second time returns the same directory.
    ///
    /// Call it before workers start and before threads record: the environment is
    /// changed, and an update racing with the copy may be counted twice.
    pub fn enable_multiprocess(&self, dir: Option<&std::path::Path>) -> Result<std::path::PathBuf> {
        let mp = self.set_multiprocess(dir, None)?;
        std::env::set_var(crate::multiprocess::DIR_ENV, mp.dir());
        std::env::set_var(crate::multiprocess::OWNER_ENV, mp.owner().to_string());
        Ok(mp.dir().to_path_buf())
    }

    /// Joins the multiprocess mode named by `PUSHMETRICS_MULTIPROC_DIR` (and
    /// `PUSHMETRICS_MULTIPROC_OWNER`), if set: as a worker when another process owns it,
    /// as its owner otherwise (then the owner variable is set for the processes this one
    /// starts). Returns whether the mode is on.
    pub fn join_multiprocess_from_env(&self) -> Result<bool> {
        let Some(dir) = std::env::var_os(crate::multiprocess::DIR_ENV) else {
            return Ok(self.inner.shared.mp.get().is_some());
        };
        let owner = match std::env::var(crate::multiprocess::OWNER_ENV) {
            Ok(o) => Some(o.trim().parse::<u32>().map_err(|_| {
                Error::InvalidConfig(format!(
                    "{} {o:?} is not a process id",
                    crate::multiprocess::OWNER_ENV
                ))
            })?),
            Err(_) => None,
        };
        let mp = self.set_multiprocess(Some(std::path::Path::new(&dir)), owner)?;
        if owner.is_none() {
            std::env::set_var(crate::multiprocess::OWNER_ENV, mp.owner().to_string());
        }
        Ok(true)
    }

    fn set_multiprocess(
        &self,
        dir: Option<&std::path::Path>,
        owner: Option<u32>,
    ) -> Result<Arc<crate::multiprocess::Multiproc>> {
        if let Some(mp) = self.inner.shared.mp.get() {
            return Ok(mp.clone());
        }
        // Workers are forked: the library must see every fork.
        crate::fork::install_handlers();
        let fams = self
            .inner
            .families
            .read()
            .unwrap_or_else(|e| e.into_inner());
        let mp = Arc::new(crate::multiprocess::Multiproc::new(dir, owner)?);
        if self.inner.shared.mp.set(mp.clone()).is_err() {
            return Ok(self.inner.shared.mp.get().expect("just set").clone());
        }
        for e in fams.iter() {
            e.family.enable_mirror(&mp);
        }
        Ok(mp)
    }

    /// The multiprocess directory, when the mode is on.
    pub fn multiprocess_dir(&self) -> Option<std::path::PathBuf> {
        self.inner.shared.mp.get().map(|mp| mp.dir().to_path_buf())
    }

    /// Whether this process is a multiprocess worker: its pushers send nothing, since the
    /// owner reports what this process records.
    pub fn is_multiprocess_worker(&self) -> bool {
        self.inner.shared.mp.get().is_some_and(|mp| !mp.is_owner())
    }

    /// In the owner: removes the multiprocess directory if the mode made it, once nothing
    /// is to be reported any more (after the final push).
    pub fn remove_multiprocess_dir(&self) {
        if let Some(mp) = self.inner.shared.mp.get() {
            mp.remove_dir();
        }
    }

    /// Defines a gauge without labels whose value `f` computes at every snapshot: a
    /// collector named `name` reporting the gauge `name`. The name must be valid and free
    /// (no metric or collector has it); [`unregister_collector`](Registry::unregister_collector)
    /// removes it.
    ///
    /// ```
    /// let reg = pushmetrics::Registry::new();
    /// reg.gauge_func("answer", "The answer", || 42.0).unwrap();
    /// assert!(reg.encode_text().contains("answer 42\n"));
    /// assert!(reg.gauge_func("answer", "Again", || 0.0).is_err());
    /// ```
    pub fn gauge_func(
        &self,
        name: &str,
        help: &str,
        f: impl Fn() -> f64 + Send + Sync + 'static,
    ) -> Result<()> {
        let _ = FamilySnapshot::builder::<&str>(name, help, crate::MetricType::Gauge, &[])?;
        self.check_free(name)?;
        let (name_owned, help) = (name.to_owned(), help.to_owned());
        self.register_collector(name, move || {
            let mut b =
                FamilySnapshot::builder::<&str>(&name_owned, &help, crate::MetricType::Gauge, &[])
                    .map_err(|e| e.to_string())?;
            b.add::<&str>(&[], Value::Gauge(f()))
                .map_err(|e| e.to_string())?;
            Ok(vec![b.build()])
        })
    }

    /// Reports the process's CPU time, memory, open and maximum file descriptors and start
    /// time (`process_*`, with client_golang's and prometheus_client's names) through a
    /// collector named `process`. Only Linux has them; elsewhere the collector reports
    /// nothing. The default registry has it from the start.
    ///
    /// ```
    /// let reg = pushmetrics::Registry::new();
    /// reg.register_process_collector().unwrap();
    /// # #[cfg(target_os = "linux")]
    /// assert!(reg.encode_text().contains("# TYPE process_cpu_seconds_total counter"));
    /// ```
    pub fn register_process_collector(&self) -> Result<()> {
        self.register_collector("process", crate::process::collect)
    }

    /// [`register_process_collector`](Registry::register_process_collector) with `prefix`
    /// before every name and `labels` on every family, as prom-client's
    /// `collectDefaultMetrics({ prefix, labels })` applies them to `process_*`. The
    /// collector is still named `process`. Names are checked as metric and label names are.
    ///
    /// ```
    /// let reg = pushmetrics::Registry::new();
    /// reg.register_process_collector_with("app_", &[("service", "api")]).unwrap();
    /// # #[cfg(target_os = "linux")]
    /// assert!(reg.encode_text().contains("app_process_cpu_seconds_total{service=\"api\"} "));
    /// assert!(reg.register_process_collector_with("", &[("le", "x")]).is_err());
    /// ```
    pub fn register_process_collector_with(
        &self,
        prefix: &str,
        labels: &[(&str, &str)],
    ) -> Result<()> {
        validate_metric_name(&format!("{prefix}process_cpu_seconds_total"))?;
        let labels = checked_labels(labels)?;
        let prefix = prefix.to_owned();
        self.register_collector("process", move || {
            let mut fams = crate::process::collect()?;
            for f in &mut fams {
                f.prefix_name(&prefix);
                f.add_const_labels(&labels);
            }
            Ok(fams)
        })
    }

    /// An error if `name` is a registered metric or collector.
    pub(crate) fn check_free(&self, name: &str) -> Result<()> {
        let families = self
            .inner
            .families
            .read()
            .unwrap_or_else(|e| e.into_inner());
        let collectors = self
            .inner
            .collectors
            .read()
            .unwrap_or_else(|e| e.into_inner());
        let reason = if families.iter().any(|e| e.name == name) {
            "as a metric"
        } else if collectors.iter().any(|c| c.name == name) {
            "as a collector"
        } else {
            return Ok(());
        };
        Err(Error::Conflict {
            name: name.to_owned(),
            reason: reason.to_owned(),
        })
    }

    /// Runs the snapshot hooks, then calls every collector, before the registered
    /// families are read: a hook or a collector that sets a metric (`Gauge.set_function`
    /// in Python, `collect()` in Node) is then seen in the same snapshot, and a collector
    /// can report how the hooks went. No lock of the library is held meanwhile, so either
    /// may wait (for Python's GIL or Node's event loop, say) without holding back a fork:
    /// the push thread calls them before it enters [`crate::fork::enter`]'s section.
    pub(crate) fn call_collectors(&self) -> Collected {
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
        let collectors = self
            .inner
            .collectors
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        collectors
            .into_iter()
            .map(|c| {
                let result = catch_unwind(AssertUnwindSafe(|| (c.collect)()))
                    .unwrap_or_else(|p| Err(format!("panicked: {}", panic_message(&*p))));
                (c, result)
            })
            .collect::<Vec<_>>()
            .into()
    }

    /// Appends what the collectors returned to `families`, leaving out (and counting)
    /// failures and taken names, then the failure counts once any collector has failed.
    fn append_collected(families: &mut Vec<FamilySnapshot>, collected: Collected) {
        let Collected(collected) = collected;
        if collected.is_empty() {
            return;
        }
        let mut taken: std::collections::HashSet<String> = std::collections::HashSet::new();
        for f in families.iter() {
            taken.extend(line_names(f));
        }
        taken.insert(COLLECTOR_FAILURES.to_owned());
        let mut called = Vec::with_capacity(collected.len());
        for (c, result) in collected {
            called.push(c.clone());
            let fams = match result {
                Ok(fams) => fams,
                Err(reason) => {
                    c.fail(&reason);
                    continue;
                }
            };
            for f in fams {
                let lines = line_names(&f);
                if let Some(clash) = lines.iter().find(|n| taken.contains(*n)) {
                    c.fail(&format!(
                        "family {:?} left out: the name {clash:?} is already taken",
                        f.name()
                    ));
                    continue;
                }
                taken.extend(lines);
                families.push(f);
            }
        }
        let failed: Vec<_> = called
            .iter()
            .filter(|c| c.failures.load(Relaxed) > 0)
            .collect();
        if !failed.is_empty() {
            let mut b = FamilySnapshot::builder(
                COLLECTOR_FAILURES,
                "Collector calls that failed (returned an error, panicked or returned a family whose name is taken), by collector.",
                crate::MetricType::Counter,
                &["collector"],
            )
            .expect("a valid family");
            for c in failed {
                b.add(&[&c.name], Value::Counter(c.failures.load(Relaxed) as f64))
                    .expect("collector names are unique");
            }
            families.push(b.build());
        }
    }

    /// An immutable view of every family and series, what the collectors return included.
    /// Recorders are blocked at most for the time it takes to copy one family's series list.
    pub fn snapshot(&self) -> Snapshot {
        let collected = self.call_collectors();
        self.snapshot_with(collected)
    }

    /// [`snapshot`](Registry::snapshot) with what [`call_collectors`](Registry::call_collectors)
    /// returned a moment before.
    pub(crate) fn snapshot_with(&self, collected: Collected) -> Snapshot {
        crate::fork::check();
        let fams: Vec<Arc<dyn AnyFamily>> = self
            .inner
            .families
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|e| e.family.clone())
            .collect();
        let mut families: Vec<FamilySnapshot> = fams.iter().map(|f| f.collect()).collect();
        if let Some(mp) = self.inner.shared.mp.get().filter(|mp| mp.is_owner()) {
            merge_processes(&mut families, mp.aggregate());
        }
        Registry::append_collected(&mut families, collected);
        let defaults = self
            .inner
            .default_labels
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if !defaults.is_empty() {
            for f in &mut families {
                f.add_const_labels(&defaults);
            }
        }
        Snapshot { families }
    }

    /// Sets the labels that every series of every family carries in a snapshot, so in every
    /// push, textfile, scrape and [`encode_text`](Registry::encode_text): registered metrics
    /// and what collectors return alike, as prom-client's `setDefaultLabels`. A series that
    /// already has a label of the same name (its own or a constant label) keeps its value.
    /// The set replaces the previous one; an empty set clears it. Names are checked as label
    /// names are; `le` and `quantile`, which histograms and summaries reserve, are refused.
    ///
    /// `job` and the grouping labels of a pusher win over a default label of the same name:
    /// the Pushgateway replaces it with the group's value (the pusher warns once per family),
    /// and remote write leaves it out.
    ///
    /// ```
    /// let reg = pushmetrics::Registry::new();
    /// reg.counter("jobs_total", "Jobs").build().unwrap().inc();
    /// reg.gauge("queue", "Queue").labels(&["env"]).build_vec().unwrap().with(&["dev"]).unwrap().set(2.0);
    /// reg.set_default_labels(&[("env", "prod"), ("region", "eu")]).unwrap();
    /// let text = reg.encode_text();
    /// assert!(text.contains("jobs_total{env=\"prod\",region=\"eu\"} 1\n"));
    /// assert!(text.contains("env=\"dev\""));
    /// assert!(reg.set_default_labels(&[("le", "1")]).is_err());
    /// reg.set_default_labels(&[]).unwrap();
    /// assert!(reg.encode_text().contains("jobs_total 1\n"));
    /// ```
    pub fn set_default_labels(&self, labels: &[(&str, &str)]) -> Result<()> {
        let labels = checked_labels(labels)?;
        *self
            .inner
            .default_labels
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Arc::new(labels);
        Ok(())
    }

    /// The labels set by [`set_default_labels`](Registry::set_default_labels), in the order
    /// given.
    ///
    /// ```
    /// let reg = pushmetrics::Registry::new();
    /// reg.set_default_labels(&[("region", "eu")]).unwrap();
    /// assert_eq!(reg.default_labels(), vec![("region".to_string(), "eu".to_string())]);
    /// ```
    pub fn default_labels(&self) -> Vec<(String, String)> {
        self.inner
            .default_labels
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .to_vec()
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
            b.opts.multiprocess_mode.unwrap_or_default(),
        ));
        if let Some(mp) = self.inner.shared.mp.get() {
            family.enable_mirror(mp);
        }
        fams.push(Entry {
            name: family.name().to_owned(),
            family: family.clone(),
            any: family.clone(),
        });
        Ok(family)
    }
}

/// Puts what every process's file says in place of this process's own families: a
/// family the files know is replaced by their sums, plus the series only this process has
/// (made, never updated); families only other processes have come after the rest.
fn merge_processes(families: &mut Vec<FamilySnapshot>, aggregated: Vec<FamilySnapshot>) {
    for agg in aggregated {
        let Some(i) = families.iter().position(|f| f.name() == agg.name()) else {
            families.push(agg);
            continue;
        };
        let local = &families[i];
        let same_shape = local.const_labels().is_empty()
            && local.label_names() == agg.label_names()
            && local.metric_type() == agg.metric_type();
        if !same_shape
            || local.iter().all(|s| {
                let values: Vec<&str> = s.labels().map(|(_, v)| v).collect();
                agg.get(&values).is_some()
            })
        {
            families[i] = agg;
            continue;
        }
        let mut b =
            FamilySnapshot::builder(agg.name(), agg.help(), agg.metric_type(), agg.label_names())
                .expect("a family from a valid one");
        for s in agg.iter() {
            let values: Vec<&str> = s.labels().map(|(_, v)| v).collect();
            let _ = b.add(&values, s.value().clone());
        }
        for s in local.iter() {
            let values: Vec<&str> = s.labels().map(|(_, v)| v).collect();
            if agg.get(&values).is_none() {
                let _ = b.add(&values, s.value().clone());
            }
        }
        families[i] = b.build();
    }
}

impl Collector {
    /// Counts one failure and logs why (the application's logger limits repeats).
    fn fail(&self, reason: &str) {
        self.failures.fetch_add(1, Relaxed);
        log::warn!(target: "pushmetrics", "collector {:?} failed: {reason}", self.name);
    }
}

/// The names of the lines a family writes: its own, or for a histogram or summary also
/// those with the `_bucket`, `_sum` and `_count` suffixes.
fn line_names(f: &FamilySnapshot) -> Vec<String> {
    let n = f.name();
    match f.metric_type() {
        crate::MetricType::Histogram => vec![
            n.to_owned(),
            format!("{n}_bucket"),
            format!("{n}_sum"),
            format!("{n}_count"),
        ],
        crate::MetricType::Summary => {
            vec![n.to_owned(), format!("{n}_sum"), format!("{n}_count")]
        }
        _ => vec![n.to_owned()],
    }
}

/// `labels` as owned pairs once every name is a valid label name given once and none is
/// `le` or `quantile` (labels that apply to every family would clash on histograms or
/// summaries).
fn checked_labels(labels: &[(&str, &str)]) -> Result<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::with_capacity(labels.len());
    for (n, v) in labels {
        validate_label_name(n)?;
        if *n == "le" || *n == "quantile" {
            return Err(Error::InvalidLabelName((*n).to_owned()));
        }
        if out.iter().any(|(m, _)| m == n) {
            return Err(Error::DuplicateLabelName((*n).to_owned()));
        }
        out.push(((*n).to_owned(), (*v).to_owned()));
    }
    Ok(out)
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
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

impl MetricBuilder<'_, GaugeKind> {
    /// How the gauge's values in several processes combine in multiprocess mode (default
    /// [`GaugeMode::All`](crate::multiprocess::GaugeMode::All): one series per process).
    pub fn multiprocess_mode(mut self, mode: crate::multiprocess::GaugeMode) -> Self {
        self.opts.multiprocess_mode = Some(mode);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HistogramValue, MetricType};

    /// A copy of every family of `snap`, made through the public builder.
    fn rebuilt(snap: &Snapshot) -> Vec<FamilySnapshot> {
        snap.families()
            .iter()
            .map(|f| {
                let mut b =
                    FamilySnapshot::builder(f.name(), f.help(), f.metric_type(), f.label_names())
                        .unwrap();
                for s in f.iter() {
                    let values: Vec<&str> = s.labels().map(|(_, v)| v).collect();
                    b.add(&values, s.value().clone()).unwrap();
                }
                b.build()
            })
            .collect()
    }

    fn sample_registry() -> Registry {
        let reg = Registry::new();
        let c = reg
            .counter("jobs_total", "Jobs \"done\"")
            .labels(&["queue"])
            .build_vec()
            .unwrap();
        c.inc_by(&["mail"], 3.0).unwrap();
        c.inc(&["a\"b\\c\nd"]).unwrap();
        reg.gauge("temp_celsius", "Temp").build().unwrap().set(-2.5);
        let h = reg
            .histogram("latency_seconds", "Latency")
            .labels(&["route"])
            .buckets(vec![0.1, 1.0])
            .build_vec()
            .unwrap();
        for v in [0.05, 0.5, 2.0] {
            h.observe(&["/"], v).unwrap();
        }
        let s = reg.summary("size_bytes", "Size").build().unwrap();
        s.observe(10.0).unwrap();
        reg
    }

    #[test]
    fn collected_families_encode_exactly_like_registered_ones() {
        let reg = sample_registry();
        let snap = reg.snapshot();
        let copies = rebuilt(&snap);
        let collected = Registry::new();
        collected
            .register_collector("copy", move || Ok(copies.clone()))
            .unwrap();
        let other = collected.snapshot();
        assert_eq!(other.families().len(), snap.families().len());

        let (mut a, mut b) = (Vec::new(), Vec::new());
        crate::encode::text::encode(&snap, &mut a);
        crate::encode::text::encode(&other, &mut b);
        assert_eq!(String::from_utf8(a).unwrap(), String::from_utf8(b).unwrap());

        let (mut a, mut b) = (Vec::new(), Vec::new());
        crate::encode::protobuf::encode(&snap, &mut a);
        crate::encode::protobuf::encode(&other, &mut b);
        assert_eq!(a, b);

        let labels = [("job".to_string(), "j".to_string())];
        let a = crate::encode::remote_write::write_requests(&snap, &labels, 7, 2000);
        let b = crate::encode::remote_write::write_requests(&other, &labels, 7, 2000);
        assert_eq!(a, b);
    }

    #[test]
    fn collector_runs_at_every_snapshot() {
        let reg = Registry::new();
        let calls = Arc::new(AtomicU64::new(0));
        let c = calls.clone();
        reg.register_collector("calls", move || {
            let n = c.fetch_add(1, Relaxed) + 1;
            let mut b = FamilySnapshot::builder::<&str>("calls", "Calls", MetricType::Gauge, &[])
                .map_err(|e| e.to_string())?;
            b.add::<&str>(&[], Value::Gauge(n as f64))
                .map_err(|e| e.to_string())?;
            Ok(vec![b.build()])
        })
        .unwrap();
        assert!(reg.encode_text().contains("calls 1\n"));
        assert!(reg.encode_text().contains("calls 2\n"));
        assert!(reg.unregister_collector("calls"));
        assert!(!reg.unregister_collector("calls"));
        assert!(!reg.encode_text().contains("calls"));
    }

    #[test]
    fn a_collector_that_sets_a_metric_is_seen_in_the_same_snapshot() {
        let reg = Registry::new();
        let g = reg.gauge("set_by_collector", "S").build().unwrap();
        reg.register_collector("setter", move || {
            g.set(7.0);
            Ok(vec![])
        })
        .unwrap();
        let snap = reg.snapshot();
        let f = snap.family("set_by_collector").unwrap();
        assert_eq!(f.get(&[]), Some(&Value::Gauge(7.0)));
    }

    #[test]
    fn gauge_func_refuses_a_taken_or_invalid_name() {
        let reg = Registry::new();
        reg.counter("taken_total", "T").build().unwrap();
        assert!(matches!(
            reg.gauge_func("taken_total", "G", || 1.0),
            Err(Error::Conflict { .. })
        ));
        assert!(matches!(
            reg.gauge_func("bad name", "G", || 1.0),
            Err(Error::InvalidMetricName(_))
        ));
        reg.gauge_func("ok", "G", || 2.5).unwrap();
        assert_eq!(
            reg.snapshot().family("ok").unwrap().get(&[]),
            Some(&Value::Gauge(2.5))
        );
    }

    #[test]
    fn duplicate_collector_name_is_a_conflict_naming_it() {
        let reg = Registry::new();
        reg.register_collector("mine", || Ok(vec![])).unwrap();
        let err = reg.register_collector("mine", || Ok(vec![])).unwrap_err();
        assert!(matches!(err, Error::Conflict { ref name, .. } if name == "mine"));
        assert!(err.to_string().contains("mine"));
    }

    #[test]
    fn failing_collectors_are_counted_and_the_rest_still_goes_out() {
        let reg = Registry::new();
        reg.counter("kept_total", "Kept").build().unwrap().inc();
        reg.register_collector("errs", || Err("database down".into()))
            .unwrap();
        reg.register_collector("panics", || panic!("boom")).unwrap();
        reg.register_collector("fine", || {
            let mut b =
                FamilySnapshot::builder::<&str>("fine", "F", MetricType::Gauge, &[]).unwrap();
            b.add::<&str>(&[], Value::Gauge(1.0)).unwrap();
            Ok(vec![b.build()])
        })
        .unwrap();
        reg.snapshot();
        let snap = reg.snapshot();
        assert!(snap.family("kept_total").is_some());
        assert!(snap.family("fine").is_some());
        let f = snap.family(COLLECTOR_FAILURES).unwrap();
        assert_eq!(f.metric_type(), MetricType::Counter);
        assert_eq!(f.get(&["errs"]), Some(&Value::Counter(2.0)));
        assert_eq!(f.get(&["panics"]), Some(&Value::Counter(2.0)));
        assert_eq!(f.get(&["fine"]), None);
    }

    #[test]
    fn no_failure_family_until_a_collector_fails() {
        let reg = Registry::new();
        reg.register_collector("ok", || Ok(vec![])).unwrap();
        assert!(reg.snapshot().family(COLLECTOR_FAILURES).is_none());
    }

    #[test]
    fn collected_family_clashing_with_a_name_is_a_failure_never_a_duplicate() {
        let reg = Registry::new();
        reg.gauge("taken", "Registered").build().unwrap().set(1.0);
        reg.histogram("lat", "Registered")
            .build()
            .unwrap()
            .observe(1.0)
            .unwrap();
        let gauge = |name: &str| {
            let mut b = FamilySnapshot::builder::<&str>(name, "C", MetricType::Gauge, &[]).unwrap();
            b.add::<&str>(&[], Value::Gauge(2.0)).unwrap();
            b.build()
        };
        let fams = vec![
            gauge("taken"),
            gauge("lat_count"),
            gauge("fresh"),
            gauge("fresh"),
            gauge(COLLECTOR_FAILURES),
        ];
        reg.register_collector("clash", move || Ok(fams.clone()))
            .unwrap();
        let snap = reg.snapshot();
        let count = |n: &str| snap.families().iter().filter(|f| f.name() == n).count();
        assert_eq!(count("taken"), 1);
        assert_eq!(
            snap.family("taken").unwrap().get(&[]),
            Some(&Value::Gauge(1.0))
        );
        assert_eq!(count("lat_count"), 0);
        assert_eq!(count("fresh"), 1);
        assert_eq!(count(COLLECTOR_FAILURES), 1);
        assert_eq!(
            snap.family(COLLECTOR_FAILURES).unwrap().get(&["clash"]),
            Some(&Value::Counter(4.0)), // one per family left out
        );
    }

    #[test]
    fn builder_refuses_bad_names_counts_types_and_values() {
        let b = |n: &str, t, l: &[&str]| FamilySnapshot::builder(n, "h", t, l).err();
        assert!(
            matches!(b("bad-name", MetricType::Gauge, &[]), Some(Error::InvalidMetricName(n)) if n == "bad-name")
        );
        assert!(matches!(
            b("x", MetricType::Gauge, &["__x"]),
            Some(Error::InvalidLabelName(_))
        ));
        assert!(
            matches!(b("x", MetricType::Histogram, &["le"]), Some(Error::InvalidLabelName(n)) if n == "le")
        );
        assert!(matches!(
            b("x", MetricType::Summary, &["quantile"]),
            Some(Error::InvalidLabelName(_))
        ));
        assert!(
            matches!(b("x", MetricType::Gauge, &["a", "a"]), Some(Error::DuplicateLabelName(n)) if n == "a")
        );

        let mut c = FamilySnapshot::builder("c_total", "h", MetricType::Counter, &["a"]).unwrap();
        assert!(matches!(
            c.add(&["x", "y"], Value::Counter(1.0)),
            Err(Error::LabelCount {
                expected: 1,
                got: 2,
                ..
            })
        ));
        assert!(
            matches!(c.add(&["x"], Value::Counter(-1.0)), Err(Error::InvalidValue { value, .. }) if value == -1.0)
        );
        assert!(c.add(&["x"], Value::Counter(f64::NAN)).is_err());
        assert!(
            matches!(c.add(&["x"], Value::Gauge(1.0)), Err(Error::InvalidConfig(m)) if m.contains("c_total"))
        );
        c.add(&["x"], Value::Counter(1.0)).unwrap();
        assert!(c.add(&["x"], Value::Counter(2.0)).is_err());

        let mut h = FamilySnapshot::builder::<&str>("h", "h", MetricType::Histogram, &[]).unwrap();
        let hv = |bounds: &[f64], cumulative: Vec<u64>, count| {
            Value::Histogram(Box::new(HistogramValue {
                bounds: bounds.into(),
                cumulative,
                count,
                sum: 1.0,
            }))
        };
        assert!(h.add::<&str>(&[], hv(&[1.0], vec![1], 1)).is_err());
        assert!(h
            .add::<&str>(&[], hv(&[2.0, 1.0], vec![1, 1, 1], 1))
            .is_err());
        assert!(h.add::<&str>(&[], hv(&[1.0], vec![2, 1], 1)).is_err());
        assert!(h.add::<&str>(&[], hv(&[1.0], vec![1, 2], 3)).is_err());
        assert!(h
            .add::<&str>(&[], hv(&[f64::INFINITY], vec![1, 2], 2))
            .is_err());
        h.add::<&str>(&[], hv(&[1.0], vec![1, 2], 2)).unwrap();
    }

    /// A registry with a counter, a labelled histogram and a collected family.
    fn defaults_registry() -> Registry {
        let reg = Registry::new();
        reg.counter("jobs_total", "Jobs").build().unwrap().inc();
        reg.histogram("latency_seconds", "Latency")
            .labels(&["route"])
            .buckets(vec![1.0])
            .build_vec()
            .unwrap()
            .with(&["/a"])
            .unwrap()
            .observe(0.5)
            .unwrap();
        reg.register_collector("queues", || {
            let mut b = FamilySnapshot::builder("queue_depth", "Q", MetricType::Gauge, &["queue"])
                .map_err(|e| e.to_string())?;
            b.add(&["mail"], Value::Gauge(3.0))
                .map_err(|e| e.to_string())?;
            Ok(vec![b.build()])
        })
        .unwrap();
        reg
    }

    #[test]
    fn default_labels_reach_every_series_of_every_family_in_every_encoding() {
        let reg = defaults_registry();
        reg.set_default_labels(&[("region", "eu-west"), ("tier", "web")])
            .unwrap();
        let text = reg.encode_text();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            assert!(
                line.contains("region=\"eu-west\"") && line.contains("tier=\"web\""),
                "{line}"
            );
        }
        assert!(
            text.contains(
                "latency_seconds_bucket{region=\"eu-west\",tier=\"web\",route=\"/a\",le=\"1.0\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains("queue_depth{region=\"eu-west\",tier=\"web\",queue=\"mail\"} 3"),
            "{text}"
        );

        let snap = reg.snapshot();
        let s = snap.family("queue_depth").unwrap().iter().next().unwrap();
        assert_eq!(s.label("tier"), Some("web"));

        let mut pb = Vec::new();
        crate::encode::protobuf::encode(&snap, &mut pb);
        let count =
            |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).filter(|w| *w == needle).count();
        // One label pair per series: jobs_total, one histogram series, queue_depth.
        assert_eq!(count(&pb, b"eu-west"), 3);

        let bodies = crate::encode::remote_write::write_requests(
            &snap,
            &[("job".to_string(), "j".to_string())],
            1_700_000_000_000,
            2000,
        );
        let raw: Vec<u8> = bodies
            .iter()
            .flat_map(|b| snap::raw::Decoder::new().decompress_vec(b).unwrap())
            .collect();
        // jobs_total, 2 buckets + sum + count, queue_depth.
        assert_eq!(count(&raw, b"eu-west"), 6);
    }

    #[test]
    fn a_series_label_of_the_same_name_wins_over_a_default_label() {
        let reg = Registry::new();
        reg.gauge("temp", "T")
            .labels(&["region"])
            .build_vec()
            .unwrap()
            .with(&["us"])
            .unwrap()
            .set(1.0);
        reg.gauge("hum", "H")
            .const_label("region", "ap")
            .build()
            .unwrap()
            .set(2.0);
        reg.set_default_labels(&[("region", "eu")]).unwrap();
        let text = reg.encode_text();
        assert!(text.contains("temp{region=\"us\"} 1\n"), "{text}");
        assert!(text.contains("hum{region=\"ap\"} 2\n"), "{text}");
        assert!(!text.contains("\"eu\""), "{text}");
    }

    #[test]
    fn setting_default_labels_replaces_the_set_and_empty_clears_it() {
        let reg = defaults_registry();
        reg.set_default_labels(&[("a", "1")]).unwrap();
        reg.set_default_labels(&[("b", "2")]).unwrap();
        assert_eq!(
            reg.default_labels(),
            vec![("b".to_string(), "2".to_string())]
        );
        let text = reg.encode_text();
        assert!(
            text.contains("jobs_total{b=\"2\"} 1\n") && !text.contains("a=\"1\""),
            "{text}"
        );
        reg.set_default_labels(&[]).unwrap();
        assert!(reg.encode_text().contains("jobs_total 1\n"));
    }

    #[test]
    fn default_labels_refuse_bad_reserved_and_repeated_names_naming_them() {
        let reg = Registry::new();
        reg.set_default_labels(&[("ok", "1")]).unwrap();
        for bad in ["le", "quantile", "__x", "1a", "a-b", ""] {
            let err = reg
                .set_default_labels(&[("fine", "x"), (bad, "v")])
                .unwrap_err();
            assert!(
                matches!(&err, Error::InvalidLabelName(n) if n == bad),
                "{err}"
            );
        }
        let err = reg
            .set_default_labels(&[("a", "1"), ("a", "2")])
            .unwrap_err();
        assert!(
            matches!(&err, Error::DuplicateLabelName(n) if n == "a"),
            "{err}"
        );
        // A refused set leaves the previous one.
        assert_eq!(
            reg.default_labels(),
            vec![("ok".to_string(), "1".to_string())]
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn process_collector_with_prefix_and_labels_applies_both_to_every_family() {
        let reg = Registry::new();
        reg.register_process_collector_with("app_", &[("service", "api")])
            .unwrap();
        let snap = reg.snapshot();
        assert!(snap.family("app_process_cpu_seconds_total").is_some());
        assert!(snap.family("process_cpu_seconds_total").is_none());
        for f in snap.families() {
            assert!(f.name().starts_with("app_process_"), "{}", f.name());
            assert_eq!(
                f.const_labels(),
                &[("service".to_string(), "api".to_string())]
            );
        }
        assert!(matches!(
            reg.register_process_collector_with("", &[]),
            Err(Error::Conflict { .. })
        ));
        let other = Registry::new();
        assert!(matches!(
            other.register_process_collector_with("9x", &[]),
            Err(Error::InvalidMetricName(n)) if n.starts_with("9x")
        ));
        assert!(matches!(
            other.register_process_collector_with("", &[("quantile", "x")]),
            Err(Error::InvalidLabelName(n)) if n == "quantile"
        ));
    }
}
