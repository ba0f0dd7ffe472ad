"""Recording through the Python classes: prometheus_client's call shapes, the core's
options, and every error with the value it names."""

from __future__ import annotations

import asyncio
import math

import pushmetrics as pm
import pytest
from prometheus_client.parser import text_string_to_metric_families


def samples(reg: pm.Registry) -> dict[tuple[str, tuple], float]:
    text = pm.generate_latest(reg)
    assert isinstance(text, bytes)
    out = {}
    for fam in text_string_to_metric_families(text.decode()):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_counter_with_labels_by_position_and_by_name_counts_into_one_series():
    reg = pm.Registry()
    c = pm.Counter("requests_total", "Requests", ["method", "code"], registry=reg)
    c.labels("GET", "200").inc()
    c.labels(method="GET", code="200").inc(2.5)
    c.labels("GET", 500).inc()  # non-str values go through str(), as prometheus_client
    assert c.labels("GET", "200").get() == 3.5
    s = samples(reg)
    assert s[("requests_total", (("code", "200"), ("method", "GET")))] == 3.5
    assert s[("requests_total", (("code", "500"), ("method", "GET")))] == 1.0
    assert c.name == "requests_total" and c.labelnames == ["method", "code"]
    assert c.documentation == "Requests"


def test_unlabelled_metrics_record_directly():
    reg = pm.Registry()
    c = pm.Counter("done_total", "Done", registry=reg)
    g = pm.Gauge("depth", "Depth", registry=reg)
    h = pm.Histogram("lat_seconds", "Latency", registry=reg, buckets=[0.1, 1.0])
    s = pm.Summary("size_bytes", "Size", registry=reg, quantiles=[0.5])
    c.inc()
    c.inc(2)
    g.set(10)
    g.inc()
    g.dec(3)
    for v in (0.05, 0.5, 5.0):
        h.observe(v)
    for v in range(1, 101):
        s.observe(v)
    assert c.get() == 3.0 and g.get() == 8.0
    assert (h.count(), h.sum()) == (3, 5.55)
    assert s.count() == 100 and s.sum() == 5050
    assert abs(s.quantile(0.5) - 50) <= 1
    x = samples(reg)
    assert x[("done_total", ())] == 3
    assert x[("depth", ())] == 8
    assert x[("lat_seconds_bucket", (("le", "0.1"),))] == 1
    assert x[("lat_seconds_bucket", (("le", "1.0"),))] == 2
    assert x[("lat_seconds_bucket", (("le", "+Inf"),))] == 3
    assert x[("lat_seconds_count", ())] == 3
    assert x[("size_bytes_count", ())] == 100
    assert x[("size_bytes_sum", ())] == 5050


def test_set_to_current_time_sets_unix_seconds():
    import time

    g = pm.Gauge("t_seconds", "T", registry=pm.Registry())
    g.set_to_current_time()
    assert abs(g.get() - time.time()) < 5


def test_namespace_subsystem_and_unit_build_the_full_name():
    reg = pm.Registry()
    g = pm.Gauge(
        "queue", "Q", namespace="app", subsystem="io", unit="bytes", registry=reg
    )
    assert g.name == "app_io_queue_bytes"
    h = pm.Histogram("lat_seconds", "L", unit="seconds", registry=reg)
    assert h.name == "lat_seconds"


def test_same_definition_returns_the_same_metric_and_a_different_one_is_refused():
    reg = pm.Registry()
    a = pm.Counter("x_total", "X", ["k"], registry=reg)
    b = pm.Counter("x_total", "X", ["k"], registry=reg)
    a.labels("v").inc()
    assert b.labels("v").get() == 1
    with pytest.raises(pm.DuplicateMetricError, match="x_total"):
        pm.Gauge("x_total", "X", ["k"], registry=reg)
    with pytest.raises(ValueError):
        pm.Counter("x_total", "other help", ["k"], registry=reg)


