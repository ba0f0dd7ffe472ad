//! When to try again: exponential backoff with full jitter, the `Retry-After` header
//! (delta-seconds or HTTP-date, RFC 9110), and the small random source both rely on.

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Exponential backoff with full jitter: attempt `n` (0-based) waits a uniform time in
/// `[0, min(max, base * 2^n)]`. Full jitter spreads a fleet's retries over the whole
/// window instead of bunching them at the cap, which is what stops a synchronised storm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Backoff {
    base: Duration,
    max: Duration,
}

impl Backoff {
    pub(crate) fn new(base: Duration, max: Duration) -> Backoff {
        Backoff { base, max }
    }

    /// The upper bound of the wait before retry number `attempt`, before jitter.
    pub(crate) fn ceiling(&self, attempt: u32) -> Duration {
        // 2^attempt no longer fits (or base * 2^attempt overflows): the cap applies anyway.
        1u32.checked_shl(attempt)
            .and_then(|factor| self.base.checked_mul(factor))
            .map_or(self.max, |d| d.min(self.max))
    }

    /// The wait before retry number `attempt`; `rng` yields uniform values in `[0, 1)`.
    pub(crate) fn delay(&self, attempt: u32, rng: &mut impl FnMut() -> f64) -> Duration {
        let r = rng();
        // A misbehaving source must not make `mul_f64` panic.
        let r = if r.is_finite() {
            r.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let cap = self.ceiling(attempt);
        // At r = 1 with a cap near Duration::MAX, the f64 product rounds past the maximum.
        Duration::try_from_secs_f64(cap.as_secs_f64() * r).map_or(cap, |d| d.min(cap))
    }
}

/// The longest wait `parse_retry_after` returns. Longer than any flush deadline, so the
/// hint still means "not this flush", and short enough that `Instant + wait` cannot overflow.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(86_400);

/// Parses a `Retry-After` value: delta-seconds (`120`) or an HTTP-date in any of the three
/// forms RFC 9110 §5.6.7 obliges a recipient to accept. A date in the past means "now";
/// waits are clamped to [`MAX_RETRY_AFTER`]. Returns `None` for anything else, so a
/// garbled header falls back to normal backoff.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    parse_unclamped(value, now).map(|d| d.min(MAX_RETRY_AFTER))
}

fn parse_unclamped(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim_matches(|c| c == ' ' || c == '\t');
    if value.is_empty() {
        return None;
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        // An absurdly long delay still means "not soon": saturate rather than ignore it.
        return Some(Duration::from_secs(
            value.parse::<u64>().unwrap_or(u64::MAX),
        ));
    }
    let now_secs = match now.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    };
    let at = parse_http_date(value, now_secs)?;
    let now_exact = now
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let wait = at as f64 - now_exact;
    Some(if wait > 0.0 {
        Duration::from_secs_f64(wait)
    } else {
        Duration::ZERO
    })
}

/// Unix seconds of an IMF-fixdate, RFC 850 date or asctime date (always GMT).
fn parse_http_date(s: &str, now_secs: i64) -> Option<i64> {
    let tokens: Vec<&str> = s.split_ascii_whitespace().collect();
    let (year, month, day, time) = match tokens.as_slice() {
        // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
        [wd, day, mon, year, time, "GMT"] if wd.len() == 4 => {
            short_weekday(wd.strip_suffix(',')?)?;
            if day.len() != 2 || year.len() != 4 {
                return None;
            }
            (digits(year)?, month(mon)?, digits(day)?, *time)
        }
        // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
        [wd, date, time, "GMT"] => {
            long_weekday(wd.strip_suffix(',')?)?;
            let mut parts = date.split('-');
            let (day, mon, yy) = (parts.next()?, parts.next()?, parts.next()?);
            if parts.next().is_some() || day.len() != 2 || yy.len() != 2 {
                return None;
            }
            let year = two_digit_year(digits(yy)?, now_secs);
            (year, month(mon)?, digits(day)?, *time)
        }
        // asctime: Sun Nov  6 08:49:37 1994
        [wd, mon, day, time, year] => {
            short_weekday(wd)?;
            if day.is_empty() || day.len() > 2 || year.len() != 4 {
                return None;
            }
            (digits(year)?, month(mon)?, digits(day)?, *time)
        }
        _ => return None,
    };
    let (h, m, sec) = clock(time)?;
    if day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + h * 3600 + m * 60 + sec)
}

