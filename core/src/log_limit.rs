//! Rate limit for the library's repeated log messages, shared by every binding's logger:
//! a message of the same kind is let through at most once per interval, and the next one
//! let through carries the count of those held back in between.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Mutex, OnceLock, TryLockError};
use std::time::{Duration, Instant};

/// How often a message of one kind is let through by [`allow`].
pub const INTERVAL: Duration = Duration::from_secs(10);

/// Kinds of message remembered at once; past this the oldest are forgotten, so a flood of
/// distinct messages cannot grow memory.
const MAX_KINDS: usize = 256;

/// Characters of a message that make its kind (after digits are left out).
const KEY_CHARS: usize = 96;

/// Lets one message of each kind through per interval.
///
/// ```
/// use pushmetrics::log_limit::Limiter;
/// use std::time::{Duration, Instant};
///
/// let limiter = Limiter::new(Duration::from_secs(10));
/// let t0 = Instant::now();
/// assert_eq!(limiter.check_at("pushmetrics", "push failed: refused", t0), Some(0));
/// assert_eq!(limiter.check_at("pushmetrics", "push failed: refused", t0), None);
/// let later = t0 + Duration::from_secs(11);
/// assert_eq!(limiter.check_at("pushmetrics", "push failed: refused", later), Some(1));
/// ```
#[derive(Debug)]
pub struct Limiter {
    interval: Duration,
    kinds: Mutex<HashMap<u64, Kind>>,
}

#[derive(Debug)]
struct Kind {
    last: Instant,
    suppressed: u64,
}

impl Limiter {
    /// A limiter that lets each kind of message through once per `interval`.
    pub fn new(interval: Duration) -> Limiter {
        Limiter {
            interval,
            kinds: Mutex::new(HashMap::new()),
        }
    }

    /// Whether a message from `target` may be logged at `now`: `Some(n)` if it may, `n`
    /// being how many of its kind were held back since the last one let through; `None` if
    /// it is held back. Messages that differ only in their numbers are of one kind.
    pub fn check_at(&self, target: &str, message: &str, now: Instant) -> Option<u64> {
        let key = kind_of(target, message);
        // Held for one map lookup by whoever holds it, and only tried, never waited for:
        // a lock copied held into a forked child must not hang its push thread. A message
        // that finds it busy is let through.
        let Some(mut kinds) = try_lock(&self.kinds) else {
            return Some(0);
        };
        if let Some(kind) = kinds.get_mut(&key) {
            if now.saturating_duration_since(kind.last) < self.interval {
                kind.suppressed += 1;
                return None;
            }
            kind.last = now;
            return Some(std::mem::take(&mut kind.suppressed));
        }
        if kinds.len() >= MAX_KINDS {
            let interval = self.interval;
            kinds.retain(|_, k| now.saturating_duration_since(k.last) < interval);
            if kinds.len() >= MAX_KINDS {
                kinds.clear();
            }
        }
        kinds.insert(
            key,
            Kind {
                last: now,
                suppressed: 0,
            },
        );
        Some(0)
    }
}

fn try_lock<T>(m: &Mutex<T>) -> Option<std::sync::MutexGuard<'_, T>> {
    for _ in 0..64 {
        match m.try_lock() {
            Ok(g) => return Some(g),
            Err(TryLockError::Poisoned(e)) => return Some(e.into_inner()),
            Err(TryLockError::WouldBlock) => std::thread::yield_now(),
        }
    }
    None
}

fn kind_of(target: &str, message: &str) -> u64 {
    let mut h = DefaultHasher::new();
    target.hash(&mut h);
    for c in message
        .chars()
        .filter(|c| !c.is_ascii_digit())
        .take(KEY_CHARS)
    {
        c.hash(&mut h);
    }
    h.finish()
}

/// The process-wide limiter every binding's logger asks before it forwards a record:
/// `Some(n)` to log it (with `n` similar messages held back before it, see [`with_note`]),
/// `None` to drop it. One message of a kind per [`INTERVAL`].
///
/// ```
/// let first = pushmetrics::log_limit::allow("doc-example", "breaker opened");
/// assert_eq!(first, Some(0));
/// assert_eq!(pushmetrics::log_limit::allow("doc-example", "breaker opened"), None);
/// ```
pub fn allow(target: &str, message: &str) -> Option<u64> {
    static LIMITER: OnceLock<Limiter> = OnceLock::new();
    LIMITER
        .get_or_init(|| Limiter::new(INTERVAL))
        .check_at(target, message, Instant::now())
}

/// The message to log once [`allow`] let it through after holding back `suppressed`
/// similar ones.
///
/// ```
/// use pushmetrics::log_limit::with_note;
/// assert_eq!(with_note("push failed", 0), "push failed");
/// assert_eq!(with_note("push failed", 3), "push failed (3 similar messages suppressed)");
/// ```
pub fn with_note(message: &str, suppressed: u64) -> String {
    if suppressed == 0 {
        message.to_owned()
    } else {
        format!("{message} ({suppressed} similar messages suppressed)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_message_passes_once_per_interval_and_counts_the_rest() {
        let l = Limiter::new(Duration::from_secs(10));
        let t0 = Instant::now();
        assert_eq!(l.check_at("pm", "push failed: refused", t0), Some(0));
        for i in 1..=5 {
            let t = t0 + Duration::from_secs(i);
            assert_eq!(l.check_at("pm", "push failed: refused", t), None);
        }
        let t = t0 + Duration::from_secs(10);
        assert_eq!(l.check_at("pm", "push failed: refused", t), Some(5));
        assert_eq!(l.check_at("pm", "push failed: refused", t), None);
    }

    #[test]
    fn messages_differing_only_in_numbers_are_one_kind() {
        let l = Limiter::new(Duration::from_secs(10));
        let t0 = Instant::now();
        assert_eq!(l.check_at("pm", "dropped 12 samples", t0), Some(0));
        assert_eq!(l.check_at("pm", "dropped 7 samples", t0), None);
    }

    #[test]
    fn different_kinds_and_targets_are_limited_apart() {
        let l = Limiter::new(Duration::from_secs(10));
        let t0 = Instant::now();
        assert_eq!(l.check_at("pm", "push failed: refused", t0), Some(0));
        assert_eq!(l.check_at("pm", "breaker opened", t0), Some(0));
        assert_eq!(l.check_at("other", "push failed: refused", t0), Some(0));
    }

    #[test]
    fn many_distinct_kinds_stay_bounded() {
        let l = Limiter::new(Duration::from_secs(10));
        let t0 = Instant::now();
        for i in 0..(MAX_KINDS * 4) {
            let msg = format!("kind {}", char::from_u32(0x4e00 + i as u32).unwrap());
            assert_eq!(l.check_at("pm", &msg, t0), Some(0));
        }
        assert!(l.kinds.lock().unwrap().len() <= MAX_KINDS);
    }

    #[test]
    fn note_names_the_suppressed_count() {
        assert_eq!(with_note("x", 0), "x");
        assert_eq!(with_note("x", 2), "x (2 similar messages suppressed)");
    }
}
