//! The pusher's options: one builder method per option, the defaults of DESIGN.md, and the
//! `PUSHMETRICS_*` environment variables that let an operator override any of them.

use crate::encode::Format;
use crate::error::{Error, Result};
use crate::pusher::Pusher;
use crate::registry::Registry;
use crate::transport::http::HttpConfig;
use std::path::PathBuf;
use std::time::Duration;

/// How a push replaces what the gateway holds for the group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Method {
    /// Replace the whole group (the default).
    #[default]
    Put,
    /// Replace only the metric families in the push.
    Post,
}

impl Method {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Method::Put => "PUT",
            Method::Post => "POST",
        }
    }
    /// Parses `PUT` or `POST` (any case).
    pub fn parse(s: &str) -> Result<Method> {
        match s.to_ascii_uppercase().as_str() {
            "PUT" => Ok(Method::Put),
            "POST" => Ok(Method::Post),
            _ => Err(Error::InvalidConfig(format!(
                "method {s:?} must be PUT or POST"
            ))),
        }
    }
}

/// Where a pusher delivers: a Pushgateway group, Prometheus remote write, or a file for
/// node_exporter's textfile collector.
///
/// Chosen explicitly (never guessed from the URL): `PUSHMETRICS_TARGET=remote_write`
/// (or `textfile`), or [`PusherBuilder::target`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Target {
    /// A Pushgateway group: `PUT`/`POST` to `/metrics/job/<job>{/<label>/<value>}`.
    #[default]
    Pushgateway,
    /// Prometheus remote write 1.0 (protobuf + snappy `POST`) to one or more receivers:
    /// Prometheus, VictoriaMetrics, Mimir, Cortex, Thanos Receive. Every URL is the full
    /// write endpoint (`http://prometheus:9090/api/v1/write`).
    RemoteWrite,
    /// A file in node_exporter's textfile directory (`--collector.textfile.directory`),
    /// rewritten atomically in the text format at every interval, at `flush()` and at
    /// shutdown. The URL is the file's path, plain (`/var/lib/node_exporter/textfile/job.prom`)
    /// or as a `file://` URL (`file:///var/lib/node_exporter/textfile/job.prom`). `job` and
    /// `grouping` are not used (the scrape of node_exporter gives the labels); the HTTP,
    /// retry and breaker options do not apply: a failed write is counted and logged, and
    /// the next interval writes again. `delete_on_shutdown` removes the file.
    Textfile,
}

impl Target {
    /// Parses `pushgateway`, `remote_write` or `textfile` (any case, `-` for `_` accepted).
    pub fn parse(s: &str) -> Result<Target> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "pushgateway" | "gateway" => Ok(Target::Pushgateway),
            "remote_write" | "remotewrite" => Ok(Target::RemoteWrite),
            "textfile" | "text_file" => Ok(Target::Textfile),
            _ => Err(Error::InvalidConfig(format!(
                "target {s:?} must be pushgateway, remote_write or textfile"
            ))),
        }
    }
    /// `pushgateway`, `remote_write` or `textfile`.
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Pushgateway => "pushgateway",
            Target::RemoteWrite => "remote_write",
            Target::Textfile => "textfile",
        }
    }
}

impl Format {
    /// Parses `text` or `protobuf` (any case).
    pub fn parse(s: &str) -> Result<Format> {
        match s.to_ascii_lowercase().as_str() {
            "text" => Ok(Format::Text),
            "protobuf" => Ok(Format::Protobuf),
            _ => Err(Error::InvalidConfig(format!(
                "format {s:?} must be text or protobuf"
            ))),
        }
    }
}

