//! Surviving `fork()`: a child process never hangs on a lock another thread held, and gets
//! a working pusher of its own instead of a dead thread. The bindings call [`prepare`],
//! [`parent`] and [`child`] around a fork (`pthread_atfork`, Python's
//! `os.register_at_fork`); Rust programs that fork call them too.
//!
//! - [`prepare`], in the forking thread before the fork, waits until no push thread is
//!   inside a lock-taking section (a snapshot or a stats update; never network I/O), then
//!   takes every lock of every registry and pusher (the series maps of each family, each
//!   summary series' lock, the pushers' state), in the order the rest of the library takes
//!   them. No other thread can then hold one when the process is copied.
//! - [`parent`] lets them go.
//! - [`child`] lets them go in the child and marks the process as forked. It does only what
//!   is async-signal-safe (atomic stores and unlocking), as POSIX asks of a fork handler:
//!   no allocation, no thread, no log line. A child that only `exec`s pays nothing more.
//! - The child's first record, read, snapshot, flush, stats or shutdown then restarts the
//!   library there ([`check`]): the registries of live pushers set counters, histograms
//!   and summaries back to zero (gauges keep their values), and each pusher starts a new
//!   thread that pushes to the parent's group plus a `pid` grouping label with the child's
//!   process id, so the parent's numbers are never counted twice.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicBool, Ordering::*};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Push threads inside a lock-taking section. [`prepare`] holds the lock from the moment
/// it is zero until after the fork, which keeps new sections out.
static ACTIVE: Mutex<usize> = Mutex::new(0);
static IDLE: Condvar = Condvar::new();

/// Held by a push thread while it may hold registry or stats locks.
pub(crate) struct Section(());

/// Enters a lock-taking section, waiting while a fork is being prepared.
pub(crate) fn enter() -> Section {
    *lock(&ACTIVE) += 1;
    Section(())
}

impl Drop for Section {
    fn drop(&mut self) {
        let mut active = lock(&ACTIVE);
        *active -= 1;
        if *active == 0 {
            IDLE.notify_all();
        }
    }
}

/// The locks of one registry or pusher, taken by [`prepare`].
pub(crate) trait Hold {
    /// Lets every lock go, without freeing memory (a forked child calls it from its fork
    /// handler, where `free` is not allowed).
    fn release(&mut self);
}

/// A registry or a pusher: something with locks a fork must not copy while held.
pub(crate) trait Forkable: Send + Sync {
    /// Pushers are locked before registries: a pusher takes its registry's locks while
    /// holding its own (`stats()`), never the other way round.
    fn rank(&self) -> u8;
    /// Takes every lock of `self`, in the order the library takes them.
    fn hold(self: Arc<Self>) -> Box<dyn Hold>;
    /// In a forked child: the registry whose counts start again from zero.
    fn registry_in_child(&self) -> Option<crate::Registry> {
        None
    }
    /// In a forked child, after the registries were reset: start again.
    fn restart_in_child(&self) {}
}

static LIVE: Mutex<Vec<Weak<dyn Forkable>>> = Mutex::new(Vec::new());

pub(crate) fn register(p: Weak<dyn Forkable>) {
    let mut live = lock(&LIVE);
    live.retain(|w| w.strong_count() > 0);
    live.push(p);
}

/// Everything [`prepare`] took, in order.
struct Holds {
    restarting: Option<MutexGuard<'static, ()>>,
    active: Option<MutexGuard<'static, usize>>,
    live: Option<MutexGuard<'static, Vec<Weak<dyn Forkable>>>>,
    objects: Vec<Box<dyn Hold>>,
}

impl Holds {
    /// Lets everything go, the last taken first, freeing nothing.
    fn release(&mut self) {
        for h in self.objects.iter_mut().rev() {
            h.release();
        }
        self.live = None;
        self.active = None;
        self.restarting = None;
    }
}

thread_local! {
    /// What [`prepare`] took, until [`parent`] or [`child`] in the same thread.
    static HELD: RefCell<Option<Holds>> = const { RefCell::new(None) };
    /// Set while this thread restarts the library in a child, whose recording on the
    /// pushers' own metrics must not restart it again.
    static RESTARTING_HERE: Cell<bool> = const { Cell::new(false) };
}

/// Serialises restarts in a child.
static RESTARTING: Mutex<()> = Mutex::new(());

/// Set in a forked child until the library has restarted there.
static FORKED: AtomicBool = AtomicBool::new(false);

#[cfg(unix)]
extern "C" {
    fn pthread_atfork(
        prepare: Option<extern "C" fn()>,
        parent: Option<extern "C" fn()>,
        child: Option<extern "C" fn()>,
    ) -> std::ffi::c_int;
}

