//! Checks the end-to-end test support itself: the gateway starts and reads back what is
//! pushed, and every fault mode does what it promises, using raw TCP requests only.

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use support::{
    http_request, http_request_with_timeout, parse_exposition, FaultServer, Gateway, Mode,
    TlsFixture, WebConfig,
};

const BODY: &[u8] = b"# TYPE smoke_total counter\nsmoke_total{kind=\"a b\"} 42\n";

#[test]
fn forward_mode_pushes_through_to_the_gateway_and_records_the_request() {
    let gw = Gateway::start();
    let fault = FaultServer::start(Some(gw.url().to_string()));
    let url = format!("{}/metrics/job/smoke/instance@base64/aS8x", fault.url());
    let response = http_request(&url, "PUT", &[("Content-Type", "text/plain")], BODY).unwrap();
    assert_eq!(response.status, 200, "{}", response.text());

    assert_eq!(
        gw.series_value("smoke_total", &[("job", "smoke"), ("instance", "i/1")]),
        Some(42.0)
    );
    assert_eq!(gw.series_value("smoke_total", &[("job", "other")]), None);
    assert!(gw.group_exists(&[("job", "smoke"), ("instance", "i/1")]));
    assert!(!gw.group_exists(&[("job", "smoke")]));

    let requests = fault.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "PUT");
    assert_eq!(requests[0].path, "/metrics/job/smoke/instance@base64/aS8x");
    assert_eq!(requests[0].body_len, BODY.len());
    assert_eq!(requests[0].header("content-type"), Some("text/plain"));
    assert_eq!(requests[0].mode, Mode::Forward);

    // A chunked request body is de-chunked before it goes upstream.
    let mut stream = TcpStream::connect(fault.addr()).unwrap();
    let chunked = format!(
        "POST /metrics/job/chunky HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{}\r\n0\r\n\r\n",
        BODY.len(),
        String::from_utf8_lossy(BODY)
    );
    stream.write_all(chunked.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(
        gw.series_value("smoke_total", &[("job", "chunky")]),
        Some(42.0)
    );
    assert_eq!(fault.requests()[1].body, BODY);

    fault.clear();
    assert_eq!(fault.request_count(), 0);
    gw.wipe();
    assert!(!gw.group_exists(&[("job", "smoke"), ("instance", "i/1")]));
    assert_eq!(gw.series_value("smoke_total", &[]), None);
}

#[test]
fn forward_mode_relays_gateway_errors_verbatim() {
    let gw = Gateway::start();
    let fault = FaultServer::start(Some(gw.url().to_string()));
    let url = format!("{}/metrics/job/smoke", fault.url());
    let response = http_request(&url, "PUT", &[], b"m 1").unwrap();
    assert_eq!(response.status, 400);
    assert!(
        response.text().contains("unexpected end of input"),
        "{}",
        response.text()
    );
}

#[test]
fn forward_without_upstream_answers_200() {
    let fault = FaultServer::start(None);
    let response = http_request(&format!("{}/x", fault.url()), "PUT", &[], b"m 1\n").unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(fault.request_count(), 1);
}

#[test]
fn forward_to_a_dead_upstream_answers_502() {
    // A privileged port: nothing listens there, and no test's server is ever given it.
    let dead = "http://127.0.0.1:1".to_string();
    let fault = FaultServer::start(Some(dead));
    let response = http_request(&format!("{}/x", fault.url()), "PUT", &[], b"m 1\n").unwrap();
    assert_eq!(response.status, 502);
}

#[test]
fn refuse_mode_refuses_connections_until_switched_back() {
    let fault = FaultServer::start(None);
    fault.set_mode(Mode::Refuse);
    let err = TcpStream::connect(fault.addr()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    assert_eq!(fault.request_count(), 0);

    fault.set_mode(Mode::Forward);
    let response = http_request(&format!("{}/x", fault.url()), "PUT", &[], b"m 1\n").unwrap();
    assert_eq!(response.status, 200);
}

#[test]
fn hang_mode_reads_the_request_and_never_answers() {
    let fault = FaultServer::start(None);
    fault.set_mode(Mode::Hang);
    let started = Instant::now();
    let err = http_request_with_timeout(
        &format!("{}/x", fault.url()),
        "PUT",
        &[],
        b"m 1\n",
        Duration::from_millis(300),
    )
    .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{err:?}"
    );
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(fault.request_count(), 1);
    assert_eq!(fault.requests()[0].body, b"m 1\n");

    // A hanging connection is closed once the mode changes.
    let mut stream = TcpStream::connect(fault.addr()).unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert!(fault.wait_for_requests(2, Duration::from_secs(5)));
    fault.set_mode(Mode::Forward);
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut rest = Vec::new();
    assert_eq!(stream.read_to_end(&mut rest).unwrap(), 0);
}

