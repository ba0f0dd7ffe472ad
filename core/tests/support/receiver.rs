//! Real remote-write receivers as child processes on free loopback ports: Prometheus 2.42
//! with its remote-write receiver, and VictoriaMetrics 1.79. Each can be stopped and
//! started again on the same port and data directory (an outage), and read back through
//! its query API. Killed and reaped on drop.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::http1::http_request;
use super::{free_port, wait_until, TempDir};

const READY_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    Prometheus,
    VictoriaMetrics,
}

/// One series of a query answer: its labels and value.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub labels: serde_json::Map<String, serde_json::Value>,
    pub value: f64,
}

impl Point {
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels.get(name).and_then(|v| v.as_str())
    }
}

pub struct ReceiverServer {
    kind: Kind,
    child: Option<Child>,
    port: u16,
    dir: TempDir,
}

impl ReceiverServer {
    pub fn prometheus() -> ReceiverServer {
        ReceiverServer::start(Kind::Prometheus)
    }

    pub fn victoria_metrics() -> ReceiverServer {
        ReceiverServer::start(Kind::VictoriaMetrics)
    }

    fn start(kind: Kind) -> ReceiverServer {
        let dir = TempDir::new(match kind {
            Kind::Prometheus => "pushmetrics-prom",
            Kind::VictoriaMetrics => "pushmetrics-vm",
        });
        std::fs::write(
            dir.path().join("prometheus.yml"),
            "global: {scrape_interval: 15s}\n",
        )
        .expect("write prometheus.yml");
        let mut server = ReceiverServer {
            kind,
            child: None,
            port: free_port(),
            dir,
        };
        server.resume();
        server
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Starts the server (again) on its port and data directory.
    pub fn resume(&mut self) {
        assert!(self.child.is_none(), "already running");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("open log");
        let addr = format!("127.0.0.1:{}", self.port);
        let mut cmd = match self.kind {
            Kind::Prometheus => {
                let mut c = Command::new("/usr/bin/prometheus");
                c.arg(format!(
                    "--config.file={}",
                    self.dir.path().join("prometheus.yml").display()
                ))
                .arg(format!(
                    "--storage.tsdb.path={}",
                    self.dir.path().join("data").display()
                ))
                .arg(format!("--web.listen-address={addr}"))
                .arg("--web.enable-remote-write-receiver");
                c
            }
            Kind::VictoriaMetrics => {
                let mut c = Command::new("/usr/bin/victoria-metrics");
                c.arg(format!(
                    "-storageDataPath={}",
                    self.dir.path().join("data").display()
                ))
                .arg(format!("-httpListenAddr={addr}"))
                .arg("-search.latencyOffset=0s")
                .arg("-search.disableCache");
                c
            }
        };
        let child = cmd
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", self.kind));
        self.child = Some(child);
        let ready = match self.kind {
            Kind::Prometheus => "/-/ready",
            Kind::VictoriaMetrics => "/health",
        };
        let url = format!("{}{ready}", self.base_url());
        let ok = wait_until(READY_TIMEOUT, || {
            http_request(&url, "GET", &[], b"").is_ok_and(|r| r.status == 200)
        });
        assert!(ok, "{:?} did not become ready\n{}", self.kind, self.log());
    }

    /// Stops the server (SIGTERM, then waits), keeping its port and data for `resume`.
    pub fn pause(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").arg(child.id().to_string()).status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The remote-write endpoint.
    pub fn write_url(&self) -> String {
        format!("{}/api/v1/write", self.base_url())
    }

    fn get_json(&self, path_and_query: &str) -> serde_json::Value {
        let url = format!("{}{path_and_query}", self.base_url());
        let r = http_request(&url, "GET", &[], b"")
            .unwrap_or_else(|e| panic!("GET {url}: {e}\n{}", self.log()));
        assert_eq!(r.status, 200, "GET {url}: {}", r.text());
        serde_json::from_str(&r.text()).unwrap_or_else(|e| panic!("{url}: {e}: {}", r.text()))
    }

    /// An instant query at `time` (Unix seconds), or now.
    pub fn query(&self, expr: &str, time: Option<f64>) -> Vec<Point> {
        if self.kind == Kind::VictoriaMetrics {
            let _ = http_request(
                &format!("{}/internal/force_flush", self.base_url()),
                "GET",
                &[],
                b"",
            );
        }
        let mut q = format!("/api/v1/query?query={}", encode(expr));
        if let Some(t) = time {
            q.push_str(&format!("&time={t:.3}"));
        }
        if self.kind == Kind::VictoriaMetrics {
            q.push_str("&nocache=1");
        }
        let v = self.get_json(&q);
        let result = v["data"]["result"].as_array().cloned().unwrap_or_default();
        result
            .into_iter()
            .map(|r| Point {
                labels: r["metric"].as_object().cloned().unwrap_or_default(),
                value: r["value"][1]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(f64::NAN),
            })
            .collect()
    }

    /// Polls `query` until `check` accepts its answer, or 15 s pass; returns the last answer.
    pub fn query_until(
        &self,
        expr: &str,
        time: Option<f64>,
        check: impl Fn(&[Point]) -> bool,
    ) -> Vec<Point> {
        let mut last = Vec::new();
        wait_until(Duration::from_secs(15), || {
            last = self.query(expr, time);
            check(&last)
        });
        last
    }

    /// Raw samples of `expr` over the last `range` (a range selector): `(ms, value)`.
    pub fn raw_samples(&self, selector: &str, range: &str) -> Vec<(i64, f64)> {
        let points = self.get_json(&format!(
            "/api/v1/query?query={}",
            encode(&format!("{selector}[{range}]"))
        ));
        let mut out = Vec::new();
        for r in points["data"]["result"].as_array().into_iter().flatten() {
            for v in r["values"].as_array().into_iter().flatten() {
                let t = v[0].as_f64().unwrap_or(0.0);
                let x = v[1]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(f64::NAN);
                out.push(((t * 1000.0).round() as i64, x));
            }
        }
        out
    }

    /// Resident memory of the server in bytes (from /proc).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, |c| c.id())
    }
}

impl Drop for ReceiverServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Percent-encodes a query argument.
pub fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Unix time now, in seconds.
pub fn now_secs() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}
