//! The log hook: the core logs through the `log` crate; this installs a `log::Log` that
//! forwards each record to a C callback, so the application's own logging sees them. The
//! callback runs with no lock of this library held, so it may call any library function.

use crate::error::{pm_status, Failure};
use crate::panic::guard;
use std::cell::Cell;
use std::ffi::{c_char, c_int, c_void, CString};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

/// Severity of a log record.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum pm_log_level {
    /// Something failed (a push that failed for good, a pusher that could not restart).
    PM_LOG_ERROR = 1,
    /// Something to look at (a retry, an open breaker, an oversized family).
    PM_LOG_WARN = 2,
    /// Normal operation worth knowing (start, shutdown).
    PM_LOG_INFO = 3,
    /// Details for debugging.
    PM_LOG_DEBUG = 4,
    /// Everything, including the HTTP client's records.
    PM_LOG_TRACE = 5,
}

/// Receives one log record: its level, its target (the emitting module, e.g.
/// "pushmetrics"), the message, and the `user_data` given to `pm_set_log_callback`. The
/// strings are valid only during the call. Called from any thread, the push thread
/// included, so it must be thread-safe. It is called with no lock of the library held: it
/// may call any pm_* function, `pm_set_log_callback` included. Records the library emits
/// on a thread while that thread is inside the callback are not forwarded (a callback that
/// makes a failing push cannot recurse without end). Repeats are limited: one message of a
/// kind (messages that differ only in their numbers are of one kind) per 10 seconds, the
/// next one let through ending with "(N similar messages suppressed)"; installing a
/// callback starts the count again.
#[allow(non_camel_case_types)]
pub type pm_log_callback = Option<
    unsafe extern "C" fn(
        level: pm_log_level,
        target: *const c_char,
        message: *const c_char,
        user_data: *mut c_void,
    ),
>;

pub(crate) struct Sink {
    callback: unsafe extern "C" fn(pm_log_level, *const c_char, *const c_char, *mut c_void),
    user_data: *mut c_void,
    /// Repeats of one kind of message, held back for the callback installed.
    limiter: pushmetrics_core::log_limit::Limiter,
}

// SAFETY: the caller of pm_set_log_callback promises the callback and its user_data may
// be used from any thread.
unsafe impl Send for Sink {}
unsafe impl Sync for Sink {}

// Read only long enough to clone the Arc: a call holds its own clone, never this lock, so
// a callback can re-enter the library. pm_set_log_callback waits for the clones of the sink
// it replaced to go, which is how it knows the old callback is no longer running.
static SINK: RwLock<Option<Arc<Sink>>> = RwLock::new(None);

thread_local! {
    // The sink whose callback this thread is running, or null.
    static INSIDE: Cell<*const Sink> = const { Cell::new(std::ptr::null()) };
}

/// Marks this thread as inside `sink`'s callback until dropped.
struct Inside;

impl Inside {
    fn enter(sink: &Arc<Sink>) -> Option<Inside> {
        INSIDE
            .try_with(|c| {
                if !c.get().is_null() {
                    return None;
                }
                c.set(Arc::as_ptr(sink));
                Some(Inside)
            })
            .ok()
            .flatten()
    }
}

impl Drop for Inside {
    fn drop(&mut self) {
        let _ = INSIDE.try_with(|c| c.set(std::ptr::null()));
    }
}

/// The lock of the installed callback, taken before a fork so that no thread holds it
/// when the process is copied (see `fork.rs`).
pub(crate) fn hold_for_fork() -> std::sync::RwLockWriteGuard<'static, Option<Arc<Sink>>> {
    SINK.write().unwrap_or_else(|e| e.into_inner())
}

fn current() -> Option<Arc<Sink>> {
    SINK.read().unwrap_or_else(|e| e.into_inner()).clone()
}

struct Forward;

impl log::Log for Forward {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        let Some(sink) = current() else { return };
        let Some(_inside) = Inside::enter(&sink) else {
            return;
        };
        let level = match record.level() {
            log::Level::Error => pm_log_level::PM_LOG_ERROR,
            log::Level::Warn => pm_log_level::PM_LOG_WARN,
            log::Level::Info => pm_log_level::PM_LOG_INFO,
            log::Level::Debug => pm_log_level::PM_LOG_DEBUG,
            log::Level::Trace => pm_log_level::PM_LOG_TRACE,
        };
        let text = record.args().to_string();
        // One message of a kind per interval; the next one says how many were held back.
        let now = std::time::Instant::now();
        let Some(held_back) = sink.limiter.check_at(record.target(), &text, now) else {
            return;
        };
        let c = |s: String| CString::new(s.replace('\0', "\\0")).unwrap_or_default();
        let target = c(record.target().to_owned());
        let message = c(pushmetrics_core::log_limit::with_note(&text, held_back));
        // SAFETY: a callback the application installed, called with valid C strings and
        // no lock of this library held.
        unsafe { (sink.callback)(level, target.as_ptr(), message.as_ptr(), sink.user_data) };
    }

    fn flush(&self) {}
}

static FORWARD: Forward = Forward;

/// Waits until no thread but this one holds `old`: every call of the replaced callback has
/// returned and none can start (it is no longer installed).
fn wait_for_calls_of(old: Arc<Sink>) {
    // This thread's own clone, if it is inside that very callback: it cannot return first.
    let own = INSIDE
        .try_with(|c| usize::from(c.get() == Arc::as_ptr(&old)))
        .unwrap_or(0);
    let mut pause = Duration::from_micros(10);
    while Arc::strong_count(&old) > 1 + own {
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(1));
    }
}

/// Sends the library's log records up to `max_level` (a pm_log_level value, e.g.
/// PM_LOG_WARN) to `callback`, with `user_data` passed back on each call. A NULL callback
/// turns logging off (the default). Replaces any earlier callback; once this returns, the
/// old callback is not running on any other thread and will not be called again, so its
/// user_data may be freed (called from inside the old callback, the one call still running
/// is the caller's own). PM_ERR_CONFLICT if another Rust library in the process already
/// installed its own logger. Thread-safe, and callable from inside the callback.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_set_log_callback(
    callback: pm_log_callback,
    user_data: *mut c_void,
    max_level: c_int,
) -> pm_status {
    guard(|| {
        let level = match max_level {
            1 => log::LevelFilter::Error,
            2 => log::LevelFilter::Warn,
            3 => log::LevelFilter::Info,
            4 => log::LevelFilter::Debug,
            5 => log::LevelFilter::Trace,
            other => {
                return Err(Failure::invalid_argument(format!(
                    "argument `max_level` is {other}, not a pm_log_level (1 to 5)"
                )))
            }
        };
        static INSTALLED: OnceLock<bool> = OnceLock::new();
        if !*INSTALLED.get_or_init(|| log::set_logger(&FORWARD).is_ok()) {
            return Err(Failure::new(
                pm_status::PM_ERR_CONFLICT,
                "another logger is already installed in this process",
            ));
        }
        let new = callback.map(|callback| {
            Arc::new(Sink {
                callback,
                user_data,
                limiter: pushmetrics_core::log_limit::Limiter::new(
                    pushmetrics_core::log_limit::INTERVAL,
                ),
            })
        });
        let old = {
            let mut sink = SINK.write().unwrap_or_else(|e| e.into_inner());
            log::set_max_level(if new.is_some() {
                level
            } else {
                log::LevelFilter::Off
            });
            std::mem::replace(&mut *sink, new)
        };
        if let Some(old) = old {
            wait_for_calls_of(old);
        }
        Ok(())
    })
}
