//! The process metrics of client_golang and prometheus_client (`process_cpu_seconds_total`,
//! memory, file descriptors, start time), read from `/proc/self` at every snapshot. Only
//! Linux has them: elsewhere the collector reports nothing rather than guesses.

use crate::registry::CollectResult;
#[cfg(target_os = "linux")]
use crate::{FamilySnapshot, MetricType, Value};

/// The process families, as the `process` collector reports them.
pub(crate) fn collect() -> CollectResult {
    #[cfg(target_os = "linux")]
    {
        linux::collect()
    }
    #[cfg(not(target_os = "linux"))]
    {
        Ok(Vec::new())
    }
}

#[cfg(target_os = "linux")]
fn single(name: &str, help: &str, kind: MetricType, v: f64) -> FamilySnapshot {
    let mut b = FamilySnapshot::builder::<&str>(name, help, kind, &[]).expect("a valid name");
    let value = match kind {
        MetricType::Counter => Value::Counter(v),
        _ => Value::Gauge(v),
    };
    b.add::<&str>(&[], value).expect("no labels, a valid value");
    b.build()
}

#[cfg(target_os = "linux")]
mod linux {
    use super::single;
    use crate::registry::CollectResult;
    use crate::MetricType::{Counter, Gauge};
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

    /// A number read once and kept. Atomics rather than a `OnceLock`: the collector may run
    /// while another thread forks, and a child must not inherit an initialisation in
    /// progress. Two threads reading it at once both store the same value.
    fn kept(cell: &AtomicU64, read: impl FnOnce() -> f64) -> f64 {
        match cell.load(Relaxed) {
            0 => {
                let v = read();
                cell.store(v.to_bits(), Relaxed);
                v
            }
            bits => f64::from_bits(bits),
        }
    }

    /// Ticks per second and page size, from the auxiliary vector the kernel gave the
    /// process (`AT_CLKTCK`, `AT_PAGESZ`); the usual values if it cannot be read.
    fn clock_and_page() -> (f64, f64) {
        static TICK: AtomicU64 = AtomicU64::new(0);
        static PAGE: AtomicU64 = AtomicU64::new(0);
        let read = || {
            let (mut tick, mut page) = (100.0, 4096.0);
            if let Ok(aux) = std::fs::read("/proc/self/auxv") {
                const W: usize = std::mem::size_of::<usize>();
                for pair in aux.chunks_exact(2 * W) {
                    let word = |b: &[u8]| usize::from_ne_bytes(b.try_into().expect("one word"));
                    let (key, value) = (word(&pair[..W]), word(&pair[W..]));
                    match key {
                        6 if value > 0 => page = value as f64,
                        17 if value > 0 => tick = value as f64,
                        _ => {}
                    }
                }
            }
            (tick, page)
        };
        (kept(&TICK, || read().0), kept(&PAGE, || read().1))
    }

    /// Seconds since the epoch at which the machine booted (`btime` of `/proc/stat`).
    fn boot_time() -> Option<f64> {
        static BTIME: AtomicU64 = AtomicU64::new(0);
        let btime = kept(&BTIME, || {
            std::fs::read_to_string("/proc/stat")
                .ok()
                .and_then(|stat| {
                    stat.lines()
                        .find_map(|l| l.strip_prefix("btime "))
                        .and_then(|v| v.trim().parse().ok())
                })
                .unwrap_or(0.0)
        });
        (btime > 0.0).then_some(btime)
    }

    pub(super) fn collect() -> CollectResult {
        let (tick, page) = clock_and_page();
        let stat = std::fs::read_to_string("/proc/self/stat")
            .map_err(|e| format!("cannot read /proc/self/stat: {e}"))?;
        // The command name (in parentheses) may hold spaces: fields are counted after it.
        let rest = stat
            .rsplit_once(')')
            .map(|(_, r)| r)
            .ok_or("/proc/self/stat has no command name")?;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let field = |i: usize| -> Result<f64, String> {
            fields
                .get(i)
                .and_then(|f| f.parse::<f64>().ok())
                .ok_or_else(|| format!("/proc/self/stat has no number at field {}", i + 3))
        };
        let mut out = vec![
            single(
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes.",
                Gauge,
                field(20)?,
            ),
            single(
                "process_resident_memory_bytes",
                "Resident memory size in bytes.",
                Gauge,
                field(21)? * page,
            ),
        ];
        if let Some(btime) = boot_time() {
            out.push(single(
                "process_start_time_seconds",
                "Start time of the process since unix epoch in seconds.",
                Gauge,
                field(19)? / tick + btime,
            ));
        }
        out.push(single(
            "process_cpu_seconds_total",
            "Total user and system CPU time spent in seconds.",
            Counter,
            (field(11)? + field(12)?) / tick,
        ));
        if let Ok(n) = std::fs::read_dir("/proc/self/fd") {
            out.push(single(
                "process_open_fds",
                "Number of open file descriptors.",
                Gauge,
                n.count() as f64,
            ));
        }
        let max = std::fs::read_to_string("/proc/self/limits")
            .ok()
            .and_then(|l| {
                l.lines()
                    .find(|l| l.starts_with("Max open files"))
                    .and_then(|l| l.split_whitespace().nth(3).map(str::to_owned))
            })
            .map(|soft| soft.parse::<f64>().unwrap_or(f64::INFINITY));
        if let Some(max) = max {
            out.push(single(
                "process_max_fds",
                "Maximum number of open file descriptors.",
                Gauge,
                max,
            ));
        }
        Ok(out)
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use crate::{MetricType, Registry, Value};

    #[test]
    fn process_collector_reports_client_golang_names_and_types() {
        let reg = Registry::new();
        reg.register_process_collector().unwrap();
        let snap = reg.snapshot();
        let kinds = [
            ("process_cpu_seconds_total", MetricType::Counter),
            ("process_open_fds", MetricType::Gauge),
            ("process_max_fds", MetricType::Gauge),
            ("process_virtual_memory_bytes", MetricType::Gauge),
            ("process_resident_memory_bytes", MetricType::Gauge),
            ("process_start_time_seconds", MetricType::Gauge),
        ];
        for (name, kind) in kinds {
            let f = snap
                .family(name)
                .unwrap_or_else(|| panic!("{name} missing"));
            assert_eq!(f.metric_type(), kind, "{name}");
            assert_eq!(f.len(), 1, "{name}");
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        let Some(Value::Gauge(start)) = snap.family("process_start_time_seconds").unwrap().get(&[])
        else {
            panic!("start time is a gauge")
        };
        assert!(
            *start > now - 3600.0 && *start <= now + 1.0,
            "start {start}, now {now}"
        );
        let Some(Value::Gauge(rss)) = snap
            .family("process_resident_memory_bytes")
            .unwrap()
            .get(&[])
        else {
            panic!("rss is a gauge")
        };
        assert!(*rss > 1e5, "rss {rss}");
        assert!(snap
            .family("pushmetrics_collector_failures_total")
            .is_none());
    }

    #[test]
    fn default_registry_reports_process_metrics_and_private_ones_do_not() {
        assert!(Registry::default_registry()
            .snapshot()
            .family("process_open_fds")
            .is_some());
        assert!(Registry::new()
            .snapshot()
            .family("process_open_fds")
            .is_none());
    }
}
