//! One HTTP request and what its result means for a pusher: success, worth retrying, or
//! a permanent failure with the server's own message. Owns timeouts, TLS material, auth
//! headers, and keeping credentials out of every message.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use ureq::http::{self, HeaderName, HeaderValue, Method};
use ureq::tls::{parse_pem, Certificate, ClientCert, PemItem, PrivateKey, TlsConfig};
use ureq::{Agent, Proxy, ProxyProtocol, Timeout};

use super::retry::parse_retry_after;
use super::trust;
use crate::{Error, Result};

/// How much of a response body is read: enough for any error message, bounded so a
/// misbehaving server cannot make the push thread allocate without limit.
const MAX_RESPONSE_BODY: u64 = 64 * 1024;
/// How much of the server's message is kept in an error.
const MAX_MESSAGE_BYTES: usize = 1024;

/// Connection settings shared by every request of a pusher.
#[derive(Clone)]
pub(crate) struct HttpConfig {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub basic_auth: Option<(String, String)>,
    pub bearer_token: Option<String>,
    pub headers: Vec<(String, String)>,
    pub ca_file: Option<PathBuf>,
    /// Trust only the CAs of `ca_file`, not the host's store.
    pub ca_file_only: bool,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
}

impl Default for HttpConfig {
    fn default() -> HttpConfig {
        HttpConfig {
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(5),
            basic_auth: None,
            bearer_token: None,
            headers: Vec::new(),
            ca_file: None,
            ca_file_only: false,
            client_cert: None,
            client_key: None,
        }
    }
}

// Hand-written so that a logged configuration never shows a password, token or header value.
impl fmt::Debug for HttpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("HttpConfig")
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field(
                "basic_auth",
                &self
                    .basic_auth
                    .as_ref()
                    .map(|(user, _)| (user, "<redacted>")),
            )
            .field(
                "bearer_token",
                &self.bearer_token.as_ref().map(|_| "<redacted>"),
            )
            .field("headers", &header_names)
            .field("ca_file", &self.ca_file)
            .field("ca_file_only", &self.ca_file_only)
            .field("client_cert", &self.client_cert)
            .field("client_key", &self.client_key)
            .finish()
    }
}

/// What one request amounted to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Any 2xx: the gateway answers 200 or 202, and 202 to every DELETE.
    Success { status: u16 },
    /// A connection error, a timeout, 408, 429 or 5xx. `retry_after` is the server's
    /// `Retry-After` on 429 and 503.
    Retryable {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// Anything retrying cannot fix: other 4xx, a redirect, a TLS or URL error. `status`
    /// is 0 when no HTTP answer was received.
    Permanent { status: u16, message: String },
}

impl Outcome {
    #[cfg(test)]
    pub(crate) fn is_success(&self) -> bool {
        matches!(self, Outcome::Success { .. })
    }
}

/// A reusable HTTP client (connection pool, TLS configuration, auth headers).
pub(crate) struct Http {
    /// Made at the first request, one client for plain HTTP and one for HTTPS, so that only
    /// a pusher that speaks TLS reads the host's CA store.
    plain: OnceLock<Agent>,
    secure: OnceLock<Agent>,
    tls: TlsMaterial,
    connect_timeout: Duration,
    request_timeout: Duration,
    /// `Authorization` from the configuration; it wins over credentials in the URL.
    authorization: Option<HeaderValue>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl fmt::Debug for Http {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Http")
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .finish_non_exhaustive()
    }
}

impl Http {
    pub(crate) fn new(cfg: &HttpConfig) -> Result<Http> {
        for (name, value) in [
            ("connect_timeout", cfg.connect_timeout),
            ("request_timeout", cfg.request_timeout),
        ] {
            if value.is_zero() {
                return Err(Error::InvalidConfig(format!(
                    "{name} must be longer than zero"
                )));
            }
        }
        let authorization = authorization(cfg)?;
        let headers = extra_headers(&cfg.headers, authorization.is_some())?;
        // Read and checked now, so that a bad file fails the start, not the first push.
        let tls = TlsMaterial::load(cfg)?;
        Ok(Http {
            plain: OnceLock::new(),
            secure: OnceLock::new(),
            tls,
            connect_timeout: cfg.connect_timeout,
            request_timeout: cfg.request_timeout,
            authorization,
            headers,
        })
    }

