//! Internal functions that the public API reaches only through I/O (the process
//! environment, a started pusher), opened for the fuzz targets in `fuzz/`. Not part of the
//! stable API: hidden from the docs and free to change.

use crate::config::PusherBuilder;
use crate::error::Result;

/// The Pushgateway group URL for `job` and `grouping` on the gateway at `base_url`, as a
/// pusher computes it at start.
///
/// ```
/// let url = pushmetrics::fuzzing::pushgateway_group_url(
///     "http://127.0.0.1:9091", "nightly", &[("path".into(), "/tmp".into())]).unwrap();
/// assert_eq!(url, "http://127.0.0.1:9091/metrics/job@base64/bmlnaHRseQ==/path@base64/L3RtcA==");
/// ```
pub fn pushgateway_group_url(
    base_url: &str,
    job: &str,
    grouping: &[(String, String)],
) -> Result<String> {
    crate::target::pushgateway::group_url(base_url, job, grouping)
}

/// Applies the `PUSHMETRICS_*` variables in `vars` (not the process environment) to
/// `builder` and checks every option, as `start` does before it starts the pusher.
///
/// ```
/// let b = pushmetrics::Pusher::builder("http://127.0.0.1:9091");
/// let err = pushmetrics::fuzzing::resolve_with_env(b, [("PUSHMETRICS_JOB", "j"), ("PUSHMETRICS_INTERVAL", "soon")])
///     .unwrap_err();
/// assert!(err.to_string().contains("soon"));
/// ```
pub fn resolve_with_env<K, V>(
    builder: PusherBuilder,
    vars: impl IntoIterator<Item = (K, V)>,
) -> Result<PusherBuilder>
where
    K: Into<String>,
    V: Into<String>,
{
    builder.resolved_with_env(vars)
}