def test_default_registry_and_private_registry():
    c = pm.Counter("pm_test_default_total", "In REGISTRY")
    c.inc()
    assert b"pm_test_default_total 1" in pm.generate_latest()
    assert b"pm_test_default_total" in pm.generate_latest(pm.REGISTRY)
    private = pm.Counter("pm_test_private_total", "Nowhere", registry=None)
    private.inc()
    assert b"pm_test_private_total" not in pm.generate_latest()
    assert pm.REGISTRY.unregister("pm_test_default_total")
    assert pm.CollectorRegistry is pm.Registry


@pytest.mark.parametrize(
    "make, exc, needle",
    [
        (
            lambda r: pm.Counter("bad-name", "h", registry=r),
            pm.InvalidNameError,
            "bad-name",
        ),
        (
            lambda r: pm.Counter("ok", "h", ["__x"], registry=r),
            pm.InvalidNameError,
            "__x",
        ),
        (
            lambda r: pm.Histogram("h", "h", ["le"], registry=r),
            pm.InvalidNameError,
            "le",
        ),
        (
            lambda r: pm.Counter("ok", "h", ["a", "a"], registry=r),
            pm.InvalidNameError,
            "a",
        ),
        (
            lambda r: pm.Histogram("h", "h", registry=r, buckets=[2, 1]),
            pm.ConfigError,
            "2 is followed by 1",
        ),
        (
            lambda r: pm.Summary("s", "h", registry=r, quantiles=[1.5]),
            pm.ConfigError,
            "1.5",
        ),
        (
            lambda r: pm.Histogram("h", "h", registry=r, buckets=range(5000)),
            pm.ConfigError,
            "5000 buckets",
        ),
        (
            lambda r: pm.Summary("s", "h", registry=r, quantiles=[0.5] * 300),
            pm.ConfigError,
            "300 quantiles",
        ),
        (
            lambda r: pm.Counter("c", "h", registry=r, sampling=("probability", 2.0)),
            pm.ConfigError,
            "2",
        ),
        (
            lambda r: pm.Counter("c", "h", registry=r, sampling="often"),
            pm.ConfigError,
            "often",
        ),
        (
            lambda r: pm.Counter("c", "h", ["a"], registry=r, hashed_labels={"b": 4}),
            pm.LabelError,
            "b",
        ),
        (lambda r: pm.Registry(max_label_value_length=3), pm.ConfigError, "3"),
        (lambda r: pm.Registry(series_ttl=-1.0), pm.ConfigError, "-1"),
    ],
)
def test_invalid_definitions_raise_typed_errors_naming_the_value(make, exc, needle):
    with pytest.raises(exc, match=needle) as info:
        make(pm.Registry())
    assert isinstance(info.value, pm.Error)


def test_recording_errors_name_the_metric_and_value():
    reg = pm.Registry()
    c = pm.Counter("c_total", "C", ["a", "b"], registry=reg)
    with pytest.raises(pm.LabelError, match="c_total"):
        c.inc()  # a labelled metric needs its values
    with pytest.raises(pm.LabelError, match="2 label name"):
        c.labels("only-one")
    with pytest.raises(pm.LabelError, match="nope"):
        c.labels(a="1", nope="2")
    with pytest.raises(pm.LabelError):
        c.labels("1", b="2")
    with pytest.raises(pm.LabelError, match="2 label name"):
        c.labels()
    with pytest.raises(pm.LabelError, match="2 label name"):
        c.labels("1", "2", "3")
    with pytest.raises(pm.InvalidValueError, match="-1"):
        c.labels("1", "2").inc(-1)
    with pytest.raises(ValueError, match="NaN"):
        pm.Histogram("h", "H", registry=reg).observe(math.nan)
    with pytest.raises(pm.LabelError, match="c_total"):
        c.labels("1", "2").labels("x")
    with pytest.raises(pm.LabelError):
        pm.Gauge("g", "G", registry=reg).labels("x")
    with pytest.raises(AttributeError):
        _ = c.labels("1", "2").documentation
    with pytest.raises(TypeError):
        c.labels("1", "2").inc("one")


