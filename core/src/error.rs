//! The one error type of pushmetrics. Every variant names the value that caused it, so the
//! message alone tells a user what to fix; the bindings map variants to their own error types.

use std::fmt;

/// Everything that can go wrong in pushmetrics.
///
/// ```
/// let err = pushmetrics::Registry::new().counter("bad-name", "help").build().unwrap_err();
/// assert!(matches!(err, pushmetrics::Error::InvalidMetricName(_)));
/// assert!(err.to_string().contains("bad-name"));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A metric name that does not match `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    InvalidMetricName(String),
    /// A label name that does not match `[a-zA-Z_][a-zA-Z0-9_]*`, starts with `__`, or is
    /// reserved for the metric type (`le`, `quantile`).
    InvalidLabelName(String),
    /// A label name given twice.
    DuplicateLabelName(String),
    /// The number of label values differs from the number of label names.
    LabelCount {
        /// The metric.
        metric: String,
        /// Label names it has.
        expected: usize,
        /// Values given.
        got: usize,
    },
    /// A label name that the metric was not declared with.
    UnknownLabel {
        /// The metric.
        metric: String,
        /// The label name given.
        label: String,
    },
    /// A value that cannot be recorded (negative or NaN counter increment, ...).
    InvalidValue {
        /// The metric.
        metric: String,
        /// The value given.
        value: f64,
        /// Why it was refused.
        reason: &'static str,
    },
    /// A configuration value out of range (buckets not increasing, quantile outside 0..1, ...).
    InvalidConfig(String),
    /// The same name registered with another type, help, label names or buckets.
    Conflict {
        /// The metric name.
        name: String,
        /// How the definitions differ.
        reason: String,
    },
    /// A push that failed for good: a 4xx answer, or the last attempt of a retryable failure.
    Push(String),
    /// A flush or shutdown that did not finish before its timeout.
    Timeout(String),
    /// The pusher was shut down before the call.
    Shutdown,
    /// An I/O failure outside of pushing (reading a CA file, writing a textfile, ...); the
    /// message names the path and the operating system's reason.
    Io(String),
    /// An HTTP server that cannot listen on its address (in use, not local, no permission).
    Listen {
        /// The address, as `host:port`.
        addr: String,
        /// The operating system's reason.
        reason: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidMetricName(n) => write!(
                f,
                "invalid metric name {n:?}: must match [a-zA-Z_:][a-zA-Z0-9_:]*"
            ),
            Error::InvalidLabelName(n) => write!(
                f,
                "invalid label name {n:?}: must match [a-zA-Z_][a-zA-Z0-9_]*, must not start with \"__\" and must not be reserved (le on histograms, quantile on summaries)"
            ),
            Error::DuplicateLabelName(n) => write!(f, "label name {n:?} given more than once"),
            Error::LabelCount { metric, expected, got } => write!(
                f,
                "metric {metric:?} has {expected} label name(s) but {got} value(s) were given"
            ),
            Error::UnknownLabel { metric, label } => {
                write!(f, "metric {metric:?} has no label named {label:?}")
            }
            Error::InvalidValue { metric, value, reason } => {
                write!(f, "invalid value {value} for metric {metric:?}: {reason}")
            }
            Error::InvalidConfig(m) => write!(f, "invalid configuration: {m}"),
            Error::Conflict { name, reason } => {
                write!(f, "metric {name:?} is already registered {reason}")
            }
            Error::Push(m) => write!(f, "push failed: {m}"),
            Error::Timeout(m) => write!(f, "timed out: {m}"),
            Error::Shutdown => write!(f, "the pusher has been shut down"),
            Error::Io(m) => write!(f, "i/o error: {m}"),
            Error::Listen { addr, reason } => write!(f, "cannot listen on {addr}: {reason}"),
        }
    }
}

impl std::error::Error for Error {}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
