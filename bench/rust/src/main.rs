//! pushmetrics against the `prometheus` (tikv) and `prometheus-client` crates on the same
//! workloads, in one run. Prints a table of medians and the ratio incumbent / pushmetrics.
//!
//! cargo run --release -p pushmetrics-bench

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, AtomicU64, Ordering::Relaxed};
use std::time::Instant;

struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Relaxed);
        System.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Relaxed);
        System.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        LIVE.fetch_add(n as isize - l.size() as isize, Relaxed);
        System.realloc(p, l, n)
    }
}
#[global_allocator]
static A: Counting = Counting;

const RUNS: usize = 7;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Median nanoseconds per call of `f` over `RUNS` runs of `n` calls.
fn ns_per_op(n: u64, mut f: impl FnMut()) -> f64 {
    for _ in 0..n / 10 {
        f();
    }
    median(
        (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                for _ in 0..n {
                    f();
                }
                t.elapsed().as_nanos() as f64 / n as f64
            })
            .collect(),
    )
}

/// Median nanoseconds per call when two threads call `f` at once.
fn ns_per_op_2threads(n: u64, f: impl Fn() + Sync) -> f64 {
    median(
        (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                std::thread::scope(|s| {
                    for _ in 0..2 {
                        s.spawn(|| {
                            for _ in 0..n {
                                f();
                            }
                        });
                    }
                });
                t.elapsed().as_nanos() as f64 / n as f64
            })
            .collect(),
    )
}

/// Median milliseconds of `f`; what `f` returns is dropped outside the timing.
fn ms<T>(mut f: impl FnMut() -> T) -> f64 {
    median(
        (0..5)
            .map(|_| {
                let t = Instant::now();
                let keep = f();
                let elapsed = t.elapsed().as_secs_f64() * 1e3;
                drop(keep);
                elapsed
            })
            .collect(),
    )
}

fn bytes_per_series(n: usize, make: impl FnOnce(usize) -> Box<dyn std::any::Any>) -> f64 {
    let before = LIVE.load(Relaxed);
    let keep = make(n);
    let after = LIVE.load(Relaxed);
    drop(keep);
    (after - before) as f64 / n as f64
}

struct Row {
    workload: &'static str,
    unit: &'static str,
    ours: f64,
    prom: f64,
    client: f64,
}

