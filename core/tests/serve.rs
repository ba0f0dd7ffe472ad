//! The HTTP server against real clients (a plain HTTP/1.1 client, curl, promtool): what a
//! scrape returns, gzip and HEAD, refused methods, the connection bound, slow clients and
//! a clean stop.

mod support;

use pushmetrics::{start_http_server, Error, HttpServer, Registry};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};
use support::{http_request, Response};

/// A registry with one series of every type, label values that need escaping included.
fn sample_registry() -> Registry {
    let reg = Registry::new();
    let c = reg
        .counter("served_requests_total", "Requests")
        .labels(&["code", "path"])
        .build_vec()
        .unwrap();
    c.inc_by(&["200", "/a b\"c\\d"], 41.0).unwrap();
    c.inc(&["500", "/\u{fc}ber\nx"]).unwrap();
    reg.gauge("served_temperature", "Temp")
        .build()
        .unwrap()
        .set(-3.25);
    let h = reg
        .histogram("served_latency_seconds", "Latency")
        .buckets(vec![0.1, 1.0])
        .build()
        .unwrap();
    for v in [0.05, 0.5, 3.0] {
        h.observe(v).unwrap();
    }
    let s = reg
        .summary("served_size_bytes", "Sizes")
        .quantiles(&[0.5])
        .build()
        .unwrap();
    s.observe(7.0).unwrap();
    reg
}

fn get(server: &HttpServer, method: &str, path: &str, headers: &[(&str, &str)]) -> Response {
    let url = format!("http://{}{path}", server.local_addr());
    http_request(&url, method, headers, b"").unwrap()
}

fn gunzip(data: &[u8]) -> String {
    let mut out = String::new();
    flate2::read::GzDecoder::new(data)
        .read_to_string(&mut out)
        .unwrap();
    out
}

#[test]
fn a_scrape_returns_the_registry_text_on_any_path() {
    let reg = sample_registry();
    let server = start_http_server("127.0.0.1:0", &reg).unwrap();
    for path in ["/metrics", "/", "/anything?name[]=x"] {
        let r = get(&server, "GET", path, &[]);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(
            r.header("content-type"),
            Some("text/plain; version=0.0.4; charset=utf-8")
        );
        assert_eq!(r.header("content-encoding"), None);
        assert_eq!(r.text(), reg.encode_text(), "{path}");
    }
    // Recorded after the server started: every scrape takes a fresh snapshot.
    reg.gauge("served_late", "Late").build().unwrap().set(1.0);
    assert!(get(&server, "GET", "/metrics", &[])
        .text()
        .contains("served_late 1\n"));
}

#[test]
fn gzip_is_sent_only_when_the_client_accepts_it() {
    let reg = sample_registry();
    let server = start_http_server("127.0.0.1:0", &reg).unwrap();
    let r = get(
        &server,
        "GET",
        "/metrics",
        &[("Accept-Encoding", "br, gzip")],
    );
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(gunzip(&r.body), reg.encode_text());
    for refused in ["identity", "gzip;q=0", "br"] {
        let r = get(&server, "GET", "/metrics", &[("Accept-Encoding", refused)]);
        assert_eq!(r.header("content-encoding"), None, "{refused}");
        assert_eq!(r.text(), reg.encode_text(), "{refused}");
    }
}

#[test]
fn head_answers_the_headers_of_get_without_a_body() {
    let reg = sample_registry();
    let server = start_http_server("127.0.0.1:0", &reg).unwrap();
    // Read raw: a client that knows the request was HEAD ignores Content-Length.
    let mut c = TcpStream::connect(server.local_addr()).unwrap();
    c.write_all(b"HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    c.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.ends_with("\r\n\r\n"), "a body was sent: {answer}");
    let length = format!("Content-Length: {}\r\n", reg.encode_text().len());
    assert!(answer.contains(&length), "{answer}");
}

#[test]
fn other_methods_get_405_with_the_allowed_ones() {
    let server = start_http_server("127.0.0.1:0", &sample_registry()).unwrap();
    for method in ["POST", "PUT", "DELETE"] {
        let r = get(&server, method, "/metrics", &[]);
        assert_eq!(r.status, 405, "{method}");
        assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS"));
    }
    assert_eq!(get(&server, "OPTIONS", "/metrics", &[]).status, 200);
}

#[test]
fn malformed_and_oversized_request_heads_are_refused() {
    let server = start_http_server("127.0.0.1:0", &sample_registry()).unwrap();
    let send = |raw: &[u8]| {
        let mut c = TcpStream::connect(server.local_addr()).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let _ = c.write_all(raw);
        let mut answer = Vec::new();
        let _ = c.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    };
    assert!(send(b"NONSENSE\r\n\r\n").starts_with("HTTP/1.1 400 "));
    let huge = format!("GET / HTTP/1.1\r\nX-Pad: {}\r\n\r\n", "a".repeat(10_000));
    assert!(send(huge.as_bytes()).starts_with("HTTP/1.1 431 "));
}

#[test]
fn concurrent_scrapes_beyond_the_bound_are_all_answered() {
    let reg = sample_registry();
    let server = HttpServer::builder()
        .max_connections(2)
        .start("127.0.0.1", 0, &reg)
        .unwrap();
    let want = reg.encode_text();
    let url = format!("http://{}/metrics", server.local_addr());
    let scrapers: Vec<_> = (0..24)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || http_request(&url, "GET", &[], b"").unwrap())
        })
        .collect();
    for s in scrapers {
        let r = s.join().unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.text(), want);
    }
}

