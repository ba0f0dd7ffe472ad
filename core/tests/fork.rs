//! fork() while other threads record on held and labelled series, make and remove series,
//! observe summaries, take snapshots and push to a slow gateway: every child finishes in
//! time, and counts only what it recorded itself.
#![cfg(unix)]

mod support;

use pushmetrics::{fork, Pusher, Registry};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};
use support::{FaultServer, Mode};

/// How long a child may take: it records, encodes, and a few of them flush through a
/// gateway that answers after 100 ms.
const CHILD_LIMIT: Duration = Duration::from_secs(20);

/// What a forked child does; its exit status says what went wrong.
fn in_child(reg: &Registry, held: &pushmetrics::Counter, pusher: &Pusher, flush: bool) -> i32 {
    // The first record restarts the library here, which zeroes the parent's counts first.
    held.inc();
    held.inc();
    held.inc();
    if held.get() != 3.0 {
        return 2;
    }
    let c = reg
        .counter("fork_labelled_total", "L")
        .labels(&["k"])
        .build_vec()
        .unwrap();
    if c.inc(&["child"]).is_err() || c.with(&["child"]).unwrap().get() != 1.0 {
        return 3;
    }
    let s = reg
        .summary("fork_seconds", "S")
        .labels(&["k"])
        .build_vec()
        .unwrap();
    if s.observe(&["a"], 0.5).is_err() {
        return 4;
    }
    if !reg.encode_text().contains("fork_held_total 3") {
        return 5;
    }
    if flush && pusher.flush(Duration::from_secs(5)).is_err() {
        return 6;
    }
    // Stats of the child's own pusher, not of the parent's.
    if pusher.stats().pushes_ok > u64::from(flush) {
        return 7;
    }
    0
}

#[test]
fn two_hundred_forks_under_load_all_finish_and_count_only_their_own() {
    let server = FaultServer::start(None);
    server.set_mode(Mode::Delay(Duration::from_millis(100)));
    let reg = Registry::new();
    let held = reg.counter("fork_held_total", "H").build().unwrap();
    let labelled = reg
        .counter("fork_labelled_total", "L")
        .labels(&["k"])
        .build_vec()
        .unwrap();
    let summary = reg
        .summary("fork_seconds", "S")
        .labels(&["k"])
        .build_vec()
        .unwrap();
    let pusher = Pusher::builder(&server.url())
        .job("fork")
        .ignore_env()
        .interval(Duration::from_millis(20))
        .jitter(0.0)
        .request_timeout(Duration::from_secs(2))
        .start(&reg)
        .unwrap();
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            while !stop.load(Relaxed) {
                held.inc();
                labelled.inc(&["a"]).unwrap();
                labelled.with(&["b"]).unwrap().inc();
            }
        });
        s.spawn(|| {
            let mut i = 0u64;
            while !stop.load(Relaxed) {
                let k = format!("new-{}", i % 64);
                labelled.inc(&[k.as_str()]).unwrap();
                if i % 3 == 0 {
                    let _ = labelled.remove(&[k.as_str()]);
                }
                i += 1;
            }
        });
        s.spawn(|| {
            while !stop.load(Relaxed) {
                summary.observe(&["a"], 0.25).unwrap();
                summary.observe(&["b"], 1.0).unwrap();
                let _ = reg.encode_text();
            }
        });
        let mut failures = Vec::new();
        for batch in 0..20 {
            let mut children = Vec::new();
            for i in 0..10 {
                fork::prepare();
                // SAFETY: the child only uses the library and ends with `_exit`.
                let pid = unsafe { libc::fork() };
                if pid == 0 {
                    fork::child();
                    let code = in_child(&reg, &held, &pusher, i == 0);
                    // SAFETY: ends the child without running the test harness' code.
                    unsafe { libc::_exit(code) };
                }
                fork::parent();
                assert!(pid > 0, "fork failed");
                children.push(pid);
            }
            for pid in children {
                match wait(pid, CHILD_LIMIT) {
                    Some(0) => {}
                    Some(code) => failures.push(format!("batch {batch}: child exited {code}")),
                    None => failures.push(format!("batch {batch}: child hung")),
                }
            }
        }
        stop.store(true, Relaxed);
        assert!(failures.is_empty(), "{failures:?}");
    });
    // The parent goes on as before.
    let before = held.get();
    held.inc();
    assert_eq!(held.get(), before + 1.0);
    pusher.flush(Duration::from_secs(5)).unwrap();
}

/// The exit status of `pid`, or `None` (after killing it) if it has not ended in `limit`.
fn wait(pid: libc::pid_t, limit: Duration) -> Option<i32> {
    let start = Instant::now();
    loop {
        let mut status = 0;
        // SAFETY: a child of this process; `status` is a valid out-pointer.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == pid {
            return Some(if libc::WIFEXITED(status) {
                libc::WEXITSTATUS(status)
            } else {
                128 + libc::WTERMSIG(status)
            });
        }
        if start.elapsed() > limit {
            // SAFETY: as above.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &mut status, 0);
            }
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}
