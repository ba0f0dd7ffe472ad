#!/usr/bin/env bash
# Start-up and one-shot jobs against the incumbents (bench/startup/startup.py), with the
# packages of `make dist` installed as a user installs them: the wheel in a venv beside
# prometheus_client, the npm tarballs in an npm project beside prom-client, the C tarball
# under a prefix. Pushes to the Pushgateway at $PGW_URL.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
: "${PGW_URL:?set PGW_URL to a Pushgateway}"
out=$root/build/bench-startup
mkdir -p "$out"
bash scripts/dist.sh >"$out/dist.log" 2>&1 || { tail -n 30 "$out/dist.log" >&2; exit 1; }
version=$(bash scripts/version.sh)
dist=$root/dist

# The incumbents at the versions the other benchmarks compare against.
client_version=$("$root/build/venv/bin/python" -c 'from importlib.metadata import version; print(version("prometheus_client"))')
prom_client_version=$(node -p "require('$root/bindings/node/package.json').devDependencies['prom-client']")

[ -x "$out/venv/bin/python" ] || python3 -m venv "$out/venv"
"$out/venv/bin/pip" install -q --disable-pip-version-check "prometheus_client==$client_version"
"$out/venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps \
    "$dist"/pushmetrics-"$version"-*.whl

project=$out/npm
mkdir -p "$project"
[ -e "$project/package.json" ] || (cd "$project" && npm init -y >/dev/null)
(cd "$project" && npm install -q --no-audit --no-fund --loglevel=error \
    "$dist/pushmetrics-$version.tgz" "$dist/pushmetrics-linux-x64-gnu-$version.tgz" \
    "prom-client@$prom_client_version")
cp bench/startup/job_pushmetrics.js bench/startup/job_prom_client.js "$project/"

prefix=$out/prefix
rm -rf "$prefix"
mkdir -p "$prefix"
tar -xzf "$dist/pushmetrics-$version-linux-x86_64-gnu.tar.gz" -C "$prefix" --strip-components=1
cc -std=c99 -O2 -Wall -Wextra -Werror bench/startup/job_pushmetrics.c -o "$out/job_c" \
    $(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --cflags --libs pushmetrics) -Wl,-rpath,"$prefix/lib"

echo "pushmetrics $version (make dist) vs prometheus_client $client_version and prom-client $prom_client_version"
echo "sizes: $(cd "$dist" && for f in *.whl *.tgz *linux-x86_64-gnu.tar.gz; do printf '%s %s KiB; ' "$f" $(( $(stat -c %s "$f") / 1024 )); done)"
echo "       libpushmetrics.so $(( $(stat -c %s "$prefix/lib/libpushmetrics.so") / 1024 )) KiB, pushmetrics.linux-x64-gnu.node $(( $(stat -c %s "$project/node_modules/pushmetrics-linux-x64-gnu/pushmetrics.linux-x64-gnu.node") / 1024 )) KiB"
echo
"$out/venv/bin/python" bench/startup/startup.py "$out/venv/bin/python" "$project" "$out/job_c" "$PGW_URL"
