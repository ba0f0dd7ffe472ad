#!/usr/bin/env bash
# The core's needs: a Pushgateway, Prometheus and VictoriaMetrics for the end-to-end tests,
# curl and openssl for the test helpers (TLS material), and prometheus_client's parser for
# the text round-trip test.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
apt_need prometheus-pushgateway prometheus victoria-metrics curl openssl
command -v cargo >/dev/null || { echo "cargo is required (https://rustup.rs)" >&2; exit 1; }
venv_need prometheus_client
# rustfmt and clippy for the lint suite (tests/lint/run.sh).
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
    rustup component add rustfmt clippy
fi
