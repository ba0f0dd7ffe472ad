//! Turns fuzz input bytes into the values a target needs. Reading past the end yields
//! zeros, so every input decodes to something and a target always terminates.

/// A cursor over the input bytes.
pub struct Input<'a> {
    data: &'a [u8],
}

/// Strings a name or value is often built from: valid names, the reserved ones, and the
/// bytes the encoders escape or must never see unescaped.
const WORDS: &[&str] = &[
    "a",
    "b",
    "c",
    "_",
    ":",
    "le",
    "quantile",
    "job",
    "instance",
    "__name__",
    "__x",
    "x_total",
    "_bucket",
    "_sum",
    "_count",
    "__overflow__",
    "\"",
    "\\",
    "\n",
    "\r",
    "\t",
    " ",
    "{",
    "}",
    "=",
    ",",
    "#",
    "/",
    "@",
    "é",
    "\u{0}",
    "\u{7f}",
    "\u{2028}",
    "\u{1f600}",
    "0",
    "9",
    "-",
    ".",
    "+Inf",
    "NaN",
    "=",
    "@base64",
];

/// Floats worth trying first: the boundaries of the text encoder's integer path, the
/// specials, signed zero, subnormals.
const FLOATS: &[f64] = &[
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    0.1,
    2.5,
    1e15,
    1e15 - 1.0,
    -1e15,
    9007199254740992.0,
    9007199254740993.0,
    1e21,
    1e-7,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::MAX,
    f64::MIN,
    f64::MIN_POSITIVE,
    f64::EPSILON,
    5e-324,
    i64::MAX as f64,
    u64::MAX as f64,
];

impl<'a> Input<'a> {
    /// A cursor at the start of `data`.
    pub fn new(data: &'a [u8]) -> Input<'a> {
        Input { data }
    }

    /// Whether every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The next byte, or 0 past the end.
    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((b, rest)) => {
                self.data = rest;
                *b
            }
            None => 0,
        }
    }

    /// The next `N` bytes, zero-padded past the end.
    pub fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        for b in &mut out {
            *b = self.byte();
        }
        out
    }

    /// A number in `0..n` (`n` at most 256 for an even spread); 0 when `n` is 0.
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        if n <= 256 {
            self.byte() as usize % n
        } else {
            u32::from_le_bytes(self.array()) as usize % n
        }
    }

    /// A boolean from one byte.
    pub fn bool(&mut self) -> bool {
        self.byte() & 1 == 1
    }

    /// A little-endian u64.
    pub fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.array())
    }

    /// Up to `max` raw bytes, length first.
    pub fn bytes(&mut self, max: usize) -> &'a [u8] {
        let n = self.below(max + 1).min(self.data.len());
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        head
    }

    /// A string of up to `max` bytes: raw UTF-8 (lossy), or glued from [`WORDS`] and
    /// single ASCII characters, which reaches valid names far more often.
    pub fn string(&mut self, max: usize) -> String {
        match self.byte() % 4 {
            0 => String::from_utf8_lossy(self.bytes(max)).into_owned(),
            1 => {
                // A valid-looking name: a letter, then letters, digits and underscores.
                const HEAD: &[u8] = b"abcxyzABC_:";
                const TAIL: &[u8] = b"abcxyz019_:ABC";
                let n = self.below(max.min(12) + 1);
                let mut s = String::new();
                for i in 0..n {
                    let set = if i == 0 { HEAD } else { TAIL };
                    s.push(set[self.below(set.len())] as char);
                }
                s
            }
            _ => {
                let parts = self.below(6);
                let mut s = String::new();
                for _ in 0..parts {
                    if self.bool() {
                        s.push_str(WORDS[self.below(WORDS.len())]);
                    } else {
                        s.push((self.byte() & 0x7f) as char);
                    }
                }
                s.truncate(floor_char_boundary(&s, max));
                s
            }
        }
    }

    /// A float: one of [`FLOATS`], a small integer, or any bit pattern.
    pub fn float(&mut self) -> f64 {
        match self.byte() % 4 {
            0 => FLOATS[self.below(FLOATS.len())],
            1 => self.byte() as f64,
            2 => (self.byte() as i8) as f64 / 4.0,
            _ => f64::from_bits(self.u64()),
        }
    }
}

fn floor_char_boundary(s: &str, max: usize) -> usize {
    let mut i = max.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}
