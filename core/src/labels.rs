//! Names and label values: the validation rules every metric and grouping key obeys, and the
//! compact storage of one series' label values (one allocation, compared without allocating).

use crate::error::{Error, Result};

/// Checks a metric name against `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub(crate) fn validate_metric_name(name: &str) -> Result<()> {
    let mut bytes = name.bytes();
    let ok = match bytes.next() {
        Some(b) if b.is_ascii_alphabetic() || b == b'_' || b == b':' => {
            bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidMetricName(name.to_owned()))
    }
}

/// Checks a label name against `[a-zA-Z_][a-zA-Z0-9_]*` without a leading `__`.
pub(crate) fn validate_label_name(name: &str) -> Result<()> {
    let mut bytes = name.bytes();
    let ok = match bytes.next() {
        Some(b) if b.is_ascii_alphabetic() || b == b'_' => {
            bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_') && !name.starts_with("__")
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidLabelName(name.to_owned()))
    }
}

/// A fast, non-cryptographic 64-bit hash (FxHash-style) over a sequence of strings. Each string
/// is length-prefixed, so `["ab", "c"]` and `["a", "bc"]` differ. Stable across runs and builds,
/// which matters for the hashed-label buckets and truncation suffixes users see.
#[derive(Clone, Copy)]
pub(crate) struct Hasher64(u64);

const K: u64 = 0x517c_c1b7_2722_0a95;

impl Hasher64 {
    pub(crate) fn new() -> Self {
        Hasher64(0xcbf2_9ce4_8422_2325)
    }
    #[inline]
    fn word(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(K);
    }
    #[inline]
    pub(crate) fn str(&mut self, s: &str) {
        let b = s.as_bytes();
        if b.len() <= 8 {
            // Most label values are short: one word, read without a byte loop.
            self.word(small_word(b));
            self.word(b.len() as u64);
            return;
        }
        self.word(b.len() as u64);
        let mut chunks = b.chunks_exact(8);
        for c in &mut chunks {
            self.word(u64::from_le_bytes(c.try_into().unwrap()));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            self.word(small_word(rest));
        }
    }
    #[inline]
    pub(crate) fn finish(self) -> u64 {
        // A final avalanche so low bits (used for buckets) depend on every input bit.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h
    }
}

/// At most this many label values make a short [`SeriesKey`].
pub(crate) const SHORT_VALUES: usize = 4;
/// Longest label value, in bytes, a short [`SeriesKey`] holds.
pub(crate) const SHORT_LEN: usize = 8;

/// What identifies a label set in the per-thread series cache. A set of up to
/// [`SHORT_VALUES`] values of at most [`SHORT_LEN`] bytes each (the usual `method`, `code`,
/// `status`) is held as one word per value plus their lengths: equal keys mean equal values,
/// so a lookup compares a few words instead of the bytes again, and hashes nothing. Any
/// other set is held by its [`hash_values`] alone, and a lookup must compare the values too.
#[derive(Clone, Copy)]
pub(crate) struct SeriesKey {
    /// The values' words, or the hash (first word) of a long key.
    words: [u64; SHORT_VALUES],
    /// One byte per value's length and the count of values in the top byte; `LONG` for a
    /// key that is only a hash.
    lens: u64,
}

const LONG: u64 = u64::MAX;

impl SeriesKey {
    /// A key no label set has (its count byte is too large for a short key, and it is not
    /// `LONG`).
    pub(crate) const EMPTY: SeriesKey = SeriesKey {
        words: [0; SHORT_VALUES],
        lens: LONG - 1,
    };

    /// The key of short `values`, or `None` when there are too many or one is too long.
    #[inline(always)]
    pub(crate) fn short<S: AsRef<str>>(values: &[S]) -> Option<SeriesKey> {
        if values.len() > SHORT_VALUES {
            return None;
        }
        let mut words = [0u64; SHORT_VALUES];
        let mut lens = (values.len() as u64) << 56;
        for (i, v) in values.iter().enumerate() {
            let b = v.as_ref().as_bytes();
            if b.len() > SHORT_LEN {
                return None;
            }
            words[i] = small_word(b);
            lens |= (b.len() as u64) << (8 * i);
        }
        Some(SeriesKey { words, lens })
    }

