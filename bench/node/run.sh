#!/usr/bin/env bash
# pushmetrics vs prom-client 15.1 in one run (bench/node/run.js prints the table). Builds the
# addon, starts a local Pushgateway for the push case. RUNS=n sets the runs per case;
# arguments pick cases (held_inc plain_inc inc_labels labels_inc observe memory labels_memory
# labels_create metrics push serve serve_cpu serve_defaults).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
bash scripts/deps-node.sh
(cd bindings/node && node install.js --force 2>&1 | grep -vE '^\s+(Compiling|Blocking|Finished)' || true)
eval "$(tests/pushgateway.sh start)"
trap 'tests/pushgateway.sh stop "$PGW_PID"' EXIT
node bench/node/run.js "$@"
