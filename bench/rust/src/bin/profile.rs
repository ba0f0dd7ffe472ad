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
            let labels: Vec<[String; 3]> = (0..100_000)
                .map(|i| {
                    [
                        format!("svc{}", i % 10),
                        format!("/route/{i}"),
                        format!("{}", 200 + i % 5),
                    ]
                })
                .collect();
            for _ in 0..3 {
                let reg = pushmetrics::Registry::builder()
                    .max_series(1 << 30)
                    .build()
                    .unwrap();
                let c = reg
                    .counter("s_total", "s")
                    .labels(&["svc", "route", "code"])
                    .max_series(1 << 30)
                    .build_vec()
                    .unwrap();
                for l in &labels {
                    c.inc(l).unwrap();
                }
            }
        }
        "encode" => {
            let c = reg
                .counter("s_total", "s")
                .labels(&["svc", "route", "code"])
                .max_series(1 << 30)
                .build_vec()
                .unwrap();
            for i in 0..100_000 {
                c.inc(&[
                    format!("svc{}", i % 10),
                    format!("/route/{i}"),
                    format!("{}", 200 + i % 5),
                ])
                .unwrap();
            }
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
