//! Registries: the default one and private ones with their cardinality options, the text
//! exposition (encoded off the main thread), prom-client's JSON view, reset and removal.

use crate::cells;
use crate::errors::{self, Result};
use napi::bindgen_prelude::*;
use napi::Env;
use pushmetrics::{Registry, Value};
use std::collections::HashMap;
use std::time::Duration;

/// The cardinality options of a registry (DESIGN.md's names, in camelCase).
#[napi(object)]
pub struct RegistryOptions {
    pub max_series_per_metric: Option<u32>,
    pub max_series: Option<u32>,
    pub max_label_value_length: Option<u32>,
    pub series_ttl_ms: Option<f64>,
}

/// Label names and values as pairs; the two lists must be as long.
fn pairs<'a>(names: &'a [String], values: &'a [String]) -> Result<Vec<(&'a str, &'a str)>> {
    if names.len() != values.len() {
        return Err(errors::config(format!(
            "{} label names but {} values",
            names.len(),
            values.len()
        )));
    }
    Ok(names
        .iter()
        .map(String::as_str)
        .zip(values.iter().map(String::as_str))
        .collect())
}

/// A millisecond option as a `Duration`, refusing what is not a finite number >= 0.
pub fn millis(name: &str, ms: f64) -> Result<Duration> {
    if !(ms >= 0.0 && ms.is_finite()) {
        return Err(errors::config(format!(
            "{name} {ms} must be a finite number of milliseconds >= 0"
        )));
    }
    Ok(Duration::from_secs_f64(ms / 1e3))
}

/// A set of metric families.
#[napi]
pub struct NativeRegistry {
    pub(crate) inner: Registry,
}

#[napi]
impl NativeRegistry {
    /// A private registry.
    #[napi(constructor)]
    pub fn new(options: Option<RegistryOptions>) -> Result<Self> {
        let mut b = Registry::builder();
        if let Some(o) = options {
            if let Some(n) = o.max_series_per_metric {
                b = b.max_series_per_metric(n as usize);
            }
            if let Some(n) = o.max_series {
                b = b.max_series(n as usize);
            }
            if let Some(n) = o.max_label_value_length {
                b = b.max_label_value_length(n as usize);
            }
            if let Some(ms) = o.series_ttl_ms {
                b = b.series_ttl(millis("seriesTtlMs", ms)?);
            }
        }
        let inner = errors::core(b.build())?;
        // Held children add into shared memory; the core collects it before each snapshot.
        inner.on_snapshot(cells::drain);
        Ok(NativeRegistry { inner })
    }

    /// The process-wide default registry (shared by every worker thread).
    #[napi(factory)]
    pub fn default_registry() -> Self {
        static HOOKED: std::sync::Once = std::sync::Once::new();
        let inner = Registry::default_registry().clone();
        HOOKED.call_once(|| inner.on_snapshot(cells::drain));
        NativeRegistry { inner }
    }

    /// The text exposition, encoded on a libuv worker thread.
    #[napi]
    pub fn metrics(&self) -> AsyncTask<Encode> {
        AsyncTask::new(Encode(self.inner.clone()))
    }

    /// The text exposition, on the calling thread.
    #[napi]
    pub fn metrics_sync(&self) -> String {
        cells::drain();
        self.inner.encode_text()
    }

    /// Every family in prom-client's `getMetricsAsJSON()` shape.
    #[napi]
    pub fn metrics_json(&self) -> Vec<MetricJson> {
        cells::drain();
        let snap = self.inner.snapshot();
        snap.families().iter().map(family_json).collect()
    }

    /// Counters, histograms and summaries back to zero (gauges keep their values).
    #[napi]
    pub fn reset(&self) {
        cells::drain();
        self.inner.reset();
    }

    /// Removes the family `name`; whether it existed.
    #[napi]
    pub fn unregister(&self, name: String) -> bool {
        self.inner.unregister(&name)
    }

    /// The names of the families a snapshot holds (collectors' included).
    #[napi]
    pub fn family_names(&self) -> Vec<String> {
        cells::drain();
        let snap = self.inner.snapshot();
        snap.families()
            .iter()
            .map(|f| f.name().to_owned())
            .collect()
    }

    /// Reports every family of `source` too, through the collector `name` (`Registry.merge`).
    #[napi]
    pub fn include(&self, source: &NativeRegistry, name: String) -> Result<()> {
        let src = source.inner.clone();
        errors::core(
            self.inner
                .register_collector(&name, move || Ok(src.snapshot().families().to_vec())),
        )
    }

    /// Reports the process metrics (`process_*`); false if the registry already does.
    #[napi]
    pub fn register_process_collector(&self) -> Result<bool> {
        match self.inner.register_process_collector() {
            Ok(()) => Ok(true),
            Err(pushmetrics::Error::Conflict { .. }) => Ok(false),
            Err(e) => Err(errors::js(e)),
        }
    }

    /// Reports the process metrics with `prefix` before every name and label `names[i]` =
    /// `values[i]` on every family (`collectDefaultMetrics({ prefix, labels })`), in place
    /// of the registry's process collector if it has one.
    #[napi]
    pub fn register_process_collector_with(
        &self,
        prefix: String,
        names: Vec<String>,
        values: Vec<String>,
    ) -> Result<()> {
        let pairs = pairs(&names, &values)?;
        match self.inner.register_process_collector_with(&prefix, &pairs) {
            Err(pushmetrics::Error::Conflict { .. }) => {
                self.inner.unregister_collector("process");
                errors::core(self.inner.register_process_collector_with(&prefix, &pairs))
            }
            r => errors::core(r),
        }
    }

