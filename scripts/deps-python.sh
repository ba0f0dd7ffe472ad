#!/usr/bin/env bash
# The Python package's needs: maturin to build the extension, pytest and prometheus_client
# (the test suite, the benchmark's comparison), ruff to keep the Python sources clean, and
# the servers the suite pushes to (a Pushgateway, Prometheus, VictoriaMetrics).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
apt_need prometheus-pushgateway prometheus victoria-metrics curl
command -v cargo >/dev/null || { echo "cargo is required (https://rustup.rs)" >&2; exit 1; }
venv_need maturin pytest prometheus_client ruff
