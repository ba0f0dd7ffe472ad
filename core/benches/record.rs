//! Criterion benchmarks of the recording path and the encoder:
//! `cargo bench -p pushmetrics --bench record`. The side-by-side comparison with the
//! incumbent crates lives in bench/rust.

use criterion::{criterion_group, criterion_main, Criterion};
use pushmetrics::Registry;
use std::hint::black_box;

fn recording(c: &mut Criterion) {
    let reg = Registry::builder().max_series(1 << 30).build().unwrap();
    let counter = reg.counter("held_total", "h").build().unwrap();
    c.bench_function("counter inc, held handle", |b| {
        b.iter(|| black_box(&counter).inc())
    });

    let vec = reg
        .counter("labelled_total", "l")
        .labels(&["method", "code"])
        .build_vec()
        .unwrap();
    vec.inc(&["GET", "200"]).unwrap();
    c.bench_function("counter inc, 2 labels, existing series", |b| {
        b.iter(|| vec.inc(black_box(&["GET", "200"])).unwrap())
    });

    let hist = reg.histogram("observe_seconds", "o").build().unwrap();
    let mut v = 0.0;
    c.bench_function("histogram observe, held handle", |b| {
        b.iter(|| {
            v = if v > 12.0 { 0.0 } else { v + 0.37 };
            hist.observe(black_box(v)).unwrap()
        })
    });

    let create = reg
        .counter("created_total", "c")
        .labels(&["id"])
        .max_series(1 << 30)
        .build_vec()
        .unwrap();
    let mut i = 0u64;
    c.bench_function("create a series", |b| {
        b.iter(|| {
            i += 1;
            create.inc(&[i.to_string()]).unwrap()
        })
    });
}

fn contention(c: &mut Criterion) {
    let reg = Registry::new();
    let counter = reg.counter("shared_total", "s").build().unwrap();
    c.bench_function("counter inc, held handle, 2 threads (per op)", |b| {
        b.iter_custom(|iters| {
            let t = std::time::Instant::now();
            std::thread::scope(|s| {
                for _ in 0..2 {
                    s.spawn(|| {
                        for _ in 0..iters {
                            counter.inc();
                        }
                    });
                }
            });
            t.elapsed()
        })
    });
}

fn encoding(c: &mut Criterion) {
    let reg = Registry::builder().max_series(1 << 30).build().unwrap();
    let vec = reg
        .counter("series_total", "s")
        .labels(&["svc", "route", "code"])
        .max_series(1 << 30)
        .build_vec()
        .unwrap();
    for i in 0..100_000 {
        vec.inc(&[
            format!("svc{}", i % 10),
            format!("/route/{i}"),
            format!("{}", 200 + i % 5),
        ])
        .unwrap();
    }
    let mut group = c.benchmark_group("encode");
    group.sample_size(20);
    let mut buf = Vec::new();
    group.bench_function("snapshot + text encode, 100k series", |b| {
        b.iter(|| {
            buf.clear();
            pushmetrics::encode::text::encode(&reg.snapshot(), &mut buf);
            black_box(buf.len())
        })
    });
    group.finish();
}

criterion_group!(benches, recording, contention, encoding);
criterion_main!(benches);
