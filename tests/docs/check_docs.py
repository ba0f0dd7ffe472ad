"""Checks the operator kit: every metric the Grafana dashboard and the alerting rules use
is one the pushers export (read from core/src/stats.rs), and the dashboard is valid JSON.
Checks the reference: every pusher option (a builder method of core/src/config.rs), every
PUSHMETRICS_* environment variable, every self-metric and each language's log hook are in
docs/configuration.md, and
every HTTP server option (a builder method of core/src/serve.rs) and the server's call in
each language are in docs/configuration.md and docs/serving.md."""
import json
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parents[2]
exported = set(re.findall(r'"(pushmetrics_[a-z_]+)"', (root / "core/src/stats.rs").read_text()))
# The registry's own self-metric (collector failures), reported in every snapshot.
exported |= set(re.findall(r'"(pushmetrics_[a-z_]+)"', (root / "core/src/registry.rs").read_text()))
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

serve_rs = (root / "core/src/serve.rs").read_text()
serving = (root / "docs/serving.md").read_text()
server_builder = serve_rs[serve_rs.index("impl HttpServerBuilder {"):]
server_options = set(re.findall(r"pub fn (\w+)\(\s*mut self", server_builder))
for name in sorted(server_options):
    if f"`{name}`" not in reference:
        failures.append(f"http server option {name} is not in docs/configuration.md")
if len(server_options) < 3:
    failures.append(f"found only {len(server_options)} http server options in core/src/serve.rs")
header = (root / "include/pushmetrics.h").read_text()
server_calls = ["start_http_server", "startHttpServer", "shutdown()", "close()", "stop()"]
server_calls += sorted(set(re.findall(r"\b(pm_http_server_[a-z_]+)\(", header)))
for call in server_calls:
    for doc, text in (("configuration.md", reference), ("serving.md", serving)):
        if call not in text:
            failures.append(f"http server call {call} is not in docs/{doc}")

# The log hook of each language, in the reference's Logs section.
logs = reference[reference.index("## Logs"):] if "## Logs" in reference else ""
for hook in ['logging.getLogger("pushmetrics")', "set_log_level", "setLogLevel", "`logger`",
             "'warning'", "process.emitWarning", "pm_set_log_callback", "log_limit::allow"]:
    if hook not in logs:
        failures.append(f"log hook {hook} is not in the Logs section of docs/configuration.md")

for f in failures:
    print("FAIL:", f)
print(f"{1 if not failures else 0} passed, {1 if failures else 0} failed")
sys.exit(1 if failures else 0)
