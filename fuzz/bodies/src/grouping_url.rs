//! Target `grouping_url`: the Pushgateway group path for an arbitrary job and grouping
//! labels is either a typed error or a URL whose every segment is the base64url of a value
//! and decodes back to it; no error message shows the URL's password.

use crate::input::Input;
use crate::text_format::is_label_name;
use pushmetrics::fuzzing::pushgateway_group_url;
use pushmetrics::Error;

const BASES: &[&str] = &[
    "http://127.0.0.1:9091",
    "https://gateway.example:443/prefix/",
    "http://[::1]:9091",
    "HTTP://h",
];

/// The target body.
pub fn grouping_url(data: &[u8]) {
    let mut input = Input::new(data);
    let password = format!("pw{}", input.string(12));
    let kind = input.below(4);
    let base = match kind {
        0 => input.string(40),
        1 => format!("http://user:{password}@{}", input.string(20)),
        _ => BASES[input.below(BASES.len())].to_string(),
    };
    let job = input.string(24);
    let grouping: Vec<(String, String)> = (0..input.below(4))
        .map(|_| (input.string(12), input.string(24)))
        .collect();
    match pushgateway_group_url(&base, &job, &grouping) {
        Err(e) => {
            assert!(
                matches!(
                    e,
                    Error::InvalidConfig(_)
                        | Error::InvalidLabelName(_)
                        | Error::DuplicateLabelName(_)
                ),
                "{e:?}"
            );
            // A `/` ends the authority, so a password holding one cannot be told from a
            // path and is not checked.
            if kind == 1 && !password.contains('/') {
                let msg = e.to_string();
                assert!(
                    !msg.contains(&format!(":{password}@")),
                    "the password is shown: {msg}"
                );
            }
        }
        Ok(url) => {
            assert!(!job.is_empty(), "an empty job was accepted");
            let trimmed = base.trim_end_matches('/');
            let path = url
                .strip_prefix(trimmed)
                .and_then(|p| p.strip_prefix("/metrics/job@base64/"))
                .unwrap_or_else(|| panic!("{url:?} does not extend {trimmed:?}"));
            let mut segments = path.split('/');
            let first = segments.next().unwrap_or_default();
            assert_eq!(
                decode(first).as_deref(),
                Some(job.as_bytes()),
                "job in {url:?}"
            );
            let mut seen: Vec<&str> = Vec::new();
            for (name, value) in &grouping {
                assert!(
                    is_label_name(name) && !name.starts_with("__") && name != "job",
                    "grouping name {name:?} was accepted"
                );
                assert!(
                    !seen.contains(&name.as_str()),
                    "{name:?} twice was accepted"
                );
                seen.push(name);
                assert_eq!(
                    segments.next(),
                    Some(format!("{name}@base64").as_str()),
                    "{url:?}"
                );
                let v = segments.next().unwrap_or_default();
                assert_eq!(
                    decode(v).as_deref(),
                    Some(value.as_bytes()),
                    "{name} in {url:?}"
                );
            }
            assert_eq!(segments.next(), None, "{url:?}");
        }
    }
}

/// Decodes padded base64url; `=` alone is the empty value. `None` for anything else,
/// including characters a path segment would need escaped.
fn decode(s: &str) -> Option<Vec<u8>> {
    if s == "=" {
        return Some(Vec::new());
    }
    if s.is_empty() || s.len() % 4 != 0 {
        return None;
    }
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::new();
    let chunks: Vec<&[u8]> = s.as_bytes().chunks(4).collect();
    for (i, c) in chunks.iter().enumerate() {
        let pad = c.iter().rev().take_while(|&&b| b == b'=').count();
        if pad > 2 || (pad > 0 && i + 1 != chunks.len()) {
            return None;
        }
        let mut n = 0u32;
        for &b in &c[..4 - pad] {
            n = n << 6 | val(b)?;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}
