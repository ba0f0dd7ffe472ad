//! The text encoder's output, parsed back by prometheus_client's parser (Python), gives the
//! same families and values that the registry holds.

use pushmetrics::{Registry, Value};
use std::path::PathBuf;
use std::process::Command;

fn python() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let venv = root.join("build/venv/bin/python");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

/// A float as the parser script prints it: its bits in hex, NaN spelled out.
fn py_float(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else {
        format!("{:x}", v.to_bits())
    }
}

/// Python's `repr` of a str (enough for these values).
fn py_str(s: &str) -> String {
    let body = s.replace('\\', "\\\\").replace('\n', "\\n");
    if s.contains('\'') && !s.contains('"') {
        format!("\"{body}\"")
    } else {
        format!("'{}'", body.replace('\'', "\\'"))
    }
}

fn line(name: &str, labels: &[(String, String)], v: f64) -> String {
    let mut l = labels.to_vec();
    l.sort();
    let labels: Vec<String> = l
        .iter()
        .map(|(k, v)| format!("{k}={}", py_str(v)))
        .collect();
    format!("{name}|{}|{}", labels.join(","), py_float(v))
}

#[test]
fn text_output_parses_back_to_the_same_families_and_values() {
    let reg = Registry::new();
    let c = reg
        .counter(
            "rt_requests_total",
            "Requests with \"quotes\", a \\ and\na newline",
        )
        .labels(&["path", "code"])
        .const_label("service", "api")
        .build_vec()
        .unwrap();
    c.inc_by(&["/a\"b", "200"], 1.5).unwrap();
    c.inc_by(&["back\\slash\nnewline", "500"], 1e21).unwrap();
    c.inc(&["\u{e9}t\u{e9} \u{1f600}", ""]).unwrap();
    let g = reg
        .gauge("rt_gauge", "G")
        .labels(&["k"])
        .build_vec()
        .unwrap();
    g.set(&["nan"], f64::NAN).unwrap();
    g.set(&["inf"], f64::INFINITY).unwrap();
    g.set(&["ninf"], f64::NEG_INFINITY).unwrap();
    g.set(&["small"], 1.25e-7).unwrap();
    g.set(&["neg"], -42.0).unwrap();
    let h = reg
        .histogram("rt_latency_seconds", "H")
        .buckets(vec![
            0.00001, 0.005, 0.5, 1.0, 2.5, 100000.0, 1e6, 1234567.0,
        ])
        .build()
        .unwrap();
    for v in [0.001, 0.3, 0.7, 2.0, 9.0] {
        h.observe(v).unwrap();
    }
    let s = reg.summary("rt_size_bytes", "S").build().unwrap();
    for v in [10.0, 20.0, 30.0] {
        s.observe(v).unwrap();
    }

    // What the registry holds, spelled as the parser script prints it.
    let mut expected = Vec::new();
    let snap = reg.snapshot();
    for f in snap.families() {
        let kind = f.metric_type().as_str();
        // The parser strips `_total` from counter family names.
        let fname = f.name().strip_suffix("_total").unwrap_or(f.name());
        expected.push(format!("# {fname} {kind} {}", py_str(f.help())));
        for series in f.iter() {
            let mut labels: Vec<(String, String)> = f
                .const_labels()
                .iter()
                .cloned()
                .chain(series.labels().map(|(k, v)| (k.to_string(), v.to_string())))
                .collect();
            match series.value() {
                Value::Counter(v) | Value::Gauge(v) => expected.push(line(f.name(), &labels, *v)),
                Value::Histogram(h) => {
                    let pushmetrics::HistogramValue {
                        bounds,
                        cumulative,
                        count,
                        sum,
                    } = &**h;
                    for (i, c) in cumulative.iter().enumerate() {
                        let le = py_float(bounds.get(i).copied().unwrap_or(f64::INFINITY));
                        let mut l = labels.clone();
                        l.push(("le".into(), le));
                        expected.push(line(&format!("{}_bucket", f.name()), &l, *c as f64));
                    }
                    expected.push(line(&format!("{}_sum", f.name()), &labels, *sum));
                    expected.push(line(&format!("{}_count", f.name()), &labels, *count as f64));
                }
                Value::Summary(q) => {
                    let pushmetrics::SummaryValue {
                        quantiles,
                        sum,
                        count,
                    } = &**q;
                    for (q, v) in quantiles {
                        let mut l = labels.clone();
                        l.push(("quantile".into(), py_float(*q)));
                        expected.push(line(f.name(), &l, *v));
                    }
                    labels.sort();
                    expected.push(line(&format!("{}_sum", f.name()), &labels, *sum));
                    expected.push(line(&format!("{}_count", f.name()), &labels, *count as f64));
                }
            }
        }
    }

    let dir = std::env::temp_dir().join(format!("pushmetrics-roundtrip-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("exposition.txt");
    std::fs::write(&file, reg.encode_text()).unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/roundtrip/parse_text.py");
    let out = Command::new(python())
        .arg(&script)
        .arg(&file)
        .output()
        .expect("python3 with prometheus_client is needed (make deps)");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "parser failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    let (mut got_sorted, mut want_sorted) = (got.clone(), expected.clone());
    got_sorted.sort();
    want_sorted.sort();
    assert_eq!(got_sorted, want_sorted, "\nparsed:\n{}\n", got.join("\n"));
}
