//! Per-metric sampling: keep a fraction of recording calls and weight each kept call so that
//! counts, sums and bucket counts stay unbiased estimates. Off by default.

use crate::error::{Error, Result};
use crate::metric::cell::Striped;
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering::*};
use std::time::Instant;

/// How a metric samples its recording calls.
///
/// ```
/// use pushmetrics::{Registry, Sampling};
/// let reg = Registry::new();
/// let c = reg.counter("hits_total", "Hits").sampling(Sampling::EveryNth(10)).build().unwrap();
/// for _ in 0..100 { c.inc(); }
/// assert_eq!(c.get(), 100.0); // ten kept calls, each weighted by 10
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum Sampling {
    /// Every call is recorded.
    #[default]
    Always,
    /// Each call is kept with probability `p` (0 < p <= 1) and weighted by `1/p`.
    Probability(f64),
    /// Every n-th call (per thread) is kept and weighted by `n`.
    EveryNth(u64),
    /// Aims at `per_second` kept calls per second per series (on average over the metric's
    /// series); the keep probability is recomputed every second from the observed rate.
    Adaptive {
        /// Kept calls per second per series.
        per_second: f64,
    },
}

impl Sampling {
    pub(crate) fn validate(&self) -> Result<()> {
        match *self {
            Sampling::Probability(p) if !(p > 0.0 && p <= 1.0) => Err(Error::InvalidConfig(
                format!("sampling probability {p} must be in (0, 1]"),
            )),
            Sampling::EveryNth(0) => Err(Error::InvalidConfig(
                "sampling every_nth(0): n must be at least 1".into(),
            )),
            Sampling::Adaptive { per_second } if !(per_second > 0.0 && per_second.is_finite()) => {
                Err(Error::InvalidConfig(format!(
                    "adaptive sampling rate {per_second} must be a positive number"
                )))
            }
            _ => Ok(()),
        }
    }
}

thread_local! {
    static RNG: Cell<u64> = Cell::new(seed());
}

fn seed() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let local = 0u8;
    let addr = &local as *const u8 as u64;
    let s = t ^ addr.rotate_left(32) ^ (crate::metric::cell::thread_index() as u64) << 48;
    s | 1
}

/// A uniform number in [0, 1) from a thread-local xorshift64* generator: a handful of
/// instructions, no locking, good enough for sampling and jitter.
#[inline]
pub(crate) fn random_f64() -> f64 {
    RNG.with(|c| {
        let mut x = c.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        c.set(x);
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    })
}

/// Rounds a weight to an integer count without bias: 2.5 becomes 2 or 3 with equal chance.
#[inline]
pub(crate) fn round_weight(w: f64) -> u64 {
    let floor = w.floor();
    let extra = if random_f64() < w - floor { 1 } else { 0 };
    floor as u64 + extra
}

const WINDOW_NANOS: u64 = 1_000_000_000;

/// The sampling state of one metric family.
pub(crate) struct Sampler {
    mode: Sampling,
    seen: Striped,
    kept: Striped,
    // Adaptive only: current keep probability (f64 bits), window start and seen count then.
    p: AtomicU64,
    window_start: AtomicU64,
    window_seen: AtomicU64,
    epoch: Instant,
}

impl Sampler {
    pub(crate) fn new(mode: Sampling) -> Option<Sampler> {
        if mode == Sampling::Always || mode == Sampling::EveryNth(1) {
            return None;
        }
        let p = match mode {
            Sampling::Probability(p) => p,
            _ => 1.0,
        };
        Some(Sampler {
            mode,
            seen: Striped::default(),
            kept: Striped::default(),
            p: AtomicU64::new(p.to_bits()),
            window_start: AtomicU64::new(0),
            window_seen: AtomicU64::new(0),
            epoch: Instant::now(),
        })
    }

    /// Decides one call: `Some(weight)` to record it with that weight, `None` to skip it.
    /// `series` is the family's current series count, for the adaptive target.
    #[inline]
    pub(crate) fn sample(&self, series: usize) -> Option<f64> {
        let seen = self.seen.local().fetch_add(1, Relaxed) + 1;
        let weight = match self.mode {
            Sampling::Always => Some(1.0),
            Sampling::EveryNth(n) => (seen % n == 0).then_some(n as f64),
            Sampling::Probability(p) => (random_f64() < p).then_some(1.0 / p),
            Sampling::Adaptive { per_second } => {
                if seen & 255 == 0 {
                    self.adapt(per_second, series);
                }
                let p = f64::from_bits(self.p.load(Relaxed));
                (p >= 1.0 || random_f64() < p).then_some(1.0 / p)
            }
        };
        if weight.is_some() {
            self.kept.add(1);
        }
        weight
    }

