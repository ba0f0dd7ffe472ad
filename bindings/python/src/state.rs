//! `Enum` and `Info` as Python classes shaped like prometheus_client's, over the core's
//! enum and info metrics. A metric with label names hands out children through `labels()`.

use crate::errors::{Class, OrRaise};
use crate::registry::RegistryArg;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

/// prometheus_client's full name: namespace_subsystem_name, then `_unit` unless present.
fn full_name(namespace: &str, subsystem: &str, name: &str, unit: &str) -> String {
    let mut full = [namespace, subsystem, name]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("_");
    if !unit.is_empty() && !full.ends_with(&format!("_{unit}")) {
        full = format!("{full}_{unit}");
    }
    full
}

/// Label values from `labels(*values)` or `labels(**kwargs)`, in the order of `labelnames`.
fn label_values(
    name: &str,
    labelnames: &[String],
    values: &Bound<'_, PyTuple>,
    kw: Option<&Bound<'_, PyDict>>,
) -> PyResult<Vec<String>> {
    if labelnames.is_empty() {
        return Err(Class::Label.err(format!("metric {name:?} has no label names")));
    }
    let out: Vec<String> = match kw {
        Some(kw) if !kw.is_empty() => {
            if !values.is_empty() {
                return Err(Class::Label
                    .err("labels() takes label values either by position or by name, not both"));
            }
            if kw.len() != labelnames.len() {
                return Err(Class::Label.err(format!(
                    "metric {name:?} has the label names {labelnames:?}; {} were given",
                    kw.len()
                )));
            }
            labelnames
                .iter()
                .map(|n| match kw.get_item(n)? {
                    Some(v) => Ok(v.str()?.to_string()),
                    None => {
                        Err(Class::Label
                            .err(format!("metric {name:?}: no value for the label {n:?}")))
                    }
                })
                .collect::<PyResult<_>>()?
        }
        _ => values
            .iter()
            .map(|v| Ok(v.str()?.to_string()))
            .collect::<PyResult<_>>()?,
    };
    if out.len() != labelnames.len() {
        return Err(crate::errors::to_py(pushmetrics::Error::LabelCount {
            metric: name.to_owned(),
            expected: labelnames.len(),
            got: out.len(),
        }));
    }
    Ok(out)
}

/// The label values of a series object, or the error of a labelled metric used directly.
fn own_values<'a>(
    name: &str,
    labelnames: &[String],
    values: &'a Option<Vec<String>>,
) -> PyResult<&'a [String]> {
    match values {
        Some(v) => Ok(v),
        None if labelnames.is_empty() => Ok(&[]),
        None => Err(crate::errors::to_py(pushmetrics::Error::LabelCount {
            metric: name.to_owned(),
            expected: labelnames.len(),
            got: 0,
        })),
    }
}

/// Which of a set of states is true: a gauge with one series per state, labelled with the
/// metric's name, 1 for the current state and 0 for the others.
#[pyclass(module = "pushmetrics", frozen)]
pub(crate) struct Enum {
    inner: pushmetrics::EnumMetric,
    name: String,
    documentation: String,
    labelnames: Vec<String>,
    /// The label values of a `labels()` child.
    values: Option<Vec<String>>,
}

