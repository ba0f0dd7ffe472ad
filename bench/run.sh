#!/usr/bin/env bash
# Runs every benchmark side by side with the incumbent libraries and prints their tables.
# Numbers are medians of several runs; run on a quiet machine.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo build --release -q -p pushmetrics-bench --bins
eval "$(tests/pushgateway.sh start)"
trap 'tests/pushgateway.sh stop "$PGW_PID"' EXIT

echo "== Rust: pushmetrics vs prometheus (tikv) and prometheus-client =="
./target/release/pushmetrics-bench
echo
echo "== Rust: pushing to a local Pushgateway =="
PGW_URL=$PGW_URL ./target/release/push
for lang in c python node; do
    if [ -x "bench/$lang/run.sh" ]; then
        echo
        echo "== $lang =="
        PGW_URL=$PGW_URL "bench/$lang/run.sh"
    fi
done