    #[cold]
    fn adapt(&self, per_second: f64, series: usize) {
        let now = self.epoch.elapsed().as_nanos() as u64;
        let start = self.window_start.load(Relaxed);
        let elapsed = now.saturating_sub(start);
        if elapsed < WINDOW_NANOS {
            return;
        }
        if self
            .window_start
            .compare_exchange(start, now, Relaxed, Relaxed)
            .is_err()
        {
            return; // another thread re-weights this window
        }
        let total = self.seen.get();
        let before = self.window_seen.swap(total, Relaxed);
        let rate = (total - before.min(total)) as f64 / (elapsed as f64 / 1e9);
        let target = per_second * series.max(1) as f64;
        let p = if rate <= target {
            1.0
        } else {
            (target / rate).max(1e-6)
        };
        self.p.store(p.to_bits(), Relaxed);
    }

    pub(crate) fn seen(&self) -> u64 {
        self.seen.get()
    }
    pub(crate) fn kept(&self) -> u64 {
        self.kept.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_sampling_parameters_are_rejected_with_the_value() {
        let e = Sampling::Probability(1.5).validate().unwrap_err();
        assert!(e.to_string().contains("1.5"));
        assert!(Sampling::Probability(0.0).validate().is_err());
        assert!(Sampling::Probability(f64::NAN).validate().is_err());
        assert!(Sampling::EveryNth(0).validate().is_err());
        assert!(Sampling::Adaptive { per_second: -1.0 }.validate().is_err());
        assert!(Sampling::Adaptive { per_second: 5.0 }.validate().is_ok());
    }

    #[test]
    fn every_nth_keeps_exactly_one_in_n_per_thread() {
        let s = Sampler::new(Sampling::EveryNth(7)).unwrap();
        let total: f64 = (0..700).filter_map(|_| s.sample(1)).sum();
        assert_eq!(total, 700.0);
        assert_eq!(s.kept(), 100);
        assert_eq!(s.seen(), 700);
    }

    #[test]
    fn probability_estimate_of_a_known_count_is_unbiased() {
        // 200,000 calls at p = 0.1: the estimate has a standard deviation of
        // sqrt(n (1-p) / p) = 1342, so 6 sigma is about 8,000 (4 %).
        let s = Sampler::new(Sampling::Probability(0.1)).unwrap();
        let n = 200_000;
        let estimate: f64 = (0..n).filter_map(|_| s.sample(1)).sum();
        assert!((estimate - n as f64).abs() < 8_050.0, "estimate {estimate}");
    }

    #[test]
    fn round_weight_is_unbiased() {
        let n = 100_000;
        let total: u64 = (0..n).map(|_| round_weight(2.5)).sum();
        // Each draw has variance 0.25, so 6 sigma of the total is 6 * sqrt(25,000) = 949.
        assert!((total as f64 - 250_000.0).abs() < 950.0, "total {total}");
    }

    #[test]
    fn adaptive_lowers_the_keep_probability_under_a_high_rate() {
        let s = Sampler::new(Sampling::Adaptive { per_second: 5000.0 }).unwrap();
        let start = Instant::now();
        let mut kept_weight = 0.0;
        let mut calls = 0u64;
        while start.elapsed().as_millis() < 2_200 {
            for _ in 0..1000 {
                calls += 1;
                if let Some(w) = s.sample(1) {
                    kept_weight += w;
                }
            }
        }
        let p = f64::from_bits(s.p.load(Relaxed));
        assert!(p < 0.5, "keep probability {p} after {calls} calls");
        // About 10,000 kept calls: the relative sd of the estimate is about 1 %, so 5 % is
        // five standard deviations; the estimate stays close although most calls were dropped.
        let err = (kept_weight - calls as f64).abs() / calls as f64;
        assert!(err < 0.05, "relative error {err}");
    }
}
