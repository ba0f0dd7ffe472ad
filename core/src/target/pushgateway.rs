//! The Pushgateway's group URL: `/metrics/job@base64/<job>{/<label>@base64/<value>}`.
//! Every value is base64url-encoded, which rules out the `/`, `.`, `..`, empty-value and
//! redirect cases the gateway otherwise mishandles; label names are checked here.

use crate::transport::http::redact_url;
use crate::{Error, Result};

/// The URL of the group `job` + `grouping` on the gateway at `base_url`.
///
/// `base_url` is `http(s)://host[:port][/prefix]`; a trailing `/` is ignored.
pub(crate) fn group_url(
    base_url: &str,
    job: &str,
    grouping: &[(String, String)],
) -> Result<String> {
    let base = validate_base_url(base_url)?;
    if job.is_empty() {
        return Err(Error::InvalidConfig("job must not be empty".to_string()));
    }
    for (i, (name, _)) in grouping.iter().enumerate() {
        validate_label_name(name)?;
        if grouping[..i].iter().any(|(earlier, _)| earlier == name) {
            return Err(Error::DuplicateLabelName(name.clone()));
        }
    }
    let mut url = String::with_capacity(base.len() + 32 + job.len() * 2);
    url.push_str(base);
    url.push_str("/metrics/job@base64/");
    push_base64url(&mut url, job.as_bytes());
    for (name, value) in grouping {
        url.push('/');
        url.push_str(name);
        url.push_str("@base64/");
        push_base64url(&mut url, value.as_bytes());
    }
    Ok(url)
}

fn validate_base_url(base_url: &str) -> Result<&str> {
    let invalid = |why: &str| {
        Err(Error::InvalidConfig(format!(
            "invalid url {:?}: {why}",
            redact_url(base_url)
        )))
    };
    let Some((scheme, rest)) = base_url.split_once("://") else {
        return invalid("expected http://host:port or https://host:port");
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return invalid("the scheme must be http or https");
    }
    let authority = rest.split('/').next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    if host.is_empty() || host.starts_with(':') {
        return invalid("no host");
    }
    if base_url.contains(['?', '#']) {
        return invalid("a query or fragment cannot be followed by a group path");
    }
    if base_url
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        return invalid("whitespace or control characters");
    }
    let trimmed = base_url.trim_end_matches('/');
    if trimmed[scheme.len() + 3..].contains("//") {
        return invalid("empty path segment");
    }
    Ok(trimmed)
}

/// Grouping label names: `[a-zA-Z_][a-zA-Z0-9_]*`, no `__` prefix, and not `job`, which
/// is the path's own first label.
pub(crate) fn validate_label_name(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let valid_start = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    let valid = valid_start
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with("__");
    if !valid {
        return Err(Error::InvalidLabelName(name.to_string()));
    }
    if name == "job" {
        return Err(Error::InvalidConfig(
            "\"job\" cannot be a grouping label: it is set by the job option".to_string(),
        ));
    }
    Ok(())
}

