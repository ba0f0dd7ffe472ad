//! Metric families and their series: the generic machinery every metric type shares (series
//! lookup, the cardinality guard's hook, TTL bookkeeping, snapshotting). The per-type files
//! hold the cells and the public handles.

pub(crate) mod cell;
pub mod counter;
pub mod gauge;
pub mod histogram;
mod sketch;
mod store;
pub mod summary;

use crate::cardinality::{Guard, GuardStats, OVERFLOW_VALUE};
use crate::error::{Error, Result};
use crate::labels::{hash_values, LabelValues, SeriesKey, SHORT_LEN};
use crate::multiprocess::{GaugeMode, Mirror, Op};
use crate::registry::Shared;
use crate::sampling::Sampler;
use crate::snapshot::{FamilySnapshot, SeriesSnapshot, Value};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::*};
use std::sync::{Arc, MutexGuard, OnceLock, RwLock, RwLockWriteGuard};
use store::{Held, Store};

/// The four metric types of the Prometheus data model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MetricType {
    /// A monotonically increasing count.
    Counter,
    /// A value that goes up and down.
    Gauge,
    /// Observations counted in cumulative buckets, with their sum and count.
    Histogram,
    /// Observations summarised as quantiles over a sliding window, with their sum and count.
    Summary,
}

impl MetricType {
    /// The name used in `# TYPE` lines.
    pub fn as_str(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
            MetricType::Summary => "summary",
        }
    }
}

/// What a family is: everything that identifies it when it is registered a second time.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Desc {
    pub(crate) name: String,
    pub(crate) help: String,
    pub(crate) kind: MetricType,
    /// Label names as declared by the application, in order.
    pub(crate) declared: Vec<String>,
    /// Label names that series carry (the declared ones minus dropped labels).
    pub(crate) exposed: Vec<String>,
    pub(crate) const_labels: Vec<(String, String)>,
}

/// Type-specific options collected by a metric builder.
#[derive(Clone, Debug, Default)]
pub(crate) struct TypeOptions {
    pub(crate) buckets: Option<Vec<f64>>,
    pub(crate) quantiles: Option<Vec<f64>>,
    pub(crate) max_age: Option<std::time::Duration>,
    pub(crate) age_buckets: Option<u32>,
    pub(crate) multiprocess_mode: Option<GaugeMode>,
}

/// One metric type's cell and configuration.
pub(crate) trait Kind: Send + Sync + Sized + 'static {
    type Cell: Send + Sync;
    type Config: Clone + PartialEq + std::fmt::Debug + Send + Sync;
    const TYPE: MetricType;
    /// Label names this type reserves (`le`, `quantile`).
    const RESERVED: &'static str = "";
    fn config(opts: &TypeOptions) -> Result<Self::Config>;
    fn new_cell(cfg: &Self::Config) -> Self::Cell;
    fn read(cell: &Self::Cell, cfg: &Self::Config) -> Value;
    /// Back to zero (gauges keep their value: they describe state, not a count).
    fn reset(cell: &Self::Cell);
    /// The lock of a cell that has one (a summary's), taken before a fork.
    fn lock_cell(_cell: &Self::Cell) -> Option<MutexGuard<'_, summary::State>> {
        None
    }
    /// Histogram bucket bounds (what a multiprocess file records with the family).
    fn bounds(_cfg: &Self::Config) -> &[f64] {
        &[]
    }
    /// Copies the cell's value into fresh multiprocess value words (when the mode is
    /// turned on while the series already counts).
    fn copy_to(cell: &Self::Cell, cfg: &Self::Config, words: &[AtomicU64]);
}

/// One series: a cell plus its label values, the count of its handles and the bookkeeping
/// of idleness for the TTL. It lives in a slot of its family's [`Store`].
pub(crate) struct Series<K: Kind> {
    pub(crate) cell: K::Cell,
    /// Handles to the series, the store's own included; the last one frees the slot.
    refs: AtomicU32,
    /// [`TOUCHED`] (set by every update, cleared by each snapshot: "updated since the last
    /// snapshot") and, in the other bits, the seconds since the registry's epoch at which a
    /// snapshot last saw the series touched.
    state: AtomicU32,
    labels: LabelValues,
}

const TOUCHED: u32 = 1 << 31;
const IDLE_SINCE: u32 = TOUCHED - 1;

