//! The pusher against a real Pushgateway, directly or through a fault-injecting server:
//! what arrives, what is retried, what the breaker and budget do, and that recording is
//! never held up by the network.

mod support;

use pushmetrics::{BreakerState, Error, Format, Method, Pusher, PusherBuilder, Registry};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{wait_until, FaultServer, Gateway, Mode, TlsFixture, WebConfig};

/// A builder with short timings for tests, isolated from the environment.
/// A flush with a 300 ms timeout that fails, and returns within 400 ms.
fn flush_fails_within_its_timeout(pusher: &Pusher) -> Error {
    let t = Instant::now();
    let err = pusher.flush(Duration::from_millis(300)).unwrap_err();
    assert!(
        t.elapsed() < Duration::from_millis(400),
        "{:?}",
        t.elapsed()
    );
    err
}

fn builder(url: &str, job: &str) -> PusherBuilder {
    Pusher::builder(url)
        .job(job)
        .ignore_env()
        .interval(Duration::from_secs(3600))
        .jitter(0.0)
        .connect_timeout(Duration::from_millis(500))
        .request_timeout(Duration::from_millis(500))
        .backoff_base(Duration::from_millis(10))
        .backoff_max(Duration::from_millis(50))
        .flush_deadline(Duration::from_secs(3))
        .self_metrics(false)
}

/// A registry with one series of every type.
fn sample_registry() -> Registry {
    let reg = Registry::new();
    let c = reg
        .counter("e2e_requests_total", "Requests")
        .labels(&["code", "path"])
        .build_vec()
        .unwrap();
    c.inc_by(&["200", "/a b\"c\\d"], 41.0).unwrap();
    c.inc(&["500", "/\u{fc}ber"]).unwrap();
    reg.gauge("e2e_temperature", "Temp")
        .build()
        .unwrap()
        .set(-3.25);
    let h = reg
        .histogram("e2e_latency_seconds", "Latency")
        .buckets(vec![0.1, 1.0])
        .build()
        .unwrap();
    for v in [0.05, 0.5, 0.7, 3.0] {
        h.observe(v).unwrap();
    }
    let s = reg
        .summary("e2e_size_bytes", "Sizes")
        .quantiles(&[0.5])
        .build()
        .unwrap();
    for v in 1..=9 {
        s.observe(v as f64).unwrap();
    }
    reg
}

fn check_sample_values(gw: &Gateway, key: &[(&str, &str)]) {
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut l: Vec<(&str, &str)> = key.to_vec();
        l.extend_from_slice(extra);
        l
    };
    assert_eq!(
        gw.series_value(
            "e2e_requests_total",
            &with(&[("code", "200"), ("path", "/a b\"c\\d")])
        ),
        Some(41.0)
    );
    assert_eq!(
        gw.series_value("e2e_requests_total", &with(&[("path", "/\u{fc}ber")])),
        Some(1.0)
    );
    assert_eq!(gw.series_value("e2e_temperature", &with(&[])), Some(-3.25));
    assert_eq!(
        gw.series_value("e2e_latency_seconds_bucket", &with(&[("le", "0.1")])),
        Some(1.0)
    );
    assert_eq!(
        gw.series_value("e2e_latency_seconds_bucket", &with(&[("le", "1")])),
        Some(3.0)
    );
    assert_eq!(
        gw.series_value("e2e_latency_seconds_bucket", &with(&[("le", "+Inf")])),
        Some(4.0)
    );
    assert_eq!(
        gw.series_value("e2e_latency_seconds_count", &with(&[])),
        Some(4.0)
    );
    assert_eq!(
        gw.series_value("e2e_latency_seconds_sum", &with(&[])),
        Some(4.25)
    );
    assert_eq!(
        gw.series_value("e2e_size_bytes_count", &with(&[])),
        Some(9.0)
    );
    assert_eq!(
        gw.series_value("e2e_size_bytes_sum", &with(&[])),
        Some(45.0)
    );
    let median = gw
        .series_value("e2e_size_bytes", &with(&[("quantile", "0.5")]))
        .unwrap();
    assert!((median - 5.0).abs() <= 0.05, "median {median}");
}

