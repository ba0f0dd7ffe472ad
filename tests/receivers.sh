#!/usr/bin/env bash
# Starts or stops the remote-write receivers for a test suite, the demo or a benchmark:
# Prometheus (with its remote-write receiver) and VictoriaMetrics, on 127.0.0.1 and free
# ports, each with a temporary data directory.
#
#   eval "$(tests/receivers.sh start)"   # exports PROM_URL, VM_URL, RECEIVERS_DIR
#   tests/receivers.sh stop "$RECEIVERS_DIR"
#
# Write endpoints: $PROM_URL/api/v1/write and $VM_URL/api/v1/write. VictoriaMetrics runs
# with -search.latencyOffset=0s, so its queries see fresh data without the usual 30 s delay.
set -euo pipefail

prom=${PROMETHEUS_BIN:-/usr/bin/prometheus}
vm=${VICTORIA_METRICS_BIN:-/usr/bin/victoria-metrics}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_ready() { # wait_ready URL SECONDS
    local deadline=$((SECONDS + $2))
    until curl -fsS -o /dev/null "$1" 2>/dev/null; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.05
    done
}

stop_dir() {
    local dir=$1 f
    for f in "$dir"/*.pid; do [ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
    for f in "$dir"/*.pid; do
        [ -e "$f" ] || continue
        for _ in $(seq 1 50); do kill -0 "$(cat "$f")" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$(cat "$f")" 2>/dev/null || true
    done
    rm -rf "$dir"
}

case "${1:-}" in
start)
    for bin in "$prom" "$vm"; do
        if [ ! -x "$bin" ]; then
            echo "echo '$bin is not installed (run: make deps)' >&2; false"
            exit 1
        fi
    done
    dir=$(mktemp -d /tmp/pushmetrics-receivers.XXXXXX)
    prom_port=${PROM_PORT:-$(free_port)}
    vm_port=${VM_PORT:-$(free_port)}
    # Scrapes nothing: every sample arrives by remote write.
    printf 'global: {scrape_interval: 15s}\n' >"$dir/prometheus.yml"
    "$prom" --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/prom" \
        --web.listen-address="127.0.0.1:$prom_port" --web.enable-remote-write-receiver \
        --web.enable-admin-api >"$dir/prom.log" 2>&1 &
    echo $! >"$dir/prom.pid"
    "$vm" -storageDataPath="$dir/vm" -httpListenAddr="127.0.0.1:$vm_port" \
        -search.latencyOffset=0s -search.disableCache >"$dir/vm.log" 2>&1 &
    echo $! >"$dir/vm.pid"
    if wait_ready "http://127.0.0.1:$prom_port/-/ready" 60 && wait_ready "http://127.0.0.1:$vm_port/health" 60; then
        echo "export PROM_URL=http://127.0.0.1:$prom_port VM_URL=http://127.0.0.1:$vm_port RECEIVERS_DIR=$dir"
        exit 0
    fi
    tail -n 5 "$dir"/*.log >&2 || true
    stop_dir "$dir"
    echo "echo 'prometheus or victoria-metrics did not become ready' >&2; false"
    exit 1
    ;;
stop)
    stop_dir "${2:?receivers dir}"
    ;;
*)
    echo "usage: $0 start | stop RECEIVERS_DIR" >&2
    exit 2
    ;;
esac