/// The family's overflow series, which lives as long as the family.
#[derive(Clone, Copy)]
struct OverflowSlot<K: Kind>(NonNull<Series<K>>);

// SAFETY: a pointer into the family's own store, read through `&Series<K>` only.
unsafe impl<K: Kind> Send for OverflowSlot<K> {}
// SAFETY: as above.
unsafe impl<K: Kind> Sync for OverflowSlot<K> {}

/// A metric family: its description, its configuration and its series.
pub(crate) struct Family<K: Kind> {
    pub(crate) desc: Arc<Desc>,
    pub(crate) cfg: K::Config,
    pub(crate) guard: Guard,
    pub(crate) sampler: Option<Sampler>,
    pub(crate) stats: GuardStats,
    shared: Arc<Shared>,
    map: RwLock<Store<K>>,
    overflow: OnceLock<OverflowSlot<K>>,
    /// Unique per family: the key of its entries in the per-thread series cache.
    id: u64,
    /// Bumped whenever a series leaves the map; cached entries of an older generation are
    /// not used.
    generation: AtomicU64,
    /// Whether labelled calls may use the per-thread cache: not with a TTL (a cached
    /// series counts as held and would never be evicted) nor with rewritten labels.
    cacheable: bool,
    /// Whether a value short enough for a [`SeriesKey`] is never truncated.
    short_values_fit: bool,
    /// The buffers of the last snapshot, for the next.
    spare: Arc<crate::snapshot::Spare>,
    /// Whether an update needs nothing but its cell: no sampling, no multiprocess mirror.
    plain: AtomicBool,
    /// The multiprocess mode's mirror, once the registry's mode is on.
    mirror: OnceLock<Mirror>,
    /// How a gauge's values in several processes combine.
    pub(crate) mp_mode: GaugeMode,
}

impl<K: Kind> Series<K> {
    /// Marks the series as updated. Reading first keeps a hot series shared by several
    /// threads from bouncing its cache line on every update.
    #[inline]
    pub(crate) fn mark(&self) {
        if self.state.load(Relaxed) & TOUCHED == 0 {
            self.state.fetch_or(TOUCHED, Release);
        }
    }
}

/// A new series starts touched, so no eviction considers it before a snapshot has seen it
/// and set its idle time: creating one reads no clock. Its one handle is the store's.
fn new_series<K: Kind>(cfg: &K::Config, labels: LabelValues) -> Series<K> {
    Series {
        cell: K::new_cell(cfg),
        refs: AtomicU32::new(1),
        state: AtomicU32::new(TOUCHED),
        labels,
    }
}

impl<K: Kind> Family<K> {
    pub(crate) fn new(
        desc: Desc,
        cfg: K::Config,
        guard: Guard,
        sampler: Option<Sampler>,
        shared: Arc<Shared>,
        mp_mode: GaugeMode,
    ) -> Self {
        let shared_ttl_none = shared.ttl_secs.is_none();
        let sampler_none = sampler.is_none();
        let plain = guard.rewrites_nothing();
        let short_values_fit = guard.max_value_len >= SHORT_LEN;
        Family {
            desc: Arc::new(desc),
            cfg,
            guard,
            sampler,
            stats: GuardStats::default(),
            shared,
            map: RwLock::new(Store::new()),
            overflow: OnceLock::new(),
            id: NEXT_FAMILY_ID.fetch_add(1, Relaxed),
            generation: AtomicU64::new(0),
            short_values_fit,
            spare: Default::default(),
            cacheable: shared_ttl_none && plain,
            plain: AtomicBool::new(sampler_none),
            mirror: OnceLock::new(),
            mp_mode,
        }
    }

    /// Whether an update needs nothing but its cell (see [`Family::mirror_op`]).
    #[inline(always)]
    pub(crate) fn plain(&self) -> bool {
        self.plain.load(Relaxed)
    }

    /// Links the family to the registry's multiprocess mode: series that already count
    /// are copied into this process's file, and every update from now on goes there too.
    pub(crate) fn enable_mirror(&self, mp: &Arc<crate::multiprocess::Multiproc>) {
        if self
            .mirror
            .set(Mirror::new(
                mp.clone(),
                &self.desc.exposed,
                &self.desc.const_labels,
            ))
            .is_err()
        {
            return;
        }
        self.plain.store(false, Release);
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        for s in map.iter() {
            self.mirror_words(
                s,
                |w| {
                    K::copy_to(&s.cell, &self.cfg, w);
                    true
                },
                |_| (),
            );
        }
    }

