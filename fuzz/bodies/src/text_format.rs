//! A strict parser of the Prometheus text exposition format 0.0.4, as the Pushgateway's
//! parser (Go's `expfmt`) reads it, narrowed to what pushmetrics promises to write: HELP
//! then TYPE once per family before its samples, only the escapes the format defines,
//! `\n` after every line, no timestamps, no comments, no empty lines, no series twice.

use std::collections::HashSet;

/// One metric family as read.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    /// The name of the HELP and TYPE lines.
    pub name: String,
    /// The help text, unescaped.
    pub help: String,
    /// `counter`, `gauge`, `histogram`, `summary` or `untyped`.
    pub kind: String,
    /// Samples in the order written.
    pub samples: Vec<Sample>,
}

/// One sample line.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The metric name of the line (with `_bucket`, `_sum` or `_count` where written).
    pub name: String,
    /// Label pairs in the order written, values unescaped.
    pub labels: Vec<(String, String)>,
    /// The value.
    pub value: f64,
    /// The value as written.
    pub raw: String,
}

/// Whether `s` matches `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub fn is_metric_name(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_' || c == b':')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b':')
}

/// Whether `s` matches `[a-zA-Z_][a-zA-Z0-9_]*`.
pub fn is_label_name(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// Parses a whole exposition; the error names the line and what is wrong with it.
pub fn parse(text: &str) -> Result<Vec<Family>, String> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let Some(body) = text.strip_suffix('\n') else {
        return Err("the last line does not end in \\n".into());
    };
    let mut families: Vec<Family> = Vec::new();
    let mut names: HashSet<String> = HashSet::new();
    let mut series: HashSet<(String, Vec<(String, String)>)> = HashSet::new();
    let mut lines = body.split('\n').enumerate().peekable();
    while let Some((no, line)) = lines.next() {
        let fail = |why: &str| format!("line {}: {why}: {line:?}", no + 1);
        if let Some(rest) = line.strip_prefix("# HELP ") {
            if families.last().is_some_and(|f| f.samples.is_empty()) {
                return Err(fail("the previous family has no samples"));
            }
            let (name, help) = rest
                .split_once(' ')
                .ok_or_else(|| fail("no space after the name"))?;
            if !is_metric_name(name) {
                return Err(fail("invalid metric name"));
            }
            if !names.insert(name.to_string()) {
                return Err(fail("a second HELP for the name"));
            }
            let help = unescape(help, false).map_err(|e| fail(&e))?;
            let (tno, tline) = lines
                .next()
                .ok_or_else(|| fail("no TYPE line after HELP"))?;
            let tfail = |why: &str| format!("line {}: {why}: {tline:?}", tno + 1);
            let kind = tline
                .strip_prefix("# TYPE ")
                .and_then(|t| t.strip_prefix(name))
                .and_then(|t| t.strip_prefix(' '))
                .ok_or_else(|| tfail("expected the TYPE line of the family"))?;
            if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind) {
                return Err(tfail("unknown type"));
            }
            families.push(Family {
                name: name.to_string(),
                help,
                kind: kind.to_string(),
                samples: Vec::new(),
            });
            series.clear();
            continue;
        }
        if line.starts_with('#') {
            return Err(fail("a comment other than HELP"));
        }
        let family = families
            .last_mut()
            .ok_or_else(|| fail("a sample before any HELP"))?;
        let sample = parse_sample(line).map_err(|e| fail(&e))?;
        let suffixes: &[&str] = match family.kind.as_str() {
            "histogram" => &["_bucket", "_sum", "_count"],
            "summary" => &["", "_sum", "_count"],
            _ => &[""],
        };
        let belongs = suffixes.iter().any(|s| {
            sample
                .name
                .strip_prefix(family.name.as_str())
                .is_some_and(|rest| rest == *s)
        });
        if !belongs {
            return Err(fail("a sample of another family"));
        }
        let mut key = sample.labels.clone();
        key.sort();
        if !series.insert((sample.name.clone(), key)) {
            return Err(fail("the same series twice"));
        }
        family.samples.push(sample);
    }
    if families.last().is_some_and(|f| f.samples.is_empty()) {
        return Err("the last family has no samples".into());
    }
    Ok(families)
}

