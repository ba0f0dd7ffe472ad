//! A fault-injecting HTTP server on a loopback port: it forwards to a real gateway or
//! refuses, hangs, fails, throttles or resets, switchable at run time, and records every
//! request it reads. One request per connection; every thread stops on drop.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::http1::{body_framing, decode_chunked, find_head_end, header, parse_head, Framing};

/// How often blocked threads look at the shutdown flag and the mode.
const POLL: Duration = Duration::from_millis(20);
/// A connection that sends nothing for this long is dropped.
const IDLE_LIMIT: Duration = Duration::from_secs(30);
const MAX_HEAD: usize = 64 * 1024;

/// What the server does with the next request.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    /// Proxy to the upstream verbatim (or answer 200 with no body when there is none).
    Forward,
    /// Stop listening, so connecting fails with "connection refused"; the same port is
    /// bound again when the mode changes.
    Refuse,
    /// Read the request and never answer until the mode changes or the server is dropped,
    /// then close the connection.
    Hang,
    /// Answer with this status and body (`text/plain`).
    Status(u16, String),
    /// Answer 429 with `Retry-After: <retry_after_secs>`.
    TooMany { retry_after_secs: u64 },
    /// Read the head and part of the body, then close with SO_LINGER 0 so the client sees
    /// a TCP reset.
    ResetMidBody,
    /// Wait this long after reading the request, then behave as `Forward`.
    Delay(Duration),
}

/// A request as the server read it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    /// The decoded body (de-chunked, still compressed if the client compressed it); only
    /// the part that was read for `ResetMidBody`.
    pub body: Vec<u8>,
    pub body_len: usize,
    pub at: Instant,
    /// The mode that handled it.
    pub mode: Mode,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

struct Shared {
    mode: Mutex<Mode>,
    /// Bumped by every `set_mode`; `applied` follows once the listener matches the mode.
    generation: AtomicU64,
    applied: AtomicU64,
    requests: Mutex<Vec<RecordedRequest>>,
    shutdown: AtomicBool,
    upstream: Option<String>,
    handlers: Mutex<Vec<JoinHandle<()>>>,
}

impl Shared {
    fn mode(&self) -> Mode {
        lock(&self.mode).clone()
    }

    fn stopping(&self) -> bool {
        self.shutdown.load(Ordering::SeqCst)
    }
}

/// A running fault server.
pub struct FaultServer {
    shared: Arc<Shared>,
    addr: SocketAddr,
    accept_thread: Option<JoinHandle<()>>,
}