    /// Finds (or makes) the multiprocess value words of `s`.
    fn mirror_words(
        &self,
        s: &Series<K>,
        init: impl FnOnce(&[AtomicU64]) -> bool,
        f: impl FnOnce(&[AtomicU64]),
    ) {
        let Some(m) = self.mirror.get() else { return };
        let n = self.desc.exposed.len();
        let d = &self.desc;
        let bounds = K::bounds(&self.cfg);
        let fam = crate::multiprocess::FamilyRecord {
            name: &d.name,
            help: &d.help,
            kind: K::TYPE,
            mode: self.mp_mode,
            labels: &m.labels,
            bounds,
        };
        let words = crate::multiprocess::words_of(K::TYPE, bounds.len());
        let values = s
            .labels
            .iter(n)
            .chain(m.const_values.iter().map(String::as_str));
        let all = m.labels.len();
        m.with_words(&fam, s.labels.hash(n), values, all, words, init, f);
    }

    /// Applies an update the cell of `s` has just taken to its multiprocess value, if the
    /// mode is on. A gauge's new slot starts from the cell's value (state, not a count).
    #[cold]
    #[inline(never)]
    pub(crate) fn mirror_op(&self, s: &Series<K>, op: Op) {
        if self.mirror.get().is_none() {
            return;
        }
        let mode = self.mp_mode;
        self.mirror_words(
            s,
            |w| {
                if K::TYPE == MetricType::Gauge {
                    K::copy_to(&s.cell, &self.cfg, w);
                    crate::multiprocess::stamp(mode, w);
                    true
                } else {
                    false
                }
            },
            |w| crate::multiprocess::apply(K::TYPE, mode, w, op),
        );
    }

    pub(crate) fn name(&self) -> &str {
        &self.desc.name
    }

    #[inline]
    fn gen(&self) -> u64 {
        self.generation.load(Acquire)
    }

