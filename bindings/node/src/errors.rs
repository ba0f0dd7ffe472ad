//! Errors: every `pushmetrics::Error` becomes a JS `Error` whose `code` names the variant
//! (`ERR_INVALID_METRIC_NAME`, ...) and whose message is the core's, which names the bad
//! value. `index.js` turns the code into the matching `Error` subclass.

use napi::bindgen_prelude::{Env, JsError};
use napi::{JsUnknown, NapiValue};

/// The `code` property of a thrown error.
pub struct Code(pub &'static str);

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.0
    }
}

/// The result of every fallible native function: an `Err` is thrown with its code.
pub type Result<T> = napi::Result<T, Code>;

/// The code of a core error.
pub fn code_of(e: &pushmetrics::Error) -> &'static str {
    use pushmetrics::Error as E;
    match e {
        E::InvalidMetricName(_) => "ERR_INVALID_METRIC_NAME",
        E::InvalidLabelName(_) => "ERR_INVALID_LABEL_NAME",
        E::DuplicateLabelName(_) => "ERR_DUPLICATE_LABEL_NAME",
        E::LabelCount { .. } => "ERR_LABEL_COUNT",
        E::UnknownLabel { .. } => "ERR_UNKNOWN_LABEL",
        E::InvalidValue { .. } => "ERR_INVALID_VALUE",
        E::InvalidConfig(_) => "ERR_INVALID_CONFIG",
        E::Conflict { .. } => "ERR_CONFLICT",
        E::Push(_) => "ERR_PUSH",
        E::Timeout(_) => "ERR_TIMEOUT",
        E::Shutdown => "ERR_SHUTDOWN",
        E::Io(_) => "ERR_IO",
        E::Listen { .. } => "ERR_LISTEN",
        _ => "ERR_PUSHMETRICS",
    }
}

/// A core error as a thrown error.
pub fn js(e: pushmetrics::Error) -> napi::Error<Code> {
    napi::Error::new(Code(code_of(&e)), e.to_string())
}

/// An invalid option or argument the core never sees (a negative duration, ...).
pub fn config(msg: String) -> napi::Error<Code> {
    napi::Error::new(Code("ERR_INVALID_CONFIG"), msg)
}

/// A core error as an `Error` object to resolve an async task with: the promise of a task
/// can only be rejected with a generic status, so `index.js` rejects it with this instead.
pub fn value(env: Env, e: pushmetrics::Error) -> napi::Result<JsUnknown> {
    let err = JsError::from(js(e));
    // SAFETY: `env` is the live environment of the completing task.
    unsafe {
        let raw = err.into_value(env.raw());
        Ok(JsUnknown::from_raw_unchecked(env.raw(), raw))
    }
}

/// Converts a core result.
pub fn core<T>(r: pushmetrics::Result<T>) -> Result<T> {
    r.map_err(js)
}
