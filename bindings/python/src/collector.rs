//! Custom collectors as prometheus_client has them: an object whose `collect()` yields
//! metric families (`GaugeMetricFamily`, ...), run by the core at every snapshot. This file
//! translates prometheus_client's model (a family of flat samples, `_bucket`, `_sum`,
//! `_count`, ...) into the core's families; calling, counting failures and leaving out
//! clashing names is the core's work.

use pushmetrics::{FamilySnapshot, HistogramValue, MetricType, SummaryValue, Value};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// The core collector for the Python object `obj`: attaches to the interpreter only for the
/// call to `collect()` and the reading of its result.
pub(crate) fn core_collector(
    obj: Py<PyAny>,
) -> impl Fn() -> pushmetrics::CollectResult + Send + Sync {
    move || {
        Python::try_attach(|py| collect(obj.bind(py)).map_err(|e| describe(py, e)))
            .unwrap_or_else(|| Err("the Python interpreter is not running".into()))
    }
}

/// The message of a Python exception, with its class name.
fn describe(py: Python<'_>, e: PyErr) -> String {
    let class = e
        .get_type(py)
        .name()
        .map_or_else(|_| "Exception".to_owned(), |n| n.to_string());
    format!("{class}: {}", e.value(py))
}

fn collect(obj: &Bound<'_, PyAny>) -> PyResult<Vec<FamilySnapshot>> {
    let mut out = Vec::new();
    for metric in obj.call_method0("collect")?.try_iter()? {
        out.push(family(&metric?)?);
    }
    Ok(out)
}

/// What a sample is to its family.
enum Role {
    /// The value of a counter, gauge, info or stateset series.
    Value,
    /// A histogram bucket (its `le`) or a summary quantile (its `quantile`).
    Bound(f64),
    Count,
    Sum,
    /// A sample the text format 0.0.4 leaves out (`_created`).
    Skip,
}

/// A sample's role, value and labels (the bound label left out).
type Sample = (Role, f64, Vec<(String, String)>);

/// A series being assembled from its samples.
#[derive(Default)]
struct Parts {
    value: Option<f64>,
    bounds: Vec<(f64, f64)>,
    count: Option<f64>,
    sum: Option<f64>,
}

fn config(msg: String) -> PyErr {
    crate::errors::Class::Config.err(msg)
}

/// One prometheus_client metric family as a core family, named and typed as
/// prometheus_client's text exposition shows it: a counter `x` as `x_total`, an info `x` as
/// the gauge `x_info`, a stateset and an unknown metric as gauges.
fn family(metric: &Bound<'_, PyAny>) -> PyResult<FamilySnapshot> {
    let name: String = metric.getattr("name")?.extract()?;
    let help: String = metric.getattr("documentation")?.extract()?;
    let typ: String = metric.getattr("type")?.extract()?;
    let (family_name, kind) = match typ.as_str() {
        "counter" if name.ends_with("_total") => (name.clone(), MetricType::Counter),
        "counter" => (format!("{name}_total"), MetricType::Counter),
        "gauge" | "unknown" | "untyped" | "stateset" => (name.clone(), MetricType::Gauge),
        "info" => (format!("{name}_info"), MetricType::Gauge),
        "histogram" => (name.clone(), MetricType::Histogram),
        "summary" => (name.clone(), MetricType::Summary),
        other => {
            return Err(config(format!(
                "metric {name:?} is of type {other:?}, which the text format 0.0.4 cannot carry"
            )))
        }
    };
    let bound_label = match kind {
        MetricType::Histogram => "le",
        MetricType::Summary => "quantile",
        _ => "",
    };
    // Label names in the order first seen; a series without one has it empty.
    let mut names: Vec<String> = Vec::new();
    let mut samples: Vec<Sample> = Vec::new();
    for sample in metric.getattr("samples")?.try_iter()? {
        let sample = sample?;
        let sname: String = sample.getattr("name")?.extract()?;
        let value: f64 = sample.getattr("value")?.extract()?;
        let labels = sample.getattr("labels")?;
        let labels = labels.cast::<PyDict>()?;
        let mut pairs = Vec::with_capacity(labels.len());
        let mut bound = None;
        for (k, v) in labels.iter() {
            let k: String = k.extract()?;
            let v: String = v.str()?.extract()?;
            if k == bound_label {
                bound = Some(parse_bound(&family_name, &v)?);
                continue;
            }
            if !names.contains(&k) {
                names.push(k.clone());
            }
            pairs.push((k, v));
        }
        let suffix = sname.strip_prefix(name.as_str()).unwrap_or("\0");
        let role = match (kind, suffix, bound) {
            (MetricType::Counter, "_total", None) => Role::Value,
            (MetricType::Counter, "", None) if family_name == sname => Role::Value,
            (MetricType::Gauge, _, None) if sname == family_name => Role::Value,
            (MetricType::Histogram, "_bucket", Some(b)) => Role::Bound(b),
            (MetricType::Summary, "", Some(q)) => Role::Bound(q),
            (MetricType::Histogram | MetricType::Summary, "_count", None) => Role::Count,
            (MetricType::Histogram | MetricType::Summary, "_sum", None) => Role::Sum,
            (_, "_created", _) => Role::Skip,
            _ => {
                return Err(config(format!(
                    "sample {sname:?} does not belong to the {} {family_name:?}",
                    kind.as_str()
                )))
            }
        };
        samples.push((role, value, pairs));
    }
    let mut series: Vec<(Vec<String>, Parts)> = Vec::new();
    for (role, value, pairs) in samples {
        if let Role::Skip = role {
            continue;
        }
        let key: Vec<String> = names
            .iter()
            .map(|n| {
                pairs
                    .iter()
                    .find(|(k, _)| k == n)
                    .map_or_else(String::new, |(_, v)| v.clone())
            })
            .collect();
        let at = match series.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                series.push((key, Parts::default()));
                series.len() - 1
            }
        };
        let parts = &mut series[at].1;
        match role {
            Role::Value => parts.value = Some(value),
            Role::Bound(b) => parts.bounds.push((b, value)),
            Role::Count => parts.count = Some(value),
            Role::Sum => parts.sum = Some(value),
            Role::Skip => {}
        }
    }
    let mut b =
        FamilySnapshot::builder(&family_name, &help, kind, &names).map_err(crate::errors::to_py)?;
    for (key, parts) in series {
        let value = series_value(&family_name, kind, parts)?;
        b.add(&key, value).map_err(crate::errors::to_py)?;
    }
    Ok(b.build())
}

