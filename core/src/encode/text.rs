//! The Prometheus text exposition format 0.0.4, as the Pushgateway parses it: HELP and TYPE
//! once per family before its samples, escaped label values, `\n` line ends (including the
//! last line), no timestamps, histograms always with `+Inf` and `_count`.

use crate::snapshot::{FamilySnapshot, Snapshot, Value};

/// Appends every family of `snapshot` to `out`.
///
/// ```
/// let reg = pushmetrics::Registry::new();
/// reg.counter("a_total", "Things \"done\"").build().unwrap().inc();
/// let mut out = Vec::new();
/// pushmetrics::encode::text::encode(&reg.snapshot(), &mut out);
/// assert_eq!(
///     String::from_utf8(out).unwrap(),
///     "# HELP a_total Things \"done\"\n# TYPE a_total counter\na_total 1\n"
/// );
/// ```
pub fn encode(snapshot: &Snapshot, out: &mut Vec<u8>) {
    for f in snapshot.families() {
        encode_family(f, out);
    }
}

/// Appends one family to `out`. A family without series is written as nothing at all.
pub fn encode_family(f: &FamilySnapshot, out: &mut Vec<u8>) {
    if f.is_empty() {
        return;
    }
    let name = f.name().as_bytes();
    out.extend_from_slice(b"# HELP ");
    out.extend_from_slice(name);
    out.push(b' ');
    escape(f.help(), false, out);
    out.extend_from_slice(b"\n# TYPE ");
    out.extend_from_slice(name);
    out.push(b' ');
    out.extend_from_slice(f.metric_type().as_str().as_bytes());
    out.push(b'\n');

    out.reserve(f.arena.len() + f.len() * (name.len() + 16 + 24 * f.label_names().len()));
    // `name="value"` of every constant label, escaped once per family.
    let mut const_block = Vec::new();
    for (i, (n, v)) in f.const_labels().iter().enumerate() {
        if i > 0 {
            const_block.push(b',');
        }
        const_block.extend_from_slice(n.as_bytes());
        const_block.extend_from_slice(b"=\"");
        escape(v, true, &mut const_block);
        const_block.push(b'"');
    }
    // The bytes around the label values of a series, built once per family: `glue[i]` comes
    // before value `i` (`a="`, `",b="`), and `after` closes the last (`"`).
    let names = f.label_names();
    let glue: Vec<Vec<u8>> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let mut g = Vec::with_capacity(n.len() + 4);
            if i > 0 {
                g.push(b'"');
            }
            if i > 0 || !const_block.is_empty() {
                g.push(b',');
            }
            g.extend_from_slice(n.as_bytes());
            g.extend_from_slice(b"=\"");
            g
        })
        .collect();
    let after: &[u8] = if names.is_empty() { b"" } else { b"\"" };
    // The label block shared by every line of a series, without braces: `a="x",b="y"`.
    let label_block = |s: &crate::snapshot::SeriesRef<'_>, out: &mut Vec<u8>| {
        put(out, &const_block);
        let (ends, data) = s.label_slice().split(names.len());
        label_values(out, &glue, ends, data);
        put(out, after);
    };
    // The bytes around the label values of a counter or gauge line: `line[0]` is the name,
    // the brace, the constant labels and the first label's name (`x{a="`); `line[i]` sits
    // between value i - 1 and value i (`",b="`); the last closes the block (`"} `).
    let mut line: Vec<Vec<u8>> = Vec::with_capacity(names.len() + 1);
    let mut first = name.to_vec();
    if const_block.is_empty() && names.is_empty() {
        first.push(b' ');
        line.push(first);
    } else {
        first.push(b'{');
        first.extend_from_slice(&const_block);
        match glue.first() {
            Some(g) => {
                first.extend_from_slice(g);
                line.push(first);
                line.extend(glue[1..].iter().cloned());
                line.push(b"\"} ".to_vec());
            }
            None => {
                first.extend_from_slice(b"} ");
                line.push(first);
            }
        }
    }
    let line_len: usize = line.iter().map(Vec::len).sum();
    let mut labels = Vec::with_capacity(128);
    for s in f.iter() {
        if let Value::Counter(v) | Value::Gauge(v) = s.value() {
            // One line per series, straight into the output.
            let (ends, data) = s.label_slice().split(names.len());
            if needs_escape(data) {
                out.extend_from_slice(name);
                out.push(b'{');
                label_block(&s, out);
                out.extend_from_slice(b"} ");
                write_f64(*v, out);
                out.push(b'\n');
            } else {
                plain_line(out, &line, line_len, ends, data, *v);
            }
            continue;
        }
        labels.clear();
        label_block(&s, &mut labels);
        match s.value() {
            Value::Counter(_) | Value::Gauge(_) => unreachable!("written above"),
            Value::Histogram(h) => {
                let crate::snapshot::HistogramValue {
                    bounds,
                    cumulative,
                    count,
                    sum,
                } = &**h;
                let mut le = Vec::with_capacity(24);
                for (i, c) in cumulative.iter().enumerate() {
                    le.clear();
                    le.extend_from_slice(b"le=\"");
                    match bounds.get(i) {
                        Some(b) => write_bound(*b, &mut le),
                        None => le.extend_from_slice(b"+Inf"),
                    }
                    le.push(b'"');
                    sample_u64(out, name, b"_bucket", &labels, Some(&le), *c);
                }
                sample(out, name, b"_sum", &labels, None, *sum);
                sample_u64(out, name, b"_count", &labels, None, *count);
            }
            Value::Summary(q) => {
                let crate::snapshot::SummaryValue {
                    quantiles,
                    sum,
                    count,
                } = &**q;
                let mut q = Vec::with_capacity(24);
                for (quantile, v) in quantiles {
                    q.clear();
                    q.extend_from_slice(b"quantile=\"");
                    write_bound(*quantile, &mut q);
                    q.push(b'"');
                    sample(out, name, b"", &labels, Some(&q), *v);
                }
                sample(out, name, b"_sum", &labels, None, *sum);
                sample_u64(out, name, b"_count", &labels, None, *count);
            }
        }
    }
}

