//! The core's fork handlers (`fork::{prepare, parent, child}`), installed with
//! `pthread_atfork` rather than `os.register_at_fork`: libc runs them inside `fork()`
//! itself, after every Python before-fork hook (logging's, the application's) has run, with
//! the forking thread holding the GIL until the process is copied. Run as a Python hook,
//! `prepare` would hold the library's locks while later hooks run Python code, and another
//! thread taking the GIL meanwhile could wait on one of those locks forever.
//!
//! After a fork the child's pushers run on new threads, push to their own group (with a
//! `pid` grouping label) and count from zero, so the parent's numbers are never counted
//! twice.

use pyo3::prelude::*;
use std::panic::catch_unwind;
use std::sync::OnceLock;

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
    let _ = catch_unwind(pushmetrics::fork::prepare);
}

extern "C" fn parent() {
    let _ = catch_unwind(pushmetrics::fork::parent);
}

extern "C" fn child() {
    let _ = catch_unwind(pushmetrics::fork::child);
}

/// Installs the fork handlers, once per process; false if the platform refused them.
#[pyfunction]
pub(crate) fn _install_fork_handlers() -> bool {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    *INSTALLED.get_or_init(|| {
        #[cfg(unix)]
        // SAFETY: the handlers are plain functions that live as long as the library.
        return unsafe { pthread_atfork(Some(prepare), Some(parent), Some(child)) == 0 };
        #[cfg(not(unix))]
        false
    })
}
