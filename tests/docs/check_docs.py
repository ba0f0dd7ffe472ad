"""Checks the operator kit: every metric the Grafana dashboard and the alerting rules use
is one the pushers export (read from core/src/stats.rs), and the dashboard is valid JSON."""
import json
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parents[2]
exported = set(re.findall(r'"(pushmetrics_[a-z_]+)"', (root / "core/src/stats.rs").read_text()))
failures = []

dash = json.loads((root / "docs/operations/grafana-dashboard.json").read_text())
used = set()
for panel in dash["panels"]:
    for target in panel["targets"]:
        used |= set(re.findall(r"pushmetrics_[a-z_]+", target["expr"]))
rules = (root / "docs/operations/alerts.yml").read_text()
used |= set(re.findall(r"pushmetrics_[a-z_]+", rules))
for name in sorted(used - exported):
    failures.append(f"{name} is used by the operator kit but not exported by the pusher")
if len(dash["panels"]) < 8:
    failures.append("the dashboard lost panels")

for f in failures:
    print("FAIL:", f)
print(f"{1 if not failures else 0} passed, {1 if failures else 0} failed")
sys.exit(1 if failures else 0)
