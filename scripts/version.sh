#!/usr/bin/env bash
# Prints the version of every package: the workspace's `version` in Cargo.toml, the one
# place it is set. The crates, the wheel (maturin), the npm packages (pack.js), the C
# tarball, its pkg-config and CMake files and pm_version() all take it from there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' "$root/Cargo.toml"
