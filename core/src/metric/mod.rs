//! Metric families and their series: the generic machinery every metric type shares (series
//! lookup, the cardinality guard's hook, TTL bookkeeping, snapshotting). The per-type files
//! hold the cells and the public handles.

pub(crate) mod cell;
pub mod counter;
pub mod gauge;
pub mod histogram;
mod sketch;
pub mod summary;

use crate::cardinality::{Guard, GuardStats, OVERFLOW_VALUE};
use crate::error::{Error, Result};
use crate::labels::{hash_values, LabelValues, SeriesKey, SHORT_LEN};
use crate::registry::Shared;
use crate::sampling::Sampler;
use crate::snapshot::{FamilySnapshot, SeriesSnapshot, Value};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::*};
use std::sync::{Arc, OnceLock, RwLock};

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
}

/// One series: a cell plus its label values and the bookkeeping of idleness for the TTL.
pub(crate) struct Series<K: Kind> {
    pub(crate) cell: K::Cell,
    /// Set by every update, cleared by each snapshot: "updated since the last snapshot".
    pub(crate) touched: AtomicBool,
    /// Seconds since the registry's epoch at which the series was last seen touched.
    idle_since: AtomicU32,
    labels: LabelValues,
}

#[derive(Default)]
struct IdHasher(u64);
impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only u64 keys")
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Series in creation order (so snapshots read memory mostly in order), indexed by the hash
/// of their label values. A second series with the same 64-bit hash is rare enough to live
/// in a side list that is only searched when the primary entry does not match.
struct SeriesMap<K: Kind> {
    slots: Vec<Arc<Series<K>>>,
    index: HashMap<u64, u32, BuildHasherDefault<IdHasher>>,
    collisions: Vec<(u64, u32)>,
}

impl<K: Kind> SeriesMap<K> {
    #[inline]
    fn get<S: AsRef<str>>(&self, h: u64, values: &[S]) -> Option<&Arc<Series<K>>> {
        let s = &self.slots[*self.index.get(&h)? as usize];
        if s.labels.matches(values) {
            return Some(s);
        }
        self.collisions
            .iter()
            .map(|(ch, i)| (*ch, &self.slots[*i as usize]))
            .find(|(ch, s)| *ch == h && s.labels.matches(values))
            .map(|(_, s)| s)
    }
    fn insert(&mut self, h: u64, s: Arc<Series<K>>, n: usize) {
        let _ = n;
        let i = self.slots.len() as u32;
        self.slots.push(s);
        if let std::collections::hash_map::Entry::Vacant(e) = self.index.entry(h) {
            e.insert(i);
        } else {
            self.collisions.push((h, i));
        }
    }
    fn len(&self) -> usize {
        self.slots.len()
    }
    fn iter(&self) -> impl Iterator<Item = &Arc<Series<K>>> {
        self.slots.iter()
    }
    /// Keeps the series `f` accepts and rebuilds the index (eviction is rare).
    fn retain(&mut self, n: usize, f: impl FnMut(&Arc<Series<K>>) -> bool) {
        self.slots.retain(f);
        self.index.clear();
        self.collisions.clear();
        for (i, s) in self.slots.iter().enumerate() {
            let h = hash_values(&s.labels.iter(n).collect::<Vec<_>>());
            match self.index.entry(h) {
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(i as u32);
                }
                std::collections::hash_map::Entry::Occupied(_) => {
                    self.collisions.push((h, i as u32))
                }
            }
        }
    }
}

/// A metric family: its description, its configuration and its series.
pub(crate) struct Family<K: Kind> {
    pub(crate) desc: Arc<Desc>,
    pub(crate) cfg: K::Config,
    pub(crate) guard: Guard,
    pub(crate) sampler: Option<Sampler>,
    pub(crate) stats: GuardStats,
    shared: Arc<Shared>,
    map: RwLock<SeriesMap<K>>,
    overflow: OnceLock<Arc<Series<K>>>,
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
}

impl<K: Kind> Series<K> {
    /// Marks the series as updated. Reading first keeps a hot series shared by several
    /// threads from bouncing its cache line on every update.
    #[inline]
    pub(crate) fn mark(&self) {
        if !self.touched.load(Relaxed) {
            self.touched.store(true, Release);
        }
    }
}

