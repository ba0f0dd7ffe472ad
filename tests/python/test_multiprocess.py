"""Multiprocess mode: a job that fans out to worker processes, however they start, gets
exact totals on the gateway and one group, with nothing left behind; gauges follow their
mode; a worker killed with SIGKILL loses nothing it recorded."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from conftest import gateway_groups, gateway_samples

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="fork and flock")

POOL_JOB = """
import multiprocessing as mp
import os
import sys

from pushmetrics import Counter, Gauge, Histogram, Pusher, Summary, multiprocess

ITEMS = Counter("mp_items_total", "Items processed", ["parity"])
SECONDS = Histogram("mp_item_seconds", "Time per item", buckets=[0.1, 1.0])
SIZES = Summary("mp_item_bytes", "Item sizes")
PIDS = Gauge("mp_worker_pid", "Pid of each worker", multiprocess_mode="all")
LIVE = Gauge("mp_live_workers", "Live workers", multiprocess_mode="livesum")
MAX = Gauge("mp_max_item", "Largest item", multiprocess_mode="max")


def work(i):
    ITEMS.labels("even" if i % 2 == 0 else "odd").inc()
    SECONDS.observe(0.5)
    SIZES.observe(2)
    PIDS.set(os.getpid())
    LIVE.set(1)
    MAX.set(i)
    return i


if __name__ == "__main__":
    method, url, job = sys.argv[1:4]
    d = multiprocess.enable()
    print("dir", d)
    LIVE.set(0)
    pusher = Pusher(url, job, interval=3600.0)
    ctx = mp.get_context(method)
    with ctx.Pool(4) as pool:
        assert sum(pool.map(work, range(1000), chunksize=7)) == 999 * 1000 // 2
    # The pool has ended its workers (terminate(): SIGTERM, no exit hooks). The final
    # push at exit reports every one of them.
"""


def run_job(tmp_path, source: str, *args: str, timeout: float = 120) -> str:
    path = tmp_path / "job.py"
    path.write_text(textwrap.dedent(source))
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PUSHMETRICS_MULTIPROC")
    }
    proc = subprocess.run(
        [sys.executable, str(path), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_a_pool_job_gets_exact_totals_and_one_group_whatever_starts_its_workers(
    pgw_url, job, tmp_path, method
):
    out = run_job(tmp_path, POOL_JOB, method, pgw_url, job)
    got = gateway_samples(pgw_url, job)
    assert got[("mp_items_total", (("parity", "even"),))] == 500
    assert got[("mp_items_total", (("parity", "odd"),))] == 500
    assert got[("mp_item_seconds_count", ())] == 1000
    assert got[("mp_item_seconds_bucket", (("le", "1"),))] == 1000
    assert got[("mp_item_seconds_bucket", (("le", "0.1"),))] == 0
    assert got[("mp_item_seconds_sum", ())] == 500.0
    assert got[("mp_item_bytes_count", ())] == 1000
    assert got[("mp_item_bytes_sum", ())] == 2000
    assert got[("mp_max_item", ())] == 999
    # Every worker has ended: only the owner's 0 is live.
    assert got[("mp_live_workers", ())] == 0
    pids = {dict(k[1])["pid"] for k in got if k[0] == "mp_worker_pid"}
    assert 1 <= len(pids) <= 5
    assert all(
        got[("mp_worker_pid", (("pid", p),))] in (int(p), 0) for p in pids
    ), got
    # One group: no worker pushed one of its own.
    assert gateway_groups(pgw_url, job) == [{"job": job}]
    # The directory the mode made is gone once the job has ended.
    d = next(line.split(" ", 1)[1] for line in out.splitlines() if line.startswith("dir "))
    assert not os.path.exists(d)


PREFORK_JOB = """
import os
import signal
import sys
import time

from pushmetrics import Counter, Gauge, Pusher, multiprocess

REQUESTS = Counter("prefork_requests_total", "Requests served", ["code"])
WORKERS = Gauge("prefork_workers", "Live workers", multiprocess_mode="livesum")


