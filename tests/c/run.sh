#!/usr/bin/env bash
# The C ABI's tests: the committed header matches a fresh cbindgen run, the header compiles
# as C99 and C++17, ignoring a pm_status is a compile error under -Werror, every header
# function is exercised, the C suite passes under
# AddressSanitizer + UndefinedBehaviorSanitizer (shared library) and under valgrind memcheck
# with no leak and no error (static library), and `make install` gives a working
# pkg-config file and CMake package. The suite pushes to a Pushgateway and remote-writes to
# Prometheus and VictoriaMetrics, all started here and stopped on exit. Ends with one line:
# "N passed, N failed".
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=$root/build/c
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

suite() { # suite NAME COMMAND...: adds the "N passed, N failed" of a test binary
    local name=$1
    shift
    "$@" >"$out/$name.log" 2>&1
    local rc=$?
    grep -E '^(ok  |FAIL) ' "$out/$name.log" | sed "s/^/  [$name] /"
    local line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out/$name.log" | tail -1)
    local p=${line%% passed*} f=${line#*, }
    f=${f%% failed*}
    if [ -z "$line" ]; then
        p=0
        f=1
    fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1 # the binary failed outside its tests: a sanitizer or valgrind report
    fi
    if [ "$f" -ne 0 ]; then
        echo "FAIL $name (log: $out/$name.log)"
        grep -E "ERROR|runtime error|definitely lost|indirectly lost|Invalid|CHECK|gave" \
            "$out/$name.log" | head -20 | sed 's/^/     /'
    else
        echo "ok   $name: $p tests"
    fi
    passed=$((passed + p))
    failed=$((failed + f))
}

bash scripts/deps-c.sh || exit 1
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
cargo build --release --quiet -p pushmetrics-ffi || exit 1
lib=${CARGO_TARGET_DIR:-$root/target}/release
static_libs="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"

eval "$(tests/pushgateway.sh start)" || exit 1
trap 'tests/pushgateway.sh stop "$PGW_PID"' EXIT
eval "$(tests/receivers.sh start)" || exit 1
trap 'tests/pushgateway.sh stop "$PGW_PID"; tests/receivers.sh stop "$RECEIVERS_DIR"' EXIT

fresh_header() {
    cbindgen -q --config ffi/cbindgen.toml --crate pushmetrics-ffi --output "$out/fresh.h" &&
        diff -u include/pushmetrics.h "$out/fresh.h"
}
check header_matches_a_fresh_cbindgen_generation fresh_header

check header_compiles_as_c99 \
    gcc -std=c99 -Wall -Wextra -Werror -pedantic -Iinclude -x c -fsyntax-only include/pushmetrics.h
check header_compiles_and_links_as_cpp17 bash -c "
    g++ -std=c++17 -Wall -Wextra -Werror -Iinclude tests/c/header.cpp -o '$out/header_cpp' \
        -L'$lib' -lpushmetrics -Wl,-rpath,'$lib' && '$out/header_cpp'"

ignored_status_is_an_error() { # GCC refuses a dropped pm_status under -Werror
    printf '#include "pushmetrics.h"\nvoid f(pm_counter *c) { pm_counter_inc(c, 1); }\n' \
        >"$out/ignored_status.c"
    ! gcc -std=c99 -Wall -Werror -Iinclude -c "$out/ignored_status.c" -o "$out/ignored_status.o" &&
        gcc -std=c99 -Wall -Iinclude -c "$out/ignored_status.c" -o "$out/ignored_status.o" 2>&1 |
        grep -q 'warn_unused_result'
}
check an_ignored_pm_status_is_a_compile_error ignored_status_is_an_error

every_function_is_tested() {
    local missing=0
    for f in $(grep -oE '\bpm_[a-z0-9_]+\(' include/pushmetrics.h | tr -d '(' | sort -u); do
        grep -q "\b$f(" tests/c/test_pushmetrics.c || { echo "untested: $f"; missing=1; }
    done
    return $missing
}
check every_header_function_is_exercised every_function_is_tested

cflags=(-std=c99 -Wall -Wextra -Werror -g -Iinclude)
if gcc "${cflags[@]}" -fsanitize=address,undefined -fno-sanitize-recover=all \
    -fno-omit-frame-pointer tests/c/test_pushmetrics.c -o "$out/test_asan" \
    -L"$lib" -lpushmetrics -Wl,-rpath,"$lib" -lpthread -lm >"$out/build_asan.log" 2>&1; then
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
        suite asan_ubsan "$out/test_asan"
else
    echo "FAIL building the ASan suite"
    cat "$out/build_asan.log"
    failed=$((failed + 1))
fi

# Under valgrind the library is linked statically. The forked child's own leak report is
# silenced: it inherits the parent's heap, including what only the parent's push thread
# (which does not exist in the child) can reach. Valgrind runs one thread at a time; fair
# scheduling keeps a thread that records in a loop (and never blocks) from starving the
# one that forks.
if gcc "${cflags[@]}" -O1 tests/c/test_pushmetrics.c -o "$out/test_static" \
    "$lib/libpushmetrics.a" $static_libs >"$out/build_static.log" 2>&1; then
    suite valgrind valgrind -q --fair-sched=yes --error-exitcode=1 --leak-check=full \
        --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
        --child-silent-after-fork=yes "$out/test_static"
else
    echo "FAIL building the static suite"
    cat "$out/build_static.log"
    failed=$((failed + 1))
fi

prefix=$out/prefix
rm -rf "$prefix"
check make_install make install PREFIX="$prefix"
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
consumer=tests/c/consumer/consumer.c
check pkg_config_shared_link bash -c "
    gcc -std=c99 -Wall -Werror $consumer -o '$out/consumer_pc' \$(pkg-config --cflags --libs pushmetrics) \
        -Wl,-rpath,'$prefix/lib' && '$out/consumer_pc' | grep -qx 'installed_total 3'"
check pkg_config_static_link bash -c "
    gcc -std=c99 -Wall -Werror $consumer -o '$out/consumer_pc_static' \$(pkg-config --cflags pushmetrics) \
        -Wl,-Bstatic \$(pkg-config --libs-only-l pushmetrics) -Wl,-Bdynamic \
        \$(pkg-config --static --libs-only-L pushmetrics) \
        \$(pkg-config --static --libs-only-l pushmetrics | sed 's/-lpushmetrics//') &&
    ! readelf -d '$out/consumer_pc_static' | grep -q libpushmetrics &&
    '$out/consumer_pc_static' | grep -qx 'installed_total 3'"
check cmake_find_package bash -c "
    rm -rf '$out/cmake' && cmake -S tests/c/consumer -B '$out/cmake' -DCMAKE_PREFIX_PATH='$prefix' &&
    cmake --build '$out/cmake' &&
    LD_LIBRARY_PATH='$prefix/lib' '$out/cmake/consumer_shared' | grep -qx 'installed_total 3' &&
    '$out/cmake/consumer_static' | grep -qx 'installed_total 3'"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
