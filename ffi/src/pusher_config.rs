//! The pusher's options in C: one opaque object with one setter per `PusherBuilder` option.
//! Setters are recorded and replayed onto a fresh builder at start, so the URL may be set
//! at any point and one config may start any number of pushers.

use crate::error::{pm_status, Failure};
use crate::ffi::{arg_str, Out};
use crate::handle::{handle, live, live_mut, new_handle, release, Tagged};
use crate::panic::guard;
use pushmetrics_core::{Format, Method, Pusher, PusherBuilder, Target};
use std::ffi::c_char;
use std::sync::Arc;
use std::time::Duration;

type Setter = Arc<dyn Fn(PusherBuilder) -> PusherBuilder + Send + Sync>;

/// Every option of a pusher. Create with `pm_pusher_config_new`, fill with the
/// `pm_pusher_config_set_*` / `_add_*` functions, pass to `pm_pusher_start` (or
/// `pm_pusher_config_push_once`), release with `pm_pusher_config_free`. The config is not
/// consumed: free it whenever you like, even while its pushers run. Setters only record
/// the value; everything is checked when a pusher starts (PM_ERR_INVALID_CONFIG naming the
/// option). `PUSHMETRICS_*` environment variables override the code unless
/// `pm_pusher_config_ignore_env` was called. Not thread-safe: do not change one config from
/// two threads at once.
pub struct pm_pusher_config(Tagged<PusherConfig>);

handle!(pm_pusher_config, PusherConfig, PusherConfig);

/// What a `pm_pusher_config` holds: the URL and the recorded setters.
#[derive(Default)]
pub(crate) struct PusherConfig {
    url: String,
    setters: Vec<Setter>,
}

impl PusherConfig {
    /// A core builder with every recorded option applied in order.
    pub(crate) fn builder(&self) -> PusherBuilder {
        self.setters
            .iter()
            .fold(Pusher::builder(&self.url), |b, f| f(b))
    }
}

/// New pusher options with the defaults (PUT, text, 10 s interval, ...). A URL and a job
/// are required before start. `*out` receives an object to release with
/// `pm_pusher_config_free`.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_new(out: *mut *mut pm_pusher_config) -> pm_status {
    guard(|| {
        Out::new(out, "out")?.write(new_handle::<pm_pusher_config>(PusherConfig::default()));
        Ok(())
    })
}

/// Releases pusher options; pushers started from them keep running. NULL is ignored.
#[no_mangle]
pub extern "C" fn pm_pusher_config_free(config: *mut pm_pusher_config) {
    release(config, "config")
}

fn record(
    config: *mut pm_pusher_config,
    f: impl Fn(PusherBuilder) -> PusherBuilder + Send + Sync + 'static,
) -> Result<(), Failure> {
    live_mut(config, "config")?.setters.push(Arc::new(f));
    Ok(())
}

fn set(
    config: *mut pm_pusher_config,
    f: impl Fn(PusherBuilder) -> PusherBuilder + Send + Sync + 'static,
) -> pm_status {
    guard(|| record(config, f))
}

fn text(p: *const c_char, name: &str) -> Result<String, Failure> {
    Ok(arg_str(p, name)?.to_owned())
}

/// Where to push (required). For the Pushgateway its base URL, `http://host:port` or
/// `https://host:port[/prefix]`; for remote write the first receiver's full write endpoint,
/// e.g. `http://prometheus:9090/api/v1/write`. Replaces the URL set before, but keeps the
/// receivers added with `pm_pusher_config_add_url`.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_set_url(
    config: *mut pm_pusher_config,
    url: *const c_char,
) -> pm_status {
    guard(|| {
        let url = text(url, "url")?;
        live_mut(config, "config")?.url = url;
        Ok(())
    })
}

