#!/usr/bin/env bash
# pushmetrics vs prometheus_client in one run: builds the package (release), starts a local
# Pushgateway, prints one table with the ratios.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
bash scripts/deps-python.sh
export VIRTUAL_ENV=$root/build/venv
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
(cd bindings/python && "$VIRTUAL_ENV/bin/maturin" develop --release --quiet >/dev/null)
eval "$(tests/pushgateway.sh start)"
trap 'tests/pushgateway.sh stop "$PGW_PID"' EXIT
"$VIRTUAL_ENV/bin/python" bench/python/bench.py