    /// Sends one request and classifies the result. `remaining` is what is left of the
    /// flush deadline; the request never takes longer than that or `request_timeout`.
    pub(crate) fn send(
        &self,
        method: &str,
        url: &str,
        content_type: Option<&str>,
        content_encoding: Option<&str>,
        body: &[u8],
        remaining: Duration,
    ) -> Outcome {
        let (clean_url, url_credentials) = split_userinfo(url);
        let target = format!("{method} {clean_url}");
        let timeout = self.request_timeout.min(remaining);
        if timeout.is_zero() {
            return Outcome::Retryable {
                reason: format!("{target}: no time left before the flush deadline"),
                retry_after: None,
            };
        }
        let Ok(method_value) = Method::from_bytes(method.as_bytes()) else {
            return permanent_error(&target, format!("invalid HTTP method {method:?}"));
        };
        let needs_body = matches!(method_value, Method::PUT | Method::POST | Method::PATCH);
        let mut builder = http::Request::builder()
            .method(method_value)
            .uri(clean_url.as_str());
        let authorization = match (&self.authorization, url_credentials) {
            (Some(value), _) => Some(value.clone()),
            (None, Some((user, password))) => Some(basic_value(&user, &password)),
            (None, None) => None,
        };
        if let Some(value) = authorization {
            builder = builder.header(http::header::AUTHORIZATION, value);
        }
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        for (name, value) in [
            (http::header::CONTENT_TYPE, content_type),
            (http::header::CONTENT_ENCODING, content_encoding),
        ] {
            if let Some(value) = value {
                builder = builder.header(name, value);
            }
        }
        let result = if body.is_empty() && !needs_body {
            builder.body(()).map(|req| self.run(req, timeout))
        } else {
            builder.body(body).map(|req| self.run(req, timeout))
        };
        match result {
            Ok(Ok(response)) => classify_response(&target, response),
            Ok(Err(err)) => classify_error(&target, err, timeout),
            Err(err) => permanent_error(&target, format!("invalid request: {err}")),
        }
    }

    fn run(
        &self,
        request: http::Request<impl ureq::AsSendBody>,
        timeout: Duration,
    ) -> std::result::Result<http::Response<ureq::Body>, ureq::Error> {
        let client = self.client(request.uri().scheme() == Some(&http::uri::Scheme::HTTPS));
        let request = client
            .configure_request(request)
            .timeout_global(Some(timeout))
            .timeout_connect(Some(self.connect_timeout.min(timeout)))
            .build();
        client.run(request)
    }

    fn client(&self, https: bool) -> &Agent {
        let cell = if https { &self.secure } else { &self.plain };
        cell.get_or_init(|| {
            // Plain HTTP meets TLS only through an HTTPS proxy.
            let verify = https
                || Proxy::try_from_env().is_some_and(|p| p.protocol() == ProxyProtocol::Https);
            Agent::config_builder()
                .http_status_as_error(false)
                // A 307 would replay a PUT elsewhere and a 301/302 may turn it into a GET;
                // either way the push would not land where it was configured to.
                .max_redirects(0)
                .user_agent(concat!("pushmetrics/", env!("CARGO_PKG_VERSION")))
                .timeout_connect(Some(self.connect_timeout))
                .timeout_global(Some(self.request_timeout))
                .tls_config(self.tls.config(verify))
                .build()
                .into()
        })
    }
}

/// `url` without its `user:password@` part, for anything that may be logged or shown.
pub(crate) fn redact_url(url: &str) -> String {
    let (clean, credentials) = split_userinfo(url);
    if credentials.is_some() {
        return clean;
    }
    // A password with an unescaped `?` or `#` (`http://u:p#w@host`) ends the authority
    // early for `split_userinfo`, which then sees no userinfo at all; it must still not
    // reach an error or a log. Such a `?` or `#` counts as part of the userinfo when an `@`
    // follows before the path and what precedes it cannot be a host and port (`u:p`).
    let Some(scheme_end) = url.find("://") else {
        return clean;
    };
    let start = scheme_end + 3;
    let rest = &url[start..];
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    let cut = authority.find(['?', '#']).unwrap_or(authority.len());
    match authority.rfind('@') {
        Some(at) if at > cut && !host_and_port(&authority[..cut]) => {
            format!("{}{}", &url[..start], &rest[at + 1..])
        }
        _ => clean,
    }
}

