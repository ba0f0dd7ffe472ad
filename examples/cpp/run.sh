#!/usr/bin/env bash
# Builds the C++ example against the library installed in build/prefix (through its
# pkg-config file, as a user would) and runs it against the Pushgateway at $PGW_URL.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
prefix=$root/build/prefix
make -s -C "$root" install PREFIX="$prefix" >/dev/null
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
out=$root/build/examples
mkdir -p "$out"
c++ -std=c++17 -Wall -Wextra -Werror -O2 "$root/examples/cpp/job.cpp" -o "$out/example_cpp" \
    $(pkg-config --cflags --libs pushmetrics) -Wl,-rpath,"$prefix/lib"
exec "$out/example_cpp"
