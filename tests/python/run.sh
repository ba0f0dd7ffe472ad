#!/usr/bin/env bash
# The Python suite: builds and installs the package into build/venv, starts a Pushgateway
# and the remote-write receivers of its own, runs pytest, and stops them all on exit.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
bash scripts/deps-python.sh
export VIRTUAL_ENV=$root/build/venv
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
(cd bindings/python && "$VIRTUAL_ENV/bin/maturin" develop --release --quiet 2>&1 | grep -v "^\(📦\|🛠\|✏️\|🔗\|🐍\)" || true)
"$VIRTUAL_ENV/bin/python" -c "import pushmetrics" # fail here, not in every test, if the build did not install
eval "$(tests/pushgateway.sh start)"
trap 'tests/pushgateway.sh stop "$PGW_PID"' EXIT
eval "$(tests/receivers.sh start)"
trap 'tests/pushgateway.sh stop "$PGW_PID"; tests/receivers.sh stop "$RECEIVERS_DIR"' EXIT
"$VIRTUAL_ENV/bin/python" -m pytest -q -p no:cacheprovider tests/python "$@"
