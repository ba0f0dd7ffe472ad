"""One script, run once with prometheus_client and once with pushmetrics, each pushing its
default registry to the real Pushgateway under its own job: the gateway must hold the same
families (names, types, help, labels and values) for both. The process and Python runtime
metrics are compared by name and type (their values are the two processes' own)."""

from __future__ import annotations

import os
import shutil
import subprocess
import urllib.request

import pytest
from conftest import run_script
from prometheus_client.parser import text_string_to_metric_families

SCRIPT = """
import os
import sys

if os.environ["LIB"] == "prometheus_client":
    import prometheus_client as pc
    import prometheus_client.core as core
else:
    import pushmetrics as pc
    import pushmetrics.core as core


class Custom:
    def collect(self):
        yield core.GaugeMetricFamily("compat_queue_depth", "Jobs waiting", value=7)
        c = core.CounterMetricFamily("compat_jobs_total", "Jobs done", labels=["queue"])
        c.add_metric(["mail"], 3)
        c.add_metric(["sms"], 1.5)
        yield c
        h = core.HistogramMetricFamily("compat_latency_seconds", "Latency", labels=["route"])
        h.add_metric(["/"], [("0.1", 1), ("1.0", 3), ("+Inf", 4)], 2.5)
        h.add_metric(["/api"], [("0.1", 0), ("1.0", 0), ("+Inf", 2)], 9.0)
        yield h
        yield core.SummaryMetricFamily("compat_size_bytes", "Sizes", count_value=3, sum_value=42.0)
        info = {"version": "1.2.3", "commit": "abc"}
        yield core.InfoMetricFamily("compat_build", "Build", value=info)
        yield core.StateSetMetricFamily("compat_mode", "Mode", value={"fast": True, "safe": False})


pc.REGISTRY.register(Custom())
g = pc.Gauge("compat_temperature_celsius", "Temperature")
g.set_function(lambda: 21.5)
e = pc.Enum("compat_task_state", "Task state", states=["starting", "running", "stopped"])
e.state("running")
i = pc.Info("compat_version", "Version")
i.info({"version": "9.9", "flavor": "vanilla"})
if os.environ.get("OUT"):
    with open(os.environ["OUT"], "wb") as f:
        f.write(pc.generate_latest(pc.REGISTRY))
pc.push_to_gateway(os.environ["PGW_URL"], job=os.environ["JOB"], registry=pc.REGISTRY)
"""

RUNTIME = ("process_", "python_")


def gateway_families(url: str, job: str) -> dict[str, tuple]:
    """{family name: (type, help, samples)} the gateway holds for `job`; samples as a sorted
    list of (name, labels, value) without the job and instance labels. The gateway's own
    push_time_seconds and push_failure_time_seconds are left out; runtime families keep
    only their type."""
    body = urllib.request.urlopen(url + "/metrics", timeout=5).read().decode()
    out: dict[str, tuple] = {}
    for fam in text_string_to_metric_families(body):
        samples = sorted(
            (
                s.name,
                tuple(sorted((k, v) for k, v in s.labels.items() if k not in ("job", "instance"))),
                s.value,
            )
            for s in fam.samples
            if s.labels.get("job") == job
        )
        if not samples or fam.name.startswith("push_"):
            continue
        if fam.name.startswith(RUNTIME):
            out[fam.name] = (fam.type,)
        else:
            out[fam.name] = (fam.type, fam.documentation, samples)
    return out


def run(lib: str, pgw_url: str, job: str, out: str = "") -> dict[str, tuple]:
    env = {
        "LIB": lib,
        "PGW_URL": pgw_url,
        "JOB": job,
        "OUT": out,
        # pushmetrics sends no _created series; prometheus_client leaves them out with this.
        "PROMETHEUS_DISABLE_CREATED_SERIES": "True",
    }
    run_script(SCRIPT, env)
    return gateway_families(pgw_url, job)


def test_custom_collectors_set_function_enum_info_and_defaults_match_prometheus_client(
    pgw_url: str, job: str
):
    theirs = run("prometheus_client", pgw_url, job + "_pc")
    ours = run("pushmetrics", pgw_url, job + "_pm")
    # Something to compare: every kind of family the script makes is there.
    for name in (
        "compat_queue_depth",
        "compat_jobs",
        "compat_latency_seconds",
        "compat_size_bytes",
        "compat_build_info",
        "compat_mode",
        "compat_temperature_celsius",
        "compat_task_state",
        "compat_version_info",
        "process_cpu_seconds",
        "process_open_fds",
        "process_max_fds",
        "process_virtual_memory_bytes",
        "process_resident_memory_bytes",
        "process_start_time_seconds",
        "python_info",
        "python_gc_objects_collected",
        "python_gc_objects_uncollectable",
        "python_gc_collections",
    ):
        assert name in theirs, f"{name} missing from prometheus_client's push"
    assert ours == theirs
    assert ours["compat_temperature_celsius"][2] == [("compat_temperature_celsius", (), 21.5)]
    assert ours["process_cpu_seconds"] == ("counter",)
    assert ours["python_gc_collections"] == ("counter",)


@pytest.mark.skipif(not shutil.which("promtool"), reason="promtool is not installed")
def test_promtool_accepts_the_exposition_with_collectors_and_defaults(
    pgw_url: str, job: str, tmp_path
):
    out = str(tmp_path / "metrics.prom")
    run("pushmetrics", pgw_url, job, out)
    with open(out, "rb") as f:
        text = f.read()
    for name in (b"compat_jobs_total", b"compat_build_info", b"process_open_fds", b"python_info"):
        assert name in text
    proc = subprocess.run(
        ["promtool", "check", "metrics"],
        input=text,
        capture_output=True,
        check=False,
        env={**os.environ},
    )
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()