fn parse_bound(family: &str, v: &str) -> PyResult<f64> {
    match v {
        "+Inf" | "Inf" | "inf" | "+inf" => Ok(f64::INFINITY),
        _ => v
            .parse::<f64>()
            .map_err(|_| config(format!("metric {family:?}: bound {v:?} is not a number"))),
    }
}

fn whole(family: &str, what: &str, v: f64) -> PyResult<u64> {
    if v.is_finite() && v >= 0.0 && v.fract() == 0.0 {
        Ok(v as u64)
    } else {
        Err(config(format!(
            "metric {family:?}: {what} {v} is not a whole number >= 0"
        )))
    }
}

fn series_value(family: &str, kind: MetricType, mut p: Parts) -> PyResult<Value> {
    let missing = |what: &str| config(format!("metric {family:?}: a series has no {what}"));
    Ok(match kind {
        MetricType::Counter => Value::Counter(p.value.ok_or_else(|| missing("value"))?),
        MetricType::Gauge => Value::Gauge(p.value.ok_or_else(|| missing("value"))?),
        MetricType::Histogram => {
            p.bounds.sort_by(|a, b| a.0.total_cmp(&b.0));
            match p.bounds.last() {
                Some((b, _)) if *b == f64::INFINITY => {}
                _ => return Err(missing("+Inf bucket")),
            }
            let cumulative = p
                .bounds
                .iter()
                .map(|(_, c)| whole(family, "bucket count", *c))
                .collect::<PyResult<Vec<u64>>>()?;
            let count = *cumulative.last().expect("a +Inf bucket");
            Value::Histogram(Box::new(HistogramValue {
                bounds: p.bounds[..p.bounds.len() - 1]
                    .iter()
                    .map(|(b, _)| *b)
                    .collect::<Vec<_>>()
                    .into(),
                cumulative,
                count,
                sum: p.sum.unwrap_or(0.0),
            }))
        }
        MetricType::Summary => Value::Summary(Box::new(SummaryValue {
            quantiles: p.bounds,
            sum: p.sum.ok_or_else(|| missing("_sum"))?,
            count: whole(family, "count", p.count.ok_or_else(|| missing("_count"))?)?,
        })),
    })
}

/// `Gauge.set_function`: a collector named after the gauge that sets it to `f()` at every
/// snapshot, replacing an earlier function of the same gauge.
pub(crate) fn set_function(
    registry: &pushmetrics::Registry,
    gauge: pushmetrics::Gauge,
    f: Py<PyAny>,
) -> PyResult<()> {
    let name = format!("{}.set_function", gauge.name());
    registry.unregister_collector(&name);
    registry
        .register_collector(&name, move || {
            Python::try_attach(|py| {
                let v: f64 = f
                    .call0(py)
                    .and_then(|v| v.extract(py))
                    .map_err(|e| describe(py, e))?;
                gauge.set(v);
                Ok(Vec::new())
            })
            .unwrap_or_else(|| Err("the Python interpreter is not running".into()))
        })
        .map_err(crate::errors::to_py)
}
