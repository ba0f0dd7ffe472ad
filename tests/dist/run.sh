#!/usr/bin/env bash
# The packages of `make dist`, installed as a user without Rust installs them. Builds
# dist/ once, then, with no cargo or rustc on PATH: installs the wheel into a fresh venv,
# the two npm tarballs into an empty npm project, and unpacks the C tarball under a
# temporary prefix; builds the C and C++ quick starts there with pkg-config and with
# CMake; runs every quick start against a real Pushgateway and checks the numbers that
# arrive. Every artifact must carry the one version of scripts/version.sh. Ends with one
# line: "N passed, N failed".
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=$root/build/dist-test
rm -rf "$out"
mkdir -p "$out"
passed=0
failed=0

check() { # check NAME COMMAND...: one pass or fail, the output shown only on failure
    local name=$1
    shift
    if "$@" >"$out/$name.log" 2>&1; then
        echo "ok   $name"
        passed=$((passed + 1))
    else
        echo "FAIL $name (log: $out/$name.log)"
        tail -n 30 "$out/$name.log" | sed 's/^/     /'
        failed=$((failed + 1))
    fi
}

# The compilers, pkg-config, CMake, curl and the Pushgateway (deps-c), and TypeScript
# (deps-node); scripts/dist.sh installs its own needs.
bash scripts/deps-c.sh || exit 1
bash scripts/deps-node.sh || exit 1
if ! bash scripts/dist.sh >"$out/make_dist.log" 2>&1; then
    echo "FAIL make_dist (log: $out/make_dist.log)"
    tail -n 30 "$out/make_dist.log" | sed 's/^/     /'
    echo "0 passed, 1 failed"
    exit 1
fi
echo "ok   make_dist"
passed=$((passed + 1))
version=$(bash scripts/version.sh)
dist=$root/dist
tsc=$root/bindings/node/node_modules/typescript/bin/tsc

eval "$(tests/pushgateway.sh start)" || exit 1
trap 'tests/pushgateway.sh stop "$PGW_PID"' EXIT

# The quick starts of docs/quickstart.md as files. The environment wins over the code, so
# PUSHMETRICS_URL and PUSHMETRICS_JOB point each run at this gateway under its own job.
python3 - "$out" <<'PY' || exit 1
import pathlib, sys
sys.path.insert(0, "tests/docs")
from snippets import blocks, root
out = pathlib.Path(sys.argv[1])
code = blocks((root / "docs/quickstart.md").read_text())
(out / "quickstart.py").write_text(code["python"])
(out / "quickstart.js").write_text(code["js"])
(out / "quickstart.c").write_text(code["c"])
# The same program as an ES module, through the default and the named exports.
esm = code["js"].replace("const pm = require('pushmetrics');", "import pm, { Counter } from 'pushmetrics';")
assert esm != code["js"], "the Node quick start no longer starts with require('pushmetrics')"
(out / "quickstart.mjs").write_text(esm + "if (Counter !== pm.Counter) throw new Error('named export');\n")
PY

# pushed METRIC JOB: the sum of the samples of METRIC that the gateway holds for JOB.
pushed() {
    curl -fsS "$PGW_URL/metrics" | awk -v m="$1{" -v j="job=\"$2\"" \
        'index($0, m) == 1 && index($0, j) { sum += $NF; n++ } END { if (n) print sum }'
}
# runs_and_pushes JOB METRIC WANT COMMAND...: runs a quick start as JOB; the gateway must
# then hold WANT as the sum of METRIC.
runs_and_pushes() {
    local job=$1 metric=$2 want=$3
    shift 3
    PUSHMETRICS_URL=$PGW_URL PUSHMETRICS_JOB=$job "$@" || return 1
    local value
    value=$(pushed "$metric" "$job")
    echo "$metric of job $job: ${value:-nothing}, want $want"
    [ "$value" = "$want" ]
}
export -f pushed runs_and_pushes

# Where no wheel fits, pip builds the sdist: it must hold a whole workspace that cargo
# resolves on its own (the core as a path dependency, the lock file).
sdist_resolves() {
    mkdir -p "$out/sdist" && tar -xzf "$dist/pushmetrics-$version.tar.gz" -C "$out/sdist" &&
        cargo metadata --offline --format-version 1 \
            --manifest-path "$out/sdist/pushmetrics-$version/bindings/python/Cargo.toml" >"$out/sdist.json" &&
        grep -q '"name":"pushmetrics"' "$out/sdist.json"
}
check sdist_is_a_workspace_cargo_resolves_alone sdist_resolves

