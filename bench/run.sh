#!/usr/bin/env bash
# Runs every benchmark side by side with the incumbent libraries, prints each one's own
# table, then a summary: one table of comparisons and one of pushmetrics' targets with
# their verdicts. Numbers are medians of several runs: use a quiet machine.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=$(mktemp -d /tmp/pushmetrics-bench.XXXXXX)
cargo build --release -q -p pushmetrics-bench --bins
eval "$(tests/pushgateway.sh start)"
trap 'tests/pushgateway.sh stop "$PGW_PID"; rm -rf "$out"' EXIT

echo "== Rust: pushmetrics vs prometheus (tikv) and prometheus-client =="
./target/release/pushmetrics-bench | tee "$out/rust"
echo
echo "== Rust: pushing to a local Pushgateway =="
PGW_URL=$PGW_URL ./target/release/push
# The receivers run only for their benchmark: idle, they would still take CPU from the rest.
echo
echo "== Rust: remote write to Prometheus and VictoriaMetrics =="
eval "$(tests/receivers.sh start)"
trap 'tests/receivers.sh stop "$RECEIVERS_DIR"; tests/pushgateway.sh stop "$PGW_PID"; rm -rf "$out"' EXIT
PROM_URL=$PROM_URL VM_URL=$VM_URL ./target/release/remote_write | tee "$out/rust-remote-write"
tests/receivers.sh stop "$RECEIVERS_DIR"
trap 'tests/pushgateway.sh stop "$PGW_PID"; rm -rf "$out"' EXIT
summary=("rust=$out/rust" "rust=$out/rust-remote-write")
# startup: import and one-shot jobs of the packages users install (make dist).
for lang in c python node startup; do
    if [ -x "bench/$lang/run.sh" ]; then
        echo
        echo "== $lang =="
        PGW_URL=$PGW_URL "bench/$lang/run.sh" | tee "$out/$lang"
        summary+=("$lang=$out/$lang")
    fi
done
echo
echo "== summary =="
python3 bench/summary.py "${summary[@]}"