fn main() {
    let mut rows = Vec::new();
    let n = 20_000_000;

    // The floor: one uncontended atomic add.
    let atomic = AtomicU64::new(0);
    let atomic_ns = ns_per_op(n, || {
        black_box(&atomic).fetch_add(1, Relaxed);
    });

    // Held-handle counter inc.
    {
        let reg = pushmetrics::Registry::new();
        let ours = reg.counter("c_total", "c").build().unwrap();
        let prom = prometheus::Counter::new("c_total", "c").unwrap();
        let client: prometheus_client::metrics::counter::Counter = Default::default();
        rows.push(Row {
            workload: "counter inc, held handle",
            unit: "ns",
            ours: ns_per_op(n, || black_box(&ours).inc()),
            prom: ns_per_op(n, || black_box(&prom).inc()),
            client: ns_per_op(n, || {
                black_box(&client).inc();
            }),
        });
        rows.push(Row {
            workload: "counter inc, held, 2 threads",
            unit: "ns",
            ours: ns_per_op_2threads(n / 4, || black_box(&ours).inc()),
            prom: ns_per_op_2threads(n / 4, || black_box(&prom).inc()),
            client: ns_per_op_2threads(n / 4, || {
                black_box(&client).inc();
            }),
        });
    }

    // Labelled inc, two labels, existing series.
    {
        let reg = pushmetrics::Registry::new();
        let ours = reg
            .counter("l_total", "l")
            .labels(&["method", "code"])
            .build_vec()
            .unwrap();
        let prom =
            prometheus::CounterVec::new(prometheus::Opts::new("l_total", "l"), &["method", "code"])
                .unwrap();
        type L = Vec<(&'static str, &'static str)>;
        let client: prometheus_client::metrics::family::Family<
            L,
            prometheus_client::metrics::counter::Counter,
        > = Default::default();
        ours.inc(&["GET", "200"]).unwrap();
        prom.with_label_values(&["GET", "200"]).inc();
        client
            .get_or_create(&vec![("method", "GET"), ("code", "200")])
            .inc();
        let key: L = vec![("method", "GET"), ("code", "200")];
        rows.push(Row {
            workload: "counter inc, 2 labels, existing series",
            unit: "ns",
            ours: ns_per_op(n / 4, || {
                black_box(&ours).inc(black_box(&["GET", "200"])).unwrap()
            }),
            prom: ns_per_op(n / 4, || {
                black_box(&prom)
                    .with_label_values(black_box(&["GET", "200"]))
                    .inc()
            }),
            client: ns_per_op(n / 4, || {
                black_box(&client).get_or_create(black_box(&key)).inc();
            }),
        });
    }

    // Histogram observe, held handle, default buckets.
    {
        let reg = pushmetrics::Registry::new();
        let ours = reg.histogram("h", "h").build().unwrap();
        let prom =
            prometheus::Histogram::with_opts(prometheus::HistogramOpts::new("h", "h")).unwrap();
        let client =
            prometheus_client::metrics::histogram::Histogram::new(pushmetrics::DEFAULT_BUCKETS);
        let mut v1 = 0.0f64;
        let mut v2 = 0.0f64;
        let mut v3 = 0.0f64;
        rows.push(Row {
            workload: "histogram observe, held handle",
            unit: "ns",
            ours: ns_per_op(n / 2, || {
                v1 = if v1 > 12.0 { 0.0 } else { v1 + 0.37 };
                black_box(&ours).observe(black_box(v1)).unwrap()
            }),
            prom: ns_per_op(n / 2, || {
                v2 = if v2 > 12.0 { 0.0 } else { v2 + 0.37 };
                black_box(&prom).observe(black_box(v2))
            }),
            client: ns_per_op(n / 2, || {
                v3 = if v3 > 12.0 { 0.0 } else { v3 + 0.37 };
                black_box(&client).observe(black_box(v3))
            }),
        });
    }

    // New-series creation and memory per 3-label series.
    {
        let series = 100_000;
        let labels: Vec<[String; 3]> = (0..series)
            .map(|i| {
                [
                    format!("svc{}", i % 10),
                    format!("/route/{i}"),
                    format!("{}", 200 + i % 5),
                ]
            })
            .collect();
        let ours_ms = ms(|| {
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
            (reg, c)
        });
        let prom_ms = ms(|| {
            let c = prometheus::CounterVec::new(
                prometheus::Opts::new("s_total", "s"),
                &["svc", "route", "code"],
            )
            .unwrap();
            for l in &labels {
                c.with_label_values(&[&l[0], &l[1], &l[2]]).inc();
            }
            c
        });
        type L3 = [(&'static str, String); 3];
        let client_ms = ms(|| {
            let f: prometheus_client::metrics::family::Family<
                L3,
                prometheus_client::metrics::counter::Counter,
            > = Default::default();
            for l in &labels {
                f.get_or_create(&[
                    ("svc", l[0].clone()),
                    ("route", l[1].clone()),
                    ("code", l[2].clone()),
                ])
                .inc();
            }
            f
        });
        let per = |m: f64| m * 1e6 / series as f64;
        rows.push(Row {
            workload: "create a 3-label series",
            unit: "ns",
            ours: per(ours_ms),
            prom: per(prom_ms),
            client: per(client_ms),
        });
        rows.push(Row {
            workload: "memory per 3-label counter series",
            unit: "bytes",
            ours: bytes_per_series(series, |n| {
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
                for l in &labels[..n] {
                    c.inc(l).unwrap();
                }
                Box::new((reg, c))
            }),
            prom: bytes_per_series(series, |n| {
                let c = prometheus::CounterVec::new(
                    prometheus::Opts::new("s_total", "s"),
                    &["svc", "route", "code"],
                )
                .unwrap();
                for l in &labels[..n] {
                    c.with_label_values(&[&l[0], &l[1], &l[2]]).inc();
                }
                Box::new(c)
            }),
            client: bytes_per_series(series, |n| {
                let f: prometheus_client::metrics::family::Family<
                    L3,
                    prometheus_client::metrics::counter::Counter,
                > = Default::default();
                for l in &labels[..n] {
                    f.get_or_create(&[
                        ("svc", l[0].clone()),
                        ("route", l[1].clone()),
                        ("code", l[2].clone()),
                    ])
                    .inc();
                }
                Box::new(f)
            }),
        });

        // Snapshot + text encoding of 100,000 series.
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
        let prom_reg = prometheus::Registry::new();
        let pc = prometheus::CounterVec::new(
            prometheus::Opts::new("s_total", "s"),
            &["svc", "route", "code"],
        )
        .unwrap();
        prom_reg.register(Box::new(pc.clone())).unwrap();
        let mut client_reg = prometheus_client::registry::Registry::default();
        let f: prometheus_client::metrics::family::Family<
            L3,
            prometheus_client::metrics::counter::Counter,
        > = Default::default();
        client_reg.register("s", "s", f.clone());
        for l in &labels {
            c.inc(l).unwrap();
            pc.with_label_values(&[&l[0], &l[1], &l[2]]).inc();
            f.get_or_create(&[
                ("svc", l[0].clone()),
                ("route", l[1].clone()),
                ("code", l[2].clone()),
            ])
            .inc();
        }
        let mut buf = Vec::new();
        rows.push(Row {
            workload: "snapshot + text encode, 100k series",
            unit: "ms",
            ours: ms(|| {
                buf.clear();
                pushmetrics::encode::text::encode(&reg.snapshot(), &mut buf);
                black_box(&buf);
            }),
            prom: ms(|| {
                use prometheus::Encoder;
                let mut out = Vec::new();
                prometheus::TextEncoder::new()
                    .encode(&prom_reg.gather(), &mut out)
                    .unwrap();
                black_box(out);
            }),
            client: ms(|| {
                let mut out = String::new();
                prometheus_client::encoding::text::encode(&mut out, &client_reg).unwrap();
                black_box(out);
            }),
        });
    }

    println!("one uncontended atomic add: {atomic_ns:.2} ns");
    println!(
        "{:<40} {:>12} {:>12} {:>12} {:>8} {:>8}",
        "workload", "pushmetrics", "prometheus", "prom-client", "ratio¹", "ratio²"
    );
    for r in &rows {
        println!(
            "{:<40} {:>9.2} {:<2} {:>9.2} {:<2} {:>9.2} {:<2} {:>7.2}x {:>7.2}x",
            r.workload,
            r.ours,
            short(r.unit),
            r.prom,
            short(r.unit),
            r.client,
            short(r.unit),
            r.prom / r.ours,
            r.client / r.ours
        );
    }
    println!("ratio¹ = prometheus / pushmetrics, ratio² = prometheus-client / pushmetrics (above 1: pushmetrics is faster or smaller)");
    // The same rows as a table for bench/run.sh's summary.
    println!();
    println!("| case | unit | pushmetrics | incumbent | incumbent / pushmetrics |");
    println!("| --- | --- | ---: | ---: | ---: |");
    for r in &rows {
        for (name, theirs) in [("prometheus", r.prom), ("prometheus-client", r.client)] {
            println!(
                "| {} (vs {name}) | {} | {:.2} | {:.2} | {:.2}x |",
                r.workload,
                r.unit,
                r.ours,
                theirs,
                theirs / r.ours
            );
        }
    }
}

fn short(unit: &str) -> &str {
    match unit {
        "bytes" => "B",
        u => u,
    }
}
