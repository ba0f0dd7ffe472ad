//! Recording behaviour through the public API: registration rules, errors, the cardinality
//! guard, TTL eviction, sampling and concurrency.

use pushmetrics::{Error, Registry, Sampling, Value, OVERFLOW_VALUE};
use std::sync::Arc;
use std::time::Duration;

fn counter_value(reg: &Registry, name: &str, values: &[&str]) -> Option<f64> {
    match reg.snapshot().family(name)?.get(values)? {
        Value::Counter(v) => Some(*v),
        other => panic!("not a counter: {other:?}"),
    }
}

#[test]
fn same_definition_returns_the_existing_metric() {
    let reg = Registry::new();
    let a = reg
        .counter("x_total", "X")
        .labels(&["k"])
        .build_vec()
        .unwrap();
    a.inc(&["v"]).unwrap();
    let b = reg
        .counter("x_total", "X")
        .labels(&["k"])
        .build_vec()
        .unwrap();
    b.inc(&["v"]).unwrap();
    assert_eq!(counter_value(&reg, "x_total", &["v"]), Some(2.0));
}

#[test]
fn conflicting_definitions_are_errors_naming_the_metric() {
    let reg = Registry::new();
    reg.counter("x_total", "X")
        .labels(&["k"])
        .build_vec()
        .unwrap();
    for err in [
        reg.gauge("x_total", "X")
            .labels(&["k"])
            .build_vec()
            .err()
            .unwrap(),
        reg.counter("x_total", "other help")
            .labels(&["k"])
            .build_vec()
            .err()
            .unwrap(),
        reg.counter("x_total", "X")
            .labels(&["j"])
            .build_vec()
            .err()
            .unwrap(),
        reg.counter("x_total", "X").build().err().unwrap(),
    ] {
        assert!(matches!(err, Error::Conflict { .. }), "{err}");
        assert!(err.to_string().contains("x_total"), "{err}");
    }
    reg.histogram("h", "H").buckets(vec![1.0]).build().unwrap();
    let err = reg
        .histogram("h", "H")
        .buckets(vec![2.0])
        .build()
        .err()
        .unwrap();
    assert!(matches!(err, Error::Conflict { .. }));
}

#[test]
fn invalid_names_are_typed_errors_naming_the_value() {
    let reg = Registry::new();
    let e = reg.counter("1bad", "h").build().err().unwrap();
    assert_eq!(e, Error::InvalidMetricName("1bad".into()));
    let e = reg
        .counter("ok", "h")
        .labels(&["bad-label"])
        .build_vec()
        .err()
        .unwrap();
    assert_eq!(e, Error::InvalidLabelName("bad-label".into()));
    let e = reg
        .counter("ok", "h")
        .labels(&["__x"])
        .build_vec()
        .err()
        .unwrap();
    assert_eq!(e, Error::InvalidLabelName("__x".into()));
    let e = reg
        .histogram("h", "h")
        .labels(&["le"])
        .build_vec()
        .err()
        .unwrap();
    assert_eq!(e, Error::InvalidLabelName("le".into()));
    let e = reg
        .summary("s", "h")
        .labels(&["quantile"])
        .build_vec()
        .err()
        .unwrap();
    assert_eq!(e, Error::InvalidLabelName("quantile".into()));
    let e = reg
        .counter("d", "h")
        .labels(&["a", "a"])
        .build_vec()
        .err()
        .unwrap();
    assert_eq!(e, Error::DuplicateLabelName("a".into()));
    let e = reg
        .counter("d", "h")
        .labels(&["a"])
        .const_label("a", "x")
        .build_vec()
        .err()
        .unwrap();
    assert_eq!(e, Error::DuplicateLabelName("a".into()));
    // The labelled form needs build_vec, the plain form build.
    assert!(reg.counter("p", "h").labels(&["a"]).build().is_err());
    // A failed registration leaves no trace.
    assert!(reg.snapshot().families().is_empty());
}

