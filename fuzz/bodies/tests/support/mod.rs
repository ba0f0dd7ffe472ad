//! Runs the files of `fuzz/<kind>/<target>/` through their target bodies.

use pushmetrics_fuzz_bodies::TARGETS;
use std::path::{Path, PathBuf};

/// The files of `dir`, sorted; none when it does not exist.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.expect("a directory entry").path())
            .collect(),
        Err(_) => Vec::new(),
    };
    out.retain(|p| p.is_file());
    out.sort();
    out
}

/// `fuzz/<kind>`.
pub fn dir(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(kind)
}

/// Runs every file of `fuzz/<kind>/<target>/` through the target; returns how many ran
/// and, for each that panicked, the target, file and panic message.
pub fn replay(kind: &str) -> (usize, Vec<String>) {
    let root = dir(kind);
    let mut ran = 0;
    let mut failed = Vec::new();
    for (name, body) in TARGETS {
        for file in files(&root.join(name)) {
            let data = std::fs::read(&file).expect("a corpus file");
            ran += 1;
            if let Err(panic) = std::panic::catch_unwind(|| body(&data)) {
                let msg = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failed.push(format!("{name}: {}: {msg}", file.display()));
            }
        }
    }
    (ran, failed)
}
