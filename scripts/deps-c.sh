#!/usr/bin/env bash
# The C ABI's needs: compilers, valgrind, pkg-config and cmake for the C/C++ tests,
# examples and install check, the servers the C suite pushes to (Pushgateway, Prometheus,
# VictoriaMetrics) and curl to read them back, and cbindgen to regenerate
# include/pushmetrics.h.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
apt_need gcc g++ valgrind pkg-config cmake make curl prometheus-pushgateway prometheus victoria-metrics
command -v cargo >/dev/null || { echo "cargo is required (https://rustup.rs)" >&2; exit 1; }
if ! command -v cbindgen >/dev/null && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/cbindgen" ]; then
    echo "installing cbindgen" >&2
    cargo install cbindgen --locked --quiet
fi