/// RFC 9110: a two-digit year more than 50 years ahead belongs to the previous century.
fn two_digit_year(yy: i64, now_secs: i64) -> i64 {
    let this_year = civil_year(now_secs.div_euclid(86_400));
    let mut year = this_year - this_year.rem_euclid(100) + yy;
    if year > this_year + 50 {
        year -= 100;
    }
    year
}

fn digits(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn clock(s: &str) -> Option<(i64, i64, i64)> {
    let b = s.as_bytes();
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let (h, m, sec) = (digits(&s[0..2])?, digits(&s[3..5])?, digits(&s[6..8])?);
    // 60 is a leap second, which the date grammar allows.
    (h < 24 && m < 60 && sec <= 60).then_some((h, m, sec))
}

const SHORT_DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const LONG_DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn short_weekday(s: &str) -> Option<()> {
    SHORT_DAYS.contains(&s).then_some(())
}

fn long_weekday(s: &str) -> Option<()> {
    LONG_DAYS.contains(&s).then_some(())
}

fn month(s: &str) -> Option<i64> {
    MONTHS.iter().position(|m| *m == s).map(|i| i as i64 + 1)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The year containing the given day since 1970-01-01 (inverse of `days_from_civil`).
fn civil_year(days: i64) -> i64 {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    yoe + era * 400 + i64::from(month <= 2)
}

/// A small, fast, non-cryptographic generator (xorshift64*) for jitter and sampling.
/// Seeds differ between threads, processes and successive generators, so two pushers
/// started at the same instant still pick different delays.
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    state: u64,
}

impl Rng {
    /// A generator seeded from the clock, the thread, the process's hash keys and a counter.
    pub(crate) fn new() -> Rng {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let mut h = RandomState::new().build_hasher();
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
            .hash(&mut h);
        std::thread::current().id().hash(&mut h);
        std::process::id().hash(&mut h);
        COUNTER.fetch_add(1, Ordering::Relaxed).hash(&mut h);
        // The address of a stack slot adds ASLR entropy at no cost.
        let marker = Cell::new(0u8);
        (&marker as *const Cell<u8> as usize).hash(&mut h);
        Rng::from_seed(h.finish())
    }

    /// A generator with a fixed seed, for reproducible tests.
    pub(crate) fn from_seed(seed: u64) -> Rng {
        let state = splitmix64(seed);
        // xorshift has a fixed point at zero.
        Rng {
            state: if state == 0 {
                0x9E37_79B9_7F4A_7C15
            } else {
                state
            },
        }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A uniform value in `[0, 1)` with 53 bits of precision.
    pub(crate) fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

impl Default for Rng {
    fn default() -> Rng {
        Rng::new()
    }
}

fn splitmix64(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn at(unix: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(unix)
    }

    // Sun, 06 Nov 1994 08:49:37 GMT
    const RFC_EXAMPLE: u64 = 784_111_777;

    #[test]
    fn backoff_ceiling_doubles_from_base_up_to_max() {
        let b = Backoff::new(ms(100), ms(5000));
        let ceilings: Vec<_> = (0..8).map(|a| b.ceiling(a)).collect();
        assert_eq!(
            ceilings,
            [100, 200, 400, 800, 1600, 3200, 5000, 5000].map(ms)
        );
    }

    #[test]
    fn backoff_survives_huge_attempt_numbers() {
        let b = Backoff::new(ms(100), ms(5000));
        for attempt in [31, 32, 33, 63, 64, 1000, u32::MAX] {
            assert_eq!(b.ceiling(attempt), ms(5000), "attempt {attempt}");
            assert_eq!(
                b.delay(attempt, &mut || 0.999_999),
                ms(5000).mul_f64(0.999_999)
            );
        }
        let huge = Backoff::new(Duration::MAX, Duration::MAX);
        assert_eq!(huge.ceiling(5), Duration::MAX);
        assert!(huge.delay(5, &mut || 0.5) > Duration::from_secs(1 << 62));
        assert_eq!(huge.delay(5, &mut || 1.0), Duration::MAX);
    }

    #[test]
    fn backoff_delay_is_full_jitter_between_zero_and_ceiling() {
        let b = Backoff::new(ms(100), ms(5000));
        assert_eq!(b.delay(3, &mut || 0.0), Duration::ZERO);
        assert_eq!(b.delay(3, &mut || 0.5), ms(400));
        assert_eq!(b.delay(3, &mut || 1.0), ms(800));
        let mut rng = Rng::from_seed(7);
        let delays: Vec<_> = (0..1000)
            .map(|_| b.delay(2, &mut || rng.next_f64()))
            .collect();
        assert!(delays.iter().all(|d| *d <= ms(400)));
        let mean = delays.iter().sum::<Duration>() / 1000;
        assert!(mean > ms(170) && mean < ms(230), "mean {mean:?}");
    }

    #[test]
    fn backoff_delay_ignores_out_of_range_random_values() {
        let b = Backoff::new(ms(100), ms(5000));
        assert_eq!(b.delay(0, &mut || f64::NAN), Duration::ZERO);
        assert_eq!(b.delay(0, &mut || -3.0), Duration::ZERO);
        assert_eq!(b.delay(0, &mut || 7.0), ms(100));
    }

    #[test]
    fn retry_after_delta_seconds_is_honoured() {
        let now = at(RFC_EXAMPLE);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(parse_retry_after("86401", now), Some(MAX_RETRY_AFTER));
    }

    #[test]
    fn retry_after_http_date_is_honoured() {
        let now = at(RFC_EXAMPLE - 30);
        let imf = parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now);
        let rfc850 = parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now);
        let asctime = parse_retry_after("Sun Nov  6 08:49:37 1994", now);
        assert_eq!(imf, Some(Duration::from_secs(30)));
        assert_eq!(rfc850, Some(Duration::from_secs(30)));
        assert_eq!(asctime, Some(Duration::from_secs(30)));
    }

    #[test]
    fn retry_after_date_in_the_past_means_now() {
        let now = at(RFC_EXAMPLE + 3600);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn retry_after_date_keeps_sub_second_precision_of_now() {
        let now = at(RFC_EXAMPLE - 2) + ms(250);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(ms(1750))
        );
    }

    #[test]
    fn retry_after_dates_across_leap_years_and_centuries() {
        let since = |date: &str| parse_unclamped(date, at(0));
        let cases = [
            ("Thu, 01 Jan 1970 00:00:10 GMT", 10),
            ("Tue, 29 Feb 2000 00:00:00 GMT", 951_782_400),
            ("Thu, 01 Mar 2100 00:00:00 GMT", 4_107_542_400),
            ("Fri, 31 Dec 9999 23:59:59 GMT", 253_402_300_799),
        ];
        for (date, unix) in cases {
            assert_eq!(since(date), Some(Duration::from_secs(unix)), "{date}");
        }
    }

    #[test]
    fn retry_after_rfc850_two_digit_year_is_at_most_fifty_years_ahead() {
        // Seen from 2030, "40" is 2040 and "95" is 1995.
        let now = at(1_893_456_000);
        let future = parse_unclamped("Sunday, 01-Jan-40 00:00:00 GMT", now).unwrap();
        assert_eq!(future, Duration::from_secs(2_208_988_800 - 1_893_456_000));
        assert_eq!(
            parse_retry_after("Sunday, 01-Jan-95 00:00:00 GMT", now),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn retry_after_garbage_is_ignored() {
        let now = at(RFC_EXAMPLE);
        for bad in [
            "",
            "  ",
            "-5",
            "+5",
            "1.5",
            "5s",
            "soon",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 31 Nov 1994 08:49:37 GMT",
            "Sun, 29 Feb 1995 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Xyz, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:60:00 GMT",
            "Sun, 06 Nov 1994 8:49:37 GMT",
            "Sun 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sun Nov 123 08:49:37 1994",
        ] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
        }
    }

    #[test]
    fn rng_is_reproducible_from_a_seed_and_uniform() {
        let a: Vec<_> = {
            let mut r = Rng::from_seed(42);
            (0..5).map(|_| r.next_u64()).collect()
        };
        let mut r = Rng::from_seed(42);
        assert_eq!(a, (0..5).map(|_| r.next_u64()).collect::<Vec<_>>());
        let mut r = Rng::from_seed(0);
        let mut buckets = [0u32; 10];
        for _ in 0..100_000 {
            let x = r.next_f64();
            assert!((0.0..1.0).contains(&x));
            buckets[(x * 10.0) as usize] += 1;
        }
        assert!(
            buckets.iter().all(|&n| (9_000..11_000).contains(&n)),
            "{buckets:?}"
        );
    }

    #[test]
    fn rng_new_gives_different_streams() {
        let firsts: std::collections::HashSet<u64> =
            (0..100).map(|_| Rng::new().next_u64()).collect();
        assert_eq!(firsts.len(), 100);
    }
}
