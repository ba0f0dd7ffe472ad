//! A small batch job: it imports "rows", records what it did in counters, a gauge, a
//! histogram and a summary, pushes them to the Pushgateway at `$PGW_URL` in the background,
//! and makes its final push on the way out.
//!
//!   PGW_URL=http://127.0.0.1:9091 cargo run -p pushmetrics-example
//!
//! Without `PGW_URL` it prints the text exposition instead. With `--outage SECONDS` it keeps
//! recording for that long while pushing every second, so a gateway can be stopped and
//! started under it: the numbers recorded during the outage arrive once it is back.
//!
//! Like every pusher it takes its options from `PUSHMETRICS_*` variables too, so the same
//! binary writes to Prometheus and VictoriaMetrics by remote write instead:
//!
//!   PUSHMETRICS_TARGET=remote_write \
//!   PUSHMETRICS_URL=http://127.0.0.1:8428/api/v1/write,http://127.0.0.1:9090/api/v1/write \
//!   cargo run -p pushmetrics-example

use pushmetrics::{exponential_buckets, Pusher, Registry};
use std::time::{Duration, Instant};

fn main() -> Result<(), pushmetrics::Error> {
    let args: Vec<String> = std::env::args().collect();
    let outage = args
        .iter()
        .position(|a| a == "--outage")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse::<f64>().ok());
    let job = if outage.is_some() {
        "example_outage"
    } else {
        "example_rust"
    };

    let reg = Registry::new();
    let rows = reg
        .counter("import_rows_total", "Rows imported, by table and outcome.")
        .labels(&["table", "outcome"])
        .build_vec()?;
    let in_flight = reg
        .gauge("import_batches_in_flight", "Batches being written.")
        .build()?;
    let batch_seconds = reg
        .histogram("import_batch_seconds", "Time to write one batch.")
        .labels(&["table"])
        .buckets(exponential_buckets(0.001, 2.0, 10)?)
        .build_vec()?;
    let row_bytes = reg
        .summary("import_row_bytes", "Size of imported rows.")
        .labels(&["table"])
        .build_vec()?;

    // PUSHMETRICS_URL overrides the URL given in code anyway; it is enough on its own.
    let url = std::env::var("PGW_URL")
        .or_else(|_| std::env::var("PUSHMETRICS_URL"))
        .ok();
    let pusher = match &url {
        Some(url) => Some(
            Pusher::builder(url)
                .job(job)
                .grouping("instance", "demo-host")
                .interval(Duration::from_secs(1))
                .max_attempts(2)
                .flush_deadline(Duration::from_millis(800))
                .start(&reg)?,
        ),
        None => None,
    };

    let tables = ["users", "orders", "events"];
    let started = Instant::now();
    let mut batch = 0u64;
    loop {
        let table = tables[(batch % 3) as usize];
        in_flight.inc();
        let timer_start = Instant::now();
        for i in 0..100u64 {
            let outcome = if i == batch % 97 { "rejected" } else { "ok" };
            rows.inc(&[table, outcome])?;
            row_bytes.observe(&[table], (200 + (i * 7919 + batch * 31) % 1800) as f64)?;
        }
        batch_seconds.observe(
            &[table],
            timer_start.elapsed().as_secs_f64() + 0.002 * (batch % 5) as f64,
        )?;
        in_flight.dec();
        batch += 1;
        match outage {
            Some(secs) if started.elapsed().as_secs_f64() < secs => {
                std::thread::sleep(Duration::from_millis(100))
            }
            Some(_) => break,
            None if batch >= 30 => break,
            None => {}
        }
    }

    match pusher {
        Some(p) => {
            let shutdown = p.shutdown(Duration::from_secs(5));
            let s = p.stats();
            println!(
                "{job}: {batch} batches; pushes ok {} failed {}, requests {} (retries {}), {} bytes sent, breaker {}, last error: {}",
                s.pushes_ok,
                s.pushes_failed,
                s.requests,
                s.retries,
                s.bytes_sent,
                s.breaker,
                s.last_error.as_deref().unwrap_or("none")
            );
            for r in &s.receivers {
                println!(
                    "  {}: samples sent {}, dropped {}, rejected {}, pending {}",
                    r.url, r.samples_sent, r.samples_dropped, r.samples_rejected, r.samples_pending
                );
            }
            shutdown?;
        }
        None => print!("{}", reg.encode_text()),
    }
    Ok(())
}
