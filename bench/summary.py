"""Reads the benchmark outputs named on the command line (LANG=FILE) and prints two tables:
language, workload, pushmetrics, incumbent, ratio; then every target with its verdict.
Each output holds Markdown tables: comparisons, with either
| case | unit | ours | theirs | ratio | or | case | ours unit | theirs unit | ratio |,
and targets, | target | measured | limit | verdict |."""

import sys

INCUMBENT = {"rust": "(see case)", "python": "prometheus_client", "node": "prom-client"}

comparisons, targets = [], []
for arg in sys.argv[1:]:
    lang, path = arg.split("=", 1)
    table = None
    with open(path, encoding="utf-8") as f:
        lines = f.readlines()
    for line in lines:
        if not line.startswith("|"):
            table = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] in ("case", "target"):
            table = cells[0]
            continue
        if cells[0] == "" or cells[0].startswith("---"):
            continue
        if table == "target" and len(cells) == 4:
            targets.append((lang, *cells))
            continue
        if len(cells) == 5:
            case, unit, ours, theirs, ratio = cells
            ours, theirs = f"{ours} {unit}", f"{theirs} {unit}"
        elif len(cells) == 4:
            case, ours, theirs, ratio = cells
        else:
            continue
        if not ratio:
            continue
        comparisons.append((lang, case, ours, theirs, ratio))

print("| language | workload | pushmetrics | incumbent | incumbent / pushmetrics |")
print("| --- | --- | ---: | ---: | ---: |")
for row in comparisons:
    print("| " + " | ".join(row) + " |")
print(
    f"\nincumbents: Rust prometheus 0.14 and prometheus-client 0.26, Python {INCUMBENT['python']}, Node {INCUMBENT['node']}"
    ", C one-shot jobs: curl in a shell script"
)
if targets:
    print("\n| language | target | measured | limit | verdict |")
    print("| --- | --- | ---: | ---: | --- |")
    for row in targets:
        print("| " + " | ".join(row) + " |")
    missed = sum(1 for row in targets if row[-1] != "ok")
    print(
        f"\n{len(targets) - missed} of {len(targets)} targets met"
        + (f", {missed} MISSED" if missed else "")
    )
