//! Pushing: the background `Pusher` of the core (its thread is a Rust thread, so it never
//! keeps the process alive), to a Pushgateway or to remote-write receivers, and one-shot
//! pushes and deletes for prom-client's `Pushgateway`. Everything that waits on the network
//! runs as an `AsyncTask` on a libuv worker thread; the promise resolves with the result or
//! with the core's error as an `Error` object, which `index.js` throws (a task cannot reject
//! with its own code).

use crate::cells;
use crate::errors::{self, Result};
use crate::registry::{millis, NativeRegistry};
use napi::bindgen_prelude::*;
use napi::{Env, JsUnknown, NapiValue};
use pushmetrics::{Format, Method, Pusher, PusherBuilder, Registry, Target};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// HTTP basic authentication.
#[napi(object)]
pub struct BasicAuth {
    pub username: String,
    pub password: String,
}

/// Every option of the core's `PusherBuilder`, camelCase, durations in milliseconds.
#[napi(object)]
pub struct PusherOptions {
    /// One URL, or for remote write a list: the first is `url`, the others `add_url`.
    pub url: Either<String, Vec<String>>,
    pub target: Option<String>,
    pub job: Option<String>,
    pub groupings: Option<HashMap<String, String>>,
    pub method: Option<String>,
    pub format: Option<String>,
    pub gzip: Option<bool>,
    pub interval_ms: Option<f64>,
    pub jitter: Option<f64>,
    pub flush_deadline_ms: Option<f64>,
    pub connect_timeout_ms: Option<f64>,
    pub request_timeout_ms: Option<f64>,
    pub max_attempts: Option<u32>,
    pub backoff_base_ms: Option<f64>,
    pub backoff_max_ms: Option<f64>,
    pub retry_budget: Option<f64>,
    pub breaker_threshold: Option<u32>,
    pub breaker_open_ms: Option<f64>,
    pub max_body_bytes: Option<f64>,
    pub max_samples_per_send: Option<f64>,
    pub max_in_flight: Option<f64>,
    pub max_pending_samples: Option<f64>,
    pub staleness_markers: Option<bool>,
    pub delete_on_shutdown: Option<bool>,
    pub self_metrics: Option<bool>,
    pub shutdown_timeout_ms: Option<f64>,
    pub basic_auth: Option<BasicAuth>,
    pub bearer_token: Option<String>,
    pub headers: Option<HashMap<String, String>>,
    pub ca_file: Option<String>,
    pub ca_file_only: Option<bool>,
    pub client_cert: Option<String>,
    pub client_key: Option<String>,
    pub ignore_env: Option<bool>,
}

/// A count option as the core's `usize`. JS has only doubles, and napi's integer conversions
/// would silently wrap -1 or cut 1.5; the core checks the range.
fn count(name: &str, n: f64) -> Result<usize> {
    if !(n >= 0.0 && n.is_finite() && n.fract() == 0.0) {
        return Err(errors::config(format!(
            "{name} {n} must be a whole number >= 0"
        )));
    }
    Ok(n as usize)
}

