//! fork() support: `pthread_atfork` handlers, registered once at the first pusher start,
//! that call the core's `prepare`, `parent` and `child` so a forked child gets a working
//! pusher of its own instead of a dead thread.

use crate::log::Sink;
use std::cell::RefCell;
use std::panic::catch_unwind;
use std::sync::Once;
use std::sync::{Arc, RwLockWriteGuard};

thread_local! {
    /// The log callback's lock, from `prepare` to `parent` or `child` in the forking thread.
    static LOG: RefCell<Option<RwLockWriteGuard<'static, Option<Arc<Sink>>>>> =
        const { RefCell::new(None) };
}

/// Lets the log callback's lock go, without freeing anything.
fn release_log() {
    let _ = LOG.try_with(|l| l.try_borrow_mut().map(|mut l| *l = None));
}

// A panic cannot be reported from a fork handler; it must at least not unwind into libc.
extern "C" fn prepare() {
    let _ = catch_unwind(|| {
        pushmetrics_core::fork::prepare();
        // After the core's: a push thread may log while the core waits for it.
        let held = crate::log::hold_for_fork();
        let _ = LOG.try_with(|l| l.try_borrow_mut().map(|mut l| *l = Some(held)));
    });
}

extern "C" fn parent() {
    let _ = catch_unwind(|| {
        release_log();
        pushmetrics_core::fork::parent();
    });
}

extern "C" fn child() {
    let _ = catch_unwind(|| {
        release_log();
        pushmetrics_core::fork::child();
    });
}

/// Registers the fork handlers, once per process, through the core, so that the core's
/// own (`pushmetrics_core::fork::install_handlers`, which multiprocess mode installs) are
/// never registered next to these.
pub(crate) fn install_handlers() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if !pushmetrics_core::fork::install_handlers_with(prepare, parent, child) {
            log::error!(target: "pushmetrics", "pthread_atfork failed: a forked child will not push");
        }
    });
}