impl FaultServer {
    /// Starts on `127.0.0.1:<free port>` in `Forward` mode. `upstream` is the gateway URL
    /// (`http://host:port`, as `Gateway::url` gives it) or `None`.
    pub fn start(upstream: Option<String>) -> FaultServer {
        let upstream = upstream.map(|u| {
            assert!(
                !u.starts_with("https://"),
                "the fault server forwards plain HTTP only, not {u}"
            );
            let rest = u.strip_prefix("http://").unwrap_or(&u);
            rest.split('/').next().unwrap_or(rest).to_string()
        });
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind fault server");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().expect("fault server address");
        let shared = Arc::new(Shared {
            mode: Mutex::new(Mode::Forward),
            generation: AtomicU64::new(0),
            applied: AtomicU64::new(0),
            requests: Mutex::new(Vec::new()),
            shutdown: AtomicBool::new(false),
            upstream,
            handlers: Mutex::new(Vec::new()),
        });
        let accept_shared = Arc::clone(&shared);
        let accept_thread = thread::Builder::new()
            .name("fault-accept".into())
            .spawn(move || accept_loop(accept_shared, listener, addr))
            .expect("spawn fault server");
        FaultServer {
            shared,
            addr,
            accept_thread: Some(accept_thread),
        }
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Switches the mode. Returns once the listener follows it (`Refuse` is in force, or
    /// the port accepts again), so a test can connect right after.
    pub fn set_mode(&self, mode: Mode) {
        *lock(&self.shared.mode) = mode;
        let generation = self.shared.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.shared.applied.load(Ordering::SeqCst) < generation {
            assert!(
                Instant::now() < deadline,
                "fault server did not apply the new mode within 5 s (port {} taken?)",
                self.addr.port()
            );
            thread::sleep(Duration::from_millis(1));
        }
    }

    pub fn mode(&self) -> Mode {
        self.shared.mode()
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    pub fn request_count(&self) -> usize {
        lock(&self.shared.requests).len()
    }

    pub fn clear(&self) {
        lock(&self.shared.requests).clear();
    }

    /// Waits until at least `n` requests were recorded; `false` on timeout.
    pub fn wait_for_requests(&self, n: usize, timeout: Duration) -> bool {
        super::wait_until(timeout, || self.request_count() >= n)
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        if let Some(t) = self.accept_thread.take() {
            let _ = t.join();
        }
        let handlers = std::mem::take(&mut *lock(&self.shared.handlers));
        for h in handlers {
            let _ = h.join();
        }
    }
}

/// A poisoned lock only means another test thread panicked; the data is still usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn accept_loop(shared: Arc<Shared>, listener: TcpListener, addr: SocketAddr) {
    let mut listener = Some(listener);
    while !shared.stopping() {
        // Read the generation before the mode, so `applied` never claims a newer mode.
        let generation = shared.generation.load(Ordering::SeqCst);
        let refuse = shared.mode() == Mode::Refuse;
        if refuse {
            // Closing the listening socket is what makes connects fail for real.
            listener = None;
        } else if listener.is_none() {
            match TcpListener::bind(addr).and_then(|l| l.set_nonblocking(true).map(|()| l)) {
                Ok(l) => listener = Some(l),
                Err(_) => {
                    thread::sleep(POLL);
                    continue;
                }
            }
        }
        shared.applied.store(generation, Ordering::SeqCst);
        let Some(l) = &listener else {
            thread::sleep(Duration::from_millis(2));
            continue;
        };
        match l.accept() {
            Ok((stream, _)) => {
                let handler_shared = Arc::clone(&shared);
                let handle = thread::Builder::new()
                    .name("fault-conn".into())
                    .spawn(move || handle_connection(&handler_shared, stream));
                if let Ok(handle) = handle {
                    let mut handlers = lock(&shared.handlers);
                    handlers.retain(|h| !h.is_finished());
                    handlers.push(handle);
                }
            }
            Err(_) => thread::sleep(Duration::from_millis(2)),
        }
    }
}

struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    /// Reads until `done` finds what it needs in the buffer; `None` on EOF, error,
    /// shutdown or a long silence.
    fn read_until<T>(
        &mut self,
        shared: &Shared,
        limit: Duration,
        mut done: impl FnMut(&[u8]) -> Option<T>,
    ) -> Option<T> {
        let mut last_progress = Instant::now();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            if let Some(found) = done(&self.buf) {
                return Some(found);
            }
            if shared.stopping() || last_progress.elapsed() >= limit {
                return None;
            }
            match self.stream.read(&mut chunk) {
                Ok(0) => return None,
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    last_progress = Instant::now();
                }
                Err(e) if is_timeout(&e) => {}
                Err(_) => return None,
            }
        }
    }
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

fn handle_connection(shared: &Shared, stream: TcpStream) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(POLL));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    let mut conn = Conn {
        stream,
        buf: Vec::new(),
    };
    let Some(head_end) = conn.read_until(shared, IDLE_LIMIT, |buf| {
        find_head_end(buf).or_else(|| (buf.len() > MAX_HEAD).then_some(0))
    }) else {
        return;
    };
    if head_end == 0 {
        respond(&mut conn.stream, 431, &[], "request head too large\n");
        return;
    }
    let (start, headers) = parse_head(&conn.buf[..head_end]);
    let mut parts = start.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let mode = shared.mode();
    let record = |body: Vec<u8>| {
        lock(&shared.requests).push(RecordedRequest {
            method: method.clone(),
            path: path.clone(),
            headers: headers.clone(),
            body_len: body.len(),
            body,
            at: Instant::now(),
            mode: mode.clone(),
        });
    };

    if mode == Mode::ResetMidBody {
        if body_framing(&headers) != Framing::None {
            // Let some of the body arrive, so the reset lands in the middle of it.
            let _ = conn.read_until(shared, Duration::from_millis(500), |buf| {
                (buf.len() > head_end).then_some(())
            });
        }
        record(conn.buf[head_end..].to_vec());
        reset(conn.stream);
        return;
    }

    if header(&headers, "expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue")) {
        let _ = conn.stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
    }
    let body = match body_framing(&headers) {
        Framing::Length(n) => {
            let Some(()) = conn.read_until(shared, IDLE_LIMIT, |buf| {
                (buf.len() >= head_end + n).then_some(())
            }) else {
                return;
            };
            conn.buf[head_end..head_end + n].to_vec()
        }
        Framing::Chunked => {
            let Some((body, _)) =
                conn.read_until(shared, IDLE_LIMIT, |buf| decode_chunked(&buf[head_end..]))
            else {
                return;
            };
            body
        }
        Framing::None => Vec::new(),
    };
    record(body.clone());

    match mode {
        Mode::Forward => forward(shared, &mut conn.stream, &method, &path, &headers, &body),
        Mode::Delay(delay) => {
            let until = Instant::now() + delay;
            while Instant::now() < until && !shared.stopping() {
                thread::sleep(POLL.min(until.saturating_duration_since(Instant::now())));
            }
            forward(shared, &mut conn.stream, &method, &path, &headers, &body);
        }
        Mode::Hang => {
            while shared.mode() == Mode::Hang && !shared.stopping() {
                thread::sleep(POLL);
            }
        }
        Mode::Status(status, message) => respond(&mut conn.stream, status, &[], &message),
        Mode::TooMany { retry_after_secs } => respond(
            &mut conn.stream,
            429,
            &[("Retry-After", &retry_after_secs.to_string())],
            "too many requests\n",
        ),
        // Accepted just before the listener closed: behave like a dead server.
        Mode::Refuse | Mode::ResetMidBody => {}
    }
}

