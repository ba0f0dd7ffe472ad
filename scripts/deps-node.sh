#!/usr/bin/env bash
# The Node package's needs: node and npm (from Debian when missing), then the package's npm
# dependencies (@napi-rs/cli to build the addon, prom-client for the benchmarks, typescript
# for the declarations), installed again only when package.json or the lock file changed;
# and promtool (Debian's prometheus package), which checks the textfiles the tests write.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
command -v node >/dev/null && command -v npm >/dev/null || apt_need nodejs npm
apt_need prometheus
pkg=$root/bindings/node
stamp=$pkg/node_modules/.package-lock.json
if [ ! -e "$stamp" ] || [ "$pkg/package.json" -nt "$stamp" ] || [ "$pkg/package-lock.json" -nt "$stamp" ]; then
    # --ignore-scripts: the addon itself is built by the test, example and bench scripts.
    (cd "$pkg" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
fi
