//! The cardinality guard: what happens when a new series would be created. Long values are
//! cut and given a hash suffix, hashed labels are mapped to buckets, dropped labels are
//! aggregated away, and past the series limits new label sets fold into one overflow series.

use crate::labels::Hasher64;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// The label value every label of the overflow series carries.
pub const OVERFLOW_VALUE: &str = "__overflow__";

/// Longest allowed `max_label_value_length`: with at most [`MAX_LABELS`] labels, a series'
/// label values always fit the 32-bit offsets they are stored with.
pub(crate) const MAX_VALUE_LENGTH: usize = 1 << 16;

/// Most labels (declared plus constant) a metric may have.
pub const MAX_LABELS: usize = 64;

/// Shortest allowed `max_label_value_length`: room for a prefix plus the `~` and 8-hex suffix.
pub(crate) const MIN_VALUE_LENGTH: usize = 16;

/// One family's guard settings, fixed at registration.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Guard {
    /// Per-metric series limit; `None` means the registry's `max_series_per_metric`.
    pub(crate) max_series: Option<usize>,
    pub(crate) max_value_len: usize,
    /// (declared label index, bucket count)
    pub(crate) hashed: Vec<(usize, u32)>,
    /// Declared label indexes that are aggregated away.
    pub(crate) dropped: Vec<usize>,
}

impl Guard {
    /// True when the values are stored exactly as given: the lookup needs no rewriting.
    #[inline]
    pub(crate) fn is_plain<S: AsRef<str>>(&self, values: &[S]) -> bool {
        self.hashed.is_empty()
            && self.dropped.is_empty()
            && values
                .iter()
                .all(|v| v.as_ref().len() <= self.max_value_len)
    }

    /// True when no label is hashed or dropped (only long values get rewritten).
    #[inline]
    pub(crate) fn rewrites_nothing(&self) -> bool {
        self.hashed.is_empty() && self.dropped.is_empty()
    }

    /// The stored form of `values`, and whether any value was truncated.
    pub(crate) fn canonicalize<S: AsRef<str>>(&self, values: &[S]) -> (Vec<String>, bool) {
        let mut truncated = false;
        let mut out = Vec::with_capacity(values.len());
        for (i, v) in values.iter().enumerate() {
            let v = v.as_ref();
            if self.dropped.contains(&i) {
                continue;
            }
            if let Some(&(_, buckets)) = self.hashed.iter().find(|(j, _)| *j == i) {
                out.push((hash(v) % u64::from(buckets)).to_string());
            } else if v.len() > self.max_value_len {
                truncated = true;
                out.push(truncate(v, self.max_value_len));
            } else {
                out.push(v.to_owned());
            }
        }
        (out, truncated)
    }
}

fn hash(v: &str) -> u64 {
    let mut h = Hasher64::new();
    h.str(v);
    h.finish()
}

/// Cuts `v` to at most `max` bytes at a character boundary, ending in `~` and 8 hex digits of
/// the whole value's hash, so two long values sharing a prefix stay two series.
pub(crate) fn truncate(v: &str, max: usize) -> String {
    let mut cut = max.saturating_sub(9);
    while !v.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}~{:08x}", &v[..cut], hash(v) as u32)
}

/// What the guard did to one family, counted as it happens.
#[derive(Default)]
pub(crate) struct GuardStats {
    pub(crate) overflowed: AtomicU64,
    pub(crate) truncated: AtomicU64,
    pub(crate) evicted: AtomicU64,
}

impl GuardStats {
    pub(crate) fn read(&self) -> GuardCounts {
        GuardCounts {
            overflowed: self.overflowed.load(Relaxed),
            truncated: self.truncated.load(Relaxed),
            evicted: self.evicted.load(Relaxed),
            ..GuardCounts::default()
        }
    }
}

/// Counts of what the cardinality guard and the sampler did to one metric.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GuardCounts {
    /// Live series (the overflow series not included).
    pub series: u64,
    /// Calls whose new label set was folded into the overflow series.
    pub overflowed: u64,
    /// Series created with a truncated label value.
    pub truncated: u64,
    /// Series removed for being idle longer than the TTL.
    pub evicted: u64,
    /// Calls seen by the sampler (0 without sampling).
    pub sampled_seen: u64,
    /// Calls the sampler kept (0 without sampling).
    pub sampled_kept: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_values_keep_distinct_values_distinct_and_respect_the_limit() {
        let a = "x".repeat(300) + "a";
        let b = "x".repeat(300) + "b";
        let (ta, tb) = (truncate(&a, 64), truncate(&b, 64));
        assert_ne!(ta, tb);
        assert!(ta.len() <= 64 && tb.len() <= 64);
        assert!(ta.starts_with("xxxx"));
    }

    #[test]
    fn truncation_never_splits_a_character() {
        let v = "\u{e9}".repeat(100);
        let t = truncate(&v, 32);
        assert!(t.len() <= 32);
        assert!(t.is_char_boundary(t.len()));
    }

    #[test]
    fn hashed_labels_map_to_bounded_buckets_and_dropped_labels_vanish() {
        let g = Guard {
            max_series: None,
            max_value_len: 256,
            hashed: vec![(0, 4)],
            dropped: vec![1],
        };
        let mut seen = std::collections::HashSet::new();
        for i in 0..1000 {
            let (c, _) = g.canonicalize(&[format!("user{i}"), "x".into(), "keep".into()]);
            assert_eq!(c.len(), 2);
            assert_eq!(c[1], "keep");
            seen.insert(c[0].clone());
        }
        assert_eq!(seen.len(), 4);
    }
}
