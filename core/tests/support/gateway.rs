//! A real Pushgateway 1.5.1 child process on a free loopback port, with helpers to read
//! back what it holds. Killed and reaped on drop; its log is shown when a test panics.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::http1::http_request;
use super::{free_port, TempDir};

const DEFAULT_BINARY: &str = "/usr/bin/prometheus-pushgateway";
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// One sample of the text exposition.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// A running Pushgateway.
pub struct Gateway {
    child: Child,
    url: String,
    port: u16,
    log_path: PathBuf,
    /// How curl reaches a gateway started with a web config (TLS and/or basic auth);
    /// `None` for plain gateways, which are read with the std-only client.
    curl_args: Option<Vec<String>>,
    _dir: TempDir,
}

impl Gateway {
    /// A plain-HTTP gateway with an empty persistence file and the admin API enabled.
    pub fn start() -> Gateway {
        Gateway::launch(&[], None)
    }

    /// A gateway with `--web.config.file=path`: `https://` when the file configures TLS.
    /// [`Gateway::get`] then goes through curl with `--insecure` and no credentials; use
    /// [`Gateway::with_curl_args`] (or `TlsFixture::start_gateway`) to read protected paths.
    pub fn start_with_web_config(path: &Path) -> Gateway {
        let config = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read web config {}: {e}", path.display()));
        let tls = config.contains("tls_server_config");
        Gateway::launch(
            &[format!("--web.config.file={}", path.display())],
            Some((tls, vec!["--insecure".to_string()])),
        )
    }

    /// Replaces the curl arguments used to read a web-config gateway (CA, client
    /// certificate, `-u user:password`).
    pub fn with_curl_args(mut self, args: Vec<String>) -> Gateway {
        assert!(
            self.curl_args.is_some(),
            "curl arguments apply only to gateways started with a web config"
        );
        self.curl_args = Some(args);
        self
    }

    fn launch(extra_args: &[String], web: Option<(bool, Vec<String>)>) -> Gateway {
        let binary = binary();
        let scheme = if web.as_ref().is_some_and(|(tls, _)| *tls) {
            "https"
        } else {
            "http"
        };
        // A free port can be taken by someone else before the gateway binds it: try again.
        for attempt in 1..=3 {
            let port = free_port();
            let dir = TempDir::new("pushmetrics-pgw");
            let log_path = dir.path().join("pushgateway.log");
            let log = std::fs::File::create(&log_path).expect("create gateway log");
            let child = Command::new(&binary)
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                .arg("--persistence.file=")
                .arg("--web.enable-admin-api")
                .args(extra_args)
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("clone log handle"))
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
            let mut gateway = Gateway {
                child,
                url: format!("{scheme}://127.0.0.1:{port}"),
                port,
                log_path,
                curl_args: web.as_ref().map(|(_, args)| args.clone()),
                _dir: dir,
            };
            match gateway.wait_ready() {
                Ok(()) => return gateway,
                Err(why) => {
                    let log = gateway.log();
                    if attempt < 3 && log.contains("address already in use") {
                        continue;
                    }
                    panic!("pushgateway did not become ready: {why}\n--- gateway log ---\n{log}");
                }
            }
        }
        unreachable!("the last attempt panics")
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("it exited with {status}"));
            }
            // HEAD gets 405 from this gateway; only GET works. Behind a web config every
            // path may need a client certificate or a password that the readiness probe
            // does not have, so there an accepted connection has to do.
            let ready = match &self.curl_args {
                None => self
                    .try_get("/-/ready")
                    .is_some_and(|(status, _)| status == 200),
                Some(_) => TcpStream::connect_timeout(
                    &SocketAddr::from(([127, 0, 0, 1], self.port)),
                    Duration::from_millis(200),
                )
                .is_ok(),
            };
            if ready {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "no answer on {} within {READY_TIMEOUT:?}",
                    self.url
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `http://127.0.0.1:PORT` (or `https://` with a TLS web config), no trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Everything the gateway has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// `GET path`: status and body. Panics if the gateway cannot be reached.
    pub fn get(&self, path: &str) -> (u16, String) {
        self.request("GET", path, b"")
    }

    /// Any request to the gateway: status and body. Panics if it cannot be reached.
    pub fn request(&self, method: &str, path: &str, body: &[u8]) -> (u16, String) {
        self.try_request(method, path, body).unwrap_or_else(|| {
            panic!(
                "{method} {}{path} failed\n--- gateway log ---\n{}",
                self.url,
                self.log()
            )
        })
    }

    fn try_get(&self, path: &str) -> Option<(u16, String)> {
        self.try_request("GET", path, b"")
    }

    fn try_request(&self, method: &str, path: &str, body: &[u8]) -> Option<(u16, String)> {
        let url = format!("{}{path}", self.url);
        match &self.curl_args {
            None => http_request(&url, method, &[], body)
                .ok()
                .map(|r| (r.status, r.text())),
            Some(args) => curl(args, method, &url, body),
        }
    }

    /// The whole `/metrics` text exposition.
    pub fn metrics_text(&self) -> String {
        let (status, body) = self.get("/metrics");
        assert_eq!(status, 200, "GET /metrics: {body}");
        body
    }

    /// Deletes every group (`PUT /api/v1/admin/wipe`).
    pub fn wipe(&self) {
        let (status, body) = self.request("PUT", "/api/v1/admin/wipe", b"");
        assert_eq!(status, 202, "wipe: {body}");
        // 202: the gateway applies it just after.
        super::wait_until(Duration::from_secs(3), || {
            self.series("push_time_seconds").is_empty()
        });
    }

    /// Every sample named `name` in `/metrics`.
    pub fn series(&self, name: &str) -> Vec<Sample> {
        parse_exposition(&self.metrics_text())
            .into_iter()
            .filter(|s| s.name == name)
            .collect()
    }

    /// The value of the first `name` series carrying all of `labels` (it may carry more:
    /// the gateway adds `job`, `instance=""` and the grouping labels).
    pub fn series_value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.series(name)
            .into_iter()
            .find(|s| {
                labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|s| s.value)
    }

    /// Whether the group with exactly this grouping key (job included) exists. The gateway
    /// gives every group a `push_time_seconds` series with its key, plus `instance=""`
    /// when the key has no instance.
    pub fn group_exists(&self, key: &[(&str, &str)]) -> bool {
        let mut wanted: BTreeMap<String, String> = key
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        wanted.entry("instance".to_string()).or_default();
        self.series("push_time_seconds")
            .iter()
            .any(|s| s.labels == wanted)
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- pushgateway log ({}) ---\n{}", self.url, self.log());
        }
    }
}

