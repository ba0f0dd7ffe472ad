"""Shared fixtures: the Pushgateway and the remote-write receivers (Prometheus,
VictoriaMetrics) that run.sh started (or ones started here), readers of what they hold, a
server that accepts connections and never answers, and a runner for job scripts in a
subprocess."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="session")
def pgw_url() -> Iterator[str]:
    if os.environ.get("PGW_URL"):
        yield os.environ["PGW_URL"]
        return
    out = subprocess.run(
        [os.path.join(ROOT, "tests", "pushgateway.sh"), "start"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    env = dict(kv.split("=", 1) for kv in out.replace("export ", "").split())
    try:
        yield env["PGW_URL"]
    finally:
        subprocess.run(
            [os.path.join(ROOT, "tests", "pushgateway.sh"), "stop", env["PGW_PID"]],
            check=False,
        )


@pytest.fixture(scope="session")
def receivers() -> Iterator[dict[str, str]]:
    """PROM_URL and VM_URL of the receivers run.sh started, or of ones started here."""
    if os.environ.get("PROM_URL") and os.environ.get("VM_URL"):
        yield {k: os.environ[k] for k in ("PROM_URL", "VM_URL")}
        return
    script = os.path.join(ROOT, "tests", "receivers.sh")
    out = subprocess.run(
        [script, "start"], capture_output=True, text=True, check=True
    ).stdout
    env = dict(kv.split("=", 1) for kv in out.replace("export ", "").split())
    try:
        yield env
    finally:
        subprocess.run([script, "stop", env["RECEIVERS_DIR"]], check=False)


@pytest.fixture(scope="session")
def prom_url(receivers: dict[str, str]) -> str:
    """Prometheus, with its remote-write receiver at /api/v1/write."""
    return receivers["PROM_URL"]


@pytest.fixture(scope="session")
def vm_url(receivers: dict[str, str]) -> str:
    """VictoriaMetrics, with its remote-write receiver at /api/v1/write."""
    return receivers["VM_URL"]


def get_json(url: str, path: str, **params: str) -> object:
    query = urllib.parse.urlencode(params)
    with urllib.request.urlopen(f"{url}{path}?{query}", timeout=5) as r:
        return json.load(r)


def prom_query(url: str, query: str, at: float | None = None) -> list[dict]:
    """The instant vector Prometheus returns for `query`, now or at Unix time `at`."""
    params = {"query": query}
    if at is not None:
        params["time"] = f"{at:.3f}"
    body = get_json(url, "/api/v1/query", **params)
    assert body["status"] == "success", body
    return body["data"]["result"]


def prom_samples(
    url: str, query: str, at: float | None = None, timeout: float = 3.0
) -> dict[tuple[str, tuple], tuple[dict[str, str], float]]:
    """{(name, ((label, value), ...)): (all labels, value)} for `query`, with job and
    instance left out of the key; polls until the result is not empty or `timeout`
    passes, since a write is acknowledged before every query is sure to see it."""
    deadline = time.monotonic() + timeout
    while not (result := prom_query(url, query, at)) and time.monotonic() < deadline:
        time.sleep(0.05)
    out = {}
    for r in result:
        m = r["metric"]
        skip = ("__name__", "job", "instance")
        labels = tuple(sorted((k, v) for k, v in m.items() if k not in skip))
        out[(m.get("__name__", ""), labels)] = (m, float(r["value"][1]))
    return out


def vm_export(url: str, selector: str, timeout: float = 15.0) -> list[dict]:
    """VictoriaMetrics' export of the series matching `selector`, once there is any:
    it makes new series searchable only after a delay, which a force_flush before every
    look shortens (see the backends reference, section 4.3)."""
    deadline = time.monotonic() + timeout
    while True:
        urllib.request.urlopen(url + "/internal/force_flush", timeout=5).read()
        query = urllib.parse.urlencode({"match[]": selector})
        with urllib.request.urlopen(f"{url}/api/v1/export?{query}", timeout=5) as r:
            lines = [json.loads(line) for line in r.read().decode().split("\n") if line]
        if lines or time.monotonic() >= deadline:
            return lines
        time.sleep(0.2)


@pytest.fixture
def job() -> str:
    """A job name no other test uses, so groups never mix."""
    return "py_" + uuid.uuid4().hex[:12]


def gateway_samples(
    url: str, job: str, **grouping: str
) -> dict[tuple[str, tuple], float]:
    """Samples the gateway holds for one group: {(name, ((label, value), ...)): value}, with
    the job, instance and grouping labels left out."""
    body = urllib.request.urlopen(url + "/metrics", timeout=5).read().decode()
    out: dict[tuple[str, tuple], float] = {}
    for fam in text_string_to_metric_families(body):
        for s in fam.samples:
            if s.labels.get("job") != job:
                continue
            if any(s.labels.get(k) != v for k, v in grouping.items()):
                continue
            extra = {"job", "instance", *grouping}
            labels = tuple(
                sorted((k, v) for k, v in s.labels.items() if k not in extra)
            )
            out[(s.name, labels)] = s.value
    return out


def gateway_groups(url: str, job: str) -> list[dict[str, str]]:
    """The grouping labels of every group of `job` on the gateway."""
    data = json.load(urllib.request.urlopen(url + "/api/v1/metrics", timeout=5))["data"]
    return [g["labels"] for g in data if g["labels"].get("job") == job]


def gateway_groups_when_settled(
    url: str, job: str, timeout: float = 3.0
) -> list[dict[str, str]]:
    """`gateway_groups` once none remain or `timeout` passes: the gateway answers a DELETE
    with 202 and applies it just after."""
    deadline = time.monotonic() + timeout
    while (groups := gateway_groups(url, job)) and time.monotonic() < deadline:
        time.sleep(0.02)
    return groups


@pytest.fixture
def hung_server() -> Iterator[str]:
    """http://127.0.0.1:PORT of a server that accepts connections and never answers."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        srv.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
                held.append(conn)  # read nothing, answer nothing
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.getsockname()[1]}"
    finally:
        stop.set()
        t.join()
        for c in held:
            c.close()
        srv.close()


def run_script(
    source: str, env: dict[str, str], timeout: float = 60
) -> tuple[float, str]:
    """Runs a Python script in a subprocess; returns (seconds it took, its output)."""
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    took = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr
    return took, proc.stdout + proc.stderr


#: Families of the default registry whose values move by themselves between two reads (CPU
#: time, memory, open files, garbage collections): the process and Python runtime metrics.
RUNTIME_PREFIXES = (b"process_", b"python_gc_")


def runtime_values_blanked(text: bytes) -> bytes:
    """The exposition `text` with the value of every runtime-metric line replaced by `_`:
    two reads of the default registry then compare equal line for line, names, labels,
    order and every other value included."""
    lines = []
    for line in text.split(b"\n"):
        if line.startswith(RUNTIME_PREFIXES):
            line = line.rsplit(b" ", 1)[0] + b" _"
        lines.append(line)
    return b"\n".join(lines)
