"""Checks the operator kit: every metric the Grafana dashboard and the alerting rules use
is one the pushers export (read from core/src/stats.rs), and the dashboard is valid JSON.
Checks the reference: every pusher option (a builder method of core/src/config.rs), every
PUSHMETRICS_* environment variable and every self-metric is in docs/configuration.md."""
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

config_rs = (root / "core/src/config.rs").read_text()
reference = (root / "docs/configuration.md").read_text()
builder = config_rs[config_rs.index("impl PusherBuilder {"):]
options = set(re.findall(r"pub fn (\w+)\(\s*mut self", builder))
for name in sorted(options):
    if not re.search(rf"`{name}s?(\(\))?`", reference):
        failures.append(f"pusher option {name} is not in docs/configuration.md")
for name in sorted(set(re.findall(r'"(PUSHMETRICS_[A-Z_]+)"', config_rs))):
    if name not in reference:
        failures.append(f"environment variable {name} is not in docs/configuration.md")
for name in sorted(exported):
    if name not in reference:
        failures.append(f"self-metric {name} is not in docs/configuration.md")
if len(options) < 30:
    failures.append(f"found only {len(options)} pusher options in core/src/config.rs")

for f in failures:
    print("FAIL:", f)
print(f"{1 if not failures else 0} passed, {1 if failures else 0} failed")
sys.exit(1 if failures else 0)
