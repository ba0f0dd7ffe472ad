"""Pushing to a real Pushgateway: the background pusher, its stats, the prometheus_client
push functions, and the GIL staying free while the network is waited on."""

from __future__ import annotations

import contextlib
import threading
import time

import pushmetrics as pm
import pytest
from conftest import gateway_groups_when_settled, gateway_samples


def test_pusher_flush_delivers_exact_values_and_reports_stats(pgw_url, job):
    reg = pm.Registry()
    c = pm.Counter("items_total", "Items", ["kind"], registry=reg)
    g = pm.Gauge("temp", "Temp", registry=reg)
    c.labels("a").inc(41)
    c.labels("a").inc()
    g.set(-3.5)
    p = pm.Pusher(pgw_url, job, {"instance": "w1"}, registry=reg, interval=60.0)
    report = p.flush(5.0)
    assert report.requests == 1 and report.bytes > 0 and report.series >= 2
    assert report.duration >= 0 and "FlushReport(" in repr(report)
    got = gateway_samples(pgw_url, job, instance="w1")
    assert got[("items_total", (("kind", "a"),))] == 42
    assert got[("temp", ())] == -3.5
    st = p.stats()
    assert st.pushes_ok == 1 and st.pushes_failed == 0 and st.requests == 1
    assert st.breaker == "closed" and st.last_error is None
    assert st.last_success is not None and abs(st.last_success - time.time()) < 60
    assert st.bytes_sent > 0 and st.series >= 2 and st.last_push_duration is not None
    d = st.as_dict()
    assert set(d) == {n for n in dir(st) if not n.startswith("_") and n != "as_dict"}
    assert "pushes_ok=1" in repr(st)
    assert p.healthy()
    assert "job@base64" in p.url
    p.shutdown()
    assert p.is_shut_down
    p.shutdown()  # idempotent
    with pytest.raises(pm.ShutdownError):
        p.flush(1.0)


def test_context_manager_makes_the_final_push(pgw_url, job):
    reg = pm.Registry()
    c = pm.Counter("cm_total", "CM", registry=reg)
    with pm.Pusher(pgw_url, job, registry=reg, interval=60.0, self_metrics=False) as p:
        c.inc(7)
    assert p.is_shut_down
    got = gateway_samples(pgw_url, job)
    assert got[("cm_total", ())] == 7
    assert not any(name.startswith("pushmetrics_") for name, _ in got)


def test_grouping_key_values_with_slashes_and_options_reach_the_gateway(pgw_url, job):
    reg = pm.Registry()
    pm.Gauge("g", "G", registry=reg).set(1)
    with pm.Pusher(
        pgw_url,
        job,
        grouping={"path": "a/b"},
        registry=reg,
        gzip=True,
        format="protobuf",
        method="POST",
        headers={"X-Test": "1"},
        jitter=0.0,
    ) as p:
        p.flush(5.0)
    assert gateway_samples(pgw_url, job, path="a/b")[("g", ())] == 1
    with pytest.raises(TypeError, match="grouping_key or grouping"):
        pm.Pusher(pgw_url, job, {"a": "1"}, grouping={"b": "2"}, registry=reg)


def test_push_pushadd_and_delete_from_gateway(pgw_url, job):
    reg = pm.Registry()
    a = pm.Counter("a_total", "A", registry=reg)
    a.inc(3)
    pm.push_to_gateway(pgw_url, job, reg, grouping_key={"instance": "x"})
    assert gateway_samples(pgw_url, job, instance="x")[("a_total", ())] == 3
    other = pm.Registry()
    pm.Gauge("b", "B", registry=other).set(2)
    # POST replaces only the pushed families: a_total stays.
    pm.pushadd_to_gateway(pgw_url.replace("http://", ""), job, other, {"instance": "x"})
    got = gateway_samples(pgw_url, job, instance="x")
    assert got[("a_total", ())] == 3 and got[("b", ())] == 2
    # PUT replaces the group.
    pm.push_to_gateway(pgw_url, job, other, grouping_key={"instance": "x"}, timeout=5)
    assert ("a_total", ()) not in gateway_samples(pgw_url, job, instance="x")
    pm.delete_from_gateway(pgw_url, job, grouping_key={"instance": "x"})
    assert gateway_groups_when_settled(pgw_url, job) == []


def test_push_errors_are_typed_and_name_the_problem(pgw_url, hung_server, job):
    reg = pm.Registry()
    with pytest.raises(TypeError, match="handler"):
        pm.push_to_gateway(pgw_url, job, reg, handler=lambda *a: None)
    with pytest.raises(pm.ConfigError, match="ftp"):
        pm.push_to_gateway("ftp://x", job, reg)
    with pytest.raises(pm.ConfigError, match="job"):
        pm.Pusher(pgw_url, "", registry=reg)
    with pytest.raises(pm.InvalidNameError, match="bad-label"):
        pm.push_to_gateway(pgw_url, job, reg, grouping_key={"bad-label": "1"})
    with pytest.raises(TypeError, match="no_such_option"):
        pm.Pusher(pgw_url, job, registry=reg, no_such_option=1)
    with pytest.raises(pm.ConfigError, match="client_cert"):
        pm.Pusher(pgw_url, job, registry=reg, client_cert="/x.pem")
    with pytest.raises(pm.ConfigError, match="ca_file_only"):
        pm.Pusher(pgw_url, job, registry=reg, ca_file_only=True, ignore_env=True)
    with pytest.raises(pm.ConfigError, match="PATCH"):
        pm.Pusher(pgw_url, job, registry=reg, method="PATCH")
    start = time.monotonic()
    with pytest.raises(pm.PushError) as info:
        pm.push_to_gateway(hung_server, job, reg, timeout=0.5)
    assert isinstance(info.value, OSError)
    assert time.monotonic() - start < 5
    refused = "http://127.0.0.1:1"
    with pytest.raises(pm.PushError):
        pm.delete_from_gateway(refused, job, timeout=1, max_attempts=1)


