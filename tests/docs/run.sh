#!/usr/bin/env bash
# The docs: alerting rules valid and unit-tested with promtool, the dashboard and the rules
# refer only to metrics the pushers export, and every quick-start snippet runs and pushes.
set -uo pipefail
cd "$(dirname "$0")"
passed=0; failed=0
check() { if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi; }
check promtool check rules ../../docs/operations/alerts.yml
check promtool test rules alerts_test.yml
check python3 check_docs.py
eval "$(../pushgateway.sh start)"
trap '../pushgateway.sh stop "$PGW_PID"' EXIT
check python3 quickstart.py
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
