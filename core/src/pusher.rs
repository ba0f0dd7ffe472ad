//! The pusher: one background thread per pusher that snapshots a registry on a fixed
//! schedule and delivers it with retries, a retry budget and a circuit breaker. Commands
//! (flush, shutdown) reach the thread over a channel; the application never waits on I/O
//! unless it asks to (`flush`, `shutdown`).

use crate::config::{Method, PusherBuilder};
use crate::encode::{gzip, Format};
use crate::error::{Error, Result};
use crate::registry::Registry;
use crate::snapshot::Snapshot;
use crate::stats::{SelfMetrics, Stats};
use crate::target::pushgateway::group_url;
use crate::target::remote_write::RemoteWrite;
use crate::target::textfile::Textfile;
use crate::transport::breaker::Breaker;
use crate::transport::deliver::{Delivery, Failure};
use crate::transport::http::redact_url;
use crossbeam_channel::{bounded, unbounded, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

/// What one flush delivered.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FlushReport {
    /// HTTP requests sent, retries included.
    pub requests: u32,
    /// Body bytes sent (after compression).
    pub bytes: u64,
    /// Series in the pushed snapshot (self-metrics included).
    pub series: u64,
    /// Wall time of the flush.
    pub duration: Duration,
}

enum Command {
    Flush {
        deadline: Instant,
        reply: Sender<Result<FlushReport>>,
    },
    Shutdown {
        deadline: Instant,
        reply: Option<Sender<Result<FlushReport>>>,
    },
}

struct Shared {
    stats: Mutex<Stats>,
    /// Remote-write receivers, whose numbers `stats()` reads live.
    receivers: Vec<Arc<crate::target::remote_write::Receiver>>,
    registry: Registry,
    started: Instant,
    interval: Duration,
}

/// Pushes a registry to a Pushgateway from a background thread.
///
/// ```no_run
/// use std::time::Duration;
/// let reg = pushmetrics::Registry::new();
/// let done = reg.counter("items_total", "Items").build().unwrap();
/// let pusher = pushmetrics::Pusher::builder("http://127.0.0.1:9091")
///     .job("example")
///     .start(&reg)
///     .unwrap();
/// done.inc();
/// let report = pusher.flush(Duration::from_secs(2)).unwrap(); // delivered now
/// println!("{} bytes, healthy: {}", report.bytes, pusher.healthy());
/// pusher.shutdown(Duration::from_secs(5)).unwrap();            // final push, then stop
/// ```
pub struct Pusher {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Mutex<Arc<Shared>>,
    tx: Mutex<Sender<Command>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    cfg: Mutex<PusherBuilder>,
    registry: Registry,
    url: Mutex<String>,
}

impl std::fmt::Debug for Pusher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pusher").field("url", &self.url()).finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What a started worker hands back: its shared state, its command channel, its thread and
/// its (redacted) URL.
type Spawned = (Arc<Shared>, Sender<Command>, JoinHandle<()>, String);

/// Builds the worker for `cfg` and starts its thread.
fn spawn(cfg: &PusherBuilder, registry: &Registry) -> Result<Spawned> {
    let target = Target::new(cfg)?;
    let receivers = match &target {
        Target::RemoteWrite(rw) => rw.receivers(),
        Target::Gateway(_) | Target::Textfile(_) => Vec::new(),
    };
    // Remote write has a breaker per receiver, so that one that is down never stops the
    // snapshots the others need; the pusher's own never opens. A file write storms no one:
    // it is tried at every interval.
    let breaker = match &target {
        Target::RemoteWrite(_) | Target::Textfile(_) => Breaker::new(0, cfg.breaker_open),
        Target::Gateway(_) => Breaker::new(cfg.breaker_threshold, cfg.breaker_open),
    };
    let mut stats = Stats::default();
    crate::target::remote_write::fill_stats(&receivers, &mut stats);
    let shared = Arc::new(Shared {
        stats: Mutex::new(stats),
        receivers,
        registry: registry.clone(),
        started: Instant::now(),
        interval: cfg.interval,
    });
    let (tx, rx) = unbounded();
    let url = target.url();
    let worker = Worker {
        breaker,
        self_metrics: cfg.self_metrics.then(SelfMetrics::new),
        shared: shared.clone(),
        rx,
        pending: None,
        not_before: None,
        target,
        registry: registry.clone(),
    };
    let cfg = cfg.clone();
    let thread = std::thread::Builder::new()
        .name("pushmetrics-push".into())
        .spawn(move || worker.run(cfg))
        .map_err(|e| Error::Io(format!("cannot start the push thread: {e}")))?;
    Ok((shared, tx, thread, url))
}

