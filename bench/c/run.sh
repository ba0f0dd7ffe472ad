#!/usr/bin/env bash
# The cost the C ABI adds: a held-series counter increment and a labelled increment with
# two labels, called from C through libpushmetrics and from Rust on the core directly, in
# one run. Prints a table in nanoseconds per call (fastest of 7 runs each). BENCH_N sets the
# number of held-series calls per run (labelled: a tenth of it). Columns: the core called
# from Rust, the C ABI functions called from Rust, the C ABI called from C (static link),
# and what the C call costs over the core's.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=$root/build/bench-c
mkdir -p "$out"
cargo build --release --quiet -p pushmetrics-ffi
lib=${CARGO_TARGET_DIR:-$root/target}/release
# Static linking, as an application that wants the fastest calls would do.
cc -std=c99 -O2 -Wall -Wextra -Werror -Iinclude bench/c/bench.c -o "$out/bench_c" \
    "$lib/libpushmetrics.a" -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
cargo bench --quiet -p pushmetrics-ffi --bench record >"$out/rust.txt"
"$out/bench_c" >"$out/c.txt"

value() { awk -v src="$1" -v k="$2" '$1 == src && $2 == k { print $3 }' "$out/$3.txt"; }
printf '%-28s %12s %12s %12s %10s\n' "call" "rust core" "rust->C ABI" "C->C ABI" "C adds"
for case in held_inc labelled_inc; do
    r=$(value rust "$case" rust)
    rf=$(value rustffi "$case" rust)
    c=$(value c "$case" c)
    label=$([ "$case" = held_inc ] && echo "counter inc, held series" || echo "counter inc, 2 labels")
    awk -v l="$label" -v r="$r" -v rf="$rf" -v c="$c" \
        'BEGIN { printf "%-28s %12.2f %12.2f %12.2f %+10.2f\n", l, r, rf, c, c - r }'
done
