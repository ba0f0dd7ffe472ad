"""Whole processes: a job that records and simply exits delivers its numbers, a hung gateway
cannot hold the exit past the shutdown timeout, and forked children push their own group."""

from __future__ import annotations

import sys

import pytest
from conftest import gateway_groups, gateway_samples, run_script


def test_a_job_that_simply_exits_delivers_its_last_numbers(pgw_url, job):
    run_script(
        """
        import os, pushmetrics as pm
        c = pm.Counter("rows_total", "Rows", ["table"])
        h = pm.Histogram("step_seconds", "Step", buckets=[1.0])
        s = pm.Summary("batch_size", "Batch")
        g = pm.Gauge("last_run", "Last")
        pm.Pusher(os.environ["PGW_URL"], os.environ["JOB"], interval=3600.0)
        c.labels("users").inc(1234)
        h.observe(0.25)
        s.observe(10)
        g.set(99)
        """,
        {"PGW_URL": pgw_url, "JOB": job},
    )
    got = gateway_samples(pgw_url, job)
    assert got[("rows_total", (("table", "users"),))] == 1234
    assert got[("step_seconds_count", ())] == 1
    assert got[("step_seconds_bucket", (("le", "1"),))] == 1
    assert got[("batch_size_sum", ())] == 10
    assert got[("last_run", ())] == 99


def test_a_hung_gateway_cannot_hold_the_exit_past_the_shutdown_timeout(
    hung_server, job
):
    took, _ = run_script(
        """
        import os, pushmetrics as pm
        pm.Counter("x_total", "X").inc()
        pm.Pusher(os.environ["URL"], os.environ["JOB"], interval=3600.0,
                  shutdown_timeout=1.0, request_timeout=60.0)
        """,
        {"URL": hung_server, "JOB": job},
    )
    assert took < 1.0 + 4.0, f"exit took {took:.1f}s"


def test_the_exit_honours_pushmetrics_shutdown_timeout_from_the_environment(
    hung_server, job
):
    # No shutdown_timeout option: the 0.5 s bound can only come from the environment,
    # and the default bound (5 s) would show in the exit time.
    took, _ = run_script(
        """
        import os, pushmetrics as pm
        pm.Counter("x_total", "X").inc()
        p = pm.Pusher(os.environ["URL"], os.environ["JOB"], interval=3600.0,
                      request_timeout=60.0)
        assert p.shutdown_timeout == 0.5, p.shutdown_timeout
        """,
        {"URL": hung_server, "JOB": job, "PUSHMETRICS_SHUTDOWN_TIMEOUT": "0.5s"},
    )
    assert took < 0.5 + 2.5, f"exit took {took:.1f}s"


@pytest.mark.skipif(sys.platform == "win32", reason="fork")
def test_a_forked_child_pushes_its_own_group_and_never_counts_the_parents_numbers(
    pgw_url, job
):
    _, out = run_script(
        """
        import os, pushmetrics as pm
        c = pm.Counter("work_total", "Work")
        g = pm.Gauge("state", "State")
        p = pm.Pusher(os.environ["PGW_URL"], os.environ["JOB"], interval=3600.0)
        c.inc(10)
        g.set(1)
        p.flush(5.0)
        pid = os.fork()
        if pid == 0:
            c.inc(3)            # the child's own work, counted from zero
            p.shutdown()        # os._exit skips atexit: push before leaving
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        assert status == 0
        c.inc(5)
        print("child", pid)
        """,
        {"PGW_URL": pgw_url, "JOB": job},
    )
    child = out.split("child ")[1].split()[0]
    groups = gateway_groups(pgw_url, job)
    assert {g.get("pid") for g in groups} == {None, child}
    assert gateway_samples(pgw_url, job, pid=child)[("work_total", ())] == 3
    assert gateway_samples(pgw_url, job, pid=child)[("state", ())] == 1
    parent = {
        k: v
        for k, v in gateway_samples(pgw_url, job).items()
        if "pid" not in dict(k[1])
    }
    assert parent[("work_total", ())] == 15


def test_a_multiprocessing_child_that_returns_delivers_its_numbers(pgw_url, job):
    _, out = run_script(
        """
        import multiprocessing as mp, os, pushmetrics as pm
        c = pm.Counter("tasks_total", "Tasks")

        def task():
            c.inc(4)  # no shutdown call: the child's exit path pushes

        if __name__ == "__main__":
            p = pm.Pusher(os.environ["PGW_URL"], os.environ["JOB"], interval=3600.0)
            c.inc(1)
            proc = mp.get_context("fork").Process(target=task)
            proc.start()
            proc.join()
            assert proc.exitcode == 0
            print("child", proc.pid)
        """,
        {"PGW_URL": pgw_url, "JOB": job},
    )
    child = out.split("child ")[1].split()[0]
    assert gateway_samples(pgw_url, job, pid=child)[("tasks_total", ())] == 4
    parent = {
        k: v
        for k, v in gateway_samples(pgw_url, job).items()
        if "pid" not in dict(k[1])
    }
    assert parent[("tasks_total", ())] == 1


def test_import_loads_no_heavy_standard_modules():
    # A short job pays every import on every run: inspect (with ast and tokenize) and
    # typing together cost about 20 ms, more than the rest of the package.
    import subprocess

    code = (
        "import sys, pushmetrics; "
        "print(' '.join(sorted({'inspect', 'typing', 'ast', 'asyncio'} & set(sys.modules))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert out == "", f"import pushmetrics loaded {out}"
