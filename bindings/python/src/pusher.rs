//! `Pusher` (the background push thread), `Stats`, `ReceiverStats`, `FlushReport`, and
//! prometheus_client's `push_to_gateway` / `pushadd_to_gateway` / `delete_from_gateway` on
//! the core's `push_once` / `delete_once`. Every wait on the network happens with the GIL
//! released.

use crate::convert::{seconds, utf8, Pairs};
use crate::errors::{Class, OrRaise};
use crate::registry::RegistryArg;
use pushmetrics::{Format, Method, PusherBuilder, Target};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// Every pusher not shut down. Held strongly: like a thread, a pusher runs until
/// `shutdown()` or interpreter exit, whether or not the application keeps the object.
static LIVE: Mutex<Vec<Arc<pushmetrics::Pusher>>> = Mutex::new(Vec::new());

fn live() -> std::sync::MutexGuard<'static, Vec<Arc<pushmetrics::Pusher>>> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Shuts every live pusher down, in parallel, each within its own shutdown timeout (as the
/// core resolved it, `PUSHMETRICS_SHUTDOWN_TIMEOUT` included): the `atexit` hook of the
/// package, and the exit path of a multiprocessing child.
#[pyfunction]
pub(crate) fn _shutdown_all(py: Python<'_>) {
    let all = std::mem::take(&mut *live());
    py.detach(|| {
        std::thread::scope(|s| {
            for p in &all {
                s.spawn(|| {
                    let _ = p.shutdown(p.shutdown_timeout());
                });
            }
        })
    });
}

/// Pushes a registry from a background thread to a Pushgateway or to remote-write receivers.
#[pyclass(module = "pushmetrics", frozen)]
pub(crate) struct Pusher {
    live: Arc<pushmetrics::Pusher>,
}

/// Applies the keyword options (DESIGN.md's names) to a builder; `None` leaves the default.
fn apply_options(
    mut b: PusherBuilder,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<PusherBuilder> {
    let (mut cert, mut key): (Option<PathBuf>, Option<PathBuf>) = (None, None);
    let Some(options) = options else {
        return Ok(b);
    };
    for (k, v) in options.iter() {
        let k = utf8(&k)?;
        if v.is_none() {
            continue;
        }
        let secs = |v: &Bound<'_, PyAny>| seconds(k, v.extract::<f64>()?);
        b = match k {
            "grouping" => {
                for (name, value) in v.extract::<Pairs<String>>()?.0 {
                    b = b.grouping(&name, &value);
                }
                b
            }
            "target" => b.target(Target::parse(&v.extract::<String>()?).or_raise()?),
            "method" => b.method(Method::parse(&v.extract::<String>()?).or_raise()?),
            "format" => b.format(Format::parse(&v.extract::<String>()?).or_raise()?),
            "gzip" => b.gzip(v.extract()?),
            "interval" => b.interval(secs(&v)?),
            "jitter" => b.jitter(v.extract()?),
            "connect_timeout" => b.connect_timeout(secs(&v)?),
            "request_timeout" => b.request_timeout(secs(&v)?),
            "flush_deadline" => b.flush_deadline(secs(&v)?),
            "max_attempts" => b.max_attempts(v.extract()?),
            "backoff_base" => b.backoff_base(secs(&v)?),
            "backoff_max" => b.backoff_max(secs(&v)?),
            "retry_budget" => b.retry_budget(v.extract()?),
            "breaker_threshold" => b.breaker_threshold(v.extract()?),
            "breaker_open" => b.breaker_open(secs(&v)?),
            "max_body_bytes" => b.max_body_bytes(v.extract()?),
            "max_samples_per_send" => b.max_samples_per_send(v.extract()?),
            "max_in_flight" => b.max_in_flight(v.extract()?),
            "max_pending_samples" => b.max_pending_samples(v.extract()?),
            "staleness_markers" => b.staleness_markers(v.extract()?),
            "delete_on_shutdown" => b.delete_on_shutdown(v.extract()?),
            "self_metrics" => b.self_metrics(v.extract()?),
            "shutdown_timeout" => b.shutdown_timeout(secs(&v)?),
            "basic_auth" => {
                let (user, password): (String, String) = v.extract()?;
                b.basic_auth(&user, &password)
            }
            "bearer_token" => b.bearer_token(&v.extract::<String>()?),
            "headers" => {
                for (name, value) in v.extract::<Pairs<String>>()?.0 {
                    b = b.header(&name, &value);
                }
                b
            }
            "ca_file" => b.ca_file(v.extract::<PathBuf>()?),
            "ca_file_only" => b.ca_file_only(v.extract()?),
            "client_cert" => {
                cert = Some(v.extract()?);
                b
            }
            "client_key" => {
                key = Some(v.extract()?);
                b
            }
            "ignore_env" => {
                if v.extract()? {
                    b.ignore_env()
                } else {
                    b
                }
            }
            other => {
                return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                    "unexpected keyword argument {other:?}"
                )))
            }
        };
    }
    b = match (cert, key) {
        (Some(c), Some(k)) => b.client_cert(c, k),
        (None, None) => b,
        _ => {
            return Err(
                Class::Config.err("invalid configuration: client_cert and client_key go together")
            )
        }
    };
    Ok(b)
}

