//! The bodies of the fuzz targets in `fuzz/fuzz_targets/`: one plain function of the input
//! bytes per target, which panics on a defect. cargo-fuzz calls them under libFuzzer on
//! nightly; `tests/replay.rs` runs them over the checked-in corpus on stable.

pub mod c_abi;
pub mod env_config;
pub mod grouping_url;
pub mod input;
pub mod known;
pub mod names;
pub mod remote_write_encode;
pub mod scenario;
pub mod text_encode;
pub mod text_format;

pub use c_abi::c_abi;
pub use env_config::env_config;
pub use grouping_url::grouping_url;
pub use names::names;
pub use remote_write_encode::remote_write_encode;
pub use text_encode::text_encode;

/// A target body.
pub type Body = fn(&[u8]);

/// Every target by the name of its directory under `fuzz/corpus/`.
pub const TARGETS: &[(&str, Body)] = &[
    ("text_encode", text_encode),
    ("remote_write_encode", remote_write_encode),
    ("names", names),
    ("grouping_url", grouping_url),
    ("env_config", env_config),
    ("c_abi", c_abi),
];
