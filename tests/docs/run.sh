#!/usr/bin/env bash
# The docs: alerting rules valid and unit-tested with promtool, the dashboard and the rules
# refer only to metrics the pushers export, every option and self-metric is documented, and
# every quick-start snippet runs and pushes: to a Pushgateway (docs/quickstart.md) and by
# remote write to Prometheus (docs/remote-write.md), or writes node_exporter's textfile
# (docs/textfile.md).
set -uo pipefail
cd "$(dirname "$0")"
passed=0; failed=0
check() { if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi; }
check promtool check rules ../../docs/operations/alerts.yml
check promtool test rules alerts_test.yml
check python3 check_docs.py
check python3 textfile.py
eval "$(../pushgateway.sh start)"
RECEIVERS_DIR=
trap '../pushgateway.sh stop "$PGW_PID"; [ -z "$RECEIVERS_DIR" ] || ../receivers.sh stop "$RECEIVERS_DIR"' EXIT
check python3 quickstart.py
if eval "$(../receivers.sh start)"; then
    check python3 remote_write.py
else
    failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
