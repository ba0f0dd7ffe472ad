#!/usr/bin/env bash
# The Node test suite: installs what it needs, builds the addon, checks the JavaScript and
# the TypeScript declarations, starts a Pushgateway and the remote-write receivers
# (Prometheus, VictoriaMetrics) and runs every tests/node/*.test.js.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
bash scripts/deps-node.sh
pkg=bindings/node
(cd "$pkg" && node install.js --force 2>&1 | grep -vE '^\s+(Compiling|Blocking|Finished)' || true)
[ -e "$pkg/pushmetrics.node" ] || { echo "the addon did not build" >&2; exit 1; }
for f in "$pkg"/index.js "$pkg"/index.mjs "$pkg"/install.js "$pkg"/pack.js "$pkg"/lib/*.js tests/node/*.js; do
    node --check "$f"
done
(cd "$pkg" && node_modules/.bin/tsc -p tsconfig.json)
eval "$(tests/pushgateway.sh start)"
trap 'tests/pushgateway.sh stop "$PGW_PID"' EXIT
# The gateway's trap is set first, so a receiver that fails to start does not leave it running.
eval "$(tests/receivers.sh start)"
trap 'tests/pushgateway.sh stop "$PGW_PID"; tests/receivers.sh stop "$RECEIVERS_DIR"' EXIT
node --expose-gc --test --test-concurrency=1 tests/node/*.test.js
