//! Replays the checked-in corpus of every fuzz target through its body, on stable: what
//! the fuzzer once found interesting keeps being checked by `cargo test`.

mod support;

use pushmetrics_fuzz_bodies::TARGETS;

#[test]
fn corpus_replays_without_a_failure() {
    let (ran, failed) = support::replay("corpus");
    assert!(ran > 0, "no corpus under fuzz/corpus");
    assert!(
        failed.is_empty(),
        "{} of {ran} inputs failed:\n{}",
        failed.len(),
        failed.join("\n")
    );
}

#[test]
fn every_target_has_a_corpus() {
    for (name, _) in TARGETS {
        let files = support::files(&support::dir("corpus").join(name));
        assert!(!files.is_empty(), "fuzz/corpus/{name} is empty");
    }
}
