//! Plain-data results a caller owns: a pusher's health (`pm_stats`), each remote-write
//! receiver's (`pm_receiver_stats`) and what one flush delivered (`pm_flush_report`). Each
//! starts with `size`, so the structs can grow without breaking programs built against an
//! older header: each accepts any `size` that covers the fields of its first version.

use crate::error::Failure;
use crate::ffi::write_versioned;
use pushmetrics_core::{BreakerState, FlushReport, ReceiverStats, Stats};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// State of a pusher's circuit breaker.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum pm_breaker_state {
    /// Pushing normally.
    PM_BREAKER_CLOSED = 0,
    /// Not pushing until the open period ends.
    PM_BREAKER_OPEN = 1,
    /// One probe push is allowed; its outcome closes or re-opens the breaker.
    PM_BREAKER_HALF_OPEN = 2,
}

/// A pusher's health, filled by `pm_pusher_stats`. Set `size` to `sizeof(pm_stats)` before
/// the call; the library writes the fields that fit and sets `size` to the bytes it
/// wrote, so a program built against an older, shorter `pm_stats` keeps working. The last
/// error text comes from `pm_pusher_last_error`; each remote-write receiver's numbers from
/// `pm_pusher_receiver_stats`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct pm_stats {
    /// Set by the caller to sizeof(pm_stats); set by the library to the bytes written.
    pub size: usize,
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
    /// Unix time of the last successful flush in milliseconds, or -1 if none yet.
    pub last_success_unix_ms: i64,
    /// Failed flushes since the last success.
    pub consecutive_failures: u32,
    /// State of the circuit breaker.
    pub breaker: pm_breaker_state,
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
    /// Duration of the last flush in milliseconds, or -1 if none yet.
    pub last_push_duration_ms: f64,
    /// Whether a flush has failed (its message: `pm_pusher_last_error`).
    pub has_last_error: bool,
    /// Remote write: samples the receivers accepted, all receivers together.
    pub samples_sent: u64,
    /// Remote write: samples dropped unsent because a receiver's pending queue was full
    /// (`pm_pusher_config_set_max_pending_samples`).
    pub samples_dropped: u64,
    /// Remote write: samples a receiver refused for good (a 4xx, or a 5xx no retry can fix).
    pub samples_rejected: u64,
    /// Remote write: samples waiting to be sent, all receivers together.
    pub samples_pending: u64,
    /// Remote write: the number of receivers, each described by `pm_pusher_receiver_stats`
    /// with an index below this count (0 for a Pushgateway).
    pub receivers: usize,
}

/// The smallest `size` a versioned struct accepts: the end of the last field of its first
/// version. Written with that field's name, it stays the same as fields are appended, so a
/// program built against the first header keeps working with every later library.
macro_rules! first_version_end {
    ($t:ty, $last:ident) => {{
        const fn field_size<T, F>(_: fn(&T) -> &F) -> usize {
            ::std::mem::size_of::<F>()
        }
        ::std::mem::offset_of!($t, $last) + field_size(|s: &$t| &s.$last)
    }};
}
pub(crate) use first_version_end;

/// `pm_stats` before the remote-write fields were appended ended with `has_last_error`.
const PM_STATS_V1_SIZE: usize = first_version_end!(pm_stats, has_last_error);
/// `pm_receiver_stats` as first published.
const PM_RECEIVER_STATS_V1_SIZE: usize = first_version_end!(pm_receiver_stats, has_last_error);
/// `pm_flush_report` as first published.
const PM_FLUSH_REPORT_V1_SIZE: usize = first_version_end!(pm_flush_report, duration_ms);

/// One remote-write receiver's health, filled by `pm_pusher_receiver_stats`. Set `size` to
/// `sizeof(pm_receiver_stats)` before the call; the library writes the fields that fit and
/// sets `size` to the bytes it wrote. Its URL and last error text come from
/// `pm_pusher_receiver_url` and `pm_pusher_receiver_last_error`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct pm_receiver_stats {
    /// Set by the caller to sizeof(pm_receiver_stats); set by the library to the bytes
    /// written.
    pub size: usize,
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// Requests that were retries.
    pub retries: u64,
    /// Retries not made because the retry budget was spent.
    pub retries_denied: u64,
    /// Samples the receiver accepted.
    pub samples_sent: u64,
    /// Samples dropped unsent because the pending queue was full.
    pub samples_dropped: u64,
    /// Samples the receiver refused for good.
    pub samples_rejected: u64,
    /// Samples waiting to be sent.
    pub samples_pending: u64,
    /// Request body bytes sent (snappy-compressed).
    pub bytes_sent: u64,
    /// Unix time of the last successful request in milliseconds, or -1 if none yet.
    pub last_success_unix_ms: i64,
    /// Failed sends since the last success.
    pub consecutive_failures: u32,
    /// State of this receiver's circuit breaker.
    pub breaker: pm_breaker_state,
    /// Whether a send has failed or been rejected (its message:
    /// `pm_pusher_receiver_last_error`).
    pub has_last_error: bool,
}