    pub(crate) fn series_count(&self) -> usize {
        self.map.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    #[inline]
    fn check_count(&self, n: usize) -> Result<()> {
        if n != self.desc.declared.len() {
            return Err(self.count_error(n));
        }
        Ok(())
    }

    #[cold]
    fn count_error(&self, n: usize) -> Error {
        Error::LabelCount {
            metric: self.desc.name.clone(),
            expected: self.desc.declared.len(),
            got: n,
        }
    }

    /// Runs `f` on the series for `values` (in declared order) without cloning its handle.
    /// A repeated call is answered by the per-thread cache: short values are compared as a
    /// few words, others hashed and compared byte by byte; otherwise it takes a read lock
    /// and the map.
    #[inline]
    pub(crate) fn with_series<S: AsRef<str>, R>(
        self: &Arc<Self>,
        values: &[S],
        f: impl FnOnce(&Series<K>) -> R,
    ) -> Result<R> {
        crate::fork::check();
        self.check_count(values.len())?;
        if self.cacheable && self.short_values_fit {
            if let Some(key) = SeriesKey::short(values) {
                return Ok(self.with_cached(values, key, f));
            }
        }
        self.with_series_long(values, f)
    }

    /// [`Family::with_series`] for values a short key does not hold.
    fn with_series_long<S: AsRef<str>, R>(
        self: &Arc<Self>,
        values: &[S],
        f: impl FnOnce(&Series<K>) -> R,
    ) -> Result<R> {
        if !self.guard.is_plain(values) {
            let s = self.resolve_guarded(values);
            return Ok(f(&s));
        }
        let h = hash_values(values);
        if self.cacheable {
            return Ok(self.with_cached(values, SeriesKey::long(h), f));
        }
        {
            let map = self.map.read().unwrap_or_else(|e| e.into_inner());
            if let Some(s) = map.get(h, values) {
                return Ok(f(s));
            }
        }
        let s = self.insert(h, values, false);
        Ok(f(&s))
    }

    /// Runs `f` on the series for plain `values` through the per-thread cache.
    #[inline(always)]
    fn with_cached<S: AsRef<str>, R>(
        self: &Arc<Self>,
        values: &[S],
        key: SeriesKey,
        f: impl FnOnce(&Series<K>) -> R,
    ) -> R {
        // SAFETY: entries of this family's id only ever hold `Series<K>` of this family, and
        // `f` (an update of a cell) does not touch the cache while it holds the reference.
        if let Some(s) = unsafe { cache::lookup::<K, S>(self.id, &key, self.gen(), values) } {
            return f(s);
        }
        f(&self.resolve_uncached(values, key))
    }

    /// The series for plain `values` from the map, created if new, and remembered in the
    /// per-thread cache.
    #[inline(never)]
    fn resolve_uncached<S: AsRef<str>>(self: &Arc<Self>, values: &[S], key: SeriesKey) -> Held<K> {
        let h = key.map_hash(values);
        let gen = self.gen();
        let found = self
            .map
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(h, values)
            .map(|s| Held::new(self.clone(), s));
        let s = found.unwrap_or_else(|| self.insert(h, values, false));
        // A call folded into the overflow series is counted each time, so it is not
        // cached under its own label values.
        if !self.is_overflow(&s) {
            cache::store(self, key, gen, &s);
        }
        s
    }

    /// The series for `values` (in declared order), created if new; a handle to keep.
    pub(crate) fn resolve<S: AsRef<str>>(self: &Arc<Self>, values: &[S]) -> Result<Held<K>> {
        crate::fork::check();
        self.check_count(values.len())?;
        if self.guard.is_plain(values) {
            let h = hash_values(values);
            if let Some(s) = self
                .map
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .get(h, values)
            {
                return Ok(Held::new(self.clone(), s));
            }
            return Ok(self.insert(h, values, false));
        }
        Ok(self.resolve_guarded(values))
    }

    /// The series for label `pairs` given by name, in any order.
    pub(crate) fn resolve_pairs(self: &Arc<Self>, pairs: &[(&str, &str)]) -> Result<Held<K>> {
        let values = self.order_pairs(pairs)?;
        self.resolve(&values)
    }

    pub(crate) fn order_pairs<'a>(&self, pairs: &[(&str, &'a str)]) -> Result<Vec<&'a str>> {
        self.check_count(pairs.len())?;
        let mut values = vec![""; pairs.len()];
        let mut seen = vec![false; pairs.len()];
        for (name, value) in pairs {
            let i = self
                .desc
                .declared
                .iter()
                .position(|n| n == name)
                .ok_or_else(|| Error::UnknownLabel {
                    metric: self.desc.name.clone(),
                    label: (*name).to_owned(),
                })?;
            if seen[i] {
                return Err(Error::DuplicateLabelName((*name).to_owned()));
            }
            seen[i] = true;
            values[i] = value;
        }
        Ok(values)
    }

    #[cold]
    fn resolve_guarded<S: AsRef<str>>(self: &Arc<Self>, values: &[S]) -> Held<K> {
        let (canon, truncated) = self.guard.canonicalize(values);
        let h = hash_values(&canon);
        if let Some(s) = self
            .map
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(h, &canon)
        {
            return Held::new(self.clone(), s);
        }
        self.insert(h, &canon, truncated)
    }

    /// Creates the series for already-canonical `values`, or folds it into the overflow
    /// series when a limit is reached.
    #[cold]
    fn insert<S: AsRef<str>>(self: &Arc<Self>, h: u64, values: &[S], truncated: bool) -> Held<K> {
        if !values.is_empty() && values.iter().all(|v| v.as_ref() == OVERFLOW_VALUE) {
            return self.overflow_series();
        }
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = map.get(h, values) {
            return Held::new(self.clone(), s);
        }
        let limit = self
            .guard
            .max_series
            .unwrap_or(self.shared.max_series_per_metric);
        if map.len() >= limit || !self.shared.reserve_series() {
            drop(map);
            self.stats.overflowed.fetch_add(1, Relaxed);
            return self.overflow_series();
        }
        if truncated {
            self.stats.truncated.fetch_add(1, Relaxed);
        }
        let s = new_series::<K>(&self.cfg, LabelValues::new(values));
        Held::new(self.clone(), map.insert(h, s, self.desc.exposed.len()))
    }

    /// Whether `s` is the overflow series.
    pub(crate) fn is_overflow(&self, s: &Series<K>) -> bool {
        self.overflow
            .get()
            .is_some_and(|o| std::ptr::eq(o.0.as_ptr(), s))
    }

    /// The overflow series, if a label set has been folded into it.
    pub(crate) fn overflowed(self: &Arc<Self>) -> Option<Held<K>> {
        let o = self.overflow.get()?;
        // SAFETY: the overflow series lives as long as the family.
        Some(Held::new(self.clone(), unsafe { o.0.as_ref() }))
    }

    fn overflow_series(self: &Arc<Self>) -> Held<K> {
        let o = self.overflow.get_or_init(|| {
            let values = vec![OVERFLOW_VALUE; self.desc.exposed.len()];
            let s = new_series::<K>(&self.cfg, LabelValues::new(&values));
            let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
            OverflowSlot(map.insert_unindexed(s))
        });
        // SAFETY: the overflow series lives as long as the family.
        Held::new(self.clone(), unsafe { o.0.as_ref() })
    }

    /// Frees the slot of a series out of the map whose last handle has just gone.
    fn release(&self, series: NonNull<Series<K>>) {
        self.map
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .release(series);
    }

    /// Removes series idle for longer than `ttl` seconds that no handle outside the family
    /// holds. A series updated since the last snapshot is never idle, so no update is lost.
    fn evict(&self, now: u32, ttl: u32) {
        let idle = |s: &Series<K>| {
            let state = s.state.load(Relaxed);
            s.refs.load(Relaxed) == 1
                && state & TOUCHED == 0
                && now.saturating_sub(state & IDLE_SINCE) >= ttl
        };
        let any = self
            .map
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .any(idle);
        if !any {
            return;
        }
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        // Under the write lock nobody can look a series up, so a count of one is final.
        let evicted = map.retain(self.desc.exposed.len(), |s| !idle(s));
        self.shared.release_series(evicted);
        self.stats.evicted.fetch_add(evicted as u64, Relaxed);
        self.generation.fetch_add(1, Release);
    }

    /// Reads every series into a snapshot, evicting idle ones first when a TTL is set.
    pub(crate) fn collect(&self) -> FamilySnapshot {
        let now = self.shared.now_secs().min(IDLE_SINCE);
        if let Some(ttl) = self.shared.ttl_secs {
            self.evict(now, ttl);
        }
        {
            let map = self.map.read().unwrap_or_else(|e| e.into_inner());
            let n = self.desc.exposed.len();
            let (mut arena, mut series) = self.spare.take(map.len() + 1);
            series.reserve(map.len() + 1);
            if let Some(first) = map.iter().next() {
                arena.reserve((first.labels.encoded_len(n) + 8) * (map.len() + 1));
            }
            // SAFETY: the overflow series lives as long as the family.
            let overflow = self.overflow.get().map(|o| unsafe { o.0.as_ref() });
            for s in map.iter().chain(overflow) {
                if s.state.load(Relaxed) & TOUCHED != 0 {
                    s.state.swap(now, AcqRel);
                }
                let start = arena.len() as u32;
                s.labels.encode_into(n, &mut arena);
                series.push(SeriesSnapshot {
                    labels: (start, arena.len() as u32),
                    value: K::read(&s.cell, &self.cfg),
                });
            }
            FamilySnapshot {
                desc: self.desc.clone(),
                arena,
                series,
                spare: Some(self.spare.clone()),
            }
        }
    }
}

