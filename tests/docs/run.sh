#!/usr/bin/env bash
# The operator kit: alerting rules valid and unit-tested with promtool, the dashboard and
# the rules refer only to metrics the pushers export.
set -uo pipefail
cd "$(dirname "$0")"
passed=0; failed=0
check() { if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi; }
check promtool check rules ../../docs/operations/alerts.yml
check promtool test rules alerts_test.yml
check python3 check_docs.py
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
