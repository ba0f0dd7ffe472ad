"""Remote write to real receivers: exact values read back from Prometheus and
VictoriaMetrics, several receivers at once with their own stats, staleness markers at
shutdown, and typed errors for bad options."""

from __future__ import annotations

import math
import time

import pushmetrics as pm
import pytest
from conftest import prom_query, prom_samples, vm_export


def write_url(base: str) -> str:
    return base + "/api/v1/write"


def test_remote_write_delivers_exact_counter_histogram_and_summary_values(
    prom_url, job
):
    reg = pm.Registry()
    c = pm.Counter("rw_items_total", "Items", ["kind"], registry=reg)
    h = pm.Histogram("rw_wait_seconds", "Wait", registry=reg, buckets=[0.1, 1.0, 10.0])
    s = pm.Summary("rw_size_bytes", "Size", registry=reg)
    a = c.labels("a")
    for _ in range(1000):
        a.inc()
    c.labels("b").inc(2.5)
    for v in (0.05, 0.5, 0.5, 5.0, 50.0):
        h.observe(v)
    for v in range(1, 101):
        s.observe(v)
    p = pm.Pusher(
        write_url(prom_url),
        job,
        {"instance": "w1"},
        registry=reg,
        interval=60.0,
        target="remote_write",
    )
    try:
        report = p.flush(5.0)
        assert report.requests >= 1 and report.bytes > 0
        got = prom_samples(prom_url, f'{{job="{job}"}}')
        for labels, _ in got.values():
            assert (labels["job"], labels.get("instance")) == (job, "w1"), labels
        values = {k: v for k, (_, v) in got.items()}
        assert values[("rw_items_total", (("kind", "a"),))] == 1000
        assert values[("rw_items_total", (("kind", "b"),))] == 2.5
        buckets = {
            float(dict(labels)["le"]): v
            for (name, labels), v in values.items()
            if name == "rw_wait_seconds_bucket"
        }
        assert buckets == {0.1: 1, 1.0: 3, 10.0: 4, math.inf: 5}
        assert values[("rw_wait_seconds_sum", ())] == pytest.approx(56.05)
        assert values[("rw_wait_seconds_count", ())] == 5
        quantiles = {
            float(dict(labels)["quantile"]): v
            for (name, labels), v in values.items()
            if name == "rw_size_bytes"
        }
        assert set(quantiles) == set(pm.DEFAULT_QUANTILES)
        assert all(1 <= v <= 100 for v in quantiles.values()), quantiles
        assert values[("rw_size_bytes_sum", ())] == 5050
        assert values[("rw_size_bytes_count", ())] == 100

        st = p.stats()
        assert st.pushes_ok >= 1 and st.samples_sent > 0 and st.samples_pending == 0
        assert st.samples_dropped == st.samples_rejected == 0
        [r] = st.receivers
        assert isinstance(r, pm.ReceiverStats)
        assert r.url == write_url(prom_url)
        assert r.samples_sent == st.samples_sent
        assert r.requests >= 1 and r.bytes_sent > 0
        assert r.breaker == "closed" and r.last_error is None
        assert r.consecutive_failures == 0
        assert r.last_success is not None and abs(r.last_success - time.time()) < 60
        d = r.as_dict()
        assert set(d) == {n for n in dir(r) if not n.startswith("_") and n != "as_dict"}
        assert st.as_dict()["receivers"] == [d]
        assert repr(r).startswith("ReceiverStats(url=")
        assert "receivers=[ReceiverStats(" in repr(st)
    finally:
        p.shutdown()


def test_one_pusher_writes_to_prometheus_and_victoriametrics_at_once(
    prom_url, vm_url, job
):
    reg = pm.Registry()
    pm.Counter("rw_both_total", "Both", registry=reg).inc(7)
    urls = [write_url(prom_url), write_url(vm_url)]
    # Read back before shutdown, whose staleness markers would end the series.
    with pm.Pusher(urls, job, registry=reg, interval=60.0, target="remote_write") as p:
        p.flush(5.0)
        st = p.stats()
        assert [r.url for r in st.receivers] == urls
        assert all(r.samples_sent > 0 for r in st.receivers), st.receivers
        assert st.samples_sent == sum(r.samples_sent for r in st.receivers)
        got = prom_samples(prom_url, f'rw_both_total{{job="{job}"}}')
        assert [v for _, v in got.values()] == [7]
        [series] = vm_export(vm_url, f'rw_both_total{{job="{job}"}}')
        assert series["metric"]["job"] == job
        assert series["values"] and set(series["values"]) == {7}


def test_shutdown_ends_written_series_with_staleness_markers(prom_url, job):
    reg = pm.Registry()
    pm.Gauge("rw_last_rows", "Rows", registry=reg).set(42)
    marked = pm.Pusher(
        write_url(prom_url), job, registry=reg, interval=60.0, target="remote_write"
    )
    unmarked = pm.Pusher(
        write_url(prom_url),
        job + "_unmarked",
        registry=reg,
        interval=60.0,
        target="remote_write",
        staleness_markers=False,
    )
    marked.flush(5.0)
    unmarked.flush(5.0)
    time.sleep(0.01)  # the query time below lies strictly after the flushed samples
    before = time.time()
    time.sleep(0.01)
    marked.shutdown()
    unmarked.shutdown()
    query = f'rw_last_rows{{job="{job}"}}'
    assert [v for _, v in prom_samples(prom_url, query, at=before).values()] == [42]
    deadline = time.monotonic() + 3
    while (now := prom_query(prom_url, query)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert now == [], "the series outlived the shutdown"
    kept = prom_samples(prom_url, f'rw_last_rows{{job="{job}_unmarked"}}')
    assert [v for _, v in kept.values()] == [42]


def test_push_to_gateway_takes_the_remote_write_target(prom_url, job):
    reg = pm.Registry()
    pm.Gauge("rw_once", "Once", registry=reg).set(3)
    pm.push_to_gateway(write_url(prom_url), job, reg, target="remote_write", timeout=5)
    got = prom_samples(prom_url, f'rw_once{{job="{job}"}}')
    assert [v for _, v in got.values()] == [3]


def test_bad_remote_write_options_raise_typed_errors_naming_the_value(prom_url, job):
    reg = pm.Registry()
    url = write_url(prom_url)
    rw = {"registry": reg, "target": "remote_write"}
    with pytest.raises(pm.ConfigError, match="nope") as info:
        pm.Pusher(url, job, registry=reg, target="nope")
    assert isinstance(info.value, ValueError)
    with pytest.raises(pm.ConfigError, match=r"max_in_flight\b.*\b0\b"):
        pm.Pusher(url, job, max_in_flight=0, **rw)
    with pytest.raises(pm.ConfigError, match=r"max_samples_per_send\b.*\b0\b"):
        pm.Pusher(url, job, max_samples_per_send=0, **rw)
    with pytest.raises(pm.ConfigError, match=r"max_pending_samples\b.*\b0\b"):
        pm.Pusher(url, job, max_pending_samples=0, **rw)
    # Several receivers are a remote-write feature: a Pushgateway pusher refuses them.
    with pytest.raises(pm.ConfigError, match="127.0.0.1:2"):
        pm.Pusher([url, "http://127.0.0.1:2/api/v1/write"], job, registry=reg)
    with pytest.raises(pm.ConfigError, match="url"):
        pm.Pusher([], job, **rw)
    with pytest.raises(TypeError, match="url"):
        pm.Pusher([url, 3], job, **rw)
    with pytest.raises(TypeError):
        pm.Pusher(url, job, staleness_markers="yes", **rw)
