//! fork() support: `pthread_atfork` handlers, registered once at the first pusher start,
//! that call the core's `prepare`, `parent` and `child` so a forked child gets a working
//! pusher of its own instead of a dead thread.

use std::panic::catch_unwind;
use std::sync::Once;

#[cfg(unix)]
extern "C" {
    fn pthread_atfork(
        prepare: Option<extern "C" fn()>,
        parent: Option<extern "C" fn()>,
        child: Option<extern "C" fn()>,
    ) -> std::ffi::c_int;
}

// A panic cannot be reported from a fork handler; it must at least not unwind into libc.
extern "C" fn prepare() {
    let _ = catch_unwind(pushmetrics_core::fork::prepare);
}

extern "C" fn parent() {
    let _ = catch_unwind(pushmetrics_core::fork::parent);
}

extern "C" fn child() {
    let _ = catch_unwind(pushmetrics_core::fork::child);
}

/// Registers the fork handlers, once per process.
pub(crate) fn install_handlers() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        #[cfg(unix)]
        // SAFETY: the handlers are plain functions that live as long as the library.
        let rc = unsafe { pthread_atfork(Some(prepare), Some(parent), Some(child)) };
        #[cfg(unix)]
        if rc != 0 {
            log::error!(target: "pushmetrics", "pthread_atfork failed ({rc}): a forked child will not push");
        }
    });
}