/// Whether `s` can be `host`, `host:port`, `[v6]` or `[v6]:port` (a port all digits).
fn host_and_port(s: &str) -> bool {
    let after_host = match s.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((_, rest)) => rest,
            None => return false,
        },
        None => s,
    };
    match after_host.rsplit_once(':') {
        Some((_, port)) => !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()),
        None => true,
    }
}

/// Splits `scheme://user:password@host/...` into the URL without userinfo and the
/// percent-decoded credentials.
fn split_userinfo(url: &str) -> (String, Option<(String, String)>) {
    let Some(scheme_end) = url.find("://") else {
        return (url.to_string(), None);
    };
    let authority_start = scheme_end + 3;
    let authority_len = url[authority_start..]
        .find(['/', '?', '#'])
        .unwrap_or(url.len() - authority_start);
    let authority = &url[authority_start..authority_start + authority_len];
    let Some(at) = authority.rfind('@') else {
        return (url.to_string(), None);
    };
    let userinfo = &authority[..at];
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let clean = format!(
        "{}{}",
        &url[..authority_start],
        &url[authority_start + at + 1..]
    );
    (
        clean,
        Some((percent_decode(user), percent_decode(password))),
    )
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn authorization(cfg: &HttpConfig) -> Result<Option<HeaderValue>> {
    match (&cfg.basic_auth, &cfg.bearer_token) {
        (Some(_), Some(_)) => Err(Error::InvalidConfig(
            "basic_auth and bearer_token cannot both be set".to_string(),
        )),
        (Some((user, password)), None) => {
            if user.contains(':') {
                return Err(Error::InvalidConfig(format!(
                    "basic_auth user name {user:?} must not contain ':'"
                )));
            }
            Ok(Some(basic_value(user, password)))
        }
        (None, Some(token)) => {
            let mut value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
                Error::InvalidConfig(
                    "bearer_token must be printable ASCII without line breaks".to_string(),
                )
            })?;
            value.set_sensitive(true);
            Ok(Some(value))
        }
        (None, None) => Ok(None),
    }
}

fn basic_value(user: &str, password: &str) -> HeaderValue {
    let encoded = base64_standard(format!("{user}:{password}").as_bytes());
    let mut value =
        HeaderValue::from_str(&format!("Basic {encoded}")).expect("base64 is a valid header value");
    value.set_sensitive(true);
    value
}

/// Standard base64 with padding, as the Basic scheme (RFC 7617) requires.
fn base64_standard(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
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
    out
}

/// Headers the transport sets itself and a user must not override.
const RESERVED_HEADERS: [&str; 6] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "content-type",
    "content-encoding",
];

fn extra_headers(
    headers: &[(String, String)],
    has_auth: bool,
) -> Result<Vec<(HeaderName, HeaderValue)>> {
    headers
        .iter()
        .map(|(name, value)| {
            let header_name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| Error::InvalidConfig(format!("invalid header name {name:?}")))?;
            if RESERVED_HEADERS.contains(&header_name.as_str()) {
                return Err(Error::InvalidConfig(format!(
                    "header {name:?} is set by pushmetrics itself and cannot be configured"
                )));
            }
            if has_auth && header_name == http::header::AUTHORIZATION {
                return Err(Error::InvalidConfig(
                    "an Authorization header cannot be combined with basic_auth or bearer_token"
                        .to_string(),
                ));
            }
            // The value may be a secret: name only the header.
            let mut header_value = HeaderValue::from_str(value).map_err(|_| {
                Error::InvalidConfig(format!(
                    "the value of header {name:?} must be printable ASCII without line breaks"
                ))
            })?;
            header_value.set_sensitive(true);
            Ok((header_name, header_value))
        })
        .collect()
}

/// The TLS options of a pusher, read from their files.
struct TlsMaterial {
    ca_file: Vec<Certificate<'static>>,
    ca_file_only: bool,
    client_cert: Option<ClientCert>,
}

impl TlsMaterial {
    fn load(cfg: &HttpConfig) -> Result<TlsMaterial> {
        let mut ca_file = Vec::new();
        if let Some(path) = &cfg.ca_file {
            let pem = read_file("ca_file", path)?;
            ca_file = pem_items(&pem, "ca_file", path)?
                .into_iter()
                .filter_map(|item| match item {
                    PemItem::Certificate(cert) => Some(cert),
                    _ => None,
                })
                .collect();
            if ca_file.is_empty() {
                return Err(Error::InvalidConfig(format!(
                    "ca_file {} holds no PEM certificate",
                    path.display()
                )));
            }
        } else if cfg.ca_file_only {
            return Err(Error::InvalidConfig(
                "ca_file_only needs ca_file: the CA certificates to trust".to_string(),
            ));
        }
        Ok(TlsMaterial {
            ca_file,
            ca_file_only: cfg.ca_file_only,
            client_cert: client_cert(cfg)?,
        })
    }