/// The `url` argument: one URL, or a sequence of them (several remote-write receivers).
struct Urls(Vec<String>);

impl<'a, 'py> FromPyObject<'a, 'py> for Urls {
    type Error = PyErr;
    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        // A str is itself a sequence of str: it has to be tried first.
        if let Ok(one) = obj.extract::<String>() {
            return Ok(Urls(vec![one]));
        }
        // A textfile's path may come as a `pathlib.Path`.
        if obj.hasattr("__fspath__")? {
            let path: PathBuf = obj.extract()?;
            return match path.into_os_string().into_string() {
                Ok(one) => Ok(Urls(vec![one])),
                Err(p) => Err(Class::Config.err(format!(
                    "invalid configuration: path {p:?} is not valid UTF-8"
                ))),
            };
        }
        obj.extract().map(Urls).map_err(|e: PyErr| {
            pyo3::exceptions::PyTypeError::new_err(format!(
                "url must be a str or a sequence of str: {}",
                e.value(obj.py())
            ))
        })
    }
}

impl From<&str> for Urls {
    fn from(url: &str) -> Self {
        Urls(vec![url.to_owned()])
    }
}

/// A builder for `url` (the first receiver; the others are added) and `job`, with
/// prometheus_client's `grouping_key` and the options.
fn builder(
    urls: Urls,
    job: &str,
    grouping_key: Option<Pairs<String>>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<PusherBuilder> {
    // prometheus_client accepts a bare host:port and means http; a textfile's URL is a
    // path, and one that starts with `/` is never a host.
    let textfile = match options.map(|o| o.get_item("target")).transpose()?.flatten() {
        Some(t) if !t.is_none() => {
            Target::parse(&t.extract::<String>()?).or_raise()? == Target::Textfile
        }
        _ => false,
    };
    let mut urls = urls.0.into_iter().map(|url| {
        if textfile || url.contains("://") || url.starts_with('/') {
            url
        } else {
            format!("http://{url}")
        }
    });
    let Some(first) = urls.next() else {
        return Err(Class::Config.err("invalid configuration: url is empty: give one URL or more"));
    };
    let mut b = pushmetrics::Pusher::builder(&first).job(job);
    for url in urls {
        b = b.add_url(&url);
    }
    if let Some(g) = grouping_key {
        if options.is_some_and(|o| o.contains("grouping").unwrap_or(false)) {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "give grouping_key or grouping, not both",
            ));
        }
        for (name, value) in g.0 {
            b = b.grouping(&name, &value);
        }
    }
    apply_options(b, options)
}

/// Whether this process is a child that `multiprocessing` started (with any start
/// method): `multiprocessing.parent_process()` is not `None`, or, while a `spawn` or
/// `forkserver` child imports the main module (before `parent_process()` is set), its
/// process is already named (`SpawnPoolWorker-1`, not `MainProcess`). multiprocessing is
/// looked up, never imported.
fn multiprocessing_child(py: Python<'_>) -> bool {
    let Ok(modules) = py.import("sys").and_then(|s| s.getattr("modules")) else {
        return false;
    };
    let Ok(Some(mp)) = modules
        .call_method1("get", ("multiprocessing",))
        .map(|m| (!m.is_none()).then_some(m))
    else {
        return false;
    };
    let has_parent = mp
        .call_method0("parent_process")
        .is_ok_and(|p| !p.is_none());
    let named = mp
        .call_method0("current_process")
        .and_then(|p| p.getattr("name"))
        .and_then(|n| n.extract::<String>())
        .is_ok_and(|n| n != "MainProcess");
    has_parent || named
}