/// Every option of a [`Pusher`].
///
/// ```no_run
/// use std::time::Duration;
/// let reg = pushmetrics::Registry::new();
/// let pusher = pushmetrics::Pusher::builder("http://127.0.0.1:9091")
///     .job("nightly_import")
///     .grouping("instance", "worker-3")
///     .interval(Duration::from_secs(15))
///     .gzip(true)
///     .start(&reg)
///     .unwrap();
/// // ... work ...
/// pusher.shutdown(Duration::from_secs(5)).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct PusherBuilder {
    pub(crate) target: Target,
    pub(crate) url: String,
    /// Further remote-write receivers, after `url`.
    pub(crate) more_urls: Vec<String>,
    pub(crate) job: String,
    pub(crate) grouping: Vec<(String, String)>,
    pub(crate) method: Method,
    pub(crate) format: Format,
    pub(crate) gzip: bool,
    pub(crate) interval: Duration,
    pub(crate) jitter: f64,
    pub(crate) flush_deadline: Option<Duration>,
    pub(crate) max_attempts: u32,
    pub(crate) backoff_base: Duration,
    pub(crate) backoff_max: Duration,
    pub(crate) retry_budget: f64,
    pub(crate) breaker_threshold: u32,
    pub(crate) breaker_open: Duration,
    pub(crate) max_body_bytes: usize,
    pub(crate) max_samples_per_send: usize,
    pub(crate) max_in_flight: usize,
    pub(crate) max_pending_samples: usize,
    pub(crate) staleness_markers: bool,
    pub(crate) delete_on_shutdown: bool,
    pub(crate) self_metrics: bool,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) http: HttpConfig,
    pub(crate) use_env: bool,
}

impl PusherBuilder {
    pub(crate) fn new(url: &str) -> PusherBuilder {
        PusherBuilder {
            target: Target::Pushgateway,
            url: url.to_owned(),
            more_urls: Vec::new(),
            job: String::new(),
            grouping: Vec::new(),
            method: Method::Put,
            format: Format::Text,
            gzip: false,
            interval: Duration::from_secs(10),
            jitter: 0.1,
            flush_deadline: None,
            max_attempts: 3,
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_secs(5),
            retry_budget: 0.2,
            breaker_threshold: 5,
            breaker_open: Duration::from_secs(30),
            max_body_bytes: 16 << 20,
            max_samples_per_send: 2000,
            max_in_flight: 4,
            max_pending_samples: 500_000,
            staleness_markers: true,
            delete_on_shutdown: false,
            self_metrics: true,
            shutdown_timeout: Duration::from_secs(5),
            http: HttpConfig::default(),
            use_env: true,
        }
    }

