"""Forks under load: threads record on held and labelled series, make and remove series,
observe summaries and render the registry while a push hangs on a gateway that never
answers; every child, from os.fork and from multiprocessing's fork, finishes in time and
counts only what it recorded itself."""

import sys

import pytest
from conftest import run_script

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="fork")


def test_two_hundred_forks_under_load_all_finish(hung_server):
    _, out = run_script(
        """
        # logging first, as nearly every program has it: its fork hook then runs Python
        # code after any hook registered later, and must not find the library's locks held.
        import logging
        import multiprocessing as mp, os, signal, threading, time
        import pushmetrics as pm

        log = logging.getLogger("app")

        held = pm.Counter("held_total", "Held")
        labelled = pm.Counter("labelled_total", "Labelled", ["k"])
        summary = pm.Summary("step_seconds", "Steps", ["k"])
        pusher = pm.Pusher(os.environ["URL"], "fork", interval=0.05, request_timeout=5.0,
                           shutdown_timeout=0.2, jitter=0.0)
        stop = threading.Event()

        def record():
            child = labelled.labels("b")
            while not stop.is_set():
                held.inc()
                labelled.labels("a").inc()
                child.inc()

        def churn():
            i = 0
            while not stop.is_set():
                k = f"new-{i % 64}"
                labelled.labels(k).inc()
                if i % 3 == 0:
                    labelled.remove(k)
                i += 1

        def observe():
            while not stop.is_set():
                summary.labels("a").observe(0.25)
                pm.generate_latest()
                log.debug("observed")

        def work(q):
            # The child's own numbers, from zero.
            held.inc(3)
            labelled.labels("child").inc()
            summary.labels("a").observe(0.5)
            q.put(b"held_total 3" in pm.generate_latest())

        threads = [threading.Thread(target=f, daemon=True) for f in (record, churn, observe)]
        for t in threads:
            t.start()
        ctx = mp.get_context("fork")
        hung = 0
        for batch in range(10):
            pids = []
            for _ in range(10):
                pid = os.fork()
                if pid == 0:
                    held.inc(3)
                    labelled.labels("child").inc()
                    summary.labels("a").observe(0.5)
                    text = pm.generate_latest().decode()
                    os._exit(0 if "held_total 3" in text else 3)
                pids.append(pid)
            qs, procs = [], []
            for _ in range(10):
                q = ctx.SimpleQueue()
                p = ctx.Process(target=work, args=(q,))
                p.start()
                qs.append(q)
                procs.append(p)
            deadline = time.monotonic() + 30
            for pid in pids:
                while True:
                    done, status = os.waitpid(pid, os.WNOHANG)
                    if done:
                        assert os.waitstatus_to_exitcode(status) == 0, status
                        break
                    if time.monotonic() > deadline:
                        os.kill(pid, signal.SIGKILL)
                        os.waitpid(pid, 0)
                        hung += 1
                        break
                    time.sleep(0.005)
            for p, q in zip(procs, qs):
                p.join(max(0.0, deadline - time.monotonic()))
                if p.exitcode is None:
                    p.kill()
                    p.join()
                    hung += 1
                    continue
                assert p.exitcode == 0, p.exitcode
                assert q.get(), "a multiprocessing child counted the parent's numbers"
        stop.set()
        for t in threads:
            t.join()
        print("hung", hung)
        """,
        {"URL": hung_server},
        timeout=300,
    )
    assert "hung 0" in out, out
