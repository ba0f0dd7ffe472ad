#!/usr/bin/env bash
# `make dist`: the packages a user installs without Rust, in dist/:
#   pushmetrics-V-cp310-abi3-manylinux...x86_64.whl        one wheel for CPython 3.10+
#   pushmetrics-V.tar.gz                                   the sdist, built where no wheel fits
#   pushmetrics-V.tgz, pushmetrics-linux-x64-gnu-V.tgz     the npm package and its prebuilt addon
#   pushmetrics-V-linux-x86_64-gnu.tar.gz                  the C library: include/, lib/,
#                                                          pkg-config and CMake files
# Every library is linked against glibc 2.17 by zig (no manylinux container), with the
# `dist` profile of Cargo.toml, and V is the one version of scripts/version.sh.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$root"
bash scripts/deps-dist.sh
# maturin, cargo-zigbuild, and the venv's python, through which both find zig (ziglang).
export PATH=$VENV/bin:$PATH
version=$(bash scripts/version.sh)
triple=x86_64-unknown-linux-gnu
glibc=2.17
out=$root/dist
target_dir=${CARGO_TARGET_DIR:-$root/target}
libs=$target_dir/$triple/dist
rm -rf "$out"
mkdir -p "$out"

step() { printf '%s\n' "-- $*" >&2; }

# The C library and the Node addon in one cargo run, so they share every dependency.
step "building libpushmetrics and the Node addon (glibc $glibc)"
cargo-zigbuild build --quiet --profile dist --target "$triple.$glibc" \
    -p pushmetrics-ffi -p pushmetrics-node

step "building the wheel and the sdist"
# --auditwheel check: fail, rather than repair, if the extension needs a library or a
# symbol version that manylinux_2_17 does not allow.
# A target directory of its own: maturin's zig wrappers differ from cargo-zigbuild's, and in
# one directory each build would recompile what the other just built.
(cd bindings/python && CARGO_TARGET_DIR=$target_dir/wheel maturin build --quiet --profile dist \
    --zig --target "$triple" --compatibility manylinux2014 --auditwheel check --out "$out")
(cd bindings/python && maturin sdist --out "$out" >/dev/null)

step "packing the npm packages"
node bindings/node/pack.js --addon "$libs/libpushmetrics_node.so" --version "$version" --out "$out" >/dev/null

step "packing the C library"
name=pushmetrics-$version-linux-x86_64-gnu
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
bash ffi/install.sh --relocatable --lib-dir "$libs" "$stage/$name" >/dev/null
# The static library carries each crate's LLVM bitcode (kept for Rust's own LTO, useless to
# a C linker) and the standard library's debug info: 41 MB, 12 MB without them.
strip --strip-debug --remove-section=.llvmbc --remove-section=.llvmcmd "$stage/$name/lib/libpushmetrics.a"
cat >"$stage/$name/README" <<EOF
pushmetrics $version for C and C++ on Linux x86_64 (glibc 2.17 or later).

Unpack under any prefix, for example:
  tar -xzf $name.tar.gz -C /usr/local --strip-components=1
then build with
  cc app.c \$(pkg-config --cflags --libs pushmetrics)      (PKG_CONFIG_PATH=PREFIX/lib/pkgconfig)
or in CMake
  find_package(pushmetrics REQUIRED)                       (CMAKE_PREFIX_PATH=PREFIX)
  target_link_libraries(app PRIVATE pushmetrics::pushmetrics)   # or pushmetrics::pushmetrics_static
EOF
tar -C "$stage" --owner=0 --group=0 --numeric-owner -czf "$out/$name.tar.gz" "$name"

(cd "$out" && ls -l | awk 'NR > 1 { printf "%10d  %s\n", $5, $9 }')
