//! Serving a registry to scrapers: a small HTTP/1.1 server on `std::net` that answers every
//! path with the text format 0.0.4 (gzip when the client accepts it), as prometheus_client's
//! `start_http_server` does. A fixed set of threads, each accepting and serving one
//! connection at a time, does all the work, encoding included.
//!
//! Limits: at most `max_connections` connections are served at once; more wait in the
//! listen backlog of the kernel until a thread is free (none is refused). A client has
//! `read_timeout` to send its whole request head (at most 8 KiB), and each write of the
//! answer must progress within `write_timeout`, so a slow or silent client holds one thread
//! for a bounded time and never the others. One request per connection (`Connection:
//! close`), as prometheus_client's server does.

use crate::encode::{gzip, Format};
use crate::error::{Error, Result};
use crate::registry::Registry;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The largest request head (request line and headers) read; a larger one gets 431.
const MAX_HEAD: usize = 8 * 1024;

/// How long `stop` waits for each thread before leaving it behind.
const STOP_WAIT: Duration = Duration::from_secs(2);

/// Starts serving `registry` on `addr` ("host:port"; port 0 picks a free port) with the
/// default limits. Every path answers with the registry in the text format 0.0.4; the
/// server stops when the returned handle is stopped or dropped.
///
/// ```
/// use std::io::{Read, Write};
/// let reg = pushmetrics::Registry::new();
/// reg.counter("jobs_total", "Jobs").build().unwrap().inc();
/// let server = pushmetrics::start_http_server("127.0.0.1:0", &reg).unwrap();
/// let mut conn = std::net::TcpStream::connect(server.local_addr()).unwrap();
/// conn.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
/// let mut answer = String::new();
/// conn.read_to_string(&mut answer).unwrap();
/// assert!(answer.starts_with("HTTP/1.1 200 OK"));
/// assert!(answer.ends_with("jobs_total 1\n"));
/// server.stop();
/// ```
pub fn start_http_server(addr: &str, registry: &Registry) -> Result<HttpServer> {
    let (host, port) = split_host_port(addr)?;
    HttpServer::builder().start(host, port, registry)
}

/// Options of an [`HttpServer`]; start it with [`HttpServerBuilder::start`].
///
/// ```
/// use std::time::Duration;
/// let reg = pushmetrics::Registry::new();
/// let server = pushmetrics::HttpServer::builder()
///     .max_connections(2)
///     .read_timeout(Duration::from_secs(2))
///     .start("127.0.0.1", 0, &reg)
///     .unwrap();
/// assert_ne!(server.port(), 0);
/// ```
#[derive(Clone, Debug)]
pub struct HttpServerBuilder {
    max_connections: usize,
    read_timeout: Duration,
    write_timeout: Duration,
}

impl Default for HttpServerBuilder {
    fn default() -> Self {
        HttpServerBuilder {
            max_connections: 4,
            read_timeout: Duration::from_secs(5),
            write_timeout: Duration::from_secs(10),
        }
    }
}