def test_sampling_keeps_estimates_unbiased_and_helper_equals_tuple_form():
    assert pm.Sampling.every_nth(10) == pm.Sampling.every_nth(10)
    assert "every_nth(10)" in repr(pm.Sampling.every_nth(10))
    reg = pm.Registry()
    a = pm.Counter("a_total", "A", registry=reg, sampling=pm.Sampling.every_nth(10))
    b = pm.Counter("b_total", "B", registry=reg, sampling=("every_nth", 10))
    for _ in range(1000):
        a.inc()
        b.inc()
    assert a.get() == b.get() == 1000
    stats = reg.guard_stats()
    assert stats["a_total"]["sampled_seen"] == 1000
    assert stats["a_total"]["sampled_kept"] == 100
    pm.Histogram("p", "P", registry=reg, sampling=pm.Sampling.probability(0.5))
    pm.Summary("q", "Q", registry=reg, sampling=pm.Sampling.adaptive(100.0))
    pm.Counter("al_total", "A", registry=reg, sampling=pm.Sampling.always())


def test_cardinality_options_fold_hash_and_drop_labels():
    reg = pm.Registry(max_series_per_metric=1000)
    c = pm.Counter(
        "u_total",
        "U",
        ["user", "trace", "route"],
        registry=reg,
        max_series=5,
        hashed_labels={"user": 2},
        dropped_labels=("trace",),
    )
    for i in range(100):
        c.labels(f"user{i}", f"t{i}", "/").inc()
    s = samples(reg)
    assert sum(v for (n, _), v in s.items() if n == "u_total") == 100
    assert all(dict(labels).keys() == {"user", "route"} for (_, labels) in s)
    assert len(s) <= 2
    capped = pm.Counter("cap_total", "Cap", ["k"], registry=reg, max_series=3)
    for i in range(10):
        capped.labels(str(i)).inc()
    s = samples(reg)
    assert s[("cap_total", (("k", "__overflow__"),))] == 7
    assert reg.guard_stats()["cap_total"]["overflowed"] == 7
    assert reg.series_count() >= 3


def test_long_label_values_are_cut_with_a_hash_suffix():
    reg = pm.Registry(max_label_value_length=32)
    c = pm.Counter("l_total", "L", ["v"], registry=reg)
    c.labels("x" * 100 + "a").inc()
    c.labels("x" * 100 + "b").inc()
    values = [dict(labels)["v"] for (n, labels) in samples(reg) if n == "l_total"]
    assert len(values) == 2 and all(len(v) <= 32 for v in values)


def test_const_labels_appear_on_every_series():
    reg = pm.Registry()
    pm.Gauge("cg", "C", registry=reg, const_labels={"service": "api"}).set(1)
    assert samples(reg)[("cg", (("service", "api"),))] == 1


def test_registry_reset_zeroes_counters_but_keeps_gauges():
    reg = pm.Registry()
    c = pm.Counter("r_total", "R", registry=reg)
    g = pm.Gauge("rg", "R", registry=reg)
    c.inc(5)
    g.set(7)
    reg.reset()
    assert (c.get(), g.get()) == (0, 7)
    assert "series=" in repr(reg)


def test_series_ttl_evicts_idle_series_that_no_handle_holds():
    reg = pm.Registry(series_ttl=1.0)
    c = pm.Counter("ttl_total", "T", ["k"], registry=reg)
    c.labels("gone").inc()
    held = c.labels("kept")
    held.inc()
    import time

    pm.generate_latest(reg)  # the first snapshot marks both idle
    time.sleep(2.1)
    pm.generate_latest(reg)
    s = samples(reg)
    assert ("ttl_total", (("k", "kept"),)) in s
    assert ("ttl_total", (("k", "gone"),)) not in s


def test_time_is_a_context_manager_and_a_decorator_for_sync_and_async_functions():
    reg = pm.Registry()
    h = pm.Histogram("t_seconds", "T", ["op"], registry=reg)
    s = pm.Summary("ts_seconds", "T", registry=reg)
    g = pm.Gauge("tg_seconds", "T", registry=reg)
    with h.labels("with").time():
        pass

    @h.labels("deco").time()
    def work(x):
        return x * 2

    @s.time()
    async def awork():
        return 7

    with g.time():
        pass
    assert work(2) == 4 and work(3) == 6
    assert work.__name__ == "work"
    assert asyncio.run(awork()) == 7
    assert h.labels("with").count() == 1
    assert h.labels("deco").count() == 2
    assert s.count() == 1
    assert 0 <= g.get() < 1
    with pytest.raises(pm.LabelError):
        h.time()  # the parent of a labelled histogram is not a series


