//! Remote write to one or more receivers. Each snapshot is encoded once, cut into lanes
//! and requests, and queued to every receiver; each receiver has its own lane threads
//! (at most `max_in_flight` requests at once, a series always in the same lane, so its
//! samples arrive in order), its own bounded queue (the oldest requests are dropped and
//! counted past `max_pending_samples`), retry policy, breaker and stats. A receiver that
//! is down never delays the others: the push thread only waits, up to the flush deadline,
//! to learn what was delivered.

use crate::config::PusherBuilder;
use crate::encode::remote_write::{Encoder, Layout, Request};
use crate::error::{Error, Result};
use crate::pusher::FlushReport;
use crate::snapshot::Snapshot;
use crate::stats::{ReceiverStats, Stats};
use crate::transport::breaker::Breaker;
use crate::transport::deliver::{Delivery, Failure};
use crate::transport::http::redact_url;
use crate::transport::BreakerState;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

const CONTENT_TYPE: &str = "application/x-protobuf";

/// Server errors that Prometheus answers to a request no retry can fix (backends.md §3).
const PERMANENT_5XX: &[&str] = &["empty labelset", "is not unique", "too old sample"];

/// How often the push thread looks at its tickets while it waits.
const POLL: Duration = Duration::from_millis(5);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What became of one snapshot's requests at one receiver.
struct Ticket {
    /// Requests not yet delivered, refused or dropped.
    left: AtomicUsize,
    /// The first reason a request was not delivered.
    failed: Mutex<Option<String>>,
}

impl Ticket {
    fn new(n: usize) -> Arc<Ticket> {
        Arc::new(Ticket {
            left: AtomicUsize::new(n),
            failed: Mutex::new(None),
        })
    }
    fn done(&self, failure: Option<&str>) {
        if let Some(f) = failure {
            lock(&self.failed).get_or_insert_with(|| f.to_owned());
        }
        self.left.fetch_sub(1, Ordering::AcqRel);
    }
    fn finished(&self) -> bool {
        self.left.load(Ordering::Acquire) == 0
    }
}

struct Queued {
    request: Request,
    /// The snapshot it belongs to: lower is older.
    seq: u64,
    ticket: Arc<Ticket>,
}

#[derive(Default)]
struct Lane {
    queue: VecDeque<Queued>,
    /// The front request is being sent.
    busy: bool,
    /// Failed sends in a row, for the backoff between them.
    failures: u32,
    not_before: Option<Instant>,
    /// A flush was asked for: the next send goes now, past a backoff or an open breaker.
    urgent: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Run {
    Running,
    /// Drop what is queued and end the lane threads.
    Stop,
}

struct State {
    lanes: Vec<Lane>,
    pending: u64,
    stats: ReceiverStats,
    breaker: Breaker,
    run: Run,
}

/// One receiver: its URL, its queue and its lane threads' shared state.
pub(crate) struct Receiver {
    url: String,
    state: Mutex<State>,
    wake: Condvar,
    max_pending: u64,
}

impl Receiver {
    fn stats(&self) -> ReceiverStats {
        lock(&self.state).stats.clone()
    }