impl HttpServerBuilder {
    /// Connections served at once, one thread each (default 4). More wait in the listen
    /// backlog until a thread is free.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n;
        self
    }

    /// The time a client has to send its whole request head (default 5 s); a client that
    /// has not is disconnected with 408.
    pub fn read_timeout(mut self, d: Duration) -> Self {
        self.read_timeout = d;
        self
    }

    /// The time each write of an answer may wait for the client to read (default 10 s); a
    /// client that reads no faster is disconnected.
    pub fn write_timeout(mut self, d: Duration) -> Self {
        self.write_timeout = d;
        self
    }

    /// Binds `host` (an IP address or a name; `"0.0.0.0"` or `"::"` for every interface)
    /// and `port` (0 for a free one), and starts the threads. [`Error::InvalidConfig`] for
    /// an option out of range or an address that does not resolve, [`Error::Listen`] if
    /// the address cannot be bound (in use, not local, no permission); both name it.
    pub fn start(self, host: &str, port: u16, registry: &Registry) -> Result<HttpServer> {
        if self.max_connections == 0 || self.max_connections > 1024 {
            return Err(Error::InvalidConfig(format!(
                "max_connections {} must be between 1 and 1024",
                self.max_connections
            )));
        }
        for (name, d) in [
            ("read_timeout", self.read_timeout),
            ("write_timeout", self.write_timeout),
        ] {
            if d.is_zero() {
                return Err(Error::InvalidConfig(format!("{name} must be above 0")));
            }
        }
        let bare = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let shown = if bare.contains(':') {
            format!("[{bare}]:{port}")
        } else {
            format!("{bare}:{port}")
        };
        let addrs: Vec<SocketAddr> = (bare, port)
            .to_socket_addrs()
            .map_err(|e| {
                Error::InvalidConfig(format!(
                    "http server address {shown:?} does not resolve: {e}"
                ))
            })?
            .collect();
        let listener = TcpListener::bind(&addrs[..]).map_err(|e| Error::Listen {
            addr: shown.clone(),
            reason: e.to_string(),
        })?;
        let local = listener.local_addr().map_err(|e| Error::Listen {
            addr: shown,
            reason: e.to_string(),
        })?;
        let shared = Arc::new(Shared {
            registry: registry.clone(),
            stopping: AtomicBool::new(false),
            serving: Mutex::new((0..self.max_connections).map(|_| None).collect()),
            read_timeout: self.read_timeout,
            write_timeout: self.write_timeout,
        });
        // Each thread owns a descriptor of the listening socket: the port is free again as
        // soon as the last thread has returned.
        let mut threads = Vec::with_capacity(self.max_connections);
        let mut listener = Some(listener);
        for slot in 0..self.max_connections {
            let s = shared.clone();
            let own = if slot + 1 == self.max_connections {
                Ok(listener.take().expect("only the last thread takes it"))
            } else {
                listener
                    .as_ref()
                    .expect("taken by the last thread")
                    .try_clone()
            };
            let spawned = own.and_then(|l| {
                std::thread::Builder::new()
                    .name("pushmetrics-http".into())
                    .spawn(move || s.run(l, slot))
            });
            match spawned {
                Ok(t) => threads.push(t),
                Err(e) => {
                    drop(listener);
                    HttpServer::new(shared, local, threads).stop();
                    return Err(Error::Io(format!("cannot start a server thread: {e}")));
                }
            }
        }
        Ok(HttpServer::new(shared, local, threads))
    }
}

/// A running HTTP server of a registry, from [`start_http_server`] or
/// [`HttpServerBuilder::start`]. [`stop`](HttpServer::stop) or dropping it closes the
/// listening socket, disconnects the clients being served and joins the threads.
/// `Send + Sync`.
pub struct HttpServer {
    shared: Arc<Shared>,
    local: SocketAddr,
    threads: Mutex<Vec<JoinHandle<()>>>,
    /// The process that started the threads: a forked child has none of them to join.
    pid: u32,
}

impl HttpServer {
    /// Options for a new server.
    pub fn builder() -> HttpServerBuilder {
        HttpServerBuilder::default()
    }

    fn new(shared: Arc<Shared>, local: SocketAddr, threads: Vec<JoinHandle<()>>) -> HttpServer {
        HttpServer {
            shared,
            local,
            threads: Mutex::new(threads),
            pid: std::process::id(),
        }
    }

