"""Times whole processes, pushmetrics and the incumbent side by side: what a cron job or
a serverless function pays on every run. Each case alternates the two commands for
STARTUP_ROUNDS rounds (21 unless set), after one warm-up run each, and reports medians of
wall time. Prints the comparison table, the interpreters' own start-up for reference, and
the targets: a one-shot job never slower than the incumbent's.

usage: startup.py PYTHON NODE_PROJECT C_JOB PGW_URL"""

import os
import statistics
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
python, project, c_job, url = sys.argv[1:5]
rounds = int(os.environ.get("STARTUP_ROUNDS", "21"))


def job(path: str) -> str:
    return os.path.join(here, path)


def wall_ms(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=project, check=True, stdout=subprocess.DEVNULL)
    return (time.perf_counter() - start) * 1e3


def side_by_side(ours: list[str], theirs: list[str]) -> tuple[float, float]:
    wall_ms(ours), wall_ms(theirs)
    a, b = [], []
    for i in range(rounds):
        # Alternating which runs first keeps a drift of the machine out of the ratio.
        if i % 2:
            b.append(wall_ms(theirs))
            a.append(wall_ms(ours))
        else:
            a.append(wall_ms(ours))
            b.append(wall_ms(theirs))
    return statistics.median(a), statistics.median(b)


def alone(cmd: list[str]) -> float:
    wall_ms(cmd)
    return statistics.median(wall_ms(cmd) for _ in range(rounds))


# Node resolves packages from the script's own directory: run.sh copies the Node jobs into
# the npm project.
py_job, js_job = job("job_pushmetrics.py"), os.path.join(project, "job_pushmetrics.js")
cases = [
    ("python: import", [python, "-c", "import pushmetrics"],
     [python, "-c", "import prometheus_client"], None),
    ("python: one-shot job, push_to_gateway()", [python, py_job, url, "oneshot_py", "push"],
     [python, job("job_prometheus_client.py"), url, "oneshot_py_incumbent"], "python"),
    ("python: one-shot job, Pusher (final push at exit)",
     [python, py_job, url, "oneshot_py", "pusher"],
     [python, job("job_prometheus_client.py"), url, "oneshot_py_incumbent"], "python"),
    ("node: require", ["node", "-e", "require('pushmetrics')"],
     ["node", "-e", "require('prom-client')"], None),
    ("node: one-shot job, Pushgateway.push()", ["node", js_job, url, "oneshot_js", "push"],
     ["node", os.path.join(project, "job_prom_client.js"), url, "oneshot_js_incumbent"], "node"),
    ("node: one-shot job, Pusher (final push at exit)",
     ["node", js_job, url, "oneshot_js", "pusher"],
     ["node", os.path.join(project, "job_prom_client.js"), url, "oneshot_js_incumbent"], "node"),
    ("C: one-shot job (incumbent: curl in a shell script)", [c_job, url, "oneshot_c"],
     ["sh", job("job_curl.sh"), url, "oneshot_c_incumbent"], "C"),
]

print(f"whole processes, medians of {rounds} alternating runs, wall time\n")
print("| case | pushmetrics | incumbent | incumbent / pushmetrics |")
print("| --- | ---: | ---: | ---: |")
targets = []
for name, ours, theirs, target in cases:
    a, b = side_by_side(ours, theirs)
    print(f"| {name} | {a:.1f} ms | {b:.1f} ms | {b / a:.2f}x |")
    if target:
        targets.append((f"{name}: pushmetrics / incumbent", a / b))
floor_py = alone([python, "-c", "pass"])
floor_node = alone(["node", "-e", "0"])
print(f"\nfor reference, the bare interpreter: python -c pass {floor_py:.1f} ms, "
      f"node -e 0 {floor_node:.1f} ms")

print("\n| target | measured | limit | verdict |")
print("| --- | ---: | ---: | --- |")
for what, ratio in targets:
    verdict = "ok" if ratio <= 1.0 else "MISSED"
    print(f"| {what} | {ratio:.2f} | 1.00 | {verdict} |")
