//! The circuit breaker: after enough consecutive failed flushes it stops pushing for a
//! while, then lets a single probe through; a gateway that is down gets one request per
//! open period instead of a full flush with retries every interval.

use std::time::{Duration, Instant};

/// How many times the base open duration a breaker may stay open after repeated failed
/// probes.
const MAX_OPEN_FACTOR: u32 = 8;

/// The state of a circuit breaker, as reported in stats and self-metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum BreakerState {
    /// Pushing normally.
    #[default]
    Closed,
    /// Not pushing until the open period ends.
    Open,
    /// One probe push is allowed; its outcome closes or re-opens the breaker.
    HalfOpen,
}

impl BreakerState {
    /// `"closed"`, `"open"` or `"half_open"`.
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
        }
    }

    /// 0 closed, 1 open, 2 half-open: the value of the breaker-state gauge.
    pub fn code(self) -> u8 {
        match self {
            BreakerState::Closed => 0,
            BreakerState::Open => 1,
            BreakerState::HalfOpen => 2,
        }
    }
}

impl std::fmt::Display for BreakerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed,
    Open {
        until: Instant,
    },
    /// The single probe has been let through and its outcome is pending.
    HalfOpen,
}

/// A circuit breaker counting failed flushes (not single requests: retries inside one
/// flush are the retry policy's business).
#[derive(Debug, Clone)]
pub(crate) struct Breaker {
    /// Consecutive failures that open the breaker; 0 means it never opens.
    threshold: u32,
    open_duration: Duration,
    /// Multiplier of `open_duration` for the next opening; doubles per failed probe.
    factor: u32,
    consecutive_failures: u32,
    state: State,
}

impl Breaker {
    pub(crate) fn new(threshold: u32, open_duration: Duration) -> Breaker {
        Breaker {
            threshold,
            open_duration,
            factor: 1,
            consecutive_failures: 0,
            state: State::Closed,
        }
    }

    /// Whether a flush may push now. Moving from open to half-open happens here, and the
    /// call that does it is the probe: every other call gets `false` until the probe's
    /// outcome is reported.
    pub(crate) fn allow(&mut self, now: Instant) -> bool {
        match self.state {
            State::Closed => true,
            State::Open { until } if now >= until => {
                self.state = State::HalfOpen;
                true
            }
            State::Open { .. } | State::HalfOpen => false,
        }
    }

    pub(crate) fn on_success(&mut self) {
        self.consecutive_failures = 0;
        self.factor = 1;
        self.state = State::Closed;
    }

    pub(crate) fn on_failure(&mut self, now: Instant) {
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        match self.state {
            State::Closed => {
                if self.threshold > 0 && self.consecutive_failures >= self.threshold {
                    self.open(now);
                }
            }
            State::HalfOpen => {
                self.factor = (self.factor * 2).min(MAX_OPEN_FACTOR);
                self.open(now);
            }
            // A flush that started before the breaker opened and failed afterwards must
            // not extend the open period.
            State::Open { .. } => {}
        }
    }

    pub(crate) fn state(&self) -> BreakerState {
        match self.state {
            State::Closed => BreakerState::Closed,
            State::Open { .. } => BreakerState::Open,
            State::HalfOpen => BreakerState::HalfOpen,
        }
    }

    /// When an open breaker will let the next probe through.
    #[cfg(test)]
    pub(crate) fn open_until(&self) -> Option<Instant> {
        match self.state {
            State::Open { until } => Some(until),
            _ => None,
        }
    }

    pub(crate) fn consecutive_failures(&self) -> u32 {
        self.consecutive_failures
    }

