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
    // `{name="` / `,name="` for every label, built once per family rather than per series.
    let consts: Vec<Vec<u8>> = f
        .const_labels()
        .iter()
        .map(|(n, v)| {
            let mut b = Vec::with_capacity(n.len() + v.len() + 4);
            b.extend_from_slice(n.as_bytes());
            b.extend_from_slice(b"=\"");
            escape(v, true, &mut b);
            b.push(b'"');
            b
        })
        .collect();
    let heads: Vec<Vec<u8>> = f
        .label_names()
        .iter()
        .map(|n| {
            let mut b = Vec::with_capacity(n.len() + 3);
            b.push(b',');
            b.extend_from_slice(n.as_bytes());
            b.extend_from_slice(b"=\"");
            b
        })
        .collect();
    let mut const_block = Vec::new();
    for (i, c) in consts.iter().enumerate() {
        if i > 0 {
            const_block.push(b',');
        }
        const_block.extend_from_slice(c);
    }
    // The label block shared by every line of a series, without braces: `a="x",b="y"`.
    let label_block = |s: &crate::snapshot::SeriesRef<'_>, out: &mut Vec<u8>| {
        let mut first = const_block.is_empty();
        out.extend_from_slice(&const_block);
        for (head, (_, v)) in heads.iter().zip(s.labels()) {
            put(out, if first { &head[1..] } else { head });
            first = false;
            escape(v, true, out);
            out.push(b'"');
        }
    };
    let mut labels = Vec::with_capacity(128);
    for s in f.iter() {
        if let Value::Counter(v) | Value::Gauge(v) = s.value() {
            // One line per series: write the labels straight into the output.
            put(out, name);
            if const_block.is_empty() && heads.is_empty() {
                out.push(b' ');
            } else {
                out.push(b'{');
                label_block(&s, out);
                out.extend_from_slice(b"} ");
            }
            write_f64(*v, out);
            out.push(b'\n');
            continue;
        }
        labels.clear();
        label_block(&s, &mut labels);
        match s.value() {
            Value::Counter(_) | Value::Gauge(_) => unreachable!("written above"),
            Value::Histogram {
                bounds,
                cumulative,
                count,
                sum,
            } => {
                let mut le = Vec::with_capacity(24);
                for (i, c) in cumulative.iter().enumerate() {
                    le.clear();
                    le.extend_from_slice(b"le=\"");
                    match bounds.get(i) {
                        Some(b) => write_f64(*b, &mut le),
                        None => le.extend_from_slice(b"+Inf"),
                    }
                    le.push(b'"');
                    sample_u64(out, name, b"_bucket", &labels, Some(&le), *c);
                }
                sample(out, name, b"_sum", &labels, None, *sum);
                sample_u64(out, name, b"_count", &labels, None, *count);
            }
            Value::Summary {
                quantiles,
                sum,
                count,
            } => {
                let mut q = Vec::with_capacity(24);
                for (quantile, v) in quantiles {
                    q.clear();
                    q.extend_from_slice(b"quantile=\"");
                    write_f64(*quantile, &mut q);
                    q.push(b'"');
                    sample(out, name, b"", &labels, Some(&q), *v);
                }
                sample(out, name, b"_sum", &labels, None, *sum);
                sample_u64(out, name, b"_count", &labels, None, *count);
            }
        }
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

/// Writes a float as Go's `strconv.FormatFloat(v, 'g', -1, 64)` would be parsed back:
/// integers without a fraction (so `le="1"` matches other clients), `+Inf`, `-Inf`, `NaN`.
pub(crate) fn write_f64(v: f64, out: &mut Vec<u8>) {
    if v.is_nan() {
        out.extend_from_slice(b"NaN");
    } else if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"+Inf" } else { b"-Inf" });
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        put(out, itoa::Buffer::new().format(v as i64).as_bytes());
    } else {
        put(out, ryu::Buffer::new().format_finite(v).as_bytes());
    }
}

/// Escapes `\` and newlines (and `"` in label values), the only escapes 0.0.4 allows.
fn escape(s: &str, quote: bool, out: &mut Vec<u8>) {
    let bytes = s.as_bytes();
    if !needs_escape(bytes) {
        put(out, bytes);
        return;
    }
    for &b in bytes {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'"' if quote => out.extend_from_slice(b"\\\""),
            _ => out.push(b),
        }
    }
}

/// Appends `b`. Short slices (most names and label values) are copied with two fixed-size
/// overlapping moves instead of a `memcpy` call, which costs more than the copy itself.
#[inline]
fn put(out: &mut Vec<u8>, b: &[u8]) {
    let n = b.len();
    if (4..=16).contains(&n) && out.capacity() - out.len() >= 16 {
        // SAFETY: there are at least 16 spare bytes after len, so both writes stay inside
        // the allocation; every byte up to len + n is written before set_len.
        unsafe {
            let dst = out.as_mut_ptr().add(out.len());
            let src = b.as_ptr();
            if n >= 8 {
                std::ptr::copy_nonoverlapping(src, dst, 8);
                std::ptr::copy_nonoverlapping(src.add(n - 8), dst.add(n - 8), 8);
            } else {
                std::ptr::copy_nonoverlapping(src, dst, 4);
                std::ptr::copy_nonoverlapping(src.add(n - 4), dst.add(n - 4), 4);
            }
            out.set_len(out.len() + n);
        }
    } else {
        out.extend_from_slice(b);
    }
}

/// Whether `b` holds a `\\`, `"` or newline, eight bytes at a time (SWAR): label values are
/// scanned once per series per push, so this loop is on the encoder's hot path.
#[inline]
fn needs_escape(b: &[u8]) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let has = |w: u64, c: u8| {
        let x = w ^ (LO * c as u64);
        x.wrapping_sub(LO) & !x & HI != 0
    };
    let special = |w: u64| has(w, b'\\') || has(w, b'"') || has(w, b'\n');
    let n = b.len();
    let word8 = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap());
    let word4 = |at: usize| u64::from(u32::from_le_bytes(b[at..at + 4].try_into().unwrap()));
    match n {
        0 => false,
        1..=3 => [b[0], b[n / 2], b[n - 1]]
            .iter()
            .any(|c| matches!(c, b'\\' | b'\n' | b'"')),
        // Two overlapping reads cover every byte: no loop over a remainder.
        4..=7 => special(word4(0) | word4(n - 4) << 32),
        _ => (0..n / 8).any(|i| special(word8(8 * i))) || special(word8(n - 8)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
             h_bucket{svc=\"a\",le=\"0.5\"} 1\nh_bucket{svc=\"a\",le=\"1\"} 2\n\
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
        for i in 0..20 {
            for c in ['\\', '"', '\n'] {
                let mut v = "a".repeat(20);
                v.replace_range(i..=i, &c.to_string());
                assert!(needs_escape(v.as_bytes()), "{v:?}");
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