impl<K: Kind> Family<K> {
    /// Removes the series for `values` (declared order); returns whether it existed.
    /// Handles to it keep working but are no longer reported.
    pub(crate) fn remove<S: AsRef<str>>(&self, values: &[S]) -> Result<bool> {
        self.check_count(values.len())?;
        let canon: Vec<String> = if self.guard.is_plain(values) {
            values.iter().map(|v| v.as_ref().to_owned()).collect()
        } else {
            self.guard.canonicalize(values).0
        };
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        let removed = map.retain(self.desc.exposed.len(), |s| !s.labels.matches(&canon));
        self.generation.fetch_add(1, Release);
        self.shared.release_series(removed);
        Ok(removed > 0)
    }

    /// Removes every series (the overflow series included).
    pub(crate) fn clear(&self) {
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        let n = map.len();
        map.retain(self.desc.exposed.len(), |_| false);
        self.generation.fetch_add(1, Release);
        self.shared.release_series(n);
        drop(map);
        // The overflow series lives as long as the family: its counts go back to zero.
        if let Some(o) = self.overflow.get() {
            // SAFETY: the overflow series lives as long as the family.
            K::reset(&unsafe { o.0.as_ref() }.cell);
        }
    }

    fn reset(&self) {
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        // SAFETY: the overflow series lives as long as the family.
        let overflow = self.overflow.get().map(|o| unsafe { o.0.as_ref() });
        for s in map.iter().chain(overflow) {
            K::reset(&s.cell);
        }
    }
}