/// A pusher's locks taken before a fork. Fields drop in the order the locks are let go.
struct PusherHold {
    url: Option<MutexGuard<'static, String>>,
    tx: Option<MutexGuard<'static, Sender<Command>>>,
    stats: Option<MutexGuard<'static, Stats>>,
    shared: Option<MutexGuard<'static, Arc<Shared>>>,
    cfg: Option<MutexGuard<'static, PusherBuilder>>,
    thread: Option<MutexGuard<'static, Option<JoinHandle<()>>>>,
    _stats_of: Arc<Shared>,
    _inner: Arc<Inner>,
}

impl crate::fork::Hold for PusherHold {
    fn release(&mut self) {
        self.url = None;
        self.tx = None;
        self.stats = None;
        self.shared = None;
        self.cfg = None;
        self.thread = None;
    }
}

/// Extends a guard of a lock that `PusherHold` keeps alive to the hold's life.
///
/// # Safety
/// The lock must outlive the returned guard.
unsafe fn forever<T>(g: MutexGuard<'_, T>) -> MutexGuard<'static, T> {
    // SAFETY: the caller's contract; only the lifetime changes.
    unsafe { std::mem::transmute::<MutexGuard<'_, T>, MutexGuard<'static, T>>(g) }
}

impl crate::fork::Forkable for Inner {
    fn rank(&self) -> u8 {
        0
    }

    fn hold(self: Arc<Self>) -> Box<dyn crate::fork::Hold> {
        // The order of the library's own nesting: `stats()` takes the stats, then `tx`.
        let thread = lock(&self.thread);
        let cfg = lock(&self.cfg);
        let shared = lock(&self.shared);
        let stats_of = shared.clone();
        let stats = lock(&stats_of.stats);
        let tx = lock(&self.tx);
        let url = lock(&self.url);
        // SAFETY: each lock lives in `self` or in `stats_of`, both kept by the hold, which
        // drops (or forgets) the guards first.
        unsafe {
            Box::new(PusherHold {
                url: Some(forever(url)),
                tx: Some(forever(tx)),
                stats: Some(forever(stats)),
                shared: Some(forever(shared)),
                cfg: Some(forever(cfg)),
                thread: Some(forever(thread)),
                _stats_of: stats_of.clone(),
                _inner: self.clone(),
            })
        }
    }

    fn registry_in_child(&self) -> Option<Registry> {
        lock(&self.thread).is_some().then(|| self.registry.clone())
    }

    fn restart_in_child(&self) {
        let Some(old) = lock(&self.thread).take() else {
            return; // shut down before the fork
        };
        // The thread behind this handle exists only in the parent: never join or detach it.
        std::mem::forget(old);
        let cfg = {
            let mut cfg = lock(&self.cfg);
            let pid = std::process::id().to_string();
            match cfg.grouping.iter_mut().find(|(k, _)| k == "pid") {
                Some(entry) => entry.1 = pid,
                None => cfg.grouping.push(("pid".into(), pid)),
            }
            cfg.clone()
        };
        // No lock of the pusher is held from here on: a log callback may call into it.
        match spawn(&cfg, &self.registry) {
            Ok((shared, tx, thread, url)) => {
                // What the parent's threads used is left alone: dropping it could wait for
                // them (a remote-write lane joins its thread) or wake one that is not here.
                std::mem::forget(std::mem::replace(&mut *lock(&self.shared), shared));
                std::mem::forget(std::mem::replace(&mut *lock(&self.tx), tx));
                *lock(&self.thread) = Some(thread);
                *lock(&self.url) = url;
            }
            Err(e) => {
                log::error!(target: "pushmetrics", "cannot restart the pusher after fork: {e}")
            }
        }
    }
}

impl Pusher {
    /// Options for a pusher to the gateway at `url` (`http://host:port`).
    pub fn builder(url: &str) -> PusherBuilder {
        PusherBuilder::new(url)
    }

    /// Options for a pusher that writes to the remote-write receiver at `url`, the full
    /// write endpoint (`http://prometheus:9090/api/v1/write`); the same as
    /// `builder(url).target(Target::RemoteWrite)`.
    pub fn remote_write(url: &str) -> PusherBuilder {
        PusherBuilder::new(url).target(crate::Target::RemoteWrite)
    }

    /// Options for a pusher that rewrites the file at `path` (a plain path or a `file://`
    /// URL) for node_exporter's textfile collector, at every interval and at shutdown; the
    /// same as `builder(path).target(Target::Textfile)`. No job is needed.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// let reg = pushmetrics::Registry::new();
    /// let pusher = pushmetrics::Pusher::textfile("/var/lib/node_exporter/textfile/backup.prom")
    ///     .interval(Duration::from_secs(30))
    ///     .start(&reg)
    ///     .unwrap();
    /// // ... work ...
    /// pusher.shutdown(Duration::from_secs(5)).unwrap(); // the final write
    /// ```
    pub fn textfile(path: &str) -> PusherBuilder {
        PusherBuilder::new(path).target(crate::Target::Textfile)
    }

    pub(crate) fn start(cfg: PusherBuilder, registry: Registry) -> Result<Pusher> {
        let (shared, tx, thread, url) = spawn(&cfg, &registry)?;
        let inner = Arc::new(Inner {
            shared: Mutex::new(shared),
            tx: Mutex::new(tx),
            thread: Mutex::new(Some(thread)),
            cfg: Mutex::new(cfg),
            registry,
            url: Mutex::new(url),
        });
        let weak: std::sync::Weak<dyn crate::fork::Forkable> =
            Arc::downgrade(&(inner.clone() as Arc<dyn crate::fork::Forkable>));
        crate::fork::register(weak);
        Ok(Pusher { inner })
    }

    fn shared(&self) -> Arc<Shared> {
        lock(&self.inner.shared).clone()
    }

    /// Pushes now and waits until everything recorded before the call is delivered, or
    /// `timeout` passes (then [`Error::Timeout`]; the push goes on in the background).
    pub fn flush(&self, timeout: Duration) -> Result<FlushReport> {
        crate::fork::check();
        let (reply, rx) = bounded(1);
        // The push itself ends a little before the caller stops waiting, so a request that
        // runs out of time is reported as the push failure it is; `Timeout` then means the
        // push thread could not even start (it was busy with an earlier push).
        let deadline = Instant::now() + timeout - reply_margin(timeout);
        lock(&self.inner.tx)
            .send(Command::Flush { deadline, reply })
            .map_err(|_| Error::Shutdown)?;
        match rx.recv_timeout(timeout) {
            Ok(r) => r,
            Err(RecvTimeoutError::Timeout) => Err(Error::Timeout(format!(
                "flush to {} did not finish within {timeout:?}",
                self.url()
            ))),
            Err(RecvTimeoutError::Disconnected) => Err(Error::Shutdown),
        }
    }

    /// Stops the schedule, makes a final flush (and the DELETE, if configured) within
    /// `timeout`, and joins the thread. Calling it again does nothing and returns `Ok`.
    /// If the thread is still busy with an earlier push when `timeout` passes, this returns
    /// [`Error::Timeout`] without waiting: the thread ends on its own once that push's
    /// request times out.
    pub fn shutdown(&self, timeout: Duration) -> Result<()> {
        crate::fork::check();
        let Some(thread) = lock(&self.inner.thread).take() else {
            return Ok(());
        };
        let (reply, rx) = bounded(1);
        let deadline = Instant::now() + timeout - reply_margin(timeout);
        let tx = lock(&self.inner.tx).clone();
        if tx
            .send(Command::Shutdown {
                deadline,
                reply: Some(reply),
            })
            .is_err()
        {
            return Ok(());
        }
        match rx.recv_timeout(timeout) {
            Ok(r) => {
                let _ = thread.join();
                r.map(|_| ())
            }
            Err(_) => Err(Error::Timeout(format!(
                "final flush to {} did not finish within {timeout:?}",
                self.url()
            ))),
        }
    }

    /// Whether `shutdown` has been called.
    pub fn is_shut_down(&self) -> bool {
        lock(&self.inner.thread).is_none()
    }

    /// The pusher's health counters.
    pub fn stats(&self) -> Stats {
        crate::fork::check();
        let shared = self.shared();
        let mut s = lock(&shared.stats).clone();
        s.add_guard(&shared.registry.guard_stats());
        if !shared.receivers.is_empty() {
            crate::target::remote_write::fill_stats(&shared.receivers, &mut s);
        }
        s.queue_length = lock(&self.inner.tx).len() as u64;
        s
    }

    /// True while the last successful push is recent: within three intervals (or, before
    /// the first success, within three intervals of the start).
    pub fn healthy(&self) -> bool {
        crate::fork::check();
        let shared = self.shared();
        let s = lock(&shared.stats);
        let window = shared.interval * 3;
        match s.last_success {
            Some(t) => SystemTime::now()
                .duration_since(t)
                .map_or(true, |age| age <= window),
            None => shared.started.elapsed() <= window,
        }
    }

    /// The bound of the final push when the pusher is dropped (after the environment).
    pub fn shutdown_timeout(&self) -> Duration {
        lock(&self.inner.cfg).shutdown_timeout
    }

    /// The group URL pushed to (for remote write, the first receiver's URL; for a textfile,
    /// the file's path), credentials removed.
    pub fn url(&self) -> String {
        lock(&self.inner.url).clone()
    }
}

impl Drop for Pusher {
    fn drop(&mut self) {
        let timeout = lock(&self.inner.cfg).shutdown_timeout;
        let _ = self.shutdown(timeout);
    }
}

/// How much sooner than the caller's timeout the push thread must answer.
fn reply_margin(timeout: Duration) -> Duration {
    (timeout / 10).min(Duration::from_millis(50))
}

/// Pushes once on the calling thread.
pub(crate) fn push_once(cfg: PusherBuilder, registry: &Registry) -> Result<FlushReport> {
    let mut target = Target::new(&cfg)?;
    let deadline = Instant::now() + cfg.effective_flush_deadline();
    let mut stats = Stats::default();
    let snapshot = registry.snapshot();
    target
        .push(
            &snapshot,
            deadline,
            true,
            &mut |d| {
                std::thread::sleep(d);
                true
            },
            &mut stats,
        )
        .map_err(|f| Error::Push(f.message))
}

/// Deletes the group once on the calling thread.
pub(crate) fn delete_once(cfg: PusherBuilder) -> Result<()> {
    let mut target = Target::new(&cfg)?;
    let deadline = Instant::now() + cfg.effective_flush_deadline();
    let mut stats = Stats::default();
    target
        .delete(
            deadline,
            &mut |d| {
                std::thread::sleep(d);
                true
            },
            &mut stats,
        )
        .map_err(|f| Error::Push(f.message))
}

/// Where a worker delivers. One per pusher, so the size difference of the variants costs
/// nothing worth a box.
#[allow(clippy::large_enum_variant)]
enum Target {
    Gateway(Gateway),
    RemoteWrite(RemoteWrite),
    Textfile(Textfile),
}

impl Target {
    fn new(cfg: &PusherBuilder) -> Result<Target> {
        Ok(match cfg.target {
            crate::Target::Pushgateway => Target::Gateway(Gateway::new(cfg)?),
            crate::Target::RemoteWrite => Target::RemoteWrite(RemoteWrite::start(cfg)?),
            crate::Target::Textfile => Target::Textfile(Textfile::new(&cfg.url)?),
        })
    }

    /// What `url()` shows: the group URL, the first receiver's, or the file's path.
    fn url(&self) -> String {
        match self {
            Target::Gateway(g) => redact_url(&g.url),
            Target::RemoteWrite(rw) => rw.url(),
            Target::Textfile(t) => t.url(),
        }
    }

    fn push(
        &mut self,
        snapshot: &Snapshot,
        deadline: Instant,
        asked: bool,
        wait: &mut dyn FnMut(Duration) -> bool,
        stats: &mut Stats,
    ) -> std::result::Result<FlushReport, Failure> {
        match self {
            Target::Gateway(g) => g.push(snapshot, deadline, wait, stats),
            Target::RemoteWrite(rw) => rw.write(snapshot, deadline, asked, wait, stats),
            Target::Textfile(t) => t.write(snapshot, stats),
        }
    }

    fn delete(
        &mut self,
        deadline: Instant,
        wait: &mut dyn FnMut(Duration) -> bool,
        stats: &mut Stats,
    ) -> std::result::Result<(), Failure> {
        match self {
            Target::Gateway(g) => g.delete(deadline, wait, stats),
            Target::Textfile(t) => t.remove(),
            Target::RemoteWrite(_) => Err(Failure {
                message: "delete applies to a Pushgateway group; remote write has none (its series end with staleness markers)".into(),
                retry_after: None,
                retryable: false,
            }),
        }
    }
}

/// Everything needed to send to one gateway group: URL, client, retry policy and budget.
struct Gateway {
    url: String,
    grouping: Vec<String>,
    /// Families already warned about a label that a grouping label overrides.
    warned: std::collections::HashSet<String>,
    delivery: Delivery,
    method: Method,
    format: Format,
    gzip: bool,
    max_body_bytes: usize,
}

impl Gateway {
    fn new(cfg: &PusherBuilder) -> Result<Gateway> {
        Ok(Gateway {
            url: group_url(&cfg.url, &cfg.job, &cfg.grouping)?,
            grouping: std::iter::once("job".to_string())
                .chain(cfg.grouping.iter().map(|(k, _)| k.clone()))
                .collect(),
            warned: Default::default(),
            delivery: Delivery::new(cfg, &cfg.http, Delivery::shared_budget(cfg)?, &[])?,
            method: cfg.method,
            format: cfg.format,
            gzip: cfg.gzip,
            max_body_bytes: cfg.max_body_bytes,
        })
    }

    /// Encodes the snapshot into bodies of at most `max_body_bytes`, split between
    /// families (a family bigger than the limit travels alone).
    fn bodies(&self, snapshot: &Snapshot) -> Vec<Vec<u8>> {
        let mut bodies = vec![Vec::new()];
        for f in snapshot.families() {
            let body = bodies.last_mut().expect("never empty");
            let start = body.len();
            self.format.encode_family(f, body);
            if start > 0 && body.len() > self.max_body_bytes {
                let tail = body.split_off(start);
                bodies.push(tail);
            }
            let last = bodies.last().expect("never empty");
            if last.len() > self.max_body_bytes {
                log::warn!(
                    target: "pushmetrics",
                    "metric family {} alone is {} bytes, above max_body_bytes {}; sent unsplit",
                    f.name(),
                    last.len(),
                    self.max_body_bytes
                );
            }
        }
        bodies
    }

    fn push(
        &mut self,
        snapshot: &Snapshot,
        deadline: Instant,
        wait: &mut dyn FnMut(Duration) -> bool,
        stats: &mut Stats,
    ) -> std::result::Result<FlushReport, Failure> {
        let start = Instant::now();
        let mut report = FlushReport {
            series: snapshot.series_count() as u64,
            ..FlushReport::default()
        };
        self.warn_overridden_labels(snapshot);
        let content_type = self.format.content_type();
        for (i, body) in self.bodies(snapshot).into_iter().enumerate() {
            let method = if i == 0 { self.method } else { Method::Post };
            let body = if self.gzip { gzip(&body) } else { body };
            let encoding = self.gzip.then_some("gzip");
            let before = stats.requests;
            self.delivery.send(
                method.as_str(),
                &self.url,
                Some(content_type),
                encoding,
                &body,
                deadline,
                wait,
                stats,
            )?;
            report.requests += (stats.requests - before) as u32;
            report.bytes += body.len() as u64;
        }
        report.duration = start.elapsed();
        Ok(report)
    }

    /// The gateway silently replaces a label of the body by the grouping label of the same
    /// name, which can merge series; say so once per family.
    fn warn_overridden_labels(&mut self, snapshot: &Snapshot) {
        for f in snapshot.families() {
            let clash = f
                .label_names()
                .iter()
                .chain(f.const_labels().iter().map(|(n, _)| n))
                .find(|n| self.grouping.contains(n));
            if let Some(label) = clash {
                if self.warned.insert(f.name().to_owned()) {
                    log::warn!(
                        target: "pushmetrics",
                        "metric {} has a label {label:?} that the grouping label of the same name overrides on the gateway",
                        f.name()
                    );
                }
            }
        }
    }

    fn delete(
        &mut self,
        deadline: Instant,
        wait: &mut dyn FnMut(Duration) -> bool,
        stats: &mut Stats,
    ) -> std::result::Result<(), Failure> {
        self.delivery
            .send("DELETE", &self.url, None, None, &[], deadline, wait, stats)
    }
}

struct Worker {
    target: Target,
    breaker: Breaker,
    self_metrics: Option<SelfMetrics>,
    shared: Arc<Shared>,
    registry: Registry,
    rx: Receiver<Command>,
    pending: Option<Command>,
    /// A `Retry-After` longer than the flush deadline: scheduled flushes wait until then.
    not_before: Option<Instant>,
}

impl Worker {
    fn run(mut self, cfg: PusherBuilder) {
        let interval = cfg.interval;
        let flush_deadline = cfg.effective_flush_deadline();
        // The first push comes one interval after the start, shifted by a random offset
        // so that a fleet started together does not push in lock-step.
        let offset = interval.mul_f64(cfg.jitter * crate::sampling::random_f64());
        let start = Instant::now() + offset;
        let mut next = start + interval;
        loop {
            let cmd = match self.pending.take() {
                Some(c) => Some(c),
                None => match self.rx.recv_deadline(next) {
                    Ok(c) => Some(c),
                    Err(RecvTimeoutError::Timeout) => None,
                    // Every Pusher handle is gone without a shutdown: finish like one.
                    Err(RecvTimeoutError::Disconnected) => Some(Command::Shutdown {
                        deadline: Instant::now() + cfg.shutdown_timeout,
                        reply: None,
                    }),
                },
            };
            match cmd {
                None => {
                    let now = Instant::now();
                    if self.not_before.is_some_and(|t| now < t) || !self.breaker.allow(now) {
                        self.shared
                            .stats
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .flushes_skipped += 1;
                    } else {
                        let _ = self.flush(now + flush_deadline, false, false);
                    }
                    // The next tick on the grid start + k * interval: missed ticks are
                    // skipped, never burst.
                    let since = Instant::now().saturating_duration_since(start);
                    let k = since.as_nanos() / interval.as_nanos() + 1;
                    next = start + interval * (k.min(u32::MAX as u128) as u32);
                }
                Some(Command::Flush { deadline, reply }) => {
                    let _ = reply.send(self.flush(deadline, true, false));
                }
                Some(Command::Shutdown { deadline, reply }) => {
                    let mut result = self.flush(deadline, true, true);
                    let deletes = matches!(self.target, Target::Gateway(_) | Target::Textfile(_));
                    let worker = self.registry.is_multiprocess_worker();
                    if cfg.delete_on_shutdown && deletes && !worker && result.is_ok() {
                        result = self.delete(deadline).map(|_| result.unwrap_or_default());
                    }
                    if let Some(reply) = reply {
                        let _ = reply.send(result);
                    }
                    return;
                }
            }
        }
    }

    /// One flush. An `asked` one (`flush()`, shutdown) is tried at once even where a
    /// remote-write receiver's breaker is open or its lanes back off, as a gateway push
    /// asked for is; the `last` one (at shutdown) also ends remote-write series with
    /// staleness markers.
    fn flush(&mut self, deadline: Instant, asked: bool, last: bool) -> Result<FlushReport> {
        if self.registry.is_multiprocess_worker() {
            // The owner reports what this process records (see `crate::multiprocess`).
            return Ok(FlushReport::default());
        }
        let started = Instant::now();
        // The collectors run first, outside the section: one may wait for a lock of its own
        // (Python's GIL) that a forking thread holds while it waits for the section to end.
        let collected = self.registry.call_collectors();
        // Everything up to the request takes registry and stats locks: a fork waits for it.
        let section = crate::fork::enter();
        let mut snapshot = self.registry.snapshot_with(collected);
        let mut stats = self
            .shared
            .stats
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(sm) = &mut self.self_metrics {
            let guard = self.registry.guard_stats();
            let mut s = stats.clone();
            s.add_guard(&guard);
            sm.update(&s, &guard);
            snapshot.merge(sm.registry.snapshot());
        }
        drop(section);
        let (rx, pending) = (&self.rx, &mut self.pending);
        let mut wait = |d: Duration| match rx.recv_timeout(d) {
            Ok(cmd) => {
                *pending = Some(cmd);
                false
            }
            Err(_) => true,
        };
        let result = self
            .target
            .push(&snapshot, deadline, asked, &mut wait, &mut stats);
        stats.last_push_duration = Some(started.elapsed());
        let out = match result {
            Ok(report) => {
                self.breaker.on_success();
                stats.pushes_ok += 1;
                stats.last_success = Some(SystemTime::now());
                self.not_before = None;
                Ok(report)
            }
            Err(f) => {
                let was_open = self.breaker.state() == crate::BreakerState::Open;
                self.breaker.on_failure(Instant::now());
                stats.pushes_failed += 1;
                log::warn!(target: "pushmetrics", "push failed: {}", f.message);
                if !was_open && self.breaker.state() == crate::BreakerState::Open {
                    log::warn!(
                        target: "pushmetrics",
                        "circuit breaker opened after {} failed pushes in a row: pushing paused",
                        self.breaker.consecutive_failures()
                    );
                }
                if let Some(ra) = f.retry_after {
                    self.not_before = Some(Instant::now() + ra);
                }
                stats.last_error = Some(f.message.clone());
                Err(Error::Push(f.message))
            }
        };
        stats.consecutive_failures = self.breaker.consecutive_failures();
        stats.breaker = self.breaker.state();
        if let Target::RemoteWrite(rw) = &mut self.target {
            if last {
                // Markers follow the final write in every lane, so each comes after its
                // series' last value, even when that value is still queued.
                if let Err(f) = rw.end_series(&snapshot, deadline, &mut stats) {
                    log::warn!(target: "pushmetrics", "staleness markers not delivered: {}", f.message);
                }
            }
            crate::target::remote_write::fill_stats(&self.shared.receivers, &mut stats);
        }
        let _section = crate::fork::enter();
        *lock(&self.shared.stats) = stats;
        out
    }

    fn delete(&mut self, deadline: Instant) -> Result<()> {
        let mut stats = self
            .shared
            .stats
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let r = self.target.delete(
            deadline,
            &mut |d| {
                std::thread::sleep(d);
                true
            },
            &mut stats,
        );
        let _section = crate::fork::enter();
        *lock(&self.shared.stats) = stats;
        r.map_err(|f| Error::Push(f.message))
    }
}