# From here on the machine has no Rust: every directory of PATH that holds cargo, rustc
# or rustup is left out, and so are the variables that point at a Rust installation.
clean_path=
IFS=: read -ra dirs <<<"$PATH"
for d in "${dirs[@]}"; do
    if [ -e "$d/cargo" ] || [ -e "$d/rustc" ] || [ -e "$d/rustup" ]; then
        continue
    fi
    clean_path=${clean_path:+$clean_path:}$d
done
export PATH=$clean_path
unset CARGO_HOME RUSTUP_HOME RUSTUP_TOOLCHAIN CARGO_TARGET_DIR RUSTC VIRTUAL_ENV
check no_cargo_or_rustc_on_path bash -c '! command -v cargo && ! command -v rustc'

# --- Python ---------------------------------------------------------------------------
wheel=$(ls "$dist"/pushmetrics-"$version"-cp310-abi3-*manylinux_2_17_x86_64*.whl 2>/dev/null | head -1)
check wheel_is_abi3_manylinux_2_17 test -n "$wheel"
venv=$out/venv
check wheel_installs_into_a_fresh_venv_without_building bash -c "
    python3 -m venv '$venv' &&
    '$venv/bin/pip' install --no-index --only-binary :all: --disable-pip-version-check '$wheel' &&
    test \"\$('$venv/bin/python' -c 'import pushmetrics; print(pushmetrics.__version__)')\" = '$version'"
check python_quick_start_pushes \
    runs_and_pushes dist_python quickstart_rows_total 42 "$venv/bin/python" "$out/quickstart.py"

# --- Node -----------------------------------------------------------------------------
project=$out/npm-project
mkdir -p "$project"
install_npm() (
    cd "$project" && npm init -y >/dev/null &&
        npm install --offline --no-audit --no-fund --loglevel=error \
            "$dist/pushmetrics-$version.tgz" "$dist/pushmetrics-linux-x64-gnu-$version.tgz"
)
check npm_tarballs_install_offline install_npm
# Nothing runs at install time and nothing builds: no install script, no dependency but
# the platform package.
no_install_time_work() {
    node - "$project/node_modules" "$version" <<'JS'
const [dir, version] = process.argv.slice(2);
for (const name of ['pushmetrics', 'pushmetrics-linux-x64-gnu']) {
  const m = require(`${dir}/${name}/package.json`);
  const scripts = Object.keys(m.scripts || {}).filter((s) => /install|prepare/.test(s));
  if (scripts.length) throw new Error(`${name} has install-time scripts: ${scripts}`);
  if (m.dependencies) throw new Error(`${name} has dependencies: ${Object.keys(m.dependencies)}`);
  if (m.version !== version) throw new Error(`${name} is ${m.version}, not ${version}`);
}
const optional = require(`${dir}/pushmetrics/package.json`).optionalDependencies;
if (optional['pushmetrics-linux-x64-gnu'] !== version) throw new Error(JSON.stringify(optional));
JS
}
check npm_packages_have_no_install_scripts_or_dependencies no_install_time_work
cp "$out/quickstart.js" "$out/quickstart.mjs" "$project/"
check node_quick_start_cjs_pushes bash -c "cd '$project' &&
    runs_and_pushes dist_node_cjs quickstart_rows_total 42 node quickstart.js"
check node_quick_start_esm_pushes bash -c "cd '$project' &&
    runs_and_pushes dist_node_esm quickstart_rows_total 42 node quickstart.mjs"
types_resolve() (
    cd "$project" && cat >types.ts <<'TS'
import { Counter, Pusher, Registry } from 'pushmetrics';
const registry = new Registry();
new Counter({ name: 'typed_total', help: 'Typed', registers: [registry] }).inc();
const pusher: Pusher = new Pusher({ url: 'https://gateway:9091', job: 'typed', registry, caFile: 'ca.pem', caFileOnly: true });
void pusher;
TS
    node "$tsc" --strict --noEmit --module nodenext --moduleResolution nodenext types.ts
)
check node_types_resolve_from_the_package types_resolve
missing_platform_package_is_named() (
    cd "$project" && mv node_modules/pushmetrics-linux-x64-gnu "$out/platform-package" || return 1
    node -e "require('pushmetrics')" 2>"$out/missing.err"
    local rc=$?
    mv "$out/platform-package" node_modules/pushmetrics-linux-x64-gnu
    cat "$out/missing.err"
    [ "$rc" -ne 0 ] && grep -q 'linux-x64-gnu' "$out/missing.err"
)
check node_without_its_platform_package_names_the_platform missing_platform_package_is_named