    /// Queues one snapshot's requests (`per_lane[lane]`), then drops the oldest queued
    /// requests not in flight while more than `max_pending` samples wait. `urgent` sends
    /// them at once, past backoffs and an open breaker.
    fn enqueue(&self, per_lane: &[Vec<Request>], seq: u64, ticket: &Arc<Ticket>, urgent: bool) {
        let mut st = lock(&self.state);
        if st.run == Run::Stop {
            for _ in per_lane.iter().flatten() {
                ticket.done(Some("the pusher is shut down"));
            }
            return;
        }
        for (lane, requests) in per_lane.iter().enumerate() {
            st.lanes[lane].urgent |= urgent;
            for r in requests {
                st.pending += r.samples as u64;
                st.lanes[lane].queue.push_back(Queued {
                    request: r.clone(),
                    seq,
                    ticket: ticket.clone(),
                });
            }
        }
        let mut dropped = 0u64;
        while st.pending > self.max_pending {
            let oldest = st
                .lanes
                .iter()
                .enumerate()
                .filter_map(|(i, l)| {
                    let at = usize::from(l.busy);
                    l.queue.get(at).map(|q| (q.seq, i, at))
                })
                .min();
            let Some((_, lane, at)) = oldest else { break };
            let q = st.lanes[lane].queue.remove(at).expect("found above");
            st.pending -= q.request.samples as u64;
            dropped += q.request.samples as u64;
            q.ticket.done(Some("dropped: the pending queue is full"));
        }
        // Logged once the state is unlocked: a log hook may read these stats.
        let warning = (dropped > 0).then(|| {
            format!(
                "remote write to {}: dropped {dropped} samples, the pending queue of {} samples is full",
                st.stats.url, self.max_pending
            )
        });
        st.stats.samples_dropped += dropped;
        st.stats.samples_pending = st.pending;
        drop(st);
        self.wake.notify_all();
        if let Some(w) = warning {
            log::warn!(target: "pushmetrics", "{w}");
        }
    }

    /// Ends the lane threads; what is still queued is dropped and counted.
    fn stop(&self) {
        let mut st = lock(&self.state);
        st.run = Run::Stop;
        let mut dropped = 0;
        for lane in &mut st.lanes {
            let keep = usize::from(lane.busy);
            while lane.queue.len() > keep {
                let q = lane.queue.pop_back().expect("longer than keep");
                dropped += q.request.samples as u64;
                q.ticket.done(Some("dropped at shutdown"));
            }
        }
        st.pending -= dropped;
        st.stats.samples_dropped += dropped;
        st.stats.samples_pending = st.pending;
        drop(st);
        self.wake.notify_all();
    }

    /// A lane thread: sends its queue's front request until it is delivered or refused,
    /// waiting out backoffs and the breaker in between.
    fn run_lane(&self, lane: usize, mut delivery: Delivery, send_deadline: Duration) {
        loop {
            let Some((request, ticket)) = self.next(lane) else {
                return;
            };
            let mut counts = Stats::default();
            let deadline = Instant::now() + send_deadline;
            let result = delivery.send(
                "POST",
                &self.url,
                Some(CONTENT_TYPE),
                Some("snappy"),
                &request.body,
                deadline,
                &mut |d| self.sleep(d),
                &mut counts,
            );
            let mut st = lock(&self.state);
            st.lanes[lane].busy = false;
            let s = &mut st.stats;
            s.requests += counts.requests;
            s.retries += counts.retries;
            s.retries_denied += counts.retries_denied;
            s.bytes_sent += counts.bytes_sent;
            let samples = request.samples as u64;
            // Logged once the state is unlocked: a log hook may read these stats.
            let mut warning = None;
            match result {
                Ok(()) => {
                    s.samples_sent += samples;
                    s.last_success = Some(SystemTime::now());
                    st.breaker.on_success();
                    let l = &mut st.lanes[lane];
                    l.queue.pop_front();
                    (l.failures, l.not_before) = (0, None);
                    st.pending -= samples;
                    ticket.done(None);
                }
                Err(f) if !f.retryable => {
                    // The receiver is up and answered: this request is at fault, not it.
                    warning = Some(format!(
                        "remote write refused {samples} samples: {}",
                        f.message
                    ));
                    s.samples_rejected += samples;
                    s.last_error = Some(f.message.clone());
                    st.breaker.on_success();
                    st.lanes[lane].queue.pop_front();
                    st.pending -= samples;
                    ticket.done(Some(&f.message));
                }
                Err(f) => warning = self.failed(&mut st, lane, &f, &mut delivery),
            }
            st.stats.samples_pending = st.pending;
            st.stats.breaker = st.breaker.state();
            st.stats.consecutive_failures = st.breaker.consecutive_failures();
            drop(st);
            self.wake.notify_all();
            if let Some(w) = warning {
                log::warn!(target: "pushmetrics", "{w}");
            }
        }
    }

