#!/usr/bin/env bash
# The demo: builds the library, starts a real Pushgateway on 127.0.0.1, runs the example
# batch job of every language against it, shows what the gateway holds, then stops the
# gateway under a running job and brings it back to show that nothing recorded meanwhile
# is lost. Last, it starts Prometheus and VictoriaMetrics and points the Rust job at both
# by remote write, through the environment alone, and reads the numbers back with PromQL.
# Run it with `make demo`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
log=$(mktemp -d /tmp/pushmetrics-demo.XXXXXX)
bold=$(tput bold 2>/dev/null || true); plain=$(tput sgr0 2>/dev/null || true)
say() { printf '\n%s== %s ==%s\n' "$bold" "$*" "$plain"; }

say "building"
cargo build --release -q -p pushmetrics-example 2>"$log/build.log" || { cat "$log/build.log"; exit 1; }
echo "  built (logs in $log)"

if ! eval "$(tests/pushgateway.sh start 2>/dev/null)"; then
    say "no Pushgateway"
    echo "  prometheus-pushgateway could not be started (apt-get install prometheus-pushgateway)."
    echo "  Here is what the Rust job would push, as text exposition:"
    env -u PGW_URL -u PUSHMETRICS_URL ./target/release/example-job
    exit 0
fi
RECEIVERS_DIR=
cleanup() {
    tests/pushgateway.sh stop "$PGW_PID" || true
    if [ -n "$RECEIVERS_DIR" ]; then tests/receivers.sh stop "$RECEIVERS_DIR"; fi
    rm -rf "$log"
}
trap cleanup EXIT
echo "  Pushgateway at $PGW_URL"

say "act 1: one batch job per language"
for lang in rust c cpp python node; do
    if [ "$lang" = rust ]; then
        cmd=(./target/release/example-job)
    elif [ -x "examples/$lang/run.sh" ]; then
        cmd=("examples/$lang/run.sh")
    else
        printf '  %-7s not available\n' "$lang"; continue
    fi
    if out=$(PGW_URL=$PGW_URL "${cmd[@]}" 2>"$log/$lang.err"); then
        printf '  %-7s %s\n' "$lang" "$(echo "$out" | tail -n 1)"
    else
        printf '  %-7s FAILED:\n' "$lang"; sed 's/^/          /' "$log/$lang.err" | tail -n 5
    fi
done

say "what the gateway holds now"
python3 examples/show_gateway.py "$PGW_URL" example_

say "act 2: the gateway goes away under a running job"
port=${PGW_URL##*:}
PGW_URL=$PGW_URL ./target/release/example-job --outage 6 >"$log/outage.out" 2>&1 &
job=$!
sleep 1.5
tests/pushgateway.sh stop "$PGW_PID"
echo "  gateway stopped; the job keeps recording and its pushes fail"
sleep 2.5
eval "$(PGW_PORT=$port tests/pushgateway.sh start)"
echo "  gateway back (empty: it keeps no state); the job's next push restores everything"
wait "$job" || true
echo "  $(tail -n 1 "$log/outage.out")"
python3 examples/show_gateway.py "$PGW_URL" example_outage
batches=$(sed -n 's/.*: \([0-9]*\) batches.*/\1/p' "$log/outage.out")
echo
echo "  The job recorded ${batches:-?} batches of 100 rows: import_rows_total above should read"
echo "  $(( ${batches:-0} * 100 )), the rows recorded while the gateway was down included."

say "act 3: remote write, straight into Prometheus and VictoriaMetrics"
if ! eval "$(tests/receivers.sh start 2>/dev/null)"; then
    echo "  prometheus or victoria-metrics could not be started (apt-get install prometheus"
    echo "  victoria-metrics, or make deps); skipping this act."
    exit 0
fi
echo "  Prometheus at $PROM_URL, VictoriaMetrics at $VM_URL"
echo "  The same Rust job, redirected by the environment alone (no rebuild):"
echo "    PUSHMETRICS_TARGET=remote_write"
echo "    PUSHMETRICS_URL=\$VM_URL/api/v1/write,\$PROM_URL/api/v1/write"
if ! out=$(env -u PGW_URL PUSHMETRICS_TARGET=remote_write \
    PUSHMETRICS_URL="$VM_URL/api/v1/write,$PROM_URL/api/v1/write" \
    ./target/release/example-job 2>"$log/remote_write.err"); then
    echo "  FAILED:"; sed 's/^/    /' "$log/remote_write.err" | tail -n 5
    exit 1
fi
echo "$out" | sed 's/^/  /'
batches=$(echo "$out" | sed -n 's/.*: \([0-9]*\) batches.*/\1/p')
batches=${batches:-0}
# Batch b imports 100 rows into table b mod 3 (users, orders, events).
per_table() { echo $(( (batches - $1 + 2) / 3 * 100 )); }
echo
echo "  What the receivers hold, read back with PromQL, next to what the job recorded:"
python3 examples/show_receivers.py --vm "$VM_URL" --prom "$PROM_URL" --by table \
    --recorded "users=$(per_table 0),orders=$(per_table 1),events=$(per_table 2)" \
    'sum by (table) (last_over_time(import_rows_total{job="example_rust"}[5m]))'
python3 examples/show_receivers.py --vm "$VM_URL" --prom "$PROM_URL" --recorded "$batches" \
    'sum(last_over_time(import_batch_seconds_count{job="example_rust"}[5m]))'
echo
echo "  The job has ended: its shutdown wrote the final values, then a staleness marker for"
echo "  every series, so a query at this instant finds none of them (without the markers they"
echo "  would linger for Prometheus' 5-minute lookback). last_over_time() above reads the last"
echo "  values before the markers."
python3 examples/show_receivers.py --vm "$VM_URL" --prom "$PROM_URL" --timeout 0 \
    'count(import_rows_total{job="example_rust"})'
