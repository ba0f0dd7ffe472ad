"""Runs every quick-start snippet of docs/textfile.md, each writing to a directory of its
own instead of /var/lib/node_exporter/textfile, and checks that the file holds
`backup_files_total 42`, passes `promtool check metrics`, and is the only file left."""

import os
import pathlib
import subprocess
import sys
import tempfile

from snippets import blocks, root, runners, section

doc = section((root / "docs/textfile.md").read_text(), "Quick start")
snippets = blocks(doc)
target = "/var/lib/node_exporter/textfile"

passed = failed = 0
for lang, run in runners.items():
    code = snippets.get(lang, "")
    if code.count(target) != 1:
        print(f"FAIL {lang}: expected one snippet writing to {target} in docs/textfile.md")
        failed += 1
        continue
    problem = None
    with tempfile.TemporaryDirectory() as d:
        out = pathlib.Path(d) / "out"
        out.mkdir()
        try:
            subprocess.run(
                run(code.replace(target, str(out)), pathlib.Path(d)),
                check=True,
                timeout=120,
            )
            text = (out / "backup.prom").read_text()
            if "backup_files_total 42\n" not in text:
                problem = f"backup.prom holds {text!r}"
            elif os.listdir(out) != ["backup.prom"]:
                problem = f"files left: {os.listdir(out)}"
            else:
                with open(out / "backup.prom", "rb") as f:
                    check = subprocess.run(
                        ["promtool", "check", "metrics"], stdin=f, capture_output=True
                    )
                if check.returncode != 0:
                    problem = f"promtool: {check.stdout + check.stderr!r}"
        except Exception as e:  # noqa: BLE001 - any failure of a snippet is a test failure
            problem = str(e)
    if problem:
        print(f"FAIL {lang}: {problem}")
        failed += 1
    else:
        print(f"ok   {lang}")
        passed += 1
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