#[pymethods]
impl Enum {
    #[new]
    #[pyo3(signature = (name, documentation, labelnames=Vec::new(), namespace="", subsystem="", unit="", registry=RegistryArg::Default, states=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        name: &str,
        documentation: String,
        labelnames: Vec<String>,
        namespace: &str,
        subsystem: &str,
        unit: &str,
        registry: RegistryArg,
        states: Option<Vec<String>>,
    ) -> PyResult<Self> {
        let full = full_name(namespace, subsystem, name, unit);
        let states = states.unwrap_or_default();
        let inner = registry
            .resolve()
            .enum_metric(&full, &documentation, &labelnames, &states)
            .or_raise()?;
        Ok(Enum {
            inner,
            name: full,
            documentation,
            labelnames,
            values: None,
        })
    }

    /// The full metric name.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }
    /// The help text.
    #[getter]
    fn documentation(&self) -> &str {
        &self.documentation
    }
    /// The label names, in the order `labels()` takes values.
    #[getter]
    fn labelnames(&self) -> Vec<String> {
        self.labelnames.clone()
    }

    /// The series for these label values (by position or by name), in the first state
    /// until `state()` says otherwise.
    #[pyo3(signature = (*values, **labelkwargs))]
    fn labels(
        &self,
        values: &Bound<'_, PyTuple>,
        labelkwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Enum> {
        let v = label_values(&self.name, &self.labelnames, values, labelkwargs)?;
        self.inner.init(&v).or_raise()?;
        Ok(Enum {
            inner: self.inner.clone(),
            name: self.name.clone(),
            documentation: self.documentation.clone(),
            labelnames: self.labelnames.clone(),
            values: Some(v),
        })
    }

    /// Makes `state` the current state.
    fn state(&self, state: &str) -> PyResult<()> {
        let v = own_values(&self.name, &self.labelnames, &self.values)?;
        self.inner.state(v, state).or_raise()
    }

    fn __repr__(&self) -> String {
        format!(
            "<pushmetrics.Enum {:?} states={:?}>",
            self.name,
            self.inner.states()
        )
    }
}

/// Key-value information (a build's version, say): a gauge `<name>_info` of value 1 whose
/// labels carry the information.
#[pyclass(module = "pushmetrics", frozen)]
pub(crate) struct Info {
    inner: pushmetrics::InfoMetric,
    name: String,
    documentation: String,
    labelnames: Vec<String>,
    /// The label values of a `labels()` child.
    values: Option<Vec<String>>,
}

#[pymethods]
impl Info {
    #[new]
    #[pyo3(signature = (name, documentation, labelnames=Vec::new(), namespace="", subsystem="", unit="", registry=RegistryArg::Default))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        name: &str,
        documentation: String,
        labelnames: Vec<String>,
        namespace: &str,
        subsystem: &str,
        unit: &str,
        registry: RegistryArg,
    ) -> PyResult<Self> {
        let full = full_name(namespace, subsystem, name, unit);
        let inner = registry
            .resolve()
            .info_metric(&full, &documentation, &labelnames)
            .or_raise()?;
        Ok(Info {
            inner,
            name: full,
            documentation,
            labelnames,
            values: None,
        })
    }

    /// The full metric name (without the `_info` the series carry).
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }
    /// The help text.
    #[getter]
    fn documentation(&self) -> &str {
        &self.documentation
    }
    /// The label names, in the order `labels()` takes values.
    #[getter]
    fn labelnames(&self) -> Vec<String> {
        self.labelnames.clone()
    }

    /// The series for these label values (by position or by name).
    #[pyo3(signature = (*values, **labelkwargs))]
    fn labels(
        &self,
        values: &Bound<'_, PyTuple>,
        labelkwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Info> {
        let v = label_values(&self.name, &self.labelnames, values, labelkwargs)?;
        self.inner.init(&v).or_raise()?;
        Ok(Info {
            inner: self.inner.clone(),
            name: self.name.clone(),
            documentation: self.documentation.clone(),
            labelnames: self.labelnames.clone(),
            values: Some(v),
        })
    }

    /// Sets the information: a dict of label names (other than the metric's) to values.
    fn info(&self, val: &Bound<'_, PyDict>) -> PyResult<()> {
        let v = own_values(&self.name, &self.labelnames, &self.values)?;
        let mut pairs: Vec<(String, String)> = Vec::with_capacity(val.len());
        for (k, x) in val.iter() {
            if x.is_none() {
                return Err(Class::InvalidValue.err(format!(
                    "info metric {:?}: the value of {k} is None",
                    self.name
                )));
            }
            pairs.push((k.extract()?, x.str()?.to_string()));
        }
        let refs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.inner.info(v, &refs).or_raise()
    }

    fn __repr__(&self) -> String {
        format!("<pushmetrics.Info {:?}>", self.name)
    }
}