/// "pushgateway" (the default), "remote_write" (Prometheus remote write 1.0 to the URL
/// and to every URL added with `pm_pusher_config_add_url`) or "textfile" (the URL is a file
/// path, plain or `file:///...`, rewritten atomically at every interval and at shutdown for
/// node_exporter's textfile collector; no job needed), any case.
/// PM_ERR_INVALID_CONFIG naming the value otherwise.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_set_target(
    config: *mut pm_pusher_config,
    target: *const c_char,
) -> pm_status {
    guard(|| {
        let t = Target::parse(arg_str(target, "target")?)?;
        record(config, move |b| b.target(t))
    })
}

/// Remote write only: one more receiver's full write endpoint, written to at the same time
/// as the URL and the others (replication, migration). Each receiver has its own queue,
/// retries, circuit breaker and stats (`pm_pusher_receiver_stats`), so a dead one never
/// delays the others. With target "pushgateway", `pm_pusher_start` refuses added URLs
/// (PM_ERR_INVALID_CONFIG).
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_add_url(
    config: *mut pm_pusher_config,
    url: *const c_char,
) -> pm_status {
    guard(|| {
        let url = text(url, "url")?;
        record(config, move |b| b.add_url(&url))
    })
}

/// The job name (required): the first part of the Pushgateway group; for remote write, the
/// `job` label of every series.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_set_job(
    config: *mut pm_pusher_config,
    job: *const c_char,
) -> pm_status {
    guard(|| {
        let job = text(job, "job")?;
        record(config, move |b| b.job(&job))
    })
}

/// Adds the grouping label `name="value"` to the group (any UTF-8 value; sent
/// base64url-encoded); for remote write, a label of every series.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_add_grouping(
    config: *mut pm_pusher_config,
    name: *const c_char,
    value: *const c_char,
) -> pm_status {
    guard(|| {
        let (name, value) = (text(name, "name")?, text(value, "value")?);
        record(config, move |b| b.grouping(&name, &value))
    })
}

/// "PUT" (replace the whole group, the default) or "POST" (replace only the pushed
/// families), any case. PM_ERR_INVALID_CONFIG otherwise.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_set_method(
    config: *mut pm_pusher_config,
    method: *const c_char,
) -> pm_status {
    guard(|| {
        let m = Method::parse(arg_str(method, "method")?)?;
        record(config, move |b| b.method(m))
    })
}

/// "text" (the default) or "protobuf", any case. PM_ERR_INVALID_CONFIG otherwise.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_set_format(
    config: *mut pm_pusher_config,
    format: *const c_char,
) -> pm_status {
    guard(|| {
        let f = Format::parse(arg_str(format, "format")?)?;
        record(config, move |b| b.format(f))
    })
}

/// Compress request bodies with gzip (default false).
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_set_gzip(config: *mut pm_pusher_config, on: bool) -> pm_status {
    set(config, move |b| b.gzip(on))
}

/// Time between pushes in milliseconds (default 10000).
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_set_interval_ms(
    config: *mut pm_pusher_config,
    ms: u64,
) -> pm_status {
    set(config, move |b| b.interval(Duration::from_millis(ms)))
}

/// Random delay of the first push as a fraction of the interval, 0..1 (default 0.1), so a
/// fleet started together does not push in lock-step.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_set_jitter(
    config: *mut pm_pusher_config,
    fraction: f64,
) -> pm_status {
    set(config, move |b| b.jitter(fraction))
}

/// Time one flush may take, retries included, in milliseconds (default min(interval, 10 s)).
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_set_flush_deadline_ms(
    config: *mut pm_pusher_config,
    ms: u64,
) -> pm_status {
    set(config, move |b| b.flush_deadline(Duration::from_millis(ms)))
}

/// Time to establish a connection in milliseconds (default 2000).
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_set_connect_timeout_ms(
    config: *mut pm_pusher_config,
    ms: u64,
) -> pm_status {
    set(config, move |b| {
        b.connect_timeout(Duration::from_millis(ms))
    })
}