#[test]
fn label_mistakes_are_errors_and_lose_nothing_recorded_before() {
    let reg = Registry::new();
    let c = reg
        .counter("c_total", "C")
        .labels(&["a", "b"])
        .build_vec()
        .unwrap();
    c.inc(&["1", "2"]).unwrap();
    let e = c.inc(&["1"]).unwrap_err();
    assert_eq!(
        e,
        Error::LabelCount {
            metric: "c_total".into(),
            expected: 2,
            got: 1
        }
    );
    let e = c.with_labels(&[("a", "1"), ("zzz", "2")]).err().unwrap();
    assert!(e.to_string().contains("zzz"), "{e}");
    let e = c.inc_by(&["1", "2"], -1.0).unwrap_err();
    assert!(matches!(e, Error::InvalidValue { .. }));
    assert!(e.to_string().contains("-1"), "{e}");
    assert!(c.inc_by(&["1", "2"], f64::NAN).is_err());
    assert!(c.inc_by(&["1", "2"], f64::INFINITY).is_err());
    assert_eq!(counter_value(&reg, "c_total", &["1", "2"]), Some(1.0));
    let h = reg.histogram("h", "H").build().unwrap();
    assert!(h.observe(f64::NAN).is_err());
    assert_eq!(h.count(), 0);
}

#[test]
fn overflow_series_keeps_total_count() {
    let reg = Registry::new();
    let c = reg
        .counter("req_total", "R")
        .labels(&["user", "code"])
        .max_series(3)
        .build_vec()
        .unwrap();
    for i in 0..10 {
        c.inc_by(&[&format!("u{i}"), "200"], 1.0).unwrap();
    }
    let snap = reg.snapshot();
    let fam = snap.family("req_total").unwrap();
    assert_eq!(fam.len(), 4, "three series plus the overflow series");
    let total: f64 = fam
        .iter()
        .map(|s| match s.value() {
            Value::Counter(v) => *v,
            _ => unreachable!(),
        })
        .sum();
    assert_eq!(total, 10.0);
    assert_eq!(
        fam.get(&[OVERFLOW_VALUE, OVERFLOW_VALUE]),
        Some(&Value::Counter(7.0))
    );
    // Every call that is folded is counted, repeated label sets included.
    for _ in 0..5 {
        c.inc(&["u9", "200"]).unwrap();
    }
    assert_eq!(
        reg.snapshot()
            .family("req_total")
            .unwrap()
            .get(&[OVERFLOW_VALUE, OVERFLOW_VALUE]),
        Some(&Value::Counter(12.0))
    );
    let stats = reg.guard_stats();
    assert_eq!(stats[0].1.overflowed, 12);
    assert_eq!(stats[0].1.series, 3);
    // A value that spells the sentinel lands in the overflow series, never in a duplicate.
    c.inc(&[OVERFLOW_VALUE, OVERFLOW_VALUE]).unwrap();
    assert_eq!(reg.snapshot().family("req_total").unwrap().len(), 4);
}

#[test]
fn registry_wide_limit_folds_new_series_of_every_metric() {
    let reg = Registry::builder().max_series(5).build().unwrap();
    let a = reg
        .counter("a_total", "A")
        .labels(&["k"])
        .build_vec()
        .unwrap();
    let b = reg.gauge("b", "B").labels(&["k"]).build_vec().unwrap();
    for i in 0..4 {
        a.inc(&[&i.to_string()]).unwrap();
    }
    for i in 0..4 {
        b.set(&[&i.to_string()], 1.0).unwrap();
    }
    assert_eq!(reg.series_count(), 5);
    let snap = reg.snapshot();
    assert_eq!(
        snap.family("b").unwrap().get(&[OVERFLOW_VALUE]),
        Some(&Value::Gauge(1.0))
    );
}

#[test]
fn long_label_values_are_cut_with_a_hash_suffix_and_stay_distinct() {
    let reg = Registry::builder()
        .max_label_value_length(32)
        .build()
        .unwrap();
    let c = reg
        .counter("u_total", "U")
        .labels(&["url"])
        .build_vec()
        .unwrap();
    let a = format!("/{}/a", "x".repeat(100));
    let b = format!("/{}/b", "x".repeat(100));
    c.inc(&[&a]).unwrap();
    c.inc(&[&b]).unwrap();
    c.inc(&[&b]).unwrap();
    let snap = reg.snapshot();
    let fam = snap.family("u_total").unwrap();
    assert_eq!(fam.len(), 2);
    for s in fam.iter() {
        let v = s.label("url").unwrap();
        assert!(v.len() <= 32 && v.contains('~'), "{v}");
    }
    assert_eq!(reg.guard_stats()[0].1.truncated, 2);
}

