//! Remote write against real receivers (Prometheus 2.42 and VictoriaMetrics 1.79), directly
//! or through the fault-injecting server: what arrives and how it is labelled, what the
//! receivers refuse, retries, several receivers at once, an outage, and the end of a job.

mod support;

use prost::Message;
use pushmetrics::encode::remote_write::{pb, STALE_NAN_BITS};
use pushmetrics::{BreakerState, Pusher, PusherBuilder, Registry};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use support::{now_secs, wait_until, FaultServer, Mode, Point, ReceiverServer};

/// A job name no other test uses.
fn job(name: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "rw_{name}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A remote-write builder with short timings for tests, isolated from the environment.
fn builder(url: &str, job: &str) -> PusherBuilder {
    Pusher::remote_write(url)
        .job(job)
        .ignore_env()
        .interval(Duration::from_secs(3600))
        .jitter(0.0)
        .connect_timeout(Duration::from_millis(500))
        .request_timeout(Duration::from_millis(800))
        .backoff_base(Duration::from_millis(10))
        .backoff_max(Duration::from_millis(50))
        .flush_deadline(Duration::from_secs(3))
        .self_metrics(false)
}

/// One series of every type, with known values.
fn sample_registry() -> Registry {
    let reg = Registry::new();
    let c = reg
        .counter("rw_requests_total", "Requests")
        .labels(&["code", "path"])
        .build_vec()
        .unwrap();
    c.inc_by(&["200", "/a b\"c"], 41.0).unwrap();
    c.inc(&["500", "/\u{fc}ber"]).unwrap();
    reg.gauge("rw_temperature", "Temp")
        .build()
        .unwrap()
        .set(-3.25);
    let h = reg
        .histogram("rw_latency_seconds", "Latency")
        .buckets(vec![0.1, 1.0])
        .build()
        .unwrap();
    for v in [0.05, 0.5, 0.7, 3.0] {
        h.observe(v).unwrap();
    }
    let s = reg
        .summary("rw_size_bytes", "Sizes")
        .quantiles(&[0.5])
        .build()
        .unwrap();
    for v in 1..=9 {
        s.observe(v as f64).unwrap();
    }
    reg
}

fn value(points: &[Point]) -> Option<f64> {
    match points {
        [p] => Some(p.value),
        _ => None,
    }
}

/// Checks the values of `sample_registry` as `server` answers them for `job`.
fn check_sample_values(server: &ReceiverServer, job: &str, at: Option<f64>) {
    let q = |expr: &str| {
        value(&server.query_until(expr, at, |p| p.len() == 1))
            .unwrap_or_else(|| panic!("{expr}: no single answer\n{}", server.log()))
    };
    let sel = format!("job=\"{job}\",instance=\"w1\"");
    assert_eq!(q(&format!("rw_requests_total{{{sel},code=\"200\"}}")), 41.0);
    assert_eq!(
        q(&format!(
            "rw_requests_total{{{sel},code=\"500\",path=\"/\u{fc}ber\"}}"
        )),
        1.0
    );
    assert_eq!(q(&format!("rw_temperature{{{sel}}}")), -3.25);
    assert_eq!(
        q(&format!("rw_latency_seconds_bucket{{{sel},le=\"0.1\"}}")),
        1.0
    );
    // Bounds are stored in the canonical float form, which PromQL matches as a string.
    assert_eq!(
        q(&format!("rw_latency_seconds_bucket{{{sel},le=\"1.0\"}}")),
        3.0
    );
    assert_eq!(
        q(&format!("rw_latency_seconds_bucket{{{sel},le=\"+Inf\"}}")),
        4.0
    );
    assert_eq!(q(&format!("rw_latency_seconds_count{{{sel}}}")), 4.0);
    assert!((q(&format!("rw_latency_seconds_sum{{{sel}}}")) - 4.25).abs() < 1e-9);
    // Rank 2 of 4 falls in (0.1, 1], which holds observations 2 and 3.
    let median = q(&format!(
        "histogram_quantile(0.5, rw_latency_seconds_bucket{{{sel}}})"
    ));
    assert!((median - 0.55).abs() < 1e-9, "{median}");
    let q50 = q(&format!("rw_size_bytes{{{sel},quantile=\"0.5\"}}"));
    assert!((4.0..=6.0).contains(&q50), "{q50}");
    assert_eq!(q(&format!("rw_size_bytes_count{{{sel}}}")), 9.0);
    assert_eq!(q(&format!("rw_size_bytes_sum{{{sel}}}")), 45.0);
}

#[test]
fn every_type_arrives_in_prometheus_with_job_and_grouping_labels() {
    let prom = ReceiverServer::prometheus();
    let job = job("types");
    let reg = sample_registry();
    let pusher = builder(&prom.write_url(), &job)
        .grouping("instance", "w1")
        .start(&reg)
        .unwrap();
    let report = pusher.flush(Duration::from_secs(3)).unwrap();
    assert!(report.requests >= 1 && report.bytes > 0, "{report:?}");
    check_sample_values(&prom, &job, None);
    let s = pusher.stats();
    assert_eq!(s.receivers.len(), 1);
    // 2 counters + 1 gauge + (3 buckets + sum + count) + (1 quantile + sum + count).
    assert_eq!(s.samples_sent, 11);
    assert_eq!(s.receivers[0].samples_sent, 11);
    assert_eq!((s.samples_dropped, s.samples_rejected), (0, 0));
    assert!(pusher.healthy());
    pusher.shutdown(Duration::from_secs(3)).unwrap();
}

#[test]
fn victoria_metrics_and_prometheus_get_the_same_series_at_once() {
    let prom = ReceiverServer::prometheus();
    let vm = ReceiverServer::victoria_metrics();
    let job = job("both");
    let reg = sample_registry();
    let pusher = builder(&prom.write_url(), &job)
        .add_url(&vm.write_url())
        .grouping("instance", "w1")
        .start(&reg)
        .unwrap();
    pusher.flush(Duration::from_secs(3)).unwrap();
    let at = now_secs();
    check_sample_values(&prom, &job, Some(at));
    check_sample_values(&vm, &job, Some(at));
    let s = pusher.stats();
    assert_eq!(s.receivers.len(), 2);
    assert_eq!(s.receivers[1].url, vm.write_url());
    assert!(s.receivers.iter().all(|r| r.samples_sent == 11), "{s:?}");
    assert_eq!(s.samples_sent, 22);
    pusher.shutdown(Duration::from_secs(3)).unwrap();
}

#[test]
fn requests_carry_the_remote_write_headers_sorted_labels_and_metadata() {
    let prom = ReceiverServer::prometheus();
    let fault = FaultServer::start(Some(prom.base_url()));
    let job = job("wire");
    let reg = sample_registry();
    let pusher = builder(&format!("{}/api/v1/write", fault.url()), &job)
        .grouping("instance", "w1")
        .max_in_flight(1)
        .start(&reg)
        .unwrap();
    pusher.flush(Duration::from_secs(3)).unwrap();
    let reqs = fault.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/api/v1/write");
    assert_eq!(r.header("content-encoding"), Some("snappy"));
    assert_eq!(r.header("content-type"), Some("application/x-protobuf"));
    assert_eq!(r.header("x-prometheus-remote-write-version"), Some("0.1.0"));
    let raw = snap::raw::Decoder::new().decompress_vec(&r.body).unwrap();
    let w = pb::WriteRequest::decode(raw.as_slice()).unwrap();
    assert_eq!(w.timeseries.len(), 11);
    let ts = w.timeseries[0].samples[0].timestamp;
    let now_ms = (now_secs() * 1000.0) as i64;
    assert!((now_ms - 60_000..=now_ms).contains(&ts), "{ts} vs {now_ms}");
    for t in &w.timeseries {
        let names: Vec<&str> = t.labels.iter().map(|l| l.name.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(names, sorted, "sorted, no duplicates");
        assert_eq!(names[0], "__name__");
        assert!(t.labels.iter().all(|l| !l.value.is_empty()));
        assert_eq!(t.samples.len(), 1);
        assert_eq!(t.samples[0].timestamp, ts, "one stamp per snapshot");
    }
    let meta: Vec<(i32, &str, &str)> = w
        .metadata
        .iter()
        .map(|m| (m.r#type, m.metric_family_name.as_str(), m.help.as_str()))
        .collect();
    assert_eq!(
        meta,
        [
            (1, "rw_requests_total", "Requests"),
            (2, "rw_temperature", "Temp"),
            (3, "rw_latency_seconds", "Latency"),
            (5, "rw_size_bytes", "Sizes"),
        ]
    );
    pusher.shutdown(Duration::from_secs(3)).unwrap();
}

#[test]
fn staleness_markers_end_a_finished_jobs_series_at_once() {
    let prom = ReceiverServer::prometheus();
    let (ended, kept) = (job("stale"), job("kept"));
    let reg = Registry::new();
    reg.counter("rw_stale_total", "S").build().unwrap().inc();
    let a = builder(&prom.write_url(), &ended).start(&reg).unwrap();
    let b = builder(&prom.write_url(), &kept)
        .staleness_markers(false)
        .start(&reg)
        .unwrap();
    a.flush(Duration::from_secs(3)).unwrap();
    b.flush(Duration::from_secs(3)).unwrap();
    let before = now_secs();
    std::thread::sleep(Duration::from_millis(20));
    a.shutdown(Duration::from_secs(3)).unwrap();
    b.shutdown(Duration::from_secs(3)).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    let q = |j: &str, at: f64| prom.query(&format!("rw_stale_total{{job=\"{j}\"}}"), Some(at));
    assert_eq!(
        value(&q(&ended, before)),
        Some(1.0),
        "the value before the end"
    );
    let after = now_secs();
    assert_eq!(q(&ended, after), [], "ended by its marker");
    assert_eq!(value(&q(&kept, after)), Some(1.0), "no marker: lingers");
    let raw = prom.raw_samples(&format!("rw_stale_total{{job=\"{ended}\"}}"), "1m");
    // The flush and the final flush; the marker ends the series and is no value.
    assert_eq!(raw.len(), 2, "{raw:?}");
    assert!(raw.iter().all(|(_, v)| *v == 1.0), "{raw:?}");
}

#[test]
fn a_refused_request_is_counted_and_never_blocks_the_ones_behind_it() {
    let prom = ReceiverServer::prometheus();
    let fault = FaultServer::start(Some(prom.base_url()));
    let job = job("refused");
    let reg = Registry::new();
    let c = reg.counter("rw_refused_total", "R").build().unwrap();
    c.inc();
    let pusher = builder(&format!("{}/api/v1/write", fault.url()), &job)
        .max_in_flight(1)
        .start(&reg)
        .unwrap();
    // A 500 no retry can fix is refused once, not retried.
    fault.set_mode(Mode::Status(
        500,
        "label name \"a\" is not unique: invalid sample".into(),
    ));
    let err = pusher.flush(Duration::from_secs(3)).unwrap_err();
    assert!(err.to_string().contains("not unique"), "{err}");
    assert_eq!(fault.request_count(), 1, "not retried");
    // A 400 likewise, with the receiver's message in stats.
    fault.set_mode(Mode::Status(400, "out of order sample".into()));
    pusher.flush(Duration::from_secs(3)).unwrap_err();
    assert_eq!(fault.request_count(), 2);
    let s = pusher.stats();
    assert_eq!(s.samples_rejected, 2);
    assert!(
        s.last_error
            .as_deref()
            .unwrap()
            .contains("out of order sample"),
        "{s:?}"
    );
    assert!(s.receivers[0]
        .last_error
        .as_deref()
        .unwrap()
        .contains("out of order sample"));
    // The next request goes through.
    fault.set_mode(Mode::Forward);
    c.inc();
    pusher.flush(Duration::from_secs(3)).unwrap();
    let got = prom.query_until(&format!("rw_refused_total{{job=\"{job}\"}}"), None, |p| {
        p.len() == 1
    });
    assert_eq!(value(&got), Some(2.0));
    assert_eq!(pusher.stats().samples_pending, 0);
    pusher.shutdown(Duration::from_secs(3)).unwrap();
}

#[test]
fn a_retry_resends_the_identical_request_and_honours_retry_after() {
    let prom = ReceiverServer::prometheus();
    let fault = FaultServer::start(Some(prom.base_url()));
    let job = job("retry");
    let reg = Registry::new();
    reg.counter("rw_retry_total", "R")
        .build()
        .unwrap()
        .inc_by(7.0)
        .unwrap();
    let pusher = builder(&format!("{}/api/v1/write", fault.url()), &job)
        .max_in_flight(1)
        .max_attempts(3)
        .start(&reg)
        .unwrap();
    fault.set_mode(Mode::TooMany {
        retry_after_secs: 1,
    });
    std::thread::scope(|s| {
        let h = s.spawn(|| pusher.flush(Duration::from_secs(3)));
        assert!(fault.wait_for_requests(1, Duration::from_secs(2)));
        fault.set_mode(Mode::Forward);
        h.join().unwrap().unwrap();
    });
    let reqs = fault.requests();
    assert_eq!(reqs.len(), 2);
    let gap = reqs[1].at - reqs[0].at;
    assert!(gap >= Duration::from_millis(950), "Retry-After: {gap:?}");
    assert_eq!(reqs[0].body, reqs[1].body, "the identical batch");
    let s = pusher.stats();
    assert_eq!((s.retries, s.samples_sent), (1, 1));
    let got = prom.query_until(&format!("rw_retry_total{{job=\"{job}\"}}"), None, |p| {
        p.len() == 1
    });
    assert_eq!(value(&got), Some(7.0));
    pusher.shutdown(Duration::from_secs(3)).unwrap();
}

#[test]
fn a_dead_receiver_never_delays_the_others() {
    let prom = ReceiverServer::prometheus();
    let dead = FaultServer::start(None);
    dead.set_mode(Mode::Hang);
    let job = job("dead");
    let reg = Registry::new();
    let c = reg.counter("rw_alive_total", "A").build().unwrap();
    c.inc_by(3.0).unwrap();
    let pusher = builder(&format!("{}/api/v1/write", dead.url()), &job)
        .add_url(&prom.write_url())
        .flush_deadline(Duration::from_millis(1500))
        .start(&reg)
        .unwrap();
    let t = Instant::now();
    let err = pusher.flush(Duration::from_secs(3)).unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    assert!(
        err.to_string().contains(&dead.url()),
        "names the dead one: {err}"
    );
    let s = pusher.stats();
    assert_eq!(s.receivers[1].samples_sent, 1, "{s:?}");
    assert_eq!(s.receivers[0].samples_sent, 0);
    assert_eq!(s.receivers[0].samples_pending, 1);
    // The live one got it without waiting for the dead one's timeouts.
    let got = prom.query(&format!("rw_alive_total{{job=\"{job}\"}}"), None);
    assert_eq!(value(&got), Some(3.0));
    // Recording never waits on either.
    let t = Instant::now();
    for _ in 0..100_000 {
        c.inc();
    }
    assert!(
        t.elapsed() < Duration::from_millis(500),
        "{:?}",
        t.elapsed()
    );
    dead.set_mode(Mode::Refuse);
    let _ = pusher.shutdown(Duration::from_secs(2));
}

#[test]
fn an_outage_keeps_counters_exact_and_the_queue_bounded() {
    let mut prom = ReceiverServer::prometheus();
    let job = job("outage");
    let reg = Registry::new();
    let c = reg
        .counter("rw_outage_total", "O")
        .labels(&["i"])
        .build_vec()
        .unwrap();
    let pusher = builder(&prom.write_url(), &job)
        .interval(Duration::from_millis(50))
        .flush_deadline(Duration::from_millis(40))
        .max_in_flight(2)
        .max_pending_samples(200)
        .breaker_threshold(3)
        .breaker_open(Duration::from_millis(200))
        .start(&reg)
        .unwrap();
    let record = |n: u64| {
        for k in 0..n {
            c.inc(&[&(k % 50).to_string()]).unwrap();
        }
    };
    record(1000);
    pusher.flush(Duration::from_secs(3)).unwrap();
    prom.pause();
    let mut most_pending = 0;
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(2) {
        record(100);
        most_pending = most_pending.max(pusher.stats().samples_pending);
        std::thread::sleep(Duration::from_millis(10));
    }
    let during = pusher.stats();
    assert!(most_pending <= 200, "bounded: {most_pending}");
    assert!(during.samples_dropped > 0, "{during:?}");
    assert!(during.pushes_failed > 0);
    assert!(!during.receivers[0]
        .last_error
        .as_deref()
        .unwrap_or("")
        .is_empty());
    prom.resume();
    record(7);
    // Delivered once the receiver is back: the totals are exact.
    let total = reg
        .snapshot()
        .family("rw_outage_total")
        .unwrap()
        .iter()
        .map(|s| match s.value() {
            pushmetrics::Value::Counter(v) => *v,
            _ => 0.0,
        })
        .sum::<f64>();
    assert!(wait_until(Duration::from_secs(15), || pusher
        .flush(Duration::from_secs(2))
        .is_ok()));
    let got = prom.query_until(
        &format!("sum(rw_outage_total{{job=\"{job}\"}})"),
        None,
        |p| value(p) == Some(total),
    );
    assert_eq!(value(&got), Some(total), "{}", prom.log());
    // Scheduled writes go on every 50 ms, so the queue is rarely empty, but never above
    // its bound.
    assert!(pusher.stats().samples_pending <= 200);
    pusher.shutdown(Duration::from_secs(3)).unwrap();
}

#[test]
fn many_series_travel_in_bounded_requests() {
    let prom = ReceiverServer::prometheus();
    let job = job("many");
    let reg = Registry::new();
    let c = reg
        .counter("rw_many_total", "M")
        .labels(&["i"])
        .max_series(20_000)
        .build_vec()
        .unwrap();
    for i in 0..10_000 {
        c.inc(&[&i.to_string()]).unwrap();
    }
    let pusher = builder(&prom.write_url(), &job)
        .max_samples_per_send(1000)
        .max_in_flight(4)
        .start(&reg)
        .unwrap();
    let report = pusher.flush(Duration::from_secs(10)).unwrap();
    // 10,000 samples in lanes of at most 1,000: at least 10 requests, at most one
    // part-filled request more per lane.
    assert!(
        (10..=14).contains(&report.requests),
        "{} requests",
        report.requests
    );
    let got = prom.query_until(
        &format!("count(rw_many_total{{job=\"{job}\"}})"),
        None,
        |p| value(p) == Some(10_000.0),
    );
    assert_eq!(value(&got), Some(10_000.0));
    // Two snapshots in a row never share a timestamp, so nothing is refused.
    pusher.flush(Duration::from_secs(10)).unwrap();
    pusher.flush(Duration::from_secs(10)).unwrap();
    assert_eq!(pusher.stats().samples_rejected, 0);
    pusher.shutdown(Duration::from_secs(10)).unwrap();
}

#[test]
fn options_are_checked_with_errors_that_name_the_value() {
    let reg = Registry::new();
    let e = builder("http://127.0.0.1:1/api/v1/write", "j")
        .max_in_flight(0)
        .start(&reg)
        .unwrap_err();
    assert!(e.to_string().contains("max_in_flight 0"), "{e}");
    let e = builder("127.0.0.1:9090/api/v1/write", "j")
        .start(&reg)
        .unwrap_err();
    assert!(e.to_string().contains("127.0.0.1:9090/api/v1/write"), "{e}");
    let e = builder("http://127.0.0.1:1/api/v1/write", "j")
        .grouping("bad-name", "x")
        .start(&reg)
        .unwrap_err();
    assert!(e.to_string().contains("bad-name"), "{e}");
    let e = Pusher::builder("http://127.0.0.1:1")
        .job("j")
        .ignore_env()
        .add_url("http://127.0.0.1:2")
        .start(&reg)
        .unwrap_err();
    assert!(e.to_string().contains("remote_write"), "{e}");
    let e = pushmetrics::Target::parse("graphite").unwrap_err();
    assert!(e.to_string().contains("graphite"), "{e}");
}

#[test]
fn staleness_marker_bits_are_prometheus_stale_nan() {
    assert!(f64::from_bits(STALE_NAN_BITS).is_nan());
    assert_ne!(STALE_NAN_BITS, f64::NAN.to_bits());
}

#[test]
fn self_metrics_report_each_receiver_through_remote_write() {
    let prom = ReceiverServer::prometheus();
    let job = job("self");
    let reg = Registry::new();
    reg.counter("rw_work_total", "W").build().unwrap().inc();
    let pusher = builder(&prom.write_url(), &job)
        .self_metrics(true)
        .start(&reg)
        .unwrap();
    // The self-metrics of a flush travel with the next one.
    pusher.flush(Duration::from_secs(3)).unwrap();
    pusher.flush(Duration::from_secs(3)).unwrap();
    let sel = format!("{{job=\"{job}\",receiver=\"{}\"}}", prom.write_url());
    let sent = prom.query_until(
        &format!("pushmetrics_remote_write_samples_sent_total{sel}"),
        None,
        |p| p.len() == 1,
    );
    assert!(value(&sent).is_some_and(|v| v > 0.0), "{sent:?}");
    let dropped = prom.query(
        &format!("pushmetrics_remote_write_samples_dropped_total{sel}"),
        None,
    );
    assert_eq!(value(&dropped), Some(0.0), "present at zero, for alerts");
    let pending = prom.query(
        &format!("pushmetrics_remote_write_samples_pending{sel}"),
        None,
    );
    assert_eq!(value(&pending), Some(0.0));
    pusher.shutdown(Duration::from_secs(3)).unwrap();
}

#[test]
fn resets_and_plain_server_errors_are_retried_and_the_request_kept_until_it_lands() {
    let prom = ReceiverServer::prometheus();
    let fault = FaultServer::start(Some(prom.base_url()));
    let job = job("reset");
    let reg = Registry::new();
    let c = reg.counter("rw_kept_total", "K").build().unwrap();
    c.inc_by(5.0).unwrap();
    let pusher = builder(&format!("{}/api/v1/write", fault.url()), &job)
        .max_in_flight(1)
        .max_attempts(3)
        .flush_deadline(Duration::from_secs(1))
        .breaker_threshold(3)
        .breaker_open(Duration::from_millis(300))
        .start(&reg)
        .unwrap();
    fault.set_mode(Mode::ResetMidBody);
    let err = pusher.flush(Duration::from_secs(2)).unwrap_err();
    assert!(err.to_string().contains("still queued"), "{err}");
    let resets = fault.request_count();
    assert!(resets >= 3, "retried: {resets}");
    assert_eq!(pusher.stats().receivers[0].breaker, BreakerState::Open);
    fault.set_mode(Mode::Status(500, "internal error".into()));
    assert!(
        wait_until(Duration::from_secs(3), || fault.request_count() > resets),
        "{:?} {:?}",
        pusher.stats(),
        fault
            .requests()
            .iter()
            .map(|r| (r.at, r.mode.clone()))
            .collect::<Vec<_>>()
    );
    let s = pusher.stats();
    assert_eq!((s.samples_sent, s.samples_rejected), (0, 0), "{s:?}");
    assert_eq!(s.samples_pending, 1, "kept, not dropped");
    assert!(s.receivers[0].consecutive_failures >= 3);
    // Back: the kept request lands, then the next snapshot.
    fault.set_mode(Mode::Forward);
    c.inc();
    assert!(wait_until(Duration::from_secs(10), || pusher
        .flush(Duration::from_secs(2))
        .is_ok()));
    let s = pusher.stats();
    assert_eq!((s.samples_pending, s.samples_dropped), (0, 0), "{s:?}");
    assert!(s.samples_sent >= 2);
    let got = prom.query_until(&format!("rw_kept_total{{job=\"{job}\"}}"), None, |p| {
        value(p) == Some(6.0)
    });
    assert_eq!(value(&got), Some(6.0));
    let raw = prom.raw_samples(&format!("rw_kept_total{{job=\"{job}\"}}"), "1m");
    assert!(
        raw.windows(2).all(|w| w[0].0 < w[1].0),
        "in time order: {raw:?}"
    );
    assert_eq!(
        raw.first().map(|r| r.1),
        Some(5.0),
        "the kept value arrived: {raw:?}"
    );
    pusher.shutdown(Duration::from_secs(3)).unwrap();
}

#[test]
fn an_asked_for_flush_and_the_final_write_go_out_past_an_open_breaker() {
    let prom = ReceiverServer::prometheus();
    let fault = FaultServer::start(Some(prom.base_url()));
    let job = job("asked");
    let reg = Registry::new();
    let c = reg.counter("rw_asked_total", "A").build().unwrap();
    c.inc();
    let pusher = builder(&format!("{}/api/v1/write", fault.url()), &job)
        .max_in_flight(2)
        .max_attempts(1)
        .breaker_threshold(1)
        .breaker_open(Duration::from_secs(3600))
        .start(&reg)
        .unwrap();
    fault.set_mode(Mode::Status(503, "busy".into()));
    pusher.flush(Duration::from_secs(2)).unwrap_err();
    assert_eq!(pusher.stats().receivers[0].breaker, BreakerState::Open);
    fault.set_mode(Mode::Forward);
    c.inc();
    pusher.flush(Duration::from_secs(2)).unwrap();
    assert_eq!(pusher.stats().receivers[0].breaker, BreakerState::Closed);
    // Open again, then the job ends: its last numbers and markers still go out.
    fault.set_mode(Mode::Status(503, "busy".into()));
    pusher.flush(Duration::from_secs(2)).unwrap_err();
    fault.set_mode(Mode::Forward);
    c.inc_by(10.0).unwrap();
    pusher.shutdown(Duration::from_secs(3)).unwrap();
    let s = pusher.stats();
    assert_eq!((s.samples_pending, s.samples_dropped), (0, 0), "{s:?}");
    let q = format!("rw_asked_total{{job=\"{job}\"}}");
    let raw = prom.raw_samples(&q, "1m");
    assert_eq!(raw.last().map(|r| r.1), Some(12.0), "{raw:?}");
    assert_eq!(prom.query(&q, Some(now_secs())), [], "ended by its marker");
}
