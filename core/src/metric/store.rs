//! Where a family keeps its series: slots in chunks that never move (a handle is a pointer,
//! its count lives in the series, a freed slot is reused) and an index from the hash of the
//! label values to slots. No allocation, header or weak count per series: 64 bytes for a
//! counter with short labels, and about 7 for its index entry.

use super::{Family, Kind, Series};
use std::alloc::{self, Layout};
use std::ptr::NonNull;
use std::sync::atomic::{fence, Ordering::*};
use std::sync::Arc;

/// Slots per chunk once a family has 64 series. The first chunks hold 2, 2, 4, 8, 16 and 32
/// slots, so a family of a few series does not pay for 64.
const CHUNK: u32 = 64;

/// The chunk of slot `id` and the first slot in it.
#[inline(always)]
fn chunk_of(id: u32) -> (usize, u32) {
    if id >= CHUNK {
        ((id / CHUNK + 5) as usize, id & !(CHUNK - 1))
    } else if id < 2 {
        (0, 0)
    } else {
        let c = 31 - id.leading_zeros();
        (c as usize, 1 << c)
    }
}

/// The number of slots in chunk `c`.
fn chunk_len(c: usize) -> u32 {
    match c {
        0 => 2,
        1..=5 => 1 << c,
        _ => CHUNK,
    }
}

/// The memory of chunk `c`. Aligned to a cache line, so that a 64-byte series (a counter
/// with short labels) is one line: a snapshot reads one line per series, and threads
/// updating two neighbouring series do not share one.
fn chunk_layout<K: Kind>(c: usize) -> Layout {
    Layout::array::<Series<K>>(chunk_len(c) as usize)
        .and_then(|l| l.align_to(64))
        .expect("a chunk of series fits in memory")
}

/// The series of one family, indexed by the hash of their label values, and slots for
/// series kept outside the index (the overflow series).
pub(crate) struct Store<K: Kind> {
    /// Chunk `c` holds `chunk_len(c)` slots; slot `id` is in chunk `chunk_of(id).0`.
    chunks: Vec<NonNull<Series<K>>>,
    /// Slots handed out so far: every slot below is in use or in `free`.
    high: u32,
    /// One bit per slot whose series is in the index; the series reported, in slot order.
    live: Vec<u64>,
    /// Slots in use outside the index: the overflow series.
    unindexed: Vec<u32>,
    /// Slots of series taken out of the index that a handle still holds.
    orphans: Vec<u32>,
    /// Slots to reuse.
    free: Vec<u32>,
    index: Index,
    len: usize,
}

// SAFETY: the store owns its series like a `Vec<Series<K>>` would; handles reach them only
// through `&Series<K>`, whose fields are atomics or immutable.
unsafe impl<K: Kind> Send for Store<K> {}
// SAFETY: as above.
unsafe impl<K: Kind> Sync for Store<K> {}

impl<K: Kind> Store<K> {
    pub(crate) fn new() -> Self {
        Store {
            chunks: Vec::new(),
            high: 0,
            live: Vec::new(),
            unindexed: Vec::new(),
            orphans: Vec::new(),
            free: Vec::new(),
            index: Index::default(),
            len: 0,
        }
    }

    /// Series in the index.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline(always)]
    fn slot(&self, id: u32) -> NonNull<Series<K>> {
        let (c, start) = chunk_of(id);
        // SAFETY: chunk `c` exists for every slot below `high` and holds `chunk_len(c)`
        // slots, of which `id - start` is one.
        unsafe { self.chunks[c].add((id - start) as usize) }
    }

    /// The series in slot `id`, which must be in use.
    #[inline(always)]
    fn series(&self, id: u32) -> &Series<K> {
        // SAFETY: a slot in use holds an initialised series until it is freed, which needs
        // `&mut self`.
        unsafe { self.slot(id).as_ref() }
    }

    /// The indexed series for `values`, whose [`crate::labels::hash_values`] is `h`.
    #[inline]
    pub(crate) fn get<S: AsRef<str>>(&self, h: u64, values: &[S]) -> Option<&Series<K>> {
        let id = self
            .index
            .find(h, |id| self.series(id).labels.matches(values))?;
        Some(self.series(id))
    }