#[test]
fn hashed_and_dropped_labels_bound_the_series() {
    let reg = Registry::new();
    let c = reg
        .counter("h_total", "H")
        .labels(&["user", "trace", "code"])
        .hashed_label("user", 8)
        .dropped_label("trace")
        .build_vec()
        .unwrap();
    for i in 0..1000 {
        c.inc(&[&format!("user{i}"), &format!("t{i}"), "200"])
            .unwrap();
    }
    let snap = reg.snapshot();
    let fam = snap.family("h_total").unwrap();
    assert_eq!(fam.label_names(), ["user", "code"]);
    assert!(fam.len() <= 8);
    let total: f64 = fam
        .iter()
        .map(|s| match s.value() {
            Value::Counter(v) => *v,
            _ => 0.0,
        })
        .sum();
    assert_eq!(total, 1000.0);
    assert!(reg
        .counter("bad_total", "B")
        .labels(&["a"])
        .hashed_label("nope", 4)
        .build_vec()
        .is_err());
}

#[test]
fn idle_series_are_evicted_but_held_or_updated_ones_are_not() {
    let reg = Registry::builder()
        .series_ttl(Duration::from_secs(1))
        .build()
        .unwrap();
    let c = reg
        .counter("t_total", "T")
        .labels(&["k"])
        .build_vec()
        .unwrap();
    c.inc(&["idle"]).unwrap();
    c.inc(&["busy"]).unwrap();
    let held = c.with(&["held"]).unwrap();
    held.inc();
    reg.snapshot(); // clears the "touched" marks
    std::thread::sleep(Duration::from_millis(1100));
    c.inc(&["busy"]).unwrap();
    reg.snapshot(); // "idle" and "held" have now been idle for a TTL
    std::thread::sleep(Duration::from_millis(1100));
    c.inc(&["busy"]).unwrap();
    let snap = reg.snapshot();
    let fam = snap.family("t_total").unwrap();
    assert_eq!(fam.get(&["idle"]), None, "idle series evicted");
    assert_eq!(fam.get(&["busy"]), Some(&Value::Counter(3.0)));
    assert_eq!(fam.get(&["held"]), Some(&Value::Counter(1.0)));
    assert_eq!(reg.guard_stats()[0].1.evicted, 1);
    // The held handle keeps recording into the reported series.
    held.inc();
    assert_eq!(
        reg.snapshot().family("t_total").unwrap().get(&["held"]),
        Some(&Value::Counter(2.0))
    );
}

#[test]
fn many_threads_on_one_series_lose_no_increments() {
    let reg = Registry::new();
    let c = reg.counter("n_total", "N").build().unwrap();
    let h = reg.histogram("lat", "L").build().unwrap();
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                for _ in 0..50_000 {
                    c.inc();
                    h.observe(0.1).unwrap();
                }
            });
        }
    });
    assert_eq!(c.get(), 400_000.0);
    assert_eq!(h.count(), 400_000);
}

#[test]
fn series_created_from_many_threads_while_snapshots_run_are_all_kept() {
    let reg = Registry::builder().max_series(1_000_000).build().unwrap();
    let c = Arc::new(
        reg.counter("m_total", "M")
            .labels(&["t", "i"])
            .max_series(100_000)
            .build_vec()
            .unwrap(),
    );
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                reg.snapshot();
            }
        });
        let workers: Vec<_> = (0..4)
            .map(|t| {
                let c = c.clone();
                s.spawn(move || {
                    for i in 0..5000 {
                        c.inc(&[t.to_string(), i.to_string()]).unwrap();
                    }
                })
            })
            .collect();
        workers.into_iter().for_each(|w| w.join().unwrap());
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    assert_eq!(reg.snapshot().family("m_total").unwrap().len(), 20_000);
    assert_eq!(reg.series_count(), 20_000);
}

