"""Custom collectors, ``Gauge.set_function``, ``Enum``, ``Info`` and the default collectors:
values computed at collection time, on the thread collecting, a failing collector counted
and logged while the push still goes out."""

from __future__ import annotations

import logging
import threading
import time

import prometheus_client.core
import pushmetrics as pm
import pushmetrics.core as core
import pytest
from conftest import gateway_samples, run_script


class Gauges:
    def __init__(self, value: float = 1.0) -> None:
        self.value = value
        self.threads: list[int] = []

    def collect(self):
        self.threads.append(threading.get_ident())
        yield core.GaugeMetricFamily("collected_value", "A collected gauge", value=self.value)


class Raises:
    def collect(self):
        raise RuntimeError("the database is down")


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def text(reg: pm.Registry) -> str:
    return pm.generate_latest(reg).decode()


def test_a_collector_runs_at_each_collection_and_unregister_stops_it():
    reg = pm.Registry()
    c = Gauges(3.0)
    reg.register(c)
    assert "collected_value 3\n" in text(reg)
    c.value = 4.5
    assert "collected_value 4.5\n" in text(reg)
    with pytest.raises(pm.DuplicateMetricError, match="already registered"):
        reg.register(c)
    with pytest.raises(TypeError, match="collect"):
        reg.register(object())
    assert reg.unregister(c)
    assert not reg.unregister(c)
    assert "collected_value" not in text(reg)


def test_a_collector_that_raises_is_counted_and_logged_and_the_push_goes_out(pgw_url, job):
    reg = pm.Registry()
    pm.Counter("kept_total", "Kept", registry=reg).inc(2)
    good = Gauges(7.0)
    reg.register(good)
    reg.register(Raises())
    handler = Records()
    logger = logging.getLogger("pushmetrics")
    logger.addHandler(handler)
    try:
        with pm.Pusher(pgw_url, job, registry=reg, interval=60.0, self_metrics=False) as p:
            p.flush(5.0)
            samples = gateway_samples(pgw_url, job)
            assert samples[("kept_total", ())] == 2
            assert samples[("collected_value", ())] == 7
            failures = ("pushmetrics_collector_failures_total", (("collector", "Raises"),))
            assert samples[failures] >= 1
            # The push thread called the collector, not this one.
            assert good.threads and threading.get_ident() not in good.threads
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not any(
            "the database is down" in m for m in handler.messages
        ):
            time.sleep(0.05)
        assert any(
            'collector "Raises" failed: RuntimeError: the database is down' in m
            for m in handler.messages
        ), handler.messages
    finally:
        logger.removeHandler(handler)


def test_families_that_are_invalid_or_clash_count_as_failures_never_as_duplicates():
    reg = pm.Registry()
    pm.Gauge("taken", "Registered", registry=reg).set(1)

    class Clashes:
        def collect(self):
            yield core.GaugeMetricFamily("taken", "Collected", value=2)

    class NoInf:
        def collect(self):
            yield core.HistogramMetricFamily("no_inf", "H", buckets=[("1.0", 1)], sum_value=1)

    reg.register(Clashes())
    reg.register(NoInf())
    out = text(reg)
    assert out.count("# TYPE taken gauge") == 1 and "taken 1\n" in out
    assert "no_inf" not in out.replace('collector="NoInf"', "")
    assert 'pushmetrics_collector_failures_total{collector="Clashes"} 1\n' in out
    assert 'pushmetrics_collector_failures_total{collector="NoInf"} 1\n' in out


def test_family_names_on_the_wire_are_prometheus_clients():
    class Named:
        def collect(self):
            yield core.CounterMetricFamily("done_total", "Done", value=1)
            yield core.CounterMetricFamily("started", "Started", value=2, created=123.0)
            yield core.InfoMetricFamily("build_info", "Build", value={"v": "1"})
            yield core.UnknownMetricFamily("mystery", "Unknown", value=3)

    reg = pm.Registry()
    reg.register(Named())
    out = text(reg)
    assert "# TYPE done_total counter\ndone_total 1\n" in out
    assert "# TYPE started_total counter\nstarted_total 2\n" in out
    assert "started_created" not in out
    assert '# TYPE build_info_info gauge\nbuild_info_info{v="1"} 1\n' in out
    assert "# TYPE mystery gauge\nmystery 3\n" in out
    assert "pushmetrics_collector_failures_total" not in out


def test_two_collectors_of_one_class_are_told_apart():
    reg = pm.Registry()
    reg.register(Raises())
    reg.register(Raises())
    out = text(reg)
    assert 'collector="Raises"} 1\n' in out and 'collector="Raises#2"} 1\n' in out


def test_set_function_is_read_at_collection_and_replaced_by_a_later_call():
    reg = pm.Registry()
    g = pm.Gauge("queue_size", "Queue", registry=reg)
    items = [1, 2, 3]
    g.set_function(lambda: len(items))
    assert "queue_size 3\n" in text(reg)
    items.append(4)
    assert "queue_size 4\n" in text(reg)
    g.set_function(lambda: 10)
    assert "queue_size 10\n" in text(reg)

    def broken() -> float:
        raise ValueError("no queue")

    g.set_function(broken)
    out = text(reg)
    assert "queue_size 10\n" in out  # the last value it had
    assert 'pushmetrics_collector_failures_total{collector="queue_size.set_function"} 1' in out

    labelled = pm.Gauge("per_queue", "Per queue", ["queue"], registry=reg)
    with pytest.raises(NotImplementedError, match="per_queue"):
        labelled.labels("mail").set_function(lambda: 1)