    /// The key of values whose [`hash_values`] is `hash`, which must be compared on a match.
    pub(crate) fn long(hash: u64) -> SeriesKey {
        let mut words = [0; SHORT_VALUES];
        words[0] = hash;
        SeriesKey { words, lens: LONG }
    }

    /// Whether equal keys alone mean equal values.
    #[inline]
    pub(crate) fn is_short(&self) -> bool {
        self.lens != LONG
    }

    /// The [`hash_values`] of the key's `values`.
    pub(crate) fn map_hash<S: AsRef<str>>(&self, values: &[S]) -> u64 {
        if self.is_short() {
            hash_values(values)
        } else {
            self.words[0]
        }
    }

    /// A quick mix of the key, to pick a cache slot.
    #[inline(always)]
    pub(crate) fn slot_hash(&self) -> u64 {
        let [a, b, c, d] = self.words;
        let x = a ^ b.rotate_left(17) ^ c.rotate_left(31) ^ d.rotate_left(47) ^ self.lens;
        let x = x.wrapping_mul(K);
        x ^ (x >> 29)
    }

    /// Key equality in a few branch-free word compares.
    #[inline(always)]
    pub(crate) fn same(&self, other: &SeriesKey) -> bool {
        let mut d = self.lens ^ other.lens;
        for i in 0..SHORT_VALUES {
            d |= self.words[i] ^ other.words[i];
        }
        d == 0
    }
}

/// Hash of a list of label values, as used for series lookup.
#[inline]
pub(crate) fn hash_values<S: AsRef<str>>(values: &[S]) -> u64 {
    let mut h = Hasher64::new();
    for v in values {
        h.str(v.as_ref());
    }
    h.finish()
}

/// Up to 8 bytes as one word, injective for a given length: overlapping loads cover every
/// byte without a loop or a copy.
#[inline]
fn small_word(b: &[u8]) -> u64 {
    let n = b.len();
    debug_assert!(n <= 8);
    // SAFETY: every index below is < n, and each 4-byte read starts at 0 or n - 4 with n >= 4.
    unsafe {
        let p = b.as_ptr();
        match n {
            0 => 0,
            1..=3 => u64::from(*p) | u64::from(*p.add(n / 2)) << 8 | u64::from(*p.add(n - 1)) << 16,
            4..=7 => {
                let lo = u32::from_le((p as *const u32).read_unaligned());
                let hi = u32::from_le((p.add(n - 4) as *const u32).read_unaligned());
                u64::from(lo) | u64::from(hi) << 32
            }
            _ => u64::from_le((p as *const u64).read_unaligned()),
        }
    }
}

/// Byte equality tuned for short label values: two overlapping word loads instead of a
/// `memcmp` call, which costs more than the comparison itself for values of a few bytes.
#[inline]
fn eq_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n == 0 {
        return true;
    }
    if n <= 3 {
        // SAFETY: 1 <= n <= 3 and every index is < n.
        return unsafe {
            *a.get_unchecked(0) == *b.get_unchecked(0)
                && *a.get_unchecked(n - 1) == *b.get_unchecked(n - 1)
                && *a.get_unchecked(n / 2) == *b.get_unchecked(n / 2)
        };
    }
    if n <= 8 {
        return small_word(a) == small_word(b);
    }
    if n <= 16 {
        let word8 = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().unwrap());
        return word8(a, 0) == word8(b, 0) && word8(a, n - 8) == word8(b, n - 8);
    }
    a == b
}

/// Label values encoded as [`LabelValues`] does, borrowed from a snapshot's arena.
#[derive(Clone, Copy)]
pub(crate) struct LabelSlice<'a>(pub(crate) &'a [u8]);