// A panic cannot be reported from a fork handler; it must at least not unwind into libc.
extern "C" fn prepare_handler() {
    let _ = std::panic::catch_unwind(prepare);
}

extern "C" fn parent_handler() {
    let _ = std::panic::catch_unwind(parent);
}

extern "C" fn child_handler() {
    let _ = std::panic::catch_unwind(child);
}

/// Installs [`prepare`], [`parent`] and [`child`] with `pthread_atfork`, once per process,
/// so libc runs them inside every `fork()`; false if the platform refused them. For a
/// binding whose runtime has fork hooks of its own (Python's), these run after all of
/// them, with no more of the runtime's code running until the process is copied.
pub fn install_handlers() -> bool {
    install_handlers_with(prepare_handler, parent_handler, child_handler)
}

/// [`install_handlers`] with handlers of the caller's that call [`prepare`], [`parent`]
/// and [`child`] among other things (the C library's also hold its log callback's lock).
/// Whichever of the two comes first installs its handlers, once per process; the other
/// then does nothing, so the library's locks are never taken twice in one fork.
pub fn install_handlers_with(
    prepare: extern "C" fn(),
    parent: extern "C" fn(),
    child: extern "C" fn(),
) -> bool {
    static INSTALLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *INSTALLED.get_or_init(|| {
        #[cfg(unix)]
        // SAFETY: the handlers are plain functions that live as long as the library.
        return unsafe { pthread_atfork(Some(prepare), Some(parent), Some(child)) == 0 };
        #[cfg(not(unix))]
        {
            let _ = (prepare, parent, child);
            false
        }
    })
}

/// Call right before `fork()`: waits until no push thread is inside a section and takes
/// every lock of the library, until [`parent`] or [`child`] in the same thread.
pub fn prepare() {
    let restarting = lock(&RESTARTING);
    let active = IDLE
        .wait_while(lock(&ACTIVE), |a| *a > 0)
        .unwrap_or_else(|e| e.into_inner());
    let live = lock(&LIVE);
    let mut objects: Vec<Arc<dyn Forkable>> = live.iter().filter_map(Weak::upgrade).collect();
    objects.sort_by_key(|o| o.rank());
    let holds = Holds {
        restarting: Some(restarting),
        active: Some(active),
        live: Some(live),
        objects: objects.into_iter().map(|o| o.hold()).collect(),
    };
    let _ = HELD.try_with(|h| {
        if let Ok(mut h) = h.try_borrow_mut() {
            *h = Some(holds);
        }
    });
}

/// Call in the parent right after `fork()`.
pub fn parent() {
    let holds = HELD.try_with(|h| h.try_borrow_mut().ok().and_then(|mut h| h.take()));
    if let Ok(Some(mut holds)) = holds {
        holds.release();
    }
}

/// Call in the child right after `fork()`. Async-signal-safe: it lets the locks go and
/// marks the process as forked; the library restarts at its next use (see the module
/// documentation).
pub fn child() {
    let holds = HELD.try_with(|h| h.try_borrow_mut().ok().and_then(|mut h| h.take()));
    if let Ok(Some(mut holds)) = holds {
        holds.release();
        // Freeing is not allowed here; what the holds kept alive stays.
        std::mem::forget(holds);
    }
    crate::multiprocess::count_fork();
    FORKED.store(true, Release);
}

/// Restarts the library if this is a forked child that has not yet done so. Every record,
/// snapshot and pusher call passes here first: one load of a flag that never changes in a
/// process that does not fork.
#[inline(always)]
pub(crate) fn check() {
    if FORKED.load(Acquire) {
        restart();
    }
}

#[cold]
#[inline(never)]
fn restart() {
    if RESTARTING_HERE.try_with(Cell::get).unwrap_or(true) {
        return;
    }
    let _one = lock(&RESTARTING);
    if !FORKED.load(Acquire) {
        return; // another thread did it
    }
    let _ = RESTARTING_HERE.try_with(|r| r.set(true));
    let objects: Vec<Arc<dyn Forkable>> = lock(&LIVE).iter().filter_map(Weak::upgrade).collect();
    let mut reset: Vec<crate::Registry> = Vec::new();
    for r in objects.iter().filter_map(|o| o.registry_in_child()) {
        if !reset.iter().any(|done| done.same_as(&r)) {
            r.reset();
            reset.push(r);
        }
    }
    for o in &objects {
        o.restart_in_child();
    }
    FORKED.store(false, Release);
    let _ = RESTARTING_HERE.try_with(|r| r.set(false));
}
