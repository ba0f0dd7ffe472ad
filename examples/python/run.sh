#!/usr/bin/env bash
# Builds and installs the Python package into build/venv, then runs the example job
# against $PGW_URL (default http://127.0.0.1:9091).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bash "$root/scripts/deps-python.sh"
export VIRTUAL_ENV=$root/build/venv
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
# A no-op when nothing changed; otherwise builds the current sources.
(cd "$root/bindings/python" && "$VIRTUAL_ENV/bin/maturin" develop --release --quiet >/dev/null)
exec "$VIRTUAL_ENV/bin/python" "$root/examples/python/job.py"
