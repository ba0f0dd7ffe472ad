"""The same one-shot job with prometheus_client: import, record 10 metrics, push once, exit.
usage: job_prometheus_client.py URL JOB"""

import sys

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, push_to_gateway

url, job = sys.argv[1:3]
reg = CollectorRegistry()
for i in range(4):
    Counter(f"oneshot_items_{i}", "Items", registry=reg).inc(i + 1)
for i in range(3):
    Gauge(f"oneshot_level_{i}", "Level", registry=reg).set(i)
for i in range(3):
    Histogram(f"oneshot_seconds_{i}", "Time", registry=reg).observe(0.1 * i)
push_to_gateway(url, job=job, registry=reg)