/// Writes each label value of a series after its glue, escaped.
fn label_values(out: &mut Vec<u8>, glue: &[Vec<u8>], ends: &[u8], data: &[u8]) {
    let mut start = 0usize;
    for (g, e) in glue.iter().zip(ends.chunks_exact(4)) {
        let end = u32::from_le_bytes([e[0], e[1], e[2], e[3]]) as usize;
        let v = data.get(start..end).unwrap_or_default();
        put(out, g);
        escape_bytes(v, true, out);
        start = end;
    }
}

/// Writes a counter or gauge line whose label values need no escaping: `line` around the
/// values (see `encode_family`), then the value. One reservation, then plain copies.
#[inline(always)]
fn plain_line(
    out: &mut Vec<u8>,
    line: &[Vec<u8>],
    line_len: usize,
    ends: &[u8],
    data: &[u8],
    v: f64,
) {
    let (mut ints, mut floats) = (itoa::Buffer::new(), ryu::Buffer::new());
    let num = f64_text(v, &mut ints, &mut floats);
    // The values are disjoint, increasing slices of `data`, so they add up to at most its
    // length.
    out.reserve(line_len + data.len() + num.len() + 1);
    // SAFETY: the reservation covers every byte written: the pieces of `line`, the values
    // (at most `data.len()` together), the number and the newline. `set_len` counts only
    // bytes written.
    unsafe {
        let base = out.as_mut_ptr();
        let mut p = base.add(out.len());
        p = copy_short(p, &line[0]);
        let mut start = 0usize;
        for (piece, e) in line[1..].iter().zip(ends.chunks_exact(4)) {
            let end = (u32::from_le_bytes([e[0], e[1], e[2], e[3]]) as usize).max(start);
            p = copy_short(p, data.get(start..end).unwrap_or_default());
            p = copy_short(p, piece);
            start = end;
        }
        p = copy_short(p, num);
        *p = b'\n';
        p = p.add(1);
        out.set_len(p.offset_from(base) as usize);
    }
}

