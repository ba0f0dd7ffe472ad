"""A one-shot job with pushmetrics: import, record 10 metrics, push once, exit.
usage: job_pushmetrics.py URL JOB push|pusher
  push    pm.push_to_gateway() at the end, as prometheus_client's job does
  pusher  a background Pusher, whose final push runs at interpreter exit"""

import sys

import pushmetrics as pm

url, job, style = sys.argv[1:4]
reg = pm.Registry()
for i in range(4):
    pm.Counter(f"oneshot_items_{i}_total", "Items", registry=reg).inc(i + 1)
for i in range(3):
    pm.Gauge(f"oneshot_level_{i}", "Level", registry=reg).set(i)
for i in range(3):
    pm.Histogram(f"oneshot_seconds_{i}", "Time", registry=reg).observe(0.1 * i)
if style == "push":
    pm.push_to_gateway(url, job=job, registry=reg)
else:
    pm.Pusher(url, job, registry=reg)
