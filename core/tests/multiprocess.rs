//! Multiprocess mode: forked workers that record and then end without a word (an exit
//! that runs nothing, SIGKILL) are counted exactly once in what the owner reports and
//! pushes; gauges follow their mode; workers push nothing and leave no group behind.
#![cfg(unix)]

mod support;

use pushmetrics::multiprocess::GaugeMode;
use pushmetrics::{Pusher, Registry, Value};
use std::time::Duration;
use support::Gateway;

fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("pushmetrics-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Forks `n` children that each run `work(i)` and then end without flushing anything:
/// even ones `_exit`, odd ones kill themselves. Returns once all have ended.
fn fork_workers(n: usize, work: impl Fn(usize)) {
    let mut pids = Vec::new();
    for i in 0..n {
        // SAFETY: the child only records and ends; the library is fork-safe.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            // A failed check must end this process, never unwind into the test harness.
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(i))).is_err() {
                unsafe { libc::_exit(101) };
            }
            unsafe {
                if i % 2 == 0 {
                    libc::_exit(0);
                }
                libc::raise(libc::SIGKILL);
                libc::_exit(1);
            }
        }
        pids.push(pid);
    }
    for (i, pid) in pids.into_iter().enumerate() {
        let mut status = 0;
        // SAFETY: waiting for our own child.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        if i % 2 == 0 {
            assert!(
                libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
                "worker {i} failed: status {status}"
            );
        }
    }
}

fn counter(reg: &Registry, name: &str, labels: &[&str]) -> f64 {
    match reg
        .snapshot()
        .family(name)
        .and_then(|f| f.get(labels).cloned())
    {
        Some(Value::Counter(v)) => v,
        other => panic!("{name}{labels:?}: {other:?}"),
    }
}