#[test]
fn values_arrive_exactly_for_every_type_format_compression_and_method() {
    let gw = Gateway::start();
    let reg = sample_registry();
    for format in [Format::Text, Format::Protobuf] {
        for gzip in [false, true] {
            for method in [Method::Put, Method::Post] {
                let job = format!("e2e_{format:?}_{gzip}_{method:?}");
                let report = builder(gw.url(), &job)
                    .format(format)
                    .gzip(gzip)
                    .method(method)
                    .grouping("dir", "a/b")
                    .grouping("empty", "")
                    .grouping("city", "Z\u{fc}rich")
                    .push_once(&reg)
                    .unwrap_or_else(|e| panic!("{job}: {e}"));
                assert_eq!(report.requests, 1);
                let key = [
                    ("job", job.as_str()),
                    ("dir", "a/b"),
                    ("city", "Z\u{fc}rich"),
                ];
                check_sample_values(&gw, &key);
                assert!(gw.group_exists(&[
                    ("job", job.as_str()),
                    ("dir", "a/b"),
                    ("empty", ""),
                    ("city", "Z\u{fc}rich")
                ]));
            }
        }
    }
}

#[test]
fn default_labels_reach_the_gateway_and_the_grouping_label_wins_over_them() {
    let gw = Gateway::start();
    let reg = sample_registry();
    reg.register_process_collector_with("e2e_", &[("service", "api")])
        .unwrap();
    reg.set_default_labels(&[("region", "eu"), ("code", "999"), ("instance", "mine")])
        .unwrap();
    for format in [Format::Text, Format::Protobuf] {
        let job = format!("e2e_defaults_{format:?}");
        builder(gw.url(), &job)
            .format(format)
            .grouping("instance", "box1")
            .push_once(&reg)
            .unwrap_or_else(|e| panic!("{job}: {e}"));
        let key = [
            ("job", job.as_str()),
            ("instance", "box1"),
            ("region", "eu"),
        ];
        // The series' own `code` wins over the default label.
        check_sample_values(&gw, &key);
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut l = key.to_vec();
            l.extend_from_slice(extra);
            l
        };
        assert_eq!(
            gw.series_value("e2e_requests_total", &with(&[("code", "200")])),
            Some(41.0)
        );
        assert_eq!(
            gw.series_value("e2e_requests_total", &with(&[("code", "999")])),
            None
        );
        assert_eq!(
            gw.series_value("e2e_temperature", &with(&[("code", "999")])),
            Some(-3.25)
        );
        assert_eq!(
            gw.series_value(
                "e2e_temperature",
                &[("job", job.as_str()), ("instance", "mine")]
            ),
            None
        );
        #[cfg(target_os = "linux")]
        assert!(gw
            .series_value("e2e_process_open_fds", &with(&[("service", "api")]))
            .is_some());
    }
}

#[test]
fn background_pusher_flushes_and_shutdown_delivers_the_final_numbers() {
    let gw = Gateway::start();
    let reg = Registry::new();
    let c = reg.counter("job_items_total", "Items").build().unwrap();
    let pusher = builder(gw.url(), "final").start(&reg).unwrap();
    c.inc_by(5.0).unwrap();
    pusher.flush(Duration::from_secs(3)).unwrap();
    assert_eq!(
        gw.series_value("job_items_total", &[("job", "final")]),
        Some(5.0)
    );
    c.inc_by(2.0).unwrap();
    pusher.shutdown(Duration::from_secs(3)).unwrap();
    assert_eq!(
        gw.series_value("job_items_total", &[("job", "final")]),
        Some(7.0)
    );
    // Idempotent, and the pusher refuses work afterwards.
    pusher.shutdown(Duration::from_secs(1)).unwrap();
    assert!(pusher.is_shut_down());
    assert_eq!(
        pusher.flush(Duration::from_millis(100)),
        Err(Error::Shutdown)
    );
}

#[test]
fn dropping_a_pusher_makes_the_final_flush() {
    let gw = Gateway::start();
    let reg = Registry::new();
    {
        let _pusher = builder(gw.url(), "dropped").start(&reg).unwrap();
        reg.counter("dropped_total", "D").build().unwrap().inc();
    }
    assert_eq!(
        gw.series_value("dropped_total", &[("job", "dropped")]),
        Some(1.0)
    );
}

