"""Many Python threads recording at once lose nothing."""

from __future__ import annotations

import threading

import pushmetrics as pm


def test_many_threads_counting_on_shared_and_own_series_lose_no_increment():
    reg = pm.Registry()
    c = pm.Counter("t_total", "T", ["worker"], registry=reg)
    shared = pm.Counter("shared_total", "S", registry=reg)
    g = pm.Gauge("tg", "G", registry=reg)
    h = pm.Histogram("th", "H", registry=reg, buckets=[1.0])
    s = pm.Summary("ts", "S", registry=reg)
    n, per = 16, 20_000
    barrier = threading.Barrier(n)

    def work(i: int) -> None:
        mine = c.labels(str(i))
        barrier.wait()
        for k in range(per):
            shared.inc()
            mine.inc()
            c.labels(str(k % 4 + 100)).inc()
            g.inc()
            h.observe(0.5)
            s.observe(1.0)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert shared.get() == n * per
    assert all(c.labels(str(i)).get() == per for i in range(n))
    assert sum(c.labels(str(k)).get() for k in range(100, 104)) == n * per
    assert g.get() == n * per
    assert h.count() == n * per and s.count() == n * per
    assert reg.series_count() == n + 4 + 4


def test_threads_counting_while_another_removes_series_lose_no_increment():
    # Every removal makes each metric object drop the children it keeps, while the
    # counting threads look theirs up again.
    reg = pm.Registry()
    c = pm.Counter("busy_total", "B", ["k"], registry=reg)
    other = pm.Gauge("other", "O", ["k"], registry=reg)
    n, per = 8, 20_000
    barrier = threading.Barrier(n + 1)
    stop = threading.Event()
    removals = 0

    def churn() -> None:
        nonlocal removals
        barrier.wait()
        while True:
            c.labels("tmp").inc()
            removals += c.remove("tmp")
            other.labels("x").set(1)
            other.clear()
            if stop.is_set():
                break

    def work() -> None:
        barrier.wait()
        for k in range(per):
            c.labels(str(k % 4)).inc()

    remover = threading.Thread(target=churn)
    threads = [threading.Thread(target=work) for _ in range(n)]
    for t in [remover, *threads]:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    remover.join()
    assert sum(c.labels(str(k)).get() for k in range(4)) == n * per
    assert removals > 0
