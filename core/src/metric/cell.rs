//! The atomic cells behind every series. A counter cell is a single atomic until two threads
//! collide on it, then it grows per-thread stripes (as Java's LongAdder does), so a hot
//! series shared by many threads does not collapse into cache-line ping-pong.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering::*};

// The atomics of the `Adder`, which the loom model (`--cfg loom`, see `loom_tests` below)
// replaces with its own. The other cells keep std's: their callers in the sibling modules
// pass std atomics in, and a single-atomic update has no interleaving worth modelling.
#[cfg(loom)]
use loom::sync::atomic::{AtomicPtr, AtomicU64 as AdderU64, AtomicUsize};
#[cfg(not(loom))]
use std::sync::atomic::{AtomicPtr, AtomicU64 as AdderU64, AtomicUsize};

/// Stripes per contended cell, each on its own cache line. A constant (not the core count)
/// so that picking a stripe is a mask, not a load: 16 threads hammering one series before
/// two of them share a stripe is plenty, and only contended series pay the 2 KiB.
const STRIPES: usize = 16;

#[inline(always)]
fn stripe_count() -> usize {
    STRIPES
}

#[cfg(not(loom))]
thread_local! {
    static THREAD_INDEX: Cell<usize> = const { Cell::new(usize::MAX) };
}
#[cfg(not(loom))]
static NEXT_THREAD_INDEX: AtomicUsize = AtomicUsize::new(0);

// Under loom, every modelled thread has its own index and the numbering starts again with
// each execution, so the stripe a thread picks is part of the model.
#[cfg(loom)]
loom::thread_local! {
    static THREAD_INDEX: Cell<usize> = Cell::new(usize::MAX);
}
#[cfg(loom)]
loom::lazy_static! {
    static ref NEXT_THREAD_INDEX: AtomicUsize = AtomicUsize::new(0);
}

/// A small per-thread number, handed out round-robin, so that threads pick distinct stripes.
#[inline]
pub(crate) fn thread_index() -> usize {
    let v = THREAD_INDEX.with(Cell::get);
    if v != usize::MAX {
        return v;
    }
    assign_thread_index()
}

/// The first call on a thread, out of line so that the common one needs no stack frame
/// (whose register saves are stores an atomic update would wait for).
#[cold]
#[inline(never)]
fn assign_thread_index() -> usize {
    let v = NEXT_THREAD_INDEX.fetch_add(1, Relaxed);
    THREAD_INDEX.with(|i| i.set(v));
    v
}

/// An unstriped cell checks for contention once its integer passes a multiple of this. A
/// power of two.
pub(crate) const PROBE_EVERY: u64 = 64;

#[repr(align(128))]
#[derive(Default)]
pub(crate) struct Padded(pub(crate) AtomicU64);

#[inline]
pub(crate) fn add_f64(cell: &AtomicU64, v: f64) {
    add_f64_from(cell, cell.load(Relaxed), v)
}

/// Adds `v` to a float cell, starting from `cur`, a value of the cell read earlier.
#[inline]
pub(crate) fn add_f64_from(cell: &AtomicU64, mut cur: u64, v: f64) {
    loop {
        let new = (f64::from_bits(cur) + v).to_bits();
        match cell.compare_exchange_weak(cur, new, Relaxed, Relaxed) {
            Ok(_) => return,
            Err(x) => cur = x,
        }
    }
}

/// [`add_f64`] on a cell of the [`Adder`] (the same function, unless loom models it).
#[cfg(not(loom))]
use add_f64 as add_adder_f64;
#[cfg(loom)]
fn add_adder_f64(cell: &AdderU64, v: f64) {
    let mut cur = cell.load(Relaxed);
    loop {
        let new = (f64::from_bits(cur) + v).to_bits();
        match cell.compare_exchange_weak(cur, new, Relaxed, Relaxed) {
            Ok(_) => return,
            Err(x) => cur = x,
        }
    }
}

/// One stripe of a contended [`Adder`], alone on its cache line.
#[repr(align(128))]
#[derive(Default)]
struct Stripe {
    ints: AdderU64,
    floats: AdderU64,
}

