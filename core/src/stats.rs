//! What a pusher knows about its own health: the counters behind `stats()` and `healthy()`,
//! and the `pushmetrics_*` self-metrics pushed alongside the application's metrics.

use crate::cardinality::GuardCounts;
use crate::metric::counter::{Counter, CounterVec};
use crate::metric::gauge::{Gauge, GaugeVec};
use crate::registry::Registry;
use crate::transport::BreakerState;
use std::time::{Duration, SystemTime};

/// A pusher's health, as `Pusher::stats()` returns it.
#[derive(Clone, Debug, PartialEq)]
pub struct Stats {
    /// Flushes that delivered everything.
    pub pushes_ok: u64,
    /// Flushes that failed (after their retries).
    pub pushes_failed: u64,
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// Requests that were retries.
    pub retries: u64,
    /// Retries not made because the retry budget was spent.
    pub retries_denied: u64,
    /// Scheduled flushes skipped because the circuit breaker was open.
    pub flushes_skipped: u64,
    /// When the last flush succeeded.
    pub last_success: Option<SystemTime>,
    /// The last failure, with the server's message when there was one (never credentials).
    pub last_error: Option<String>,
    /// Failed flushes since the last success.
    pub consecutive_failures: u32,
    /// State of the circuit breaker.
    pub breaker: BreakerState,
    /// Live series in the registry.
    pub series: u64,
    /// Calls folded into overflow series, all metrics together.
    pub overflowed: u64,
    /// Series evicted for idleness, all metrics together.
    pub evicted: u64,
    /// Calls skipped by sampling, all metrics together.
    pub sampled_out: u64,
    /// Commands waiting for the push thread.
    pub queue_length: u64,
    /// Request body bytes sent (after compression).
    pub bytes_sent: u64,
    /// Duration of the last flush.
    pub last_push_duration: Option<Duration>,
    /// Remote write: samples the receivers accepted, all receivers together.
    pub samples_sent: u64,
    /// Remote write: samples dropped unsent because a receiver's pending queue was full, or
    /// still queued when a shutdown's timeout ended.
    pub samples_dropped: u64,
    /// Remote write: samples a receiver refused for good (a 4xx, or a 5xx no retry can
    /// fix); the requests behind them were sent on.
    pub samples_rejected: u64,
    /// Remote write: samples waiting to be sent, all receivers together.
    pub samples_pending: u64,
    /// Remote write: each receiver's own numbers, in the order of the URLs (empty for a
    /// Pushgateway).
    pub receivers: Vec<ReceiverStats>,
}

/// One remote-write receiver's health, in [`Stats::receivers`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReceiverStats {
    /// The write URL, credentials removed.
    pub url: String,
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// Requests that were retries.
    pub retries: u64,
    /// Retries not made because the retry budget was spent.
    pub retries_denied: u64,
    /// Samples the receiver accepted.
    pub samples_sent: u64,
    /// Samples dropped unsent because the pending queue was full, or still queued when a
    /// shutdown's timeout ended.
    pub samples_dropped: u64,
    /// Samples the receiver refused for good.
    pub samples_rejected: u64,
    /// Samples waiting to be sent.
    pub samples_pending: u64,
    /// Request body bytes sent (snappy-compressed).
    pub bytes_sent: u64,
    /// When a request last succeeded.
    pub last_success: Option<SystemTime>,
    /// The last failure or rejection, with the receiver's message.
    pub last_error: Option<String>,
    /// Failed sends since the last success.
    pub consecutive_failures: u32,
    /// State of this receiver's circuit breaker.
    pub breaker: BreakerState,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            pushes_ok: 0,
            pushes_failed: 0,
            requests: 0,
            retries: 0,
            retries_denied: 0,
            flushes_skipped: 0,
            last_success: None,
            last_error: None,
            consecutive_failures: 0,
            breaker: BreakerState::Closed,
            series: 0,
            overflowed: 0,
            evicted: 0,
            sampled_out: 0,
            queue_length: 0,
            bytes_sent: 0,
            last_push_duration: None,
            samples_sent: 0,
            samples_dropped: 0,
            samples_rejected: 0,
            samples_pending: 0,
            receivers: Vec::new(),
        }
    }
}