    /// `verify`: the roots are needed (an HTTPS server or proxy); without it the host's
    /// store is not read.
    fn config(&self, verify: bool) -> TlsConfig {
        let roots = if verify {
            trust::roots(&self.ca_file, self.ca_file_only)
        } else {
            trust::roots(&self.ca_file, true)
        };
        TlsConfig::builder()
            .root_certs(roots)
            .client_cert(self.client_cert.clone())
            .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .build()
    }
}

fn client_cert(cfg: &HttpConfig) -> Result<Option<ClientCert>> {
    match (&cfg.client_cert, &cfg.client_key) {
        (None, None) => Ok(None),
        (Some(cert_path), Some(key_path)) => {
            let pem = read_file("client_cert", cert_path)?;
            let chain: Vec<Certificate<'static>> = pem_items(&pem, "client_cert", cert_path)?
                .into_iter()
                .filter_map(|item| match item {
                    PemItem::Certificate(cert) => Some(cert),
                    _ => None,
                })
                .collect();
            if chain.is_empty() {
                return Err(Error::InvalidConfig(format!(
                    "client_cert {} holds no PEM certificate",
                    cert_path.display()
                )));
            }
            let pem = read_file("client_key", key_path)?;
            let key: PrivateKey<'static> = pem_items(&pem, "client_key", key_path)?
                .into_iter()
                .find_map(|item| match item {
                    PemItem::PrivateKey(key) => Some(key),
                    _ => None,
                })
                .ok_or_else(|| {
                    Error::InvalidConfig(format!(
                        "client_key {} holds no PEM private key",
                        key_path.display()
                    ))
                })?;
            Ok(Some(ClientCert::new_with_certs(&chain, key)))
        }
        _ => Err(Error::InvalidConfig(
            "client_cert and client_key must be given together".to_string(),
        )),
    }
}

fn read_file(option: &str, path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path)
        .map_err(|e| Error::Io(format!("cannot read {option} {}: {e}", path.display())))
}

fn pem_items(pem: &[u8], option: &str, path: &Path) -> Result<Vec<PemItem<'static>>> {
    parse_pem(pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::InvalidConfig(format!("{option} {}: bad PEM: {e}", path.display())))
}

fn classify_response(target: &str, mut response: http::Response<ureq::Body>) -> Outcome {
    let status = response.status();
    let code = status.as_u16();
    if status.is_success() {
        // Drain the (normally empty) body so the connection goes back to the pool.
        let _ = read_capped(&mut response);
        return Outcome::Success { status: code };
    }
    let retry_after = if code == 429 || code == 503 {
        response
            .headers()
            .get(http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()))
    } else {
        None
    };
    let location = response
        .headers()
        .get(http::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(redact_url);
    let body = read_capped(&mut response);
    let mut message = format!("{target} answered {code}");
    if let Some(reason) = status.canonical_reason() {
        message.push(' ');
        message.push_str(reason);
    }
    if status.is_redirection() {
        message.push_str(" (redirects are not followed, fix the URL");
        if let Some(location) = location {
            message.push_str("; it points to ");
            message.push_str(&location);
        }
        message.push(')');
    }
    let text = server_message(&body);
    if !text.is_empty() {
        message.push_str(": ");
        message.push_str(&text);
    }
    if code == 408 || code == 429 || status.is_server_error() {
        Outcome::Retryable {
            reason: message,
            retry_after,
        }
    } else {
        Outcome::Permanent {
            status: code,
            message,
        }
    }
}

fn read_capped(response: &mut http::Response<ureq::Body>) -> Vec<u8> {
    let mut body = Vec::new();
    // A body that breaks off still leaves what was read, which is all a message needs.
    let _ = response
        .body_mut()
        .as_reader()
        .take(MAX_RESPONSE_BODY)
        .read_to_end(&mut body);
    body
}

/// The server's message, trimmed, on one line, at most `MAX_MESSAGE_BYTES`.
fn server_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text: String = text
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.len() <= MAX_MESSAGE_BYTES {
        return text;
    }
    let mut end = MAX_MESSAGE_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

