"""The core's warnings reach Python's ``logging`` (logger ``"pushmetrics"``), repeated
ones rate-limited, without the push thread ever waiting for the GIL."""

from __future__ import annotations

import base64
import contextlib
import logging
import sys
import threading
import time

import pushmetrics as pm
from conftest import run_script

DEAD = "http://127.0.0.1:1"


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def captured():
    handler = Records()
    logger = logging.getLogger("pushmetrics")
    logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)


def failing_pusher(job: str, **options: object) -> pm.Pusher:
    return pm.Pusher(
        DEAD,
        job,
        registry=pm.Registry(),
        interval=0.05,
        jitter=0.0,
        max_attempts=1,
        breaker_threshold=100000,
        self_metrics=False,
        **options,
    )


def shut(p: pm.Pusher) -> None:
    with contextlib.suppress(pm.PushError):
        p.shutdown(0.5)


def about(job: str, records: list[logging.LogRecord]) -> list[logging.LogRecord]:
    """The records about pushes of `job` (the URL names it in base64)."""
    b64 = base64.urlsafe_b64encode(job.encode()).decode()
    return [r for r in records if b64 in r.getMessage()]


def wait_for(cond, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not cond() and time.monotonic() < end:
        time.sleep(0.02)


def test_failed_pushes_log_a_rate_limited_pushmetrics_warning(job):
    with captured() as records:
        p = failing_pusher(job)
        wait_for(lambda: p.stats().pushes_failed >= 30)
        failures = p.stats().pushes_failed
        wait_for(lambda: about(job, records), timeout=5.0)
        shut(p)
        mine = about(job, records)
    assert failures >= 30
    assert mine, "no push failure reached logging"
    assert all(r.name == "pushmetrics" and r.levelno == logging.WARNING for r in mine)
    assert "refused" in mine[0].getMessage().lower()
    # One message of a kind per 10 s: far fewer records than failures.
    assert len(mine) <= 2, [r.getMessage() for r in mine]


def test_a_thread_holding_the_gil_does_not_stop_pushes_or_their_logging(job):
    counts: dict[str, int] = {}
    switch = sys.getswitchinterval()

    def busy() -> None:
        # Created here, so its first failure is logged while this thread holds the GIL:
        # a push thread that waited for the GIL to log it would stop counting.
        p = failing_pusher(job)
        counts["start"] = p.stats().pushes_failed
        end = time.monotonic() + 2.0
        while time.monotonic() < end:
            pass
        counts["end"] = p.stats().pushes_failed
        counts["p"] = id(p)
        holder.append(p)

    holder: list[pm.Pusher] = []
    with captured() as records:
        sys.setswitchinterval(30.0)  # the busy thread keeps the GIL for its whole loop
        try:
            t = threading.Thread(target=busy)
            t.start()
            t.join(20.0)
        finally:
            sys.setswitchinterval(switch)
        assert not t.is_alive()
        wait_for(lambda: about(job, records), timeout=5.0)
        shut(holder[0])
    assert counts["end"] - counts["start"] >= 10, counts
    assert about(job, records)


def test_the_logger_level_decides_what_is_forwarded(job):
    with captured() as records:
        pm.set_log_level(logging.ERROR)
        try:
            p = failing_pusher(job)
            wait_for(lambda: p.stats().pushes_failed >= 10)
            time.sleep(0.7)  # past the delivery thread's poll
            shut(p)
        finally:
            pm.set_log_level(logging.NOTSET)
    assert not about(job, records)


def test_a_failure_at_exit_is_logged_and_exit_does_not_hang(job):
    took, out = run_script(
        f"""
        import logging, sys
        logging.basicConfig(stream=sys.stdout, format="%(name)s %(levelname)s %(message)s")
        import pushmetrics as pm
        c = pm.Counter("exit_logged_total", "x")
        c.inc()
        pm.Pusher({DEAD!r}, {job!r}, interval=60.0, max_attempts=1, shutdown_timeout=1.0)
        """,
        {},
        timeout=30,
    )
    assert "pushmetrics WARNING push failed" in out, out
    assert took < 15
