//! Runs one workload in a loop for a profiler: `profile labelled|encode|observe|create`.
use std::hint::black_box;
fn main() {
    let what = std::env::args().nth(1).unwrap_or_default();
    let reg = pushmetrics::Registry::builder()
        .max_series(1 << 30)
        .build()
        .unwrap();
    match what.as_str() {
        "labelled" => {
            let c = reg
                .counter("l_total", "l")
                .labels(&["method", "code"])
                .build_vec()
                .unwrap();
            for _ in 0..2_000_000u64 {
                c.inc(black_box(&["GET", "200"])).unwrap();
            }
        }
        "observe" => {
            let h = reg.histogram("h", "h").build().unwrap();
            let mut v = 0.0;
            for _ in 0..3_000_000u64 {
                v = if v > 12.0 { 0.0 } else { v + 0.37 };
                h.observe(black_box(v)).unwrap();
            }
        }
        "create" => {
            let labels = pushmetrics_bench::series_labels(100_000);
            for _ in 0..3 {
                black_box(pushmetrics_bench::series_registry("s_total", &labels));
            }
        }
        "encode" => {
            let labels = pushmetrics_bench::series_labels(100_000);
            let (reg, _c) = pushmetrics_bench::series_registry("s_total", &labels);
            let mut buf = Vec::new();
            for _ in 0..5 {
                buf.clear();
                pushmetrics::encode::text::encode(&reg.snapshot(), &mut buf);
                black_box(&buf);
            }
        }
        _ => eprintln!("usage: profile labelled|observe|encode|create"),
    }
}