#[test]
fn status_mode_answers_with_the_given_status_and_body() {
    let fault = FaultServer::start(None);
    let url = format!("{}/metrics/job/j", fault.url());
    fault.set_mode(Mode::Status(500, "boom".to_string()));
    let response = http_request(&url, "PUT", &[], b"m 1\n").unwrap();
    assert_eq!((response.status, response.text().as_str()), (500, "boom"));

    fault.set_mode(Mode::Status(400, "text format parsing error".to_string()));
    let response = http_request(&url, "PUT", &[], b"m 1\n").unwrap();
    assert_eq!(response.status, 400);
    assert_eq!(response.text(), "text format parsing error");
    assert_eq!(fault.request_count(), 2);
}

#[test]
fn too_many_mode_answers_429_with_retry_after() {
    let fault = FaultServer::start(None);
    fault.set_mode(Mode::TooMany {
        retry_after_secs: 7,
    });
    let response = http_request(&format!("{}/x", fault.url()), "PUT", &[], b"m 1\n").unwrap();
    assert_eq!(response.status, 429);
    assert_eq!(response.header("retry-after"), Some("7"));
}

#[test]
fn reset_mid_body_mode_resets_the_connection() {
    let fault = FaultServer::start(None);
    fault.set_mode(Mode::ResetMidBody);
    let big = vec![b'x'; 4 << 20];
    let err = http_request(&format!("{}/x", fault.url()), "PUT", &[], &big).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::ConnectionReset | ErrorKind::BrokenPipe | ErrorKind::ConnectionAborted
        ),
        "{err:?}"
    );
    assert!(fault.wait_for_requests(1, Duration::from_secs(5)));
    let recorded = &fault.requests()[0];
    assert!(
        recorded.body_len > 0 && recorded.body_len < big.len(),
        "{}",
        recorded.body_len
    );

    // A small body is reset too, seen when the client reads the answer.
    let err = http_request(&format!("{}/x", fault.url()), "PUT", &[], b"m 1\n").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err:?}");
}

#[test]
fn delay_mode_answers_late() {
    let fault = FaultServer::start(None);
    fault.set_mode(Mode::Delay(Duration::from_millis(300)));
    let started = Instant::now();
    let response = http_request(&format!("{}/x", fault.url()), "PUT", &[], b"m 1\n").unwrap();
    assert_eq!(response.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[test]
fn dropping_a_fault_server_with_a_hanging_client_is_quick() {
    let fault = FaultServer::start(None);
    fault.set_mode(Mode::Hang);
    let mut stream = TcpStream::connect(fault.addr()).unwrap();
    stream
        .write_all(b"PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\npartial")
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    drop(fault);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn tls_gateway_with_client_certificate_and_basic_auth() {
    let fixture = TlsFixture::create();
    let cfg = WebConfig {
        tls: true,
        client_auth: true,
        basic_auth: true,
    };
    let gw = fixture.start_gateway(cfg);
    assert!(gw.url().starts_with("https://127.0.0.1:"));
    assert_eq!(gw.get("/-/ready").0, 200);
    let (status, body) = gw.request("PUT", "/metrics/job/tls", BODY);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        gw.series_value("smoke_total", &[("job", "tls")]),
        Some(42.0)
    );

    // Without the password: 401.
    let no_password = fixture.curl_args(WebConfig {
        basic_auth: false,
        ..cfg
    });
    let gw = gw.with_curl_args(no_password);
    assert_eq!(gw.get("/-/ready").0, 401);
}

#[test]
fn basic_auth_gateway_without_tls_serves_plain_http() {
    let fixture = TlsFixture::create();
    let gw = fixture.start_gateway(WebConfig {
        basic_auth: true,
        ..WebConfig::default()
    });
    assert!(gw.url().starts_with("http://"));
    assert_eq!(gw.get("/-/ready").0, 200);
    let plain = http_request(&format!("{}/-/ready", gw.url()), "GET", &[], b"").unwrap();
    assert_eq!(plain.status, 401);
}

#[test]
fn exposition_parser_handles_labels_escapes_and_special_values() {
    let text = "# HELP m help\n# TYPE m counter\n\
                m{job=\"a/b\",instance=\"\",q=\"x \\\"y\\\" \\\\ z\\n\"} 42\n\
                plain 1.5e3\n\
                inf{le=\"+Inf\"} +Inf\n\
                nan NaN\n\
                braces{v=\"}{,=\"} -2 1700000000000\n";
    let samples = parse_exposition(text);
    assert_eq!(samples.len(), 5);
    assert_eq!(samples[0].name, "m");
    assert_eq!(samples[0].labels["job"], "a/b");
    assert_eq!(samples[0].labels["instance"], "");
    assert_eq!(samples[0].labels["q"], "x \"y\" \\ z\n");
    assert_eq!(samples[0].value, 42.0);
    assert_eq!(samples[1].value, 1500.0);
    assert_eq!(samples[2].value, f64::INFINITY);
    assert!(samples[3].value.is_nan());
    assert_eq!(samples[4].labels["v"], "}{,=");
    assert_eq!(samples[4].value, -2.0);
}