#[test]
fn killed_and_exited_workers_are_counted_exactly_once_and_gauges_follow_their_mode() {
    let dir = temp_dir("exact");
    let reg = Registry::new();
    // Made before the mode is on: what it counted so far is copied into the file.
    let held = reg.counter("mp_items_total", "Items").build().unwrap();
    held.inc_by(5.0).unwrap();
    assert_eq!(reg.enable_multiprocess(Some(&dir)).unwrap(), dir);
    assert!(!reg.is_multiprocess_worker());
    let by_kind = reg
        .counter("mp_by_kind_total", "By kind")
        .labels(&["kind"])
        .build_vec()
        .unwrap();
    let hist = reg
        .histogram("mp_seconds", "Durations")
        .buckets(vec![0.1, 1.0])
        .build()
        .unwrap();
    let summary = reg.summary("mp_bytes", "Sizes").build().unwrap();
    let with_const = reg
        .counter("mp_const_total", "With a constant label")
        .const_label("region", "eu")
        .build()
        .unwrap();
    let gauge = |name: &str, mode| {
        reg.gauge(name, "G")
            .multiprocess_mode(mode)
            .build()
            .unwrap()
    };
    let (sum, livesum, max, all, recent) = (
        gauge("mp_sum", GaugeMode::Sum),
        gauge("mp_livesum", GaugeMode::LiveSum),
        gauge("mp_max", GaugeMode::Max),
        gauge("mp_all", GaugeMode::All),
        gauge("mp_recent", GaugeMode::MostRecent),
    );
    sum.set(1.0);
    livesum.set(1.0);
    max.set(1.0);
    all.set(1.0);
    recent.set(1.0);

    fork_workers(8, |i| {
        assert!(reg.is_multiprocess_worker());
        // First, before any new series: a series the owner already has must not be
        // written into the owner's file, whose mapping the child shares.
        sum.set(10.0);
        livesum.set(10.0);
        for _ in 0..1000 {
            held.inc();
            by_kind.inc(&["a"]).unwrap();
        }
        by_kind.inc_by(&[format!("w{i}")], 2.0).unwrap();
        for v in [0.05, 0.5, 5.0] {
            hist.observe(v).unwrap();
        }
        summary.observe(10.0).unwrap();
        with_const.inc();
        max.set(i as f64 * 100.0);
        all.set(i as f64);
        std::thread::sleep(Duration::from_millis(2));
        recent.set(1000.0 + i as f64);
    });
    held.inc();

    assert_eq!(counter(&reg, "mp_items_total", &[]), 5.0 + 8000.0 + 1.0);
    assert_eq!(counter(&reg, "mp_by_kind_total", &["a"]), 8000.0);
    for i in 0..8 {
        assert_eq!(counter(&reg, "mp_by_kind_total", &[&format!("w{i}")]), 2.0);
    }
    let snap = reg.snapshot();
    match snap.family("mp_seconds").unwrap().get(&[]) {
        Some(Value::Histogram(h)) => {
            assert_eq!(h.cumulative, vec![8, 16, 24]);
            assert_eq!(h.count, 24);
            assert!((h.sum - 8.0 * 5.55).abs() < 1e-9, "{}", h.sum);
        }
        other => panic!("{other:?}"),
    }
    match snap.family("mp_bytes").unwrap().get(&[]) {
        Some(Value::Summary(s)) => assert_eq!((s.count, s.sum), (8, 80.0)),
        other => panic!("{other:?}"),
    }
    let gauge_value = |name: &str, labels: &[&str]| match snap.family(name).unwrap().get(labels) {
        Some(Value::Gauge(v)) => *v,
        other => panic!("{name}: {other:?}"),
    };
    assert_eq!(gauge_value("mp_sum", &[]), 81.0);
    // Every worker has ended: only the owner is live.
    assert_eq!(gauge_value("mp_livesum", &[]), 1.0);
    assert_eq!(gauge_value("mp_max", &[]), 700.0);
    assert!((1000.0..1008.0).contains(&gauge_value("mp_recent", &[])));
    let all = snap.family("mp_all").unwrap();
    assert_eq!(all.label_names(), ["pid"]);
    assert_eq!(all.len(), 9, "one series per process");
    assert_eq!(
        gauge_value("mp_all", &[&std::process::id().to_string()]),
        1.0
    );
    recent.set(2000.0);
    let snap = reg.snapshot();
    match snap.family("mp_recent").unwrap().get(&[]) {
        Some(Value::Gauge(v)) => assert_eq!(*v, 2000.0, "the owner's set is the latest"),
        other => panic!("{other:?}"),
    }
    // Locally, the owner still sees its own counts only.
    assert_eq!(held.get(), 6.0);
    let text = reg.encode_text();
    assert!(text.contains("mp_items_total 8006"), "{text}");
    // Constant labels stay on the sums.
    assert!(text.contains("mp_const_total{region=\"eu\"} 8"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn only_the_owner_pushes_one_group_with_every_workers_counts() {
    let gw = Gateway::start();
    let dir = temp_dir("push");
    let reg = Registry::new();
    reg.enable_multiprocess(Some(&dir)).unwrap();
    let items = reg
        .counter("mp_pushed_items_total", "Items")
        .labels(&["worker"])
        .build_vec()
        .unwrap();
    let pusher = Pusher::builder(gw.url())
        .job("mp_job")
        .interval(Duration::from_millis(100))
        .start(&reg)
        .unwrap();
    fork_workers(4, |i| {
        for _ in 0..250 {
            items.inc(&["any"]).unwrap();
        }
        items.inc(&[&i.to_string()]).unwrap();
        // A worker's pusher sends nothing: the owner reports what it records.
        let report = pusher.flush(Duration::from_secs(5));
        assert_eq!(report.as_ref().map(|r| r.requests), Ok(0), "{report:?}");
        std::thread::sleep(Duration::from_millis(300));
        pusher.shutdown(Duration::from_secs(5)).unwrap();
    });
    pusher.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!(
        gw.series_value(
            "mp_pushed_items_total",
            &[("job", "mp_job"), ("worker", "any")]
        ),
        Some(1000.0)
    );
    for i in 0..4 {
        assert_eq!(
            gw.series_value(
                "mp_pushed_items_total",
                &[("job", "mp_job"), ("worker", &i.to_string())]
            ),
            Some(1.0)
        );
    }
    let groups: Vec<_> = gw
        .series("push_time_seconds")
        .into_iter()
        .map(|s| s.labels)
        .collect();
    assert_eq!(groups.len(), 1, "one group, no worker's: {groups:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_modes_and_directories_are_typed_errors() {
    let e = GaugeMode::parse("livesome").unwrap_err().to_string();
    assert!(e.contains("\"livesome\"") && e.contains("livesum"), "{e}");
    assert_eq!(
        GaugeMode::parse("mostrecent").unwrap(),
        GaugeMode::MostRecent
    );
    let file = std::env::temp_dir().join(format!("pushmetrics-test-file-{}", std::process::id()));
    std::fs::write(&file, b"x").unwrap();
    let e = Registry::new()
        .enable_multiprocess(Some(&file))
        .unwrap_err();
    assert!(e.to_string().contains(&file.display().to_string()), "{e}");
    let _ = std::fs::remove_file(&file);
}