fn parse_sample(line: &str) -> Result<Sample, String> {
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .ok_or("no value")?;
    let name = &line[..end];
    if !is_metric_name(name) {
        return Err("invalid metric name".into());
    }
    let mut rest = &line[end..];
    let mut labels: Vec<(String, String)> = Vec::new();
    if let Some(r) = rest.strip_prefix('{') {
        rest = r;
        loop {
            if labels.is_empty() {
                if let Some(r) = rest.strip_prefix('}') {
                    // `{}` is legal but pushmetrics never writes it.
                    let _ = r;
                    return Err("empty label braces".into());
                }
            }
            let eq = rest.find('=').ok_or("a label without =")?;
            let lname = &rest[..eq];
            if !is_label_name(lname) || lname.starts_with("__") {
                return Err(format!("invalid label name {lname:?}"));
            }
            if labels.iter().any(|(n, _)| n == lname) {
                return Err(format!("label {lname:?} twice"));
            }
            rest = rest[eq + 1..]
                .strip_prefix('"')
                .ok_or("a label value without quotes")?;
            let (value, after) = label_value(rest)?;
            labels.push((lname.to_string(), value));
            rest = after;
            if let Some(r) = rest.strip_prefix(',') {
                rest = r;
                continue;
            }
            rest = rest
                .strip_prefix('}')
                .ok_or("expected , or } after a label")?;
            break;
        }
    }
    let raw = rest.strip_prefix(' ').ok_or("no space before the value")?;
    let value = parse_value(raw).ok_or_else(|| format!("invalid value {raw:?}"))?;
    Ok(Sample {
        name: name.to_string(),
        labels,
        value,
        raw: raw.to_string(),
    })
}

/// A quoted label value up to its closing quote; returns the value and what follows.
fn label_value(s: &str) -> Result<(String, &str), String> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, &s[i + 1..])),
            '\\' => match chars.next() {
                Some((_, '\\')) => out.push('\\'),
                Some((_, '"')) => out.push('"'),
                Some((_, 'n')) => out.push('\n'),
                other => return Err(format!("invalid escape {other:?} in a label value")),
            },
            c => out.push(c),
        }
    }
    Err("an unterminated label value".into())
}

/// Unescapes help text (`\\`, `\n`) or, with `quote`, a label value (also `\"`).
fn unescape(s: &str, quote: bool) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('"') if quote => out.push('"'),
            other => return Err(format!("invalid escape {other:?}")),
        }
    }
    Ok(out)
}

/// `NaN`, `+Inf`, `-Inf`, or `-?digits(.digits)?([eE][+-]?digits)?`.
pub fn parse_value(s: &str) -> Option<f64> {
    match s {
        "NaN" => return Some(f64::NAN),
        "+Inf" => return Some(f64::INFINITY),
        "-Inf" => return Some(f64::NEG_INFINITY),
        _ => {}
    }
    let b = s.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i > start
    };
    if !digits(&mut i) {
        return None;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return None;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(&mut i) {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_line_kind_and_unescapes() {
        let fams = parse(
            "# HELP h a \\\\ b\\nc\n# TYPE h histogram\n\
             h_bucket{x=\"q\\\"\\\\\\n\",le=\"1\"} 2\nh_bucket{x=\"q\\\"\\\\\\n\",le=\"+Inf\"} 3\n\
             h_sum{x=\"q\\\"\\\\\\n\"} 1.5e-7\nh_count{x=\"q\\\"\\\\\\n\"} 3\n",
        )
        .unwrap();
        assert_eq!(fams.len(), 1);
        assert_eq!(fams[0].help, "a \\ b\nc");
        assert_eq!(fams[0].samples[0].labels[0].1, "q\"\\\n");
        assert_eq!(fams[0].samples[2].value, 1.5e-7);
    }

    #[test]
    fn refuses_what_the_encoder_must_never_write() {
        for bad in [
            "# HELP a x\n# TYPE a counter\na 1",
            "# HELP a x\n# TYPE a counter\na 1\n# HELP a x\n# TYPE a counter\na 2\n",
            "# HELP a x\n# TYPE a counter\na{b=\"1\"} 1\na{b=\"1\"} 2\n",
            "# HELP a x\n# TYPE a counter\nb 1\n",
            "# HELP a x\n# TYPE a counter\na{b=\"\\t\"} 1\n",
            "# HELP a x\n# TYPE a counter\na{b=\"1\",} 1\n",
            "# HELP a x\n# TYPE a counter\na{b=\"1\",b=\"2\"} 1\n",
            "# HELP a x\n# TYPE a counter\na 1 1700000000\n",
            "# HELP a x\n# TYPE a counter\na inf\n",
            "# HELP a x\n# TYPE a counter\na 1.\n",
            "# HELP a x\n# TYPE a counter\n",
            "# HELP a x\\t\n# TYPE a counter\na 1\n",
            "# HELP a x\n# TYPE a counter\n\na 1\n",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
