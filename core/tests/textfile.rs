//! node_exporter's textfile collector: `write_to_textfile` and the pusher's textfile target
//! write the registry's text, atomically, with errors that name the path, and leave no
//! temporary file behind.

mod support;

use pushmetrics::{Error, Pusher, Registry, Target};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::{wait_until, TempDir};

/// A registry with one series of every type, names that pass `promtool check metrics`.
fn sample_registry() -> Registry {
    let reg = Registry::new();
    reg.counter("backup_files_total", "Files backed up, by \"kind\"")
        .labels(&["kind"])
        .build_vec()
        .unwrap()
        .inc_by(&["full\\daily\n"], 42.0)
        .unwrap();
    reg.gauge("backup_last_success_timestamp_seconds", "Last success")
        .build()
        .unwrap()
        .set(1.7e9);
    let h = reg
        .histogram("backup_duration_seconds", "Duration")
        .buckets(vec![1.0, 10.0])
        .build()
        .unwrap();
    h.observe(0.5).unwrap();
    h.observe(20.0).unwrap();
    reg.summary("backup_size_bytes", "Size")
        .build()
        .unwrap()
        .observe(1024.0)
        .unwrap();
    reg
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn promtool_check(path: &Path) {
    let out = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::fs::File::open(path).unwrap())
        .output()
        .expect("promtool (Debian package prometheus) must be installed");
    assert!(
        out.status.success(),
        "promtool check metrics failed on {}:\n{}{}",
        path.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_file_holds_the_registry_text_and_passes_promtool() {
    let dir = TempDir::new("pm-textfile");
    let path = dir.path().join("backup.prom");
    let reg = sample_registry();
    pushmetrics::write_to_textfile(&path, &reg).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text, reg.encode_text());
    assert!(
        text.contains("backup_files_total{kind=\"full\\\\daily\\n\"} 42\n"),
        "{text}"
    );
    promtool_check(&path);
    assert_eq!(entries(dir.path()), ["backup.prom"]);
}

#[test]
fn a_reader_never_sees_a_partial_file_while_it_is_rewritten_1000_times() {
    let dir = TempDir::new("pm-textfile-atomic");
    let path = dir.path().join("job.prom");
    // Two contents of very different sizes: a torn or truncated write would show a third.
    let small = Registry::new();
    small.gauge("small_value", "S").build().unwrap().set(1.0);
    let big = Registry::new();
    let g = big
        .gauge("big_value", "B")
        .labels(&["i"])
        .build_vec()
        .unwrap();
    for i in 0..2000 {
        g.set(&[&format!("series-{i:05}")], i as f64).unwrap();
    }
    let (small_text, big_text) = (small.encode_text(), big.encode_text());
    pushmetrics::write_to_textfile(&path, &small).unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (path, done) = (path.clone(), done.clone());
        let (small_text, big_text) = (small_text.clone(), big_text.clone());
        std::thread::spawn(move || {
            let (mut reads, mut bad) = (0u64, Vec::new());
            while !done.load(Ordering::Relaxed) {
                let text = std::fs::read_to_string(&path).expect("the file always exists");
                reads += 1;
                if text != small_text && text != big_text && bad.len() < 3 {
                    bad.push(text.len());
                }
            }
            (reads, bad)
        })
    };
    for i in 0..1000 {
        let reg = if i % 2 == 0 { &big } else { &small };
        pushmetrics::write_to_textfile(&path, reg).unwrap();
    }
    done.store(true, Ordering::Relaxed);
    let (reads, bad) = reader.join().unwrap();
    assert!(bad.is_empty(), "partial files of {bad:?} bytes seen");
    assert!(reads > 0);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), small_text);
    assert_eq!(entries(dir.path()), ["job.prom"]);
}

#[test]
fn unwritable_paths_are_io_errors_naming_the_path_and_the_reason() {
    let dir = TempDir::new("pm-textfile-errors");
    let reg = sample_registry();
    let plain = dir.path().join("plain-file");
    std::fs::write(&plain, "x").unwrap();
    let is_dir = dir.path().join("a-dir.prom");
    std::fs::create_dir(&is_dir).unwrap();
    let cases = [
        (
            dir.path().join("missing/job.prom"),
            "No such file or directory",
        ),
        (plain.join("job.prom"), "Not a directory"),
        (is_dir.clone(), "Is a directory"),
    ];
    for (path, reason) in cases {
        match pushmetrics::write_to_textfile(&path, &reg) {
            Err(Error::Io(m)) => {
                assert!(m.contains(&path.display().to_string()), "{m}");
                assert!(m.contains(reason), "{m}");
            }
            other => panic!("{}: {other:?}", path.display()),
        }
    }
    // A read-only directory stops everyone but root.
    #[cfg(unix)]
    if unsafe { libc::geteuid() } != 0 {
        use std::os::unix::fs::PermissionsExt;
        let ro = dir.path().join("read-only");
        std::fs::create_dir(&ro).unwrap();
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
        let path = ro.join("job.prom");
        let e = pushmetrics::write_to_textfile(&path, &reg).unwrap_err();
        assert!(matches!(e, Error::Io(_)), "{e:?}");
        assert!(
            e.to_string().contains(&path.display().to_string())
                && e.to_string().contains("Permission denied"),
            "{e}"
        );
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut left = entries(dir.path());
    left.retain(|n| n.ends_with(".tmp"));
    assert!(left.is_empty(), "{left:?}");
    assert!(entries(&is_dir).is_empty());
}

fn textfile_pusher(path: &Path) -> pushmetrics::PusherBuilder {
    Pusher::textfile(path.to_str().unwrap())
        .ignore_env()
        .jitter(0.0)
        .self_metrics(false)
}

#[test]
fn the_pusher_rewrites_the_file_at_each_interval_and_at_shutdown() {
    let dir = TempDir::new("pm-textfile-pusher");
    let path = dir.path().join("worker.prom");
    let reg = Registry::new();
    let done = reg.counter("items_done_total", "Items").build().unwrap();
    let pusher = textfile_pusher(&path)
        .interval(Duration::from_millis(100))
        .start(&reg)
        .unwrap();
    assert_eq!(pusher.url(), path.display().to_string());
    done.inc();
    assert!(wait_until(Duration::from_secs(5), || {
        std::fs::read_to_string(&path).is_ok_and(|t| t.contains("items_done_total 1\n"))
    }));
    done.inc();
    assert!(wait_until(Duration::from_secs(5), || {
        std::fs::read_to_string(&path).is_ok_and(|t| t.contains("items_done_total 2\n"))
    }));
    // The stats are updated just after the write.
    assert!(wait_until(Duration::from_secs(5), || pusher
        .stats()
        .pushes_ok
        >= 2));
    let stats = pusher.stats();
    assert_eq!(stats.pushes_failed, 0);
    assert!(stats.bytes_sent > 0);
    assert!(pusher.healthy());
    done.inc_by(40.0).unwrap();
    pusher.shutdown(Duration::from_secs(5)).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), reg.encode_text());
    assert!(reg.encode_text().contains("items_done_total 42\n"));
    promtool_check(&path);
    assert_eq!(entries(dir.path()), ["worker.prom"]);
}