impl<K: Kind> Drop for Family<K> {
    fn drop(&mut self) {
        let n = self.map.get_mut().map_or(0, |m| m.len());
        self.shared.release_series(n);
    }
}

/// A family's locks taken before a fork: its series map, then the locks of its series'
/// cells (every slot in use: a removed series a handle holds may be recorded into), then its
/// spare snapshot buffers. Fields drop in the order the locks are let go: the cells' while
/// the map still keeps every series in its slot.
struct FamilyHold<K: Kind> {
    mirror: Option<RwLockWriteGuard<'static, crate::multiprocess::Slots>>,
    cells: Vec<MutexGuard<'static, summary::State>>,
    spare: Option<crate::snapshot::SpareGuard<'static>>,
    map: Option<RwLockWriteGuard<'static, Store<K>>>,
    _family: Arc<Family<K>>,
}

impl<K: Kind> crate::fork::Hold for FamilyHold<K> {
    fn release(&mut self) {
        // `clear` frees nothing: the vector keeps its memory.
        self.mirror = None;
        self.cells.clear();
        self.spare = None;
        self.map = None;
    }
}

/// What the registry (and the per-thread cache) needs from a family of any type.
pub(crate) trait AnyFamily: Send + Sync {
    fn collect(&self) -> FamilySnapshot;
    fn guard_stats(&self) -> crate::cardinality::GuardCounts;
    fn reset(&self);
    /// Takes the family's locks before a fork (see [`crate::fork`]).
    fn hold(self: Arc<Self>) -> Box<dyn crate::fork::Hold>;
    /// Gives up a handle to the series at `series`.
    ///
    /// # Safety
    /// The caller owns a handle to `series`, a series of this family.
    unsafe fn unref(&self, series: *const ());
    /// Links the family to the registry's multiprocess mode.
    fn enable_mirror(&self, mp: &Arc<crate::multiprocess::Multiproc>);
}

impl<K: Kind> AnyFamily for Family<K> {
    fn collect(&self) -> FamilySnapshot {
        Family::collect(self)
    }
    unsafe fn unref(&self, series: *const ()) {
        let series = NonNull::new(series as *mut Series<K>).expect("a series");
        // SAFETY: the caller's contract.
        unsafe { store::unref(self, series) }
    }
    fn reset(&self) {
        Family::reset(self)
    }
    fn enable_mirror(&self, mp: &Arc<crate::multiprocess::Multiproc>) {
        Family::enable_mirror(self, mp)
    }
    fn hold(self: Arc<Self>) -> Box<dyn crate::fork::Hold> {
        let map = self.map.write().unwrap_or_else(|e| e.into_inner());
        let mut cells = Vec::new();
        if K::TYPE == MetricType::Summary {
            map.for_each_in_use(|s| cells.extend(K::lock_cell(&s.cell)));
        }
        let spare = self.spare.hold();
        let mirror = self.mirror.get().map(Mirror::hold);
        // SAFETY: the guards borrow from the family, which `_family` keeps alive; the hold
        // drops (or forgets) them before it.
        unsafe {
            Box::new(FamilyHold::<K> {
                mirror: std::mem::transmute::<
                    Option<RwLockWriteGuard<'_, crate::multiprocess::Slots>>,
                    Option<RwLockWriteGuard<'static, crate::multiprocess::Slots>>,
                >(mirror),
                cells: std::mem::transmute::<
                    Vec<MutexGuard<'_, summary::State>>,
                    Vec<MutexGuard<'static, summary::State>>,
                >(cells),
                spare: Some(std::mem::transmute::<
                    crate::snapshot::SpareGuard<'_>,
                    crate::snapshot::SpareGuard<'static>,
                >(spare)),
                map: Some(std::mem::transmute::<
                    RwLockWriteGuard<'_, Store<K>>,
                    RwLockWriteGuard<'static, Store<K>>,
                >(map)),
                _family: self.clone(),
            })
        }
    }
    fn guard_stats(&self) -> crate::cardinality::GuardCounts {
        let mut c = self.stats.read();
        c.series = self.series_count() as u64;
        if let Some(s) = &self.sampler {
            c.sampled_seen = s.seen();
            c.sampled_kept = s.kept();
        }
        c
    }
}

