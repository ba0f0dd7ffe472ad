"""Registry.set_default_labels: labels every series carries in a push, a textfile and a
scrape, collected families included, as prom-client's setDefaultLabels."""

from __future__ import annotations

import pushmetrics as pm
import pytest
from conftest import gateway_samples


class Queues:
    def collect(self):
        g = pm.GaugeMetricFamily("py_dl_queue_depth", "Q", labels=["queue"])
        g.add_metric(["mail"], 3)
        return [g]


def test_default_labels_reach_the_gateway_on_every_series_own_labels_win(pgw_url, job):
    reg = pm.Registry()
    c = pm.Counter("py_dl_items_total", "Items", ["env"], registry=reg)
    c.labels("dev").inc(2)
    pm.Gauge("py_dl_temp", "Temp", registry=reg).set(20)
    reg.register(Queues())
    reg.set_default_labels({"region": "eu", "env": "prod", "instance": "ignored"})
    with pm.Pusher(pgw_url, job, {"instance": "w1"}, registry=reg, interval=60.0) as p:
        p.flush(5.0)
    got = gateway_samples(pgw_url, job, instance="w1")
    # The series' own `env` wins; the grouping label `instance` wins on the gateway.
    assert got[("py_dl_items_total", (("env", "dev"), ("region", "eu")))] == 2
    assert got[("py_dl_temp", (("env", "prod"), ("region", "eu")))] == 20
    assert (
        got[("py_dl_queue_depth", (("env", "prod"), ("queue", "mail"), ("region", "eu")))]
        == 3
    )
    # Self-metrics come from the pusher, not from this registry.
    assert all(
        ("region", "eu") in labels for name, labels in got if name.startswith("py_dl_")
    )


def test_default_labels_are_replaced_cleared_and_checked_by_name():
    reg = pm.Registry()
    pm.Counter("py_dl_jobs_total", "Jobs", registry=reg).inc()
    reg.set_default_labels({"a": "1"})
    reg.set_default_labels({"b": 2})
    text = pm.generate_latest(reg).decode()
    assert 'py_dl_jobs_total{b="2"} 1\n' in text and 'a="1"' not in text
    for bad in ["le", "quantile", "__x", "1a"]:
        with pytest.raises(pm.InvalidNameError, match=repr(bad).replace("'", '"')):
            reg.set_default_labels({"ok": "x", bad: "v"})
        with pytest.raises(ValueError):
            reg.set_default_labels({bad: "v"})
    with pytest.raises(TypeError, match="int"):
        reg.set_default_labels({1: "v"})
    # A refused set leaves the previous one.
    assert 'py_dl_jobs_total{b="2"} 1\n' in pm.generate_latest(reg).decode()
    reg.set_default_labels({})
    assert "py_dl_jobs_total 1\n" in pm.generate_latest(reg).decode()