    /// A free slot holding `series`, whose count of handles must be one: the store's own.
    fn put(&mut self, series: Series<K>) -> (u32, NonNull<Series<K>>) {
        let id = match self.free.pop() {
            Some(id) => id,
            None => {
                let id = self.high;
                let (c, _) = chunk_of(id);
                if c == self.chunks.len() {
                    let layout = chunk_layout::<K>(c);
                    // SAFETY: a `Series` is never zero-sized, so neither is the layout.
                    let p = unsafe { alloc::alloc(layout) } as *mut Series<K>;
                    let Some(p) = NonNull::new(p) else {
                        alloc::handle_alloc_error(layout)
                    };
                    self.chunks.push(p);
                }
                self.high += 1;
                if self.live.len() * 64 < self.high as usize {
                    self.live.push(0);
                }
                id
            }
        };
        let p = self.slot(id);
        // SAFETY: a free slot holds no series.
        unsafe { p.as_ptr().write(series) };
        (id, p)
    }

    /// Adds `series`, whose `n` label values hash to `h`, to the index.
    pub(crate) fn insert(&mut self, h: u64, series: Series<K>, n: usize) -> &Series<K> {
        if (self.len + 1) * 8 > self.index.capacity() * 7 {
            self.rebuild_index(n, (self.index.capacity() * 2).max(8));
        }
        let (id, _) = self.put(series);
        self.index.insert(h, id);
        self.live[id as usize / 64] |= 1 << (id % 64);
        self.len += 1;
        self.series(id)
    }

    /// Keeps `series` outside the index, for the life of the store.
    pub(crate) fn insert_unindexed(&mut self, series: Series<K>) -> NonNull<Series<K>> {
        let (id, p) = self.put(series);
        self.unindexed.push(id);
        p
    }

    /// The slots of the indexed series, in order.
    fn live_ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.live.iter().enumerate().flat_map(|(w, &bits)| {
            let mut bits = bits;
            std::iter::from_fn(move || {
                if bits == 0 {
                    return None;
                }
                let b = bits.trailing_zeros();
                bits &= bits - 1;
                Some(w as u32 * 64 + b)
            })
        })
    }

    /// Every series in a slot: indexed, overflow, and removed ones a handle still holds.
    pub(crate) fn for_each_in_use<'a>(&'a self, mut f: impl FnMut(&'a Series<K>)) {
        let others = self.unindexed.iter().chain(&self.orphans).copied();
        for id in self.live_ids().chain(others) {
            f(self.series(id));
        }
    }

    /// The indexed series, in slot order.
    pub(crate) fn iter(&self) -> Iter<'_, K> {
        Iter {
            store: self,
            word: 0,
            bits: self.live.first().copied().unwrap_or(0),
            chunk: None,
        }
    }

    /// Takes the series `keep` refuses out of the index; each is freed unless a handle
    /// still holds it. Returns how many left.
    pub(crate) fn retain(&mut self, n: usize, mut keep: impl FnMut(&Series<K>) -> bool) -> usize {
        let mut removed = 0;
        for w in 0..self.live.len() {
            let mut bits = self.live[w];
            while bits != 0 {
                let b = bits.trailing_zeros();
                bits &= bits - 1;
                let id = w as u32 * 64 + b;
                if keep(self.series(id)) {
                    continue;
                }
                self.live[w] &= !(1 << b);
                self.len -= 1;
                removed += 1;
                if self.series(id).refs.fetch_sub(1, Release) == 1 {
                    fence(Acquire);
                    self.free_slot(id);
                } else {
                    self.orphans.push(id);
                }
            }
        }
        if removed > 0 {
            let cap = self.index.capacity();
            self.rebuild_index(n, cap);
        }
        removed
    }

    /// Frees the slot of `series`, out of the index, whose last handle has just gone.
    pub(crate) fn release(&mut self, series: NonNull<Series<K>>) {
        let addr = series.as_ptr() as usize;
        let size = std::mem::size_of::<Series<K>>();
        let mut start = 0u32;
        for (c, base) in self.chunks.iter().enumerate() {
            let offset = addr.wrapping_sub(base.as_ptr() as usize);
            if offset < chunk_len(c) as usize * size {
                let id = start + (offset / size) as u32;
                self.orphans.retain(|&o| o != id);
                return self.free_slot(id);
            }
            start += chunk_len(c);
        }
        unreachable!("a series released to a store that does not hold it");
    }

    fn free_slot(&mut self, id: u32) {
        // SAFETY: the slot holds a series no handle and no index entry refers to any more.
        unsafe { self.slot(id).as_ptr().drop_in_place() };
        self.free.push(id);
    }

    /// Rebuilds the index with `cap` buckets (a power of two) from the live series.
    fn rebuild_index(&mut self, n: usize, cap: usize) {
        let mut index = Index::with_capacity(cap);
        for id in self.live_ids() {
            index.insert(self.series(id).labels.hash(n), id);
        }
        self.index = index;
    }
}

