//! The Rust side of bench/c: the calls bench/c/bench.c makes through the C ABI, made on the
//! core directly, timed the same way (fastest of 7 runs: on a shared
//! machine the fastest run is the one least disturbed by other processes). Prints `rust <case> <ns/op>`
//! lines that bench/c/run.sh puts next to the C numbers.
//!
//! cargo bench -p pushmetrics-ffi --bench record

use pushmetrics::error::pm_status::PM_OK;
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
    runs[0]
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
    // The same calls through the C ABI functions, called from Rust: separates what the
    // functions cost from what crossing into a C caller costs.
    let (mut reg_p, mut held_p, mut vec_p) = (
        std::ptr::null_mut(),
        std::ptr::null_mut(),
        std::ptr::null_mut(),
    );
    assert_eq!(
        pushmetrics::registry::pm_registry_new(std::ptr::null(), &mut reg_p),
        PM_OK
    );
    assert_eq!(
        pushmetrics::counter::pm_counter_new(
            reg_p,
            c"ffi_held_total".as_ptr(),
            c"h".as_ptr(),
            std::ptr::null(),
            &mut held_p,
        ),
        PM_OK
    );
    let names = [c"method".as_ptr(), c"code".as_ptr()];
    assert_eq!(
        pushmetrics::counter::pm_counter_vec_new(
            reg_p,
            c"ffi_lab_total".as_ptr(),
            c"h".as_ptr(),
            names.as_ptr(),
            2,
            std::ptr::null(),
            &mut vec_p,
        ),
        PM_OK
    );
    let values = [c"GET".as_ptr(), c"200".as_ptr()];
    // Each status is checked, as bench/c/bench.c checks it.
    let ffi_held = ns_per_op(n, || {
        let s = pushmetrics::counter::pm_counter_inc(black_box(held_p), black_box(1.0));
        assert!(s == PM_OK, "pm_counter_inc failed");
    });
    let ffi_lab = ns_per_op(n / 10, || {
        let s = pushmetrics::counter::pm_counter_vec_inc(
            black_box(vec_p),
            black_box(values.as_ptr()),
            2,
            black_box(1.0),
        );
        assert!(s == PM_OK, "pm_counter_vec_inc failed");
    });
    println!("rustffi held_inc {ffi_held:.2}");
    println!("rustffi labelled_inc {ffi_lab:.2}");
    println!("rust held_inc {held_ns:.2}");
    println!("rust labelled_inc {labelled_ns:.2}");
}
