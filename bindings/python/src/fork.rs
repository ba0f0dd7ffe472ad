//! The `os.register_at_fork` hooks: the core's `fork::{prepare, parent, child}`. After a
//! fork the child's pushers run on new threads, push to their own group (with a `pid`
//! grouping label) and count from zero, so the parent's numbers are never counted twice.

use pyo3::prelude::*;

/// Before `fork()`: waits until no push thread holds a registry or stats lock. The push
/// thread never needs the GIL, so holding it here cannot deadlock.
#[pyfunction]
pub(crate) fn _fork_prepare() {
    pushmetrics::fork::prepare();
}

/// In the parent after `fork()`.
#[pyfunction]
pub(crate) fn _fork_parent() {
    pushmetrics::fork::parent();
}

/// In the child after `fork()`: restarts every live pusher.
#[pyfunction]
pub(crate) fn _fork_child() {
    pushmetrics::fork::child();
}