    /// The gateway's base URL, `http(s)://host:port`, for remote write the receiver's
    /// write endpoint, for a textfile the file's path (replaces the one given to `builder`,
    /// and any added receivers).
    pub fn url(mut self, url: &str) -> Self {
        self.url = url.to_owned();
        self.more_urls.clear();
        self
    }
    /// Pushgateway (default), remote write or textfile.
    pub fn target(mut self, target: Target) -> Self {
        self.target = target;
        self
    }
    /// Remote write only: one more receiver, written to at the same time as the others
    /// (replication, migration). Each receiver has its own queue, retries, breaker and
    /// stats, and a dead one never delays the others.
    pub fn add_url(mut self, url: &str) -> Self {
        self.more_urls.push(url.to_owned());
        self
    }
    /// Remote write only: most samples in one request (default 2000, as Prometheus's
    /// `queue_config`).
    pub fn max_samples_per_send(mut self, n: usize) -> Self {
        self.max_samples_per_send = n;
        self
    }
    /// Remote write only: requests in flight at once per receiver (default 4). Each series
    /// always travels in the same lane, so its samples arrive in time order.
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = n;
        self
    }
    /// Remote write only: samples held per receiver while it cannot take them (default
    /// 500,000). Past the bound the oldest requests are dropped and counted in
    /// `Stats::samples_dropped`.
    pub fn max_pending_samples(mut self, n: usize) -> Self {
        self.max_pending_samples = n;
        self
    }
    /// Remote write only: at shutdown, after the final write, end every written series
    /// with a Prometheus staleness marker (default true), so a finished job's series stop
    /// at once instead of lingering for the 5-minute lookback.
    pub fn staleness_markers(mut self, on: bool) -> Self {
        self.staleness_markers = on;
        self
    }
    /// The job name (required, except by the textfile target, which does not use it).
    pub fn job(mut self, job: &str) -> Self {
        self.job = job.to_owned();
        self
    }
    /// Adds a grouping label (any UTF-8 value; sent base64url-encoded).
    pub fn grouping(mut self, name: &str, value: &str) -> Self {
        self.grouping.push((name.to_owned(), value.to_owned()));
        self
    }
    /// For a pusher made in a child process of the job (a binding that can tell, such as
    /// Python's for `multiprocessing` children started with `spawn` or `forkserver`): adds
    /// the grouping label `pid=<this process id>`, unless one named `pid` is set, as a
    /// forked child's pusher gets, so that the child never overwrites its parent's group.
    /// In multiprocess mode a child is a worker and pushes nothing anyway.
    pub fn child_process(mut self) -> Self {
        if !self.grouping.iter().any(|(k, _)| k == "pid") {
            self.grouping
                .push(("pid".to_owned(), std::process::id().to_string()));
        }
        self
    }
    /// `PUT` (replace the group, default) or `POST` (replace the pushed families).
    pub fn method(mut self, m: Method) -> Self {
        self.method = m;
        self
    }
    /// Text (default) or protobuf.
    pub fn format(mut self, f: Format) -> Self {
        self.format = f;
        self
    }
    /// Compress request bodies with gzip.
    pub fn gzip(mut self, on: bool) -> Self {
        self.gzip = on;
        self
    }
    /// Time between pushes (default 10 s).
    pub fn interval(mut self, d: Duration) -> Self {
        self.interval = d;
        self
    }
    /// Random delay of the first push, as a fraction of the interval (default 0.1), so a
    /// fleet started together does not push in lock-step.
    pub fn jitter(mut self, fraction: f64) -> Self {
        self.jitter = fraction;
        self
    }
    /// Time one flush may take, retries included (default min(interval, 10 s)).
    pub fn flush_deadline(mut self, d: Duration) -> Self {
        self.flush_deadline = Some(d);
        self
    }
    /// Time to establish a connection (default 2 s).
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.http.connect_timeout = d;
        self
    }
    /// Time one request may take (default 5 s).
    pub fn request_timeout(mut self, d: Duration) -> Self {
        self.http.request_timeout = d;
        self
    }
    /// Attempts per request, the first included (default 3).
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n;
        self
    }
    /// Backoff before the first retry (default 100 ms); doubles per retry, with full jitter.
    pub fn backoff_base(mut self, d: Duration) -> Self {
        self.backoff_base = d;
        self
    }
    /// Longest backoff (default 5 s).
    pub fn backoff_max(mut self, d: Duration) -> Self {
        self.backoff_max = d;
        self
    }
    /// Retries allowed as a fraction of requests (default 0.2), plus a small floor.
    pub fn retry_budget(mut self, fraction: f64) -> Self {
        self.retry_budget = fraction;
        self
    }
    /// Consecutive failed flushes that open the circuit breaker (default 5; 0 = never).
    pub fn breaker_threshold(mut self, n: u32) -> Self {
        self.breaker_threshold = n;
        self
    }
    /// How long the breaker stays open before one probe (default 30 s; doubles per failed
    /// probe, up to 8x).
    pub fn breaker_open(mut self, d: Duration) -> Self {
        self.breaker_open = d;
        self
    }
    /// Largest request body (default 16 MiB); bigger pushes are split between metric
    /// families: the first request uses the configured method, the others `POST`.
    pub fn max_body_bytes(mut self, n: usize) -> Self {
        self.max_body_bytes = n;
        self
    }
    /// Delete the group from the gateway at shutdown (default false).
    pub fn delete_on_shutdown(mut self, on: bool) -> Self {
        self.delete_on_shutdown = on;
        self
    }
    /// Push the `pushmetrics_*` self-metrics too (default true).
    pub fn self_metrics(mut self, on: bool) -> Self {
        self.self_metrics = on;
        self
    }
    /// Bound of the final flush when the pusher is dropped (default 5 s).
    pub fn shutdown_timeout(mut self, d: Duration) -> Self {
        self.shutdown_timeout = d;
        self
    }
    /// HTTP basic authentication.
    pub fn basic_auth(mut self, user: &str, password: &str) -> Self {
        self.http.basic_auth = Some((user.to_owned(), password.to_owned()));
        self
    }
    /// `Authorization: Bearer <token>`.
    pub fn bearer_token(mut self, token: &str) -> Self {
        self.http.bearer_token = Some(token.to_owned());
        self
    }
    /// An extra header on every request.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.http.headers.push((name.to_owned(), value.to_owned()));
        self
    }
    /// PEM file of CA certificates to trust in addition to the host's store (the system
    /// CAs, as OpenSSL finds them: `SSL_CERT_FILE` and `SSL_CERT_DIR` are honoured).
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.http.ca_file = Some(path.into());
        self
    }
    /// Trust only the CAs of [`ca_file`](Self::ca_file), not the host's store (default
    /// false): a gateway with a private CA, reached from a host whose store must not vouch
    /// for it. Needs `ca_file`.
    pub fn ca_file_only(mut self, on: bool) -> Self {
        self.http.ca_file_only = on;
        self
    }
    /// PEM files of a client certificate and its key, for mutual TLS.
    pub fn client_cert(mut self, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.http.client_cert = Some(cert.into());
        self.http.client_key = Some(key.into());
        self
    }
    /// Do not read `PUSHMETRICS_*` environment variables (they override the code by default).
    pub fn ignore_env(mut self) -> Self {
        self.use_env = false;
        self
    }

    /// Starts the background thread pushing `registry`.
    pub fn start(self, registry: &Registry) -> Result<Pusher> {
        Pusher::start(self.resolved()?, registry.clone())
    }

    /// Pushes `registry` once, now, on the calling thread, with the same retries and
    /// deadline as a background flush (no breaker). For scripts that push at the end.
    pub fn push_once(self, registry: &Registry) -> Result<crate::FlushReport> {
        crate::pusher::push_once(self.resolved()?, registry)
    }

    /// Deletes the group from the gateway, now, on the calling thread.
    pub fn delete_once(self) -> Result<()> {
        crate::pusher::delete_once(self.resolved()?)
    }

    /// Applies the environment and checks every option.
    pub(crate) fn resolved(mut self) -> Result<PusherBuilder> {
        if self.use_env {
            self.apply_env(|k| std::env::var(k).ok())?;
        }
        if self.job.is_empty() && self.target != Target::Textfile {
            return Err(Error::InvalidConfig(
                "job is required (builder .job() or PUSHMETRICS_JOB)".into(),
            ));
        }
        let positive = [
            ("interval", self.interval),
            ("backoff_base", self.backoff_base),
            ("breaker_open", self.breaker_open),
        ];
        for (name, d) in positive {
            if d.is_zero() {
                return Err(Error::InvalidConfig(format!("{name} must be > 0")));
            }
        }
        // A year bounds every duration: far beyond any sensible setting, and far below the
        // overflow of `Instant + Duration` and of the multiples the pusher takes of them
        // (`PUSHMETRICS_INTERVAL=9000000000000000000` panicked the push thread).
        const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);
        let bounded = [
            ("interval", Some(self.interval)),
            ("flush_deadline", self.flush_deadline),
            ("connect_timeout", Some(self.http.connect_timeout)),
            ("request_timeout", Some(self.http.request_timeout)),
            ("backoff_base", Some(self.backoff_base)),
            ("backoff_max", Some(self.backoff_max)),
            ("breaker_open", Some(self.breaker_open)),
            ("shutdown_timeout", Some(self.shutdown_timeout)),
        ];
        for (name, d) in bounded {
            if let Some(d) = d.filter(|d| *d > MAX_DURATION) {
                return Err(Error::InvalidConfig(format!(
                    "{name} {d:?} must be at most 365 days"
                )));
            }
        }
        if !(0.0..=1.0).contains(&self.jitter) {
            return Err(Error::InvalidConfig(format!(
                "jitter {} must be between 0 and 1",
                self.jitter
            )));
        }
        if self.max_attempts == 0 {
            return Err(Error::InvalidConfig(
                "max_attempts must be at least 1".into(),
            ));
        }
        if self.max_body_bytes < 1024 {
            return Err(Error::InvalidConfig(format!(
                "max_body_bytes {} must be at least 1024",
                self.max_body_bytes
            )));
        }
        if self.flush_deadline == Some(Duration::ZERO) {
            return Err(Error::InvalidConfig("flush_deadline must be > 0".into()));
        }
        let counts = [
            (
                "max_samples_per_send",
                self.max_samples_per_send,
                1,
                1_000_000,
            ),
            ("max_in_flight", self.max_in_flight, 1, 64),
            (
                "max_pending_samples",
                self.max_pending_samples,
                1,
                usize::MAX,
            ),
        ];
        for (name, n, min, max) in counts {
            if n < min || n > max {
                return Err(Error::InvalidConfig(format!(
                    "{name} {n} must be between {min} and {max}"
                )));
            }
        }
        if self.target != Target::RemoteWrite && !self.more_urls.is_empty() {
            return Err(Error::InvalidConfig(format!(
                "several urls ({} and {}) need target remote_write: a pusher writes to one Pushgateway or one textfile",
                crate::transport::http::redact_url(&self.url),
                crate::transport::http::redact_url(&self.more_urls[0])
            )));
        }
        Ok(self)
    }

    /// [`resolved`](Self::resolved) with `PUSHMETRICS_*` variables taken from `vars`
    /// instead of the process environment (the last pair of a name wins, as in an
    /// environment): the parser's entry point for the fuzz target and tests, which must
    /// not change the process environment other threads read.
    pub(crate) fn resolved_with_env<K, V>(
        mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Result<PusherBuilder>
    where
        K: Into<String>,
        V: Into<String>,
    {
        let vars: std::collections::HashMap<String, String> = vars
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        self.apply_env(|k| vars.get(k).cloned())?;
        self.use_env = false;
        self.resolved()
    }

    /// Every receiver's URL: `url`, then those added with `add_url`.
    pub(crate) fn urls(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.url.as_str()).chain(self.more_urls.iter().map(String::as_str))
    }

    pub(crate) fn effective_flush_deadline(&self) -> Duration {
        self.flush_deadline
            .unwrap_or_else(|| self.interval.min(Duration::from_secs(10)))
    }

    /// Overrides options from `PUSHMETRICS_*` variables read through `get`.
    pub(crate) fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<()> {
        let var = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let bad = |name: &str, v: &str, want: &str| {
            Error::InvalidConfig(format!(
                "environment variable {name}={v:?}: expected {want}"
            ))
        };
        let dur = |name: &str| -> Result<Option<Duration>> {
            var(name)
                .map(|v| {
                    parse_duration(&v)
                        .ok_or_else(|| bad(name, &v, "a duration like 500ms, 10s, 2m or 2.5"))
                })
                .transpose()
        };
        let num = |name: &str| -> Result<Option<f64>> {
            var(name)
                .map(|v| {
                    v.trim()
                        .parse::<f64>()
                        .map_err(|_| bad(name, &v, "a number"))
                })
                .transpose()
        };
        let flag = |name: &str| -> Result<Option<bool>> {
            var(name)
                .map(|v| match v.trim().to_ascii_lowercase().as_str() {
                    "1" | "true" | "yes" | "on" => Ok(true),
                    "0" | "false" | "no" | "off" => Ok(false),
                    _ => Err(bad(name, &v, "true or false")),
                })
                .transpose()
        };
        if let Some(v) = var("PUSHMETRICS_TARGET") {
            self.target = Target::parse(&v)?;
        }
        if let Some(v) = var("PUSHMETRICS_URL").filter(|_| self.target == Target::Textfile) {
            // A file's path is taken whole: it may contain a comma.
            self.url = v.trim().to_owned();
            self.more_urls.clear();
        } else if let Some(v) = var("PUSHMETRICS_URL") {
            // Several receivers, for remote write: comma-separated.
            let mut urls = v.split(',').map(str::trim).filter(|u| !u.is_empty());
            self.url = urls.next().unwrap_or_default().to_owned();
            self.more_urls = urls.map(str::to_owned).collect();
        }
        if let Some(v) = var("PUSHMETRICS_JOB") {
            self.job = v;
        }
        if let Some(v) = var("PUSHMETRICS_GROUPING") {
            self.grouping.clear();
            for pair in v.split(',').filter(|p| !p.trim().is_empty()) {
                let (k, val) = pair
                    .split_once('=')
                    .ok_or_else(|| bad("PUSHMETRICS_GROUPING", &v, "name=value,name=value"))?;
                self.grouping.push((k.trim().to_owned(), val.to_owned()));
            }
        }
        if let Some(v) = var("PUSHMETRICS_METHOD") {
            self.method = Method::parse(&v)?;
        }
        if let Some(v) = var("PUSHMETRICS_FORMAT") {
            self.format = Format::parse(&v)?;
        }
        if let Some(v) = flag("PUSHMETRICS_GZIP")? {
            self.gzip = v;
        }
        if let Some(v) = dur("PUSHMETRICS_INTERVAL")? {
            self.interval = v;
        }
        if let Some(v) = num("PUSHMETRICS_JITTER")? {
            self.jitter = v;
        }
        if let Some(v) = dur("PUSHMETRICS_FLUSH_DEADLINE")? {
            self.flush_deadline = Some(v);
        }
        if let Some(v) = dur("PUSHMETRICS_CONNECT_TIMEOUT")? {
            self.http.connect_timeout = v;
        }
        if let Some(v) = dur("PUSHMETRICS_REQUEST_TIMEOUT")? {
            self.http.request_timeout = v;
        }
        if let Some(v) = num("PUSHMETRICS_MAX_ATTEMPTS")? {
            self.max_attempts = v as u32;
        }
        if let Some(v) = dur("PUSHMETRICS_BACKOFF_BASE")? {
            self.backoff_base = v;
        }
        if let Some(v) = dur("PUSHMETRICS_BACKOFF_MAX")? {
            self.backoff_max = v;
        }
        if let Some(v) = num("PUSHMETRICS_RETRY_BUDGET")? {
            self.retry_budget = v;
        }
        if let Some(v) = num("PUSHMETRICS_BREAKER_THRESHOLD")? {
            self.breaker_threshold = v as u32;
        }
        if let Some(v) = dur("PUSHMETRICS_BREAKER_OPEN")? {
            self.breaker_open = v;
        }
        if let Some(v) = num("PUSHMETRICS_MAX_BODY_BYTES")? {
            self.max_body_bytes = v as usize;
        }
        let count = |name: &str| -> Result<Option<usize>> {
            num(name)?
                .map(|n| {
                    if n >= 0.0 && n.fract() == 0.0 && n <= usize::MAX as f64 {
                        Ok(n as usize)
                    } else {
                        Err(bad(name, &var(name).unwrap_or_default(), "a whole number"))
                    }
                })
                .transpose()
        };
        if let Some(v) = count("PUSHMETRICS_MAX_SAMPLES_PER_SEND")? {
            self.max_samples_per_send = v;
        }
        if let Some(v) = count("PUSHMETRICS_MAX_IN_FLIGHT")? {
            self.max_in_flight = v;
        }
        if let Some(v) = count("PUSHMETRICS_MAX_PENDING_SAMPLES")? {
            self.max_pending_samples = v;
        }
        if let Some(v) = flag("PUSHMETRICS_STALENESS_MARKERS")? {
            self.staleness_markers = v;
        }
        if let Some(v) = flag("PUSHMETRICS_DELETE_ON_SHUTDOWN")? {
            self.delete_on_shutdown = v;
        }
        if let Some(v) = flag("PUSHMETRICS_SELF_METRICS")? {
            self.self_metrics = v;
        }
        if let Some(v) = dur("PUSHMETRICS_SHUTDOWN_TIMEOUT")? {
            self.shutdown_timeout = v;
        }
        if let Some(v) = var("PUSHMETRICS_BASIC_AUTH") {
            let (u, p) = v.split_once(':').ok_or_else(|| {
                Error::InvalidConfig("PUSHMETRICS_BASIC_AUTH: expected user:password".into())
            })?;
            self.http.basic_auth = Some((u.to_owned(), p.to_owned()));
        }
        if let Some(v) = var("PUSHMETRICS_BEARER_TOKEN") {
            self.http.bearer_token = Some(v);
        }
        if let Some(v) = var("PUSHMETRICS_HEADERS") {
            for h in v.split('\n').filter(|h| !h.trim().is_empty()) {
                let (k, val) = h.split_once(':').ok_or_else(|| {
                    Error::InvalidConfig("PUSHMETRICS_HEADERS: expected Name: value lines".into())
                })?;
                self.http
                    .headers
                    .push((k.trim().to_owned(), val.trim().to_owned()));
            }
        }
        if let Some(v) = var("PUSHMETRICS_CA_FILE") {
            self.http.ca_file = Some(v.into());
        }
        if let Some(v) = flag("PUSHMETRICS_CA_FILE_ONLY")? {
            self.http.ca_file_only = v;
        }
        if let Some(v) = var("PUSHMETRICS_CLIENT_CERT") {
            self.http.client_cert = Some(v.into());
        }
        if let Some(v) = var("PUSHMETRICS_CLIENT_KEY") {
            self.http.client_key = Some(v.into());
        }
        Ok(())
    }
}