#[test]
fn delete_on_shutdown_removes_the_group() {
    let gw = Gateway::start();
    let reg = Registry::new();
    reg.counter("gone_total", "G").build().unwrap().inc();
    let pusher = builder(gw.url(), "deleted")
        .grouping("instance", "i1")
        .delete_on_shutdown(true)
        .start(&reg)
        .unwrap();
    pusher.flush(Duration::from_secs(3)).unwrap();
    assert!(gw.group_exists(&[("job", "deleted"), ("instance", "i1")]));
    pusher.shutdown(Duration::from_secs(3)).unwrap();
    // The gateway answers a DELETE with 202 and applies it just after.
    assert!(wait_until(Duration::from_secs(3), || !gw
        .group_exists(&[("job", "deleted"), ("instance", "i1")])));
}

#[test]
fn scheduled_pushes_happen_on_the_interval_with_self_metrics() {
    let gw = Gateway::start();
    let reg = Registry::new();
    let c = reg.counter("ticks_total", "T").build().unwrap();
    c.inc();
    let pusher = builder(gw.url(), "ticker")
        .interval(Duration::from_millis(100))
        .self_metrics(true)
        .start(&reg)
        .unwrap();
    assert!(wait_until(Duration::from_secs(5), || pusher
        .stats()
        .pushes_ok
        >= 3));
    assert!(gw.series_value("ticks_total", &[("job", "ticker")]) == Some(1.0));
    let ok = gw
        .series_value(
            "pushmetrics_pushes_total",
            &[("job", "ticker"), ("result", "ok")],
        )
        .unwrap();
    assert!(ok >= 1.0, "{ok}");
    assert!(
        gw.series_value(
            "pushmetrics_last_success_timestamp_seconds",
            &[("job", "ticker")]
        )
        .unwrap()
            > 1.7e9
    );
    assert!(pusher.healthy());
    let s = pusher.stats();
    assert_eq!(s.pushes_failed, 0);
    assert_eq!(s.breaker, BreakerState::Closed);
    assert_eq!(s.series, 1);
    assert!(s.bytes_sent > 0);
}

#[test]
fn large_pushes_are_split_between_families_put_then_post() {
    let gw = Gateway::start();
    let fault = FaultServer::start(Some(gw.url().to_string()));
    let reg = Registry::new();
    for i in 0..40 {
        let c = reg
            .counter(&format!("split_{i}_total"), "S")
            .labels(&["k"])
            .build_vec()
            .unwrap();
        for j in 0..10 {
            c.inc_by(&[&format!("value-{j}")], (i * 10 + j) as f64)
                .unwrap();
        }
    }
    let report = builder(&fault.url(), "split")
        .max_body_bytes(2048)
        .push_once(&reg)
        .unwrap();
    assert!(report.requests > 3, "{report:?}");
    let reqs = fault.requests();
    assert_eq!(reqs[0].method, "PUT");
    assert!(reqs[1..].iter().all(|r| r.method == "POST"));
    assert!(reqs.iter().all(|r| r.body_len <= 2048));
    for i in 0..40 {
        for j in 0..10 {
            let v = gw.series_value(
                &format!("split_{i}_total"),
                &[("job", "split"), ("k", &format!("value-{j}"))],
            );
            assert_eq!(v, Some((i * 10 + j) as f64));
        }
    }
}

#[test]
fn refused_connections_are_retried_and_the_next_push_carries_everything() {
    let gw = Gateway::start();
    let fault = FaultServer::start(Some(gw.url().to_string()));
    let reg = Registry::new();
    let c = reg.counter("outage_total", "O").build().unwrap();
    let pusher = builder(&fault.url(), "outage")
        .max_attempts(3)
        .start(&reg)
        .unwrap();
    fault.set_mode(Mode::Refuse);
    for _ in 0..1000 {
        c.inc();
    }
    let err = pusher.flush(Duration::from_secs(5)).unwrap_err();
    assert!(matches!(err, Error::Push(_)), "{err}");
    let s = pusher.stats();
    assert_eq!(s.retries, 2, "{s:?}");
    assert_eq!(s.pushes_failed, 1);
    assert!(s.last_error.unwrap().contains("127.0.0.1"));
    fault.set_mode(Mode::Forward);
    pusher.flush(Duration::from_secs(5)).unwrap();
    assert_eq!(
        gw.series_value("outage_total", &[("job", "outage")]),
        Some(1000.0)
    );
}