/// The indexed series of a [`Store`], in slot order.
pub(crate) struct Iter<'a, K: Kind> {
    store: &'a Store<K>,
    /// The word of `live` being read, and its bits not yet visited.
    word: usize,
    bits: u64,
    /// The chunk of the word's slots: past the first 64 slots, the slots of a word are one
    /// chunk, `word + 5` (see `chunk_of`).
    chunk: Option<NonNull<Series<K>>>,
}

impl<'a, K: Kind> Iterator for Iter<'a, K> {
    type Item = &'a Series<K>;

    #[inline]
    fn next(&mut self) -> Option<&'a Series<K>> {
        while self.bits == 0 {
            self.word += 1;
            self.bits = *self.store.live.get(self.word)?;
            self.chunk = Some(self.store.chunks[self.word + 5]);
        }
        let b = self.bits.trailing_zeros();
        self.bits &= self.bits - 1;
        Some(match self.chunk {
            // SAFETY: a live slot holds a series, and the chunk holds the word's slots.
            Some(chunk) => unsafe { chunk.add(b as usize).as_ref() },
            None => self.store.series(b),
        })
    }
}

impl<K: Kind> Drop for Store<K> {
    fn drop(&mut self) {
        // Handles of the per-thread caches may be left: they do not keep the family, and
        // find out that it is gone before they would give their handle up.
        let used: Vec<u32> = self
            .live_ids()
            .chain(self.unindexed.iter().copied())
            .chain(self.orphans.iter().copied())
            .collect();
        for id in used {
            // SAFETY: a slot in use, dropped once.
            unsafe { self.slot(id).as_ptr().drop_in_place() };
        }
        for (c, p) in self.chunks.iter().enumerate() {
            let layout = chunk_layout::<K>(c);
            // SAFETY: allocated in `put` with this layout.
            unsafe { alloc::dealloc(p.as_ptr() as *mut u8, layout) };
        }
    }
}

/// Open addressing from a hash to a slot: one control byte per bucket (empty, or seven bits
/// of the hash, so a probe rarely reads a series that does not match) and the slot numbers.
/// Entries are only added; removing series rebuilds it.
#[derive(Default)]
struct Index {
    ctrl: Box<[u8]>,
    ids: Box<[u32]>,
}

impl Index {
    fn with_capacity(cap: usize) -> Self {
        debug_assert!(cap.is_power_of_two());
        Index {
            ctrl: vec![0; cap].into_boxed_slice(),
            ids: vec![0; cap].into_boxed_slice(),
        }
    }

    fn capacity(&self) -> usize {
        self.ctrl.len()
    }

    #[inline(always)]
    fn tag(h: u64) -> u8 {
        0x80 | (h >> 57) as u8
    }

    #[inline]
    fn find(&self, h: u64, mut eq: impl FnMut(u32) -> bool) -> Option<u32> {
        let mask = self.ctrl.len().checked_sub(1)?;
        let tag = Self::tag(h);
        let mut i = h as usize & mask;
        loop {
            let c = self.ctrl[i];
            if c == 0 {
                return None;
            }
            if c == tag && eq(self.ids[i]) {
                return Some(self.ids[i]);
            }
            i = (i + 1) & mask;
        }
    }

    /// Adds an entry; there must be an empty bucket.
    fn insert(&mut self, h: u64, id: u32) {
        let mask = self.ctrl.len() - 1;
        let mut i = h as usize & mask;
        while self.ctrl[i] != 0 {
            i = (i + 1) & mask;
        }
        self.ctrl[i] = Self::tag(h);
        self.ids[i] = id;
    }
}

/// A counted handle to one series: the family, which owns the series' slot, and the slot.
pub(crate) struct Held<K: Kind> {
    pub(crate) family: Arc<Family<K>>,
    series: NonNull<Series<K>>,
}

// SAFETY: like `Arc<Series<K>>`: the series is shared through `&Series<K>` only.
unsafe impl<K: Kind> Send for Held<K> {}
// SAFETY: as above.
unsafe impl<K: Kind> Sync for Held<K> {}

/// Beyond this many handles to one series, counting would come close to wrapping.
const MAX_REFS: u32 = i32::MAX as u32;