/// Unix time in seconds, as `time.time()` gives it.
fn unix_seconds(t: SystemTime) -> f64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[pymethods]
impl Pusher {
    #[new]
    #[pyo3(signature = (url, job="", grouping_key=None, registry=RegistryArg::Default, interval=None, **options))]
    fn new(
        py: Python<'_>,
        url: Urls,
        job: &str,
        grouping_key: Option<Pairs<String>>,
        registry: RegistryArg,
        interval: Option<f64>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let mut b = builder(url, job, grouping_key, options)?;
        if let Some(secs) = interval {
            b = b.interval(seconds("interval", secs)?);
        }
        let registry = registry.resolve();
        if multiprocessing_child(py) {
            b = b.child_process();
        }
        let live = Arc::new(py.detach(|| b.start(&registry)).or_raise()?);
        self::live().push(live.clone());
        Ok(Pusher { live })
    }

    /// Pushes now; returns once everything recorded before the call is delivered, or raises
    /// `FlushTimeoutError` after `timeout` seconds (the push goes on in the background).
    #[pyo3(signature = (timeout=5.0))]
    fn flush(&self, py: Python<'_>, timeout: f64) -> PyResult<FlushReport> {
        let timeout = seconds("timeout", timeout)?;
        let r = py.detach(|| self.live.flush(timeout)).or_raise()?;
        Ok(FlushReport {
            requests: r.requests,
            bytes: r.bytes,
            series: r.series,
            duration: r.duration.as_secs_f64(),
        })
    }

    /// Stops the schedule, makes a final flush within `timeout` seconds (default: the
    /// pusher's `shutdown_timeout`) and stops the thread. Calling it again does nothing.
    #[pyo3(signature = (timeout=None))]
    fn shutdown(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<()> {
        let timeout = match timeout {
            Some(s) => seconds("timeout", s)?,
            None => self.live.shutdown_timeout(),
        };
        let result = py.detach(|| self.live.shutdown(timeout));
        live().retain(|p| !Arc::ptr_eq(p, &self.live));
        result.or_raise()
    }

    /// The pusher's health counters.
    fn stats(&self, py: Python<'_>) -> PyResult<Stats> {
        let s = self.live.stats();
        let receivers = s
            .receivers
            .into_iter()
            .map(|r| Py::new(py, ReceiverStats::from(r)))
            .collect::<PyResult<_>>()?;
        Ok(Stats {
            pushes_ok: s.pushes_ok,
            pushes_failed: s.pushes_failed,
            requests: s.requests,
            retries: s.retries,
            retries_denied: s.retries_denied,
            flushes_skipped: s.flushes_skipped,
            last_success: s.last_success.map(unix_seconds),
            last_error: s.last_error,
            consecutive_failures: s.consecutive_failures,
            breaker: s.breaker.as_str(),
            series: s.series,
            overflowed: s.overflowed,
            evicted: s.evicted,
            sampled_out: s.sampled_out,
            queue_length: s.queue_length,
            bytes_sent: s.bytes_sent,
            last_push_duration: s.last_push_duration.map(|d| d.as_secs_f64()),
            samples_sent: s.samples_sent,
            samples_dropped: s.samples_dropped,
            samples_rejected: s.samples_rejected,
            samples_pending: s.samples_pending,
            receivers,
        })
    }

    /// True while the last successful push is recent (within three intervals).
    fn healthy(&self) -> bool {
        self.live.healthy()
    }

    /// Whether `shutdown` has run.
    #[getter]
    fn is_shut_down(&self) -> bool {
        self.live.is_shut_down()
    }

    /// Seconds the final flush of `shutdown()` and of interpreter exit may take:
    /// `PUSHMETRICS_SHUTDOWN_TIMEOUT` when set (the environment overrides the code), else the
    /// `shutdown_timeout` option, else 5.
    #[getter]
    fn shutdown_timeout(&self) -> f64 {
        self.live.shutdown_timeout().as_secs_f64()
    }

    /// The group URL pushed to (for remote write, the first receiver's), credentials removed.
    #[getter]
    fn url(&self) -> String {
        self.live.url()
    }

    fn __enter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<()> {
        self.shutdown(py, None)
    }

    fn __repr__(&self) -> String {
        format!("<pushmetrics.Pusher {}>", self.live.url())
    }
}

/// What one flush delivered.
#[pyclass(module = "pushmetrics", frozen, get_all)]
pub(crate) struct FlushReport {
    /// HTTP requests sent, retries included.
    requests: u32,
    /// Body bytes sent (after compression).
    bytes: u64,
    /// Series in the pushed snapshot (self-metrics included).
    series: u64,
    /// Wall time of the flush, in seconds.
    duration: f64,
}

#[pymethods]
impl FlushReport {
    fn __repr__(&self) -> String {
        format!(
            "FlushReport(requests={}, bytes={}, series={}, duration={})",
            self.requests, self.bytes, self.series, self.duration
        )
    }
}

/// A pusher's health, as `Pusher.stats()` returns it (times in seconds).
#[pyclass(module = "pushmetrics", frozen, get_all)]
pub(crate) struct Stats {
    pushes_ok: u64,
    pushes_failed: u64,
    requests: u64,
    retries: u64,
    retries_denied: u64,
    flushes_skipped: u64,
    /// Unix time of the last successful flush.
    last_success: Option<f64>,
    last_error: Option<String>,
    consecutive_failures: u32,
    /// `closed`, `open` or `half_open`.
    breaker: &'static str,
    series: u64,
    overflowed: u64,
    evicted: u64,
    sampled_out: u64,
    queue_length: u64,
    bytes_sent: u64,
    last_push_duration: Option<f64>,
    samples_sent: u64,
    samples_dropped: u64,
    samples_rejected: u64,
    samples_pending: u64,
    /// Remote write: one entry per receiver, in the order of the URLs.
    receivers: Vec<Py<ReceiverStats>>,
}

#[pymethods]
impl Stats {
    /// Every field in a dict (each receiver's as a dict too, so the result is plain data).
    fn as_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("pushes_ok", self.pushes_ok)?;
        d.set_item("pushes_failed", self.pushes_failed)?;
        d.set_item("requests", self.requests)?;
        d.set_item("retries", self.retries)?;
        d.set_item("retries_denied", self.retries_denied)?;
        d.set_item("flushes_skipped", self.flushes_skipped)?;
        d.set_item("last_success", self.last_success)?;
        d.set_item("last_error", &self.last_error)?;
        d.set_item("consecutive_failures", self.consecutive_failures)?;
        d.set_item("breaker", self.breaker)?;
        d.set_item("series", self.series)?;
        d.set_item("overflowed", self.overflowed)?;
        d.set_item("evicted", self.evicted)?;
        d.set_item("sampled_out", self.sampled_out)?;
        d.set_item("queue_length", self.queue_length)?;
        d.set_item("bytes_sent", self.bytes_sent)?;
        d.set_item("last_push_duration", self.last_push_duration)?;
        d.set_item("samples_sent", self.samples_sent)?;
        d.set_item("samples_dropped", self.samples_dropped)?;
        d.set_item("samples_rejected", self.samples_rejected)?;
        d.set_item("samples_pending", self.samples_pending)?;
        let receivers = self
            .receivers
            .iter()
            .map(|r| r.get().as_dict(py))
            .collect::<PyResult<Vec<_>>>()?;
        d.set_item("receivers", receivers)?;
        Ok(d)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let d = self.as_dict(py)?;
        // The receivers show as `ReceiverStats(...)`, not as the dicts of `as_dict`.
        d.set_item("receivers", &self.receivers)?;
        fields_repr("Stats", &d)
    }
}

