#!/usr/bin/env bash
# Runs the test suites of the named languages (rust c python node) and prints one summary
# line; exits non-zero if any suite failed.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
passed=0; failed=0; failures=()
for lang in "$@"; do
    case $lang in
    rust) cmd=(cargo test --release --quiet) ;;
    *) [ -x "tests/$lang/run.sh" ] || continue; cmd=("tests/$lang/run.sh") ;;
    esac
    echo "=== $lang tests ==="
    if "${cmd[@]}"; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$lang"); fi
done
echo "suites: $passed passed, $failed failed${failures:+ (${failures[*]})}"
[ "$failed" -eq 0 ]