    /// A send that ran out of retries: the request stays at the front of its lane, to be
    /// sent again after a backoff (or the server's `Retry-After`) and when the breaker
    /// allows. Gives the warning to log, once the caller has unlocked the state, for the
    /// first failure in a row.
    fn failed(
        &self,
        st: &mut State,
        lane: usize,
        f: &Failure,
        delivery: &mut Delivery,
    ) -> Option<String> {
        let now = Instant::now();
        let warning = (st.stats.consecutive_failures == 0)
            .then(|| format!("remote write failed: {}", f.message));
        st.stats.last_error = Some(f.message.clone());
        st.breaker.on_failure(now);
        let l = &mut st.lanes[lane];
        let wait = delivery
            .backoff(l.failures)
            .max(f.retry_after.unwrap_or_default());
        l.failures = l.failures.saturating_add(1);
        l.not_before = Some(now + wait);
        if st.run == Run::Stop {
            if let Some(q) = st.lanes[lane].queue.pop_front() {
                let samples = q.request.samples as u64;
                st.pending -= samples;
                st.stats.samples_dropped += samples;
                q.ticket.done(Some("dropped at shutdown"));
            }
        }
        warning
    }

    /// The next request of `lane` once it may be sent, or `None` when the lane must end.
    fn next(&self, lane: usize) -> Option<(Request, Arc<Ticket>)> {
        let mut st = lock(&self.state);
        loop {
            if st.run == Run::Stop {
                return None;
            }
            let now = Instant::now();
            let urgent = std::mem::take(&mut st.lanes[lane].urgent);
            // No wait (`None` waits for work): send the front request now.
            let wait = if st.lanes[lane].queue.is_empty() {
                None
            } else if urgent {
                Some(Duration::ZERO)
            } else if let Some(t) = st.lanes[lane].not_before.filter(|t| *t > now) {
                Some(t - now)
            } else if !st.breaker.allow(now) {
                // Open: another lane's probe, or the end of the open period, wakes us.
                Some(Duration::from_millis(50))
            } else {
                Some(Duration::ZERO)
            };
            if wait == Some(Duration::ZERO) {
                let l = &mut st.lanes[lane];
                l.busy = true;
                let q = l.queue.front().expect("not empty");
                return Some((q.request.clone(), q.ticket.clone()));
            }
            st = match wait {
                None => self.wake.wait(st).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    self.wake
                        .wait_timeout(st, d)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
        }
    }

    /// Sleeps between retries; false when the pusher is stopping.
    fn sleep(&self, d: Duration) -> bool {
        let st = lock(&self.state);
        let (st, _) = self
            .wake
            .wait_timeout_while(st, d, |st| st.run == Run::Running)
            .unwrap_or_else(|e| e.into_inner());
        st.run == Run::Running
    }
}

/// The remote-write side of a pusher.
pub(crate) struct RemoteWrite {
    encoder: Encoder,
    layout: Layout,
    receivers: Vec<Arc<Receiver>>,
    staleness_markers: bool,
    seq: u64,
}

impl RemoteWrite {
    /// Checks the options and starts every receiver's lane threads.
    pub(crate) fn start(cfg: &PusherBuilder) -> Result<RemoteWrite> {
        let mut extra = vec![("job".to_string(), cfg.job.clone())];
        for (i, (name, value)) in cfg.grouping.iter().enumerate() {
            crate::target::pushgateway::validate_label_name(name)?;
            if cfg.grouping[..i].iter().any(|(earlier, _)| earlier == name) {
                return Err(Error::DuplicateLabelName(name.clone()));
            }
            extra.push((name.clone(), value.clone()));
        }
        let mut http = cfg.http.clone();
        http.headers
            .push(("X-Prometheus-Remote-Write-Version".into(), "0.1.0".into()));
        let mut receivers = Vec::new();
        for url in cfg.urls() {
            validate_url(url)?;
            let receiver = Arc::new(Receiver {
                url: url.to_owned(),
                state: Mutex::new(State {
                    lanes: (0..cfg.max_in_flight).map(|_| Lane::default()).collect(),
                    pending: 0,
                    stats: ReceiverStats {
                        url: redact_url(url),
                        ..ReceiverStats::default()
                    },
                    breaker: Breaker::new(cfg.breaker_threshold, cfg.breaker_open),
                    run: Run::Running,
                }),
                wake: Condvar::new(),
                max_pending: cfg.max_pending_samples as u64,
            });
            receivers.push(receiver);
        }
        let send_deadline = cfg.effective_flush_deadline();
        // Lane threads are detached: one stuck in a request at shutdown ends on its own
        // after the request's timeout, and never holds up the process.
        for r in &receivers {
            let budget = Delivery::shared_budget(cfg)?;
            for lane in 0..cfg.max_in_flight {
                let delivery = Delivery::new(cfg, &http, budget.clone(), PERMANENT_5XX)?;
                let r = r.clone();
                let spawned = std::thread::Builder::new()
                    .name("pushmetrics-rw".into())
                    .spawn(move || r.run_lane(lane, delivery, send_deadline));
                if let Err(e) = spawned {
                    for r in &receivers {
                        r.stop();
                    }
                    return Err(Error::Io(format!(
                        "cannot start a remote-write thread: {e}"
                    )));
                }
            }
        }
        Ok(RemoteWrite {
            encoder: Encoder::new(&extra),
            layout: Layout {
                lanes: cfg.max_in_flight,
                max_samples: cfg.max_samples_per_send,
            },
            receivers,
            staleness_markers: cfg.staleness_markers,
            seq: 0,
        })
    }