/// Applies the family's sampling to one call: `Some(weight)` to record, `None` to skip.
#[inline]
pub(crate) fn gate<K: Kind>(family: &Family<K>) -> Option<f64> {
    match &family.sampler {
        None => Some(1.0),
        Some(s) => s.sample(1),
    }
}

static NEXT_FAMILY_ID: AtomicU64 = AtomicU64::new(1);

/// A small per-thread cache of the series that labelled calls resolved last, so that a
/// repeated `vec.inc(&["GET", "200"])` skips the family's lock and map. An entry holds a
/// reference to its series; it is used only while the family's generation is unchanged
/// (no series removed since) and the label values compare equal.
mod cache {
    use super::{store, AnyFamily, Family, Kind, Series};
    use crate::labels::SeriesKey;
    use std::cell::{RefCell, UnsafeCell};
    use std::ptr::NonNull;
    use std::sync::{Arc, Weak};

    const SLOTS: usize = 16;

    #[derive(Clone, Copy)]
    struct Entry {
        family: u64,
        generation: u64,
        key: SeriesKey,
        series: *const (),
    }

    const EMPTY: Entry = Entry {
        family: 0,
        generation: 0,
        key: SeriesKey::EMPTY,
        series: std::ptr::null(),
    };

    /// A handle to the series of an entry. It does not keep the family: a family dropped
    /// meanwhile took its series with it, and no lookup can match its id again.
    struct Owner {
        family: Weak<dyn AnyFamily>,
        series: *const (),
    }

    impl Drop for Owner {
        fn drop(&mut self) {
            if let Some(family) = self.family.upgrade() {
                // SAFETY: the handle was taken over from a `Held` in `store`, and its family
                // is still there.
                unsafe { family.unref(self.series) }
            }
        }
    }

    /// The series the entries point to, one handle per slot. When a thread ends, dropping
    /// them first empties the entries.
    struct Owners([Option<Owner>; SLOTS]);

    impl Drop for Owners {
        fn drop(&mut self) {
            let _ = ENTRIES.try_with(|e| {
                // SAFETY: no reference into the entries is live (see ENTRIES).
                unsafe { *e.get() = [EMPTY; SLOTS] }
            });
        }
    }

    thread_local! {
        // Plain data without a destructor, so reading it is one thread-local access. Only
        // `lookup` and `store` touch it and neither keeps a reference into it.
        static ENTRIES: UnsafeCell<[Entry; SLOTS]> = const { UnsafeCell::new([EMPTY; SLOTS]) };
        static OWNERS: RefCell<Owners> = const { RefCell::new(Owners([const { None }; SLOTS])) };
    }

    #[inline(always)]
    fn slot(family: u64, hash: u64) -> usize {
        ((hash ^ family.wrapping_mul(0x9e37_79b9_7f4a_7c15)) as usize) & (SLOTS - 1)
    }

