//! Surviving `fork()`: a child process gets a working pusher of its own instead of a dead
//! thread. The bindings call [`prepare`], [`parent`] and [`child`] around a fork
//! (`pthread_atfork`, Python's `os.register_at_fork`); Rust programs may call them too.
//!
//! `prepare` waits until no push thread is inside a lock-holding section (a snapshot or a
//! stats update; never network I/O), so the child inherits no held lock. In the child,
//! every live pusher starts a new thread, its registry's counters, histograms and summaries
//! start again from zero (gauges keep their values), and its group gets a `pid` grouping
//! label with the child's process id: the child pushes its own numbers to its own group
//! and never counts the parent's twice.

use std::sync::{Condvar, Mutex, Weak};

struct State {
    forking: bool,
    active: usize,
}

static STATE: Mutex<State> = Mutex::new(State {
    forking: false,
    active: 0,
});
static CHANGED: Condvar = Condvar::new();

/// Held by a push thread while it may hold registry or stats locks.
pub(crate) struct Section(());

/// Enters a lock-holding section, waiting while a fork is being prepared.
pub(crate) fn enter() -> Section {
    let mut s = STATE.lock().unwrap_or_else(|e| e.into_inner());
    while s.forking {
        s = CHANGED.wait(s).unwrap_or_else(|e| e.into_inner());
    }
    s.active += 1;
    Section(())
}

impl Drop for Section {
    fn drop(&mut self) {
        let mut s = STATE.lock().unwrap_or_else(|e| e.into_inner());
        s.active -= 1;
        CHANGED.notify_all();
    }
}

/// Something that must be restarted in a forked child.
pub(crate) trait Restart: Send + Sync {
    fn restart_in_child(&self);
}

static LIVE: Mutex<Vec<Weak<dyn Restart>>> = Mutex::new(Vec::new());

pub(crate) fn register(p: Weak<dyn Restart>) {
    let mut live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
    live.retain(|w| w.strong_count() > 0);
    live.push(p);
}

/// Call right before `fork()`: blocks until no push thread holds a lock, and keeps them
/// out until [`parent`] or [`child`].
pub fn prepare() {
    let mut s = STATE.lock().unwrap_or_else(|e| e.into_inner());
    s.forking = true;
    while s.active > 0 {
        s = CHANGED.wait(s).unwrap_or_else(|e| e.into_inner());
    }
}

/// Call in the parent right after `fork()`.
pub fn parent() {
    let mut s = STATE.lock().unwrap_or_else(|e| e.into_inner());
    s.forking = false;
    CHANGED.notify_all();
}

/// Call in the child right after `fork()`: restarts every live pusher (see the module
/// documentation for what the child pushes).
pub fn child() {
    {
        let mut s = STATE.lock().unwrap_or_else(|e| e.into_inner());
        s.forking = false;
        // The parent's push threads do not exist here.
        s.active = 0;
    }
    let live: Vec<_> = LIVE
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter_map(Weak::upgrade)
        .collect();
    for p in live {
        p.restart_in_child();
    }
}
