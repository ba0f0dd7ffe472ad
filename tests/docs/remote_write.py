"""Runs every quick-start snippet of docs/remote-write.md against a real Prometheus with its
remote-write receiver ($PROM_URL), each language under a job name of its own, and checks
that `quickstart_rows_total{table="users"}` arrived as 42 and that the shutdown ended the
series with a staleness marker (an instant query at now finds nothing)."""

import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

from snippets import blocks, root, runners, section

prom = os.environ["PROM_URL"]
doc = section((root / "docs/remote-write.md").read_text(), "Quick start")
snippets = {
    lang: code.replace("http://127.0.0.1:9090", prom)
    for lang, code in blocks(doc).items()
}


def query(expr: str) -> list[float]:
    url = f"{prom}/api/v1/query?{urllib.parse.urlencode({'query': expr})}"
    with urllib.request.urlopen(url, timeout=5) as r:
        return [float(s["value"][1]) for s in json.load(r)["data"]["result"]]


def poll(expr: str, want: list[float], seconds: float = 5.0) -> list[float]:
    deadline = time.monotonic() + seconds
    while (got := query(expr)) != want and time.monotonic() < deadline:
        time.sleep(0.1)
    return got


passed = failed = 0
for lang, run in runners.items():
    job = f"quickstart_rw_{lang}_{os.getpid()}"
    code, n = re.subn(
        r"""(["'])quickstart\1""", rf"\g<1>{job}\g<1>", snippets.get(lang, "")
    )
    if n != 1:
        print(
            f'FAIL {lang}: expected one snippet with the job name "quickstart" in docs/remote-write.md, found {n}'
        )
        failed += 1
        continue
    err = None
    with tempfile.TemporaryDirectory() as d:
        try:
            subprocess.run(run(code, pathlib.Path(d)), check=True, timeout=60)
        except Exception as e:  # noqa: BLE001 - any failure of a snippet is a test failure
            err = e
    selector = f'quickstart_rows_total{{job="{job}",instance="worker-1",table="users"}}'
    written = [] if err else poll(f"max_over_time({selector}[5m])", [42.0])
    ended = [] if err else poll(selector, [])
    if written == [42.0] and ended == []:
        print(f"ok   {lang}")
        passed += 1
    else:
        print(
            f"FAIL {lang}: wrote {written!r}, at now {ended!r} (want [42.0], []) {err or ''}"
        )
        failed += 1
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
