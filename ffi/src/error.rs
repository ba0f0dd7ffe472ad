//! Status codes and the per-thread error message: the one place where a
//! `pushmetrics_core::Error` becomes a `pm_status`, and where `pm_last_error_message` reads from.

use std::cell::RefCell;
use std::ffi::{c_char, c_int, CString};

/// The result of every fallible function. `PM_OK` is 0; every other value is an error whose
/// explanation `pm_last_error_message()` returns on the same thread.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum pm_status {
    /// Success.
    PM_OK = 0,
    /// An argument is NULL, not valid UTF-8, or otherwise unusable (the message names it): a
    /// handle of another type or one already freed, or a length above its cap
    /// (PM_MAX_LABELS, PM_MAX_BUCKETS, PM_MAX_QUANTILES).
    PM_ERR_INVALID_ARGUMENT = 1,
    /// A metric or label name is malformed, reserved or given twice.
    PM_ERR_INVALID_NAME = 2,
    /// The label values do not fit the metric: wrong count or an unknown label name.
    PM_ERR_INVALID_LABELS = 3,
    /// A value cannot be recorded (negative counter increment, NaN observation).
    PM_ERR_INVALID_VALUE = 4,
    /// An option is out of range (buckets not increasing, interval of 0, bad URL, ...).
    PM_ERR_INVALID_CONFIG = 5,
    /// The metric name is already registered with another type, help, labels or options.
    PM_ERR_CONFLICT = 6,
    /// A push failed for good (a 4xx answer, or the last retry of a retryable failure).
    PM_ERR_PUSH = 7,
    /// A flush or shutdown did not finish within its timeout.
    PM_ERR_TIMEOUT = 8,
    /// The pusher has been shut down.
    PM_ERR_SHUT_DOWN = 9,
    /// An I/O failure outside of pushing (reading a CA file, starting a thread, listening
    /// on an address that is in use, ...).
    PM_ERR_IO = 10,
    /// The caller's buffer is too small; the size needed was written to the size out-parameter.
    PM_ERR_BUFFER_TOO_SMALL = 11,
    /// The named thing does not exist (a metric name given to a lookup).
    PM_ERR_NOT_FOUND = 12,
    /// The library panicked; the operation did not complete. Please report it as a bug.
    PM_ERR_PANIC = 13,
    /// An error of a kind this version of the C ABI does not know.
    PM_ERR_OTHER = 14,
}

/// Why a call failed: its status and the message `pm_last_error_message` will return.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) status: pm_status,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn new(status: pm_status, message: impl Into<String>) -> Failure {
        Failure {
            status,
            message: message.into(),
        }
    }

    pub(crate) fn invalid_argument(message: impl Into<String>) -> Failure {
        Failure::new(pm_status::PM_ERR_INVALID_ARGUMENT, message)
    }

    /// Stores the message for this thread and gives the status to return.
    #[cold]
    pub(crate) fn report(self) -> pm_status {
        set_last_error(&self.message);
        self.status
    }
}

impl From<pushmetrics_core::Error> for Failure {
    // Out of line: keeps the recording functions small enough for their hot path to inline.
    #[cold]
    #[inline(never)]
    fn from(e: pushmetrics_core::Error) -> Failure {
        Failure::new(status_of(&e), e.to_string())
    }
}

