//! Pushing to a real Pushgateway at `$PGW_URL`: end-to-end time, encode time and bytes on
//! the wire for 1,000 / 10,000 / 100,000 series (text and protobuf, with and without gzip),
//! and what a hung gateway does to the recording path (the ratio of recording latency
//! while the push thread waits on a hung server vs. a healthy one).
//!
//!   PGW_URL=http://127.0.0.1:9091 cargo run --release -p pushmetrics-bench --bin push

use pushmetrics::{encode, Format, Pusher, Registry};
use std::hint::black_box;
use std::io::Read;
use std::net::TcpListener;
use std::time::{Duration, Instant};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// `series` series of one counter, series `i` at `i`.
fn registry(series: usize) -> Registry {
    let (reg, c) = pushmetrics_bench::series_counter("bench_requests_total");
    for (i, l) in pushmetrics_bench::series_labels(series).iter().enumerate() {
        c.inc_by(l, i as f64).unwrap();
    }
    reg
}

/// Median nanoseconds of a labelled inc while `pusher` runs, over 2 s.
fn recording_ns(reg: &Registry) -> (f64, f64) {
    let c = reg
        .counter("bench_recording_total", "R")
        .labels(&["k"])
        .build_vec()
        .unwrap();
    let mut per_batch = Vec::new();
    let mut worst = 0f64;
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(2) {
        let s = Instant::now();
        for i in 0..1000 {
            c.inc(black_box(&[["a", "b", "c", "d"][i % 4]])).unwrap();
        }
        let ns = s.elapsed().as_nanos() as f64 / 1000.0;
        worst = worst.max(ns);
        per_batch.push(ns);
    }
    (median(per_batch), worst)
}

fn main() {
    let url = std::env::var("PGW_URL").expect("PGW_URL: start a gateway with tests/pushgateway.sh");
    println!(
        "{:>8} {:>9} {:>6} {:>11} {:>11} {:>12}",
        "series", "format", "gzip", "encode ms", "push ms", "bytes"
    );
    for series in [1_000usize, 10_000, 100_000] {
        let reg = registry(series);
        for format in [Format::Text, Format::Protobuf] {
            for gzip in [false, true] {
                let snap = reg.snapshot();
                let mut body = Vec::new();
                let encode_ms = median(
                    (0..5)
                        .map(|_| {
                            let t = Instant::now();
                            body.clear();
                            for f in reg.snapshot().families() {
                                format.encode_family(f, &mut body);
                            }
                            if gzip {
                                body = encode::gzip(&body);
                            }
                            t.elapsed().as_secs_f64() * 1e3
                        })
                        .collect(),
                );
                drop(snap);
                let mut bytes = 0;
                let push_ms = median(
                    (0..3)
                        .map(|_| {
                            let t = Instant::now();
                            let r = Pusher::builder(&url)
                                .job("bench_push")
                                .ignore_env()
                                .format(format)
                                .gzip(gzip)
                                .request_timeout(Duration::from_secs(30))
                                .flush_deadline(Duration::from_secs(60))
                                .push_once(&reg)
                                .unwrap();
                            bytes = r.bytes;
                            t.elapsed().as_secs_f64() * 1e3
                        })
                        .collect(),
                );
                println!(
                    "{series:>8} {:>9} {:>6} {encode_ms:>11.2} {push_ms:>11.1} {bytes:>12}",
                    format!("{format:?}").to_lowercase(),
                    gzip
                );
            }
        }
    }

    // The recording path while the push thread pushes 10,000 series every 50 ms to a
    // healthy gateway, then while it waits on a server that accepts and never answers.
    let hung = TcpListener::bind("127.0.0.1:0").unwrap();
    let hung_url = format!("http://{}", hung.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for mut s in hung.incoming().flatten() {
            let mut buf = [0u8; 65536];
            let _ = s.set_read_timeout(Some(Duration::from_millis(50)));
            let _ = s.read(&mut buf);
            held.push(s); // never answered
        }
    });
    let mut results = Vec::new();
    for (name, target) in [("healthy", url.as_str()), ("hung", hung_url.as_str())] {
        let reg = registry(10_000);
        let pusher = Pusher::builder(target)
            .job("bench_recording")
            .ignore_env()
            .interval(Duration::from_millis(50))
            .request_timeout(Duration::from_secs(30))
            .start(&reg)
            .unwrap();
        let r = recording_ns(&reg);
        let _ = pusher.shutdown(Duration::from_millis(100));
        results.push((name, r));
    }
    println!();
    for (name, (median, worst)) in &results {
        println!("labelled inc while pushing to a {name:<7} gateway: median {median:6.1} ns, worst batch {worst:8.1} ns/op");
    }
    println!(
        "ratio hung / healthy (median): {:.2}",
        results[1].1 .0 / results[0].1 .0
    );
}