    /// Sets the labels every series of every family carries in a snapshot (label
    /// `names[i]` = `values[i]`), as prom-client's `setDefaultLabels`; none clears them.
    #[napi]
    pub fn set_default_labels(&self, names: Vec<String>, values: Vec<String>) -> Result<()> {
        let pairs = pairs(&names, &values)?;
        errors::core(self.inner.set_default_labels(&pairs))
    }

    /// Turns on multiprocess mode with `dir` (a new temporary directory if not given), this
    /// process the owner; counter cells are drained into the core first, so what they hold
    /// reaches the file. Returns the directory.
    #[napi]
    pub fn enable_multiprocess(&self, dir: Option<String>) -> Result<String> {
        cells::drain();
        let dir = errors::core(
            self.inner
                .enable_multiprocess(dir.as_deref().map(std::path::Path::new)),
        )?;
        Ok(dir.to_string_lossy().into_owned())
    }

    /// Whether this process is a multiprocess worker (its pushers send nothing).
    #[napi]
    pub fn is_multiprocess_worker(&self) -> bool {
        self.inner.is_multiprocess_worker()
    }

    /// The multiprocess directory, when the mode is on.
    #[napi]
    pub fn multiprocess_dir(&self) -> Option<String> {
        self.inner
            .multiprocess_dir()
            .map(|d| d.to_string_lossy().into_owned())
    }

    /// In the owner, after the final push: removes the directory if the mode made it.
    #[napi]
    pub fn remove_multiprocess_dir(&self) {
        self.inner.remove_multiprocess_dir();
    }

    /// Live series in the registry.
    #[napi]
    pub fn series_count(&self) -> u32 {
        self.inner.series_count() as u32
    }

    /// Per metric: what the cardinality guard and the sampler did.
    #[napi]
    pub fn guard_stats(&self) -> Vec<GuardStat> {
        self.inner
            .guard_stats()
            .into_iter()
            .map(|(name, g)| GuardStat {
                name,
                series: g.series as f64,
                overflowed: g.overflowed as f64,
                truncated: g.truncated as f64,
                evicted: g.evicted as f64,
                sampled_seen: g.sampled_seen as f64,
                sampled_kept: g.sampled_kept as f64,
            })
            .collect()
    }
}

/// Encodes a registry as text off the main thread.
pub struct Encode(Registry);

impl Task for Encode {
    type Output = String;
    type JsValue = String;
    fn compute(&mut self) -> napi::Result<String> {
        cells::drain();
        Ok(self.0.encode_text())
    }
    fn resolve(&mut self, _: Env, out: String) -> napi::Result<String> {
        Ok(out)
    }
}

/// `GuardCounts` of one metric.
#[napi(object)]
pub struct GuardStat {
    pub name: String,
    pub series: f64,
    pub overflowed: f64,
    pub truncated: f64,
    pub evicted: f64,
    pub sampled_seen: f64,
    pub sampled_kept: f64,
}

/// One sample in prom-client's JSON shape.
#[napi(object)]
pub struct SampleJson {
    pub value: f64,
    pub labels: HashMap<String, String>,
    pub metric_name: Option<String>,
}

/// One family in prom-client's JSON shape.
#[napi(object)]
pub struct MetricJson {
    pub name: String,
    pub help: String,
    #[napi(js_name = "type")]
    pub kind: String,
    pub values: Vec<SampleJson>,
    pub aggregator: String,
}

fn family_json(f: &pushmetrics::FamilySnapshot) -> MetricJson {
    let mut values = Vec::new();
    let name = f.name();
    for s in f.iter() {
        let labels: HashMap<String, String> = f
            .const_labels()
            .iter()
            .map(|(n, v)| (n.clone(), v.clone()))
            .chain(s.labels().map(|(n, v)| (n.to_owned(), v.to_owned())))
            .collect();
        let with = |extra: Option<(&str, String)>| {
            let mut l = labels.clone();
            if let Some((n, v)) = extra {
                l.insert(n.to_owned(), v);
            }
            l
        };
        match s.value() {
            Value::Counter(v) | Value::Gauge(v) => values.push(SampleJson {
                value: *v,
                labels: labels.clone(),
                metric_name: None,
            }),
            Value::Histogram(h) => {
                let pushmetrics::HistogramValue {
                    bounds,
                    cumulative,
                    count,
                    sum,
                } = &**h;
                for (i, c) in cumulative.iter().enumerate() {
                    let le = bounds.get(i).map_or("+Inf".to_owned(), |b| b.to_string());
                    values.push(SampleJson {
                        value: *c as f64,
                        labels: with(Some(("le", le))),
                        metric_name: Some(format!("{name}_bucket")),
                    });
                }
                values.push(SampleJson {
                    value: *sum,
                    labels: with(None),
                    metric_name: Some(format!("{name}_sum")),
                });
                values.push(SampleJson {
                    value: *count as f64,
                    labels: with(None),
                    metric_name: Some(format!("{name}_count")),
                });
            }
            Value::Summary(q) => {
                let pushmetrics::SummaryValue {
                    quantiles,
                    sum,
                    count,
                } = &**q;
                for (q, v) in quantiles.iter() {
                    values.push(SampleJson {
                        value: *v,
                        labels: with(Some(("quantile", q.to_string()))),
                        metric_name: None,
                    });
                }
                values.push(SampleJson {
                    value: *sum,
                    labels: with(None),
                    metric_name: Some(format!("{name}_sum")),
                });
                values.push(SampleJson {
                    value: *count as f64,
                    labels: with(None),
                    metric_name: Some(format!("{name}_count")),
                });
            }
        }
    }
    MetricJson {
        name: name.to_owned(),
        help: f.help().to_owned(),
        kind: f.metric_type().as_str().to_owned(),
        values,
        aggregator: "sum".into(),
    }
}
