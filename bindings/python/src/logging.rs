//! The core's log records, on their way to Python's `logging`: the `log::Log` installed
//! here only puts a record into a bounded queue (never waiting for the GIL, so the push
//! thread never does); a daemon thread of the package (`pushmetrics._logging`) takes them
//! out, with the GIL released while it waits, and hands them to `logging`.

use pyo3::prelude::*;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, TryLockError};
use std::time::{Duration, Instant};

/// Records waiting for the delivery thread; past this they are dropped and counted.
const QUEUE: usize = 1024;

/// Records handed out per call, so one call never holds the GIL long.
const BATCH: usize = 256;

/// How often the delivery thread looks into the queue while it waits.
const POLL: Duration = Duration::from_millis(20);

type Item = (i32, String, String);

// Only ever tried, never waited for (each side holds it for a push or a drain): a lock
// copied held into a forked child cannot hang that child's push thread or its exit.
static RECORDS: Mutex<VecDeque<Item>> = Mutex::new(VecDeque::new());

static DROPPED: AtomicU64 = AtomicU64::new(0);

fn records() -> Option<MutexGuard<'static, VecDeque<Item>>> {
    for _ in 0..64 {
        match RECORDS.try_lock() {
            Ok(g) => return Some(g),
            Err(TryLockError::Poisoned(e)) => return Some(e.into_inner()),
            Err(TryLockError::WouldBlock) => std::thread::yield_now(),
        }
    }
    None
}

fn take() -> Vec<Item> {
    match records() {
        Some(mut q) => {
            let n = q.len().min(BATCH);
            q.drain(..n).collect()
        }
        None => Vec::new(),
    }
}

struct ToQueue;

impl log::Log for ToQueue {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::max_level() && metadata.target().starts_with("pushmetrics")
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let message = record.args().to_string();
        let Some(suppressed) = pushmetrics::log_limit::allow(record.target(), &message) else {
            return;
        };
        // Python's level numbers: ERROR 40, WARNING 30, INFO 20, DEBUG 10.
        let level = match record.level() {
            log::Level::Error => 40,
            log::Level::Warn => 30,
            log::Level::Info => 20,
            log::Level::Debug | log::Level::Trace => 10,
        };
        let item = (
            level,
            record.target().to_owned(),
            pushmetrics::log_limit::with_note(&message, suppressed),
        );
        match records() {
            Some(mut q) if q.len() < QUEUE => q.push_back(item),
            _ => {
                DROPPED.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn flush(&self) {}
}

static LOGGER: ToQueue = ToQueue;

/// Installs the queueing logger; False if another Rust logger already holds the place.
#[pyfunction]
pub fn _install_logger() -> bool {
    let installed = log::set_logger(&LOGGER).is_ok();
    if installed {
        log::set_max_level(log::LevelFilter::Warn);
    }
    installed
}

/// Forwards records at `level` (a `logging` level number) and above.
#[pyfunction]
pub fn _set_log_level(level: i32) {
    log::set_max_level(match level {
        i32::MIN..=10 => log::LevelFilter::Debug,
        11..=20 => log::LevelFilter::Info,
        21..=30 => log::LevelFilter::Warn,
        31..=40 => log::LevelFilter::Error,
        _ => log::LevelFilter::Off,
    });
}

/// Waits up to `timeout` seconds (GIL released) for queued records and returns them as
/// `(level, target, message)`; an empty list if none came.
#[pyfunction]
pub fn _next_log_records(py: Python<'_>, timeout: f64) -> Vec<Item> {
    let wait = Duration::try_from_secs_f64(timeout.max(0.0)).unwrap_or(Duration::ZERO);
    let deadline = Instant::now() + wait;
    py.detach(|| loop {
        let got = take();
        let now = Instant::now();
        if !got.is_empty() || now >= deadline {
            return got;
        }
        std::thread::sleep(POLL.min(deadline - now));
    })
}

/// Records dropped because the queue was full.
#[pyfunction]
pub fn _log_records_dropped() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}