/// Time one request may take in milliseconds (default 5000).
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_set_request_timeout_ms(
    config: *mut pm_pusher_config,
    ms: u64,
) -> pm_status {
    set(config, move |b| {
        b.request_timeout(Duration::from_millis(ms))
    })
}

/// Attempts per request, the first included (default 3; at least 1).
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_set_max_attempts(
    config: *mut pm_pusher_config,
    n: u32,
) -> pm_status {
    set(config, move |b| b.max_attempts(n))
}

/// Backoff before the first retry in milliseconds (default 100); doubles per retry, with
/// full jitter.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_set_backoff_base_ms(
    config: *mut pm_pusher_config,
    ms: u64,
) -> pm_status {
    set(config, move |b| b.backoff_base(Duration::from_millis(ms)))
}

/// Longest backoff between retries in milliseconds (default 5000).
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_set_backoff_max_ms(
    config: *mut pm_pusher_config,
    ms: u64,
) -> pm_status {
    set(config, move |b| b.backoff_max(Duration::from_millis(ms)))
}

/// Retries allowed as a fraction of requests (default 0.2), so a fleet cannot storm a
/// struggling gateway.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_set_retry_budget(
    config: *mut pm_pusher_config,
    fraction: f64,
) -> pm_status {
    set(config, move |b| b.retry_budget(fraction))
}

/// Consecutive failed flushes that open the circuit breaker (default 5; 0 = never).
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_set_breaker_threshold(
    config: *mut pm_pusher_config,
    n: u32,
) -> pm_status {
    set(config, move |b| b.breaker_threshold(n))
}

/// How long the open breaker waits before one probe, in milliseconds (default 30000;
/// doubles per failed probe, up to 8x).
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_set_breaker_open_ms(
    config: *mut pm_pusher_config,
    ms: u64,
) -> pm_status {
    set(config, move |b| b.breaker_open(Duration::from_millis(ms)))
}

/// Largest request body in bytes (default 16 MiB, at least 1024); bigger pushes are split
/// between metric families.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_set_max_body_bytes(
    config: *mut pm_pusher_config,
    n: usize,
) -> pm_status {
    set(config, move |b| b.max_body_bytes(n))
}

/// Remote write only: most samples in one request (default 2000, 1 to 1000000).
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_set_max_samples_per_send(
    config: *mut pm_pusher_config,
    n: usize,
) -> pm_status {
    set(config, move |b| b.max_samples_per_send(n))
}

/// Remote write only: requests in flight at once per receiver (default 4, 1 to 64). The
/// samples of one series always travel in the same lane, so they arrive in time order.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_set_max_in_flight(
    config: *mut pm_pusher_config,
    n: usize,
) -> pm_status {
    set(config, move |b| b.max_in_flight(n))
}

/// Remote write only: samples held per receiver while it cannot take them (default
/// 500000, at least 1), so an outage cannot grow memory without bound. Past it the oldest
/// requests are dropped and counted in `pm_stats.samples_dropped`.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_set_max_pending_samples(
    config: *mut pm_pusher_config,
    n: usize,
) -> pm_status {
    set(config, move |b| b.max_pending_samples(n))
}

/// Remote write only: at shutdown, after the final write, end every written series with a
/// Prometheus staleness marker (default true), so a finished job's series stop at once
/// instead of lingering in queries for the 5-minute lookback.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_set_staleness_markers(
    config: *mut pm_pusher_config,
    on: bool,
) -> pm_status {
    set(config, move |b| b.staleness_markers(on))
}

/// Delete the group from the gateway at shutdown (default false).
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_set_delete_on_shutdown(
    config: *mut pm_pusher_config,
    on: bool,
) -> pm_status {
    set(config, move |b| b.delete_on_shutdown(on))
}

/// Push the pushmetrics_* self-metrics too (default true).
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_set_self_metrics(
    config: *mut pm_pusher_config,
    on: bool,
) -> pm_status {
    set(config, move |b| b.self_metrics(on))
}

