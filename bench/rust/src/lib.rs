//! What the benchmarks share: the workload (many series of one counter with three labels)
//! and the printing of pushmetrics' targets ([`targets`]).

pub mod targets;

use pushmetrics::{CounterVec, Registry};

/// Label values of series `i` of `n`: 10 services, a route per series, 5 status codes.
pub fn series_labels(n: usize) -> Vec<[String; 3]> {
    (0..n)
        .map(|i| {
            [
                format!("svc{}", i % 10),
                format!("/route/{i}"),
                format!("{}", 200 + i % 5),
            ]
        })
        .collect()
}

/// A registry without series limits and its counter `name` with labels svc, route, code.
pub fn series_counter(name: &str) -> (Registry, CounterVec) {
    let reg = Registry::builder().max_series(1 << 30).build().unwrap();
    let c = reg
        .counter(name, "Requests")
        .labels(&["svc", "route", "code"])
        .max_series(1 << 30)
        .build_vec()
        .unwrap();
    (reg, c)
}

/// [`series_counter`] with one series per label set, each incremented once.
pub fn series_registry(name: &str, labels: &[[String; 3]]) -> (Registry, CounterVec) {
    let (reg, c) = series_counter(name);
    for l in labels {
        c.inc(l).unwrap();
    }
    (reg, c)
}
