"""start_http_server: scraped with urllib, curl and promtool; gzip, HEAD, refused methods,
the connection bound, a silent client, shutdown freeing the port, and scrapes answered
while the GIL is held by Python code."""

from __future__ import annotations

import gzip
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pushmetrics as pm
import pytest
from conftest import runtime_values_blanked

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@pytest.fixture
def reg() -> pm.Registry:
    r = pm.Registry()
    c = pm.Counter("served_requests_total", "Requests", ["code"], registry=r)
    c.labels("200").inc(41)
    c.labels('a "quoted"\nvalue').inc()
    pm.Gauge("served_temperature", "Temp", registry=r).set(-3.25)
    pm.Histogram("served_latency_seconds", "Latency", registry=r).observe(0.3)
    pm.Summary("served_size_bytes", "Sizes", registry=r).observe(7)
    return r


def fetch(url: str, method: str = "GET", headers: dict[str, str] | None = None):
    req = urllib.request.Request(url, method=method, headers=headers or {})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, dict(r.headers), r.read()


def test_a_scrape_returns_the_registry_text_on_any_path(reg):
    with pm.start_http_server(0, "127.0.0.1", registry=reg) as server:
        assert server.port == server.server_port > 0
        assert server.server_address == ("127.0.0.1", server.port)
        for path in ("/metrics", "/", "/other?name[]=x"):
            status, headers, body = fetch(f"http://127.0.0.1:{server.port}{path}")
            assert status == 200
            assert headers["Content-Type"] == CONTENT_TYPE == pm.CONTENT_TYPE_LATEST
            assert body == pm.generate_latest(reg)
    assert server.stopped


def test_the_defaults_are_prometheus_clients_every_interface_and_the_default_registry():
    pm.Counter("served_default_total", "D").inc(3)
    server = pm.start_http_server(0)
    try:
        assert server.server_address[0] == "0.0.0.0"
        _, _, body = fetch(f"http://127.0.0.1:{server.port}/metrics")
        assert b"served_default_total 3\n" in body
        assert runtime_values_blanked(body) == runtime_values_blanked(pm.generate_latest())
    finally:
        server.shutdown()


def test_gzip_only_when_the_client_accepts_it(reg):
    with pm.start_http_server(0, "127.0.0.1", reg) as server:
        url = f"http://127.0.0.1:{server.port}/metrics"
        _, headers, body = fetch(url, headers={"Accept-Encoding": "gzip"})
        assert headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(body) == pm.generate_latest(reg)
        _, headers, body = fetch(url, headers={"Accept-Encoding": "gzip;q=0, br"})
        assert "Content-Encoding" not in headers
        assert body == pm.generate_latest(reg)


def test_head_gives_the_headers_of_get_and_other_methods_get_405(reg):
    with pm.start_http_server(0, "127.0.0.1", reg) as server:
        url = f"http://127.0.0.1:{server.port}/metrics"
        status, headers, body = fetch(url, "HEAD")
        assert status == 200 and body == b""
        assert int(headers["Content-Length"]) == len(pm.generate_latest(reg))
        with pytest.raises(urllib.error.HTTPError) as e:
            fetch(url, "POST")
        assert e.value.code == 405
        assert e.value.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_concurrent_scrapes_beyond_the_bound_are_all_answered(reg):
    want = pm.generate_latest(reg)
    with pm.start_http_server(0, "127.0.0.1", reg, max_connections=2) as server:
        url = f"http://127.0.0.1:{server.port}/metrics"
        bodies: list[bytes] = []

        def scrape() -> None:
            bodies.append(fetch(url)[2])

        threads = [threading.Thread(target=scrape) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert bodies == [want] * 20


def test_a_silent_client_does_not_hold_up_others(reg):
    with pm.start_http_server(0, "127.0.0.1", reg, max_connections=2, read_timeout=0.5) as server:
        silent = socket.create_connection(("127.0.0.1", server.port))
        try:
            time.sleep(0.05)
            t = time.monotonic()
            assert fetch(f"http://127.0.0.1:{server.port}/")[0] == 200
            assert time.monotonic() - t < 0.4
            silent.settimeout(10)
            assert silent.recv(100).startswith(b"HTTP/1.1 408 ")
        finally:
            silent.close()


def test_shutdown_frees_the_port(reg):
    server = pm.start_http_server(0, "127.0.0.1", reg)
    port = server.port
    fetch(f"http://127.0.0.1:{port}/")
    server.shutdown()
    server.close()  # idempotent
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen()
    with pm.start_http_server(port, "127.0.0.1", reg) as again:
        assert again.port == port


def test_a_port_in_use_raises_listen_error_naming_the_address(reg):
    with pm.start_http_server(0, "127.0.0.1", reg) as server:
        with pytest.raises(pm.ListenError) as e:
            pm.start_http_server(server.port, "127.0.0.1", reg)
        assert isinstance(e.value, OSError)
        assert f"127.0.0.1:{server.port}" in str(e.value)
    with pytest.raises(pm.ConfigError, match="no-such-host.invalid"):
        pm.start_http_server(9100, "no-such-host.invalid", reg)
    with pytest.raises(pm.ConfigError, match="max_connections"):
        pm.start_http_server(0, "127.0.0.1", reg, max_connections=0)


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_promtool_accepts_the_served_text(reg):
    with pm.start_http_server(0, "127.0.0.1", reg) as server:
        _, _, body = fetch(f"http://127.0.0.1:{server.port}/metrics")
    check = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True)
    assert check.returncode == 0, check.stderr


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_scrapes_are_answered_while_python_code_holds_the_gil(reg):
    with pm.start_http_server(0, "127.0.0.1", reg) as server:
        url = f"http://127.0.0.1:{server.port}/metrics"
        # curl reports when it had the whole answer; meanwhile this thread keeps the GIL
        # in a pure-Python loop that no other Python thread asks it to give up.
        curl = subprocess.Popen(
            ["curl", "-fsS", "-o", "/dev/null", "-w", "%{time_total}", url],
            stdout=subprocess.PIPE,
        )
        t = time.monotonic()
        n = 0
        while time.monotonic() - t < 1.0:
            n += 1
        held = time.monotonic() - t
        out, _ = curl.communicate(timeout=10)
        assert curl.returncode == 0
        assert float(out) < held / 2, (float(out), held)