/// The core builder for `o`, and the shutdown timeout (also the default wait of `flush`).
fn builder(o: PusherOptions) -> Result<(PusherBuilder, Duration)> {
    let (first, more) = match &o.url {
        Either::A(url) => (url.as_str(), &[][..]),
        Either::B(urls) => match urls.split_first() {
            Some((first, more)) => (first.as_str(), more),
            None => return Err(errors::config("url [] names no receiver".into())),
        },
    };
    let mut b = Pusher::builder(first);
    for url in more {
        b = b.add_url(url);
    }
    if let Some(t) = &o.target {
        b = b.target(errors::core(Target::parse(t))?);
    }
    if let Some(j) = &o.job {
        b = b.job(j);
    }
    let mut groupings: Vec<_> = o.groupings.iter().flatten().collect();
    groupings.sort();
    for (n, v) in groupings {
        b = b.grouping(n, v);
    }
    if let Some(m) = &o.method {
        b = b.method(errors::core(Method::parse(m))?);
    }
    if let Some(f) = &o.format {
        b = b.format(errors::core(Format::parse(f))?);
    }
    if let Some(g) = o.gzip {
        b = b.gzip(g);
    }
    if let Some(ms) = o.interval_ms {
        b = b.interval(millis("intervalMs", ms)?);
    }
    if let Some(j) = o.jitter {
        b = b.jitter(j);
    }
    if let Some(ms) = o.flush_deadline_ms {
        b = b.flush_deadline(millis("flushDeadlineMs", ms)?);
    }
    if let Some(ms) = o.connect_timeout_ms {
        b = b.connect_timeout(millis("connectTimeoutMs", ms)?);
    }
    if let Some(ms) = o.request_timeout_ms {
        b = b.request_timeout(millis("requestTimeoutMs", ms)?);
    }
    if let Some(n) = o.max_attempts {
        b = b.max_attempts(n);
    }
    if let Some(ms) = o.backoff_base_ms {
        b = b.backoff_base(millis("backoffBaseMs", ms)?);
    }
    if let Some(ms) = o.backoff_max_ms {
        b = b.backoff_max(millis("backoffMaxMs", ms)?);
    }
    if let Some(f) = o.retry_budget {
        b = b.retry_budget(f);
    }
    if let Some(n) = o.breaker_threshold {
        b = b.breaker_threshold(n);
    }
    if let Some(ms) = o.breaker_open_ms {
        b = b.breaker_open(millis("breakerOpenMs", ms)?);
    }
    if let Some(n) = o.max_body_bytes {
        if !(n >= 0.0 && n.is_finite()) {
            return Err(errors::config(format!(
                "maxBodyBytes {n} must be a number of bytes"
            )));
        }
        b = b.max_body_bytes(n as usize);
    }
    if let Some(n) = o.max_samples_per_send {
        b = b.max_samples_per_send(count("maxSamplesPerSend", n)?);
    }
    if let Some(n) = o.max_in_flight {
        b = b.max_in_flight(count("maxInFlight", n)?);
    }
    if let Some(n) = o.max_pending_samples {
        b = b.max_pending_samples(count("maxPendingSamples", n)?);
    }
    if let Some(on) = o.staleness_markers {
        b = b.staleness_markers(on);
    }
    if let Some(d) = o.delete_on_shutdown {
        b = b.delete_on_shutdown(d);
    }
    if let Some(s) = o.self_metrics {
        b = b.self_metrics(s);
    }
    let shutdown_timeout = match o.shutdown_timeout_ms {
        Some(ms) => millis("shutdownTimeoutMs", ms)?,
        None => Duration::from_secs(5),
    };
    b = b.shutdown_timeout(shutdown_timeout);
    if let Some(a) = &o.basic_auth {
        b = b.basic_auth(&a.username, &a.password);
    }
    if let Some(t) = &o.bearer_token {
        b = b.bearer_token(t);
    }
    let mut headers: Vec<_> = o.headers.iter().flatten().collect();
    headers.sort();
    for (n, v) in headers {
        b = b.header(n, v);
    }
    if let Some(f) = &o.ca_file {
        b = b.ca_file(f);
    }
    if let Some(on) = o.ca_file_only {
        b = b.ca_file_only(on);
    }
    match (&o.client_cert, &o.client_key) {
        (Some(c), Some(k)) => b = b.client_cert(c, k),
        (None, None) => {}
        _ => {
            return Err(errors::config(
                "clientCert and clientKey must be given together".into(),
            ))
        }
    }
    if o.ignore_env == Some(true) {
        b = b.ignore_env();
    }
    Ok((b, shutdown_timeout))
}

/// What one flush delivered.
#[napi(object)]
pub struct FlushReport {
    pub requests: u32,
    pub bytes: f64,
    pub series: f64,
    pub duration_ms: f64,
}

impl From<pushmetrics::FlushReport> for FlushReport {
    fn from(r: pushmetrics::FlushReport) -> Self {
        FlushReport {
            requests: r.requests,
            bytes: r.bytes as f64,
            series: r.series as f64,
            duration_ms: r.duration.as_secs_f64() * 1e3,
        }
    }
}

/// Unix time in milliseconds, as `Date.now()`.
fn unix_ms(t: SystemTime) -> f64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1e3)
}