#[test]
fn sampled_histogram_estimates_count_and_sum_without_bias() {
    let reg = Registry::new();
    let h = reg
        .histogram("s", "S")
        .buckets(vec![1.0, 10.0])
        .sampling(Sampling::Probability(0.25))
        .build()
        .unwrap();
    let n = 200_000u64;
    for i in 0..n {
        h.observe((i % 20) as f64).unwrap();
    }
    // Count: binomial with p = 0.25, sd of the estimate = sqrt(n (1-p)/p) = 775; allow 6 sd.
    let count = h.count() as f64;
    assert!((count - n as f64).abs() < 4_650.0, "count estimate {count}");
    let true_sum = (n / 20) as f64 * (0..20).sum::<u64>() as f64;
    assert!(
        (h.sum() - true_sum).abs() / true_sum < 0.04,
        "sum {}",
        h.sum()
    );
    let stats = &reg.guard_stats()[0].1;
    assert_eq!(stats.sampled_seen, n);
    assert!(stats.sampled_kept < n / 3);
}

#[test]
fn gauges_refuse_sampling() {
    let reg = Registry::new();
    assert!(reg
        .gauge("g", "G")
        .sampling(Sampling::EveryNth(2))
        .build()
        .is_err());
}

#[test]
fn summary_window_forgets_old_observations_but_keeps_count_and_sum() {
    let reg = Registry::new();
    let s = reg
        .summary("w", "W")
        .max_age(Duration::from_millis(400))
        .age_buckets(2)
        .build()
        .unwrap();
    for v in 1..=100 {
        s.observe(v as f64).unwrap();
    }
    assert!((s.quantile(0.5) - 50.0).abs() <= 1.0);
    std::thread::sleep(Duration::from_millis(700));
    assert!(s.quantile(0.5).is_nan());
    assert_eq!(s.count(), 100);
    assert_eq!(s.sum(), 5050.0);
}

#[test]
fn unregister_removes_the_family_from_snapshots() {
    let reg = Registry::new();
    reg.counter("gone_total", "G").build().unwrap().inc();
    assert!(reg.unregister("gone_total"));
    assert!(reg.snapshot().family("gone_total").is_none());
    assert!(!reg.unregister("gone_total"));
}

#[test]
fn hostile_sizes_are_refused_or_bounded() {
    assert!(Registry::builder()
        .max_label_value_length(1 << 30)
        .build()
        .is_err());
    assert!(Registry::builder()
        .max_label_value_length(4)
        .build()
        .is_err());
    let reg = Registry::new();
    let many: Vec<String> = (0..65).map(|i| format!("l{i}")).collect();
    let e = reg
        .counter("wide_total", "W")
        .labels(&many)
        .build_vec()
        .unwrap_err();
    assert!(e.to_string().contains("65 labels"), "{e}");
    // A 10 MB label value is stored cut to the registry's limit.
    let c = reg
        .counter("big_total", "B")
        .labels(&["v"])
        .build_vec()
        .unwrap();
    c.inc(&["x".repeat(10 << 20)]).unwrap();
    let snap = reg.snapshot();
    let fam = snap.family("big_total").unwrap();
    let stored = fam.iter().next().unwrap().label("v").unwrap().len();
    assert!(stored <= 256, "{stored}");
}

#[test]
fn removed_series_are_no_longer_reported_and_clear_removes_all() {
    let reg = Registry::new();
    let c = reg
        .counter("rm_total", "R")
        .labels(&["k"])
        .build_vec()
        .unwrap();
    c.inc(&["a"]).unwrap();
    c.inc(&["b"]).unwrap();
    let held = c.with(&["a"]).unwrap();
    assert_eq!(held.name(), "rm_total");
    assert!(c.remove(&["a"]).unwrap());
    assert!(!c.remove(&["a"]).unwrap());
    assert!(c.remove(&["a", "b"]).is_err());
    held.inc(); // still works, no longer reported
    let snap = reg.snapshot();
    let fam = snap.family("rm_total").unwrap();
    assert_eq!(fam.get(&["a"]), None);
    assert_eq!(fam.get(&["b"]), Some(&Value::Counter(1.0)));
    assert_eq!(reg.series_count(), 1);
    // Recording again starts a new series from zero.
    c.inc(&["a"]).unwrap();
    assert_eq!(
        reg.snapshot().family("rm_total").unwrap().get(&["a"]),
        Some(&Value::Counter(1.0))
    );
    c.clear();
    assert!(reg.snapshot().family("rm_total").unwrap().is_empty());
    assert_eq!(reg.series_count(), 0);
}