    /// The address the server listens on, with the port the system chose for port 0.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.local.port()
    }

    /// Whether [`stop`](HttpServer::stop) has been called.
    pub fn is_stopped(&self) -> bool {
        self.shared.stopping.load(SeqCst)
    }

    /// Stops serving: closes the listening socket (the port is free once this returns),
    /// disconnects the clients being served and joins the threads, each within about two
    /// seconds (an encoding in progress is finished first). Idempotent. In a forked child,
    /// which has none of the parent's threads, it only marks the server stopped.
    pub fn stop(&self) {
        self.shared.stopping.store(true, SeqCst);
        let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|e| e.into_inner()));
        if std::process::id() != self.pid {
            // Not even detached: the handles name threads of the parent.
            std::mem::forget(threads);
            return;
        }
        if threads.is_empty() {
            return;
        }
        for conn in self
            .shared
            .serving
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .flatten()
        {
            let _ = conn.shutdown(Shutdown::Both);
        }
        // Every thread waits in accept(): one connection each wakes it to see the flag.
        let wake = wake_addr(self.local);
        let mut wakers = Vec::new();
        for _ in 0..threads.len() {
            match TcpStream::connect_timeout(&wake, Duration::from_millis(500)) {
                Ok(c) => wakers.push(c),
                Err(_) => break,
            }
        }
        let deadline = Instant::now() + STOP_WAIT;
        for t in threads {
            while !t.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(1));
            }
            if t.is_finished() {
                let _ = t.join();
            }
        }
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

impl std::fmt::Debug for HttpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpServer")
            .field("local_addr", &self.local)
            .field("stopped", &self.is_stopped())
            .finish()
    }
}