/// URL-safe base64 (RFC 4648 §5) with `=` padding, so an empty value becomes `=` rather
/// than an empty path segment.
fn push_base64url(out: &mut String, input: &[u8]) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    if input.is_empty() {
        out.push('=');
        return;
    }
    for chunk in input.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "http://127.0.0.1:9091";

    fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn url(job: &str, pairs: &[(&str, &str)]) -> Result<String> {
        group_url(BASE, job, &labels(pairs))
    }

    #[test]
    fn job_only() {
        assert_eq!(
            url("batch", &[]).unwrap(),
            "http://127.0.0.1:9091/metrics/job@base64/YmF0Y2g="
        );
    }

    #[test]
    fn slash_in_a_value_is_base64url_encoded() {
        assert_eq!(
            url("a/b", &[("path", "/var/tmp")]).unwrap(),
            "http://127.0.0.1:9091/metrics/job@base64/YS9i/path@base64/L3Zhci90bXA="
        );
    }

    #[test]
    fn empty_value_is_a_lone_padding_character() {
        assert_eq!(
            url("j", &[("instance", "")]).unwrap(),
            "http://127.0.0.1:9091/metrics/job@base64/ag==/instance@base64/="
        );
    }

    #[test]
    fn dot_segments_cannot_appear() {
        assert_eq!(
            url(".", &[("a", ".."), ("b", "x")]).unwrap(),
            "http://127.0.0.1:9091/metrics/job@base64/Lg==/a@base64/Li4=/b@base64/eA=="
        );
    }

    #[test]
    fn url_safe_alphabet_is_used() {
        // ">>?" encodes to "Pj4/" in the standard alphabet and "?>>" to "Pz4+".
        assert_eq!(
            url(">>?", &[("q", "?>>")]).unwrap(),
            "http://127.0.0.1:9091/metrics/job@base64/Pj4_/q@base64/Pz4-"
        );
    }

    #[test]
    fn unicode_values_are_utf8_bytes() {
        assert_eq!(
            url("über", &[("city", "東京")]).unwrap(),
            "http://127.0.0.1:9091/metrics/job@base64/w7xiZXI=/city@base64/5p2x5Lqs"
        );
    }

    #[test]
    fn labels_keep_their_order() {
        assert_eq!(
            url("j", &[("z", "1"), ("a", "2")]).unwrap(),
            "http://127.0.0.1:9091/metrics/job@base64/ag==/z@base64/MQ==/a@base64/Mg=="
        );
    }

    #[test]
    fn trailing_slashes_and_path_prefixes_of_the_base_url() {
        let with = |base: &str| group_url(base, "j", &[]).unwrap();
        assert_eq!(
            with("http://gw:9091/"),
            "http://gw:9091/metrics/job@base64/ag=="
        );
        assert_eq!(
            with("https://gw/pushgateway//"),
            "https://gw/pushgateway/metrics/job@base64/ag=="
        );
        assert_eq!(with("HTTPS://gw"), "HTTPS://gw/metrics/job@base64/ag==");
    }

    #[test]
    fn empty_job_is_rejected() {
        assert!(matches!(url("", &[]), Err(Error::InvalidConfig(_))));
    }

    #[test]
    fn bad_label_names_are_rejected() {
        for name in ["", "1abc", "bad-name", "a b", "__reserved", "ü", "a@base64"] {
            assert_eq!(
                url("j", &[(name, "v")]),
                Err(Error::InvalidLabelName(name.to_string())),
                "{name:?}"
            );
        }
        assert!(matches!(
            url("j", &[("job", "x")]),
            Err(Error::InvalidConfig(_))
        ));
    }

    #[test]
    fn good_label_names_are_accepted() {
        for name in ["a", "_a", "instance", "A_1", "_"] {
            assert!(url("j", &[(name, "v")]).is_ok(), "{name:?}");
        }
    }

    #[test]
    fn duplicate_label_name_is_rejected() {
        assert_eq!(
            url("j", &[("a", "1"), ("b", "2"), ("a", "3")]),
            Err(Error::DuplicateLabelName("a".to_string()))
        );
    }

    #[test]
    fn bad_base_urls_are_rejected() {
        for base in [
            "",
            "127.0.0.1:9091",
            "ftp://gw",
            "http://",
            "http:///metrics",
            "http://:9091",
            "http://gw?x=1",
            "http://gw#frag",
            "http://gw /x",
            "http://gw//x",
        ] {
            assert!(
                matches!(group_url(base, "j", &[]), Err(Error::InvalidConfig(_))),
                "{base:?}"
            );
        }
    }

    #[test]
    fn base_url_errors_do_not_show_credentials() {
        let err = group_url("http://user:hunter2@gw?x", "j", &[]).unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert!(err.to_string().contains("http://gw?x"), "{err}");
    }

    #[test]
    fn base64url_padding_for_every_remainder() {
        let enc = |s: &str| {
            let mut out = String::new();
            push_base64url(&mut out, s.as_bytes());
            out
        };
        assert_eq!(
            ["", "f", "fo", "foo", "foob", "fooba", "foobar"].map(enc),
            ["=", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"]
        );
    }
}