/// Copies `src` to `dst` and returns the end. Up to 16 bytes take at most two fixed-size
/// overlapping moves inside the destination range instead of a `memcpy` call.
///
/// # Safety
/// `dst` must be valid for `src.len()` bytes of writes and not overlap `src`.
#[inline(always)]
unsafe fn copy_short(dst: *mut u8, src: &[u8]) -> *mut u8 {
    let n = src.len();
    let s = src.as_ptr();
    // SAFETY: every read is below n in `src` and every write below n from `dst`.
    unsafe {
        match n {
            0 => {}
            1..=3 => {
                *dst = *s;
                *dst.add(n / 2) = *s.add(n / 2);
                *dst.add(n - 1) = *s.add(n - 1);
            }
            4..=7 => {
                std::ptr::copy_nonoverlapping(s, dst, 4);
                std::ptr::copy_nonoverlapping(s.add(n - 4), dst.add(n - 4), 4);
            }
            8..=16 => {
                std::ptr::copy_nonoverlapping(s, dst, 8);
                std::ptr::copy_nonoverlapping(s.add(n - 8), dst.add(n - 8), 8);
            }
            _ => std::ptr::copy_nonoverlapping(s, dst, n),
        }
        dst.add(n)
    }
}

#[inline]
fn head(out: &mut Vec<u8>, name: &[u8], suffix: &[u8], labels: &[u8], extra: Option<&[u8]>) {
    out.extend_from_slice(name);
    out.extend_from_slice(suffix);
    if !labels.is_empty() || extra.is_some() {
        out.push(b'{');
        out.extend_from_slice(labels);
        if let Some(e) = extra {
            if !labels.is_empty() {
                out.push(b',');
            }
            out.extend_from_slice(e);
        }
        out.push(b'}');
    }
    out.push(b' ');
}

#[inline]
fn sample(
    out: &mut Vec<u8>,
    name: &[u8],
    suffix: &[u8],
    labels: &[u8],
    extra: Option<&[u8]>,
    v: f64,
) {
    head(out, name, suffix, labels, extra);
    write_f64(v, out);
    out.push(b'\n');
}

#[inline]
fn sample_u64(
    out: &mut Vec<u8>,
    name: &[u8],
    suffix: &[u8],
    labels: &[u8],
    extra: Option<&[u8]>,
    v: u64,
) {
    head(out, name, suffix, labels, extra);
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
    out.push(b'\n');
}

/// Writes a sample value: the shortest text that reads back as `v`, integers without a
/// fraction, `+Inf`, `-Inf`, `NaN`. (Bounds and quantiles: [`write_bound`].)
pub(crate) fn write_f64(v: f64, out: &mut Vec<u8>) {
    put(
        out,
        f64_text(v, &mut itoa::Buffer::new(), &mut ryu::Buffer::new()),
    );
}