    /// The receivers, for stats read outside the push thread.
    pub(crate) fn receivers(&self) -> Vec<Arc<Receiver>> {
        self.receivers.clone()
    }

    /// The first receiver's URL, credentials removed.
    pub(crate) fn url(&self) -> String {
        redact_url(&self.receivers[0].url)
    }

    /// Writes one snapshot to every receiver and waits, until `deadline`, to learn whether
    /// it was delivered. What is not delivered by then stays queued. An `urgent` write
    /// (asked for by the application) is sent at once, past backoffs and open breakers.
    pub(crate) fn write(
        &mut self,
        snapshot: &Snapshot,
        deadline: Instant,
        urgent: bool,
        wait: &mut dyn FnMut(Duration) -> bool,
        stats: &mut Stats,
    ) -> std::result::Result<FlushReport, Failure> {
        let ts = self.encoder.stamp();
        let requests = self.encoder.encode(snapshot, ts, &self.layout, false);
        let series = snapshot.series_count() as u64;
        self.send(&requests, series, deadline, urgent, wait, stats)
    }

    /// At shutdown, after the final write: ends every series of `snapshot` with a
    /// staleness marker, if configured, and waits until `deadline` for it to arrive.
    pub(crate) fn end_series(
        &mut self,
        snapshot: &Snapshot,
        deadline: Instant,
        stats: &mut Stats,
    ) -> std::result::Result<(), Failure> {
        if !self.staleness_markers {
            return Ok(());
        }
        let ts = self.encoder.stamp();
        let requests = self.encoder.encode(snapshot, ts, &self.layout, true);
        let series = snapshot.series_count() as u64;
        let mut sleep = |d: Duration| {
            std::thread::sleep(d);
            true
        };
        self.send(&requests, series, deadline, true, &mut sleep, stats)
            .map(|_| ())
    }

