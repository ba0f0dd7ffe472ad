"""Runs the code blocks of a documentation page as programs: Python with the venv's
interpreter, JavaScript against bindings/node, C against the library installed in
build/prefix, and Rust as a crate of its own on the workspace's lock file and target
directory. Used by quickstart.py (the Pushgateway) and remote_write.py (remote write)."""

import os
import pathlib
import re
import subprocess

root = pathlib.Path(__file__).resolve().parents[2]


def blocks(text: str) -> dict[str, str]:
    """The code blocks of `text` by language (the first word of the info string); the
    last block of a language wins."""
    return {
        lang: code
        for lang, code in re.findall(r"```(\w+)[^\n]*\n(.*?)```", text, re.DOTALL)
    }


def section(text: str, heading: str) -> str:
    """The part of a Markdown page from the `## heading` line to the next `## ` heading."""
    m = re.search(
        rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.DOTALL | re.MULTILINE
    )
    if not m:
        raise SystemExit(f"no section '## {heading}'")
    return m.group(1)


def run_python(code: str, tmp: pathlib.Path) -> list[str]:
    venv = root / "build/venv/bin/python"
    (tmp / "snippet.py").write_text(code)
    return [str(venv if venv.exists() else "python3"), str(tmp / "snippet.py")]


def run_js(code: str, tmp: pathlib.Path) -> list[str]:
    (tmp / "snippet.js").write_text(
        code.replace(
            "require('pushmetrics')", f"require({str(root / 'bindings/node')!r})"
        )
    )
    return ["node", str(tmp / "snippet.js")]


def run_c(code: str, tmp: pathlib.Path) -> list[str]:
    prefix = root / "build/prefix"
    subprocess.run(
        ["make", "-s", "-C", str(root), "install", f"PREFIX={prefix}"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    (tmp / "snippet.c").write_text(code)
    env = dict(os.environ, PKG_CONFIG_PATH=str(prefix / "lib/pkgconfig"))
    flags = subprocess.run(
        ["pkg-config", "--cflags", "--libs", "pushmetrics"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    exe = tmp / "snippet"
    subprocess.run(
        [
            "cc",
            "-std=c99",
            "-Wall",
            "-Wextra",
            "-Werror",
            str(tmp / "snippet.c"),
            "-o",
            str(exe),
            *flags,
            f"-Wl,-rpath,{prefix / 'lib'}",
        ],
        check=True,
    )
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
    subprocess.run(
        [
            "cargo",
            "build",
            "-q",
            "--release",
            "--manifest-path",
            str(crate / "Cargo.toml"),
            "--target-dir",
            str(target),
        ],
        check=True,
    )
    return [str(target / "release/quickstart")]


runners = {"python": run_python, "js": run_js, "c": run_c, "rust": run_rust}