/// Bound of the final flush when a pusher is freed without `pm_pusher_shutdown`, in
/// milliseconds (default 5000).
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_set_shutdown_timeout_ms(
    config: *mut pm_pusher_config,
    ms: u64,
) -> pm_status {
    set(config, move |b| {
        b.shutdown_timeout(Duration::from_millis(ms))
    })
}

/// HTTP basic authentication with `user` and `password` (never logged).
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_set_basic_auth(
    config: *mut pm_pusher_config,
    user: *const c_char,
    password: *const c_char,
) -> pm_status {
    guard(|| {
        let (u, p) = (text(user, "user")?, text(password, "password")?);
        record(config, move |b| b.basic_auth(&u, &p))
    })
}

/// Sends `Authorization: Bearer <token>` (never logged).
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_set_bearer_token(
    config: *mut pm_pusher_config,
    token: *const c_char,
) -> pm_status {
    guard(|| {
        let t = text(token, "token")?;
        record(config, move |b| b.bearer_token(&t))
    })
}

/// Adds the header `name: value` to every request.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_add_header(
    config: *mut pm_pusher_config,
    name: *const c_char,
    value: *const c_char,
) -> pm_status {
    guard(|| {
        let (n, v) = (text(name, "name")?, text(value, "value")?);
        record(config, move |b| b.header(&n, &v))
    })
}

/// PEM file of CA certificates to trust in addition to the host's store (the system CAs,
/// as OpenSSL finds them: SSL_CERT_FILE and SSL_CERT_DIR are honoured). Read at start.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_set_ca_file(
    config: *mut pm_pusher_config,
    path: *const c_char,
) -> pm_status {
    guard(|| {
        let p = text(path, "path")?;
        record(config, move |b| b.ca_file(p.clone()))
    })
}

/// Trust only the CAs of the ca_file, not the host's store (default false). Needs
/// pm_pusher_config_set_ca_file; without it pm_pusher_start fails with PM_ERR_INVALID_CONFIG.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_set_ca_file_only(
    config: *mut pm_pusher_config,
    on: bool,
) -> pm_status {
    set(config, move |b| b.ca_file_only(on))
}

/// PEM files of a client certificate and its key, for mutual TLS (read at start).
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_set_client_cert(
    config: *mut pm_pusher_config,
    cert_path: *const c_char,
    key_path: *const c_char,
) -> pm_status {
    guard(|| {
        let (c, k) = (text(cert_path, "cert_path")?, text(key_path, "key_path")?);
        record(config, move |b| b.client_cert(c.clone(), k.clone()))
    })
}

/// Do not read the PUSHMETRICS_* environment variables (by default they override the
/// options set in code, so an operator can redirect or tune a binary without rebuilding).
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_ignore_env(config: *mut pm_pusher_config) -> pm_status {
    set(config, PusherBuilder::ignore_env)
}

/// Pushes `registry` once, now, on the calling thread, with the same retries and deadline
/// as a background flush, for programs that push once at the end. `report` may be NULL;
/// otherwise set `report->size = sizeof(pm_flush_report)` first. Blocks up to the flush
/// deadline. PM_ERR_PUSH if the push failed. Thread-safe with respect to the registry.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_push_once(
    config: *const pm_pusher_config,
    registry: *const crate::registry::pm_registry,
    report: *mut crate::stats::pm_flush_report,
) -> pm_status {
    guard(|| {
        let b = live(config, "config")?.builder();
        let r = live(registry, "registry")?;
        let rep = b.push_once(r)?;
        crate::stats::write_report(report, &rep)
    })
}

/// Deletes the group (job plus grouping labels) from the gateway, now, on the calling
/// thread. Blocks up to the flush deadline.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_pusher_config_delete_once(config: *const pm_pusher_config) -> pm_status {
    guard(|| {
        live(config, "config")?.builder().delete_once()?;
        Ok(())
    })
}
