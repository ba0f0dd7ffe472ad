#!/usr/bin/env bash
# The operator kit's checks need promtool (Debian's prometheus package).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
apt_need prometheus
