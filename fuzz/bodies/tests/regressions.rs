//! Inputs that reproduce open defects (`fuzz/regressions/<target>/`, each listed in
//! fuzz/README.md), replayed with the targets' sidesteps off. Ignored until the defects are
//! fixed; then the inputs move to the corpus and the sidesteps go. A binary of its own:
//! turning the sidesteps off must not reach the corpus replay.

mod support;

#[test]
#[ignore = "open defects found by fuzzing; see fuzz/README.md"]
fn regressions_replay_without_a_failure() {
    pushmetrics_fuzz_bodies::known::face_known_defects();
    let (ran, failed) = support::replay("regressions");
    assert!(
        failed.is_empty(),
        "{} of {ran} inputs failed:\n{}",
        failed.len(),
        failed.join("\n")
    );
}
