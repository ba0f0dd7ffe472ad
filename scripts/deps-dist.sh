#!/usr/bin/env bash
# What `make dist` needs besides cargo: maturin for the wheel and the sdist, zig (the
# ziglang package) with cargo-zigbuild to link every library against glibc 2.17 without a
# manylinux container, node and npm to pack the npm tarballs, tar, and strip (binutils) for
# the static library.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
command -v node >/dev/null && command -v npm >/dev/null || apt_need nodejs npm
apt_need tar gzip binutils
command -v cargo >/dev/null || { echo "cargo is required (https://rustup.rs)" >&2; exit 1; }
venv_need maturin ziglang cargo-zigbuild