def test_track_inprogress_and_count_exceptions():
    reg = pm.Registry()
    g = pm.Gauge("inprog", "I", registry=reg)
    c = pm.Counter("errors_total", "E", registry=reg)
    with g.track_inprogress():
        assert g.get() == 1
    assert g.get() == 0

    @g.track_inprogress()
    def busy():
        return g.get()

    assert busy() == 1
    with pytest.raises(KeyError), c.count_exceptions(KeyError):
        raise KeyError("x")
    with pytest.raises(ValueError), c.count_exceptions(KeyError):
        raise ValueError("not counted")

    @c.count_exceptions()
    def fail():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fail()
    assert c.get() == 2


def test_generate_latest_round_trips_through_prometheus_client_parser():
    reg = pm.Registry()
    c = pm.Counter("rt_total", "Round trip", ["path"], registry=reg)
    c.labels('a "quoted"\nvalue\\').inc(3)
    h = pm.Histogram("rt_seconds", "Round trip", registry=reg, buckets=[1.0])
    h.observe(0.5)
    fams = {
        f.name: f
        for f in text_string_to_metric_families(pm.generate_latest(reg).decode())
    }
    assert fams["rt"].type == "counter"
    assert fams["rt"].documentation == "Round trip"
    (sample,) = fams["rt"].samples
    assert sample.labels == {"path": 'a "quoted"\nvalue\\'} and sample.value == 3
    assert fams["rt_seconds"].type == "histogram"
    assert pm.CONTENT_TYPE_LATEST.startswith("text/plain; version=0.0.4")
    assert pm.DEFAULT_BUCKETS[0] == 0.005 and pm.DEFAULT_QUANTILES == [0.5, 0.9, 0.99]


@pytest.mark.parametrize(
    "make, record",
    [
        (lambda r: pm.Counter("rm_total", "R", ["k", "v"], registry=r), "inc"),
        (lambda r: pm.Gauge("rm", "R", ["k", "v"], registry=r), "inc"),
        (lambda r: pm.Histogram("rm_seconds", "R", ["k", "v"], registry=r), "observe"),
        (lambda r: pm.Summary("rm_bytes", "R", ["k", "v"], registry=r), "observe"),
    ],
)
def test_remove_drops_one_series_and_clear_drops_all(make, record):
    reg = pm.Registry()
    m = make(reg)

    def series() -> set[tuple]:
        return {labels for (_, labels) in samples(reg) if ("k", "a") in labels}

    for k in ("a", "b"):
        getattr(m.labels(k, "1"), record)(1)
    getattr(m.labels("a", 2), record)(1)
    assert {dict(x)["v"] for x in series()} == {"1", "2"}
    assert m.remove("a", "1") is True
    assert m.remove("a", "1") is False  # already gone
    assert m.remove("a", 2) is True  # values go through str(), as in labels()
    assert series() == set()
    assert any(("k", "b") in labels for (_, labels) in samples(reg))
    # The same label values again make a new series, reported from zero.
    getattr(m.labels("a", "1"), record)(1)
    assert {dict(x)["v"] for x in series()} == {"1"}
    m.clear()
    assert samples(reg) == {}
    assert reg.series_count() == 0
    getattr(m.labels("b", "1"), record)(1)
    assert any(("k", "b") in labels for (_, labels) in samples(reg))
    with pytest.raises(pm.LabelError, match="2 label name"):
        m.remove("a")
    with pytest.raises(pm.LabelError, match=m.name):
        m.labels("b", "1").remove("b", "1")
    with pytest.raises(pm.LabelError, match=m.name):
        m.labels("b", "1").clear()


def test_remove_and_clear_on_a_metric_without_labels_raise_naming_it():
    c = pm.Counter("plain_total", "P", registry=pm.Registry())
    with pytest.raises(pm.LabelError, match="plain_total"):
        c.remove()
    with pytest.raises(pm.LabelError, match="plain_total"):
        c.clear()
    assert isinstance(
        pm.LabelError("x"), ValueError
    )  # prometheus_client raises ValueError