#[test]
fn server_errors_are_retried_but_a_bad_request_is_not() {
    let gw = Gateway::start();
    let fault = FaultServer::start(Some(gw.url().to_string()));
    let reg = Registry::new();
    reg.counter("r_total", "R").build().unwrap().inc();
    let pusher = builder(&fault.url(), "classify")
        .max_attempts(4)
        .retry_budget(10.0)
        .start(&reg)
        .unwrap();

    fault.set_mode(Mode::Status(503, "busy".into()));
    assert!(pusher.flush(Duration::from_secs(5)).is_err());
    assert_eq!(
        fault.request_count(),
        4,
        "503 is retried up to max_attempts"
    );

    fault.clear();
    fault.set_mode(Mode::Status(
        400,
        "text format parsing error in line 3".into(),
    ));
    let err = pusher.flush(Duration::from_secs(5)).unwrap_err();
    assert_eq!(fault.request_count(), 1, "400 is not retried");
    assert!(
        err.to_string()
            .contains("text format parsing error in line 3"),
        "{err}"
    );
    assert!(pusher
        .stats()
        .last_error
        .unwrap()
        .contains("text format parsing error in line 3"));

    fault.clear();
    fault.set_mode(Mode::ResetMidBody);
    assert!(pusher.flush(Duration::from_secs(5)).is_err());
    assert_eq!(fault.request_count(), 4, "a reset is retried");
}

#[test]
fn too_many_requests_waits_for_retry_after() {
    let gw = Gateway::start();
    let fault = FaultServer::start(Some(gw.url().to_string()));
    let reg = Registry::new();
    reg.counter("ra_total", "R").build().unwrap().inc();
    let pusher = builder(&fault.url(), "retry_after")
        .max_attempts(2)
        .flush_deadline(Duration::from_secs(5))
        .start(&reg)
        .unwrap();
    fault.set_mode(Mode::TooMany {
        retry_after_secs: 1,
    });
    let t = Instant::now();
    let _ = pusher.flush(Duration::from_secs(5));
    let reqs = fault.requests();
    assert_eq!(reqs.len(), 2);
    let gap = reqs[1].at - reqs[0].at;
    assert!(gap >= Duration::from_millis(950), "retried after {gap:?}");
    assert!(t.elapsed() < Duration::from_secs(4));

    // A Retry-After longer than the deadline ends the flush at once.
    fault.clear();
    fault.set_mode(Mode::TooMany {
        retry_after_secs: 60,
    });
    let t = Instant::now();
    let err = pusher.flush(Duration::from_secs(5)).unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    assert!(err.to_string().contains("deadline"), "{err}");
    assert_eq!(fault.request_count(), 1);
}

#[test]
fn the_breaker_opens_after_failed_flushes_and_recovers_with_one_probe() {
    let gw = Gateway::start();
    let fault = FaultServer::start(Some(gw.url().to_string()));
    let reg = Registry::new();
    let c = reg.counter("b_total", "B").build().unwrap();
    fault.set_mode(Mode::Status(500, "down".into()));
    let pusher = builder(&fault.url(), "breaker")
        .interval(Duration::from_millis(50))
        .max_attempts(1)
        .breaker_threshold(3)
        .breaker_open(Duration::from_millis(600))
        .start(&reg)
        .unwrap();
    assert!(wait_until(Duration::from_secs(5), || pusher
        .stats()
        .breaker
        == BreakerState::Open));
    let during = fault.request_count();
    assert_eq!(during, 3, "exactly threshold failures before opening");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(fault.request_count(), during, "no requests while open");
    assert!(pusher.stats().flushes_skipped > 0);
    c.inc_by(9.0).unwrap();
    fault.set_mode(Mode::Forward);
    assert!(wait_until(Duration::from_secs(5), || pusher
        .stats()
        .breaker
        == BreakerState::Closed));
    assert_eq!(gw.series_value("b_total", &[("job", "breaker")]), Some(9.0));
    assert_eq!(pusher.stats().consecutive_failures, 0);
}

