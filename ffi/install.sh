#!/usr/bin/env bash
# Installs the C library under PREFIX (`make install PREFIX=...`): the header, the shared
# and static libraries, a pkg-config file and a CMake package, so that both
#   cc app.c $(pkg-config --cflags --libs pushmetrics)
#   find_package(pushmetrics REQUIRED)  ->  target pushmetrics::pushmetrics (or _static)
# work. Static linking needs the libraries the Rust standard library uses (the list comes
# from `cargo rustc -p pushmetrics-ffi --lib -- --print native-static-libs`).
#
#   install.sh [--relocatable] [--lib-dir DIR] PREFIX
#
# --lib-dir takes the libraries from DIR instead of building them (scripts/dist.sh passes
# its portable build); --relocatable writes a pkg-config file that finds the prefix from
# its own place, so the tree works wherever it is unpacked (the CMake package always does).
set -euo pipefail
relocatable=0
target=
while [ $# -gt 1 ]; do
    case $1 in
    --relocatable) relocatable=1; shift ;;
    --lib-dir) target=$2; shift 2 ;;
    *) break ;;
    esac
done
prefix=${1:?usage: install.sh [--relocatable] [--lib-dir DIR] PREFIX}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)
static_libs="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"
version=$(bash scripts/version.sh)

if [ -z "$target" ]; then
    cargo build --release --quiet -p pushmetrics-ffi
    target=${CARGO_TARGET_DIR:-$root/target}/release
fi
pc_prefix=$prefix
[ "$relocatable" -eq 0 ] || pc_prefix='${pcfiledir}/../..'

install -d "$prefix/include" "$prefix/lib/pkgconfig" "$prefix/lib/cmake/pushmetrics"
install -m 644 include/pushmetrics.h "$prefix/include/pushmetrics.h"
install -m 755 "$target/libpushmetrics.so" "$prefix/lib/libpushmetrics.so"
install -m 644 "$target/libpushmetrics.a" "$prefix/lib/libpushmetrics.a"

cat >"$prefix/lib/pkgconfig/pushmetrics.pc" <<PC
prefix=$pc_prefix
exec_prefix=\${prefix}
libdir=\${exec_prefix}/lib
includedir=\${prefix}/include

Name: pushmetrics
Description: Metrics that push: counters, gauges, histograms and summaries pushed to a Prometheus Pushgateway
Version: $version
Cflags: -I\${includedir}
Libs: -L\${libdir} -lpushmetrics
Libs.private: $static_libs
PC

cat >"$prefix/lib/cmake/pushmetrics/pushmetricsConfig.cmake" <<'CMAKE'
# pushmetrics: imported targets pushmetrics::pushmetrics (shared library) and
# pushmetrics::pushmetrics_static (static library with the system libraries it needs).
include(CMakeFindDependencyMacro)
find_dependency(Threads)
get_filename_component(_pushmetrics_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
if(NOT TARGET pushmetrics::pushmetrics)
  add_library(pushmetrics::pushmetrics SHARED IMPORTED)
  set_target_properties(pushmetrics::pushmetrics PROPERTIES
    IMPORTED_LOCATION "${_pushmetrics_prefix}/lib/libpushmetrics.so"
    IMPORTED_NO_SONAME TRUE
    INTERFACE_INCLUDE_DIRECTORIES "${_pushmetrics_prefix}/include")
  add_library(pushmetrics::pushmetrics_static STATIC IMPORTED)
  set_target_properties(pushmetrics::pushmetrics_static PROPERTIES
    IMPORTED_LOCATION "${_pushmetrics_prefix}/lib/libpushmetrics.a"
    INTERFACE_INCLUDE_DIRECTORIES "${_pushmetrics_prefix}/include"
    INTERFACE_LINK_LIBRARIES "Threads::Threads;gcc_s;util;rt;m;dl")
endif()
unset(_pushmetrics_prefix)
CMAKE

cat >"$prefix/lib/cmake/pushmetrics/pushmetricsConfigVersion.cmake" <<CMAKE
set(PACKAGE_VERSION "$version")
if(PACKAGE_FIND_VERSION VERSION_GREATER PACKAGE_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
else()
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
  if(PACKAGE_FIND_VERSION STREQUAL PACKAGE_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
endif()
CMAKE
echo "installed pushmetrics $version under $prefix"
