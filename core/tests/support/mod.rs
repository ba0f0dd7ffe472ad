//! Support for end-to-end tests: a real Pushgateway on a free port, a fault-injecting
//! server in front of it, and TLS material made with the openssl CLI. Std only.
// Each test binary uses a different part of this module.
#![allow(dead_code, unused_imports)]

mod fault;
mod gateway;
mod http1;
mod receiver;
mod tls;

pub use fault::{FaultServer, Mode, RecordedRequest};
pub use gateway::{parse_exposition, Gateway, Sample};
pub use http1::{http_request, http_request_with_timeout, Response};
pub use receiver::{now_secs, Point, ReceiverServer};
pub use tls::{TlsFixture, WebConfig, TEST_PASSWORD, TEST_PASSWORD_BCRYPT, TEST_USER};

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A port that was free a moment ago: bound on 127.0.0.1, read back, released.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

/// Polls `check` every 20 ms until it is true or `timeout` passes.
pub fn wait_until(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if check() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A directory under the system temp dir, removed on drop.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(prefix: &str) -> TempDir {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!(
            "{prefix}-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        TempDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
