//! Target `text_encode`: a registry built from the input, encoded in the text format 0.0.4,
//! must parse with the strict parser and give back every family, series, label and value
//! of the snapshot it was encoded from.

use crate::input::Input;
use crate::scenario;
use crate::text_format::{self, Family};
use pushmetrics::{FamilySnapshot, MetricType, Value};

/// The target body.
pub fn text_encode(data: &[u8]) {
    let registry = scenario::registry(&mut Input::new(data));
    let snapshot = registry.snapshot();
    let mut out = Vec::new();
    pushmetrics::encode::text::encode(&snapshot, &mut out);
    let text = String::from_utf8(out).expect("the text encoder writes UTF-8");
    let parsed = text_format::parse(&text).unwrap_or_else(|e| panic!("{e}\n--- text ---\n{text}"));
    let written: Vec<&FamilySnapshot> = snapshot
        .families()
        .iter()
        .filter(|f| !f.is_empty())
        .collect();
    assert_eq!(parsed.len(), written.len(), "families\n{text}");
    for (got, want) in parsed.iter().zip(written) {
        check_family(got, want, &text);
    }
}

/// Whether two floats are the same number (NaN equals NaN; 0 and -0 are both written `0`).
pub fn same(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b
}

/// The parsed family equals the snapshot's family, sample by sample.
pub fn check_family(got: &Family, want: &FamilySnapshot, text: &str) {
    assert_eq!(got.name, want.name(), "{text}");
    assert_eq!(got.help, want.help(), "{text}");
    assert_eq!(got.kind, want.metric_type().as_str(), "{text}");
    let mut samples = got.samples.iter();
    let mut expect = |suffix: &str,
                      extra: Option<(&str, f64)>,
                      labels: &[(String, String)],
                      check: &dyn Fn(&text_format::Sample)| {
        let s = samples
            .next()
            .unwrap_or_else(|| panic!("missing sample {}{suffix}\n{text}", want.name()));
        assert_eq!(s.name, format!("{}{suffix}", want.name()), "{text}");
        let (base, last) = match extra {
            Some(_) => s.labels.split_at(s.labels.len().saturating_sub(1)),
            None => (&s.labels[..], &[][..]),
        };
        assert_eq!(base, labels, "{text}");
        if let Some((name, v)) = extra {
            assert_eq!(last.len(), 1, "{text}");
            assert_eq!(last[0].0, name, "{text}");
            let parsed = text_format::parse_value(&last[0].1)
                .unwrap_or_else(|| panic!("{name} value {:?}\n{text}", last[0].1));
            assert!(
                same(parsed, v),
                "{name}={:?} is not {v:?}\n{text}",
                last[0].1
            );
        }
        check(s);
    };
    let float = |v: f64| {
        move |s: &text_format::Sample| assert!(same(s.value, v), "{} is not {v:?}\n{text}", s.raw)
    };
    let int = |v: u64| move |s: &text_format::Sample| assert_eq!(s.raw, v.to_string(), "{text}");
    for series in want.iter() {
        let labels: Vec<(String, String)> = want
            .const_labels()
            .iter()
            .cloned()
            .chain(series.labels().map(|(n, v)| (n.to_string(), v.to_string())))
            .collect();
        match series.value() {
            Value::Counter(v) | Value::Gauge(v) => expect("", None, &labels, &float(*v)),
            Value::Histogram(h) => {
                assert_eq!(want.metric_type(), MetricType::Histogram);
                assert_eq!(h.cumulative.len(), h.bounds.len() + 1, "buckets of {h:?}");
                assert!(
                    h.cumulative.windows(2).all(|w| w[0] <= w[1]),
                    "not cumulative: {h:?}"
                );
                assert_eq!(
                    h.cumulative.last(),
                    Some(&h.count),
                    "+Inf bucket is not the count: {h:?}"
                );
                for (i, c) in h.cumulative.iter().enumerate() {
                    let le = h.bounds.get(i).copied().unwrap_or(f64::INFINITY);
                    expect("_bucket", Some(("le", le)), &labels, &int(*c));
                }
                expect("_sum", None, &labels, &float(h.sum));
                expect("_count", None, &labels, &int(h.count));
            }
            Value::Summary(q) => {
                for (quantile, v) in &q.quantiles {
                    expect("", Some(("quantile", *quantile)), &labels, &float(*v));
                }
                expect("_sum", None, &labels, &float(q.sum));
                expect("_count", None, &labels, &int(q.count));
            }
        }
    }
    assert!(samples.next().is_none(), "extra samples\n{text}");
}
