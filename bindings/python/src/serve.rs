//! `start_http_server` and the `HttpServer` it returns: prometheus_client's call over the
//! core's server. The core's threads accept, encode and answer; Python only starts and
//! stops them, with the GIL released while it waits.

use crate::convert::seconds;
use crate::errors::OrRaise;
use crate::registry::RegistryArg;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

/// A running HTTP server of one registry; `shutdown()` (or `close()`) stops it.
#[pyclass(module = "pushmetrics", frozen)]
pub(crate) struct HttpServer {
    inner: pushmetrics::HttpServer,
}

#[pymethods]
impl HttpServer {
    /// The port the server listens on (the one chosen for port 0).
    #[getter]
    fn port(&self) -> u16 {
        self.inner.port()
    }

    /// prometheus_client's name for the port.
    #[getter]
    fn server_port(&self) -> u16 {
        self.inner.port()
    }

    /// `(host, port)` as bound.
    #[getter]
    fn server_address(&self) -> (String, u16) {
        let a = self.inner.local_addr();
        (a.ip().to_string(), a.port())
    }

    /// Whether `shutdown()` has been called.
    #[getter]
    fn stopped(&self) -> bool {
        self.inner.is_stopped()
    }

    /// Stops serving: the port is free once this returns. Idempotent.
    fn shutdown(&self, py: Python<'_>) {
        py.detach(|| self.inner.stop());
    }

    /// The same as `shutdown()`.
    fn close(&self, py: Python<'_>) {
        self.shutdown(py);
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, PyTuple>) {
        self.shutdown(py);
    }

    fn __repr__(&self) -> String {
        format!(
            "<pushmetrics.HttpServer {}{}>",
            self.inner.local_addr(),
            if self.inner.is_stopped() {
                " stopped"
            } else {
                ""
            }
        )
    }
}

/// Serves `registry` on `addr`:`port` from threads of the core, as prometheus_client's
/// `start_http_server` does (it returns the server only).
#[pyfunction]
#[pyo3(signature = (port, addr="0.0.0.0", registry=RegistryArg::Default, *, max_connections=None, read_timeout=None, write_timeout=None))]
pub(crate) fn start_http_server(
    py: Python<'_>,
    port: u16,
    addr: &str,
    registry: RegistryArg,
    max_connections: Option<usize>,
    read_timeout: Option<f64>,
    write_timeout: Option<f64>,
) -> PyResult<HttpServer> {
    let mut b = pushmetrics::HttpServer::builder();
    if let Some(n) = max_connections {
        b = b.max_connections(n);
    }
    if let Some(s) = read_timeout {
        b = b.read_timeout(seconds("read_timeout", s)?);
    }
    if let Some(s) = write_timeout {
        b = b.write_timeout(seconds("write_timeout", s)?);
    }
    let registry = registry.resolve();
    let inner = py.detach(|| b.start(addr, port, &registry)).or_raise()?;
    Ok(HttpServer { inner })
}
