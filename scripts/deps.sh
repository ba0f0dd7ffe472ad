#!/usr/bin/env bash
# Installs what building, testing and the demo need on a Debian machine. Idempotent and
# quiet when everything is already there. Each language has its own scripts/deps-*.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
for part in "$here"/deps-*.sh; do
    bash "$part"
done