impl<'a> LabelSlice<'a> {
    #[inline]
    fn end(&self, i: usize) -> usize {
        let b = &self.0[4 * i..4 * i + 4];
        u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize
    }
    /// Value `i` of `n`.
    #[inline]
    pub(crate) fn get(&self, n: usize, i: usize) -> &'a str {
        let start = if i == 0 { 0 } else { self.end(i - 1) };
        let bytes = &self.0[4 * n + start..4 * n + self.end(i)];
        // SAFETY: the bytes are a copy of a LabelValues buffer, built from `&str` values
        // whose boundaries the offsets mark.
        unsafe { std::str::from_utf8_unchecked(bytes) }
    }
    pub(crate) fn iter(self, n: usize) -> impl Iterator<Item = &'a str> {
        (0..n).map(move |i| self.get(n, i))
    }
    /// The `n` little-endian `u32` end offsets, and the values' bytes back to back.
    #[inline]
    pub(crate) fn split(self, n: usize) -> (&'a [u8], &'a [u8]) {
        self.0.split_at((4 * n).min(self.0.len()))
    }
    pub(crate) fn matches(&self, values: &[&str]) -> bool {
        self.0.len() >= 4 * values.len()
            && values
                .iter()
                .enumerate()
                .all(|(i, v)| self.get(values.len(), i) == *v)
    }
}

/// The label values of one series, in the order of the family's label names: end offsets
/// (one per value) followed by the UTF-8 bytes. Up to [`INLINE`] bytes of that sit inside
/// the series itself with one-byte offsets (three short values: `GET`, `/api/v1/users`,
/// `200`), so the series and its labels are one place in memory; longer ones take a second
/// allocation with `u32` offsets, the layout of a snapshot's arena ([`LabelSlice`]).
pub(crate) struct LabelValues(Repr);

/// Encoded label bytes a series holds without a separate allocation: the largest that keeps
/// `LabelValues` at 32 bytes.
const INLINE: usize = 30;

enum Repr {
    /// `n` one-byte end offsets, then the values; `len` bytes of `buf` in all.
    Inline { len: u8, buf: [u8; INLINE] },
    /// `n` little-endian `u32` end offsets, then the values.
    Heap(Box<[u8]>),
}

impl LabelValues {
    pub(crate) fn new<S: AsRef<str>>(values: &[S]) -> Self {
        let n = values.len();
        let data = values.iter().map(|v| v.as_ref().len()).sum::<usize>();
        if n + data <= INLINE {
            let mut buf = [0u8; INLINE];
            let (ends, rest) = buf.split_at_mut(n);
            let mut end = 0usize;
            for (v, e) in values.iter().zip(ends.iter_mut()) {
                let v = v.as_ref().as_bytes();
                rest[end..end + v.len()].copy_from_slice(v);
                end += v.len();
                *e = end as u8;
            }
            return LabelValues(Repr::Inline {
                len: (n + data) as u8,
                buf,
            });
        }
        let mut buf = Vec::with_capacity(4 * n + data);
        let mut end = 0u32;
        for v in values {
            end += v.as_ref().len() as u32;
            buf.extend_from_slice(&end.to_le_bytes());
        }
        for v in values {
            buf.extend_from_slice(v.as_ref().as_bytes());
        }
        LabelValues(Repr::Heap(buf.into_boxed_slice()))
    }

    /// Bytes of the arena's encoding ([`LabelSlice`]) of `n` values.
    #[inline]
    pub(crate) fn encoded_len(&self, n: usize) -> usize {
        match &self.0 {
            Repr::Inline { len, .. } => *len as usize + 3 * n,
            Repr::Heap(b) => b.len(),
        }
    }

