//! Remote write to real receivers: a pusher's flush of 100,000 series into VictoriaMetrics
//! (`$VM_URL`) and Prometheus (`$PROM_URL`) against curl posting the same request bodies,
//! and the recording path while the pusher writes to a receiver that never answers.
//!
//!   eval "$(tests/receivers.sh start)"
//!   PROM_URL=$PROM_URL VM_URL=$VM_URL cargo run --release -p pushmetrics-bench --bin remote_write

use pushmetrics::encode::remote_write::write_requests;
use pushmetrics::{CounterVec, FlushReport, Pusher, Registry};
use pushmetrics_bench::targets::{self, Target};
use std::hint::black_box;
use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const SERIES: usize = 100_000;
/// Timed rounds of each comparison, after the warm-up.
const ROUNDS: usize = 9;
const JOB: &str = "bench_remote_write";
/// The pusher's defaults, which the curl floor copies: request size and concurrency.
const MAX_SAMPLES_PER_SEND: usize = 2000;
const MAX_IN_FLIGHT: usize = 4;
/// Series pushed in the background while the recording path is timed: few enough that
/// the receiver's own work (on the same two cores) stays small next to the client's.
const BACKGROUND_SERIES: usize = 1_000;
/// Rounds of the recording comparison: short and many, because on a shared machine the
/// speed of a core can change by nearly 2x for seconds at a time, with no pusher running.
const RECORDING_ROUNDS: usize = 15;
const RECORDING_WINDOW: Duration = Duration::from_millis(500);

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The median over rounds of `a / b` measured in the same round.
fn ratio(a: &[f64], b: &[f64]) -> f64 {
    median(a.iter().zip(b).map(|(a, b)| a / b).collect())
}

fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Waits until the wall clock has passed `ts` (ms): the pusher stamps its samples with the
/// clock, and Prometheus refuses (400) a sample no newer than the series' last one.
fn wait_past(ts: i64) {
    while unix_ms() <= ts {
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// What one curl invocation did.
struct Posted {
    ms: f64,
    /// Connections curl opened.
    connects: u32,
}

/// POSTs each file to `url` as one remote-write request, all in one curl process that runs
/// `MAX_IN_FLIGHT` transfers at once and reuses their connections: the shape of a pusher's
/// lanes. `Expect:` is cleared because this curl asks for `100-continue` on bodies above
/// 1 KiB and waits a round trip for it, which the pusher never does. Panics unless every
/// answer is 204.
fn curl(url: &str, files: &[PathBuf]) -> Posted {
    let mut cmd = Command::new("curl");
    cmd.args([
        "--silent",
        "--show-error",
        "--parallel",
        "--parallel-immediate",
        "--parallel-max",
        &MAX_IN_FLIGHT.to_string(),
    ]);
    for (i, f) in files.iter().enumerate() {
        if i > 0 {
            cmd.arg("--next");
        }
        cmd.args([
            "--output",
            "/dev/null",
            "--write-out",
            "%{http_code} %{num_connects}\\n",
            "-H",
            "Content-Encoding: snappy",
            "-H",
            "Content-Type: application/x-protobuf",
            "-H",
            "X-Prometheus-Remote-Write-Version: 0.1.0",
            "-H",
            "Expect:",
            "--data-binary",
        ])
        .arg(format!("@{}", f.display()))
        .arg(url);
    }
    let t = Instant::now();
    let out = cmd.output().expect("curl runs");
    let ms = t.elapsed().as_secs_f64() * 1e3;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "curl to {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answers: Vec<(&str, u32)> = stdout
        .lines()
        .map(|l| {
            let (code, connects) = l.split_once(' ').unwrap_or((l, "0"));
            (code, connects.parse().unwrap_or(0))
        })
        .collect();
    assert_eq!(answers.len(), files.len(), "curl to {url}: {stdout}");
    assert!(
        answers.iter().all(|(code, _)| *code == "204"),
        "curl to {url} was not answered 204 every time: {stdout}"
    );
    Posted {
        ms,
        connects: answers.iter().map(|(_, c)| c).sum(),
    }
}

/// One receiver's numbers: each timed round of the pusher and of curl.
struct Delivery {
    receiver: &'static str,
    first_ms: f64,
    ours: Vec<f64>,
    curl: Vec<f64>,
    /// Building the curl bodies (snapshot + `write_requests`), outside curl's time.
    encode: Vec<f64>,
    report: FlushReport,
    bodies: usize,
    body_bytes: usize,
    connects: u32,
}

/// A pusher's `flush` of `SERIES` existing series to `url` against curl posting the same
/// bodies, in interleaved rounds that alternate which goes first.
fn delivery(receiver: &'static str, url: &str, dir: &Path) -> Delivery {
    let labels = pushmetrics_bench::series_labels(SERIES);
    let (reg, _c) = pushmetrics_bench::series_registry("bench_rw_requests_total", &labels);
    let pusher = Pusher::remote_write(url)
        .job(JOB)
        .self_metrics(false)
        .ignore_env()
        .interval(Duration::from_secs(3600))
        .start(&reg)
        .unwrap();
    let flush = || {
        let t = Instant::now();
        let r = pusher
            .flush(Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("flush to {receiver}: {e}"));
        let ms = t.elapsed().as_secs_f64() * 1e3;
        assert_eq!(r.series, SERIES as u64, "flush to {receiver}: {r:?}");
        (ms, r)
    };
    let job = [("job".to_string(), JOB.to_string())];
    let post = |last: &mut i64| {
        let ts = unix_ms().max(*last + 1);
        let t = Instant::now();
        let bodies = write_requests(&reg.snapshot(), &job, ts, MAX_SAMPLES_PER_SEND);
        let encode_ms = t.elapsed().as_secs_f64() * 1e3;
        let files: Vec<PathBuf> = bodies
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let f = dir.join(format!("{receiver}-{i}.bin"));
                std::fs::write(&f, b).unwrap();
                f
            })
            .collect();
        let posted = curl(url, &files);
        *last = ts;
        let bytes = bodies.iter().map(Vec::len).sum();
        (posted, encode_ms, bodies.len(), bytes)
    };

    // The first push creates the series, which costs the receiver far more than later
    // pushes: it is the warm-up, with one untimed curl round.
    let (first_ms, _) = flush();
    let mut last = unix_ms();
    post(&mut last);
    let mut d = Delivery {
        receiver,
        first_ms,
        ours: Vec::new(),
        curl: Vec::new(),
        encode: Vec::new(),
        report: FlushReport::default(),
        bodies: 0,
        body_bytes: 0,
        connects: 0,
    };
    for round in 0..ROUNDS {
        for curl_turn in [round % 2 == 0, round % 2 == 1] {
            if curl_turn {
                let (posted, encode_ms, bodies, bytes) = post(&mut last);
                d.curl.push(posted.ms);
                d.encode.push(encode_ms);
                (d.bodies, d.body_bytes, d.connects) = (bodies, bytes, posted.connects);
            } else {
                wait_past(last);
                let (ms, report) = flush();
                // The pusher stamped its samples before it returned.
                last = unix_ms();
                d.ours.push(ms);
                d.report = report;
            }
        }
    }
    let stats = pusher.stats();
    assert_eq!(stats.samples_dropped, 0, "{receiver}: {stats:?}");
    assert_eq!(stats.samples_rejected, 0, "{receiver}: {stats:?}");
    assert_eq!(
        stats.samples_sent,
        ((ROUNDS + 1) * SERIES) as u64,
        "{receiver}: {stats:?}"
    );
    let _ = pusher.shutdown(Duration::from_secs(30));
    d
}

/// A server that accepts connections and reads requests but never answers.
fn hanging_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/api/v1/write", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut buf = [0u8; 65536];
                // Until the client gives up and closes.
                while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
            });
        }
    });
    url
}