impl<K: Kind> Held<K> {
    /// A new handle to `series`, which `family` holds (in its index or as its overflow
    /// series) for at least as long as this call.
    pub(crate) fn new(family: Arc<Family<K>>, series: &Series<K>) -> Self {
        Held {
            family,
            series: add_ref(series),
        }
    }
}

/// Takes a handle to `series`, which the caller gives up with [`unref`].
pub(crate) fn add_ref<K: Kind>(series: &Series<K>) -> NonNull<Series<K>> {
    if series.refs.fetch_add(1, Relaxed) > MAX_REFS {
        std::process::abort();
    }
    NonNull::from(series)
}

impl<K: Kind> std::ops::Deref for Held<K> {
    type Target = Series<K>;
    #[inline(always)]
    fn deref(&self) -> &Series<K> {
        // SAFETY: the handle keeps the series in its slot.
        unsafe { self.series.as_ref() }
    }
}

impl<K: Kind> Clone for Held<K> {
    fn clone(&self) -> Self {
        Held::new(self.family.clone(), self)
    }
}

impl<K: Kind> Drop for Held<K> {
    fn drop(&mut self) {
        // SAFETY: this handle still counts.
        unsafe { unref(&self.family, self.series) }
    }
}

/// Drops one handle to `series`; the last one frees its slot.
///
/// # Safety
/// The caller owns a handle to `series`, a series of `family`, and gives it up.
pub(crate) unsafe fn unref<K: Kind>(family: &Family<K>, series: NonNull<Series<K>>) {
    // SAFETY: the caller's handle keeps the series in its slot until here.
    if unsafe { series.as_ref() }.refs.fetch_sub(1, Release) != 1 {
        return;
    }
    fence(Acquire);
    family.release(series);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Registry;

    fn slots_used(v: &crate::CounterVec) -> (u32, usize) {
        let m = v.family.map.read().unwrap();
        (m.high, m.free.len())
    }

    #[test]
    fn a_series_removed_while_held_keeps_counting_and_frees_its_slot_with_the_last_handle() {
        let reg = Registry::new();
        let v = reg
            .counter("held_total", "h")
            .labels(&["k"])
            .build_vec()
            .unwrap();
        let held = v.with(&["a"]).unwrap();
        let again = held.clone();
        held.inc();
        assert!(v.remove(&["a"]).unwrap());
        again.inc();
        assert_eq!(held.get(), 2.0);
        assert!(!reg.encode_text().contains("k=\"a\""));
        // Its slot is not reused while a handle holds it.
        v.inc(&["b"]).unwrap();
        assert_eq!(slots_used(&v), (2, 0));
        drop(held);
        assert_eq!(slots_used(&v), (2, 0));
        drop(again);
        assert_eq!(slots_used(&v), (2, 1));
        v.inc(&["c"]).unwrap();
        assert_eq!(slots_used(&v), (2, 0));
        let text = reg.encode_text();
        assert!(text.contains("held_total{k=\"b\"} 1") && text.contains("held_total{k=\"c\"} 1"));
        assert_eq!(reg.series_count(), 2);
    }

    #[test]
    fn many_series_stay_found_across_growth_removal_and_reuse() {
        let reg = Registry::builder()
            .max_series_per_metric(1 << 20)
            .build()
            .unwrap();
        let v = reg
            .counter("many_total", "m")
            .labels(&["id", "kind"])
            .build_vec()
            .unwrap();
        let name = |i: u32| format!("series-{i}-{}", "x".repeat(i as usize % 40));
        for i in 0..5000 {
            v.with(&[name(i).as_str(), "k"])
                .unwrap()
                .inc_by(f64::from(i))
                .unwrap();
        }
        for i in (0..5000).step_by(2) {
            assert!(v.remove(&[name(i).as_str(), "k"]).unwrap());
        }
        for i in 0..5000 {
            let expect = if i % 2 == 0 { 0.0 } else { f64::from(i) };
            assert_eq!(
                v.with(&[name(i).as_str(), "k"]).unwrap().get(),
                expect,
                "{i}"
            );
        }
        // The removed ones came back into freed slots.
        assert_eq!(slots_used(&v), (5000, 0));
        let snap = reg.snapshot();
        assert_eq!(snap.families()[0].iter().count(), 5000);
    }

    #[test]
    fn a_dropped_family_is_freed_although_this_threads_cache_holds_its_series() {
        let reg = Registry::new();
        let v = reg
            .counter("cached_total", "c")
            .labels(&["k"])
            .build_vec()
            .unwrap();
        v.inc(&["a"]).unwrap();
        v.inc(&["a-long-value-of-many-bytes"]).unwrap();
        let held = v.with(&["b"]).unwrap();
        assert!(v.remove(&["b"]).unwrap());
        v.inc(&["b"]).unwrap();
        let family = Arc::downgrade(&v.family);
        drop((v, reg, held));
        assert!(family.upgrade().is_none());
        // The cache entries it left behind are replaced without touching it.
        let other = Registry::new()
            .counter("cached_total", "c")
            .labels(&["k"])
            .build_vec()
            .unwrap();
        for k in ["a", "a-long-value-of-many-bytes", "b"] {
            other.inc(&[k]).unwrap();
            assert_eq!(other.with(&[k]).unwrap().get(), 1.0);
        }
    }

    #[test]
    fn a_family_dropped_with_series_and_an_overflow_series_frees_them() {
        let reg = Registry::new();
        let v = reg
            .histogram("drop_seconds", "d")
            .labels(&["k"])
            .max_series(2)
            .build_vec()
            .unwrap();
        for k in ["a", "b", "c", "d"] {
            v.observe(&[k], 1.0).unwrap();
        }
        let overflow = v.overflow().unwrap();
        assert_eq!(overflow.count(), 2);
        assert!(reg.unregister("drop_seconds"));
        drop(v);
        overflow.observe(2.0).unwrap();
        assert_eq!(overflow.count(), 3);
    }

    #[test]
    fn handles_taken_and_dropped_while_series_are_removed_and_made_again_stay_exact() {
        let reg = Registry::new();
        let v = reg
            .counter("churn_total", "c")
            .labels(&["k"])
            .build_vec()
            .unwrap();
        let rounds = if cfg!(miri) { 20 } else { 5000 };
        let keys = ["a", "b", "c"];
        std::thread::scope(|s| {
            for t in 0..2 {
                let v = &v;
                s.spawn(move || {
                    for i in 0..rounds {
                        let k = keys[(i + t) % keys.len()];
                        // A handle counts exactly what went through it, whether or not its
                        // series was removed meanwhile.
                        let held = v.with(&[k]).unwrap();
                        let before = held.get();
                        held.inc();
                        v.inc(&[k]).unwrap();
                        assert!(held.get() >= before + 1.0);
                        let again = held.clone();
                        drop(held);
                        again.inc_by(0.5).unwrap();
                    }
                });
            }
            s.spawn(|| {
                for i in 0..rounds {
                    let _ = v.remove(&[keys[i % keys.len()]]).unwrap();
                }
            });
            s.spawn(|| {
                for _ in 0..rounds / 4 {
                    let _ = reg.snapshot();
                }
            });
        });
        // Slots in use: the series still reported, and removed ones a per-thread cache
        // may still hold until its thread's destructors have run.
        let (high, free) = slots_used(&v);
        assert!(high as usize - free >= reg.series_count());
        assert!(reg.series_count() <= keys.len());
    }

    #[test]
    fn a_counter_series_with_its_labels_fills_one_64_byte_slot() {
        assert_eq!(
            std::mem::size_of::<Series<crate::metric::counter::CounterKind>>(),
            64
        );
    }

    #[test]
    fn chunks_cover_every_slot_once_in_order() {
        let mut next = 0u32;
        for c in 0..12 {
            for i in 0..chunk_len(c) {
                assert_eq!(chunk_of(next), (c, next - i), "slot {next}");
                next += 1;
            }
        }
    }

    #[test]
    fn index_finds_what_it_holds_among_equal_tags() {
        let mut ix = Index::with_capacity(8);
        assert_eq!(Index::default().find(1, |_| true), None);
        // Same bucket and same tag: told apart by the comparison only.
        ix.insert(3, 10);
        ix.insert(3 | 8, 11);
        ix.insert(5, 12);
        assert_eq!(ix.find(3, |id| id == 11), Some(11));
        assert_eq!(ix.find(3, |id| id == 10), Some(10));
        assert_eq!(ix.find(5, |_| true), Some(12));
        // A probe goes on over entries that do not compare equal, and stops at an empty one.
        assert_eq!(ix.find(4, |_| false), None);
        assert_eq!(ix.find(3, |id| id == 12), Some(12));
        assert_eq!(ix.find(3 | (1 << 60), |_| true), None);
    }
}
