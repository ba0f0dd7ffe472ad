"""Prints what a Pushgateway holds, per group, as a compact table (read over HTTP from
/api/v1/metrics). Usage: python3 examples/show_gateway.py http://127.0.0.1:9091 [job-prefix]"""
import json
import sys
import urllib.request
from datetime import datetime


def summarize(family: dict) -> tuple[int, str]:
    metrics = family.get("metrics", [])
    kind = family.get("type", "UNTYPED")
    if kind in ("HISTOGRAM", "SUMMARY"):
        count = sum(float(m.get("count", 0)) for m in metrics)
        total = sum(float(m.get("sum", 0)) for m in metrics)
        return len(metrics), f"count={count:g} sum={total:.4g}"
    values = [float(m.get("value", 0)) for m in metrics]
    if kind == "COUNTER":
        return len(metrics), f"total={sum(values):g}"
    if len(values) == 1:
        return 1, f"value={values[0]:.6g}"
    return len(values), f"min={min(values):g} max={max(values):g}"


def main() -> None:
    url = sys.argv[1].rstrip("/")
    prefix = sys.argv[2] if len(sys.argv) > 2 else ""
    with urllib.request.urlopen(f"{url}/api/v1/metrics", timeout=5) as r:
        groups = json.load(r)["data"]
    groups.sort(key=lambda g: g["labels"].get("job", ""))
    for g in groups:
        labels = g["labels"]
        if not labels.get("job", "").startswith(prefix):
            continue
        key = " ".join(f"{k}={v}" for k, v in sorted(labels.items()))
        pushed = g.get("push_time_seconds", {}).get("metrics", [{}])[0].get("value", "0")
        when = datetime.fromtimestamp(float(pushed)).strftime("%H:%M:%S") if float(pushed) else "never"
        print(f"  {key}  (last push {when})")
        for name in sorted(k for k in g if k not in ("labels", "last_push_successful")):
            if name in ("push_time_seconds", "push_failure_time_seconds") or name.startswith("pushmetrics_"):
                continue
            fam = g[name]
            n, text = summarize(fam)
            print(f"    {name:<40} {fam.get('type', '').lower():<10} {n:>3} series  {text}")
        ok = [m for m in g.get("pushmetrics_pushes_total", {}).get("metrics", [])]
        if ok:
            parts = ", ".join(f"{m['labels'].get('result')}={float(m['value']):g}" for m in ok)
            print(f"    {'(self) pushmetrics_pushes_total':<40} {'counter':<10}      {parts}")


if __name__ == "__main__":
    main()