impl Stats {
    pub(crate) fn add_guard(&mut self, guard: &[(String, GuardCounts)]) {
        self.series = guard.iter().map(|(_, g)| g.series).sum();
        self.overflowed = guard.iter().map(|(_, g)| g.overflowed).sum();
        self.evicted = guard.iter().map(|(_, g)| g.evicted).sum();
        self.sampled_out = guard
            .iter()
            .map(|(_, g)| g.sampled_seen - g.sampled_kept.min(g.sampled_seen))
            .sum();
    }
}

/// The `pushmetrics_*` families, kept in a private registry and brought up to date with
/// the pusher's stats right before each snapshot.
pub(crate) struct SelfMetrics {
    pub(crate) registry: Registry,
    pushes: CounterVec,
    requests: Counter,
    retries: Counter,
    retries_denied: Counter,
    skipped: Counter,
    bytes: Counter,
    last_success: Gauge,
    consecutive: Gauge,
    breaker: Gauge,
    series: Gauge,
    duration: Gauge,
    overflow: CounterVec,
    evicted: CounterVec,
    sampled_out: CounterVec,
    rw_sent: CounterVec,
    rw_dropped: CounterVec,
    rw_rejected: CounterVec,
    rw_pending: GaugeVec,
    rw_failures: GaugeVec,
    published: Stats,
    published_guard: Vec<(String, GuardCounts)>,
}

impl SelfMetrics {
    pub(crate) fn new() -> SelfMetrics {
        let r = Registry::builder()
            .max_series_per_metric(10_000)
            .build()
            .expect("valid limits");
        let c = |n: &str, h: &str| r.counter(n, h).build().expect("valid self-metric");
        let g = |n: &str, h: &str| r.gauge(n, h).build().expect("valid self-metric");
        let per_metric = |n: &str, h: &str| {
            r.counter(n, h)
                .labels(&["metric"])
                .build_vec()
                .expect("valid self-metric")
        };
        let per_receiver = |n: &str, h: &str| {
            r.counter(n, h)
                .labels(&["receiver"])
                .build_vec()
                .expect("valid self-metric")
        };
        let per_receiver_gauge = |n: &str, h: &str| {
            r.gauge(n, h)
                .labels(&["receiver"])
                .build_vec()
                .expect("valid self-metric")
        };
        SelfMetrics {
            rw_sent: per_receiver(
                "pushmetrics_remote_write_samples_sent_total",
                "Samples a remote-write receiver accepted.",
            ),
            rw_dropped: per_receiver(
                "pushmetrics_remote_write_samples_dropped_total",
                "Samples dropped unsent because the receiver's pending queue was full.",
            ),
            rw_rejected: per_receiver(
                "pushmetrics_remote_write_samples_rejected_total",
                "Samples a remote-write receiver refused for good.",
            ),
            rw_pending: per_receiver_gauge(
                "pushmetrics_remote_write_samples_pending",
                "Samples waiting to be sent to a remote-write receiver.",
            ),
            rw_failures: per_receiver_gauge(
                "pushmetrics_remote_write_consecutive_failures",
                "Failed sends to a remote-write receiver since its last success.",
            ),
            pushes: r
                .counter("pushmetrics_pushes_total", "Flushes by result.")
                .labels(&["result"])
                .build_vec()
                .expect("valid self-metric"),
            requests: c(
                "pushmetrics_requests_total",
                "HTTP requests sent, retries included.",
            ),
            retries: c(
                "pushmetrics_retries_total",
                "HTTP requests that were retries.",
            ),
            retries_denied: c(
                "pushmetrics_retries_denied_total",
                "Retries not made because the retry budget was spent.",
            ),
            skipped: c(
                "pushmetrics_flushes_skipped_total",
                "Flushes skipped while the circuit breaker was open.",
            ),
            bytes: c("pushmetrics_bytes_sent_total", "Request body bytes sent."),
            last_success: g(
                "pushmetrics_last_success_timestamp_seconds",
                "Unix time of the last successful flush.",
            ),
            consecutive: g(
                "pushmetrics_consecutive_failures",
                "Failed flushes since the last success.",
            ),
            breaker: g(
                "pushmetrics_breaker_state",
                "Circuit breaker: 0 closed, 1 open, 2 half-open.",
            ),
            series: g("pushmetrics_series", "Live series in the registry."),
            duration: g(
                "pushmetrics_last_push_duration_seconds",
                "Duration of the last flush.",
            ),
            overflow: per_metric(
                "pushmetrics_series_overflow_total",
                "Calls folded into the overflow series, per metric.",
            ),
            evicted: per_metric(
                "pushmetrics_series_evicted_total",
                "Series evicted for idleness, per metric.",
            ),
            sampled_out: per_metric(
                "pushmetrics_sampled_out_total",
                "Recording calls skipped by sampling, per metric.",
            ),
            registry: r,
            published: Stats::default(),
            published_guard: Vec::new(),
        }
    }

