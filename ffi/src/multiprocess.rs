//! Multiprocess mode: exact totals from forked worker processes, pushed by one process
//! (see `pm_registry_enable_multiprocess`).

use crate::error::pm_status;
use crate::ffi::{arg_str, copy_to_buffer, Out};
use crate::handle::live;
use crate::panic::guard;
use crate::registry::pm_registry;
use std::ffi::c_char;

/// Turns on multiprocess mode for the registry: every process of the job writes its
/// updates of the registry's metrics through to a file of its own in the directory `dir`
/// (made if missing; a new temporary directory if `dir` is NULL), memory mapped, so that
/// nothing is lost when a worker exits with `_exit()` or is killed. The calling process
/// becomes the owner: its pushers push the sums over every process, ended ones included,
/// to its one group. Processes forked afterwards are workers: their pushers send nothing
/// (`pm_pusher_flush` returns PM_OK at once) and leave no group behind. Processes the
/// owner starts with `exec` join as workers through the environment variables
/// `PUSHMETRICS_MULTIPROC_DIR` and `PUSHMETRICS_MULTIPROC_OWNER`, which this sets, when
/// they use the default registry.
///
/// Counters and histograms add up; summaries report count and sum without quantiles;
/// gauges combine as `pm_metric_options_set_multiprocess_mode` says. Series that already
/// count are copied into the file. Call it before the workers start and before other
/// threads record (the environment is changed). A second call does nothing.
///
/// PM_ERR_IO names the directory when it cannot be made or is not a directory.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_registry_enable_multiprocess(
    registry: *const pm_registry,
    dir: *const c_char,
) -> pm_status {
    guard(|| {
        let r = live(registry, "registry")?;
        // The C library's fork handlers (they also hold the log callback's lock), before
        // the core would install its own.
        crate::fork::install_handlers();
        let dir = if dir.is_null() {
            None
        } else {
            Some(std::path::Path::new(arg_str(dir, "dir")?))
        };
        r.enable_multiprocess(dir)?;
        Ok(())
    })
}

/// The registry's multiprocess directory, NUL-terminated, into `buf` of `cap` bytes;
/// `*needed` receives the size it takes (NUL included). PM_ERR_NOT_FOUND when the mode is
/// off; PM_ERR_BUFFER_TOO_SMALL (buffer untouched) when `cap` is less than `*needed`.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_registry_multiprocess_dir(
    registry: *const pm_registry,
    buf: *mut c_char,
    cap: usize,
    needed: *mut usize,
) -> pm_status {
    guard(|| {
        let r = live(registry, "registry")?;
        let Some(d) = r.multiprocess_dir() else {
            return Err(crate::error::Failure::new(
                pm_status::PM_ERR_NOT_FOUND,
                "multiprocess mode is off for this registry",
            ));
        };
        copy_to_buffer(d.to_string_lossy().as_bytes(), buf, cap, needed)
    })
}

/// `*out` is true when this process is a worker of the registry's multiprocess mode (its
/// pushers send nothing: the owner reports what it records).
#[no_mangle]
#[must_use]
pub extern "C" fn pm_registry_is_multiprocess_worker(
    registry: *const pm_registry,
    out: *mut bool,
) -> pm_status {
    guard(|| {
        let r = live(registry, "registry")?;
        Out::new(out, "out")?.write(r.is_multiprocess_worker());
        Ok(())
    })
}

/// In the owner, after the final push (`pm_pusher_shutdown`): removes the multiprocess
/// directory if `pm_registry_enable_multiprocess` made it (`dir` was NULL). Does nothing
/// in a worker or when the application named the directory.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_registry_remove_multiprocess_dir(registry: *const pm_registry) -> pm_status {
    guard(|| {
        live(registry, "registry")?.remove_multiprocess_dir();
        Ok(())
    })
}
