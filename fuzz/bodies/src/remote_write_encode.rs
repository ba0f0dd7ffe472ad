//! Target `remote_write_encode`: a registry built from the input, encoded as remote-write
//! requests with arbitrary job and grouping labels, must snappy-decompress and decode as
//! `prometheus.WriteRequest`s holding at most the asked number of samples each, every
//! series with sorted, unique, non-empty labels, and every value of the snapshot.

use crate::input::Input;
use crate::scenario;
use crate::text_encode::same;
use crate::text_format::{self, is_label_name};
use prost::Message;
use pushmetrics::encode::remote_write::{pb, write_requests};
use pushmetrics::{FamilySnapshot, MetricType, Value};
use std::collections::BTreeMap;

/// The target body.
pub fn remote_write_encode(data: &[u8]) {
    let mut input = Input::new(data);
    let job = input.string(16);
    let mut extra = vec![("job".to_string(), job)];
    for _ in 0..input.below(4) {
        let (name, value) = (input.string(12), input.string(16));
        // The pusher refuses other grouping names before it encodes anything (the same
        // rule as the Pushgateway path); what it accepts is what is fuzzed here.
        if is_label_name(&name)
            && !name.starts_with("__")
            && name != "job"
            && !extra.iter().any(|(n, _)| *n == name)
        {
            extra.push((name, value));
        }
    }
    let max_samples = input.below(300) + 1;
    let ts = input.u64() as i64;
    let registry = scenario::registry(&mut input);
    let snapshot = registry.snapshot();
    let bodies = write_requests(&snapshot, &extra, ts, max_samples);
    let widest = snapshot
        .families()
        .iter()
        .flat_map(|f| f.iter())
        .map(|s| match s.value() {
            Value::Counter(_) | Value::Gauge(_) => 1,
            Value::Histogram(h) => h.cumulative.len() + 2,
            Value::Summary(q) => q.quantiles.len() + 2,
        })
        .max()
        .unwrap_or(1);

    let mut series: Vec<pb::TimeSeries> = Vec::new();
    let mut metadata: Vec<pb::MetricMetadata> = Vec::new();
    let mut decoder = snap::raw::Decoder::new();
    for body in &bodies {
        let raw = decoder
            .decompress_vec(body)
            .unwrap_or_else(|e| panic!("snappy: {e}"));
        let w =
            pb::WriteRequest::decode(raw.as_slice()).unwrap_or_else(|e| panic!("protobuf: {e}"));
        assert!(
            !w.timeseries.is_empty() || !w.metadata.is_empty(),
            "an empty request"
        );
        // A request is cut once it reaches the limit, after a whole series: it may pass the
        // limit by less than one series' samples, never by more.
        let n = w.timeseries.len();
        assert!(
            n < max_samples + widest,
            "{n} samples for a limit of {max_samples}"
        );
        for t in &w.timeseries {
            assert_eq!(t.samples.len(), 1, "{t:?}");
            assert_eq!(t.samples[0].timestamp, ts);
            let names: Vec<&str> = t.labels.iter().map(|l| l.name.as_str()).collect();
            assert!(
                names.windows(2).all(|w| w[0] < w[1]),
                "labels not sorted or repeated: {names:?}"
            );
            assert!(
                t.labels.iter().all(|l| !l.value.is_empty()),
                "an empty label value: {t:?}"
            );
            assert!(
                t.labels
                    .iter()
                    .all(|l| l.name == "__name__" || is_label_name(&l.name)),
                "an invalid label name: {t:?}"
            );
        }
        series.extend(w.timeseries);
        metadata.extend(w.metadata);
    }

    let written: Vec<&FamilySnapshot> = snapshot
        .families()
        .iter()
        .filter(|f| !f.is_empty())
        .collect();
    assert_eq!(
        metadata.len(),
        written.len(),
        "one metadata entry per family"
    );
    for (m, f) in metadata.iter().zip(&written) {
        assert_eq!(m.metric_family_name, f.name());
        assert_eq!(m.help, f.help());
        let kind = match f.metric_type() {
            MetricType::Counter => 1,
            MetricType::Gauge => 2,
            MetricType::Histogram => 3,
            MetricType::Summary => 5,
        };
        assert_eq!(m.r#type, kind);
    }

    // Every sample the snapshot implies, keyed by its full label set.
    let mut want: BTreeMap<Vec<(String, String)>, f64> = BTreeMap::new();
    for f in &written {
        let suffix = match f.metric_type() {
            MetricType::Histogram => Some("le"),
            MetricType::Summary => Some("quantile"),
            _ => None,
        };
        for s in f.iter() {
            let mut base: BTreeMap<String, String> = BTreeMap::new();
            for (n, v) in f.const_labels() {
                base.insert(n.clone(), v.clone());
            }
            for (n, v) in s.labels() {
                base.insert(n.to_string(), v.to_string());
            }
            // Job and grouping labels win over the metric's own; le/quantile over all.
            for (n, v) in &extra {
                base.insert(n.clone(), v.clone());
            }
            if let Some(sx) = suffix {
                base.remove(sx);
            }
            let mut add = |name: String, le: Option<f64>, v: f64| {
                let mut l = base.clone();
                l.insert("__name__".into(), name);
                if let (Some(sx), Some(b)) = (suffix, le) {
                    l.insert(sx.into(), canonical(b));
                }
                l.retain(|_, v| !v.is_empty());
                let key: Vec<(String, String)> = l.into_iter().collect();
                assert!(
                    want.insert(key.clone(), v).is_none(),
                    "the same series twice: {key:?}"
                );
            };
            match s.value() {
                Value::Counter(v) | Value::Gauge(v) => add(f.name().into(), None, *v),
                Value::Histogram(h) => {
                    for (i, c) in h.cumulative.iter().enumerate() {
                        let le = h.bounds.get(i).copied().unwrap_or(f64::INFINITY);
                        add(format!("{}_bucket", f.name()), Some(le), *c as f64);
                    }
                    add(format!("{}_sum", f.name()), None, h.sum);
                    add(format!("{}_count", f.name()), None, h.count as f64);
                }
                Value::Summary(q) => {
                    for (quantile, v) in &q.quantiles {
                        add(f.name().into(), Some(*quantile), *v);
                    }
                    add(format!("{}_sum", f.name()), None, q.sum);
                    add(format!("{}_count", f.name()), None, q.count as f64);
                }
            }
        }
    }
    assert_eq!(series.len(), want.len(), "series count");
    for t in &series {
        let key: Vec<(String, String)> = t
            .labels
            .iter()
            .map(|l| {
                // A grouping label may be called `le` on a counter: a value that is not a
                // number stays as it is, and fails the lookup below if it should have been.
                let number = (l.name == "le" || l.name == "quantile")
                    .then(|| text_format::parse_value(&l.value))
                    .flatten();
                let value = number.map_or_else(|| l.value.clone(), canonical);
                (l.name.clone(), value)
            })
            .collect();
        let v = want
            .get(&key)
            .unwrap_or_else(|| panic!("a series the snapshot does not have: {key:?}"));
        let got = t.samples[0].value;
        assert!(
            same(got, *v) && (got.is_nan() || got.to_bits() == v.to_bits() || *v == 0.0),
            "{key:?}: {got:?} is not {v:?}"
        );
    }
}

/// One spelling per number for `le` and `quantile` values, so that the written text (which
/// must parse as the number) and the snapshot's float compare as label values.
fn canonical(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else {
        format!("{v:?}")
    }
}
