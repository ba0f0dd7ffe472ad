"""A small batch job: imports some rows, records what it did, and exits. The pusher makes
its final push at exit; the job prints the pusher's stats first."""

from __future__ import annotations

import os
import random
import time

import pushmetrics as pm

rows = pm.Counter("example_rows_total", "Rows imported", ["table", "result"])
batch_seconds = pm.Histogram(
    "example_batch_seconds",
    "Time per batch",
    ["table"],
    buckets=[0.001, 0.01, 0.1, 1.0],
)
batch_size = pm.Summary("example_batch_rows", "Rows per batch", ["table"])
last_success = pm.Gauge(
    "example_last_success_timestamp_seconds", "When the job last finished"
)
in_progress = pm.Gauge("example_batches_in_progress", "Batches being imported")

pusher = pm.Pusher(
    os.environ.get("PGW_URL", "http://127.0.0.1:9091"),
    "example_python",
    grouping_key={"instance": "demo"},
    interval=5.0,
)

random.seed(7)
for table in ("users", "orders"):
    ok = rows.labels(table, "ok")  # resolve once, record many times
    for _ in range(20):
        with in_progress.track_inprogress(), batch_seconds.labels(table).time():
            n = random.randint(50, 150)
            time.sleep(0.001)
            ok.inc(n)
            batch_size.labels(table).observe(n)
    rows.labels(table, "rejected").inc(3)
last_success.set_to_current_time()

pusher.shutdown()  # the final push (it would also happen at exit)
s = pusher.stats()
print(
    f"example_python: 40 batches; pushes ok {s.pushes_ok} failed {s.pushes_failed}, "
    f"requests {s.requests} (retries {s.retries}), {s.bytes_sent} bytes sent, "
    f"breaker {s.breaker}, last error: {s.last_error or 'none'}"
)