fn classify_error(target: &str, err: ureq::Error, timeout: Duration) -> Outcome {
    let retryable = |reason: String| Outcome::Retryable {
        reason: format!("{target}: {reason}"),
        retry_after: None,
    };
    match err {
        ureq::Error::Timeout(phase) => retryable(format!(
            "timed out after {timeout:?} ({})",
            timeout_phase(phase)
        )),
        // rustls reports a failed handshake (untrusted or expired certificate, wrong
        // host name) as InvalidData: a configuration problem that retrying cannot fix.
        ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::InvalidData => {
            permanent_error(target, format!("TLS: {e}"))
        }
        ureq::Error::Io(e) => retryable(e.to_string()),
        ureq::Error::HostNotFound => retryable("host not found".to_string()),
        ureq::Error::ConnectionFailed => retryable("connection failed".to_string()),
        ureq::Error::Protocol(e) => retryable(format!("bad HTTP response: {e}")),
        ureq::Error::BodyStalled => retryable("the response stalled".to_string()),
        ureq::Error::ConnectProxyFailed(e) => retryable(format!("proxy: {e}")),
        ureq::Error::Tls(e) => permanent_error(target, format!("TLS: {e}")),
        ureq::Error::Rustls(e) => permanent_error(target, format!("TLS: {e}")),
        other => permanent_error(target, other.to_string()),
    }
}

fn timeout_phase(phase: Timeout) -> &'static str {
    match phase {
        Timeout::Resolve => "resolving the host",
        Timeout::Connect => "connecting",
        Timeout::SendRequest | Timeout::SendBody | Timeout::PerWrite => "sending the request",
        Timeout::RecvResponse => "waiting for the response",
        Timeout::RecvBody | Timeout::PerRead => "reading the response",
        _ => "request deadline",
    }
}