    /// Brings every family up to `now` (counters by their increase since the last update).
    pub(crate) fn update(&mut self, now: &Stats, guard: &[(String, GuardCounts)]) {
        let p = &self.published;
        let add = |c: &Counter, new: u64, old: u64| {
            if new > old {
                let _ = c.inc_by((new - old) as f64);
            }
        };
        if now.pushes_ok > p.pushes_ok {
            let _ = self
                .pushes
                .inc_by(&["ok"], (now.pushes_ok - p.pushes_ok) as f64);
        }
        if now.pushes_failed > p.pushes_failed {
            let _ = self
                .pushes
                .inc_by(&["failed"], (now.pushes_failed - p.pushes_failed) as f64);
        }
        add(&self.requests, now.requests, p.requests);
        add(&self.retries, now.retries, p.retries);
        add(&self.retries_denied, now.retries_denied, p.retries_denied);
        add(&self.skipped, now.flushes_skipped, p.flushes_skipped);
        add(&self.bytes, now.bytes_sent, p.bytes_sent);
        if let Some(t) = now.last_success {
            let secs = t
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64());
            self.last_success.set(secs);
        }
        self.consecutive.set(now.consecutive_failures as f64);
        self.breaker.set(now.breaker.code() as f64);
        self.series.set(now.series as f64);
        if let Some(d) = now.last_push_duration {
            self.duration.set(d.as_secs_f64());
        }
        for (name, g) in guard {
            let old = self
                .published_guard
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, g)| g.clone())
                .unwrap_or_default();
            let per = |v: &CounterVec, new: u64, old: u64| {
                if new > old {
                    let _ = v.inc_by(&[name.as_str()], (new - old) as f64);
                }
            };
            per(&self.overflow, g.overflowed, old.overflowed);
            per(&self.evicted, g.evicted, old.evicted);
            let out = |g: &GuardCounts| g.sampled_seen.saturating_sub(g.sampled_kept);
            per(&self.sampled_out, out(g), out(&old));
        }
        for (i, rx) in now.receivers.iter().enumerate() {
            let old = p.receivers.get(i).cloned().unwrap_or_default();
            let url = [rx.url.as_str()];
            let per = |v: &CounterVec, new: u64, old: u64| {
                // Created at zero, so that rate() and increase() see the first change.
                if let Ok(c) = v.with(&url) {
                    if new > old {
                        let _ = c.inc_by((new - old) as f64);
                    }
                }
            };
            per(&self.rw_sent, rx.samples_sent, old.samples_sent);
            per(&self.rw_dropped, rx.samples_dropped, old.samples_dropped);
            per(&self.rw_rejected, rx.samples_rejected, old.samples_rejected);
            let _ = self.rw_pending.set(&url, rx.samples_pending as f64);
            let _ = self.rw_failures.set(&url, rx.consecutive_failures as f64);
        }
        self.published = now.clone();
        self.published_guard = guard.to_vec();
    }
}