def test_flush_to_a_hung_gateway_times_out_and_other_threads_keep_running(
    hung_server, job
):
    reg = pm.Registry()
    c = pm.Counter("busy_total", "B", registry=reg)
    p = pm.Pusher(hung_server, job, registry=reg, interval=60.0, request_timeout=30.0)
    ticks = 0
    stop = threading.Event()

    def hot_loop():
        nonlocal ticks
        while not stop.is_set():
            c.inc()
            ticks += 1

    t = threading.Thread(target=hot_loop, daemon=True)
    t.start()
    try:
        time.sleep(0.05)
        before = ticks
        start = time.monotonic()
        # A flush bounded at 1 s: either the wait times out or the push thread reports the
        # request that ran out of its deadline, whichever the clock decides first.
        with pytest.raises((pm.FlushTimeoutError, pm.PushError)):
            p.flush(1.0)
        took = time.monotonic() - start
        during = ticks - before
    finally:
        stop.set()
        t.join()
    assert took < 3
    # The GIL was free while flush() waited: the other thread kept recording.
    assert during > 1000
    start = time.monotonic()
    with pytest.raises((pm.FlushTimeoutError, pm.PushError)):
        p.shutdown(0.5)  # the final flush fails within its bound
    assert time.monotonic() - start < 3
    assert c.get() == ticks


def test_failed_pushes_show_in_stats_and_health(job):
    reg = pm.Registry()
    p = pm.Pusher(
        "http://127.0.0.1:1",
        job,
        registry=reg,
        interval=0.2,
        max_attempts=1,
        jitter=0.0,
    )
    with pytest.raises(pm.PushError):
        p.flush(2.0)
    st = p.stats()
    assert st.pushes_failed >= 1 and st.consecutive_failures >= 1
    assert "refused" in st.last_error
    with pytest.raises(pm.PushError, match="refused"):
        p.shutdown(0.5)  # the final flush's failure is reported


def test_a_push_thread_pushes_on_its_interval_without_flush(pgw_url, job):
    reg = pm.Registry()
    pm.Gauge("ticks", "T", registry=reg).set(5)
    p = pm.Pusher(pgw_url, job, registry=reg, interval=0.2, jitter=0.0)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and p.stats().pushes_ok < 2:
        time.sleep(0.05)
    assert p.stats().pushes_ok >= 2
    assert gateway_samples(pgw_url, job)[("ticks", ())] == 5
    p.shutdown()


def test_shutdown_without_a_timeout_uses_the_bound_the_environment_sets(
    hung_server, job, monkeypatch
):
    reg = pm.Registry()
    monkeypatch.delenv("PUSHMETRICS_SHUTDOWN_TIMEOUT", raising=False)
    default = pm.Pusher(hung_server, job, registry=reg, interval=60.0)
    configured = pm.Pusher(
        hung_server, job, registry=reg, interval=60.0, shutdown_timeout=2.0
    )
    monkeypatch.setenv("PUSHMETRICS_SHUTDOWN_TIMEOUT", "300ms")
    overridden = pm.Pusher(
        hung_server, job, registry=reg, interval=60.0, shutdown_timeout=2.0
    )
    from_env = pm.Pusher(
        hung_server, job, registry=reg, interval=60.0, request_timeout=60.0
    )
    try:
        assert (default.shutdown_timeout, configured.shutdown_timeout) == (5.0, 2.0)
        # The environment overrides the code, as it does for every pusher option.
        assert overridden.shutdown_timeout == from_env.shutdown_timeout == 0.3
        start = time.monotonic()
        with pytest.raises((pm.FlushTimeoutError, pm.PushError)):
            from_env.shutdown()  # the final flush to a gateway that never answers
        assert time.monotonic() - start < 3, "shutdown() waited past its 0.3 s bound"
    finally:
        for p in (default, configured, overridden, from_env):
            with contextlib.suppress(pm.Error):
                p.shutdown(0.1)


def test_removed_and_cleared_series_leave_the_gateway_at_the_next_push(pgw_url, job):
    reg = pm.Registry()
    c = pm.Counter("jobs_total", "Jobs", ["queue"], registry=reg)
    h = pm.Histogram("wait_seconds", "Wait", ["queue"], registry=reg, buckets=[1.0])
    for q in ("fast", "slow"):
        c.labels(q).inc(3)
        h.labels(q).observe(0.5)
    with pm.Pusher(pgw_url, job, registry=reg, interval=60.0, method="PUT") as p:
        p.flush(5.0)
        got = gateway_samples(pgw_url, job)
        assert got[("jobs_total", (("queue", "slow"),))] == 3
        assert got[("wait_seconds_count", (("queue", "slow"),))] == 1
        assert c.remove("slow") and h.remove("slow")
        p.flush(5.0)
        got = gateway_samples(pgw_url, job)
        assert got[("jobs_total", (("queue", "fast"),))] == 3
        assert ("jobs_total", (("queue", "slow"),)) not in got
        assert ("wait_seconds_count", (("queue", "slow"),)) not in got
        c.clear()
        c.labels("slow").inc()  # back, counted from zero
        p.flush(5.0)
        got = gateway_samples(pgw_url, job)
        assert [k for k in got if k[0] == "jobs_total"] == [
            ("jobs_total", (("queue", "slow"),))
        ]
        assert got[("jobs_total", (("queue", "slow"),))] == 1
        assert got[("wait_seconds_count", (("queue", "fast"),))] == 1