/// Median nanoseconds per labelled inc of `c` (batches of 1000, over `RECORDING_WINDOW`) while a
/// pusher of `reg` writes to `url` every 50 ms. Returns that and the pusher's samples sent,
/// which tell a healthy receiver from a hung one.
fn recording_ns(reg: &Registry, c: &CounterVec, url: &str) -> (f64, u64) {
    let pusher = Pusher::remote_write(url)
        .job("bench_rw_recording")
        .ignore_env()
        .interval(Duration::from_millis(50))
        .start(reg)
        .unwrap();
    // Past the first pushes: by then every lane of a hung receiver waits on its request.
    std::thread::sleep(Duration::from_millis(300));
    let mut batches = Vec::new();
    let t = Instant::now();
    while t.elapsed() < RECORDING_WINDOW {
        let s = Instant::now();
        for _ in 0..1000 {
            black_box(c).inc(black_box(&["GET", "200"])).unwrap();
        }
        batches.push(s.elapsed().as_nanos() as f64 / 1000.0);
    }
    let sent = pusher.stats().samples_sent;
    let _ = pusher.shutdown(Duration::from_millis(200));
    (median(batches), sent)
}

/// The pending bound of the outage measurement: five snapshots of `SERIES` series.
const OUTAGE_PENDING: usize = 5 * SERIES;

struct Outage {
    rss_early: f64,
    rss_late: f64,
    pending: u64,
    dropped: u64,
}

fn rss_bytes() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb * 1024.0)
}

/// A long outage in short: a pusher keeps writing 100k series every 100 ms to a port where
/// nothing listens. Its queue fills within half a second; from then on memory must stay
/// flat while the oldest requests are dropped and counted.
fn outage_memory() -> Outage {
    let dead = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/api/v1/write", l.local_addr().unwrap());
        drop(l);
        url
    };
    let labels = pushmetrics_bench::series_labels(SERIES);
    let (reg, _c) = pushmetrics_bench::series_registry("bench_rw_outage_total", &labels);
    let pusher = Pusher::remote_write(&dead)
        .job(JOB)
        .ignore_env()
        .self_metrics(false)
        .interval(Duration::from_millis(100))
        .jitter(0.0)
        .max_pending_samples(OUTAGE_PENDING)
        .start(&reg)
        .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let rss_early = rss_bytes();
    std::thread::sleep(Duration::from_secs(6));
    let rss_late = rss_bytes();
    let s = pusher.stats();
    let _ = pusher.shutdown(Duration::from_millis(200));
    assert!(s.samples_dropped > 0, "the queue never filled: {s:?}");
    Outage {
        rss_early,
        rss_late,
        pending: s.samples_pending,
        dropped: s.samples_dropped,
    }
}

