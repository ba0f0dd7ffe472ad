//! `Registry`, the `REGISTRY` default and `generate_latest`: a Python face on
//! `pushmetrics::Registry`. Every metric lives in one registry; `registry=None` (which
//! prometheus_client uses for "do not register") gives the metric a private registry.

use crate::convert::seconds;
use crate::errors::OrRaise;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

/// A set of metrics, with the cardinality limits every metric in it shares.
#[pyclass(module = "pushmetrics", frozen)]
pub(crate) struct Registry {
    pub(crate) inner: pushmetrics::Registry,
    /// Whether idle series are evicted (the core does not say).
    series_ttl: bool,
}

#[pymethods]
impl Registry {
    #[new]
    #[pyo3(signature = (*, max_series_per_metric=None, max_series=None, max_label_value_length=None, series_ttl=None))]
    fn new(
        max_series_per_metric: Option<usize>,
        max_series: Option<usize>,
        max_label_value_length: Option<usize>,
        series_ttl: Option<f64>,
    ) -> PyResult<Self> {
        let mut b = pushmetrics::Registry::builder();
        if let Some(n) = max_series_per_metric {
            b = b.max_series_per_metric(n);
        }
        if let Some(n) = max_series {
            b = b.max_series(n);
        }
        if let Some(n) = max_label_value_length {
            b = b.max_label_value_length(n);
        }
        if let Some(s) = series_ttl {
            b = b.series_ttl(seconds("series_ttl", s)?);
        }
        Ok(Registry {
            inner: b.build().or_raise()?,
            series_ttl: series_ttl.is_some(),
        })
    }

    /// Live series in the registry.
    fn series_count(&self) -> usize {
        self.inner.series_count()
    }

    /// Removes the metric `name`; returns whether it existed.
    fn unregister(&self, name: &str) -> bool {
        self.inner.unregister(name)
    }

    /// Sets every counter, histogram and summary back to zero (gauges keep their values).
    fn reset(&self) {
        self.inner.reset()
    }

    /// Per metric: what the cardinality guard and the sampler did.
    fn guard_stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let out = PyDict::new(py);
        for (name, g) in self.inner.guard_stats() {
            let d = PyDict::new(py);
            d.set_item("series", g.series)?;
            d.set_item("overflowed", g.overflowed)?;
            d.set_item("truncated", g.truncated)?;
            d.set_item("evicted", g.evicted)?;
            d.set_item("sampled_seen", g.sampled_seen)?;
            d.set_item("sampled_kept", g.sampled_kept)?;
            out.set_item(name, d)?;
        }
        Ok(out)
    }

    fn __repr__(&self) -> String {
        format!(
            "<pushmetrics.Registry series={}>",
            self.inner.series_count()
        )
    }
}

/// The registry argument of metrics and push functions: omitted means the default registry,
/// `None` a private one.
pub(crate) enum RegistryArg {
    Default,
    Private,
    Given {
        inner: pushmetrics::Registry,
        series_ttl: bool,
    },
}

impl<'a, 'py> FromPyObject<'a, 'py> for RegistryArg {
    type Error = PyErr;
    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if obj.is_none() {
            return Ok(RegistryArg::Private);
        }
        let r = obj.cast::<Registry>()?.get();
        Ok(RegistryArg::Given {
            inner: r.inner.clone(),
            series_ttl: r.series_ttl,
        })
    }
}

impl RegistryArg {
    pub(crate) fn resolve(self) -> pushmetrics::Registry {
        match self {
            RegistryArg::Default => pushmetrics::Registry::default_registry().clone(),
            RegistryArg::Private => pushmetrics::Registry::new(),
            RegistryArg::Given { inner, .. } => inner,
        }
    }

    /// Whether the registry evicts idle series (the default and private ones never do).
    pub(crate) fn series_ttl(&self) -> bool {
        matches!(
            self,
            RegistryArg::Given {
                series_ttl: true,
                ..
            }
        )
    }
}

/// The process-wide default registry as a Python object (the module's `REGISTRY`).
pub(crate) fn default_registry() -> Registry {
    Registry {
        inner: pushmetrics::Registry::default_registry().clone(),
        series_ttl: false,
    }
}

/// The registry in the Prometheus text format 0.0.4, as bytes (like prometheus_client).
#[pyfunction]
#[pyo3(signature = (registry=RegistryArg::Default))]
pub(crate) fn generate_latest<'py>(py: Python<'py>, registry: RegistryArg) -> Bound<'py, PyBytes> {
    let registry = registry.resolve();
    // A large registry takes milliseconds to encode: other Python threads run meanwhile.
    let text = py.detach(|| registry.encode_text());
    PyBytes::new(py, text.as_bytes())
}