#[test]
fn a_silent_client_does_not_hold_up_others_and_is_dropped_after_the_read_timeout() {
    let reg = sample_registry();
    let server = HttpServer::builder()
        .max_connections(2)
        .read_timeout(Duration::from_millis(600))
        .start("127.0.0.1", 0, &reg)
        .unwrap();
    let mut silent = TcpStream::connect(server.local_addr()).unwrap();
    silent.write_all(b"GET /metr").unwrap(); // and nothing more
    std::thread::sleep(Duration::from_millis(50));
    let t = Instant::now();
    assert_eq!(get(&server, "GET", "/metrics", &[]).status, 200);
    assert!(
        t.elapsed() < Duration::from_millis(500),
        "{:?}",
        t.elapsed()
    );
    silent
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut answer = String::new();
    let _ = silent.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer:?}");
}

#[test]
fn stop_frees_the_port_and_disconnects_clients_promptly() {
    let reg = sample_registry();
    let server = start_http_server("127.0.0.1:0", &reg).unwrap();
    let addr = server.local_addr();
    assert_eq!(get(&server, "GET", "/", &[]).status, 200);
    let _silent = TcpStream::connect(addr).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let t = Instant::now();
    server.stop();
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    assert!(server.is_stopped());
    server.stop(); // idempotent
    drop(TcpListener::bind(addr).expect("the port is free after stop"));
    // A new server can take the same port at once.
    let again = start_http_server(&addr.to_string(), &reg).unwrap();
    assert_eq!(again.port(), addr.port());
}

#[test]
fn a_port_in_use_is_a_listen_error_naming_the_address() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let err = start_http_server(&addr, &Registry::new()).unwrap_err();
    assert!(matches!(err, Error::Listen { .. }), "{err:?}");
    assert!(err.to_string().contains(&addr), "{err}");
    let err = start_http_server("no-such-host.invalid:9100", &Registry::new()).unwrap_err();
    assert!(
        err.to_string().contains("no-such-host.invalid:9100"),
        "{err}"
    );
}

#[test]
fn ipv6_and_wildcard_addresses_are_served() {
    let reg = sample_registry();
    let server = start_http_server("0.0.0.0:0", &reg).unwrap();
    let url = format!("http://127.0.0.1:{}/metrics", server.port());
    assert_eq!(http_request(&url, "GET", &[], b"").unwrap().status, 200);
    if TcpListener::bind("[::1]:0").is_ok() {
        let server = start_http_server("[::1]:0", &reg).unwrap();
        let r = get(&server, "GET", "/metrics", &[]);
        assert_eq!(r.text(), reg.encode_text());
    }
}

/// curl and promtool, when installed (scripts/deps-docs.sh installs promtool).
fn tool(name: &str) -> Option<Command> {
    let found = Command::new(name).arg("--version").output().is_ok();
    if !found {
        eprintln!("{name} is not installed: skipped");
    }
    found.then(|| Command::new(name))
}

#[test]
fn curl_scrapes_it_compressed_and_promtool_accepts_the_text() {
    let reg = sample_registry();
    let server = start_http_server("127.0.0.1:0", &reg).unwrap();
    let url = format!("http://{}/metrics", server.local_addr());
    let Some(mut curl) = tool("curl") else { return };
    let out = curl
        .args(["-sS", "--fail", "--compressed", "-D", "/dev/stderr", &url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text, reg.encode_text());
    let headers = String::from_utf8_lossy(&out.stderr).to_lowercase();
    assert!(headers.contains("content-encoding: gzip"), "{headers}");
    let Some(mut promtool) = tool("promtool") else {
        return;
    };
    let mut child = promtool
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "promtool: {out:?}");
}
