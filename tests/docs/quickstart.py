"""Runs every snippet of docs/quickstart.md against a real Pushgateway ($PGW_URL) and checks
that `quickstart_rows_total{table="users"}` arrives as 42 from each language."""

import os
import pathlib
import re
import subprocess
import sys
import tempfile
import urllib.request

from snippets import blocks, root, runners

url = os.environ["PGW_URL"]
doc = (root / "docs/quickstart.md").read_text()
snippets = {
    lang: code.replace("http://127.0.0.1:9091", url)
    for lang, code in blocks(doc).items()
}


def wipe() -> None:
    req = urllib.request.Request(f"{url}/api/v1/admin/wipe", method="PUT")
    urllib.request.urlopen(req, timeout=5).read()


def pushed_value() -> float | None:
    text = urllib.request.urlopen(f"{url}/metrics", timeout=5).read().decode()
    m = re.search(
        r'^quickstart_rows_total\{[^}]*table="users"[^}]*\} (\S+)$', text, re.MULTILINE
    )
    return float(m.group(1)) if m else None


passed = failed = 0
for lang, run in runners.items():
    if lang not in snippets:
        print(f"FAIL {lang}: no snippet in docs/quickstart.md")
        failed += 1
        continue
    wipe()
    with tempfile.TemporaryDirectory() as d:
        try:
            cmd = run(snippets[lang], pathlib.Path(d))
            subprocess.run(cmd, check=True, timeout=60)
            value = pushed_value()
        except Exception as e:  # noqa: BLE001 - any failure of a snippet is a test failure
            value, err = None, e
        else:
            err = None
    if value == 42.0:
        print(f"ok   {lang}")
        passed += 1
    else:
        print(f"FAIL {lang}: pushed {value!r} {err or ''}")
        failed += 1
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
