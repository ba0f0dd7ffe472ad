"""pushmetrics against prometheus_client, side by side in one run: recording calls, memory
per series, text encoding, pushing and serving (start_http_server, scraped by curl)
100,000 series. Each number is the median of several
runs; memory and the 100,000-series cases run in a fresh process per library and run.
Ends with pushmetrics' targets against prometheus_client, each a median of the ratios of
runs side by side."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import timeit

SERIES = 100_000
MICRO_RUNS = int(os.environ.get("BENCH_RUNS", "7"))
MACRO_RUNS = int(os.environ.get("BENCH_MACRO_RUNS", "3"))
CALLS = 1_000_000

SETUP = {
    "pushmetrics": """
import pushmetrics as pm
reg = pm.Registry()
c = pm.Counter("req_total", "R", ["method", "code"], registry=reg)
h = pm.Histogram("lat_seconds", "L", registry=reg)
child = c.labels("GET", "200")
""",
    "prometheus_client": """
import prometheus_client as pc
reg = pc.CollectorRegistry()
c = pc.Counter("req", "R", ["method", "code"], registry=reg)
h = pc.Histogram("lat_seconds", "L", registry=reg)
child = c.labels("GET", "200")
""",
}

# Multiprocess mode, each library's own: pushmetrics.multiprocess.enable() and
# prometheus_client's PROMETHEUS_MULTIPROC_DIR. Timed in a fresh process per library.
SETUP_MULTIPROCESS = {
    "pushmetrics": """
import pushmetrics as pm
from pushmetrics import multiprocess
c = pm.Counter("req_total", "R", ["method", "code"])
h = pm.Histogram("lat_seconds", "L")
g = pm.Gauge("busy", "B", multiprocess_mode="livesum")
multiprocess.enable()
child = c.labels("GET", "200")
""",
    "prometheus_client": """
import os, tempfile
os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp()
import prometheus_client as pc
c = pc.Counter("req", "R", ["method", "code"])
h = pc.Histogram("lat_seconds", "L")
g = pc.Gauge("busy", "B", multiprocess_mode="livesum")
child = c.labels("GET", "200")
""",
}

MICRO_MULTIPROCESS = [
    ("multiprocess mode: held child inc()", "child.inc()"),
    ("multiprocess mode: labels(a, b).inc()", "c.labels('GET', '200').inc()"),
    ("multiprocess mode: gauge set()", "g.set(3)"),
    ("multiprocess mode: histogram observe()", "h.observe(0.3)"),
]

MICRO = [
    ("held child inc()", "child.inc()"),
    ("labels(a, b).inc()", "c.labels('GET', '200').inc()"),
    ("histogram observe()", "h.observe(0.3)"),
]

# Runs in a fresh process: builds SERIES series, then measures one thing, prints JSON.
MACRO = r"""
import gc, json, os, sys, time, tracemalloc
lib, what, url = sys.argv[1], sys.argv[2], sys.argv[3]
N = int(sys.argv[4])
SCRAPES = 7

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

if lib == "pushmetrics":
    import pushmetrics as m
    reg = m.Registry(max_series_per_metric=N, max_series=N)
    def push():
        m.push_to_gateway(url, "bench_python", reg, grouping_key={"lib": lib}, timeout=60)
else:
    import prometheus_client as m
    from prometheus_client import push_to_gateway
    reg = m.CollectorRegistry()
    def push():
        push_to_gateway(url, "bench_python", reg, grouping_key={"lib": lib}, timeout=60)
