#!/usr/bin/env bash
# Runs the named test suites (rust c python node docs dist lint) and prints one summary
# line; exits non-zero if any suite failed.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
passed=0; failed=0; failures=()
# The Rust suite: every default member's tests (the fuzz corpus replay included), then the
# loom model of the striped counter cell (core/src/metric/cell.rs), in a target directory
# of its own because `--cfg loom` rebuilds every dependency (unoptimised: it builds in
# half the time, and the models still run in seconds).
rust_suite() {
    cargo test --release --quiet &&
        CARGO_TARGET_DIR="$root/target/loom" RUSTFLAGS="--cfg loom" \
            cargo test -p pushmetrics --quiet --lib loom
}
for lang in "$@"; do
    case $lang in
    rust) cmd=(rust_suite) ;;
    *) [ -x "tests/$lang/run.sh" ] || continue; cmd=("tests/$lang/run.sh") ;;
    esac
    echo "=== $lang tests ==="
    if "${cmd[@]}"; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$lang"); fi
done
echo "suites: $passed passed, $failed failed${failures:+ (${failures[*]})}"
[ "$failed" -eq 0 ]
