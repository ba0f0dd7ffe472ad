//! pushmetrics against the `prometheus` (tikv) and `prometheus-client` crates on the same
//! workloads, in one run. Prints a table of medians and the ratio incumbent / pushmetrics,
//! then pushmetrics' remote-write encoding against its text encoding, in time and bytes.
//!
//! cargo run --release -p pushmetrics-bench

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, AtomicU64, Ordering::Relaxed};
use std::time::Instant;

use pushmetrics_bench::targets::{self, Target};

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

const RUNS: usize = 9;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// One contender in a round of [`ns_per_op`]: runs its call `n` times, by one thread or by
/// two threads at once (then the time per call is the wall time over `n`). Built by [`one`]
/// and [`two`], so the loop around each call is compiled for that call.
struct Job<'a>(Box<dyn FnMut(u64) + 'a>);

impl Job<'_> {
    fn run(&mut self, n: u64) {
        (self.0)(n)
    }
}

/// `f` called by one thread.
fn one<'a>(mut f: impl FnMut() + 'a) -> Job<'a> {
    Job(Box::new(move |n| {
        for _ in 0..n {
            f()
        }
    }))
}

/// `f` called by two threads at once; each call gets its thread's number, 0 or 1.
fn two<'a>(f: impl Fn(usize) + Sync + 'a) -> Job<'a> {
    Job(Box::new(move |n| {
        let f = &f;
        std::thread::scope(|s| {
            for k in 0..2 {
                s.spawn(move || {
                    for _ in 0..n {
                        f(k)
                    }
                });
            }
        })
    }))
}

/// Nanoseconds per call of each job in each of `RUNS` rounds of `n` calls. Each round times
/// every contender once, in turn, so a slow moment of the machine hits them alike.
fn rounds<const K: usize>(n: u64, mut jobs: [Job; K]) -> [Vec<f64>; K] {
    for j in jobs.iter_mut() {
        j.run(n / 10);
    }
    let mut runs = [(); K].map(|_| Vec::with_capacity(RUNS));
    for _ in 0..RUNS {
        for (j, r) in jobs.iter_mut().zip(&mut runs) {
            let t = Instant::now();
            j.run(n);
            r.push(t.elapsed().as_nanos() as f64 / n as f64);
        }
    }
    runs
}

/// The median nanoseconds per call of each job over [`rounds`].
fn ns_per_op<const K: usize>(n: u64, jobs: [Job; K]) -> [f64; K] {
    rounds(n, jobs).map(median)
}

/// The median over rounds of `a / b`, measured in the same round: steadier than a ratio of
/// medians when the machine's speed drifts.
fn ratio(a: &[f64], b: &[f64]) -> f64 {
    median(a.iter().zip(b).map(|(a, b)| a / b).collect())
}

/// Milliseconds of each of `fs` in each of `rounds` rounds, every round timing each once in
/// turn; what they return is dropped outside the timing.
fn ms_runs<const K: usize>(
    rounds: usize,
    mut fs: [&mut dyn FnMut() -> Box<dyn std::any::Any>; K],
) -> [Vec<f64>; K] {
    let mut runs = [(); K].map(|_| Vec::with_capacity(rounds));
    for _ in 0..rounds {
        for (f, r) in fs.iter_mut().zip(&mut runs) {
            let t = Instant::now();
            let keep = f();
            r.push(t.elapsed().as_secs_f64() * 1e3);
            drop(keep);
        }
    }
    runs
}