/// What one flush delivered, filled by `pm_pusher_flush` and `pm_pusher_config_push_once`.
/// Set `size` to `sizeof(pm_flush_report)` before the call.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct pm_flush_report {
    /// Set by the caller to sizeof(pm_flush_report); set by the library to the bytes written.
    pub size: usize,
    /// HTTP requests sent, retries included.
    pub requests: u32,
    /// Body bytes sent (after compression).
    pub bytes: u64,
    /// Series in the pushed snapshot (self-metrics included).
    pub series: u64,
    /// Wall time of the flush in milliseconds.
    pub duration_ms: f64,
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn unix_ms(t: Option<SystemTime>) -> i64 {
    t.and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(-1, |d| d.as_millis() as i64)
}

fn breaker(b: BreakerState) -> pm_breaker_state {
    match b {
        BreakerState::Closed => pm_breaker_state::PM_BREAKER_CLOSED,
        BreakerState::Open => pm_breaker_state::PM_BREAKER_OPEN,
        BreakerState::HalfOpen => pm_breaker_state::PM_BREAKER_HALF_OPEN,
    }
}

impl From<&Stats> for pm_stats {
    fn from(s: &Stats) -> pm_stats {
        pm_stats {
            size: 0,
            pushes_ok: s.pushes_ok,
            pushes_failed: s.pushes_failed,
            requests: s.requests,
            retries: s.retries,
            retries_denied: s.retries_denied,
            flushes_skipped: s.flushes_skipped,
            last_success_unix_ms: unix_ms(s.last_success),
            consecutive_failures: s.consecutive_failures,
            breaker: breaker(s.breaker),
            series: s.series,
            overflowed: s.overflowed,
            evicted: s.evicted,
            sampled_out: s.sampled_out,
            queue_length: s.queue_length,
            bytes_sent: s.bytes_sent,
            last_push_duration_ms: s.last_push_duration.map_or(-1.0, millis),
            has_last_error: s.last_error.is_some(),
            samples_sent: s.samples_sent,
            samples_dropped: s.samples_dropped,
            samples_rejected: s.samples_rejected,
            samples_pending: s.samples_pending,
            receivers: s.receivers.len(),
        }
    }
}

impl From<&ReceiverStats> for pm_receiver_stats {
    fn from(r: &ReceiverStats) -> pm_receiver_stats {
        pm_receiver_stats {
            size: 0,
            requests: r.requests,
            retries: r.retries,
            retries_denied: r.retries_denied,
            samples_sent: r.samples_sent,
            samples_dropped: r.samples_dropped,
            samples_rejected: r.samples_rejected,
            samples_pending: r.samples_pending,
            bytes_sent: r.bytes_sent,
            last_success_unix_ms: unix_ms(r.last_success),
            consecutive_failures: r.consecutive_failures,
            breaker: breaker(r.breaker),
            has_last_error: r.last_error.is_some(),
        }
    }
}

pub(crate) fn write_stats(out: *mut pm_stats, s: &Stats) -> Result<(), Failure> {
    write_versioned(out, pm_stats::from(s), "out", PM_STATS_V1_SIZE)
}

pub(crate) fn write_receiver_stats(
    out: *mut pm_receiver_stats,
    r: &ReceiverStats,
) -> Result<(), Failure> {
    write_versioned(
        out,
        pm_receiver_stats::from(r),
        "out",
        PM_RECEIVER_STATS_V1_SIZE,
    )
}

/// The receiver at `index` of a remote-write pusher's stats.
pub(crate) fn receiver(s: &Stats, index: usize) -> Result<&ReceiverStats, Failure> {
    s.receivers.get(index).ok_or_else(|| {
        Failure::invalid_argument(format!(
            "receiver index {index} is out of range: the pusher has {} receiver(s)",
            s.receivers.len()
        ))
    })
}

/// Fills an optional report (NULL: not wanted).
pub(crate) fn write_report(out: *mut pm_flush_report, r: &FlushReport) -> Result<(), Failure> {
    if out.is_null() {
        return Ok(());
    }
    let report = pm_flush_report {
        size: 0,
        requests: r.requests,
        bytes: r.bytes,
        series: r.series,
        duration_ms: millis(r.duration),
    };
    write_versioned(out, report, "report", PM_FLUSH_REPORT_V1_SIZE)
}
