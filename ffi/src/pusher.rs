//! Pushers in C: start one background push thread for a registry, flush, shut down, and
//! read its health, overall and per remote-write receiver.

use crate::error::pm_status;
use crate::ffi::{copy_to_buffer, Out};
use crate::handle::{handle, live, new_handle, release, Tagged};
use crate::panic::guard;
use crate::pusher_config::pm_pusher_config;
use crate::registry::pm_registry;
use crate::stats::{
    pm_flush_report, pm_receiver_stats, pm_stats, receiver, write_receiver_stats, write_report,
    write_stats,
};
use pushmetrics_core::Pusher;
use std::ffi::c_char;
use std::time::Duration;

/// A background thread that pushes one registry to a Pushgateway or to remote-write
/// receivers. From `pm_pusher_start`; stop with `pm_pusher_shutdown` and release with
/// `pm_pusher_free`. Thread-safe: any thread may flush, read stats or shut down,
/// concurrently with recording threads. After a fork() the child gets a pusher of its own
/// (see `pm_pusher_start`).
pub struct pm_pusher(Tagged<Pusher>);

handle!(pm_pusher, Pusher, Pusher);

/// Starts a pusher for `registry` with the options of `config` and gives it in `*out`.
/// The first push happens after a random fraction (`jitter`) of the interval, then every
/// interval. Neither argument is consumed. PM_ERR_INVALID_CONFIG names a bad or missing
/// option (a job and a URL are required); PM_ERR_IO if a CA or certificate file cannot be
/// read.
///
/// The first start registers fork handlers (pthread_atfork): in a child created with
/// fork(), every pusher restarts with a thread of its own, pushes to its group with the
/// extra grouping label pid=<child pid>, and its counters, histograms and summaries start
/// again from zero, so the parent's numbers are never counted twice.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_start(
    config: *const pm_pusher_config,
    registry: *const pm_registry,
    out: *mut *mut pm_pusher,
) -> pm_status {
    guard(|| {
        let out = Out::new(out, "out")?;
        out.write(std::ptr::null_mut());
        let builder = live(config, "config")?.builder();
        let registry = live(registry, "registry")?;
        crate::fork::install_handlers();
        out.write(new_handle::<pm_pusher>(builder.start(registry)?));
        Ok(())
    })
}

/// Pushes now and waits up to `timeout_ms` milliseconds until everything recorded before
/// the call is delivered. `report` may be NULL; otherwise set `report->size` first.
/// PM_ERR_TIMEOUT if the time passed (the push goes on in the background), PM_ERR_PUSH if
/// it failed, PM_ERR_SHUT_DOWN after `pm_pusher_shutdown`. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_flush(
    pusher: *const pm_pusher,
    timeout_ms: u64,
    report: *mut pm_flush_report,
) -> pm_status {
    guard(|| {
        let p = live(pusher, "pusher")?;
        let r = p.flush(Duration::from_millis(timeout_ms))?;
        write_report(report, &r)
    })
}

/// Stops the schedule, makes a final push (and the DELETE, if configured) within
/// `timeout_ms` milliseconds, and joins the push thread. Calling it again returns PM_OK and
/// does nothing. PM_ERR_TIMEOUT or PM_ERR_PUSH if the final push did not get through (the
/// thread is stopped either way once the timeout passes). Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_shutdown(pusher: *const pm_pusher, timeout_ms: u64) -> pm_status {
    guard(|| {
        live(pusher, "pusher")?.shutdown(Duration::from_millis(timeout_ms))?;
        Ok(())
    })
}

/// Whether `pm_pusher_shutdown` has been called, into `*out`. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_is_shut_down(pusher: *const pm_pusher, out: *mut bool) -> pm_status {
    guard(|| {
        let p = live(pusher, "pusher")?;
        Out::new(out, "out")?.write(p.is_shut_down());
        Ok(())
    })
}

/// The pusher's health counters into the caller's `*out` (set `out->size =
/// sizeof(pm_stats)` first). Works before and after shutdown. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_stats(pusher: *const pm_pusher, out: *mut pm_stats) -> pm_status {
    guard(|| write_stats(out, &live(pusher, "pusher")?.stats()))
}