#[test]
fn the_retry_budget_caps_retries() {
    let gw = Gateway::start();
    let fault = FaultServer::start(Some(gw.url().to_string()));
    let reg = Registry::new();
    reg.counter("rb_total", "R").build().unwrap().inc();
    let pusher = builder(&fault.url(), "budget")
        .max_attempts(10)
        .retry_budget(0.0)
        .breaker_threshold(0)
        .start(&reg)
        .unwrap();
    fault.set_mode(Mode::Status(502, "bad gateway".into()));
    for _ in 0..5 {
        let _ = pusher.flush(Duration::from_secs(5));
    }
    let s = pusher.stats();
    // Ten flushes' worth of attempts would be 50 requests; the floor allows 3 retries.
    assert_eq!(s.retries, 3, "{s:?}");
    assert_eq!(fault.request_count(), 5 + 3);
    assert!(s.retries_denied >= 4);
}

#[test]
fn a_hung_gateway_never_blocks_recording_and_shutdown_keeps_its_deadline() {
    let gw = Gateway::start();
    let fault = FaultServer::start(Some(gw.url().to_string()));
    let reg = Registry::new();
    let c = reg
        .counter("hang_total", "H")
        .labels(&["k"])
        .build_vec()
        .unwrap();
    let held = c.with(&["held"]).unwrap();
    fault.set_mode(Mode::Hang);
    let pusher = builder(&fault.url(), "hung")
        .interval(Duration::from_millis(20))
        .request_timeout(Duration::from_secs(2))
        .start(&reg)
        .unwrap();
    assert!(fault.wait_for_requests(1, Duration::from_secs(5)));
    // Record while the push thread waits on the hung gateway.
    let stop = Arc::new(AtomicBool::new(false));
    let mut worst = Duration::ZERO;
    let mut ops = 0u64;
    let t = Instant::now();
    while t.elapsed() < Duration::from_millis(500) {
        let s = Instant::now();
        held.inc();
        c.inc(&[&format!("k{}", ops % 100)]).unwrap();
        worst = worst.max(s.elapsed());
        ops += 1;
    }
    stop.store(true, Ordering::Relaxed);
    // Generous: a recording call never waits for the network (the benchmark measures).
    assert!(
        worst < Duration::from_millis(50),
        "slowest recording call {worst:?}"
    );
    let t = Instant::now();
    let r = pusher.shutdown(Duration::from_millis(700));
    let took = t.elapsed();
    assert!(r.is_err(), "a hung final flush is an error");
    assert!(took < Duration::from_millis(1500), "shutdown took {took:?}");
    assert_eq!(held.get(), ops as f64);
}

#[test]
fn flush_against_a_hung_gateway_fails_within_its_timeout() {
    let gw = Gateway::start();
    let fault = FaultServer::start(Some(gw.url().to_string()));
    let reg = Registry::new();
    fault.set_mode(Mode::Hang);
    let pusher = builder(&fault.url(), "flush_timeout")
        .request_timeout(Duration::from_secs(5))
        .start(&reg)
        .unwrap();
    // The request runs out of time: a push failure that says so (or, when the push thread
    // is slow to answer on a loaded machine, the flush's own timeout).
    let err = flush_fails_within_its_timeout(&pusher);
    match &err {
        Error::Push(m) => assert!(m.contains("timed out"), "{err}"),
        Error::Timeout(_) => {}
        other => panic!("unexpected error {other}"),
    }
    fault.set_mode(Mode::Forward);
}

#[test]
fn flush_times_out_while_the_push_thread_is_busy() {
    let gw = Gateway::start();
    let fault = FaultServer::start(Some(gw.url().to_string()));
    let reg = Registry::new();
    fault.set_mode(Mode::Hang);
    let pusher = builder(&fault.url(), "busy")
        .interval(Duration::from_millis(50))
        .request_timeout(Duration::from_secs(2))
        .start(&reg)
        .unwrap();
    // A scheduled push is stuck on the hung gateway: the flush cannot even start.
    assert!(fault.wait_for_requests(1, Duration::from_secs(5)));
    let err = flush_fails_within_its_timeout(&pusher);
    assert!(matches!(err, Error::Timeout(_)), "{err}");
    fault.set_mode(Mode::Forward);
}

