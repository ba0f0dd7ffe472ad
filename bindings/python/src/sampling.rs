//! `Sampling`: how a metric samples its recording calls, as `pushmetrics::Sampling`. A
//! metric's `sampling=` takes one of these or the tuple form `("probability", 0.1)`.

use crate::errors::Class;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

/// A sampling mode: `Sampling.probability(p)`, `Sampling.every_nth(n)`,
/// `Sampling.adaptive(per_second)` or `Sampling.always()`.
#[pyclass(module = "pushmetrics", frozen, eq)]
#[derive(Clone, PartialEq)]
pub(crate) struct Sampling {
    pub(crate) inner: pushmetrics::Sampling,
}

#[pymethods]
impl Sampling {
    /// Every call is recorded (the default).
    #[staticmethod]
    fn always() -> Self {
        Sampling {
            inner: pushmetrics::Sampling::Always,
        }
    }
    /// Keep each call with probability `p` and weight it by `1/p`.
    #[staticmethod]
    fn probability(p: f64) -> Self {
        Sampling {
            inner: pushmetrics::Sampling::Probability(p),
        }
    }
    /// Keep every n-th call (per thread) and weight it by `n`.
    #[staticmethod]
    fn every_nth(n: u64) -> Self {
        Sampling {
            inner: pushmetrics::Sampling::EveryNth(n),
        }
    }
    /// Aim at `per_second` kept calls per second per series.
    #[staticmethod]
    fn adaptive(per_second: f64) -> Self {
        Sampling {
            inner: pushmetrics::Sampling::Adaptive { per_second },
        }
    }

    fn __repr__(&self) -> String {
        match self.inner {
            pushmetrics::Sampling::Always => "Sampling.always()".into(),
            pushmetrics::Sampling::Probability(p) => format!("Sampling.probability({p})"),
            pushmetrics::Sampling::EveryNth(n) => format!("Sampling.every_nth({n})"),
            pushmetrics::Sampling::Adaptive { per_second } => {
                format!("Sampling.adaptive({per_second})")
            }
        }
    }
}

/// The `sampling=` argument: a `Sampling`, a `(mode, value)` tuple, or `None`.
pub(crate) fn extract(obj: &Bound<'_, PyAny>) -> PyResult<pushmetrics::Sampling> {
    if obj.is_none() {
        return Ok(pushmetrics::Sampling::Always);
    }
    if let Ok(s) = obj.cast::<Sampling>() {
        return Ok(s.get().inner);
    }
    let bad = || {
        Class::Config.err(format!(
            "invalid configuration: sampling {obj}: expected a Sampling, None or a tuple like \
             (\"probability\", 0.1), (\"every_nth\", 10) or (\"adaptive\", 100.0)"
        ))
    };
    let t = obj.cast::<PyTuple>().map_err(|_| bad())?;
    if t.len() != 2 {
        return Err(bad());
    }
    let mode: String = t.get_item(0)?.extract().map_err(|_| bad())?;
    let value = t.get_item(1)?;
    Ok(match mode.as_str() {
        "probability" => pushmetrics::Sampling::Probability(value.extract()?),
        "every_nth" => pushmetrics::Sampling::EveryNth(value.extract()?),
        "adaptive" => pushmetrics::Sampling::Adaptive {
            per_second: value.extract()?,
        },
        "always" => pushmetrics::Sampling::Always,
        _ => return Err(bad()),
    })
}