/// A sum that many threads add to. Whole increments (the common `inc()`) go to an integer
/// cell, fractional ones to a float cell, so the usual update is one atomic add on an
/// integer. Each time the integer passes a multiple of [`PROBE_EVERY`], the next update is a
/// compare-and-swap from a fresh read instead: a failed swap means another thread wrote the
/// cell in between, and from then on each thread adds into its own stripe.
pub(crate) struct Adder {
    ints: AdderU64,
    floats: AdderU64,
    /// Null, [`probe_tag`] (the next update probes), or the stripes.
    stripes: AtomicPtr<Stripe>,
}

/// The `stripes` value that asks the next update to probe. Stripes are 128-byte aligned, so
/// no real pointer equals it.
#[inline(always)]
fn probe_tag() -> *mut Stripe {
    std::ptr::without_provenance_mut(1)
}

/// The stripes behind a `stripes` value, if it holds any.
#[inline(always)]
fn striped(p: *mut Stripe) -> Option<*mut Stripe> {
    (p.addr() > 1).then_some(p)
}

impl Default for Adder {
    fn default() -> Self {
        Adder {
            ints: AdderU64::new(0),
            floats: AdderU64::new(0f64.to_bits()),
            stripes: AtomicPtr::new(std::ptr::null_mut()),
        }
    }
}

/// Largest increment kept exact in the integer cell.
const MAX_INT: f64 = (1u64 << 53) as f64;

impl Adder {
    #[inline]
    pub(crate) fn add(&self, v: f64) {
        if v == 1.0 {
            self.add_int(1)
        } else if v.fract() == 0.0 && v < MAX_INT {
            self.add_int(v as u64)
        } else {
            self.add_float(v)
        }
    }

    /// Adds one: the plain `inc()` of a held counter.
    #[inline]
    pub(crate) fn inc(&self) {
        self.add_int(1)
    }

    #[inline(always)]
    fn add_int(&self, n: u64) {
        let stripes = self.stripes.load(Acquire);
        if stripes.is_null() {
            // The hot path: one atomic add. Its result only decides, rarely, to probe.
            let old = self.ints.fetch_add(n, Relaxed);
            if (old & (PROBE_EVERY - 1)).wrapping_add(n) >= PROBE_EVERY {
                self.request_probe();
            }
            return;
        }
        if stripes == probe_tag() {
            return self.add_int_probing(n);
        }
        // A thread's first striped update anywhere takes the cold path that numbers it.
        let i = THREAD_INDEX.with(Cell::get);
        if i == usize::MAX {
            return self.add_int_striped_first(stripes, n);
        }
        // SAFETY: see `stripe`.
        unsafe { &*stripes.add(i & (STRIPES - 1)) }
            .ints
            .fetch_add(n, Relaxed);
    }

    #[cold]
    #[inline(never)]
    fn request_probe(&self) {
        let _ = self
            .stripes
            .compare_exchange(std::ptr::null_mut(), probe_tag(), Relaxed, Relaxed);
    }

    #[cold]
    #[inline(never)]
    fn add_int_striped_first(&self, stripes: *mut Stripe, n: u64) {
        self.stripe(stripes).ints.fetch_add(n, Relaxed);
    }

    /// Adds by compare-and-swap from a fresh read, which fails only when another thread
    /// wrote the cell between the two: then the cell grows stripes, else the probe is done.
    #[cold]
    #[inline(never)]
    fn add_int_probing(&self, n: u64) {
        let cur = self.ints.load(Relaxed);
        if self
            .ints
            .compare_exchange(cur, cur.wrapping_add(n), Relaxed, Relaxed)
            .is_ok()
        {
            let _ =
                self.stripes
                    .compare_exchange(probe_tag(), std::ptr::null_mut(), Relaxed, Relaxed);
        } else {
            let stripes = self.inflate();
            self.stripe(stripes).ints.fetch_add(n, Relaxed);
        }
    }

    fn add_float(&self, v: f64) {
        match striped(self.stripes.load(Acquire)) {
            None => add_adder_f64(&self.floats, v),
            Some(stripes) => add_adder_f64(&self.stripe(stripes).floats, v),
        }
    }

