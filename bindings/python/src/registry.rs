//! `Registry`, the `REGISTRY` default and `generate_latest`: a Python face on
//! `pushmetrics::Registry`. Every metric lives in one registry; `registry=None` (which
//! prometheus_client uses for "do not register") gives the metric a private registry.

use crate::convert::seconds;
use crate::errors::OrRaise;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};
use std::sync::Mutex;

/// A set of metrics, with the cardinality limits every metric in it shares.
#[pyclass(module = "pushmetrics", frozen)]
pub(crate) struct Registry {
    pub(crate) inner: pushmetrics::Registry,
    /// Whether idle series are evicted (the core does not say).
    series_ttl: bool,
    /// The custom collectors registered through this object, with their core names.
    collectors: Mutex<Vec<(Py<PyAny>, String)>>,
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
            collectors: Mutex::new(Vec::new()),
        })
    }

    /// Live series in the registry.
    fn series_count(&self) -> usize {
        self.inner.series_count()
    }

    /// Adds a custom collector: an object whose `collect()` returns or yields metric
    /// families (`GaugeMetricFamily`, ...). It is called at every push, textfile write and
    /// scrape, on the thread doing it; a `collect()` that raises, or a family whose name is
    /// taken, is logged and counted in `pushmetrics_collector_failures_total{collector}`
    /// (the collector's class name) and the rest still goes out.
    fn register(&self, collector: Bound<'_, PyAny>) -> PyResult<()> {
        if let Some(name) = core_collector_name(&collector)? {
            return match name.as_str() {
                "process" => self.inner.register_process_collector().or_raise(),
                other => Err(pyo3::exceptions::PyValueError::new_err(format!(
                    "no collector of the library is named {other:?}"
                ))),
            };
        }
        if !collector.hasattr("collect")? {
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "a collector needs a collect() method; {} has none",
                collector.get_type().name()?
            )));
        }
        let mut list = self.collectors.lock().unwrap_or_else(|e| e.into_inner());
        if list.iter().any(|(o, _)| o.is(&collector)) {
            return Err(crate::errors::Class::DuplicateMetric
                .err(format!("collector {collector} is already registered")));
        }
        let base = collector.get_type().name()?.to_string();
        let mut n = 1;
        let name = loop {
            let name = if n == 1 {
                base.clone()
            } else {
                format!("{base}#{n}")
            };
            let f = crate::collector::core_collector(collector.clone().unbind());
            match self.inner.register_collector(&name, f) {
                Ok(()) => break name,
                Err(pushmetrics::Error::Conflict { .. }) => n += 1,
                Err(e) => return Err(crate::errors::to_py(e)),
            }
        };
        list.push((collector.unbind(), name));
        Ok(())
    }

    /// Removes a custom collector (the object given to `register`) or the metric of that
    /// name (a `str`); returns whether it was there.
    fn unregister(&self, py: Python<'_>, collector: Bound<'_, PyAny>) -> PyResult<bool> {
        if let Ok(name) = collector.cast::<PyString>() {
            let name = name.to_str()?.to_owned();
            return Ok(py.detach(|| self.inner.unregister(&name)));
        }
        let mut list = self.collectors.lock().unwrap_or_else(|e| e.into_inner());
        let Some(i) = list.iter().position(|(o, _)| o.is(&collector)) else {
            return match core_collector_name(&collector)? {
                Some(name) => Ok(self.inner.unregister_collector(&name)),
                None => Ok(false),
            };
        };
        let (_, name) = list.remove(i);
        Ok(self.inner.unregister_collector(&name))
    }

    /// Adds the process collector (`process_*` metrics, Linux only); the default registry
    /// has it from the start. Use `pushmetrics.ProcessCollector(registry=...)`.
    fn _register_process_collector(&self) -> PyResult<()> {
        self.inner.register_process_collector().or_raise()
    }

    /// Sets the labels every series of every metric carries when the registry is pushed,
    /// written or scraped, as prom-client's `setDefaultLabels`: collected families
    /// (process metrics, custom collectors) included. A series with a label of the same
    /// name keeps its own value. Replaces the previous set; `{}` clears it. Values are
    /// converted with `str()`. An invalid or reserved name (`le`, `quantile`) raises
    /// `ValueError` naming it and leaves the previous set.
    fn set_default_labels(&self, labels: Bound<'_, PyDict>) -> PyResult<()> {
        let mut pairs: Vec<(String, String)> = Vec::with_capacity(labels.len());
        for (k, v) in labels.iter() {
            let name = k.cast::<PyString>().map_err(|_| {
                pyo3::exceptions::PyTypeError::new_err(format!(
                    "a default label name must be a str, not {}",
                    k.get_type()
                        .name()
                        .map(|n| n.to_string())
                        .unwrap_or_default()
                ))
            })?;
            pairs.push((name.to_str()?.to_owned(), v.str()?.to_str()?.to_owned()));
        }
        let pairs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        self.inner.set_default_labels(&pairs).or_raise()
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

/// The name of the core collector a Python object stands for (`ProcessCollector` stands
/// for the core's `process` collector), from its `_core_collector` attribute.
fn core_collector_name(obj: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    match obj.getattr_opt("_core_collector")? {
        Some(name) => Ok(Some(name.extract()?)),
        None => Ok(None),
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
        collectors: Mutex::new(Vec::new()),
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