/// Writes a bucket bound or a quantile in the canonical float form that PromQL matches
/// them by: Go's `strconv.FormatFloat(v, 'g', -1, 64)` with `.0` added to a number that has
/// neither a point nor an exponent (`1.0`, `0.005`, `100000.0`, `1e+06`, `+Inf`). It is
/// what prometheus_client writes and what Prometheus 3 turns scraped `le` and `quantile`
/// labels into, so a query or rule on `le="1.0"` matches whichever way the series came.
pub(crate) fn write_bound(v: f64, out: &mut Vec<u8>) {
    if !v.is_finite() {
        return write_f64(v, out);
    }
    if v == 0.0 {
        return out.extend_from_slice(b"0.0");
    }
    // The shortest digits that read back as `v`, from ryu's text (`1.0`, `1e16`,
    // `0.005`, `1.2345e-7`), and the place of the decimal point among them.
    let mut ryu = ryu::Buffer::new();
    let text = ryu.format_finite(v.abs()).as_bytes();
    let (mantissa, exp) = match text.iter().position(|&b| b == b'e') {
        Some(e) => (&text[..e], parse_exponent(&text[e + 1..])),
        None => (text, 0),
    };
    let mut digits = [0u8; 24];
    let (mut n, mut point) = (0usize, None);
    for &b in mantissa {
        if b == b'.' {
            point = Some(n as i32);
        } else {
            digits[n] = b;
            n += 1;
        }
    }
    // The value is 0.d1d2...dn × 10^dp, as Go's decimal conversion has it.
    let mut dp = point.unwrap_or(n as i32) + exp;
    let mut start = 0;
    while start + 1 < n && digits[start] == b'0' {
        start += 1;
        dp -= 1;
    }
    let mut end = n;
    while end > start + 1 && digits[end - 1] == b'0' {
        end -= 1;
    }
    let d = &digits[start..end];
    if v < 0.0 {
        out.push(b'-');
    }
    let x = dp - 1;
    if !(-4..6).contains(&x) {
        // %e: d.ddde±XX, with at least two digits of exponent.
        out.push(d[0]);
        if d.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&d[1..]);
        }
        out.push(b'e');
        out.push(if x < 0 { b'-' } else { b'+' });
        let x = x.unsigned_abs();
        if x < 10 {
            out.push(b'0');
        }
        out.extend_from_slice(itoa::Buffer::new().format(x).as_bytes());
        return;
    }
    // %f: every digit, the point after `dp` of them; `.0` when none is after it.
    if dp <= 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', (-dp) as usize));
        out.extend_from_slice(d);
        return;
    }
    let dp = dp as usize;
    if d.len() <= dp {
        out.extend_from_slice(d);
        out.extend(std::iter::repeat_n(b'0', dp - d.len()));
        out.extend_from_slice(b".0");
    } else {
        out.extend_from_slice(&d[..dp]);
        out.push(b'.');
        out.extend_from_slice(&d[dp..]);
    }
}

/// The exponent after ryu's `e`: an optional `-`, then digits.
fn parse_exponent(b: &[u8]) -> i32 {
    let (neg, digits) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, b),
    };
    let x = digits
        .iter()
        .fold(0i32, |acc, &c| acc * 10 + i32::from(c - b'0'));
    if neg {
        -x
    } else {
        x
    }
}

/// The text of [`write_f64`], in one of the two buffers (or a constant).
#[inline]
fn f64_text<'a>(v: f64, ints: &'a mut itoa::Buffer, floats: &'a mut ryu::Buffer) -> &'a [u8] {
    if v.is_nan() {
        b"NaN"
    } else if v.is_infinite() {
        if v > 0.0 {
            b"+Inf"
        } else {
            b"-Inf"
        }
    } else if v.abs() < 1e15 && (v as i64) as f64 == v {
        // A whole number (`fract()` would call out to `trunc` on baseline x86-64).
        ints.format(v as i64).as_bytes()
    } else {
        floats.format_finite(v).as_bytes()
    }
}

/// Escapes `\` and newlines (and `"` in label values), the only escapes 0.0.4 allows.
fn escape(s: &str, quote: bool, out: &mut Vec<u8>) {
    escape_bytes(s.as_bytes(), quote, out)
}

/// [`escape`] of UTF-8 bytes: the common value without anything to escape is one scan and
/// one copy, inline; the rest is out of line.
#[inline(always)]
fn escape_bytes(bytes: &[u8], quote: bool, out: &mut Vec<u8>) {
    if !needs_escape(bytes) {
        put(out, bytes);
    } else {
        escape_slow(bytes, quote, out);
    }
}

#[cold]
#[inline(never)]
fn escape_slow(bytes: &[u8], quote: bool, out: &mut Vec<u8>) {
    for &b in bytes {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'"' if quote => out.extend_from_slice(b"\\\""),
            _ => out.push(b),
        }
    }
}

/// Appends `b`; short slices (most names and label values) without a `memcpy` call, which
/// costs more than the copy itself (see [`copy_short`]).
#[inline]
fn put(out: &mut Vec<u8>, b: &[u8]) {
    out.reserve(b.len());
    // SAFETY: the reservation makes room for `b.len()` bytes after len, all of which
    // `copy_short` writes before set_len; `b` is not inside `out`'s spare capacity.
    unsafe {
        let len = out.len();
        copy_short(out.as_mut_ptr().add(len), b);
        out.set_len(len + b.len());
    }
}

