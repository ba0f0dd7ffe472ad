"""Reads the benchmark outputs named on the command line (LANG=FILE) and prints one table:
language, workload, pushmetrics, incumbent, ratio. Each output holds a Markdown table with
either | case | unit | ours | theirs | ratio | or | case | ours unit | theirs unit | ratio |."""
import sys

INCUMBENT = {"rust": "(see case)", "python": "prometheus_client", "node": "prom-client"}

print("| language | workload | pushmetrics | incumbent | incumbent / pushmetrics |")
print("| --- | --- | ---: | ---: | ---: |")
for arg in sys.argv[1:]:
    lang, path = arg.split("=", 1)
    for line in open(path, encoding="utf-8"):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or cells[0] in ("case", "") or cells[0].startswith("---"):
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
        print(f"| {lang} | {case} | {ours} | {theirs} | {ratio} |")
print(f"\nincumbents: Rust prometheus 0.14 and prometheus-client 0.26, Python {INCUMBENT['python']}, Node {INCUMBENT['node']}")