/// A pusher's health (the core's `Stats`).
#[napi(object)]
pub struct PusherStats {
    pub pushes_ok: f64,
    pub pushes_failed: f64,
    pub requests: f64,
    pub retries: f64,
    pub retries_denied: f64,
    pub flushes_skipped: f64,
    /// Unix time of the last successful flush, in milliseconds.
    pub last_success_ms: Option<f64>,
    pub last_error: Option<String>,
    pub consecutive_failures: u32,
    /// `closed`, `open` or `half_open`.
    pub breaker: String,
    pub series: f64,
    pub overflowed: f64,
    pub evicted: f64,
    pub sampled_out: f64,
    pub queue_length: f64,
    pub bytes_sent: f64,
    pub last_push_duration_ms: Option<f64>,
    pub samples_sent: f64,
    pub samples_dropped: f64,
    pub samples_rejected: f64,
    pub samples_pending: f64,
    /// Remote write: one entry per receiver, in the order of the URLs.
    pub receivers: Vec<ReceiverStats>,
}

impl From<pushmetrics::Stats> for PusherStats {
    fn from(s: pushmetrics::Stats) -> Self {
        PusherStats {
            pushes_ok: s.pushes_ok as f64,
            pushes_failed: s.pushes_failed as f64,
            requests: s.requests as f64,
            retries: s.retries as f64,
            retries_denied: s.retries_denied as f64,
            flushes_skipped: s.flushes_skipped as f64,
            last_success_ms: s.last_success.map(unix_ms),
            last_error: s.last_error,
            consecutive_failures: s.consecutive_failures,
            breaker: s.breaker.as_str().to_owned(),
            series: s.series as f64,
            overflowed: s.overflowed as f64,
            evicted: s.evicted as f64,
            sampled_out: s.sampled_out as f64,
            queue_length: s.queue_length as f64,
            bytes_sent: s.bytes_sent as f64,
            last_push_duration_ms: s.last_push_duration.map(|d| d.as_secs_f64() * 1e3),
            samples_sent: s.samples_sent as f64,
            samples_dropped: s.samples_dropped as f64,
            samples_rejected: s.samples_rejected as f64,
            samples_pending: s.samples_pending as f64,
            receivers: s.receivers.into_iter().map(ReceiverStats::from).collect(),
        }
    }
}

/// One remote-write receiver's health (the core's `ReceiverStats`).
#[napi(object)]
pub struct ReceiverStats {
    /// The write URL, credentials removed.
    pub url: String,
    pub requests: f64,
    pub retries: f64,
    pub retries_denied: f64,
    pub samples_sent: f64,
    pub samples_dropped: f64,
    pub samples_rejected: f64,
    pub samples_pending: f64,
    pub bytes_sent: f64,
    /// Unix time of the last successful request, in milliseconds.
    pub last_success_ms: Option<f64>,
    pub last_error: Option<String>,
    pub consecutive_failures: u32,
    /// `closed`, `open` or `half_open`.
    pub breaker: String,
}

impl From<pushmetrics::ReceiverStats> for ReceiverStats {
    fn from(r: pushmetrics::ReceiverStats) -> Self {
        ReceiverStats {
            url: r.url,
            requests: r.requests as f64,
            retries: r.retries as f64,
            retries_denied: r.retries_denied as f64,
            samples_sent: r.samples_sent as f64,
            samples_dropped: r.samples_dropped as f64,
            samples_rejected: r.samples_rejected as f64,
            samples_pending: r.samples_pending as f64,
            bytes_sent: r.bytes_sent as f64,
            last_success_ms: r.last_success.map(unix_ms),
            last_error: r.last_error,
            consecutive_failures: r.consecutive_failures,
            breaker: r.breaker.as_str().to_owned(),
        }
    }
}

/// A background pusher of one registry.
#[napi]
pub struct NativePusher {
    p: Arc<Pusher>,
    shutdown_timeout: Duration,
}

fn timeout(ms: Option<f64>, default: Duration) -> Result<Duration> {
    ms.map_or(Ok(default), |ms| millis("timeoutMs", ms))
}

#[napi]
impl NativePusher {
    #[napi(constructor)]
    pub fn new(registry: &NativeRegistry, options: PusherOptions) -> Result<Self> {
        let (b, shutdown_timeout) = builder(options)?;
        Ok(NativePusher {
            p: Arc::new(errors::core(b.start(&registry.inner))?),
            shutdown_timeout,
        })
    }