    #[inline]
    fn stripe(&self, stripes: *mut Stripe) -> &Stripe {
        // SAFETY: a published stripes pointer always points to `stripe_count()` elements and
        // lives until the Adder is dropped.
        unsafe { &*stripes.add(thread_index() & (stripe_count() - 1)) }
    }

    /// Publishes stripes (or finds those another thread published) and returns them.
    #[cold]
    fn inflate(&self) -> *mut Stripe {
        let n = stripe_count();
        let fresh: Box<[Stripe]> = (0..n).map(|_| Stripe::default()).collect();
        let fresh = Box::into_raw(fresh) as *mut Stripe;
        let mut seen = self.stripes.load(Acquire);
        loop {
            if let Some(existing) = striped(seen) {
                // SAFETY: `fresh` came from Box::into_raw of an n-element slice just above
                // and was never published.
                drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(fresh, n)) });
                return existing;
            }
            match self.stripes.compare_exchange(seen, fresh, AcqRel, Acquire) {
                Ok(_) => return fresh,
                Err(now) => seen = now,
            }
        }
    }

    pub(crate) fn reset(&self) {
        self.ints.store(0, Relaxed);
        self.floats.store(0f64.to_bits(), Relaxed);
        if let Some(stripes) = striped(self.stripes.load(Acquire)) {
            for i in 0..stripe_count() {
                // SAFETY: see `stripe`.
                let s = unsafe { &*stripes.add(i) };
                s.ints.store(0, Relaxed);
                s.floats.store(0f64.to_bits(), Relaxed);
            }
        }
    }

    pub(crate) fn get(&self) -> f64 {
        let mut ints = self.ints.load(Relaxed);
        let mut floats = f64::from_bits(self.floats.load(Relaxed));
        if let Some(stripes) = striped(self.stripes.load(Acquire)) {
            for i in 0..stripe_count() {
                // SAFETY: see `stripe`.
                let s = unsafe { &*stripes.add(i) };
                ints = ints.wrapping_add(s.ints.load(Relaxed));
                floats += f64::from_bits(s.floats.load(Relaxed));
            }
        }
        ints as f64 + floats
    }
}

impl Drop for Adder {
    fn drop(&mut self) {
        #[cfg(not(loom))]
        let p = *self.stripes.get_mut();
        #[cfg(loom)]
        let p = self.stripes.with_mut(|p| *p);
        if let Some(p) = striped(p) {
            // SAFETY: allocated in `inflate` as a boxed slice of stripe_count() elements.
            drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(p, stripe_count())) });
        }
    }
}

/// A counter of events spread over per-thread stripes from the start; used where a family's
/// bookkeeping (sampling seen/kept) would otherwise make every thread hit one cache line.
pub(crate) struct Striped(Box<[Padded]>);

impl Default for Striped {
    fn default() -> Self {
        Striped((0..stripe_count()).map(|_| Padded::default()).collect())
    }
}

