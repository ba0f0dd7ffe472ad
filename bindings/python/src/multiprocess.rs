//! Multiprocess mode on the core's (`pushmetrics::multiprocess`): the functions behind
//! `pushmetrics.multiprocess`.

use crate::errors::OrRaise;
use crate::registry::RegistryArg;
use pyo3::prelude::*;
use std::path::PathBuf;

/// Turns multiprocess mode on for `registry` with the directory `path` (a new temporary
/// one if `None`); returns the directory.
#[pyfunction]
#[pyo3(signature = (path=None, registry=RegistryArg::Default))]
pub(crate) fn _enable_multiprocess(
    py: Python<'_>,
    path: Option<PathBuf>,
    registry: RegistryArg,
) -> PyResult<PathBuf> {
    let registry = registry.resolve();
    py.detach(|| registry.enable_multiprocess(path.as_deref()))
        .or_raise()
}

/// The multiprocess directory of `registry`, or `None` when the mode is off.
#[pyfunction]
#[pyo3(signature = (registry=RegistryArg::Default))]
pub(crate) fn _multiprocess_dir(registry: RegistryArg) -> Option<PathBuf> {
    registry.resolve().multiprocess_dir()
}

/// Whether this process is a worker of `registry`'s multiprocess mode.
#[pyfunction]
#[pyo3(signature = (registry=RegistryArg::Default))]
pub(crate) fn _is_multiprocess_worker(registry: RegistryArg) -> bool {
    registry.resolve().is_multiprocess_worker()
}

/// In the owner, after the final push: removes the directory if the mode made it.
#[pyfunction]
#[pyo3(signature = (registry=RegistryArg::Default))]
pub(crate) fn _remove_multiprocess_dir(registry: RegistryArg) {
    registry.resolve().remove_multiprocess_dir()
}
