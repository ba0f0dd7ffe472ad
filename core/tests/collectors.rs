//! A fork while the push thread runs a collector that waits for a lock the forking thread
//! holds (as a Python collector waits for the GIL during `os.fork()`): the fork goes
//! through, and so does the push.
#![cfg(unix)]

use pushmetrics::{fork, FamilySnapshot, MetricType, Pusher, Registry, Target, Value};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[test]
fn fork_preparation_does_not_wait_for_a_collector_blocked_by_the_forking_thread() {
    let dir = std::env::temp_dir().join(format!("pm_collectors_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("job.prom");
    let reg = Registry::new();
    // Stands for the GIL: the "forking" thread holds it while it prepares the fork.
    let gil = Arc::new(Mutex::new(()));
    let (entered_tx, entered_rx) = mpsc::channel::<()>();
    let entered_tx = Mutex::new(entered_tx);
    let g = gil.clone();
    reg.register_collector("waits_for_the_gil", move || {
        let _ = entered_tx.lock().unwrap().send(());
        let _held = g.lock().unwrap();
        let mut b = FamilySnapshot::builder::<&str>("collected", "C", MetricType::Gauge, &[])
            .map_err(|e| e.to_string())?;
        b.add::<&str>(&[], Value::Gauge(1.0))
            .map_err(|e| e.to_string())?;
        Ok(vec![b.build()])
    })
    .unwrap();
    let pusher: Pusher = Pusher::builder(path.to_str().unwrap())
        .target(Target::Textfile)
        .interval(Duration::from_secs(60))
        .ignore_env()
        .start(&reg)
        .unwrap();
    let pusher = Arc::new(pusher);

    let gil_held = gil.lock().unwrap();
    let p = pusher.clone();
    let flushing = std::thread::spawn(move || p.flush(Duration::from_secs(20)));
    entered_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the flush called the collector");
    // The push thread now waits for the "GIL"; preparing a fork must not wait for it.
    let (done_tx, done_rx) = mpsc::channel();
    let preparing = std::thread::spawn(move || {
        fork::prepare();
        fork::parent();
        let _ = done_tx.send(());
    });
    let prepared = done_rx.recv_timeout(Duration::from_secs(10));
    drop(gil_held);
    assert!(
        prepared.is_ok(),
        "fork preparation waited for the collector"
    );
    preparing.join().unwrap();
    flushing.join().unwrap().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("collected 1\n"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