/// Whether the last successful push is recent (within three intervals; before the first
/// success, within three intervals of the start), into `*out`. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_healthy(pusher: *const pm_pusher, out: *mut bool) -> pm_status {
    guard(|| {
        let p = live(pusher, "pusher")?;
        Out::new(out, "out")?.write(p.healthy());
        Ok(())
    })
}

/// The message of the pusher's last failed flush (never credentials), NUL-terminated, into
/// `buf` of `cap` bytes; an empty string if no flush has failed. `*needed` receives the
/// size needed, NUL included; PM_ERR_BUFFER_TOO_SMALL (nothing written) if `cap` is
/// smaller. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_last_error(
    pusher: *const pm_pusher,
    buf: *mut c_char,
    cap: usize,
    needed: *mut usize,
) -> pm_status {
    guard(|| {
        let stats = live(pusher, "pusher")?.stats();
        let text = stats.last_error.unwrap_or_default();
        copy_to_buffer(text.as_bytes(), buf, cap, needed)
    })
}

/// The group URL the pusher pushes to, credentials removed, into `buf` as
/// `pm_pusher_last_error` does. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_url(
    pusher: *const pm_pusher,
    buf: *mut c_char,
    cap: usize,
    needed: *mut usize,
) -> pm_status {
    guard(|| copy_to_buffer(live(pusher, "pusher")?.url().as_bytes(), buf, cap, needed))
}

/// One remote-write receiver's health counters into the caller's `*out` (set `out->size =
/// sizeof(pm_receiver_stats)` first). `index` counts from 0 in the order of the URLs: the
/// one of `pm_pusher_config_set_url`, then those of `pm_pusher_config_add_url`; there are
/// `pm_stats.receivers` of them. PM_ERR_INVALID_ARGUMENT naming the index and the count if
/// it is out of range (a Pushgateway pusher has none). Works before and after shutdown.
/// Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_receiver_stats(
    pusher: *const pm_pusher,
    index: usize,
    out: *mut pm_receiver_stats,
) -> pm_status {
    guard(|| {
        let stats = live(pusher, "pusher")?.stats();
        write_receiver_stats(out, receiver(&stats, index)?)
    })
}

/// The write URL of the remote-write receiver at `index`, credentials removed, into `buf`
/// as `pm_pusher_last_error` does. PM_ERR_INVALID_ARGUMENT if `index` is out of range, as
/// for `pm_pusher_receiver_stats`. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_receiver_url(
    pusher: *const pm_pusher,
    index: usize,
    buf: *mut c_char,
    cap: usize,
    needed: *mut usize,
) -> pm_status {
    guard(|| {
        let stats = live(pusher, "pusher")?.stats();
        let url = &receiver(&stats, index)?.url;
        copy_to_buffer(url.as_bytes(), buf, cap, needed)
    })
}

/// The last failure or rejection of the remote-write receiver at `index`, with the
/// receiver's message (never credentials), into `buf` as `pm_pusher_last_error` does; an
/// empty string if none. PM_ERR_INVALID_ARGUMENT if `index` is out of range, as for
/// `pm_pusher_receiver_stats`. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_receiver_last_error(
    pusher: *const pm_pusher,
    index: usize,
    buf: *mut c_char,
    cap: usize,
    needed: *mut usize,
) -> pm_status {
    guard(|| {
        let stats = live(pusher, "pusher")?.stats();
        let text = receiver(&stats, index)?
            .last_error
            .as_deref()
            .unwrap_or_default();
        copy_to_buffer(text.as_bytes(), buf, cap, needed)
    })
}

/// Releases a pusher. If it was not shut down, this shuts it down first, blocking up to
/// its shutdown timeout (`pm_pusher_config_set_shutdown_timeout_ms`, default 5 s) for the
/// final push. NULL is ignored. Must not be called while another thread uses the pusher.
#[no_mangle]
pub extern "C" fn pm_pusher_free(pusher: *mut pm_pusher) {
    release(pusher, "pusher")
}
