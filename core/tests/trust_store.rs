//! The host's CA store against a real Pushgateway behind TLS, with the store named by
//! `SSL_CERT_FILE` as on a host where a company CA is installed: the store alone is
//! trusted, `ca_file` adds to it, and `ca_file_only` trusts nothing but `ca_file`.
//!
//! One test in a binary of its own: the store is read once per process, so the variable
//! is set before anything connects, and no other test sees it.

mod support;

use pushmetrics::{Error, Pusher, PusherBuilder, Registry};
use std::time::Duration;
use support::{TlsFixture, WebConfig};

fn builder(url: &str) -> PusherBuilder {
    Pusher::builder(url)
        .job("trust")
        .ignore_env()
        .connect_timeout(Duration::from_secs(2))
        .request_timeout(Duration::from_secs(2))
        .max_attempts(1)
        .self_metrics(false)
}

#[test]
fn the_host_store_from_ssl_cert_file_is_trusted_and_ca_file_adds_to_it() {
    let tls = TlsFixture::create();
    // Before any connection and while this test is the binary's only thread that reads
    // the environment.
    std::env::set_var("SSL_CERT_FILE", &tls.ca_cert);
    std::env::remove_var("SSL_CERT_DIR");
    let gw = tls.start_gateway(WebConfig {
        tls: true,
        ..WebConfig::default()
    });
    let reg = Registry::new();
    let pushed = reg.counter("trusted_total", "T").build().unwrap();

    pushed.inc_by(1.0).unwrap();
    builder(gw.url()).push_once(&reg).unwrap();
    assert_eq!(
        gw.series_value("trusted_total", &[("job", "trust")]),
        Some(1.0),
        "the host's store (SSL_CERT_FILE) holds the gateway's CA"
    );

    // A ca_file of an unrelated CA: the host's store still vouches for the gateway.
    pushed.inc_by(1.0).unwrap();
    builder(gw.url())
        .ca_file(&tls.other_ca_cert)
        .push_once(&reg)
        .unwrap();
    assert_eq!(
        gw.series_value("trusted_total", &[("job", "trust")]),
        Some(2.0)
    );

    // Only the unrelated CA: the host's store no longer counts.
    let err = builder(gw.url())
        .ca_file(&tls.other_ca_cert)
        .ca_file_only(true)
        .push_once(&reg)
        .unwrap_err();
    assert!(matches!(err, Error::Push(_)), "{err}");
    assert!(err.to_string().contains("TLS"), "{err}");

    pushed.inc_by(1.0).unwrap();
    builder(gw.url())
        .ca_file(&tls.ca_cert)
        .ca_file_only(true)
        .push_once(&reg)
        .unwrap();
    assert_eq!(
        gw.series_value("trusted_total", &[("job", "trust")]),
        Some(3.0)
    );
}
