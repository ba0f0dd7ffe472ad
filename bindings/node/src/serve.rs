//! HTTP servers: the core's server of a registry, started from JS. Its threads accept,
//! encode and answer scrapes; the event loop only starts it (binding is quick) and the stop,
//! which joins threads, runs as an `AsyncTask` on a libuv worker thread.

use crate::errors::{self, Result};
use crate::registry::{millis, NativeRegistry};
use napi::bindgen_prelude::*;
use napi::Env;
use pushmetrics::HttpServer;
use std::sync::Arc;

/// Limits of an HTTP server (DESIGN.md's names, in camelCase).
#[napi(object)]
pub struct HttpServerOptions {
    pub max_connections: Option<f64>,
    pub read_timeout_ms: Option<f64>,
    pub write_timeout_ms: Option<f64>,
}

/// A running HTTP server of one registry.
#[napi]
pub struct NativeHttpServer {
    inner: Arc<HttpServer>,
}

#[napi]
impl NativeHttpServer {
    /// Binds `host`:`port` (0 for a free port) and starts serving `registry`.
    #[napi(factory)]
    pub fn start(
        registry: &NativeRegistry,
        host: String,
        port: u32,
        options: Option<HttpServerOptions>,
    ) -> Result<Self> {
        let port = u16::try_from(port)
            .map_err(|_| errors::config(format!("port {port} must be between 0 and 65535")))?;
        let mut b = HttpServer::builder();
        if let Some(o) = options {
            if let Some(n) = o.max_connections {
                if !(n.is_finite() && n.fract() == 0.0 && n >= 0.0) {
                    return Err(errors::config(format!(
                        "maxConnections {n} must be a whole number"
                    )));
                }
                b = b.max_connections(n as usize);
            }
            if let Some(ms) = o.read_timeout_ms {
                b = b.read_timeout(millis("readTimeoutMs", ms)?);
            }
            if let Some(ms) = o.write_timeout_ms {
                b = b.write_timeout(millis("writeTimeoutMs", ms)?);
            }
        }
        let inner = errors::core(b.start(&host, port, &registry.inner))?;
        Ok(NativeHttpServer {
            inner: Arc::new(inner),
        })
    }

    /// The port listened on (the one chosen for port 0).
    #[napi(getter)]
    pub fn port(&self) -> u32 {
        self.inner.port() as u32
    }

    /// The address listened on.
    #[napi(getter)]
    pub fn host(&self) -> String {
        self.inner.local_addr().ip().to_string()
    }

    /// Whether `close` has been called.
    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.inner.is_stopped()
    }

    /// Stops serving, off the event loop; resolves once the port is free.
    #[napi]
    pub fn close(&self) -> AsyncTask<Stop> {
        AsyncTask::new(Stop(self.inner.clone()))
    }

    /// Stops serving on the calling thread (for `process.on('exit')`).
    #[napi]
    pub fn close_sync(&self) {
        self.inner.stop();
    }
}

/// Stops a server on a libuv worker thread.
pub struct Stop(Arc<HttpServer>);

impl Task for Stop {
    type Output = ();
    type JsValue = ();
    fn compute(&mut self) -> napi::Result<()> {
        self.0.stop();
        Ok(())
    }
    fn resolve(&mut self, _: Env, _: ()) -> napi::Result<()> {
        Ok(())
    }
}
