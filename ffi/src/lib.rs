//! The C ABI of pushmetrics: `libpushmetrics.so` / `libpushmetrics.a` and
//! `include/pushmetrics.h` (generated from this crate by cbindgen). Every function checks
//! its arguments, stops panics at the border and returns a `pm_status`; the types and
//! errors of the core are translated here and nothing else is.
#![allow(non_camel_case_types)]

pub mod collector;
pub mod counter;
pub mod error;
mod family;
mod ffi;
mod fork;
pub mod gauge;
mod handle;
pub mod histogram;
pub mod http_server;
pub mod log;
pub mod metric_options;
pub mod multiprocess;
mod panic;
pub mod pusher;
pub mod pusher_config;
pub mod registry;
pub mod stats;
pub mod summary;
pub mod textfile;

use std::ffi::c_char;

/// The version of the C ABI this header describes. It changes only when a function or type
/// changes incompatibly; compare it with `pm_abi_version()` to detect a mismatched library.
pub const PM_ABI_VERSION: u32 = 1;

/// Most label names, label values or (name, value) pairs one call takes: a metric has at
/// most this many labels, declared and constant together. A larger count is refused with
/// PM_ERR_INVALID_ARGUMENT before the array is read.
pub const PM_MAX_LABELS: usize = 64;

/// Most bucket bounds of a histogram (`pm_metric_options_set_buckets`) and most bounds
/// `pm_linear_buckets` and `pm_exponential_buckets` write. A larger count is refused with
/// PM_ERR_INVALID_ARGUMENT before anything is read, written or allocated.
pub const PM_MAX_BUCKETS: usize = 4096;

/// Most quantiles of a summary (`pm_metric_options_set_quantiles`). A larger count is
/// refused with PM_ERR_INVALID_ARGUMENT before the array is read.
pub const PM_MAX_QUANTILES: usize = 256;

// The border and the core agree on the label limit.
const _: () = assert!(PM_MAX_LABELS == pushmetrics_core::cardinality::MAX_LABELS);
const _: () = assert!(PM_MAX_BUCKETS == pushmetrics_core::MAX_BUCKETS);
const _: () = assert!(PM_MAX_QUANTILES == pushmetrics_core::MAX_QUANTILES);

/// The library version, e.g. "0.1.0". A static string; do not free it.
#[no_mangle]
pub extern "C" fn pm_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The C ABI version of the linked library; equals PM_ABI_VERSION when the header and the
/// library match.
#[no_mangle]
pub extern "C" fn pm_abi_version() -> u32 {
    PM_ABI_VERSION
}