impl Striped {
    #[inline]
    pub(crate) fn add(&self, v: u64) {
        let n = self.0.len();
        self.0[thread_index() & (n - 1)].0.fetch_add(v, Relaxed);
    }
    #[inline]
    pub(crate) fn local(&self) -> &AtomicU64 {
        let n = self.0.len();
        &self.0[thread_index() & (n - 1)].0
    }
    pub(crate) fn get(&self) -> u64 {
        self.0.iter().map(|p| p.0.load(Relaxed)).sum()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn adder_loses_no_increments_under_contention() {
        let a = Arc::new(Adder::default());
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let a = a.clone();
                std::thread::spawn(move || {
                    for _ in 0..100_000 {
                        a.add(1.0);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(a.get(), 800_000.0);
    }

    #[test]
    fn adder_grows_stripes_when_threads_collide_and_stays_single_when_alone() {
        let alone = Adder::default();
        (0..100_000).for_each(|_| alone.inc());
        assert!(striped(alone.stripes.load(Relaxed)).is_none());
        assert_eq!(alone.get(), 100_000.0);

        let a = Arc::new(Adder::default());
        let start = Arc::new(std::sync::Barrier::new(2));
        let counts: Vec<u64> = (0..2)
            .map(|_| {
                let (a, start) = (a.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    let mut n = 0u64;
                    // Until the other thread's collisions make the cell grow, within a time
                    // bound: on a busy machine the two threads may take turns on one core
                    // for a while before they ever run at once.
                    let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
                    while striped(a.stripes.load(Relaxed)).is_none()
                        && (n % 4096 != 0 || std::time::Instant::now() < until)
                    {
                        a.inc();
                        n += 1;
                    }
                    (0..1000).for_each(|_| a.inc());
                    n + 1000
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect();
        assert!(
            striped(a.stripes.load(Relaxed)).is_some(),
            "two threads on one cell grew no stripes"
        );
        assert_eq!(a.get(), counts.iter().sum::<u64>() as f64);
    }

    #[test]
    fn adder_mixes_whole_and_fractional_increments() {
        let a = Adder::default();
        a.add(1.0);
        a.add(2.5);
        a.add(1e300);
        a.add(3.0);
        assert_eq!(a.get(), 1e300);
        let b = Adder::default();
        b.add(0.25);
        b.add(2.0);
        assert_eq!(b.get(), 2.25);
    }

    #[test]
    fn striped_counter_sums_every_stripe() {
        let s = Arc::new(Striped::default());
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let s = s.clone();
                std::thread::spawn(move || (0..1000).for_each(|_| s.add(2)))
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(s.get(), 8000);
    }
}

/// The `Adder` under loom, which runs every interleaving of the modelled threads. Run with
/// `RUSTFLAGS="--cfg loom" cargo test -p pushmetrics --release --lib loom` (in a target
/// directory of its own, as in tests/run.sh: the flag rebuilds every dependency).
///
/// What is modelled: the unstriped add, the probe, the compare-and-swap that detects a
/// collision, the race of two threads inflating at once (one publishes its stripes, the
/// other frees its own), striped adds, and reads while all of that happens. What is not:
/// stripe padding (a layout matter, not an ordering one), and more than two or three
/// threads (the state space grows too fast to finish; two already collide on every path).
/// The models start cells in the probing state, or just below a probe boundary, so that
/// they reach the rare paths in a few steps instead of 64 adds each.
#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc;
    use loom::thread;

    #[test]
    fn loom_two_threads_probing_lose_no_increment() {
        loom::model(|| {
            let a = Arc::new(Adder::default());
            a.stripes.store(probe_tag(), Relaxed);
            let b = a.clone();
            let t = thread::spawn(move || {
                b.add(1.0);
                b.add(2.0);
            });
            a.add(1.0);
            a.add(0.5);
            t.join().unwrap();
            assert_eq!(a.get(), 4.5);
        });
    }

    #[test]
    fn loom_both_threads_inflating_publish_one_set_of_stripes() {
        loom::model(|| {
            let a = Arc::new(Adder::default());
            let threads: Vec<_> = (0..2)
                .map(|_| {
                    let a = a.clone();
                    thread::spawn(move || {
                        let s = a.inflate();
                        a.stripe(s).ints.fetch_add(1, Relaxed);
                        s as usize
                    })
                })
                .collect();
            let seen: Vec<usize> = threads.into_iter().map(|t| t.join().unwrap()).collect();
            assert_eq!(seen[0], seen[1], "two threads saw different stripes");
            assert_eq!(a.stripes.load(Relaxed) as usize, seen[0]);
            assert_eq!(a.get(), 2.0);
        });
    }

    #[test]
    fn loom_a_read_during_adds_sees_a_value_between_the_bounds() {
        loom::model(|| {
            let a = Arc::new(Adder::default());
            // One add short of a probe boundary: the next whole add asks for a probe.
            a.ints.store(PROBE_EVERY - 1, Relaxed);
            let b = a.clone();
            let t = thread::spawn(move || {
                b.add(1.0);
                b.add(1.0);
            });
            let before = (PROBE_EVERY - 1) as f64;
            let mid = a.get();
            assert!((before..=before + 2.0).contains(&mid), "{mid}");
            a.add(3.0);
            t.join().unwrap();
            assert_eq!(a.get(), before + 5.0);
        });
    }
}
