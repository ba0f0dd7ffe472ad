#!/usr/bin/env bash
# Starts or stops a Pushgateway for a test suite or the demo, on 127.0.0.1 and a free port,
# with no persistence file (Debian's default file would leak state between runs).
#
#   eval "$(tests/pushgateway.sh start)"   # exports PGW_URL, PGW_PID, PGW_LOG
#   tests/pushgateway.sh stop "$PGW_PID"
set -euo pipefail

bin=${PUSHGATEWAY_BIN:-/usr/bin/prometheus-pushgateway}

case "${1:-}" in
start)
    if [ ! -x "$bin" ]; then
        echo "echo 'prometheus-pushgateway is not installed (run: make deps)' >&2; false"
        exit 1
    fi
    port=${PGW_PORT:-}
    [ -n "$port" ] || port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
    log=$(mktemp /tmp/pushmetrics-pgw.XXXXXX.log)
    "$bin" --web.listen-address="127.0.0.1:$port" --persistence.file="" \
        --web.enable-admin-api >"$log" 2>&1 &
    pid=$!
    for _ in $(seq 1 300); do
        if curl -fsS -o /dev/null "http://127.0.0.1:$port/-/ready" 2>/dev/null; then
            echo "export PGW_URL=http://127.0.0.1:$port PGW_PID=$pid PGW_LOG=$log"
            exit 0
        fi
        sleep 0.1
    done
    kill "$pid" 2>/dev/null || true
    echo "echo 'pushgateway did not become ready; log: $log' >&2; false"
    exit 1
    ;;
stop)
    pid=${2:?pid}
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    ;;
*)
    echo "usage: $0 start | stop PID" >&2
    exit 2
    ;;
esac