    /// Pushes now; resolves once everything recorded before the call is delivered.
    #[napi(ts_return_type = "Promise<FlushReport | Error>")]
    pub fn flush(&self, timeout_ms: Option<f64>) -> Result<AsyncTask<Wait>> {
        cells::drain();
        Ok(AsyncTask::new(Wait {
            p: self.p.clone(),
            timeout: timeout(timeout_ms, self.shutdown_timeout)?,
            shutdown: false,
        }))
    }

    /// Final flush (and DELETE if configured), then stops the thread. Idempotent.
    #[napi(ts_return_type = "Promise<FlushReport | Error>")]
    pub fn shutdown(&self, timeout_ms: Option<f64>) -> Result<AsyncTask<Wait>> {
        cells::drain();
        Ok(AsyncTask::new(Wait {
            p: self.p.clone(),
            timeout: timeout(timeout_ms, self.shutdown_timeout)?,
            shutdown: true,
        }))
    }

    /// `shutdown` on the calling thread, for `process.on('exit')`, where nothing async runs.
    #[napi]
    pub fn shutdown_sync(&self, timeout_ms: Option<f64>) -> Result<()> {
        cells::drain();
        errors::core(self.p.shutdown(timeout(timeout_ms, self.shutdown_timeout)?))
    }

    #[napi]
    pub fn stats(&self) -> PusherStats {
        self.p.stats().into()
    }

    #[napi]
    pub fn healthy(&self) -> bool {
        self.p.healthy()
    }

    #[napi]
    pub fn is_shut_down(&self) -> bool {
        self.p.is_shut_down()
    }

    /// The group URL (remote write: the first receiver's), credentials removed.
    #[napi]
    pub fn url(&self) -> String {
        self.p.url()
    }
}

/// A flush or shutdown waited for on a libuv worker thread.
pub struct Wait {
    p: Arc<Pusher>,
    timeout: Duration,
    shutdown: bool,
}

impl Task for Wait {
    type Output = pushmetrics::Result<Option<pushmetrics::FlushReport>>;
    type JsValue = JsUnknown;
    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(if self.shutdown {
            self.p.shutdown(self.timeout).map(|_| None)
        } else {
            self.p.flush(self.timeout).map(Some)
        })
    }
    fn resolve(&mut self, env: Env, out: Self::Output) -> napi::Result<JsUnknown> {
        settle(env, out.map(|r| r.map(FlushReport::from)))
    }
}

fn settle<T: ToNapiValue>(env: Env, out: pushmetrics::Result<T>) -> napi::Result<JsUnknown> {
    match out {
        // SAFETY: `env` is the live environment of the completing task.
        Ok(v) => unsafe {
            let raw = T::to_napi_value(env.raw(), v)?;
            Ok(JsUnknown::from_raw_unchecked(env.raw(), raw))
        },
        Err(e) => errors::value(env, e),
    }
}

/// One push (`PUT` for `push`, `POST` for `pushAdd`) or delete, on a libuv worker thread.
pub struct Once {
    b: Option<PusherBuilder>,
    registry: Option<Registry>,
}

impl Task for Once {
    type Output = pushmetrics::Result<Option<pushmetrics::FlushReport>>;
    type JsValue = JsUnknown;
    fn compute(&mut self) -> napi::Result<Self::Output> {
        let b = self.b.take().expect("a task runs once");
        Ok(match &self.registry {
            Some(r) => {
                cells::drain();
                b.push_once(r).map(Some)
            }
            None => b.delete_once().map(|_| None),
        })
    }
    fn resolve(&mut self, env: Env, out: Self::Output) -> napi::Result<JsUnknown> {
        settle(env, out.map(|r| r.map(FlushReport::from)))
    }
}

/// Pushes `registry` once to the group of `options` (prom-client's `push` / `pushAdd`).
#[napi(ts_return_type = "Promise<FlushReport | Error>")]
pub fn push_once(registry: &NativeRegistry, options: PusherOptions) -> Result<AsyncTask<Once>> {
    let (b, _) = builder(options)?;
    Ok(AsyncTask::new(Once {
        b: Some(b),
        registry: Some(registry.inner.clone()),
    }))
}

/// Deletes the group of `options` once (prom-client's `delete`).
#[napi(ts_return_type = "Promise<null | Error>")]
pub fn delete_once(options: PusherOptions) -> Result<AsyncTask<Once>> {
    let (b, _) = builder(options)?;
    Ok(AsyncTask::new(Once {
        b: Some(b),
        registry: None,
    }))
}