/// One remote-write receiver's health, in `Stats.receivers` (times in seconds).
#[pyclass(module = "pushmetrics", frozen, get_all)]
pub(crate) struct ReceiverStats {
    /// The write URL, credentials removed.
    url: String,
    requests: u64,
    retries: u64,
    retries_denied: u64,
    samples_sent: u64,
    samples_dropped: u64,
    samples_rejected: u64,
    samples_pending: u64,
    bytes_sent: u64,
    /// Unix time of the last successful request.
    last_success: Option<f64>,
    last_error: Option<String>,
    consecutive_failures: u32,
    /// `closed`, `open` or `half_open`.
    breaker: &'static str,
}

impl From<pushmetrics::ReceiverStats> for ReceiverStats {
    fn from(r: pushmetrics::ReceiverStats) -> Self {
        ReceiverStats {
            url: r.url,
            requests: r.requests,
            retries: r.retries,
            retries_denied: r.retries_denied,
            samples_sent: r.samples_sent,
            samples_dropped: r.samples_dropped,
            samples_rejected: r.samples_rejected,
            samples_pending: r.samples_pending,
            bytes_sent: r.bytes_sent,
            last_success: r.last_success.map(unix_seconds),
            last_error: r.last_error,
            consecutive_failures: r.consecutive_failures,
            breaker: r.breaker.as_str(),
        }
    }
}