/// Where `stop` connects to wake the threads: the bound address, loopback for a wildcard.
fn wake_addr(local: SocketAddr) -> SocketAddr {
    let mut a = local;
    if a.ip().is_unspecified() {
        a.set_ip(match a {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    a
}

/// "host:port" (or "[v6]:port") into its parts.
fn split_host_port(addr: &str) -> Result<(&str, u16)> {
    let bad = |why: &str| Error::InvalidConfig(format!("http server address {addr:?} {why}"));
    let (host, port) = addr
        .rsplit_once(':')
        .ok_or_else(|| bad("has no port: write host:port"))?;
    let port = port
        .parse()
        .map_err(|_| bad("has no valid port (0 to 65535)"))?;
    if host.is_empty() {
        return Err(bad("has no host: write 0.0.0.0:port for every interface"));
    }
    Ok((host, port))
}

/// What the threads share.
struct Shared {
    registry: Registry,
    stopping: AtomicBool,
    /// The connection each thread is serving, for `stop` to disconnect.
    serving: Mutex<Vec<Option<TcpStream>>>,
    read_timeout: Duration,
    write_timeout: Duration,
}

impl Shared {
    fn run(&self, listener: TcpListener, slot: usize) {
        while !self.stopping.load(SeqCst) {
            let conn = match listener.accept() {
                Ok((conn, _)) => conn,
                Err(e) => {
                    // Out of descriptors, a connection reset before accept: pause, go on.
                    log::debug!("http server: accept failed: {e}");
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
            };
            if let Ok(c) = conn.try_clone() {
                self.set_serving(slot, Some(c));
            }
            // Checked after publishing the connection: `stop` disconnects it or we see the flag.
            if self.stopping.load(SeqCst) {
                break;
            }
            if let Err(e) = self.serve(&conn) {
                log::debug!("http server: connection ended: {e}");
            }
            self.set_serving(slot, None);
        }
        self.set_serving(slot, None);
    }

    fn set_serving(&self, slot: usize, conn: Option<TcpStream>) {
        self.serving.lock().unwrap_or_else(|e| e.into_inner())[slot] = conn;
    }

    fn serve(&self, mut conn: &TcpStream) -> io::Result<()> {
        conn.set_nodelay(true)?;
        conn.set_write_timeout(Some(self.write_timeout))?;
        let answer = match read_head(conn, Instant::now() + self.read_timeout) {
            Ok(head) => self.answer(&head),
            Err(HeadError::TooLarge) => Answer::status(431, "Request Header Fields Too Large"),
            Err(HeadError::Malformed) => Answer::status(400, "Bad Request"),
            Err(HeadError::TimedOut) => Answer::status(408, "Request Timeout"),
            Err(HeadError::Closed) => return Ok(()),
            Err(HeadError::Io(e)) => return Err(e),
        };
        conn.write_all(&answer.head)?;
        if !answer.body.is_empty() {
            conn.write_all(&answer.body)?;
        }
        finish(conn);
        Ok(())
    }

    fn answer(&self, req: &Request) -> Answer {
        match req.method.as_str() {
            "GET" | "HEAD" => {}
            "OPTIONS" => {
                return Answer::new(200, "OK", &[("Allow", "GET, HEAD, OPTIONS")], Vec::new())
            }
            _ => {
                return Answer::new(
                    405,
                    "Method Not Allowed",
                    &[("Allow", "GET, HEAD, OPTIONS")],
                    b"only GET, HEAD and OPTIONS are allowed\n".to_vec(),
                )
            }
        }
        // prometheus_client answers the favicon with an empty page, any other path with
        // the metrics.
        if req.path == "/favicon.ico" {
            return Answer::new(200, "OK", &[], Vec::new()).head_only(req.method == "HEAD");
        }
        let mut body = Vec::new();
        crate::encode::text::encode(&self.registry.snapshot(), &mut body);
        let mut headers = vec![("Content-Type", Format::Text.content_type())];
        if req.accepts_gzip {
            body = gzip(&body);
            headers.push(("Content-Encoding", "gzip"));
        }
        headers.push(("Vary", "Accept-Encoding"));
        Answer::new(200, "OK", &headers, body).head_only(req.method == "HEAD")
    }
}

/// After the answer: tell the client we are done, and let it close first, so unread bytes
/// of its request do not turn our close into a reset that could destroy the answer.
fn finish(mut conn: &TcpStream) {
    let _ = conn.shutdown(Shutdown::Write);
    let _ = conn.set_read_timeout(Some(Duration::from_millis(200)));
    let mut sink = [0u8; 4096];
    let mut left = 64 * 1024;
    while left > 0 {
        match conn.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => left -= n.min(left),
        }
    }
}

struct Answer {
    head: Vec<u8>,
    body: Vec<u8>,
}

impl Answer {
    fn new(code: u16, reason: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Answer {
        let mut head = format!("HTTP/1.1 {code} {reason}\r\n");
        for (n, v) in headers {
            head.push_str(&format!("{n}: {v}\r\n"));
        }
        head.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        ));
        Answer {
            head: head.into_bytes(),
            body,
        }
    }

    fn status(code: u16, reason: &str) -> Answer {
        Answer::new(
            code,
            reason,
            &[("Content-Type", "text/plain; charset=utf-8")],
            format!("{reason}\n").into_bytes(),
        )
    }

    /// HEAD: the headers of the GET answer (its Content-Length included), no body.
    fn head_only(mut self, head: bool) -> Answer {
        if head {
            self.body.clear();
        }
        self
    }
}

/// The parts of a request the server uses.
#[derive(Debug, PartialEq)]
struct Request {
    method: String,
    path: String,
    accepts_gzip: bool,
}

#[derive(Debug)]
enum HeadError {
    TooLarge,
    Malformed,
    TimedOut,
    /// The client closed before sending anything.
    Closed,
    Io(io::Error),
}

/// Reads and parses the request head, all of which must arrive before `deadline`.
fn read_head(mut conn: &TcpStream, deadline: Instant) -> Result<Request, HeadError> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(HeadError::TimedOut);
        }
        conn.set_read_timeout(Some(left)).map_err(HeadError::Io)?;
        let n = match conn.read(&mut chunk) {
            Ok(0) if buf.is_empty() => return Err(HeadError::Closed),
            Ok(0) => return Err(HeadError::Malformed),
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(HeadError::TimedOut)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(HeadError::Io(e)),
        };
        // Only the new bytes and the three before them can complete the terminator.
        let from = buf.len().saturating_sub(3);
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = find(&buf[from..], b"\r\n\r\n") {
            return parse_head(&buf[..from + end]);
        }
        if buf.len() > MAX_HEAD {
            return Err(HeadError::TooLarge);
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn parse_head(head: &[u8]) -> Result<Request, HeadError> {
    let text = std::str::from_utf8(head).map_err(|_| HeadError::Malformed)?;
    let mut lines = text.split("\r\n");
    let mut parts = lines.next().unwrap_or_default().split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HeadError::Malformed);
    };
    if method.is_empty() || target.is_empty() || !version.starts_with("HTTP/1.") {
        return Err(HeadError::Malformed);
    }
    let mut accepts_gzip = false;
    for line in lines {
        let (name, value) = line.split_once(':').ok_or(HeadError::Malformed)?;
        if name.trim().eq_ignore_ascii_case("accept-encoding") {
            accepts_gzip |= gzip_accepted(value);
        }
    }
    let path = target.split('?').next().unwrap_or_default();
    Ok(Request {
        method: method.to_owned(),
        path: path.to_owned(),
        accepts_gzip,
    })
}

