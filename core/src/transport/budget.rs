//! The retry budget: retries may be at most a fraction of recent requests, plus a small
//! floor, so a fleet of pushers cannot multiply its load on a gateway that is struggling.
//! Modelled on Finagle's `RetryBudget`: requests deposit, retries withdraw, both expire.

use std::time::{Duration, Instant};

use crate::{Error, Result};

/// Token unit: one retry costs `SCALE`, one request deposits `ratio * SCALE`.
const SCALE: i64 = 1000;
/// The window is kept as this many slots; tokens expire one slot at a time.
const SLOTS: usize = 10;

/// A budget of retries over a sliding window.
///
/// Only first attempts call [`RetryBudget::on_request`]: a retry that deposited would
/// pay for the next retry, and the budget would never run dry.
#[derive(Debug, Clone)]
pub(crate) struct RetryBudget {
    deposit: i64,
    /// Tokens that exist independently of traffic, so a pusher that sends one request per
    /// interval can still retry now and then.
    reserve: i64,
    slot_nanos: u128,
    epoch: Option<Instant>,
    /// (absolute slot number, net tokens added during that slot).
    slots: [(u64, i64); SLOTS],
}

impl RetryBudget {
    pub(crate) const DEFAULT_RATIO: f64 = 0.2;
    pub(crate) const DEFAULT_MIN_RETRIES: u32 = 3;
    pub(crate) const DEFAULT_WINDOW: Duration = Duration::from_secs(10);

    /// A budget allowing `ratio` retries per request and at least `min_retries` retries in
    /// every `window`.
    pub(crate) fn new(ratio: f64, min_retries: u32, window: Duration) -> Result<RetryBudget> {
        if !(0.0..=100.0).contains(&ratio) {
            return Err(Error::InvalidConfig(format!(
                "retry_budget must be a fraction between 0 and 100, got {ratio}"
            )));
        }
        if window.is_zero() {
            return Err(Error::InvalidConfig(
                "retry budget window must be longer than zero".to_string(),
            ));
        }
        Ok(RetryBudget {
            deposit: (ratio * SCALE as f64).round() as i64,
            reserve: i64::from(min_retries) * SCALE,
            slot_nanos: (window.as_nanos() / SLOTS as u128).max(1),
            epoch: None,
            slots: [(0, 0); SLOTS],
        })
    }

    /// The default budget with another ratio (the `retry_budget` option).
    pub(crate) fn with_ratio(ratio: f64) -> Result<RetryBudget> {
        RetryBudget::new(ratio, Self::DEFAULT_MIN_RETRIES, Self::DEFAULT_WINDOW)
    }

    /// Records a first attempt.
    pub(crate) fn on_request(&mut self, now: Instant) {
        self.add(now, self.deposit);
    }

    /// Takes the tokens for one retry if the budget has them; `false` means do not retry.
    pub(crate) fn try_retry(&mut self, now: Instant) -> bool {
        if self.balance(now) >= SCALE {
            self.add(now, -SCALE);
            true
        } else {
            false
        }
    }

    /// How many retries [`RetryBudget::try_retry`] would grant right now.
    #[cfg(test)]
    pub(crate) fn retries_allowed_now(&self, now: Instant) -> u32 {
        (self.balance(now).max(0) / SCALE)
            .try_into()
            .unwrap_or(u32::MAX)
    }

    fn slot_of(&self, now: Instant) -> u64 {
        let Some(epoch) = self.epoch else { return 0 };
        let slot = now.saturating_duration_since(epoch).as_nanos() / self.slot_nanos;
        slot.try_into().unwrap_or(u64::MAX)
    }

    fn balance(&self, now: Instant) -> i64 {
        let current = self.slot_of(now);
        let live: i64 = self
            .slots
            .iter()
            .filter(|(slot, _)| *slot <= current && current - *slot < SLOTS as u64)
            .map(|(_, tokens)| tokens)
            .sum();
        self.reserve + live
    }

    fn add(&mut self, now: Instant, tokens: i64) {
        self.epoch.get_or_insert(now);
        let current = self.slot_of(now);
        let cell = &mut self.slots[(current % SLOTS as u64) as usize];
        if cell.0 != current {
            *cell = (current, 0);
        }
        cell.1 += tokens;
    }
}