/// Milliseconds of each of `fs`, the median of 5 rounds of [`ms_runs`].
fn ms<const K: usize>(fs: [&mut dyn FnMut() -> Box<dyn std::any::Any>; K]) -> [f64; K] {
    ms_runs(5, fs).map(median)
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
    let mut own = Vec::new();
    let n = 20_000_000;

    // Held-handle counter inc, next to the floor: one uncontended atomic add.
    let (atomic_ns, held_ratio, two_ratio, apart_ratio);
    let (rw_ratio, wire);
    {
        let atomic = AtomicU64::new(0);
        #[repr(align(128))]
        struct Line(AtomicU64);
        let apart = [Line(AtomicU64::new(0)), Line(AtomicU64::new(0))];
        let reg = pushmetrics::Registry::new();
        let ours = reg.counter("c_total", "c").build().unwrap();
        let prom = prometheus::Counter::new("c_total", "c").unwrap();
        let client: prometheus_client::metrics::counter::Counter = Default::default();
        let (inc_ours, inc_prom, inc_client) = (
            || black_box(&ours).inc(),
            || black_box(&prom).inc(),
            || {
                black_box(&client).inc();
            },
        );
        let [a, o, p, c, o2, p2, c2, apart] = rounds(
            n / 4,
            [
                one(|| {
                    black_box(&atomic).fetch_add(1, Relaxed);
                }),
                one(inc_ours),
                one(inc_prom),
                one(inc_client),
                two(move |_| inc_ours()),
                two(move |_| inc_prom()),
                two(move |_| inc_client()),
                // What two threads cost on this machine when they share nothing.
                two(|k| {
                    black_box(&apart[k]).0.fetch_add(1, Relaxed);
                }),
            ],
        );
        held_ratio = ratio(&o, &a);
        two_ratio = ratio(&o2, &o);
        apart_ratio = ratio(&apart, &a);
        let [a, o, p, c, o2, p2, c2] = [a, o, p, c, o2, p2, c2].map(median);
        atomic_ns = a;
        rows.push(Row {
            workload: "counter inc, held handle",
            unit: "ns",
            ours: o,
            prom: p,
            client: c,
        });
        rows.push(Row {
            workload: "counter inc, held, 2 threads",
            unit: "ns",
            ours: o2,
            prom: p2,
            client: c2,
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
        let [o, p, c] = ns_per_op(
            n / 4,
            [
                one(|| black_box(&ours).inc(black_box(&["GET", "200"])).unwrap()),
                one(|| {
                    black_box(&prom)
                        .with_label_values(black_box(&["GET", "200"]))
                        .inc()
                }),
                one(|| {
                    black_box(&client).get_or_create(black_box(&key)).inc();
                }),
            ],
        );
        rows.push(Row {
            workload: "counter inc, 2 labels, existing series",
            unit: "ns",
            ours: o,
            prom: p,
            client: c,
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
        let [o, p, c] = ns_per_op(
            n / 2,
            [
                one(|| {
                    v1 = if v1 > 12.0 { 0.0 } else { v1 + 0.37 };
                    black_box(&ours).observe(black_box(v1)).unwrap()
                }),
                one(|| {
                    v2 = if v2 > 12.0 { 0.0 } else { v2 + 0.37 };
                    black_box(&prom).observe(black_box(v2))
                }),
                one(|| {
                    v3 = if v3 > 12.0 { 0.0 } else { v3 + 0.37 };
                    black_box(&client).observe(black_box(v3))
                }),
            ],
        );
        rows.push(Row {
            workload: "histogram observe, held handle",
            unit: "ns",
            ours: o,
            prom: p,
            client: c,
        });
    }

    // New-series creation and memory per 3-label series.
    {
        let series = 100_000;
        let labels = pushmetrics_bench::series_labels(series);
        type L3 = [(&'static str, String); 3];
        type ClientFamily = prometheus_client::metrics::family::Family<
            L3,
            prometheus_client::metrics::counter::Counter,
        >;
        // The same series in each library, one increment each.
        let prom_vec = |labels: &[[String; 3]]| {
            let c = prometheus::CounterVec::new(
                prometheus::Opts::new("s_total", "s"),
                &["svc", "route", "code"],
            )
            .unwrap();
            for l in labels {
                c.with_label_values(&[&l[0], &l[1], &l[2]]).inc();
            }
            c
        };
        let client_family = |labels: &[[String; 3]]| {
            let f = ClientFamily::default();
            for l in labels {
                f.get_or_create(&[
                    ("svc", l[0].clone()),
                    ("route", l[1].clone()),
                    ("code", l[2].clone()),
                ])
                .inc();
            }
            f
        };
        let [ours_ms, prom_ms, client_ms] = ms([
            &mut || Box::new(pushmetrics_bench::series_registry("s_total", &labels)),
            &mut || Box::new(prom_vec(&labels)),
            &mut || Box::new(client_family(&labels)),
        ]);
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
                Box::new(pushmetrics_bench::series_registry("s_total", &labels[..n]))
            }),
            prom: bytes_per_series(series, |n| Box::new(prom_vec(&labels[..n]))),
            client: bytes_per_series(series, |n| Box::new(client_family(&labels[..n]))),
        });

        // Snapshot + text encoding of 100,000 series.
        let (reg, _c) = pushmetrics_bench::series_registry("s_total", &labels);
        let prom_reg = prometheus::Registry::new();
        prom_reg.register(Box::new(prom_vec(&labels))).unwrap();
        let mut client_reg = prometheus_client::registry::Registry::default();
        client_reg.register("s", "s", client_family(&labels));
        let mut buf = Vec::new();
        let [o, p, c] = ms([
            &mut || {
                buf.clear();
                pushmetrics::encode::text::encode(&reg.snapshot(), &mut buf);
                black_box(&buf);
                Box::new(())
            },
            &mut || {
                use prometheus::Encoder;
                let mut out = Vec::new();
                prometheus::TextEncoder::new()
                    .encode(&prom_reg.gather(), &mut out)
                    .unwrap();
                Box::new(out)
            },
            &mut || {
                let mut out = String::new();
                prometheus_client::encoding::text::encode(&mut out, &client_reg).unwrap();
                Box::new(out)
            },
        ]);
        rows.push(Row {
            workload: "snapshot + text encode, 100k series",
            unit: "ms",
            ours: o,
            prom: p,
            client: c,
        });

        // The remote-write requests of the same snapshot against its text encoding, each
        // into fresh buffers as a push makes them. The labels and the 2000 samples per
        // request are the remote-write pusher's: job on every series, its default size.
        let job = [("job".to_string(), "bench".to_string())];
        let ts = unix_ms();
        let mut remote_write = || {
            let bodies =
                pushmetrics::encode::remote_write::write_requests(&reg.snapshot(), &job, ts, 2000);
            Box::new(bodies) as Box<dyn std::any::Any>
        };
        let mut text = || {
            let mut out = Vec::new();
            pushmetrics::encode::text::encode(&reg.snapshot(), &mut out);
            Box::new(out) as Box<dyn std::any::Any>
        };
        drop((remote_write(), text()));
        let [rw, tx] = ms_runs(RUNS, [&mut remote_write, &mut text]);
        rw_ratio = ratio(&rw, &tx);
        let (rw_ms, text_ms) = (median(rw), median(tx));
        own.push(Own {
            workload: "snapshot + encode, 100k series: remote write",
            unit: "ms",
            ours: rw_ms,
            other: "text",
            theirs: text_ms,
        });

        // Bytes on the wire per sample (one sample per counter series): the remote-write
        // bodies against the gzipped text a Pushgateway push sends.
        let bodies =
            pushmetrics::encode::remote_write::write_requests(&reg.snapshot(), &job, ts, 2000);
        let rw_bytes: usize = bodies.iter().map(Vec::len).sum();
        let mut plain = Vec::new();
        pushmetrics::encode::text::encode(&reg.snapshot(), &mut plain);
        let gz_bytes = pushmetrics::encode::gzip(&plain).len();
        let per = |b: usize| b as f64 / series as f64;
        own.push(Own {
            workload: "bytes on the wire per sample, 100k series: remote write",
            unit: "bytes",
            ours: per(rw_bytes),
            other: "Pushgateway text + gzip",
            theirs: per(gz_bytes),
        });
        wire = format!(
            "100k series on the wire: {} remote-write bodies, {rw_bytes} bytes ({:.2} per sample; {:.2} before snappy); text {} bytes, gzipped {gz_bytes} ({:.2} per sample)",
            bodies.len(),
            per(rw_bytes),
            per(bodies.iter().map(|b| snappy_len(b)).sum()),
            plain.len(),
            per(gz_bytes),
        );
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
    println!();
    println!(
        "{:<60} {:>12} {:>12} {:>8}",
        "pushmetrics against its own other path", "this", "other", "ratio³"
    );
    for r in &own {
        println!(
            "{:<60} {:>9.2} {:<2} {:>9.2} {:<2} {:>7.2}x  (other: {})",
            r.workload,
            r.ours,
            short(r.unit),
            r.theirs,
            short(r.unit),
            r.theirs / r.ours,
            r.other
        );
    }
    println!("ratio³ = other / this (above 1: this path is faster or smaller)");
    println!("{wire}");
    // pushmetrics' own targets, each as measured / limit.
    let ours = |w: &str| {
        rows.iter()
            .find(|r| r.workload == w)
            .map_or(f64::NAN, |r| r.ours)
    };
    println!();
    println!("targets (a ratio is the median of the ratios measured within each round)");
    let targets: Vec<Target> = [
        ("held inc / one atomic add", held_ratio, 1.1),
        ("held inc, 2 threads / held inc, 1 thread", two_ratio, 1.5),
        (
            "labelled inc, 2 labels (ns)",
            ours("counter inc, 2 labels, existing series"),
            20.0,
        ),
        (
            "histogram observe (ns)",
            ours("histogram observe, held handle"),
            12.0,
        ),
        (
            "series creation (ns)",
            ours("create a 3-label series"),
            300.0,
        ),
        (
            "bytes per 3-label series",
            ours("memory per 3-label counter series"),
            150.0,
        ),
        (
            "snapshot + text encode, 100k series (ms)",
            ours("snapshot + text encode, 100k series"),
            10.0,
        ),
        (
            "snapshot + remote-write encode / text encode, 100k",
            rw_ratio,
            3.0,
        ),
    ]
    .into_iter()
    .map(|(what, measured, limit)| Target::new(what, measured, limit))
    .collect();
    targets::print_table(&targets);
    println!(
        "(two threads each adding to its own cache line take {apart_ratio:.2}x one atomic add here: the machine's own two-thread cost)"
    );
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
    for r in &own {
        println!(
            "| {} (vs {}) | {} | {:.2} | {:.2} | {:.2}x |",
            r.workload,
            r.other,
            r.unit,
            r.ours,
            r.theirs,
            r.theirs / r.ours
        );
    }
    println!();
    targets::print_markdown(&targets);
}

/// A pushmetrics path against another of its own on the same workload.
struct Own {
    workload: &'static str,
    unit: &'static str,
    ours: f64,
    other: &'static str,
    theirs: f64,
}

fn unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// The uncompressed length a snappy block starts with (a varint).
fn snappy_len(block: &[u8]) -> usize {
    let mut n = 0usize;
    for (i, b) in block.iter().take(5).enumerate() {
        n |= ((b & 0x7f) as usize) << (7 * i);
        if b & 0x80 == 0 {
            break;
        }
    }
    n
}

fn short(unit: &str) -> &str {
    match unit {
        "bytes" => "B",
        u => u,
    }
}