def test_enum_reports_every_state_and_refuses_unknown_ones():
    reg = pm.Registry()
    e = pm.Enum("task_state", "Task", states=["starting", "running"], registry=reg)
    assert 'task_state{task_state="starting"} 1\n' in text(reg)
    e.state("running")
    out = text(reg)
    assert 'task_state{task_state="starting"} 0\n' in out
    assert 'task_state{task_state="running"} 1\n' in out
    with pytest.raises(pm.ConfigError, match="stopped"):
        e.state("stopped")
    with pytest.raises(ValueError, match="state"):
        pm.Enum("no_states", "E", states=[], registry=reg)
    with pytest.raises(ValueError):
        pm.Enum("overlap", "E", ["overlap"], states=["a"], registry=reg)
    with pytest.raises(pm.DuplicateMetricError):
        pm.Enum("task_state", "Again", states=["a"], registry=reg)

    labelled = pm.Enum("worker_state", "W", ["worker"], states=["idle", "busy"], registry=reg)
    labelled.labels("w1")
    labelled.labels(worker="w2").state("busy")
    out = text(reg)
    assert 'worker_state{worker="w1",worker_state="idle"} 1\n' in out
    assert 'worker_state{worker="w2",worker_state="busy"} 1\n' in out
    with pytest.raises(pm.LabelError):
        labelled.state("busy")


def test_info_reports_its_dict_as_labels():
    reg = pm.Registry()
    i = pm.Info("build", "Build", registry=reg)
    assert "build_info 1\n" in text(reg)
    i.info({"version": "1.2.3", "commit": "abc"})
    assert 'build_info{version="1.2.3",commit="abc"} 1\n' in text(reg)
    with pytest.raises(ValueError):
        i.info({"bad-name": "x"})
    labelled = pm.Info("host", "Host", ["dc"], registry=reg)
    with pytest.raises(ValueError):
        labelled.labels("eu").info({"dc": "clash"})
    labelled.labels("eu").info({"os": "linux"})
    assert 'host_info{dc="eu",os="linux"} 1\n' in text(reg)


def test_process_collector_is_opt_in_for_other_registries():
    reg = pm.Registry()
    assert "process_" not in text(reg)
    pm.ProcessCollector(registry=reg)
    out = text(reg)
    for line in (
        "# TYPE process_cpu_seconds_total counter",
        "# TYPE process_open_fds gauge",
        "# TYPE process_max_fds gauge",
        "# TYPE process_virtual_memory_bytes gauge",
        "# TYPE process_resident_memory_bytes gauge",
        "# TYPE process_start_time_seconds gauge",
    ):
        assert line in out
    with pytest.raises(pm.DuplicateMetricError):
        pm.ProcessCollector(registry=reg)
    with pytest.raises(pm.DuplicateMetricError):
        pm.ProcessCollector()  # REGISTRY has it from the start
    assert reg.unregister(pm.PROCESS_COLLECTOR)
    assert "process_" not in text(reg)
    reg.register(pm.PROCESS_COLLECTOR)
    assert "# TYPE process_open_fds gauge" in text(reg)


def test_default_registry_has_the_process_and_python_runtime_metrics():
    out = text(pm.REGISTRY)
    for line in (
        "# TYPE process_cpu_seconds_total counter",
        "# TYPE python_info gauge",
        "# TYPE python_gc_objects_collected_total counter",
        "# TYPE python_gc_objects_uncollectable_total counter",
        "# TYPE python_gc_collections_total counter",
    ):
        assert line in out
    assert 'python_gc_collections_total{generation="0"}' in out
    assert isinstance(pm.PLATFORM_COLLECTOR, pm.PlatformCollector)
    assert isinstance(pm.GC_COLLECTOR, pm.GCCollector)


def test_core_module_has_prometheus_client_core_names():
    missing = {n for n in prometheus_client.core.__all__ if not hasattr(core, n)}
    # A gauge histogram and native histograms have no form in the text format 0.0.4 the
    # library sends; DuplicateTimeseries is DuplicateMetricError.
    assert missing <= {
        "GaugeHistogramMetricFamily",
        "NativeHistogram",
        "BucketSpan",
        "DuplicateTimeseries",
    }
    for n in (
        "GaugeMetricFamily",
        "CounterMetricFamily",
        "HistogramMetricFamily",
        "SummaryMetricFamily",
        "InfoMetricFamily",
        "StateSetMetricFamily",
    ):
        assert getattr(pm, n) is getattr(core, n)


def test_a_fork_while_the_push_thread_runs_a_collector_does_not_hang(pgw_url, job):
    # The collector sleeps (the GIL let go) on the push thread while the main thread forks,
    # GIL held: the push thread must not be inside the fork's wait while it needs the GIL.
    _, out = run_script(
        """
        import os, threading, time
        import pushmetrics as pm
        from pushmetrics.core import GaugeMetricFamily

        entered = threading.Event()

        class Slow:
            def collect(self):
                entered.set()
                time.sleep(0.3)
                yield GaugeMetricFamily("slow_value", "Slow", value=1)

        reg = pm.Registry()
        reg.register(Slow())
        p = pm.Pusher(os.environ["PGW_URL"], os.environ["JOB"], registry=reg, interval=60.0)
        t = threading.Thread(target=p.flush, args=(10.0,))
        t.start()
        assert entered.wait(10)
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        t.join()
        p.shutdown(5.0)
        print("forked and pushed")
        """,
        {"PGW_URL": pgw_url, "JOB": job},
        timeout=30,
    )
    assert "forked and pushed" in out
    assert gateway_samples(pgw_url, job)[("slow_value", ())] == 1
