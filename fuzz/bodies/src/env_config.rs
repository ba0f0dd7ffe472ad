//! Target `env_config`: any set of `PUSHMETRICS_*` variables either resolves to options
//! that pass the pusher's checks or is refused with a typed error that names what to fix;
//! no message shows a password or token given in the environment.

use crate::input::Input;
use pushmetrics::fuzzing::{pushgateway_group_url, resolve_with_env};
use pushmetrics::{Error, Pusher};

const VARS: &[&str] = &[
    "PUSHMETRICS_TARGET",
    "PUSHMETRICS_URL",
    "PUSHMETRICS_JOB",
    "PUSHMETRICS_GROUPING",
    "PUSHMETRICS_METHOD",
    "PUSHMETRICS_FORMAT",
    "PUSHMETRICS_GZIP",
    "PUSHMETRICS_INTERVAL",
    "PUSHMETRICS_JITTER",
    "PUSHMETRICS_FLUSH_DEADLINE",
    "PUSHMETRICS_CONNECT_TIMEOUT",
    "PUSHMETRICS_REQUEST_TIMEOUT",
    "PUSHMETRICS_MAX_ATTEMPTS",
    "PUSHMETRICS_BACKOFF_BASE",
    "PUSHMETRICS_BACKOFF_MAX",
    "PUSHMETRICS_RETRY_BUDGET",
    "PUSHMETRICS_BREAKER_THRESHOLD",
    "PUSHMETRICS_BREAKER_OPEN",
    "PUSHMETRICS_MAX_BODY_BYTES",
    "PUSHMETRICS_MAX_SAMPLES_PER_SEND",
    "PUSHMETRICS_MAX_IN_FLIGHT",
    "PUSHMETRICS_MAX_PENDING_SAMPLES",
    "PUSHMETRICS_STALENESS_MARKERS",
    "PUSHMETRICS_DELETE_ON_SHUTDOWN",
    "PUSHMETRICS_SELF_METRICS",
    "PUSHMETRICS_SHUTDOWN_TIMEOUT",
    "PUSHMETRICS_BASIC_AUTH",
    "PUSHMETRICS_BEARER_TOKEN",
    "PUSHMETRICS_HEADERS",
    "PUSHMETRICS_CA_FILE",
    "PUSHMETRICS_CA_FILE_ONLY",
    "PUSHMETRICS_CLIENT_CERT",
    "PUSHMETRICS_CLIENT_KEY",
];

/// Values shaped like what each kind of variable expects, so that most inputs get past
/// the first check.
const SHAPES: &[&str] = &[
    "",
    " ",
    "1",
    "0",
    "true",
    "off",
    "2.5",
    "-1",
    "NaN",
    "inf",
    "1e400",
    "500ms",
    "10s",
    "2m",
    "1h",
    "0ms",
    "18446744073709551615",
    "9e18",
    "put",
    "POST",
    "text",
    "protobuf",
    "remote_write",
    "pushgateway",
    "a=b,c=d",
    "job=x",
    "a=,b=/",
    "http://127.0.0.1:9091",
    "http://u:p@h:1/x",
    "https://h/api/v1/write,http://h2",
    "user:pass",
    "X-A: b\nX-C: d",
];

/// The mark every credential value carries (see below).
const KEY: char = '\u{1f511}';

/// Whether the variable holds a credential, which no message may show.
fn secret(name: &str) -> bool {
    name.ends_with("BASIC_AUTH") || name.ends_with("TOKEN")
}

/// The target body.
pub fn env_config(data: &[u8]) {
    let mut input = Input::new(data);
    let mut vars: Vec<(String, String)> = Vec::new();
    for _ in 0..input.below(10) {
        let name = if input.below(16) == 0 {
            input.string(24)
        } else {
            VARS[input.below(VARS.len())].to_string()
        };
        let value = match input.below(3) {
            0 => input.string(40),
            1 => SHAPES[input.below(SHAPES.len())].to_string(),
            _ => format!(
                "{}{}",
                SHAPES[input.below(SHAPES.len())],
                SHAPES[input.below(SHAPES.len())]
            ),
        };
        // Credentials carry a mark no other value has, so that a message showing one is
        // told apart from a message that happens to contain the same text.
        let value = if secret(&name) {
            format!("{value}{KEY}")
        } else {
            value.replace(KEY, "")
        };
        vars.push((name, value));
    }
    let builder = Pusher::builder("http://127.0.0.1:9091").job("fuzz");
    match resolve_with_env(builder.clone(), vars.clone()) {
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
            let msg = e.to_string();
            assert!(!msg.is_empty());
            assert!(!msg.contains(KEY), "a credential is shown: {msg}");
        }
        Ok(resolved) => {
            // Resolving is deterministic, and the group path of what it accepted is a URL
            // or a typed error.
            let again = resolve_with_env(builder, vars.clone()).expect("the same input again");
            assert_eq!(format!("{resolved:?}"), format!("{again:?}"));
            let get = |name: &str| {
                vars.iter()
                    .rev()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.trim())
                    .filter(|v| !v.is_empty())
            };
            let url = get("PUSHMETRICS_URL")
                .and_then(|u| u.split(',').map(str::trim).find(|u| !u.is_empty()))
                .unwrap_or("http://127.0.0.1:9091");
            let job = get("PUSHMETRICS_JOB").map(|_| "from-env").unwrap_or("fuzz");
            let _ = pushgateway_group_url(url, job, &[]);
        }
    }
}