#[test]
fn the_final_write_happens_at_shutdown_without_any_tick() {
    let dir = TempDir::new("pm-textfile-final");
    let path = dir.path().join("cron.prom");
    let reg = Registry::new();
    reg.gauge("cron_last_run_timestamp_seconds", "Last run")
        .build()
        .unwrap()
        .set(1.0);
    // Self-metrics on: the whole file, theirs included, must pass promtool.
    let pusher = Pusher::builder(&format!("file://{}", path.display()))
        .target(Target::Textfile)
        .ignore_env()
        .interval(Duration::from_secs(3600))
        .start(&reg)
        .unwrap();
    assert!(!path.exists());
    let report = pusher.flush(Duration::from_secs(5)).unwrap();
    assert_eq!(report.bytes, std::fs::metadata(&path).unwrap().len());
    assert!(report.series >= 1);
    std::fs::remove_file(&path).unwrap();
    pusher.shutdown(Duration::from_secs(5)).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("cron_last_run_timestamp_seconds 1\n"),
        "{text}"
    );
    assert!(text.contains("pushmetrics_pushes_total"), "{text}");
    promtool_check(&path);
    assert_eq!(entries(dir.path()), ["cron.prom"]);
}

#[test]
fn failed_writes_are_counted_and_reported_with_the_path() {
    let dir = TempDir::new("pm-textfile-fail");
    let plain = dir.path().join("plain-file");
    std::fs::write(&plain, "x").unwrap();
    let path = plain.join("job.prom");
    let reg = sample_registry();
    let pusher = textfile_pusher(&path)
        .interval(Duration::from_millis(50))
        .start(&reg)
        .unwrap();
    let e = pusher.flush(Duration::from_secs(5)).unwrap_err();
    assert!(matches!(e, Error::Push(_)), "{e:?}");
    assert!(e.to_string().contains(&path.display().to_string()), "{e}");
    assert!(wait_until(Duration::from_secs(5), || pusher
        .stats()
        .pushes_failed
        >= 3));
    let stats = pusher.stats();
    assert_eq!(stats.pushes_ok, 0);
    let last = stats.last_error.unwrap();
    assert!(
        last.contains(&path.display().to_string()) && last.contains("Not a directory"),
        "{last}"
    );
    assert!(pusher.shutdown(Duration::from_secs(5)).is_err());
    assert_eq!(entries(dir.path()), ["plain-file"]);
}

#[test]
fn delete_on_shutdown_removes_the_file_after_the_final_write() {
    let dir = TempDir::new("pm-textfile-delete");
    let path = dir.path().join("gone.prom");
    let reg = sample_registry();
    let pusher = textfile_pusher(&path)
        .interval(Duration::from_secs(3600))
        .delete_on_shutdown(true)
        .start(&reg)
        .unwrap();
    pusher.flush(Duration::from_secs(5)).unwrap();
    assert!(path.exists());
    pusher.shutdown(Duration::from_secs(5)).unwrap();
    assert!(!path.exists());
    assert!(entries(dir.path()).is_empty());
}

#[test]
fn a_textfile_pusher_needs_no_job_and_refuses_a_directory_or_several_paths() {
    let dir = TempDir::new("pm-textfile-config");
    let reg = Registry::new();
    let ok = textfile_pusher(&dir.path().join("x.prom")).start(&reg);
    assert!(ok.is_ok(), "{ok:?}");
    ok.unwrap().shutdown(Duration::from_secs(5)).unwrap();
    let e = textfile_pusher(&dir.path().join("x.prom"))
        .add_url("/tmp/y.prom")
        .start(&reg)
        .unwrap_err();
    assert!(matches!(e, Error::InvalidConfig(_)), "{e:?}");
    let with_slash = format!("{}/", dir.path().display());
    let e = Pusher::textfile(&with_slash)
        .ignore_env()
        .start(&reg)
        .unwrap_err();
    assert!(
        matches!(&e, Error::InvalidConfig(m) if m.contains(&with_slash)),
        "{e:?}"
    );
}

#[test]
fn push_once_writes_the_file_once() {
    let dir = TempDir::new("pm-textfile-once");
    let path = dir.path().join("once.prom");
    let reg = sample_registry();
    let report = textfile_pusher(&path).push_once(&reg).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), reg.encode_text());
    assert_eq!(report.bytes as usize, reg.encode_text().len());
}