fn main() {
    let env = |name: &str| {
        std::env::var(name)
            .unwrap_or_else(|_| panic!("{name}: start the receivers with tests/receivers.sh"))
    };
    let (vm, prom) = (env("VM_URL"), env("PROM_URL"));
    let dir = std::env::temp_dir().join(format!("pushmetrics-bench-rw.{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    println!(
        "{SERIES} series, {MAX_SAMPLES_PER_SEND} samples per request, {MAX_IN_FLIGHT} in flight; medians of {ROUNDS} interleaved rounds after a first push that creates the series"
    );
    println!(
        "{:<16} {:>11} {:>11} {:>11} {:>8} {:>11} {:>18} {:>18}",
        "receiver",
        "first ms",
        "flush ms",
        "curl ms",
        "ratio",
        "encode ms",
        "pushmetrics req/B",
        "curl req/B/conns"
    );
    let mut deliveries = Vec::new();
    for (receiver, base) in [("VictoriaMetrics", &vm), ("Prometheus", &prom)] {
        let d = delivery(receiver, &format!("{base}/api/v1/write"), &dir);
        println!(
            "{:<16} {:>11.1} {:>11.1} {:>11.1} {:>7.2}x {:>11.1} {:>18} {:>18}",
            d.receiver,
            d.first_ms,
            median(d.ours.clone()),
            median(d.curl.clone()),
            ratio(&d.ours, &d.curl),
            median(d.encode.clone()),
            format!("{}/{}", d.report.requests, d.report.bytes),
            format!("{}/{}/{}", d.bodies, d.body_bytes, d.connects),
        );
        deliveries.push(d);
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!("ratio = pushmetrics flush / curl, the median of the per-round ratios; encode ms = snapshot + write_requests of the curl bodies, not in curl's time");

    // The recording path while the pusher writes to a healthy Prometheus, then to a server
    // that never answers, in alternating rounds with a fresh pusher each.
    // One registry for every round, so that both sides record into the same memory.
    let background = pushmetrics_bench::series_labels(BACKGROUND_SERIES);
    let (reg, _bg) = pushmetrics_bench::series_registry("bench_rw_background_total", &background);
    let c = reg
        .counter("bench_rw_http_requests_total", "Requests")
        .labels(&["method", "code"])
        .build_vec()
        .unwrap();
    c.inc(&["GET", "200"]).unwrap();
    let hung = hanging_server();
    let (mut healthy_ns, mut hung_ns) = (Vec::new(), Vec::new());
    let prom_write = format!("{prom}/api/v1/write");
    for round in 0..RECORDING_ROUNDS {
        for healthy_turn in [round % 2 == 0, round % 2 == 1] {
            if healthy_turn {
                let (ns, sent) = recording_ns(&reg, &c, &prom_write);
                assert!(sent > 0, "the healthy receiver got nothing");
                healthy_ns.push(ns);
            } else {
                let (ns, sent) = recording_ns(&reg, &c, &hung);
                assert_eq!(sent, 0, "the hung server answered");
                hung_ns.push(ns);
            }
        }
    }
    let hung_ratio = ratio(&hung_ns, &healthy_ns);
    let (healthy_med, hung_med) = (median(healthy_ns), median(hung_ns));
    println!();
    println!(
        "labelled inc while the pusher writes {BACKGROUND_SERIES} series every 50 ms: healthy Prometheus {healthy_med:.2} ns, hung receiver {hung_med:.2} ns, ratio hung / healthy {hung_ratio:.2}"
    );

    let outage = outage_memory();
    println!();
    println!(
        "memory while the receiver is down, {SERIES} series written every 100 ms: RSS {:.1} MB after 2 s, {:.1} MB after 8 s; {} samples pending (bound {OUTAGE_PENDING}), {} dropped",
        outage.rss_early / 1e6,
        outage.rss_late / 1e6,
        outage.pending,
        outage.dropped
    );

    let mut own = Vec::new();
    let mut goals = Vec::new();
    goals.push(Target::new(
        "RSS during an outage, 8 s / 2 s",
        outage.rss_late / outage.rss_early,
        1.05,
    ));
    for d in &deliveries {
        let (ours, theirs) = (median(d.ours.clone()), median(d.curl.clone()));
        own.push((
            format!(
                "remote write of 100k existing series to {} (vs curl)",
                d.receiver
            ),
            "ms",
            ours,
            theirs,
        ));
        goals.push(Target::new(
            format!("remote write to {} / curl, 100k series", d.receiver),
            ratio(&d.ours, &d.curl),
            1.3,
        ));
    }
    own.push((
        "labelled inc while the receiver hangs (vs a healthy receiver)".into(),
        "ns",
        hung_med,
        healthy_med,
    ));
    goals.push(Target::new(
        "labelled inc, receiver hung / healthy",
        hung_ratio,
        1.05,
    ));
    println!();
    println!("targets (each a median of the ratios measured within each round)");
    targets::print_table(&goals);
    println!();
    println!("| case | unit | pushmetrics | incumbent | incumbent / pushmetrics |");
    println!("| --- | --- | ---: | ---: | ---: |");
    for (case, unit, ours, theirs) in &own {
        println!(
            "| {case} | {unit} | {ours:.2} | {theirs:.2} | {:.2}x |",
            theirs / ours
        );
    }
    println!();
    targets::print_markdown(&goals);
}