/// Whether `b` holds a `\\`, `"` or newline, eight bytes at a time (SWAR): label values are
/// scanned once per series per push, so this is on the encoder's hot path. Values of up to
/// 16 bytes take one or two word reads and no loop.
#[inline(always)]
fn needs_escape(b: &[u8]) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    // Nonzero under HI when some byte of `w` is one of the three (exact as a whole, even if
    // a borrow marks a further byte).
    let special = |w: u64| {
        let zero = |c: u8| {
            let x = w ^ (LO * c as u64);
            x.wrapping_sub(LO) & !x
        };
        (zero(b'\\') | zero(b'"') | zero(b'\n')) & HI
    };
    let n = b.len();
    let p = b.as_ptr();
    // SAFETY: every read below lies inside `b`: each arm reads only at offsets whose end is
    // at most n, given the arm's range of n.
    unsafe {
        let word8 = |at: usize| u64::from_le((p.add(at) as *const u64).read_unaligned());
        let word4 = |at: usize| u64::from(u32::from_le((p.add(at) as *const u32).read_unaligned()));
        match n {
            0 => false,
            // The other bytes of the word are zero, which is none of the three.
            1..=3 => {
                special(
                    u64::from(*p) | u64::from(*p.add(n / 2)) << 8 | u64::from(*p.add(n - 1)) << 16,
                ) != 0
            }
            // Two overlapping reads cover every byte.
            4..=7 => special(word4(0) | word4(n - 4) << 32) != 0,
            8..=16 => special(word8(0)) | special(word8(n - 8)) != 0,
            _ => {
                let mut acc = special(word8(n - 8));
                let mut at = 0;
                while at + 8 <= n {
                    acc |= special(word8(at));
                    at += 8;
                }
                acc != 0
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_written_in_the_canonical_float_form() {
        for (v, want) in [
            (1.0, "1.0"),
            (0.0, "0.0"),
            (-0.0, "0.0"),
            (-2.0, "-2.0"),
            (0.005, "0.005"),
            (0.5, "0.5"),
            (2.5, "2.5"),
            (10.0, "10.0"),
            (100000.0, "100000.0"),
            (123456.5, "123456.5"),
            (1e6, "1e+06"),
            (1234567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
            (0.00012, "0.00012"),
            (1e-5, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1e16, "1e+16"),
            (1e21, "1e+21"),
            (1e100, "1e+100"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (0.1 + 0.2, "0.30000000000000004"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (f64::NAN, "NaN"),
        ] {
            let mut out = Vec::new();
            write_bound(v, &mut out);
            assert_eq!(std::str::from_utf8(&out).unwrap(), want, "{v:e}");
            if v.is_finite() {
                assert_eq!(want.parse::<f64>().unwrap(), v, "{want} reads back");
            }
        }
    }
    use crate::Registry;

    fn text(reg: &Registry) -> String {
        reg.encode_text()
    }

    #[test]
    fn label_values_and_help_are_escaped() {
        let reg = Registry::new();
        let c = reg
            .counter("c_total", "a \\ b\nc \"q\"")
            .labels(&["v"])
            .build_vec()
            .unwrap();
        c.inc(&["x\"y\\z\nw"]).unwrap();
        assert_eq!(
            text(&reg),
            "# HELP c_total a \\\\ b\\nc \"q\"\n# TYPE c_total counter\nc_total{v=\"x\\\"y\\\\z\\nw\"} 1\n"
        );
    }

    #[test]
    fn counter_and_gauge_lines_join_constant_and_series_labels() {
        let reg = Registry::new();
        let both = reg
            .counter("both_total", "B")
            .const_label("svc", "a\"b")
            .labels(&["m", "long_label_name_x"])
            .build_vec()
            .unwrap();
        both.inc(&["GET", "a value longer than sixteen bytes"])
            .unwrap();
        both.inc_by(&["x\ny", ""], 2.5).unwrap();
        let only_const = reg
            .gauge("only_const", "C")
            .const_label("k", "v")
            .build()
            .unwrap();
        only_const.set(-0.25);
        let plain = reg.gauge("plain", "P").build().unwrap();
        plain.set(1e21);
        let one = reg.gauge("one", "O").labels(&["a"]).build_vec().unwrap();
        one.set(&["\u{e9}"], 3.0).unwrap();
        one.set(&[""], f64::NEG_INFINITY).unwrap();
        assert_eq!(
            text(&reg),
            "# HELP both_total B\n# TYPE both_total counter\n\
             both_total{svc=\"a\\\"b\",m=\"GET\",long_label_name_x=\"a value longer than sixteen bytes\"} 1\n\
             both_total{svc=\"a\\\"b\",m=\"x\\ny\",long_label_name_x=\"\"} 2.5\n\
             # HELP only_const C\n# TYPE only_const gauge\nonly_const{k=\"v\"} -0.25\n\
             # HELP plain P\n# TYPE plain gauge\nplain 1e21\n\
             # HELP one O\n# TYPE one gauge\none{a=\"\u{e9}\"} 3\none{a=\"\"} -Inf\n"
        );
    }

    #[test]
    fn histogram_has_cumulative_buckets_inf_sum_and_count() {
        let reg = Registry::new();
        let h = reg
            .histogram("h", "H")
            .const_label("svc", "a")
            .buckets(vec![0.5, 1.0])
            .build()
            .unwrap();
        for v in [0.1, 0.7, 3.0] {
            h.observe(v).unwrap();
        }
        assert_eq!(
            text(&reg),
            "# HELP h H\n# TYPE h histogram\n\
             h_bucket{svc=\"a\",le=\"0.5\"} 1\nh_bucket{svc=\"a\",le=\"1.0\"} 2\n\
             h_bucket{svc=\"a\",le=\"+Inf\"} 3\nh_sum{svc=\"a\"} 3.8\nh_count{svc=\"a\"} 3\n"
        );
    }

    #[test]
    fn special_floats_use_the_prometheus_spelling() {
        let mut out = Vec::new();
        for v in [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            2.0,
            -0.25,
            1e-7,
            1e20,
        ] {
            write_f64(v, &mut out);
            out.push(b' ');
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "NaN +Inf -Inf 2 -0.25 1e-7 1e20 "
        );
    }

    #[test]
    fn summary_lists_quantiles_then_sum_and_count() {
        let reg = Registry::new();
        let s = reg.summary("s", "S").quantiles(&[0.5]).build().unwrap();
        s.observe(2.0).unwrap();
        let t = text(&reg);
        assert!(t.contains("s{quantile=\"0.5\"} "), "{t}");
        assert!(t.ends_with("s_sum 2\ns_count 1\n"), "{t}");
    }

    #[test]
    fn the_escape_scan_finds_special_bytes_anywhere() {
        for n in 1..=40 {
            // Neighbours of the special bytes must not match.
            let plain: Vec<u8> = (0..n).map(|i| b"[]!#\x0b\x09a~"[i % 8]).collect();
            assert!(!needs_escape(&plain), "{plain:?}");
            for i in 0..n {
                for c in [b'\\', b'"', b'\n'] {
                    let mut v = plain.clone();
                    v[i] = c;
                    assert!(needs_escape(&v), "{v:?}");
                }
            }
        }
        assert!(!needs_escape(
            "plain value with spaces / and : colons".as_bytes()
        ));
        assert!(!needs_escape("\u{e9}t\u{e9} \u{1f600}".as_bytes()));
    }

    #[test]
    fn short_copies_append_exactly() {
        for n in 0..40 {
            let src: Vec<u8> = (0..n as u8).collect();
            let mut out = Vec::with_capacity(64);
            out.extend_from_slice(b"xy");
            put(&mut out, &src);
            assert_eq!(&out[2..], &src[..]);
            assert_eq!(out.len(), 2 + n);
        }
    }

    #[test]
    fn empty_families_are_not_written() {
        let reg = Registry::new();
        reg.counter("v_total", "V")
            .labels(&["a"])
            .build_vec()
            .unwrap();
        assert_eq!(text(&reg), "");
    }
}