/// The gateway binary: `$PUSHGATEWAY_BIN`, or the Debian package's, installed on first use
/// when missing.
fn binary() -> PathBuf {
    static BINARY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BINARY
        .get_or_init(|| {
            if let Some(path) = std::env::var_os("PUSHGATEWAY_BIN") {
                return Ok(PathBuf::from(path));
            }
            let path = PathBuf::from(DEFAULT_BINARY);
            if path.exists() {
                return Ok(path);
            }
            let install = || {
                Command::new("apt-get")
                    .args([
                        "install",
                        "-y",
                        "--no-install-recommends",
                        "prometheus-pushgateway",
                    ])
                    .env("DEBIAN_FRONTEND", "noninteractive")
                    .status()
                    .is_ok_and(|s| s.success())
            };
            // A fresh machine may have no package lists yet.
            let installed = install()
                || (Command::new("apt-get")
                    .arg("update")
                    .status()
                    .is_ok_and(|s| s.success())
                    && install());
            if installed && path.exists() {
                Ok(path)
            } else {
                Err(format!(
                    "{DEFAULT_BINARY} is missing and `apt-get install -y --no-install-recommends \
                     prometheus-pushgateway` failed; install it (as root) or set PUSHGATEWAY_BIN"
                ))
            }
        })
        .clone()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// One request through curl: status and body, `None` if curl got no HTTP answer.
fn curl(args: &[String], method: &str, url: &str, body: &[u8]) -> Option<(u16, String)> {
    let mut command = Command::new("curl");
    command
        .args(["--silent", "--max-time", "10", "--request", method])
        .args(args);
    if !body.is_empty() || matches!(method, "PUT" | "POST") {
        command.args(["--data-binary", "@-"]);
    }
    let mut child = command
        .args(["--write-out", "\n%{http_code}", url])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run curl (needed for gateways with a web config): {e}"));
    let mut stdin = child.stdin.take().expect("curl stdin");
    let _ = stdin.write_all(body);
    drop(stdin);
    let output = child.wait_with_output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n')?;
    match code.trim().parse::<u16>() {
        Ok(0) | Err(_) => None,
        Ok(status) => Some((status, body.to_string())),
    }
}

/// Parses the text exposition format (0.0.4) into samples; comments and blank lines are
/// skipped, label values are unescaped.
pub fn parse_exposition(text: &str) -> Vec<Sample> {
    text.lines().filter_map(parse_sample_line).collect()
}

fn parse_sample_line(line: &str) -> Option<Sample> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let name_end = line.find(['{', ' ', '\t'])?;
    let name = line[..name_end].to_string();
    let mut rest = &line[name_end..];
    let mut labels = BTreeMap::new();
    if let Some(after_brace) = rest.strip_prefix('{') {
        let mut chars = after_brace.char_indices().peekable();
        let end;
        loop {
            while chars
                .peek()
                .is_some_and(|(_, c)| *c == ',' || c.is_whitespace())
            {
                chars.next();
            }
            let (start, c) = *chars.peek()?;
            if c == '}' {
                end = start + 1;
                break;
            }
            let mut key = String::new();
            for (_, c) in chars.by_ref() {
                if c == '=' {
                    break;
                }
                key.push(c);
            }
            if chars.next()?.1 != '"' {
                return None;
            }
            let mut value = String::new();
            loop {
                match chars.next()?.1 {
                    '"' => break,
                    '\\' => match chars.next()?.1 {
                        'n' => value.push('\n'),
                        other => value.push(other),
                    },
                    other => value.push(other),
                }
            }
            labels.insert(key.trim().to_string(), value);
        }
        rest = &after_brace[end..];
    }
    let value = rest.split_whitespace().next()?.parse().ok()?;
    Some(Sample {
        name,
        labels,
        value,
    })
}