#[test]
fn repeated_labelled_calls_stay_exact_across_families_threads_and_removals() {
    let reg = Registry::new();
    let fams: Vec<_> = (0..40)
        .map(|i| {
            reg.counter(&format!("cache_{i}_total"), "C")
                .labels(&["k"])
                .build_vec()
                .unwrap()
        })
        .collect();
    // Many families and values share the per-thread cache's few slots.
    for round in 0..50 {
        for (i, f) in fams.iter().enumerate() {
            f.inc_by(&[format!("v{}", (i + round) % 7)], 1.0).unwrap();
        }
    }
    let total: f64 = reg
        .snapshot()
        .families()
        .iter()
        .flat_map(|f| {
            f.iter()
                .map(|s| match s.value() {
                    Value::Counter(v) => *v,
                    _ => 0.0,
                })
                .collect::<Vec<_>>()
        })
        .sum();
    assert_eq!(total, 2000.0);

    // A series removed by another thread is not written to afterwards: the next call
    // creates a fresh one.
    let c = &fams[0];
    c.inc(&["hot"]).unwrap();
    std::thread::scope(|s| {
        s.spawn(|| assert!(c.remove(&["hot"]).unwrap()));
    });
    c.inc(&["hot"]).unwrap();
    let snap = reg.snapshot();
    assert_eq!(
        snap.family("cache_0_total").unwrap().get(&["hot"]),
        Some(&Value::Counter(1.0))
    );
}

#[test]
fn labelled_calls_count_exactly_for_short_long_and_many_values() {
    let reg = Registry::builder().max_series(1 << 20).build().unwrap();
    // Values around the 8-byte boundary, with common prefixes and shared hashes' shapes.
    let pool = [
        "",
        "a",
        "b",
        "ab",
        "ba",
        "GET",
        "200",
        "abcdefg",
        "abcdefgh",
        "abcdefgi",
        "abcdefghi",
        "abcdefghX",
        "a\u{e9}",
        "0123456789abcdef",
        "0123456789abcdeX",
    ];
    for labels in 1..=6 {
        let names: Vec<String> = (0..labels).map(|i| format!("l{i}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let vec = reg
            .counter(&format!("mix_{labels}_total"), "M")
            .labels(&names)
            .max_series(1 << 20)
            .build_vec()
            .unwrap();
        let mut want: std::collections::HashMap<Vec<&str>, f64> = Default::default();
        let mut x = 12345u64;
        for _ in 0..3000 {
            let values: Vec<&str> = (0..labels)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    pool[(x % pool.len() as u64) as usize]
                })
                .collect();
            vec.inc(&values).unwrap();
            *want.entry(values).or_default() += 1.0;
        }
        let snap = reg.snapshot();
        let fam = snap.family(&format!("mix_{labels}_total")).unwrap();
        assert_eq!(fam.len(), want.len(), "{labels} labels");
        for (values, n) in &want {
            assert_eq!(fam.get(values), Some(&Value::Counter(*n)), "{values:?}");
        }
    }
}

#[test]
fn labelled_calls_during_thread_exit_are_counted() {
    use pushmetrics::CounterVec;
    struct IncOnDrop(CounterVec);
    impl Drop for IncOnDrop {
        fn drop(&mut self) {
            self.0.inc(&["exit"]).unwrap();
        }
    }
    thread_local! {
        static ON_EXIT: std::cell::RefCell<Option<IncOnDrop>> = const { std::cell::RefCell::new(None) };
    }
    let reg = Registry::new();
    let vec = reg
        .counter("exits_total", "E")
        .labels(&["k"])
        .build_vec()
        .unwrap();
    for _ in 0..4 {
        let v = vec.clone();
        std::thread::spawn(move || {
            // Fill this thread's series cache, then record once more from a thread-local
            // destructor, whichever order the thread's destructors run in.
            v.inc(&["exit"]).unwrap();
            ON_EXIT.with(|s| *s.borrow_mut() = Some(IncOnDrop(v.clone())));
            v.inc(&["exit"]).unwrap();
        })
        .join()
        .unwrap();
    }
    assert_eq!(
        reg.snapshot().family("exits_total").unwrap().get(&["exit"]),
        Some(&Value::Counter(12.0))
    );
}
