"""Runs every snippet of docs/quickstart.md against a real Pushgateway ($PGW_URL) and checks
that `quickstart_rows_total{table="users"}` arrives as 42 from each language."""
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import urllib.request

root = pathlib.Path(__file__).resolve().parents[2]
url = os.environ["PGW_URL"]
doc = (root / "docs/quickstart.md").read_text()
blocks = re.findall(r"```(\w+)[^\n]*\n(.*?)```", doc, re.S)
snippets = {lang: code.replace("http://127.0.0.1:9091", url) for lang, code in blocks}


def wipe() -> None:
    req = urllib.request.Request(f"{url}/api/v1/admin/wipe", method="PUT")
    urllib.request.urlopen(req, timeout=5).read()


def pushed_value() -> float | None:
    text = urllib.request.urlopen(f"{url}/metrics", timeout=5).read().decode()
    m = re.search(r'^quickstart_rows_total\{[^}]*table="users"[^}]*\} (\S+)$', text, re.M)
    return float(m.group(1)) if m else None


def run_python(code: str, tmp: pathlib.Path) -> list[str]:
    venv = root / "build/venv/bin/python"
    (tmp / "quickstart.py").write_text(code)
    return [str(venv if venv.exists() else "python3"), str(tmp / "quickstart.py")]


def run_js(code: str, tmp: pathlib.Path) -> list[str]:
    (tmp / "quickstart.js").write_text(code.replace("require('pushmetrics')", f"require({str(root / 'bindings/node')!r})"))
    return ["node", str(tmp / "quickstart.js")]


def run_c(code: str, tmp: pathlib.Path) -> list[str]:
    prefix = root / "build/prefix"
    subprocess.run(["make", "-s", "-C", str(root), "install", f"PREFIX={prefix}"], check=True, stdout=subprocess.DEVNULL)
    (tmp / "quickstart.c").write_text(code)
    env = dict(os.environ, PKG_CONFIG_PATH=str(prefix / "lib/pkgconfig"))
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "pushmetrics"], env=env, check=True, capture_output=True, text=True).stdout.split()
    exe = tmp / "quickstart"
    subprocess.run(["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", str(tmp / "quickstart.c"), "-o", str(exe), *flags, f"-Wl,-rpath,{prefix / 'lib'}"], check=True)
    return [str(exe)]


def run_rust(code: str, tmp: pathlib.Path) -> list[str]:
    crate = tmp / "quickstart-rs"
    (crate / "src").mkdir(parents=True)
    (crate / "Cargo.toml").write_text(
        '[package]\nname = "quickstart"\nversion = "0.0.0"\nedition = "2021"\n\n[workspace]\n\n'
        f'[dependencies]\npushmetrics = {{ path = "{root / "core"}" }}\n'
    )
    (crate / "src/main.rs").write_text(code)
    # The workspace's lock file and target directory: the same dependency versions, already built.
    (crate / "Cargo.lock").write_bytes((root / "Cargo.lock").read_bytes())
    target = root / "target"
    subprocess.run(["cargo", "build", "-q", "--release", "--manifest-path", str(crate / "Cargo.toml"), "--target-dir", str(target)], check=True)
    return [str(target / "release/quickstart")]


runners = {"python": run_python, "js": run_js, "c": run_c, "rust": run_rust}
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