    fn open(&mut self, now: Instant) {
        let period = self.open_duration.saturating_mul(self.factor);
        // A period too long to represent is as good as "for a year".
        let until = now
            .checked_add(period)
            .or_else(|| now.checked_add(Duration::from_secs(365 * 86_400)))
            .unwrap_or(now);
        self.state = State::Open { until };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPEN: Duration = Duration::from_secs(30);

    fn s(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn stays_closed_below_the_threshold() {
        let mut b = Breaker::new(3, OPEN);
        let t0 = Instant::now();
        b.on_failure(t0);
        b.on_failure(t0);
        assert_eq!(b.state(), BreakerState::Closed);
        assert!(b.allow(t0));
        assert_eq!(b.consecutive_failures(), 2);
    }

    #[test]
    fn opens_after_threshold_consecutive_failures() {
        let mut b = Breaker::new(3, OPEN);
        let t0 = Instant::now();
        for _ in 0..3 {
            b.on_failure(t0);
        }
        assert_eq!(b.state(), BreakerState::Open);
        assert_eq!(b.open_until(), Some(t0 + OPEN));
        assert!(!b.allow(t0));
        assert!(!b.allow(t0 + s(29)));
    }

    #[test]
    fn success_resets_the_failure_count() {
        let mut b = Breaker::new(3, OPEN);
        let t0 = Instant::now();
        b.on_failure(t0);
        b.on_failure(t0);
        b.on_success();
        b.on_failure(t0);
        b.on_failure(t0);
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[test]
    fn half_open_allows_exactly_one_probe() {
        let mut b = Breaker::new(1, OPEN);
        let t0 = Instant::now();
        b.on_failure(t0);
        assert!(b.allow(t0 + OPEN));
        assert_eq!(b.state(), BreakerState::HalfOpen);
        assert!(!b.allow(t0 + OPEN));
        assert!(!b.allow(t0 + s(1000)));
    }

    #[test]
    fn successful_probe_closes_the_breaker() {
        let mut b = Breaker::new(2, OPEN);
        let t0 = Instant::now();
        b.on_failure(t0);
        b.on_failure(t0);
        assert!(b.allow(t0 + OPEN));
        b.on_success();
        assert_eq!(b.state(), BreakerState::Closed);
        assert_eq!(b.consecutive_failures(), 0);
        assert!(b.allow(t0 + OPEN));
        // Closed again means the full threshold applies again.
        b.on_failure(t0 + OPEN);
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[test]
    fn failed_probe_doubles_the_open_period_up_to_eight_times() {
        let mut b = Breaker::new(1, OPEN);
        let mut now = Instant::now();
        b.on_failure(now);
        let mut periods = Vec::new();
        for _ in 0..6 {
            let until = b.open_until().unwrap();
            periods.push((until - now).as_secs());
            now = until;
            assert!(b.allow(now));
            b.on_failure(now);
        }
        assert_eq!(periods, [30, 60, 120, 240, 240, 240]);
    }

    #[test]
    fn success_resets_the_open_period() {
        let mut b = Breaker::new(1, OPEN);
        let t0 = Instant::now();
        b.on_failure(t0);
        assert!(b.allow(t0 + s(30)));
        b.on_failure(t0 + s(30));
        assert_eq!(b.open_until(), Some(t0 + s(90)));
        assert!(b.allow(t0 + s(90)));
        b.on_success();
        b.on_failure(t0 + s(100));
        assert_eq!(b.open_until(), Some(t0 + s(130)));
    }

    #[test]
    fn late_failure_while_open_does_not_extend_the_period() {
        let mut b = Breaker::new(1, OPEN);
        let t0 = Instant::now();
        b.on_failure(t0);
        b.on_failure(t0 + s(10));
        assert_eq!(b.open_until(), Some(t0 + OPEN));
        assert_eq!(b.consecutive_failures(), 2);
    }

    #[test]
    fn zero_threshold_never_opens() {
        let mut b = Breaker::new(0, OPEN);
        let t0 = Instant::now();
        for _ in 0..100 {
            b.on_failure(t0);
        }
        assert_eq!(b.state(), BreakerState::Closed);
        assert!(b.allow(t0));
    }

    #[test]
    fn huge_open_duration_does_not_overflow() {
        let mut b = Breaker::new(1, Duration::MAX);
        let t0 = Instant::now();
        b.on_failure(t0);
        assert!(!b.allow(t0 + s(86_400)));
        assert!(b.open_until().unwrap() > t0 + s(86_400 * 300));
    }

    #[test]
    fn state_names_and_codes() {
        let all = [
            BreakerState::Closed,
            BreakerState::Open,
            BreakerState::HalfOpen,
        ];
        let named: Vec<_> = all.iter().map(|s| (s.as_str(), s.code())).collect();
        assert_eq!(named, [("closed", 0), ("open", 1), ("half_open", 2)]);
        assert_eq!(BreakerState::HalfOpen.to_string(), "half_open");
    }
}