/// Whether an Accept-Encoding value allows gzip: listed (or `*`) with a q-value above 0.
fn gzip_accepted(value: &str) -> bool {
    value.split(',').any(|item| {
        let mut params = item.split(';');
        let coding = params.next().unwrap_or_default().trim();
        if !(coding.eq_ignore_ascii_case("gzip") || coding == "*") {
            return false;
        }
        params.all(|p| match p.trim().split_once('=') {
            Some((k, q)) if k.trim().eq_ignore_ascii_case("q") => {
                q.trim().parse::<f64>().is_ok_and(|q| q > 0.0)
            }
            _ => true,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(head: &str) -> Result<Request, HeadError> {
        parse_head(head.as_bytes())
    }

    #[test]
    fn accept_encoding_allows_gzip_only_with_a_positive_q() {
        assert!(gzip_accepted("gzip"));
        assert!(gzip_accepted("br, GZIP;q=0.5"));
        assert!(gzip_accepted("*"));
        assert!(!gzip_accepted("identity"));
        assert!(!gzip_accepted("gzip;q=0"));
        assert!(!gzip_accepted("gzip; q=0.0, br"));
        assert!(!gzip_accepted("x-gzipped"));
    }

    #[test]
    fn a_request_head_is_parsed_into_method_path_and_gzip() {
        let r = req("GET /metrics?name[]=x HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip").unwrap();
        assert_eq!(
            r,
            Request {
                method: "GET".into(),
                path: "/metrics".into(),
                accepts_gzip: true
            }
        );
        assert!(!req("HEAD / HTTP/1.0").unwrap().accepts_gzip);
    }

    #[test]
    fn malformed_request_lines_are_refused() {
        for bad in [
            "GET /",
            "GET / HTTP/2",
            "GET  / HTTP/1.1",
            "GET / HTTP/1.1\r\nno colon",
        ] {
            assert!(matches!(req(bad), Err(HeadError::Malformed)), "{bad}");
        }
    }

    #[test]
    fn addresses_without_a_port_or_host_are_refused_by_name() {
        for bad in ["localhost", "localhost:http", ":9100", "host:70000"] {
            let e = start_http_server(bad, &Registry::new()).unwrap_err();
            assert!(matches!(e, Error::InvalidConfig(_)), "{bad}: {e}");
            assert!(e.to_string().contains(bad), "{e}");
        }
    }

    #[test]
    fn options_out_of_range_are_refused() {
        let reg = Registry::new();
        for b in [
            HttpServer::builder().max_connections(0),
            HttpServer::builder().read_timeout(Duration::ZERO),
            HttpServer::builder().write_timeout(Duration::ZERO),
        ] {
            assert!(matches!(
                b.start("127.0.0.1", 0, &reg),
                Err(Error::InvalidConfig(_))
            ));
        }
    }
}
