//! TLS and basic-auth material for gateway tests: a throwaway CA, a server certificate
//! for 127.0.0.1, a client certificate (all made with the openssl CLI), and the
//! Pushgateway `--web.config.file` that uses them.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::gateway::Gateway;
use super::TempDir;

pub const TEST_USER: &str = "pushuser";
pub const TEST_PASSWORD: &str = "pushmetrics-test-pass";
/// bcrypt (cost 10) of [`TEST_PASSWORD`], as `basic_auth_users` wants it. Computed once
/// with crypt(3) (libxcrypt) so tests need neither htpasswd nor a bcrypt library.
pub const TEST_PASSWORD_BCRYPT: &str =
    "$2b$10$WTsPXSlS8ZqVqeEMBs589ebdX1MhVKM2m381PgMTeiBbrCZCCKTCy";

/// Which protections a gateway's web config turns on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WebConfig {
    /// Serve HTTPS with the fixture's server certificate.
    pub tls: bool,
    /// Require a client certificate signed by the fixture's CA (needs `tls`).
    pub client_auth: bool,
    /// Require [`TEST_USER`] / [`TEST_PASSWORD`].
    pub basic_auth: bool,
}

/// Certificates and keys in a temporary directory (PEM, EC P-256, valid ten years).
pub struct TlsFixture {
    pub ca_cert: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    /// A CA that signed nothing here: a client trusting only it must reject the server.
    pub other_ca_cert: PathBuf,
    dir: TempDir,
}

impl TlsFixture {
    pub fn create() -> TlsFixture {
        let dir = TempDir::new("pushmetrics-tls");
        let d = dir.path();
        make_ca(d, "ca", "pushmetrics test CA");
        make_ca(d, "other-ca", "pushmetrics untrusted CA");
        make_leaf(
            d,
            "server",
            "127.0.0.1",
            "serverAuth",
            Some("IP:127.0.0.1, DNS:localhost"),
        );
        make_leaf(d, "client", "pushmetrics test client", "clientAuth", None);
        TlsFixture {
            ca_cert: d.join("ca.pem"),
            server_cert: d.join("server.pem"),
            server_key: d.join("server.key"),
            client_cert: d.join("client.pem"),
            client_key: d.join("client.key"),
            other_ca_cert: d.join("other-ca.pem"),
            dir,
        }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a Pushgateway web config and returns its path.
    pub fn write_web_config(&self, cfg: WebConfig) -> PathBuf {
        assert!(!cfg.client_auth || cfg.tls, "client_auth needs tls");
        let mut yaml = String::new();
        if cfg.tls {
            yaml.push_str(&format!(
                "tls_server_config:\n  cert_file: '{}'\n  key_file: '{}'\n",
                self.server_cert.display(),
                self.server_key.display()
            ));
            if cfg.client_auth {
                yaml.push_str(&format!(
                    "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: '{}'\n",
                    self.ca_cert.display()
                ));
            }
        }
        if cfg.basic_auth {
            yaml.push_str(&format!(
                "basic_auth_users:\n  {TEST_USER}: '{TEST_PASSWORD_BCRYPT}'\n"
            ));
        }
        let path = self.dir().join(format!(
            "web-{}{}{}.yml",
            u8::from(cfg.tls),
            u8::from(cfg.client_auth),
            u8::from(cfg.basic_auth)
        ));
        std::fs::write(&path, yaml).expect("write web config");
        path
    }

    /// The curl arguments that get through a gateway with this config.
    pub fn curl_args(&self, cfg: WebConfig) -> Vec<String> {
        let mut args = Vec::new();
        if cfg.tls {
            args.extend(["--cacert".to_string(), self.ca_cert.display().to_string()]);
        }
        if cfg.client_auth {
            args.extend([
                "--cert".to_string(),
                self.client_cert.display().to_string(),
                "--key".to_string(),
                self.client_key.display().to_string(),
            ]);
        }
        if cfg.basic_auth {
            args.extend(["--user".to_string(), format!("{TEST_USER}:{TEST_PASSWORD}")]);
        }
        args
    }

    /// A gateway protected by `cfg`, whose helpers (`get`, `series_value`, ...) pass it.
    pub fn start_gateway(&self, cfg: WebConfig) -> Gateway {
        Gateway::start_with_web_config(&self.write_web_config(cfg))
            .with_curl_args(self.curl_args(cfg))
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run the openssl CLI (apt-get install openssl): {e}"));
    assert!(
        output.status.success(),
        "openssl {} failed:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `<name>.pem` and `<name>.key`: a self-signed CA.
fn make_ca(dir: &Path, name: &str, common_name: &str) {
    let config = format!(
        "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = {common_name}\n\
         [ext]\nbasicConstraints = critical, CA:TRUE\n\
         keyUsage = critical, keyCertSign, cRLSign\nsubjectKeyIdentifier = hash\n"
    );
    let config_file = format!("{name}.cnf");
    std::fs::write(dir.join(&config_file), config).expect("write openssl config");
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-new",
            "-config",
            &config_file,
            "-extensions",
            "ext",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.pem"),
            "-days",
            "3650",
        ],
    );
}

/// `<name>.pem` and `<name>.key`: a leaf certificate signed by `ca`.
fn make_leaf(dir: &Path, name: &str, common_name: &str, usage: &str, san: Option<&str>) {
    let request_config =
        format!("[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = {common_name}\n");
    let mut extensions = format!(
        "basicConstraints = critical, CA:FALSE\n\
         keyUsage = critical, digitalSignature, keyEncipherment\n\
         extendedKeyUsage = {usage}\nsubjectKeyIdentifier = hash\n\
         authorityKeyIdentifier = keyid\n"
    );
    if let Some(san) = san {
        extensions.push_str(&format!("subjectAltName = {san}\n"));
    }
    std::fs::write(dir.join(format!("{name}.cnf")), request_config).expect("write config");
    std::fs::write(dir.join(format!("{name}.ext")), extensions).expect("write extensions");
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-config",
            &format!("{name}.cnf"),
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.csr"),
        ],
    );
    // A distinct serial per certificate, as verifiers expect from one CA.
    let serial = format!(
        "0x{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos())
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-set_serial",
            &serial,
            "-days",
            "3650",
            "-sha256",
            "-extfile",
            &format!("{name}.ext"),
            "-out",
            &format!("{name}.pem"),
        ],
    );
}