#[test]
fn tls_with_a_private_ca_and_basic_auth() {
    let tls = TlsFixture::create();
    let cfg = WebConfig {
        tls: true,
        client_auth: false,
        basic_auth: true,
    };
    let gw = tls.start_gateway(cfg);
    let reg = Registry::new();
    reg.counter("tls_total", "T")
        .build()
        .unwrap()
        .inc_by(3.0)
        .unwrap();
    builder(gw.url(), "tls")
        .ca_file(&tls.ca_cert)
        .basic_auth(support::TEST_USER, support::TEST_PASSWORD)
        .push_once(&reg)
        .unwrap();
    assert_eq!(gw.series_value("tls_total", &[("job", "tls")]), Some(3.0));

    let err = builder(gw.url(), "tls")
        .ca_file(&tls.ca_cert)
        .basic_auth(support::TEST_USER, "wrong-password")
        .push_once(&reg)
        .unwrap_err();
    assert!(err.to_string().contains("401"), "{err}");
    assert!(!err.to_string().contains("wrong-password"), "{err}");

    let err = builder(gw.url(), "tls")
        .ca_file(&tls.other_ca_cert)
        .basic_auth(support::TEST_USER, support::TEST_PASSWORD)
        .push_once(&reg)
        .unwrap_err();
    assert!(matches!(err, Error::Push(_)), "{err}");
}

#[test]
fn a_private_ca_is_not_trusted_without_ca_file() {
    let tls = TlsFixture::create();
    let gw = tls.start_gateway(WebConfig {
        tls: true,
        ..WebConfig::default()
    });
    let reg = Registry::new();
    reg.counter("untrusted_total", "U").build().unwrap();
    // The host's store is in use (not "accept anything"): it does not know the test CA.
    let err = builder(gw.url(), "untrusted").push_once(&reg).unwrap_err();
    assert!(matches!(err, Error::Push(_)), "{err}");
    assert!(err.to_string().contains("TLS"), "{err}");
    assert_eq!(
        gw.series_value("untrusted_total", &[("job", "untrusted")]),
        None
    );
}

#[test]
fn mutual_tls_with_a_client_certificate() {
    let tls = TlsFixture::create();
    let cfg = WebConfig {
        tls: true,
        client_auth: true,
        basic_auth: false,
    };
    let gw = tls.start_gateway(cfg);
    let reg = Registry::new();
    reg.gauge("mtls", "M").build().unwrap().set(1.5);
    builder(gw.url(), "mtls")
        .ca_file(&tls.ca_cert)
        .client_cert(&tls.client_cert, &tls.client_key)
        .push_once(&reg)
        .unwrap();
    assert_eq!(gw.series_value("mtls", &[("job", "mtls")]), Some(1.5));
}

#[test]
fn invalid_pusher_options_are_typed_errors() {
    let reg = Registry::new();
    let e = Pusher::builder("ftp://x")
        .job("j")
        .ignore_env()
        .start(&reg)
        .unwrap_err();
    assert!(e.to_string().contains("ftp://x"), "{e}");
    let e = Pusher::builder("http://127.0.0.1:1")
        .job("j")
        .ignore_env()
        .grouping("bad-name", "v")
        .start(&reg)
        .unwrap_err();
    assert_eq!(e, Error::InvalidLabelName("bad-name".into()));
    let e = Pusher::builder("http://user:secret@127.0.0.1:1")
        .ignore_env()
        .start(&reg)
        .unwrap_err();
    assert!(!e.to_string().contains("secret"), "{e}");
    let e = Pusher::builder("http://127.0.0.1:1")
        .job("j")
        .ignore_env()
        .ca_file("/nonexistent/ca.pem")
        .start(&reg)
        .unwrap_err();
    assert!(e.to_string().contains("/nonexistent/ca.pem"), "{e}");
}
