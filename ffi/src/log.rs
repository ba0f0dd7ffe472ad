//! The log hook: the core logs through the `log` crate; this installs a `log::Log` that
//! forwards each record to a C callback, so the application's own logging sees them.

use crate::error::{pm_status, Failure};
use crate::panic::guard;
use std::ffi::{c_char, c_int, c_void, CString};
use std::sync::{OnceLock, RwLock};

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
/// included, so it must be thread-safe; it must not call `pm_set_log_callback`.
#[allow(non_camel_case_types)]
pub type pm_log_callback = Option<
    unsafe extern "C" fn(
        level: pm_log_level,
        target: *const c_char,
        message: *const c_char,
        user_data: *mut c_void,
    ),
>;

struct Sink {
    callback: unsafe extern "C" fn(pm_log_level, *const c_char, *const c_char, *mut c_void),
    user_data: *mut c_void,
}

// SAFETY: the caller of pm_set_log_callback promises the callback and its user_data may
// be used from any thread.
unsafe impl Send for Sink {}
unsafe impl Sync for Sink {}

// Held for reading during a callback, so that once pm_set_log_callback returns the old
// callback is no longer running and its user_data may be freed.
static SINK: RwLock<Option<Sink>> = RwLock::new(None);

struct Forward;

impl log::Log for Forward {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        let sink = SINK.read().unwrap_or_else(|e| e.into_inner());
        let Some(sink) = sink.as_ref() else { return };
        let level = match record.level() {
            log::Level::Error => pm_log_level::PM_LOG_ERROR,
            log::Level::Warn => pm_log_level::PM_LOG_WARN,
            log::Level::Info => pm_log_level::PM_LOG_INFO,
            log::Level::Debug => pm_log_level::PM_LOG_DEBUG,
            log::Level::Trace => pm_log_level::PM_LOG_TRACE,
        };
        let c = |s: String| CString::new(s.replace('\0', "\\0")).unwrap_or_default();
        let target = c(record.target().to_owned());
        let message = c(record.args().to_string());
        // SAFETY: a callback the application installed, called with valid C strings.
        unsafe { (sink.callback)(level, target.as_ptr(), message.as_ptr(), sink.user_data) };
    }

    fn flush(&self) {}
}

static FORWARD: Forward = Forward;

/// Sends the library's log records up to `max_level` (a pm_log_level value, e.g.
/// PM_LOG_WARN) to `callback`, with `user_data` passed back on each call. A NULL callback
/// turns logging off (the default). Replaces any earlier callback; once this returns, the
/// old callback is not running and will not be called again. PM_ERR_CONFLICT if another
/// Rust library in the process already installed its own logger. Thread-safe.
#[no_mangle]
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
        let mut sink = SINK.write().unwrap_or_else(|e| e.into_inner());
        *sink = callback.map(|callback| Sink {
            callback,
            user_data,
        });
        log::set_max_level(if sink.is_some() {
            level
        } else {
            log::LevelFilter::Off
        });
        Ok(())
    })
}