    /// Appends the `n` values in the arena's encoding ([`LabelSlice`]).
    #[inline(always)]
    pub(crate) fn encode_into(&self, n: usize, out: &mut Vec<u8>) {
        match &self.0 {
            Repr::Inline { len, buf } => {
                let len = *len as usize;
                let (ends, data) = buf[..len].split_at(n);
                let total = 4 * n + data.len();
                // A snapshot copies every series' labels: written in place, without a
                // capacity check per offset, and up to four offsets widened at once (16
                // bytes written; those past the offsets are then overwritten or unused).
                out.reserve(total + 16);
                let start = out.len();
                // SAFETY: `total + 16` bytes are reserved past `start`; the first `total`
                // are all written before the length is set.
                unsafe {
                    let dst = out.as_mut_ptr().add(start);
                    if n <= 4 {
                        let x = u64::from(u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]));
                        let lo = (x & 0xff) | (x & 0xff00) << 24;
                        let hi = (x >> 16 & 0xff) | (x >> 24) << 32;
                        dst.cast::<[u8; 8]>().write_unaligned(lo.to_le_bytes());
                        dst.add(8)
                            .cast::<[u8; 8]>()
                            .write_unaligned(hi.to_le_bytes());
                    } else {
                        for (i, &e) in ends.iter().enumerate() {
                            dst.add(4 * i)
                                .cast::<[u8; 4]>()
                                .write_unaligned(u32::from(e).to_le_bytes());
                        }
                    }
                    std::ptr::copy_nonoverlapping(data.as_ptr(), dst.add(4 * n), data.len());
                    out.set_len(start + total);
                }
            }
            Repr::Heap(b) => out.extend_from_slice(b),
        }
    }

    /// Where value `i` ends, counted from the start of the values' bytes.
    #[inline(always)]
    fn end(&self, i: usize) -> usize {
        match &self.0 {
            Repr::Inline { buf, .. } => buf[i] as usize,
            Repr::Heap(b) => {
                u32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]]) as usize
            }
        }
    }

    /// Value `i` of a series with `n` labels.
    #[inline]
    pub(crate) fn get(&self, n: usize, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.end(i - 1) };
        let end = self.end(i);
        let bytes = match &self.0 {
            Repr::Inline { buf, .. } => &buf[n + start..n + end],
            Repr::Heap(b) => &b[4 * n + start..4 * n + end],
        };
        // SAFETY: the bytes were copied from `&str` values in `new` and the offsets delimit
        // exactly those values, so every slice is valid UTF-8.
        unsafe { std::str::from_utf8_unchecked(bytes) }
    }

    /// Whether these values equal `values` (same count), without allocating.
    #[inline]
    pub(crate) fn matches<S: AsRef<str>>(&self, values: &[S]) -> bool {
        let n = values.len();
        match &self.0 {
            Repr::Inline { len, buf } => {
                let len = *len as usize;
                if len < n {
                    return false;
                }
                let mut start = 0usize;
                for (i, v) in values.iter().enumerate() {
                    let end = buf[i] as usize;
                    let v = v.as_ref().as_bytes();
                    if end < start || end - start != v.len() || n + end > len {
                        return false;
                    }
                    if !eq_bytes(&buf[n + start..n + end], v) {
                        return false;
                    }
                    start = end;
                }
                n + start == len
            }
            Repr::Heap(buf) => {
                let data = 4 * n;
                if buf.len() < data {
                    return false;
                }
                let mut start = 0usize;
                for (i, v) in values.iter().enumerate() {
                    // SAFETY: 4 * i + 4 <= 4 * n <= buf.len(), checked above.
                    let end = unsafe { (buf.as_ptr().add(4 * i) as *const u32).read_unaligned() };
                    let end = u32::from_le(end) as usize;
                    let v = v.as_ref().as_bytes();
                    if end < start || end - start != v.len() || data + end > buf.len() {
                        return false;
                    }
                    // SAFETY: start <= end and data + end <= buf.len(), checked just above.
                    let stored = unsafe { buf.get_unchecked(data + start..data + end) };
                    if !eq_bytes(stored, v) {
                        return false;
                    }
                    start = end;
                }
                data + start == buf.len()
            }
        }
    }

    pub(crate) fn iter(&self, n: usize) -> impl Iterator<Item = &str> + Clone + '_ {
        (0..n).map(move |i| self.get(n, i))
    }

    /// [`hash_values`] of the `n` values.
    pub(crate) fn hash(&self, n: usize) -> u64 {
        let mut h = Hasher64::new();
        for v in self.iter(n) {
            h.str(v);
        }
        h.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names_follow_the_prometheus_grammar() {
        for ok in ["a", "_a", ":a", "a_b:c9", "A"] {
            assert!(validate_metric_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "9a", "a-b", "a b", "ä", "a\u{0}"] {
            let err = validate_metric_name(bad).unwrap_err();
            assert_eq!(err, Error::InvalidMetricName(bad.into()));
        }
    }

    #[test]
    fn label_names_reject_colons_and_double_underscore() {
        for ok in ["a", "_a", "a9_", "_"] {
            assert!(validate_label_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a:b", "__a", "__", "9a", "a-b"] {
            assert!(validate_label_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn short_keys_are_equal_only_for_equal_values() {
        let key = |v: &[&str]| SeriesKey::short(v);
        let same = |a: Option<SeriesKey>, b: Option<SeriesKey>| a.unwrap().same(&b.unwrap());
        for v in [
            &["GET", "200"][..],
            &[""],
            &[],
            &["a", "bc", "defg", "hijklmno"],
        ] {
            let k = key(v).unwrap();
            assert_eq!(k.map_hash(v), hash_values(v), "{v:?}");
            assert!(same(key(v), key(v)));
            assert!(k.is_short());
            assert!(!k.same(&SeriesKey::long(hash_values(v))));
            assert!(!k.same(&SeriesKey::EMPTY));
        }
        assert!(!same(key(&["ab", "c"]), key(&["a", "bc"])));
        assert!(!same(key(&["a", ""]), key(&["a"])));
        assert!(!same(key(&["abc\0"]), key(&["abc"])));
        assert!(!same(key(&["abcdefgh"]), key(&["abcdefgi"])));
        assert!(!same(key(&["abcd"]), key(&["abcdabcd"])));
        // Too long a value, or too many: no short key.
        assert!(key(&["abcdefghi"]).is_none());
        assert!(key(&["a", "b", "c", "d", "e"]).is_none());
        let long = SeriesKey::long(7);
        assert!(!long.is_short());
        assert!(long.same(&SeriesKey::long(7)));
        assert!(!long.same(&SeriesKey::long(8)));
        assert_eq!(long.map_hash(&["anything"]), 7);
    }

    #[test]
    fn label_values_round_trip_and_match_without_confusing_boundaries() {
        let v = LabelValues::new(&["ab", "", "c\u{e9}\n\"x"]);
        assert_eq!(
            v.iter(3).collect::<Vec<_>>(),
            vec!["ab", "", "c\u{e9}\n\"x"]
        );
        assert!(v.matches(&["ab", "", "c\u{e9}\n\"x"]));
        assert!(!v.matches(&["a", "b", "c\u{e9}\n\"x"]));
        assert!(!v.matches(&["ab", ""]));
        for (x, y) in [
            ("abc", "abd"),
            ("abcd", "abce"),
            ("abcdefgh", "abcdefgi"),
            ("abcdefghij", "abcdefghiX"),
            ("a".repeat(40).as_str(), "a".repeat(39).as_str()),
        ] {
            assert!(!LabelValues::new(&[x]).matches(&[y]), "{x} vs {y}");
            assert!(LabelValues::new(&[x]).matches(&[x]));
        }
        assert_ne!(hash_values(&["ab", "c"]), hash_values(&["a", "bc"]));
        // Around the size held inside the series: one byte of offset per value inline, four
        // outside; a snapshot's arena always gets four.
        for len in [INLINE - 2, INLINE - 1, INLINE, 300] {
            let one = "x".repeat(len);
            let v = LabelValues::new(&[one.as_str()]);
            assert_eq!(v.encoded_len(1), 4 + len);
            let mut arena = Vec::new();
            v.encode_into(1, &mut arena);
            assert_eq!(arena.len(), 4 + len);
            assert_eq!(LabelSlice(&arena).get(1, 0), one);
            assert!(v.matches(&[one.as_str()]));
            assert!(!v.matches(&[&one[1..]]));
            assert_eq!(v.iter(1).collect::<Vec<_>>(), vec![one.as_str()]);
            assert_eq!(v.hash(1), hash_values(&[one.as_str()]));
        }
        let long = "x".repeat(40);
        for values in [
            &["GET", "/api/v1/users", "200"][..],
            &["a", "", "bc", ""],
            &[long.as_str(), "y"],
        ] {
            let v = LabelValues::new(values);
            let mut arena = Vec::new();
            v.encode_into(values.len(), &mut arena);
            assert_eq!(arena.len(), v.encoded_len(values.len()));
            assert_eq!(
                LabelSlice(&arena).iter(values.len()).collect::<Vec<_>>(),
                values
            );
            assert_eq!(v.iter(values.len()).collect::<Vec<_>>(), values);
        }
        // Half of a counter series' slot (see metric::store).
        assert_eq!(std::mem::size_of::<LabelValues>(), 32);
        let empty = LabelValues::new::<&str>(&[]);
        assert!(empty.matches::<&str>(&[]));
    }
}