fn permanent_error(target: &str, message: String) -> Outcome {
    Outcome::Permanent {
        status: 0,
        message: format!("{target}: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::{Shutdown, TcpListener, TcpStream};
    use std::sync::mpsc;
    use std::thread;

    /// A one-connection server answering with `response` and handing back the request.
    fn serve_once(response: &'static str) -> (String, mpsc::Receiver<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let request = read_request(&mut stream);
            let _ = stream.write_all(response.as_bytes());
            let _ = stream.shutdown(Shutdown::Write);
            let _ = tx.send(request);
        });
        (url, rx)
    }

    fn read_request(stream: &mut TcpStream) -> String {
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = stream.read(&mut chunk).unwrap_or(0);
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf);
            if let Some(end) = text.find("\r\n\r\n") {
                let length = text[..end]
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(0);
                if buf.len() >= end + 4 + length {
                    break;
                }
            }
        }
        String::from_utf8_lossy(&buf).into_owned()
    }

    fn http() -> Http {
        Http::new(&HttpConfig::default()).unwrap()
    }

    fn put(h: &Http, url: &str) -> Outcome {
        h.send(
            "PUT",
            url,
            Some("text/plain"),
            None,
            b"m 1\n",
            Duration::from_secs(5),
        )
    }

    fn header<'a>(request: &'a str, name: &str) -> Option<&'a str> {
        request.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    #[test]
    fn any_2xx_is_success() {
        for (raw, status) in [
            ("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 200),
            ("HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n", 202),
            ("HTTP/1.1 204 No Content\r\n\r\n", 204),
        ] {
            let (url, _) = serve_once(raw);
            assert_eq!(put(&http(), &url), Outcome::Success { status });
        }
    }

    #[test]
    fn request_carries_method_body_and_content_headers() {
        let (url, rx) = serve_once("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        let outcome = http().send(
            "POST",
            &format!("{url}/metrics/job@base64/am9i"),
            Some("text/plain; version=0.0.4"),
            Some("gzip"),
            b"abc",
            Duration::from_secs(5),
        );
        assert!(outcome.is_success());
        let request = rx.recv().unwrap();
        assert!(request.starts_with("POST /metrics/job@base64/am9i HTTP/1.1\r\n"));
        assert_eq!(
            header(&request, "content-type"),
            Some("text/plain; version=0.0.4")
        );
        assert_eq!(header(&request, "content-encoding"), Some("gzip"));
        assert_eq!(header(&request, "content-length"), Some("3"));
        assert!(header(&request, "user-agent")
            .unwrap()
            .starts_with("pushmetrics/"));
        assert!(request.ends_with("\r\n\r\nabc"));
    }

    #[test]
    fn delete_without_body_sends_no_body() {
        let (url, rx) = serve_once("HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n");
        let outcome = http().send("DELETE", &url, None, None, b"", Duration::from_secs(5));
        assert_eq!(outcome, Outcome::Success { status: 202 });
        let request = rx.recv().unwrap();
        assert!(request.starts_with("DELETE / HTTP/1.1\r\n"));
        assert_eq!(header(&request, "transfer-encoding"), None);
    }

    #[test]
    fn empty_put_still_sends_content_length_zero() {
        let (url, rx) = serve_once("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        let outcome = http().send("PUT", &url, None, None, b"", Duration::from_secs(5));
        assert!(outcome.is_success());
        assert_eq!(header(&rx.recv().unwrap(), "content-length"), Some("0"));
    }

    #[test]
    fn client_error_is_permanent_and_keeps_the_server_message() {
        let (url, _) = serve_once(
            "HTTP/1.1 400 Bad Request\r\nContent-Length: 62\r\n\r\n\
             text format parsing error in line 2: unexpected end of input\n",
        );
        match put(&http(), &url) {
            Outcome::Permanent { status, message } => {
                assert_eq!(status, 400);
                assert!(message.starts_with(&format!("PUT {url} answered 400 Bad Request: ")));
                assert!(
                    message.ends_with("line 2: unexpected end of input"),
                    "{message}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn server_errors_408_and_429_are_retryable() {
        for raw in [
            "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\nboom",
            "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n\r\n",
        ] {
            let (url, _) = serve_once(raw);
            assert!(
                matches!(
                    put(&http(), &url),
                    Outcome::Retryable {
                        retry_after: None,
                        ..
                    }
                ),
                "{raw}"
            );
        }
    }

    #[test]
    fn retry_after_seconds_on_429_is_honoured() {
        let (url, _) = serve_once(
            "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nContent-Length: 0\r\n\r\n",
        );
        match put(&http(), &url) {
            Outcome::Retryable {
                retry_after,
                reason,
            } => {
                assert_eq!(retry_after, Some(Duration::from_secs(7)));
                assert!(reason.contains("429 Too Many Requests"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn retry_after_http_date_on_503_is_honoured() {
        let (url, _) = serve_once(
            "HTTP/1.1 503 Service Unavailable\r\nRetry-After: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 0\r\n\r\n",
        );
        // A date long past: retry now.
        assert!(matches!(
            put(&http(), &url),
            Outcome::Retryable {
                retry_after: Some(Duration::ZERO),
                ..
            }
        ));
    }

    #[test]
    fn retry_after_is_ignored_on_other_statuses() {
        let (url, _) = serve_once(
            "HTTP/1.1 500 Internal Server Error\r\nRetry-After: 7\r\nContent-Length: 0\r\n\r\n",
        );
        assert!(matches!(
            put(&http(), &url),
            Outcome::Retryable {
                retry_after: None,
                ..
            }
        ));
    }

    #[test]
    fn redirects_are_permanent_failures_and_not_followed() {
        let (url, _) = serve_once(
            "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://u:secret@elsewhere/x\r\nContent-Length: 0\r\n\r\n",
        );
        match put(&http(), &url) {
            Outcome::Permanent { status, message } => {
                assert_eq!(status, 307);
                assert!(message.contains("redirects are not followed"), "{message}");
                assert!(message.contains("http://elsewhere/x"), "{message}");
                assert!(!message.contains("secret"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn long_error_bodies_are_cut_to_about_a_kibibyte() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            read_request(&mut stream);
            let body = "é".repeat(1_000_000);
            let head = format!(
                "HTTP/1.1 400 Bad Request\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body.as_bytes());
        });
        match put(&http(), &url) {
            Outcome::Permanent { message, .. } => {
                assert!(message.len() < MAX_MESSAGE_BYTES + 200, "{}", message.len());
                assert!(message.ends_with("é…"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn refused_connection_is_retryable() {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let outcome = put(&http(), &format!("http://127.0.0.1:{port}/"));
        assert!(matches!(outcome, Outcome::Retryable { .. }), "{outcome:?}");
    }

    #[test]
    fn silent_server_times_out_within_the_remaining_deadline() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (done_tx, done_rx) = mpsc::channel::<()>();
        thread::spawn(move || {
            let (_stream, _) = listener.accept().unwrap();
            let _ = done_rx.recv_timeout(Duration::from_secs(10));
        });
        let started = std::time::Instant::now();
        let outcome = http().send("PUT", &url, None, None, b"x", Duration::from_millis(300));
        let elapsed = started.elapsed();
        drop(done_tx);
        match outcome {
            Outcome::Retryable { reason, .. } => assert!(reason.contains("timed out"), "{reason}"),
            other => panic!("{other:?}"),
        }
        assert!(elapsed >= Duration::from_millis(250), "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    }

    #[test]
    fn tls_handshake_failure_is_permanent_but_other_io_errors_are_retryable() {
        let tls = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "invalid peer certificate: UnknownIssuer",
        );
        let outcome = classify_error("PUT u", ureq::Error::Io(tls), Duration::from_secs(1));
        assert_eq!(
            outcome,
            Outcome::Permanent {
                status: 0,
                message: "PUT u: TLS: invalid peer certificate: UnknownIssuer".to_string()
            }
        );
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        let outcome = classify_error("PUT u", ureq::Error::Io(reset), Duration::from_secs(1));
        assert!(matches!(outcome, Outcome::Retryable { .. }));
        let outcome = classify_error(
            "PUT u",
            ureq::Error::Timeout(Timeout::Connect),
            Duration::from_secs(2),
        );
        assert_eq!(
            outcome,
            Outcome::Retryable {
                reason: "PUT u: timed out after 2s (connecting)".to_string(),
                retry_after: None
            }
        );
    }

    #[test]
    fn exhausted_deadline_sends_nothing() {
        let outcome = http().send(
            "PUT",
            "http://127.0.0.1:9/",
            None,
            None,
            b"x",
            Duration::ZERO,
        );
        assert!(matches!(outcome, Outcome::Retryable { .. }));
    }

    #[test]
    fn configured_basic_auth_is_sent() {
        let (url, rx) = serve_once("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        let cfg = HttpConfig {
            basic_auth: Some(("user".into(), "pa:ss".into())),
            headers: vec![("X-Scope-OrgID".into(), "tenant-1".into())],
            ..HttpConfig::default()
        };
        assert!(put(&Http::new(&cfg).unwrap(), &url).is_success());
        let request = rx.recv().unwrap();
        assert_eq!(
            header(&request, "authorization"),
            Some("Basic dXNlcjpwYTpzcw==")
        );
        assert_eq!(header(&request, "x-scope-orgid"), Some("tenant-1"));
    }

    #[test]
    fn bearer_token_is_sent() {
        let (url, rx) = serve_once("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        let cfg = HttpConfig {
            bearer_token: Some("t0ken".into()),
            ..HttpConfig::default()
        };
        assert!(put(&Http::new(&cfg).unwrap(), &url).is_success());
        assert_eq!(
            header(&rx.recv().unwrap(), "authorization"),
            Some("Bearer t0ken")
        );
    }

    #[test]
    fn userinfo_in_the_url_becomes_basic_auth_and_is_redacted() {
        let (url, rx) = serve_once("HTTP/1.1 400 Bad Request\r\nContent-Length: 3\r\n\r\nbad");
        let with_credentials = url.replace("http://", "http://us%40er:s3cr%3At@");
        match put(&http(), &with_credentials) {
            Outcome::Permanent { message, .. } => {
                assert!(!message.contains("s3cr"), "{message}");
                assert!(message.contains(&url), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let request = rx.recv().unwrap();
        // base64("us@er:s3cr:t")
        assert_eq!(
            header(&request, "authorization"),
            Some("Basic dXNAZXI6czNjcjp0")
        );
        assert!(!request.contains("s3cr"));
    }

    #[test]
    fn configured_auth_wins_over_url_userinfo() {
        let (url, rx) = serve_once("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        let cfg = HttpConfig {
            bearer_token: Some("tok".into()),
            ..HttpConfig::default()
        };
        let with_credentials = url.replace("http://", "http://a:b@");
        assert!(put(&Http::new(&cfg).unwrap(), &with_credentials).is_success());
        assert_eq!(
            header(&rx.recv().unwrap(), "authorization"),
            Some("Bearer tok")
        );
    }

    #[test]
    fn connection_error_message_has_no_credentials() {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        match put(&http(), &format!("http://me:hunter2@127.0.0.1:{port}/x")) {
            Outcome::Retryable { reason, .. } => {
                assert!(!reason.contains("hunter2"), "{reason}");
                assert!(
                    reason.contains(&format!("http://127.0.0.1:{port}/x")),
                    "{reason}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn redact_url_removes_userinfo_only() {
        let cases = [
            ("http://u:p@host:9091/metrics", "http://host:9091/metrics"),
            ("https://user@host", "https://host"),
            ("http://u:p@ss@host/a@b", "http://host/a@b"),
            (
                "http://host/metrics/job@base64/YQ==",
                "http://host/metrics/job@base64/YQ==",
            ),
            ("http://host?x=a@b", "http://host?x=a@b"),
            ("http://[::1]:9091?x=a@b", "http://[::1]:9091?x=a@b"),
            ("http://u:p#w@host", "http://host"),
            ("http://u:p]?w@host", "http://host"),
            ("http://u:p?w@host:9091/metrics", "http://host:9091/metrics"),
            ("not a url", "not a url"),
        ];
        for (url, redacted) in cases {
            assert_eq!(redact_url(url), redacted, "{url}");
        }
    }

    #[test]
    fn percent_decoding_of_userinfo() {
        assert_eq!(percent_decode("a%20b%3a%3A%"), "a b::%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%C3%BC"), "ü");
    }

    #[test]
    fn base64_standard_matches_rfc_4648_vectors() {
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in vectors {
            assert_eq!(base64_standard(plain.as_bytes()), encoded);
        }
        assert_eq!(base64_standard(&[0xfb, 0xff]), "+/8=");
    }

    #[test]
    fn invalid_configurations_are_rejected() {
        let bad = [
            HttpConfig {
                basic_auth: Some(("a".into(), "b".into())),
                bearer_token: Some("t".into()),
                ..HttpConfig::default()
            },
            HttpConfig {
                basic_auth: Some(("a:b".into(), "c".into())),
                ..HttpConfig::default()
            },
            HttpConfig {
                bearer_token: Some("line\nbreak".into()),
                ..HttpConfig::default()
            },
            HttpConfig {
                headers: vec![("bad header".into(), "v".into())],
                ..HttpConfig::default()
            },
            HttpConfig {
                headers: vec![("X-Ok".into(), "new\nline".into())],
                ..HttpConfig::default()
            },
            HttpConfig {
                headers: vec![("Content-Length".into(), "5".into())],
                ..HttpConfig::default()
            },
            HttpConfig {
                bearer_token: Some("t".into()),
                headers: vec![("Authorization".into(), "x".into())],
                ..HttpConfig::default()
            },
            HttpConfig {
                request_timeout: Duration::ZERO,
                ..HttpConfig::default()
            },
            HttpConfig {
                client_cert: Some("/nonexistent.pem".into()),
                ..HttpConfig::default()
            },
            HttpConfig {
                ca_file_only: true,
                ..HttpConfig::default()
            },
        ];
        for cfg in bad {
            let err = Http::new(&cfg).unwrap_err();
            assert!(matches!(err, Error::InvalidConfig(_)), "{cfg:?}: {err}");
        }
    }

    #[test]
    fn errors_name_the_tls_file() {
        let dir = std::env::temp_dir().join(format!("pushmetrics-http-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = dir.join("missing.pem");
        let err = Http::new(&HttpConfig {
            ca_file: Some(missing.clone()),
            ..HttpConfig::default()
        })
        .unwrap_err();
        assert!(matches!(err, Error::Io(_)));
        assert!(
            err.to_string().contains(&missing.display().to_string()),
            "{err}"
        );

        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "no pem here\n").unwrap();
        let err = Http::new(&HttpConfig {
            ca_file: Some(empty.clone()),
            ..HttpConfig::default()
        })
        .unwrap_err();
        assert!(matches!(err, Error::InvalidConfig(_)));
        assert!(err.to_string().contains("empty.pem"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn debug_output_hides_secrets() {
        let cfg = HttpConfig {
            basic_auth: Some(("user".into(), "hunter2".into())),
            bearer_token: None,
            headers: vec![("X-Api-Key".into(), "k3y".into())],
            ..HttpConfig::default()
        };
        let shown = format!("{cfg:?}");
        assert!(shown.contains("user") && shown.contains("X-Api-Key"));
        assert!(
            !shown.contains("hunter2") && !shown.contains("k3y"),
            "{shown}"
        );
    }
}
