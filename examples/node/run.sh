#!/usr/bin/env bash
# Builds the Node addon if needed and runs the example job against $PGW_URL.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bash "$root/scripts/deps-node.sh"
(cd "$root/bindings/node" && node install.js --force 2>&1 | grep -vE '^\s+(Compiling|Blocking|Finished)' || true)
node "$root/examples/node/job.js"
