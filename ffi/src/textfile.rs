//! node_exporter's textfile collector: a registry written once to a file, atomically. (A
//! pusher rewrites one at every interval with `pm_pusher_config_set_target(cfg, "textfile")`.)

use crate::error::pm_status;
use crate::ffi::arg_str;
use crate::handle::live;
use crate::panic::guard;
use crate::registry::pm_registry;
use std::ffi::c_char;

/// Writes the registry to the file `path` in the Prometheus text format 0.0.4, for
/// node_exporter's textfile collector (`--collector.textfile.directory`): the usual way for a
/// cron job on a host that runs node_exporter. Name the file `<something>.prom`.
///
/// The write is atomic: the text goes to a temporary file in the same directory
/// (`.<name>.<pid>.<random>.tmp`), is flushed to disk and renamed over `path`, and the
/// directory is flushed; a reader sees the old file or the new one, never a part. On
/// failure the temporary file is removed and `path` is left as it was. The file gets mode
/// 0644 less the umask. Blocks the calling thread for the write. Thread-safe.
///
/// PM_ERR_IO when the file cannot be written (a missing directory, a path under a regular
/// file, a path that is a directory, no permission, a full disk): `pm_last_error_message()`
/// names the path and the system's reason. PM_ERR_INVALID_ARGUMENT for NULL or non-UTF-8.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_write_to_textfile(
    registry: *const pm_registry,
    path: *const c_char,
) -> pm_status {
    guard(|| {
        let r = live(registry, "registry")?;
        let path = arg_str(path, "path")?;
        pushmetrics_core::write_to_textfile(path, r)?;
        Ok(())
    })
}
