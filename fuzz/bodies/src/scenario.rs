//! A registry built from fuzz input through the public API only: metric definitions with
//! arbitrary names, help, labels and options, then recording calls with arbitrary label
//! values and floats. What the API refuses must come back as a typed error.

use crate::input::Input;
use pushmetrics::{CounterVec, Error, GaugeVec, HistogramVec, Registry, Sampling, SummaryVec};

/// A metric the scenario defined successfully.
pub enum Metric {
    /// A counter.
    Counter(CounterVec),
    /// A gauge.
    Gauge(GaugeVec),
    /// A histogram.
    Histogram(HistogramVec),
    /// A summary.
    Summary(SummaryVec),
}

/// Defines and records what `input` says; returns the registry.
pub fn registry(input: &mut Input<'_>) -> Registry {
    let registry = if input.bool() {
        // Small limits, so that overflow series and truncated values are reached.
        let built = Registry::builder()
            .max_series_per_metric(input.below(6))
            .max_series(input.below(40))
            .max_label_value_length(input.below(40) + 8)
            .build();
        match built {
            Ok(r) => r,
            Err(e) => {
                expect_typed(&e);
                Registry::new()
            }
        }
    } else {
        Registry::new()
    };
    let mut metrics: Vec<(Metric, usize)> = Vec::new();
    for _ in 0..64 {
        if input.is_empty() {
            break;
        }
        match input.below(8) {
            0 | 1 => {
                if let Some(m) = define(&registry, input) {
                    metrics.push(m);
                }
            }
            2..=5 if !metrics.is_empty() => {
                let (metric, n) = &metrics[input.below(metrics.len())];
                record(metric, *n, input);
            }
            6 => {
                if input.below(8) == 0 {
                    registry.reset();
                }
            }
            _ => {
                if input.below(8) == 0 {
                    registry.unregister(&input.string(24));
                }
            }
        }
    }
    registry
}

/// The error's variant is one of the documented ones and its message can be shown.
pub fn expect_typed(e: &Error) {
    let msg = e.to_string();
    assert!(!msg.is_empty(), "an error without a message: {e:?}");
    match e {
        Error::InvalidMetricName(_)
        | Error::InvalidLabelName(_)
        | Error::DuplicateLabelName(_)
        | Error::LabelCount { .. }
        | Error::UnknownLabel { .. }
        | Error::InvalidValue { .. }
        | Error::InvalidConfig(_)
        | Error::Conflict { .. } => {}
        other => panic!("a recording or definition call failed with {other:?}"),
    }
}

fn define(registry: &Registry, input: &mut Input<'_>) -> Option<(Metric, usize)> {
    let kind = input.below(4);
    let name = input.string(24);
    let help = input.string(32);
    let labels: Vec<String> = (0..input.below(4)).map(|_| input.string(12)).collect();
    let consts: Vec<(String, String)> = (0..input.below(3))
        .map(|_| (input.string(12), input.string(20)))
        .collect();
    let max_series = input.bool().then(|| input.below(5));
    let hashed = input
        .bool()
        .then(|| (input.string(12), input.below(4) as u32));
    let dropped = input.bool().then(|| input.string(12));
    // Gauges cannot be sampled (a typed error); the others sample deterministically here,
    // so that a replay gives the same output.
    let sampling = match input.below(8) {
        0 => Sampling::EveryNth(input.below(4) as u64),
        1 => Sampling::Probability(input.float()),
        _ => Sampling::Always,
    };
    macro_rules! options {
        ($b:expr) => {{
            let mut b = $b.labels(&labels).sampling(sampling);
            for (n, v) in &consts {
                b = b.const_label(n, v);
            }
            if let Some(n) = max_series {
                b = b.max_series(n);
            }
            if let Some((n, k)) = &hashed {
                b = b.hashed_label(n, *k);
            }
            if let Some(n) = &dropped {
                b = b.dropped_label(n);
            }
            b
        }};
    }
    let built = match kind {
        0 => options!(registry.counter(&name, &help))
            .build_vec()
            .map(Metric::Counter),
        1 => options!(registry.gauge(&name, &help))
            .build_vec()
            .map(Metric::Gauge),
        2 => {
            let mut b = options!(registry.histogram(&name, &help));
            if input.bool() {
                b = b.buckets((0..input.below(5)).map(|_| input.float()).collect());
            }
            b.build_vec().map(Metric::Histogram)
        }
        _ => {
            let mut b = options!(registry.summary(&name, &help));
            if input.bool() {
                let q: Vec<f64> = (0..input.below(4)).map(|_| input.float()).collect();
                b = b.quantiles(&q);
            }
            b.build_vec().map(Metric::Summary)
        }
    };
    match built {
        Ok(m) => Some((m, labels.len())),
        Err(e) => {
            expect_typed(&e);
            None
        }
    }
}

fn record(metric: &Metric, n: usize, input: &mut Input<'_>) {
    // Now and then the wrong number of values, or a value past the length limit.
    let count = if input.below(8) == 0 {
        input.below(4)
    } else {
        n
    };
    let values: Vec<String> = (0..count)
        .map(|_| {
            if input.below(16) == 0 {
                "v".repeat(input.below(80) + 1)
            } else {
                input.string(20)
            }
        })
        .collect();
    let v = input.float();
    let result = match metric {
        Metric::Counter(c) => match input.below(3) {
            0 => c.inc(&values),
            1 => c.inc_by(&values, v),
            _ => c.with(&values).and_then(|h| h.inc_by(v)),
        },
        Metric::Gauge(g) => match input.below(3) {
            0 => g.set(&values, v),
            1 => g.add(&values, v),
            _ => g.with(&values).map(|h| h.sub(v)),
        },
        Metric::Histogram(h) => match input.bool() {
            true => h.observe(&values, v),
            false => h.with(&values).and_then(|s| s.observe(v)),
        },
        Metric::Summary(s) => match input.bool() {
            true => s.observe(&values, v),
            false => s.with(&values).and_then(|s| s.observe(v)),
        },
    };
    if let Err(e) = result {
        expect_typed(&e);
    }
}
