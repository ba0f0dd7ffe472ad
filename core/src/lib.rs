//! pushmetrics records counters, gauges, histograms and summaries in memory and pushes them
//! from a background thread to a Prometheus Pushgateway.
//!
//! ```
//! use pushmetrics::Registry;
//!
//! let reg = Registry::new();
//! let rows = reg.counter("rows_processed_total", "Rows processed").build().unwrap();
//! let errors = reg
//!     .counter("errors_total", "Errors by kind")
//!     .labels(&["kind"])
//!     .build_vec()
//!     .unwrap();
//! rows.inc_by(1000.0).unwrap();
//! errors.inc(&["timeout"]).unwrap();
//! assert!(reg.encode_text().contains("rows_processed_total 1000"));
//! ```
#![warn(missing_docs)]

pub mod cardinality;
mod config;
pub mod encode;
mod error;
pub mod fork;
#[doc(hidden)]
pub mod fuzzing;
mod labels;
pub mod log_limit;
pub mod metric;
pub mod multiprocess;
mod process;
mod pusher;
mod registry;
pub mod sampling;
mod serve;
mod snapshot;
mod state;
mod stats;
pub(crate) mod target;
pub(crate) mod transport;

pub use cardinality::{GuardCounts, OVERFLOW_VALUE};
pub use config::{Method, PusherBuilder, Target};
pub use encode::Format;
pub use error::{Error, Result};
pub use metric::counter::{Counter, CounterVec};
pub use metric::gauge::{Gauge, GaugeVec};
pub use metric::histogram::{
    exponential_buckets, linear_buckets, Histogram, HistogramTimer, HistogramVec, DEFAULT_BUCKETS,
    MAX_BUCKETS,
};
pub use metric::summary::{Summary, SummaryTimer, SummaryVec, DEFAULT_QUANTILES, MAX_QUANTILES};
pub use metric::MetricType;
pub use pusher::{FlushReport, Pusher};
pub use registry::{CollectResult, MetricBuilder, Registry, RegistryBuilder, COLLECTOR_FAILURES};
pub use sampling::Sampling;
pub use serve::{start_http_server, HttpServer, HttpServerBuilder};
pub use snapshot::{
    FamilySnapshot, FamilySnapshotBuilder, HistogramValue, SeriesRef, Snapshot, SummaryValue, Value,
};
pub use state::{EnumMetric, InfoMetric};
pub use stats::{ReceiverStats, Stats};
pub use target::textfile::write_to_textfile;
pub use transport::BreakerState;

/// The README's Rust example, compiled as a doc test so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeExample;
