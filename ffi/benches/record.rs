//! The Rust side of bench/c: the calls bench/c/bench.c makes through the C ABI, made on the
//! core directly, timed the same way (median of 7 runs). Prints `rust <case> <ns/op>`
//! lines that bench/c/run.sh puts next to the C numbers.
//!
//! cargo bench -p pushmetrics-ffi --bench record

use pushmetrics_core::Registry;
use std::hint::black_box;
use std::time::Instant;

const RUNS: usize = 7;

fn ns_per_op(n: u64, mut f: impl FnMut()) -> f64 {
    for _ in 0..n / 10 {
        f();
    }
    let mut runs: Vec<f64> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..n {
                f();
            }
            t.elapsed().as_nanos() as f64 / n as f64
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    runs[RUNS / 2]
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing useful: run small.
    let n: u64 = std::env::var("BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000_000);
    let reg = Registry::new();
    let held = reg
        .counter("bench_held_total", "Held series")
        .build()
        .expect("valid counter");
    let vec = reg
        .counter("bench_labelled_total", "Labelled")
        .labels(&["method", "code"])
        .build_vec()
        .expect("valid counter");
    let held_ns = ns_per_op(n, || held.inc_by(black_box(1.0)).expect("finite"));
    let labelled_ns = ns_per_op(n / 10, || {
        vec.inc_by(black_box(&["GET", "200"]), black_box(1.0))
            .expect("two values")
    });
    println!("rust held_inc {held_ns:.2}");
    println!("rust labelled_inc {labelled_ns:.2}");
}