/// A new series starts touched, so no eviction considers it before a snapshot has seen it
/// and set `idle_since`: creating one reads no clock.
fn new_series<K: Kind>(cfg: &K::Config, labels: LabelValues) -> Arc<Series<K>> {
    Arc::new(Series {
        cell: K::new_cell(cfg),
        touched: AtomicBool::new(true),
        idle_since: AtomicU32::new(0),
        labels,
    })
}

impl<K: Kind> Family<K> {
    pub(crate) fn new(
        desc: Desc,
        cfg: K::Config,
        guard: Guard,
        sampler: Option<Sampler>,
        shared: Arc<Shared>,
    ) -> Self {
        let shared_ttl_none = shared.ttl_secs.is_none();
        let plain = guard.rewrites_nothing();
        let short_values_fit = guard.max_value_len >= SHORT_LEN;
        Family {
            desc: Arc::new(desc),
            cfg,
            guard,
            sampler,
            stats: GuardStats::default(),
            shared,
            map: RwLock::new(SeriesMap {
                slots: Vec::new(),
                index: HashMap::default(),
                collisions: Vec::new(),
            }),
            overflow: OnceLock::new(),
            id: NEXT_FAMILY_ID.fetch_add(1, Relaxed),
            generation: AtomicU64::new(0),
            short_values_fit,
            spare: Default::default(),
            cacheable: shared_ttl_none && plain,
        }
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
        &self,
        values: &[S],
        f: impl FnOnce(&Series<K>) -> R,
    ) -> Result<R> {
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
        &self,
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
        &self,
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
    fn resolve_uncached<S: AsRef<str>>(&self, values: &[S], key: SeriesKey) -> Arc<Series<K>> {
        let h = key.map_hash(values);
        let gen = self.gen();
        let found = self
            .map
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(h, values)
            .cloned();
        let s = found.unwrap_or_else(|| self.insert(h, values, false));
        // A call folded into the overflow series is counted each time, so it is not
        // cached under its own label values.
        if !self.overflow.get().is_some_and(|o| Arc::ptr_eq(o, &s)) {
            cache::store(self.id, key, gen, s.clone());
        }
        s
    }

    /// The series for `values` (in declared order), created if new; a handle to keep.
    pub(crate) fn resolve<S: AsRef<str>>(&self, values: &[S]) -> Result<Arc<Series<K>>> {
        self.check_count(values.len())?;
        if self.guard.is_plain(values) {
            let h = hash_values(values);
            if let Some(s) = self
                .map
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .get(h, values)
            {
                return Ok(s.clone());
            }
            return Ok(self.insert(h, values, false));
        }
        Ok(self.resolve_guarded(values))
    }

    /// The series for label `pairs` given by name, in any order.
    pub(crate) fn resolve_pairs(&self, pairs: &[(&str, &str)]) -> Result<Arc<Series<K>>> {
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
    fn resolve_guarded<S: AsRef<str>>(&self, values: &[S]) -> Arc<Series<K>> {
        let (canon, truncated) = self.guard.canonicalize(values);
        let h = hash_values(&canon);
        if let Some(s) = self
            .map
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(h, &canon)
        {
            return s.clone();
        }
        self.insert(h, &canon, truncated)
    }

    /// Creates the series for already-canonical `values`, or folds it into the overflow
    /// series when a limit is reached.
    #[cold]
    fn insert<S: AsRef<str>>(&self, h: u64, values: &[S], truncated: bool) -> Arc<Series<K>> {
        if !values.is_empty() && values.iter().all(|v| v.as_ref() == OVERFLOW_VALUE) {
            return self.overflow_series();
        }
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = map.get(h, values) {
            return s.clone();
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
        map.insert(h, s.clone(), self.desc.exposed.len());
        s
    }

    fn overflow_series(&self) -> Arc<Series<K>> {
        self.overflow
            .get_or_init(|| {
                let values = vec![OVERFLOW_VALUE; self.desc.exposed.len()];
                new_series::<K>(&self.cfg, LabelValues::new(&values))
            })
            .clone()
    }

    /// Removes series idle for longer than `ttl` seconds that no handle outside the family
    /// holds. A series updated since the last snapshot is never idle, so no update is lost.
    fn evict(&self, now: u32, ttl: u32) {
        let idle = |s: &Arc<Series<K>>| {
            Arc::strong_count(s) == 1
                && !s.touched.load(Relaxed)
                && now.saturating_sub(s.idle_since.load(Relaxed)) >= ttl
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
        let before = map.len();
        // Under the write lock nobody can look a series up, so a count of one is final.
        map.retain(self.desc.exposed.len(), |s| !idle(s));
        let evicted = before - map.len();
        self.shared.release_series(evicted);
        self.stats.evicted.fetch_add(evicted as u64, Relaxed);
        self.generation.fetch_add(1, Release);
    }

    /// Reads every series into a snapshot, evicting idle ones first when a TTL is set.
    pub(crate) fn collect(&self) -> FamilySnapshot {
        let now = self.shared.now_secs();
        if let Some(ttl) = self.shared.ttl_secs {
            self.evict(now, ttl);
        }
        {
            let map = self.map.read().unwrap_or_else(|e| e.into_inner());
            let (mut arena, mut series) = self.spare.take(map.len() + 1);
            series.reserve(map.len() + 1);
            if let Some(first) = map.iter().next() {
                arena.reserve((first.labels.bytes().len() + 8) * (map.len() + 1));
            }
            for s in map.iter().chain(self.overflow.get()) {
                if s.touched.load(Relaxed) && s.touched.swap(false, AcqRel) {
                    s.idle_since.store(now, Relaxed);
                }
                let start = arena.len() as u32;
                arena.extend_from_slice(s.labels.bytes());
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
        let before = map.len();
        map.retain(self.desc.exposed.len(), |s| !s.labels.matches(&canon));
        let removed = before - map.len();
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
            K::reset(&o.cell);
        }
    }

    fn reset(&self) {
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        for s in map.iter().chain(self.overflow.get()) {
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

/// What the registry needs from a family of any type.
pub(crate) trait AnyFamily: Send + Sync {
    fn collect(&self) -> FamilySnapshot;
    fn guard_stats(&self) -> crate::cardinality::GuardCounts;
    fn reset(&self);
}

impl<K: Kind> AnyFamily for Family<K> {
    fn collect(&self) -> FamilySnapshot {
        Family::collect(self)
    }
    fn reset(&self) {
        Family::reset(self)
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
    use super::{Kind, Series};
    use crate::labels::SeriesKey;
    use std::any::Any;
    use std::cell::{RefCell, UnsafeCell};
    use std::sync::Arc;

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

    /// The series the entries point to, one strong reference per slot. When a thread
    /// ends, dropping them first empties the entries.
    struct Owners([Option<Arc<dyn Any + Send + Sync>>; SLOTS]);

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

    /// Remembers `series` for these values.
    pub(super) fn store<K: Kind>(
        family: u64,
        key: SeriesKey,
        generation: u64,
        series: Arc<Series<K>>,
    ) {
        let i = slot(family, key.slot_hash());
        let entry = Entry {
            family,
            generation,
            key,
            series: Arc::as_ptr(&series) as *const (),
        };
        // The previous owner of the slot is dropped after both updates, outside any borrow.
        let old = OWNERS.try_with(|o| {
            let mut o = o.try_borrow_mut().ok()?;
            let old = o.0[i].replace(series);
            // SAFETY: no reference into the entries is live (see ENTRIES).
            ENTRIES.with(|e| unsafe { (*e.get())[i] = entry });
            Some(old)
        });
        drop(old);
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
                Ok($one::new(self.family.clone(), self.family.resolve(values)?))
            }
            #[doc = concat!("The ", $what, " series for label `(name, value)` pairs in any order.")]
            pub fn with_labels(&self, pairs: &[(&str, &str)]) -> Result<$one> {
                Ok($one::new(
                    self.family.clone(),
                    self.family.resolve_pairs(pairs)?,
                ))
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
                    .field("name", &$s.family.name())
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