def serve(n):
    WORKERS.set(1)
    for i in range(n):
        REQUESTS.labels("200" if i % 10 else "500").inc()


if __name__ == "__main__":
    url, job, d = sys.argv[1:4]
    multiprocess.enable(d)
    pusher = Pusher(url, job, interval=0.05)
    # Like a prefork server: 3 workers at a time, each restarted after 100 requests
    # (max_requests); 12 workers in all. Every fourth one is killed with SIGKILL once it
    # has served its requests, as an OOM killer or a timeout would.
    started, live = 0, {}
    while started < 12 or live:
        while started < 12 and len(live) < 3:
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(r)
                serve(100)
                os.write(w, b"x")
                if started % 4 == 3:
                    time.sleep(60)  # killed before it gets further
                os._exit(0)
            os.close(w)
            live[pid] = (r, started % 4 == 3)
            started += 1
        for pid, (r, kill) in list(live.items()):
            if os.read(r, 1) and kill:
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(r)
            del live[pid]
    print("live workers at the end", WORKERS.get())
"""


def test_a_prefork_server_with_restarts_and_kills_keeps_exact_totals(
    pgw_url, job, tmp_path
):
    d = tmp_path / "mpdir"
    run_job(tmp_path, PREFORK_JOB, pgw_url, job, str(d))
    got = gateway_samples(pgw_url, job)
    assert got[("prefork_requests_total", (("code", "200"),))] == 12 * 90
    assert got[("prefork_requests_total", (("code", "500"),))] == 12 * 10
    assert got[("prefork_workers", ())] == 0
    assert gateway_groups(pgw_url, job) == [{"job": job}]
    # A directory the application named stays; the files of the job's processes in it
    # are the owner's and the 12 workers'.
    assert len([f for f in os.listdir(d) if f.endswith(".pmdb")]) == 13


def test_a_bad_multiprocess_mode_is_a_typed_error_naming_it():
    import pushmetrics

    with pytest.raises(pushmetrics.ConfigError, match="'livesome'|\"livesome\""):
        pushmetrics.Gauge("g_mode", "G", registry=None, multiprocess_mode="livesome")
    g = pushmetrics.Gauge("g_mode_ok", "G", registry=None, multiprocess_mode="livemax")
    g.set(1)
    assert g.get() == 1


def test_mark_process_dead_is_accepted_as_in_prometheus_client():
    from pushmetrics import multiprocess

    multiprocess.mark_process_dead(12345)
    assert multiprocess.is_worker() is False


SPAWN_WITHOUT_MODE = """
import multiprocessing as mp
import os
import sys

from pushmetrics import Counter, Pusher

WORK = Counter("spawned_work_total", "Work done")
PUSHER = Pusher(os.environ["PGW_URL"], os.environ["JOB"], interval=3600.0)


def work(i):
    WORK.inc()
    PUSHER.flush()
    return os.getpid()


if __name__ == "__main__":
    WORK.inc(100)
    PUSHER.flush()
    with mp.get_context(sys.argv[1]).Pool(2) as pool:
        pids = set(pool.map(work, range(4), chunksize=1))
    print("pids", " ".join(str(p) for p in sorted(pids)))
"""


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_without_the_mode_a_spawned_child_never_overwrites_its_parents_group(
    pgw_url, job, tmp_path, method, monkeypatch
):
    monkeypatch.setenv("PGW_URL", pgw_url)
    monkeypatch.setenv("JOB", job)
    out = run_job(tmp_path, SPAWN_WITHOUT_MODE, method)
    pids = next(line for line in out.splitlines() if line.startswith("pids ")).split()[1:]
    # The parent's group keeps the parent's numbers; each child pushed to a group of its
    # own, as a forked child does.
    assert gateway_samples(pgw_url, job)[("spawned_work_total", ())] == 100
    groups = gateway_groups(pgw_url, job)
    assert {g.get("pid") for g in groups} == {None, *pids}
    total = sum(gateway_samples(pgw_url, job, pid=p)[("spawned_work_total", ())] for p in pids)
    assert total == 4