impl Default for RetryBudget {
    fn default() -> RetryBudget {
        RetryBudget::with_ratio(Self::DEFAULT_RATIO).expect("default retry budget is valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn idle_pusher_can_still_retry_the_floor() {
        let mut b = RetryBudget::default();
        let t0 = Instant::now();
        assert_eq!(b.retries_allowed_now(t0), 3);
        assert!(b.try_retry(t0));
        assert!(b.try_retry(t0));
        assert!(b.try_retry(t0));
        assert!(!b.try_retry(t0));
        assert_eq!(b.retries_allowed_now(t0), 0);
    }

    #[test]
    fn retries_are_a_fraction_of_requests_on_top_of_the_floor() {
        let mut b = RetryBudget::default();
        let t0 = Instant::now();
        for _ in 0..100 {
            b.on_request(t0);
        }
        // 100 requests * 0.2 + 3 floor
        assert_eq!(b.retries_allowed_now(t0), 23);
        let granted = (0..100).filter(|_| b.try_retry(t0)).count();
        assert_eq!(granted, 23);
    }

    #[test]
    fn deposits_expire_after_the_window() {
        let mut b = RetryBudget::default();
        let t0 = Instant::now();
        for _ in 0..50 {
            b.on_request(t0);
        }
        assert_eq!(b.retries_allowed_now(t0 + secs(9.9)), 13);
        assert_eq!(b.retries_allowed_now(t0 + secs(10.0)), 3);
        assert_eq!(b.retries_allowed_now(t0 + secs(1000.0)), 3);
    }

    #[test]
    fn withdrawals_expire_after_the_window_so_the_floor_comes_back() {
        let mut b = RetryBudget::default();
        let t0 = Instant::now();
        while b.try_retry(t0) {}
        assert!(!b.try_retry(t0 + secs(5.0)));
        assert!(b.try_retry(t0 + secs(10.0)));
    }

    #[test]
    fn the_window_slides_slot_by_slot() {
        let mut b = RetryBudget::default();
        let t0 = Instant::now();
        for i in 0..10 {
            for _ in 0..10 {
                b.on_request(t0 + secs(f64::from(i)));
            }
        }
        // Ten slots of ten requests each: 20 retries + 3.
        assert_eq!(b.retries_allowed_now(t0 + secs(9.5)), 23);
        // The first second of deposits has expired.
        assert_eq!(b.retries_allowed_now(t0 + secs(10.5)), 21);
        assert_eq!(b.retries_allowed_now(t0 + secs(15.5)), 11);
        assert_eq!(b.retries_allowed_now(t0 + secs(19.5)), 3);
    }

    #[test]
    fn slot_reuse_after_a_long_pause_starts_from_zero() {
        let mut b = RetryBudget::default();
        let t0 = Instant::now();
        for _ in 0..100 {
            b.on_request(t0);
        }
        // Same ring position, ten windows later: the old deposits must not leak in.
        b.on_request(t0 + secs(100.0));
        assert_eq!(b.retries_allowed_now(t0 + secs(100.0)), 3);
        for _ in 0..4 {
            b.on_request(t0 + secs(100.0));
        }
        assert_eq!(b.retries_allowed_now(t0 + secs(100.0)), 4);
    }

    #[test]
    fn sustained_failure_retries_at_most_the_ratio() {
        let mut b = RetryBudget::default();
        let t0 = Instant::now();
        let mut retries = 0;
        let requests = 10_000;
        for i in 0..requests {
            let now = t0 + Duration::from_millis(i);
            b.on_request(now);
            // Every request fails and wants two retries.
            for _ in 0..2 {
                if b.try_retry(now) {
                    retries += 1;
                }
            }
        }
        let ratio = f64::from(retries) / requests as f64;
        assert!(ratio <= 0.2 + 0.01, "ratio {ratio}");
        assert!(ratio >= 0.19, "ratio {ratio}");
    }

    #[test]
    fn zero_ratio_allows_only_the_floor() {
        let mut b = RetryBudget::new(0.0, 1, Duration::from_secs(10)).unwrap();
        let t0 = Instant::now();
        for _ in 0..1000 {
            b.on_request(t0);
        }
        assert_eq!(b.retries_allowed_now(t0), 1);
    }

    #[test]
    fn invalid_ratio_or_window_is_rejected() {
        for ratio in [-0.1, f64::NAN, f64::INFINITY, 101.0] {
            let err = RetryBudget::with_ratio(ratio).unwrap_err();
            assert!(matches!(err, Error::InvalidConfig(_)), "{ratio}");
        }
        assert!(RetryBudget::new(0.2, 3, Duration::ZERO).is_err());
    }

    #[test]
    fn time_before_the_first_event_does_not_panic() {
        let t0 = Instant::now();
        let mut b = RetryBudget::default();
        b.on_request(t0 + secs(5.0));
        assert_eq!(b.retries_allowed_now(t0), 3);
        assert!(b.try_retry(t0));
    }
}