    /// The cached series for these values, if the cache has it.
    ///
    /// # Safety
    /// Every entry stored under `family` must hold a `Series<K>`, and the caller must be done
    /// with the reference before this thread next calls [`store`] or ends.
    #[inline(always)]
    pub(super) unsafe fn lookup<'a, K: Kind, S: AsRef<str>>(
        family: u64,
        key: &SeriesKey,
        generation: u64,
        values: &[S],
    ) -> Option<&'a Series<K>> {
        let entries = ENTRIES.with(UnsafeCell::get);
        // SAFETY: the array lives as long as the thread, and no `&mut` into it is live
        // (see ENTRIES); this reference ends with the checks below.
        let e = unsafe { &(*entries)[slot(family, key.slot_hash())] };
        if e.family != family || e.generation != generation || !e.key.same(key) {
            return None;
        }
        // SAFETY: the slot's owner holds the series alive until a `store` replaces it or the
        // thread ends, which the caller's contract puts after the last use; the caller
        // guarantees its type.
        let s = unsafe { &*(e.series as *const Series<K>) };
        // Equal short keys mean equal values; a long key's hash needs the values.
        if !key.is_short() && !s.labels.matches(values) {
            return None;
        }
        Some(s)
    }

    /// Remembers `series` of `family` for these values.
    pub(super) fn store<K: Kind>(
        family: &Arc<Family<K>>,
        key: SeriesKey,
        generation: u64,
        series: &Series<K>,
    ) {
        let id = family.id;
        let i = slot(id, key.slot_hash());
        let ptr = store::add_ref(series);
        let entry = Entry {
            family: id,
            generation,
            key,
            series: ptr.as_ptr() as *const (),
        };
        let this = Arc::as_ptr(family) as *const ();
        // What the slot held is let go after both updates, outside any borrow.
        let old = OWNERS.try_with(|o| {
            let mut o = o.try_borrow_mut().ok()?;
            let replaced = match &mut o.0[i] {
                // The same family (a `Weak` keeps its address from being reused): only the
                // series changes, with no count of the family's handles touched.
                Some(owner) if Weak::as_ptr(&owner.family) as *const () == this => {
                    Previous::Sibling(std::mem::replace(&mut owner.series, entry.series))
                }
                slot => Previous::Owner(slot.replace(Owner {
                    family: Arc::downgrade(family) as Weak<dyn AnyFamily>,
                    series: entry.series,
                })),
            };
            // SAFETY: no reference into the entries is live (see ENTRIES).
            ENTRIES.with(|e| unsafe { (*e.get())[i] = entry });
            Some(replaced)
        });
        match old {
            Ok(Some(Previous::Sibling(old))) => {
                let old = NonNull::new(old as *mut Series<K>).expect("a series");
                // SAFETY: the slot's handle to `old`, a series of `family`, is given up.
                unsafe { store::unref(family, old) }
            }
            Ok(Some(Previous::Owner(old))) => drop(old),
            // No cache on this thread (it is ending): the handle just taken goes back.
            // SAFETY: the handle taken above, to a series of `family`.
            _ => unsafe { store::unref(family, ptr) },
        }
    }

    /// What a slot held before [`store`].
    enum Previous {
        /// A handle to another series of the same family.
        Sibling(*const ()),
        Owner(Option<Owner>),
    }
}

/// The methods every labelled family type shares: resolving a series to a handle, removing
/// series, and the name.
macro_rules! labelled_family {
    ($vec:ident, $one:ident, $kind:ty, $what:literal) => {
        impl $vec {
            pub(crate) fn new(family: Arc<Family<$kind>>) -> Self {
                $vec { family }
            }
            #[doc = concat!("The ", $what, " series for `values`, given in the order of the label names.")]
            pub fn with<S: AsRef<str>>(&self, values: &[S]) -> Result<$one> {
                Ok($one::new(self.family.resolve(values)?))
            }
            #[doc = concat!("The ", $what, " series for label `(name, value)` pairs in any order.")]
            pub fn with_labels(&self, pairs: &[(&str, &str)]) -> Result<$one> {
                Ok($one::new(self.family.resolve_pairs(pairs)?))
            }
            /// Removes the series for `values`; returns whether it existed. Handles to it
            /// keep working but are no longer reported.
            pub fn remove<S: AsRef<str>>(&self, values: &[S]) -> Result<bool> {
                self.family.remove(values)
            }
            /// Removes every series.
            pub fn clear(&self) {
                self.family.clear()
            }
            /// The metric name.
            pub fn name(&self) -> &str {
                self.family.name()
            }
            /// The overflow series, once a label set has been folded into it (see
            /// [`crate::cardinality`]); `None` before.
            pub fn overflow(&self) -> Option<$one> {
                Some($one::new(self.family.overflowed()?))
            }
        }

        impl $one {
            /// Whether this handle records into its family's overflow series, where label
            /// sets past the series limits are folded.
            pub fn is_overflow(&self) -> bool {
                self.series.family.is_overflow(&self.series)
            }
        }
    };
}
pub(crate) use labelled_family;

macro_rules! debug_handles {
    ($($ty:ty => |$s:ident| $value:expr),* $(,)?) => {$(
        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let $s = self;
                f.debug_struct(stringify!($ty))
                    .field("name", &$s.name())
                    .field("value", &$value)
                    .finish()
            }
        }
    )*};
}
debug_handles!(
    counter::Counter => |s| s.get(),
    gauge::Gauge => |s| s.get(),
    histogram::Histogram => |s| (s.count(), s.sum()),
    summary::Summary => |s| (s.count(), s.sum()),
    counter::CounterVec => |s| s.family.series_count(),
    gauge::GaugeVec => |s| s.family.series_count(),
    histogram::HistogramVec => |s| s.family.series_count(),
    summary::SummaryVec => |s| s.family.series_count(),
);
