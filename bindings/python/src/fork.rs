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

/// Installs the fork handlers, once per process; false if the platform refused them.
#[pyfunction]
pub(crate) fn _install_fork_handlers() -> bool {
    pushmetrics::fork::install_handlers()
}
