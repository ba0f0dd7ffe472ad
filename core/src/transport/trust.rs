//! Which certificate authorities a pusher trusts: the host's store, found as OpenSSL finds
//! it (`SSL_CERT_FILE` and `SSL_CERT_DIR` honoured), plus the CAs of `ca_file`; or the CAs
//! of `ca_file` alone when `ca_file_only` is set.

use std::sync::{Arc, Once, OnceLock};

use ureq::tls::{Certificate, RootCerts};

/// The roots one connection verifies a server against. `ca_file` holds the certificates of
/// the option (empty when it is not set).
pub(crate) fn roots(ca_file: &[Certificate<'static>], ca_file_only: bool) -> RootCerts {
    if ca_file_only {
        return RootCerts::new_with_certs(ca_file);
    }
    let system = system_store();
    if system.is_empty() && ca_file.is_empty() {
        // A host without any CA store (a slim container without ca-certificates): the
        // Mozilla roots built into the library still reach a gateway with a public
        // certificate, as the library did before it used the host's store.
        static WARNED: Once = Once::new();
        WARNED.call_once(|| {
            log::warn!(
                target: "pushmetrics",
                "no CA certificates found on this host (install ca-certificates, or set SSL_CERT_FILE or ca_file); using the Mozilla roots built into pushmetrics"
            )
        });
        return RootCerts::WebPki;
    }
    if ca_file.is_empty() {
        return RootCerts::Specific(system);
    }
    RootCerts::Specific(Arc::new(system.iter().chain(ca_file).cloned().collect()))
}

/// The host's store, read once per process and only when a first HTTPS connection needs
/// it: it parses every certificate of the host's bundle (several milliseconds), which a
/// short job pushing over plain HTTP should not pay.
fn system_store() -> Arc<Vec<Certificate<'static>>> {
    static STORE: OnceLock<Arc<Vec<Certificate<'static>>>> = OnceLock::new();
    STORE
        .get_or_init(|| {
            let found = rustls_native_certs::load_native_certs();
            // Unreadable entries are skipped, as OpenSSL skips them; the rest still count.
            for e in &found.errors {
                log::warn!(target: "pushmetrics", "reading the host's CA certificates: {e}");
            }
            Arc::new(
                found
                    .certs
                    .iter()
                    .map(|der| Certificate::from_der(der.as_ref()).to_owned())
                    .collect(),
            )
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ca_file_only_trusts_nothing_else() {
        let ca = vec![Certificate::from_der(b"not parsed here").to_owned()];
        match roots(&ca, true) {
            RootCerts::Specific(certs) => assert_eq!(certs.len(), 1),
            _ => panic!("ca_file_only must give exactly the certificates of ca_file"),
        }
    }

    #[test]
    fn ca_file_adds_to_the_host_store() {
        let ca = vec![Certificate::from_der(b"extra").to_owned()];
        let host = system_store().len();
        match roots(&ca, false) {
            RootCerts::Specific(certs) => {
                assert_eq!(certs.len(), host + 1);
                assert_eq!(certs.last().unwrap().der(), b"extra");
            }
            _ => panic!("a ca_file must be added to the host's store"),
        }
    }
}
