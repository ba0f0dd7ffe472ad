#!/usr/bin/env bash
# The lint suite: rustfmt and clippy (warnings are errors) over the workspace's default
# members, ruff over the Python package and its tests (with the package's own ruff
# settings), and tsc over the Node declarations and their type test. Every check runs,
# then the suite fails if any did. The tools come from scripts/deps.sh: ruff in
# build/venv (deps-python.sh), typescript in bindings/node/node_modules (deps-node.sh).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
bash scripts/deps-rust.sh
bash scripts/deps-python.sh
bash scripts/deps-node.sh
venv=${VENV:-$root/build/venv}
failed=()
check() {
    local name=$1
    shift
    echo "--- $name"
    "$@" || failed+=("$name")
}
check rustfmt cargo fmt --all -- --check
check clippy cargo clippy --all-targets --quiet -- -D warnings
check ruff "$venv/bin/ruff" check --config bindings/python/pyproject.toml bindings/python/python tests/python
check tsc bindings/node/node_modules/.bin/tsc --noEmit -p bindings/node/tsconfig.json
[ ${#failed[@]} -eq 0 ] || { echo "lint failed: ${failed[*]}" >&2; exit 1; }