# --- C and C++ ------------------------------------------------------------------------
prefix=$out/prefix
mkdir -p "$prefix"
check c_tarball_unpacks_under_any_prefix bash -c "
    tar -xzf '$dist/pushmetrics-$version-linux-x86_64-gnu.tar.gz' -C '$prefix' --strip-components=1 &&
    for f in include/pushmetrics.h lib/libpushmetrics.so lib/libpushmetrics.a lib/pkgconfig/pushmetrics.pc \
        lib/cmake/pushmetrics/pushmetricsConfig.cmake lib/cmake/pushmetrics/pushmetricsConfigVersion.cmake; do
        test -f '$prefix'/\$f || { echo missing \$f; exit 1; }
    done &&
    test \"\$(PKG_CONFIG_PATH='$prefix/lib/pkgconfig' pkg-config --modversion pushmetrics)\" = '$version'"
# glibc 2.17 is the oldest the libraries promise (manylinux2014); no newer symbol version.
newest_glibc() {
    objdump -T "$1" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -1
}
libraries_need_glibc_2_17() {
    local f v
    for f in "$prefix/lib/libpushmetrics.so" "$project/node_modules/pushmetrics-linux-x64-gnu/"*.node; do
        v=$(newest_glibc "$f")
        echo "$f: GLIBC_$v"
        [ "$(printf '%s\n2.17\n' "$v" | sort -V | tail -1)" = 2.17 ] || return 1
    done
}
check libraries_need_no_glibc_newer_than_2_17 libraries_need_glibc_2_17
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
# C: the quick start of docs/quickstart.md. C++: examples/cpp/job.cpp, which wraps the C
# ABI in RAII handles and records 3000 rows in import_rows_total.
cpp=$root/examples/cpp/job.cpp
check c_quick_start_with_pkg_config_pushes bash -c "
    cc -std=c99 -Wall -Wextra -Werror '$out/quickstart.c' -o '$out/quickstart_c' \
        \$(pkg-config --cflags --libs pushmetrics) -Wl,-rpath,'$prefix/lib' &&
    runs_and_pushes dist_c_pkg_config quickstart_rows_total 42 '$out/quickstart_c'"
check cpp_quick_start_with_pkg_config_pushes bash -c "
    c++ -std=c++17 -Wall -Wextra -Werror '$cpp' -o '$out/quickstart_cpp' \
        \$(pkg-config --cflags --libs pushmetrics) -Wl,-rpath,'$prefix/lib' &&
    PGW_URL=\$PGW_URL runs_and_pushes dist_cpp_pkg_config import_rows_total 3000 '$out/quickstart_cpp'"
check c_static_and_cpp_quick_starts_with_cmake_push bash -c "
    cmake -S tests/dist -B '$out/cmake' -DCMAKE_PREFIX_PATH='$prefix' -DPUSHMETRICS_VERSION='$version' \
        -DQUICKSTART_C='$out/quickstart.c' -DQUICKSTART_CPP='$cpp' && cmake --build '$out/cmake' &&
    runs_and_pushes dist_c_cmake_static quickstart_rows_total 42 '$out/cmake/quickstart_c_static' &&
    LD_LIBRARY_PATH='$prefix/lib' runs_and_pushes dist_cpp_cmake import_rows_total 3000 '$out/cmake/quickstart_cpp'"
c_reports_the_version() {
    printf '#include <pushmetrics.h>\n#include <stdio.h>\nint main(void) { puts(pm_version()); return 0; }\n' >"$out/version.c"
    cc "$out/version.c" -o "$out/version" $(pkg-config --cflags --libs pushmetrics) -Wl,-rpath,"$prefix/lib" &&
        test "$("$out/version")" = "$version"
}
check pm_version_is_the_package_version c_reports_the_version

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
