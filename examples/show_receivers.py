"""Prints a PromQL query's answer from VictoriaMetrics and Prometheus side by side, with
what the job recorded next to it. VictoriaMetrics makes new series searchable after a
moment, so the query is repeated (with /internal/force_flush before each try and
nocache=1) until every receiver gives the recorded values, or the timeout passes.

Usage: python3 examples/show_receivers.py --vm URL --prom URL [--by LABEL]
           [--recorded key=value,... | --recorded value] [--timeout SECONDS] QUERY"""

import argparse
import json
import time
import urllib.parse
import urllib.request


def query(base: str, expr: str, vm: bool, by: str) -> dict[str, float]:
    """The instant vector of `expr` at now, as {value of the label `by`: value}."""
    if vm:
        urllib.request.urlopen(f"{base}/internal/force_flush", timeout=5).read()
    params = {"query": expr}
    if vm:
        params["nocache"] = "1"
    url = f"{base}/api/v1/query?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=5) as r:
        result = json.load(r)["data"]["result"]
    return {s["metric"].get(by, "") if by else "": float(s["value"][1]) for s in result}


def number(v: float | None) -> str:
    return "-" if v is None else f"{v:g}"


def main() -> None:
    receivers = {"VictoriaMetrics": (ARGS.vm, True), "Prometheus": (ARGS.prom, False)}
    recorded = {}
    for pair in filter(None, ARGS.recorded.split(",")):
        k, v = pair.split("=", 1) if "=" in pair else ("", pair)
        recorded[k] = float(v)
    deadline = time.monotonic() + ARGS.timeout
    while True:
        answers = {
            name: query(url, ARGS.query, vm, ARGS.by)
            for name, (url, vm) in receivers.items()
        }
        done = all(a == recorded if recorded else a for a in answers.values())
        if done or time.monotonic() >= deadline:
            break
        time.sleep(0.2)
    print(f"  {ARGS.query}")
    keys = sorted(set(recorded).union(*answers.values()))
    if not keys:
        print("    no series at all, in either receiver")
        return
    head = ARGS.by or ""
    print(f"    {head:<10} {'recorded':>10} " + " ".join(f"{n:>16}" for n in receivers))
    for k in keys:
        cells = " ".join(f"{number(answers[n].get(k)):>16}" for n in receivers)
        print(f"    {k:<10} {number(recorded.get(k)):>10} {cells}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--vm", required=True)
    parser.add_argument("--prom", required=True)
    parser.add_argument("--by", default="")
    parser.add_argument("--recorded", default="")
    parser.add_argument("--timeout", type=float, default=15.0)
    parser.add_argument("query")
    ARGS = parser.parse_args()
    main()
