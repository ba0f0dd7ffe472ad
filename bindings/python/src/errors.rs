//! The one translation from `pushmetrics::Error` to Python exceptions. The exception classes
//! live in `pushmetrics/errors.py` (they need multiple bases such as `ValueError`, which is
//! plain Python); this file looks each one up once and raises it with the core's message.

use pushmetrics::Error;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

/// Python classes, in the order of [`Class`].
static CLASSES: [PyOnceLock<Py<PyType>>; 10] = [const { PyOnceLock::new() }; 10];

/// The exception classes of `pushmetrics.errors`.
#[derive(Clone, Copy)]
pub(crate) enum Class {
    Base = 0,
    InvalidName,
    Label,
    InvalidValue,
    Config,
    DuplicateMetric,
    Push,
    FlushTimeout,
    Shutdown,
    Listen,
}

impl Class {
    fn name(self) -> &'static str {
        match self {
            Class::Base => "Error",
            Class::InvalidName => "InvalidNameError",
            Class::Label => "LabelError",
            Class::InvalidValue => "InvalidValueError",
            Class::Config => "ConfigError",
            Class::DuplicateMetric => "DuplicateMetricError",
            Class::Push => "PushError",
            Class::FlushTimeout => "FlushTimeoutError",
            Class::Shutdown => "ShutdownError",
            Class::Listen => "ListenError",
        }
    }

    /// An exception of this class with `message`.
    pub(crate) fn err(self, message: impl Into<String>) -> PyErr {
        let message = message.into();
        Python::attach(|py| {
            match CLASSES[self as usize].import(py, "pushmetrics.errors", self.name()) {
                Ok(ty) => PyErr::from_type(ty.clone(), message),
                Err(e) => e,
            }
        })
    }
}

/// The Python exception for a core error; the message is the core's, which names the value.
pub(crate) fn to_py(e: Error) -> PyErr {
    let class = match &e {
        Error::InvalidMetricName(_) | Error::InvalidLabelName(_) | Error::DuplicateLabelName(_) => {
            Class::InvalidName
        }
        Error::LabelCount { .. } | Error::UnknownLabel { .. } => Class::Label,
        Error::InvalidValue { .. } => Class::InvalidValue,
        Error::InvalidConfig(_) => Class::Config,
        Error::Conflict { .. } => Class::DuplicateMetric,
        Error::Push(_) | Error::Io(_) => Class::Push,
        Error::Timeout(_) => Class::FlushTimeout,
        Error::Shutdown => Class::Shutdown,
        Error::Listen { .. } => Class::Listen,
        _ => Class::Base,
    };
    class.err(e.to_string())
}

/// `?` on a core result inside a Python-facing function.
pub(crate) trait OrRaise<T> {
    fn or_raise(self) -> PyResult<T>;
}

impl<T> OrRaise<T> for pushmetrics::Result<T> {
    #[inline]
    fn or_raise(self) -> PyResult<T> {
        self.map_err(to_py)
    }
}