    fn send(
        &mut self,
        requests: &[Vec<Request>],
        series: u64,
        deadline: Instant,
        urgent: bool,
        wait: &mut dyn FnMut(Duration) -> bool,
        stats: &mut Stats,
    ) -> std::result::Result<FlushReport, Failure> {
        let started = Instant::now();
        self.seq += 1;
        let n = requests.iter().map(Vec::len).sum();
        let before: Vec<ReceiverStats> = self.receivers.iter().map(|r| r.stats()).collect();
        let tickets: Vec<Arc<Ticket>> = self
            .receivers
            .iter()
            .map(|r| {
                let t = Ticket::new(n);
                r.enqueue(requests, self.seq, &t, urgent);
                t
            })
            .collect();
        let mut interrupted = false;
        while !tickets.iter().all(|t| t.finished()) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            if !wait(left.min(POLL)) {
                interrupted = true;
                break;
            }
        }
        let mut report = FlushReport {
            series,
            ..FlushReport::default()
        };
        let mut errors = Vec::new();
        for ((r, t), old) in self.receivers.iter().zip(&tickets).zip(&before) {
            let now = r.stats();
            report.requests += (now.requests - old.requests) as u32;
            report.bytes += now.bytes_sent - old.bytes_sent;
            let why = if t.finished() {
                match lock(&t.failed).clone() {
                    None => continue,
                    Some(why) => why,
                }
            } else {
                let why = match &now.last_error {
                    Some(e) if now.consecutive_failures > 0 => e.as_str(),
                    _ if interrupted => "interrupted by a command",
                    _ => "not delivered before the flush deadline",
                };
                format!("{why}; still queued")
            };
            errors.push(format!("{}: {why}", now.url));
        }
        fill_stats(&self.receivers, stats);
        report.duration = started.elapsed();
        if errors.is_empty() {
            Ok(report)
        } else {
            Err(Failure {
                message: format!("remote write: {}", errors.join("; ")),
                retry_after: None,
                retryable: true,
            })
        }
    }
}

impl Drop for RemoteWrite {
    fn drop(&mut self) {
        for r in &self.receivers {
            r.stop();
        }
    }
}

/// Adds the receivers' numbers to `stats`: their sums, and one entry per receiver.
pub(crate) fn fill_stats(receivers: &[Arc<Receiver>], stats: &mut Stats) {
    stats.receivers = receivers.iter().map(|r| r.stats()).collect();
    let sum = |f: fn(&ReceiverStats) -> u64| stats.receivers.iter().map(f).sum::<u64>();
    stats.samples_sent = sum(|r| r.samples_sent);
    stats.samples_dropped = sum(|r| r.samples_dropped);
    stats.samples_rejected = sum(|r| r.samples_rejected);
    stats.samples_pending = sum(|r| r.samples_pending);
    stats.requests = sum(|r| r.requests);
    stats.retries = sum(|r| r.retries);
    stats.retries_denied = sum(|r| r.retries_denied);
    stats.bytes_sent = sum(|r| r.bytes_sent);
    let worst = |s: BreakerState| match s {
        BreakerState::Closed => 0,
        BreakerState::HalfOpen => 1,
        BreakerState::Open => 2,
    };
    stats.breaker = stats
        .receivers
        .iter()
        .map(|r| r.breaker)
        .max_by_key(|b| worst(*b))
        .unwrap_or_default();
}

/// `http(s)://host[:port]/path[?query]`: a query is allowed (VictoriaMetrics'
/// `extra_label`), whitespace and a missing host are not.
fn validate_url(url: &str) -> Result<()> {
    let invalid = |why: &str| {
        Err(Error::InvalidConfig(format!(
            "invalid remote-write url {:?}: {why}",
            redact_url(url)
        )))
    };
    let Some((scheme, rest)) = url.split_once("://") else {
        return invalid("expected http://host:port/api/v1/write");
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return invalid("the scheme must be http or https");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    if host.is_empty() || host.starts_with(':') {
        return invalid("no host");
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return invalid("whitespace or control characters");
    }
    if url.contains('#') {
        return invalid("a fragment is not sent to the server");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked() {
        for bad in [
            "",
            "prom:9090/api/v1/write",
            "ftp://x/api",
            "http:///api/v1/write",
            "http://x /y",
            "http://x/y#z",
        ] {
            assert!(validate_url(bad).is_err(), "{bad:?}");
        }
        for good in [
            "http://127.0.0.1:9090/api/v1/write",
            "https://vm:8480/insert/42/prometheus/api/v1/write",
            "http://vm:8428/api/v1/write?extra_label=env=ci",
        ] {
            assert!(validate_url(good).is_ok(), "{good:?}");
        }
    }
}
