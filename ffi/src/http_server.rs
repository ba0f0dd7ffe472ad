//! HTTP servers in C: serve a registry to scrapers on `/metrics` (any path, in fact) from
//! threads of the library, read the bound port, stop and release.

use crate::error::{pm_status, Failure};
use crate::ffi::{arg_str, Out};
use crate::handle::{handle, live, new_handle, release, Tagged};
use crate::panic::guard;
use crate::registry::pm_registry;
use pushmetrics_core::HttpServer;
use std::ffi::c_char;
use std::time::Duration;

/// A running HTTP server of one registry, from `pm_http_server_start`. Stop it with
/// `pm_http_server_stop` and release it with `pm_http_server_free`. Thread-safe.
pub struct pm_http_server(Tagged<HttpServer>);

handle!(pm_http_server, HttpServer, HttpServer);

/// Limits of an HTTP server, for `pm_http_server_start`. Set `size` to
/// `sizeof(pm_http_server_options)`; a field left 0 takes its default.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct pm_http_server_options {
    /// Set by the caller to sizeof(pm_http_server_options).
    pub size: usize,
    /// Connections served at once, one thread each (default 4, at most 1024). More wait in
    /// the listen backlog until a thread is free.
    pub max_connections: u32,
    /// Milliseconds a client has to send its whole request head (default 5000); a client
    /// that has not is disconnected with 408.
    pub read_timeout_ms: u64,
    /// Milliseconds each write of an answer may wait for the client to read (default 10000).
    pub write_timeout_ms: u64,
}

/// `pm_http_server_options` as first published.
const PM_HTTP_SERVER_OPTIONS_V1_SIZE: usize =
    crate::stats::first_version_end!(pm_http_server_options, write_timeout_ms);

/// The caller's options: the fields its `size` covers, the others 0 (their defaults).
fn read_options(p: *const pm_http_server_options) -> Result<pm_http_server_options, Failure> {
    let mut o = pm_http_server_options::default();
    if p.is_null() {
        return Ok(o);
    }
    // SAFETY: non-NULL; the struct starts with `size_t size`.
    let size = unsafe { p.cast::<usize>().read() };
    if size < PM_HTTP_SERVER_OPTIONS_V1_SIZE {
        return Err(Failure::invalid_argument(format!(
            "argument `options` has size {size}, but at least \
             {PM_HTTP_SERVER_OPTIONS_V1_SIZE} is needed: set its `size` field to \
             sizeof(pm_http_server_options)"
        )));
    }
    let n = size.min(std::mem::size_of::<pm_http_server_options>());
    // SAFETY: the caller's struct holds `size` bytes and at most that many are read.
    unsafe {
        std::ptr::copy_nonoverlapping(
            p.cast::<u8>(),
            (&mut o as *mut pm_http_server_options).cast::<u8>(),
            n,
        )
    };
    Ok(o)
}

/// Starts serving `registry` over HTTP on `addr` (an IP address or a host name; "0.0.0.0"
/// or "::" for every interface) and `port` (0 for a free one: read it with
/// `pm_http_server_port`), and gives the server in `*out`. Every path answers GET and HEAD
/// with the registry in the Prometheus text format 0.0.4, gzip-compressed when the client
/// accepts it; other methods get 405. The library's threads do all the work, encoding
/// included. `options` may be NULL for the defaults. The registry is not consumed.
/// PM_ERR_IO naming the address if it cannot be bound (in use, not local, no permission);
/// PM_ERR_INVALID_CONFIG if it does not resolve or an option is out of range.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_http_server_start(
    registry: *const pm_registry,
    addr: *const c_char,
    port: u16,
    options: *const pm_http_server_options,
    out: *mut *mut pm_http_server,
) -> pm_status {
    guard(|| {
        let out = Out::new(out, "out")?;
        out.write(std::ptr::null_mut());
        let registry = live(registry, "registry")?;
        let addr = arg_str(addr, "addr")?;
        let o = read_options(options)?;
        let mut b = HttpServer::builder();
        if o.max_connections != 0 {
            b = b.max_connections(o.max_connections as usize);
        }
        if o.read_timeout_ms != 0 {
            b = b.read_timeout(Duration::from_millis(o.read_timeout_ms));
        }
        if o.write_timeout_ms != 0 {
            b = b.write_timeout(Duration::from_millis(o.write_timeout_ms));
        }
        out.write(new_handle::<pm_http_server>(b.start(addr, port, registry)?));
        Ok(())
    })
}

/// The port the server listens on (the one the system chose for port 0), into `*out`.
/// Works after `pm_http_server_stop` too. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_http_server_port(server: *const pm_http_server, out: *mut u16) -> pm_status {
    guard(|| {
        let s = live(server, "server")?;
        Out::new(out, "out")?.write(s.port());
        Ok(())
    })
}

/// Stops serving: closes the listening socket (the port is free when this returns),
/// disconnects the clients being served and joins the threads, within about two seconds.
/// Calling it again returns PM_OK and does nothing. Thread-safe.
#[no_mangle]
#[must_use]
pub extern "C" fn pm_http_server_stop(server: *const pm_http_server) -> pm_status {
    guard(|| {
        live(server, "server")?.stop();
        Ok(())
    })
}

/// Releases a server, stopping it first if `pm_http_server_stop` was not called. NULL is
/// ignored. Must not be called while another thread uses the server.
#[no_mangle]
pub extern "C" fn pm_http_server_free(server: *mut pm_http_server) {
    release(server, "server")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_with_a_short_size_are_refused() {
        let o = pm_http_server_options {
            size: 4,
            ..Default::default()
        };
        let e = read_options(&o).unwrap_err();
        assert!(e.message.contains("sizeof(pm_http_server_options)"));
        assert!(read_options(std::ptr::null()).is_ok());
    }
}