#[pymethods]
impl ReceiverStats {
    /// Every field in a dict.
    fn as_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("url", &self.url)?;
        d.set_item("requests", self.requests)?;
        d.set_item("retries", self.retries)?;
        d.set_item("retries_denied", self.retries_denied)?;
        d.set_item("samples_sent", self.samples_sent)?;
        d.set_item("samples_dropped", self.samples_dropped)?;
        d.set_item("samples_rejected", self.samples_rejected)?;
        d.set_item("samples_pending", self.samples_pending)?;
        d.set_item("bytes_sent", self.bytes_sent)?;
        d.set_item("last_success", self.last_success)?;
        d.set_item("last_error", &self.last_error)?;
        d.set_item("consecutive_failures", self.consecutive_failures)?;
        d.set_item("breaker", self.breaker)?;
        Ok(d)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        fields_repr("ReceiverStats", &self.as_dict(py)?)
    }
}

/// `Name(field=repr, ...)` in the dict's order.
fn fields_repr(name: &str, d: &Bound<'_, PyDict>) -> PyResult<String> {
    let fields = d
        .iter()
        .map(|(k, v)| Ok(format!("{}={}", k, v.repr()?)))
        .collect::<PyResult<Vec<_>>>()?;
    Ok(format!("{name}({})", fields.join(", ")))
}

fn no_handler(handler: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
    match handler {
        Some(h) if !h.is_none() => Err(pyo3::exceptions::PyTypeError::new_err(
            "custom handlers are not supported: use the basic_auth=, bearer_token=, headers=, \
             ca_file=, client_cert= and client_key= options instead",
        )),
        _ => Ok(()),
    }
}

/// prometheus_client's `timeout`: a bound on connecting, on each request and on the call.
fn with_timeout(mut b: PusherBuilder, timeout: Option<f64>) -> PyResult<PusherBuilder> {
    if let Some(t) = timeout {
        let d = seconds("timeout", t)?;
        b = b.connect_timeout(d).request_timeout(d).flush_deadline(d);
    }
    Ok(b)
}

fn push(py: Python<'_>, method: Method, args: PushArgs<'_, '_>) -> PyResult<()> {
    no_handler(args.handler)?;
    let b = builder(
        args.gateway.into(),
        args.job,
        args.grouping_key,
        args.options,
    )?;
    let b = with_timeout(b, args.timeout)?.method(method);
    let registry = args.registry.resolve();
    py.detach(|| b.push_once(&registry)).or_raise()?;
    Ok(())
}

struct PushArgs<'a, 'py> {
    gateway: &'a str,
    job: &'a str,
    registry: RegistryArg,
    grouping_key: Option<Pairs<String>>,
    timeout: Option<f64>,
    handler: Option<&'a Bound<'py, PyAny>>,
    options: Option<&'a Bound<'py, PyDict>>,
}

/// Pushes `registry` once, replacing the whole group (`PUT`), as prometheus_client does.
#[pyfunction]
#[pyo3(signature = (gateway, job, registry, grouping_key=None, timeout=Some(30.0), handler=None, **options))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn push_to_gateway(
    py: Python<'_>,
    gateway: &str,
    job: &str,
    registry: RegistryArg,
    grouping_key: Option<Pairs<String>>,
    timeout: Option<f64>,
    handler: Option<&Bound<'_, PyAny>>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<()> {
    let args = PushArgs {
        gateway,
        job,
        registry,
        grouping_key,
        timeout,
        handler,
        options,
    };
    push(py, Method::Put, args)
}

/// Pushes `registry` once, replacing only its metric families in the group (`POST`).
#[pyfunction]
#[pyo3(signature = (gateway, job, registry, grouping_key=None, timeout=Some(30.0), handler=None, **options))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn pushadd_to_gateway(
    py: Python<'_>,
    gateway: &str,
    job: &str,
    registry: RegistryArg,
    grouping_key: Option<Pairs<String>>,
    timeout: Option<f64>,
    handler: Option<&Bound<'_, PyAny>>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<()> {
    let args = PushArgs {
        gateway,
        job,
        registry,
        grouping_key,
        timeout,
        handler,
        options,
    };
    push(py, Method::Post, args)
}

/// Deletes the group from the gateway.
#[pyfunction]
#[pyo3(signature = (gateway, job, grouping_key=None, timeout=Some(30.0), handler=None, **options))]
pub(crate) fn delete_from_gateway(
    py: Python<'_>,
    gateway: &str,
    job: &str,
    grouping_key: Option<Pairs<String>>,
    timeout: Option<f64>,
    handler: Option<&Bound<'_, PyAny>>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<()> {
    no_handler(handler)?;
    let b = builder(gateway.into(), job, grouping_key, options)?;
    let b = with_timeout(b, timeout)?;
    py.detach(|| b.delete_once()).or_raise()
}