def test_remove_through_another_handle_of_the_same_metric_is_seen_by_every_handle():
    reg = pm.Registry()
    a = pm.Counter("shared_rm_total", "S", ["k"], registry=reg)
    b = pm.Counter("shared_rm_total", "S", ["k"], registry=reg)
    a.labels("x").inc(5)
    b.labels("x").inc()
    assert a.remove("x")
    b.labels("x").inc()
    assert samples(reg)[("shared_rm_total", (("k", "x"),))] == 1


def test_remove_of_a_hashed_value_drops_the_bucket_every_value_in_it_shares():
    reg = pm.Registry()
    c = pm.Counter("h_total", "H", ["user"], registry=reg, hashed_labels={"user": 1})
    c.labels("u1").inc()
    c.labels("u2").inc()  # the same (only) bucket
    assert samples(reg)[("h_total", (("user", "0"),))] == 2
    assert c.remove("u1")
    c.labels("u2").inc()
    assert samples(reg)[("h_total", (("user", "0"),))] == 1


def test_removing_series_frees_room_the_registry_limit_had_folded_into_overflow():
    reg = pm.Registry(max_series=2)
    full = pm.Counter("full_total", "F", ["k"], registry=reg)
    later = pm.Counter("later_total", "L", ["k"], registry=reg)
    full.labels("a").inc()
    full.labels("b").inc()
    later.labels("x").inc()  # no room left: folded into the overflow series
    assert samples(reg)[("later_total", (("k", "__overflow__"),))] == 1
    full.clear()
    later.labels("x").inc()  # room again: the series of its own
    assert samples(reg)[("later_total", (("k", "x"),))] == 1


def test_a_labels_child_reports_its_metric_name():
    reg = pm.Registry()
    h = pm.Histogram("op_seconds", "Op", ["op"], namespace="app", registry=reg)
    child = h.labels("read")
    assert child.name == h.name == "app_op_seconds"
    assert repr(child) == '<pushmetrics.Histogram series of "app_op_seconds">'
    with pytest.raises(AttributeError, match="ask the metric"):
        _ = child.labelnames


def test_labels_hands_out_the_same_child_again_up_to_a_bound():
    reg = pm.Registry()
    c = pm.Counter("kept_total", "K", ["a", "b"], registry=reg)
    child = c.labels("x", "y")
    assert c.labels("x", "y") is child
    c.labels("x", "y").inc()
    assert child.get() == 1
    # Keyword values, non-str values and other metric objects resolve through the core,
    # into the same series.
    assert c.labels(a="x", b="y") is not child
    c.labels(a="x", b="y").inc()
    assert c.labels("x", 7) is not c.labels("x", 7)
    assert (
        pm.Counter("kept_total", "K", ["a", "b"], registry=reg).labels("x", "y").get()
        == 2
    )
    for i in range(2000):
        c.labels("k", str(i)).inc()
    assert c.labels("k", "0") is c.labels("k", "0")
    assert c.labels("k", "1999") is not c.labels("k", "1999")  # past the bound
    assert sum(v for (n, _), v in samples(reg).items() if n == "kept_total") == 2002
    assert c.remove("x", "y")
    assert c.labels("x", "y") is not child


def test_no_child_is_kept_under_a_series_ttl_or_when_the_metric_samples():
    ttl = pm.Registry(series_ttl=60.0)
    c = pm.Counter("ttl_kept_total", "T", ["k"], registry=ttl)
    assert c.labels("a") is not c.labels("a")
    reg = pm.Registry()
    s = pm.Counter(
        "s_total", "S", ["k"], registry=reg, sampling=pm.Sampling.every_nth(2)
    )
    h = pm.Histogram(
        "s_seconds", "S", ["k"], registry=reg, sampling=("probability", 0.5)
    )
    assert s.labels("a") is not s.labels("a")
    assert h.labels("a") is not h.labels("a")
    g = pm.Gauge("g_kept", "G", ["k"], registry=reg)
    assert g.labels("a") is g.labels("a")