/// The status of each core error: the only place where this mapping is made.
pub(crate) fn status_of(e: &pushmetrics_core::Error) -> pm_status {
    use pushmetrics_core::Error as E;
    match e {
        E::InvalidMetricName(_) | E::InvalidLabelName(_) | E::DuplicateLabelName(_) => {
            pm_status::PM_ERR_INVALID_NAME
        }
        E::LabelCount { .. } | E::UnknownLabel { .. } => pm_status::PM_ERR_INVALID_LABELS,
        E::InvalidValue { .. } => pm_status::PM_ERR_INVALID_VALUE,
        E::InvalidConfig(_) => pm_status::PM_ERR_INVALID_CONFIG,
        E::Conflict { .. } => pm_status::PM_ERR_CONFLICT,
        E::Push(_) => pm_status::PM_ERR_PUSH,
        E::Timeout(_) => pm_status::PM_ERR_TIMEOUT,
        E::Shutdown => pm_status::PM_ERR_SHUT_DOWN,
        E::Io(_) | E::Listen { .. } => pm_status::PM_ERR_IO,
        _ => pm_status::PM_ERR_OTHER,
    }
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

fn set_last_error(message: &str) {
    // A C string ends at the first NUL: a message quoting a value with one is cut there.
    let text = message.split('\0').next().unwrap_or_default();
    let c = CString::new(text).unwrap_or_default();
    let _ = LAST_ERROR.try_with(|cell| *cell.borrow_mut() = c);
}

/// The message of the last failed call on this thread: what went wrong, naming the
/// offending argument or value. An empty string if no call has failed on this thread.
///
/// The pointer is owned by the library and stays valid until the next failing call on the
/// same thread (successful calls leave it unchanged). Never NULL. Thread-safe: each thread
/// has its own message.
#[no_mangle]
pub extern "C" fn pm_last_error_message() -> *const c_char {
    LAST_ERROR
        .try_with(|cell| cell.borrow().as_ptr())
        .unwrap_or(c"".as_ptr())
}

/// The name of a status code as a static string ("PM_OK", "PM_ERR_TIMEOUT", ...), or
/// "PM_ERR_UNKNOWN" for a value that is not a status. Never NULL; do not free it.
#[no_mangle]
pub extern "C" fn pm_status_name(status: c_int) -> *const c_char {
    let name: &'static std::ffi::CStr = match status {
        0 => c"PM_OK",
        1 => c"PM_ERR_INVALID_ARGUMENT",
        2 => c"PM_ERR_INVALID_NAME",
        3 => c"PM_ERR_INVALID_LABELS",
        4 => c"PM_ERR_INVALID_VALUE",
        5 => c"PM_ERR_INVALID_CONFIG",
        6 => c"PM_ERR_CONFLICT",
        7 => c"PM_ERR_PUSH",
        8 => c"PM_ERR_TIMEOUT",
        9 => c"PM_ERR_SHUT_DOWN",
        10 => c"PM_ERR_IO",
        11 => c"PM_ERR_BUFFER_TOO_SMALL",
        12 => c"PM_ERR_NOT_FOUND",
        13 => c"PM_ERR_PANIC",
        14 => c"PM_ERR_OTHER",
        _ => c"PM_ERR_UNKNOWN",
    };
    name.as_ptr()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn every_core_error_maps_to_its_own_status() {
        use pushmetrics_core::Error as E;
        let cases = [
            (
                E::InvalidMetricName("a-b".into()),
                pm_status::PM_ERR_INVALID_NAME,
            ),
            (E::Shutdown, pm_status::PM_ERR_SHUT_DOWN),
            (E::Timeout("x".into()), pm_status::PM_ERR_TIMEOUT),
            (E::Push("x".into()), pm_status::PM_ERR_PUSH),
        ];
        for (e, want) in cases {
            assert_eq!(status_of(&e), want, "{e}");
        }
    }

    #[test]
    fn status_names_match_the_enum() {
        for s in [
            pm_status::PM_OK,
            pm_status::PM_ERR_PANIC,
            pm_status::PM_ERR_OTHER,
        ] {
            let name = unsafe { CStr::from_ptr(pm_status_name(s as c_int)) };
            assert_eq!(name.to_str().unwrap(), format!("{s:?}"));
        }
    }

    #[test]
    fn the_message_stops_at_an_interior_nul() {
        Failure::invalid_argument("before\0after").report();
        let msg = unsafe { CStr::from_ptr(pm_last_error_message()) };
        assert_eq!(msg.to_str().unwrap(), "before");
    }
}