fn respond(stream: &mut TcpStream, status: u16, headers: &[(&str, &str)], body: &str) {
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n",
        reason(status),
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.as_bytes());
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Write);
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        202 => "Accepted",
        301 => "Moved Permanently",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// Sends the request upstream with `Connection: close` and relays the raw answer.
fn forward(
    shared: &Shared,
    client: &mut TcpStream,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) {
    let Some(upstream) = &shared.upstream else {
        respond(client, 200, &[], "");
        return;
    };
    match relay(shared, upstream, method, path, headers, body) {
        Ok(raw) => {
            let _ = client.write_all(&raw);
            let _ = client.flush();
            let _ = client.shutdown(Shutdown::Write);
        }
        Err(e) => respond(
            client,
            502,
            &[],
            &format!("fault server: upstream {upstream}: {e}\n"),
        ),
    }
}

fn relay(
    shared: &Shared,
    upstream: &str,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> io::Result<Vec<u8>> {
    let addr = upstream
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no upstream address"))?;
    let mut up = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    up.set_read_timeout(Some(POLL))?;
    up.set_write_timeout(Some(Duration::from_secs(5)))?;
    let mut head = format!("{method} {path} HTTP/1.1\r\n");
    const HOP_BY_HOP: [&str; 6] = [
        "connection",
        "keep-alive",
        "transfer-encoding",
        "content-length",
        "expect",
        "proxy-connection",
    ];
    for (name, value) in headers {
        if !HOP_BY_HOP.contains(&name.to_ascii_lowercase().as_str()) {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    // The body was de-chunked while reading, so it always goes on with a length.
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    up.write_all(head.as_bytes())?;
    up.write_all(body)?;
    let mut raw = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if shared.stopping() || Instant::now() >= deadline {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "no complete answer",
            ));
        }
        match up.read(&mut chunk) {
            Ok(0) => return Ok(raw),
            Ok(n) => raw.extend_from_slice(&chunk[..n]),
            Err(e) if is_timeout(&e) => {}
            Err(e) => return Err(e),
        }
    }
}

/// Closes with SO_LINGER {on, 0}: the kernel sends RST instead of FIN.
#[cfg(target_os = "linux")]
fn reset(stream: TcpStream) {
    use std::ffi::{c_int, c_void};
    use std::os::fd::AsRawFd;

    #[repr(C)]
    struct Linger {
        l_onoff: c_int,
        l_linger: c_int,
    }
    extern "C" {
        fn setsockopt(
            fd: c_int,
            level: c_int,
            name: c_int,
            value: *const c_void,
            len: u32,
        ) -> c_int;
    }
    // Values of the generic Linux ABI (x86, x86_64, arm, aarch64, riscv).
    const SOL_SOCKET: c_int = 1;
    const SO_LINGER: c_int = 13;
    let linger = Linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid socket descriptor and a pointer to a live `struct linger` of the
    // size passed.
    let rc = unsafe {
        setsockopt(
            stream.as_raw_fd(),
            SOL_SOCKET,
            SO_LINGER,
            (&linger as *const Linger).cast(),
            std::mem::size_of::<Linger>() as u32,
        )
    };
    assert_eq!(rc, 0, "setsockopt(SO_LINGER) failed");
    drop(stream);
}

/// Without SO_LINGER, closing with unread data pending still makes Linux-like stacks
/// send RST; this is the best a portable build can do.
#[cfg(not(target_os = "linux"))]
fn reset(stream: TcpStream) {
    drop(stream);
}