/// `500ms`, `10s`, `2m`, `1h`, or a plain number of seconds (`2.5`).
pub(crate) fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let n: f64 = num.trim().parse().ok()?;
    let secs = match unit {
        "ms" => n / 1e3,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return None,
    };
    Duration::try_from_secs_f64(secs).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn environment_overrides_the_code() {
        let env: HashMap<&str, &str> = [
            ("PUSHMETRICS_URL", "http://other:9091"),
            ("PUSHMETRICS_JOB", "from_env"),
            ("PUSHMETRICS_GROUPING", "instance=a,zone=eu/1"),
            ("PUSHMETRICS_INTERVAL", "2500ms"),
            ("PUSHMETRICS_GZIP", "true"),
            ("PUSHMETRICS_METHOD", "post"),
            ("PUSHMETRICS_FORMAT", "protobuf"),
            ("PUSHMETRICS_CA_FILE", "/etc/private-ca.pem"),
            ("PUSHMETRICS_CA_FILE_ONLY", "yes"),
        ]
        .into();
        let mut b = PusherBuilder::new("http://code:9091").job("code");
        b.apply_env(|k| env.get(k).map(|v| v.to_string())).unwrap();
        assert_eq!(b.url, "http://other:9091");
        assert_eq!(b.job, "from_env");
        assert_eq!(
            b.grouping,
            vec![
                ("instance".into(), "a".into()),
                ("zone".into(), "eu/1".into())
            ]
        );
        assert_eq!(b.interval, Duration::from_millis(2500));
        assert!(b.gzip);
        assert_eq!(b.method, Method::Post);
        assert_eq!(b.format, Format::Protobuf);
        assert_eq!(b.http.ca_file, Some("/etc/private-ca.pem".into()));
        assert!(b.http.ca_file_only);
    }

    #[test]
    fn environment_chooses_remote_write_and_its_receivers() {
        let env: HashMap<&str, &str> = [
            ("PUSHMETRICS_TARGET", "remote_write"),
            (
                "PUSHMETRICS_URL",
                "http://prom:9090/api/v1/write, http://vm:8428/api/v1/write",
            ),
            ("PUSHMETRICS_MAX_SAMPLES_PER_SEND", "500"),
            ("PUSHMETRICS_MAX_IN_FLIGHT", "2"),
            ("PUSHMETRICS_MAX_PENDING_SAMPLES", "10000"),
            ("PUSHMETRICS_STALENESS_MARKERS", "false"),
        ]
        .into();
        let mut b = PusherBuilder::new("http://code:9091").job("j");
        b.apply_env(|k| env.get(k).map(|v| v.to_string())).unwrap();
        assert_eq!(b.target, Target::RemoteWrite);
        assert_eq!(
            b.urls().collect::<Vec<_>>(),
            [
                "http://prom:9090/api/v1/write",
                "http://vm:8428/api/v1/write"
            ]
        );
        assert_eq!(
            (
                b.max_samples_per_send,
                b.max_in_flight,
                b.max_pending_samples
            ),
            (500, 2, 10000)
        );
        assert!(!b.staleness_markers);
        let e = PusherBuilder::new("http://x:1")
            .job("j")
            .apply_env(|k| (k == "PUSHMETRICS_MAX_IN_FLIGHT").then(|| "2.5".to_string()))
            .unwrap_err();
        assert!(e.to_string().contains("2.5"), "{e}");
        let e = PusherBuilder::new("http://x:1")
            .job("j")
            .apply_env(|k| (k == "PUSHMETRICS_TARGET").then(|| "kafka".to_string()))
            .unwrap_err();
        assert!(e.to_string().contains("kafka"), "{e}");
    }

    #[test]
    fn environment_chooses_the_textfile_target_without_a_job() {
        let b = PusherBuilder::new("http://code:9091")
            .resolved_with_env([
                ("PUSHMETRICS_TARGET", "textfile"),
                (
                    "PUSHMETRICS_URL",
                    "/var/lib/node_exporter/textfile/a,b.prom",
                ),
            ])
            .unwrap();
        assert_eq!(b.target, Target::Textfile);
        assert_eq!(
            b.urls().collect::<Vec<_>>(),
            ["/var/lib/node_exporter/textfile/a,b.prom"]
        );
        assert_eq!(Target::parse("Text-File").unwrap(), Target::Textfile);
        assert_eq!(Target::Textfile.as_str(), "textfile");
        let e = PusherBuilder::new("/x.prom")
            .resolved_with_env([("PUSHMETRICS_TARGET", "pushgateway")])
            .unwrap_err();
        assert!(e.to_string().contains("job"), "{e}");
    }

    #[test]
    fn bad_environment_values_name_the_variable_and_value() {
        let mut b = PusherBuilder::new("http://x:1").job("j");
        let e = b
            .apply_env(|k| (k == "PUSHMETRICS_INTERVAL").then(|| "soon".to_string()))
            .unwrap_err();
        assert!(e.to_string().contains("PUSHMETRICS_INTERVAL") && e.to_string().contains("soon"));
    }

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("2.5"), Some(Duration::from_millis(2500)));
        assert_eq!(parse_duration("1m"), Some(Duration::from_secs(60)));
        assert_eq!(parse_duration("-1"), None);
        assert_eq!(parse_duration("3 weeks"), None);
    }

    #[test]
    fn durations_beyond_a_year_are_refused() {
        let year = Duration::from_secs(365 * 24 * 3600);
        let ok = PusherBuilder::new("http://x:1").job("j").ignore_env();
        assert!(ok.clone().interval(year).resolved().is_ok());
        let e = ok
            .clone()
            .interval(year + Duration::from_secs(1))
            .resolved()
            .unwrap_err();
        assert!(e.to_string().contains("interval"), "{e}");
        assert!(ok.clone().breaker_open(Duration::MAX).resolved().is_err());
        let e = ok
            .resolved_with_env([("PUSHMETRICS_SHUTDOWN_TIMEOUT", "9000000000000000000")])
            .unwrap_err();
        assert!(e.to_string().contains("shutdown_timeout"), "{e}");
    }

    #[test]
    fn job_is_required_and_options_are_checked() {
        let e = PusherBuilder::new("http://x:1")
            .ignore_env()
            .resolved()
            .unwrap_err();
        assert!(e.to_string().contains("job"));
        assert!(PusherBuilder::new("http://x:1")
            .job("j")
            .ignore_env()
            .jitter(2.0)
            .resolved()
            .is_err());
        assert!(PusherBuilder::new("http://x:1")
            .job("j")
            .ignore_env()
            .max_attempts(0)
            .resolved()
            .is_err());
        assert!(PusherBuilder::new("http://x:1")
            .job("j")
            .ignore_env()
            .interval(Duration::ZERO)
            .resolved()
            .is_err());
    }
}