c = m.Counter("bench_requests_total", "Requests", ["user", "route"], registry=reg)
routes = [f"/api/v{i}" for i in range(10)]
users = [f"user-{i:06d}" for i in range(N // 10)]
gc.collect()
# RSS and the Python heap are measured in separate runs: tracing every allocation takes
# memory of its own, the more so the more objects a library keeps.
if what == "memory":
    before = rss()
elif what == "heap":
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
for u in users:
    for r in routes:
        c.labels(u, r).inc()
out = {}
if what == "memory":
    gc.collect()
    out["rss"] = (rss() - before) / N
elif what == "heap":
    gc.collect()
    out["python"] = (tracemalloc.get_traced_memory()[0] - before) / N
    tracemalloc.stop()
elif what == "encode":
    t = time.perf_counter(); body = m.generate_latest(reg); out["seconds"] = time.perf_counter() - t
    out["bytes"] = len(body)
elif what == "push":
    t = time.perf_counter(); push(); out["seconds"] = time.perf_counter() - t
elif what in ("serve", "serve_gzip"):
    # The library's own server in this process, scraped by curl from outside it, as
    # Prometheus would: the median wall time of SCRAPES scrapes and this process's CPU time
    # (all threads) per scrape.
    import statistics, subprocess
    if lib == "pushmetrics":
        server = m.start_http_server(0, "127.0.0.1", reg)
        port = server.port
    else:
        server, _ = m.start_http_server(0, "127.0.0.1", reg)
        port = server.server_port
    cmd = ["curl", "-fsS", "-o", "/dev/null", "-w", "%{time_total}",
           f"http://127.0.0.1:{port}/metrics"]
    if what == "serve_gzip":
        cmd[1:1] = ["-H", "Accept-Encoding: gzip"]
    subprocess.run(cmd, check=True, capture_output=True)  # warm up
    walls = []
    cpu0 = time.process_time()
    for _ in range(SCRAPES):
        walls.append(float(subprocess.run(cmd, check=True, capture_output=True).stdout))
    out["cpu"] = (time.process_time() - cpu0) / SCRAPES
    out["seconds"] = statistics.median(walls)
    server.shutdown()
print(json.dumps(out))
"""


def micro(lib: str, stmt: str) -> float:
    """Median ns per call over MICRO_RUNS runs of CALLS calls."""
    timer = timeit.Timer(stmt, setup=SETUP[lib])
    runs = [timer.timeit(CALLS) / CALLS * 1e9 for _ in range(MICRO_RUNS)]
    return statistics.median(runs)


def micro_multiprocess(lib: str, stmt: str) -> float:
    """`micro` in a fresh process whose metrics are in the library's multiprocess mode."""
    code = (
        "import statistics, timeit\n"
        f"exec({SETUP_MULTIPROCESS[lib]!r})\n"
        f"t = timeit.Timer({stmt!r}, globals=globals())\n"
        f"runs = [t.timeit({CALLS // 10}) / {CALLS // 10} * 1e9 for _ in range({MICRO_RUNS})]\n"
        "print(statistics.median(runs))\n"
    )
    env = {k: v for k, v in os.environ.items() if "MULTIPROC" not in k}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    return float(out.stdout)


def run_macro(lib: str, what: str, url: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", MACRO, lib, what, url, str(SERIES)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)


def medians(results: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in results) for k in results[0]}


def macro(lib: str, what: str, url: str) -> dict[str, float]:
    return medians([run_macro(lib, what, url) for _ in range(MACRO_RUNS)])


def side_by_side(what: str, url: str) -> tuple[dict, dict, dict]:
    """Medians for each library, the runs alternating, and the median ratio (ours / theirs)."""
    ours, theirs = [], []
    for _ in range(MACRO_RUNS):
        ours.append(run_macro("pushmetrics", what, url))
        theirs.append(run_macro("prometheus_client", what, url))
    ratio = {
        k: statistics.median(o[k] / t[k] for o, t in zip(ours, theirs)) for k in ours[0]
    }
    return medians(ours), medians(theirs), ratio


def row(name: str, ours: float, theirs: float, unit: str) -> None:
    print(
        f"| {name} | {ours:,.1f} {unit} | {theirs:,.1f} {unit} | {theirs / ours:.1f}x |"
    )


def main() -> None:
    url = os.environ.get("PGW_URL", "")
    from importlib.metadata import version

    print(
        f"pushmetrics {version('pushmetrics')} vs prometheus_client "
        f"{version('prometheus_client')} on Python {sys.version.split()[0]}; "
        f"medians of {MICRO_RUNS} runs "
        f"({MACRO_RUNS} for the {SERIES:,}-series cases)\n"
    )
    print(
        "| case | pushmetrics | prometheus_client | prometheus_client / pushmetrics |"
    )
    print("| --- | --- | --- | --- |")
    for name, stmt in MICRO:
        row(name, micro("pushmetrics", stmt), micro("prometheus_client", stmt), "ns")
    for name, stmt in MICRO_MULTIPROCESS:
        row(
            name,
            micro_multiprocess("pushmetrics", stmt),
            micro_multiprocess("prometheus_client", stmt),
            "ns",
        )
    ours, theirs, memory_ratio = side_by_side("memory", url)
    row(f"memory per series, RSS ({SERIES:,} series)", ours["rss"], theirs["rss"], "B")
    ours, theirs = (
        macro("pushmetrics", "heap", url),
        macro("prometheus_client", "heap", url),
    )
    # pushmetrics keeps its series in Rust: the Python heap holds none of them.
    print(
        f"| of which Python heap (tracemalloc) | {ours['python']:,.1f} B | "
        f"{theirs['python']:,.1f} B | |"
    )
    ours, theirs = (
        macro("pushmetrics", "encode", url),
        macro("prometheus_client", "encode", url),
    )
    row(
        f"text encoding of {SERIES:,} series",
        ours["seconds"] * 1e3,
        theirs["seconds"] * 1e3,
        "ms",
    )
    if url:
        ours, theirs = (
            macro("pushmetrics", "push", url),
            macro("prometheus_client", "push", url),
        )
        row(
            f"push of {SERIES:,} series",
            ours["seconds"] * 1e3,
            theirs["seconds"] * 1e3,
            "ms",
        )
    else:
        print("| push | (skipped: PGW_URL not set) | | |")
    for what, how in [("serve", "plain"), ("serve_gzip", "gzip")]:
        ours, theirs, _ = side_by_side(what, url)
        row(
            f"scrape of {SERIES:,} series by start_http_server, {how}: latency",
            ours["seconds"] * 1e3,
            theirs["seconds"] * 1e3,
            "ms",
        )
        row(
            f"scrape of {SERIES:,} series by start_http_server, {how}: process CPU",
            ours["cpu"] * 1e3,
            theirs["cpu"] * 1e3,
            "ms",
        )

    print("\n| target | measured | limit | verdict |")
    print("| --- | ---: | ---: | --- |")
    for what, measured, limit in [
        ("RSS per series, pushmetrics / prometheus_client", memory_ratio["rss"], 0.2),
    ]:
        verdict = "ok" if measured <= limit else "MISSED"
        print(f"| {what} | {measured:.2f} | {limit:.2f} | {verdict} |")


if __name__ == "__main__":
    main()
