//! The Node addon of pushmetrics: napi-rs classes over the core, one file per concept.
//! `index.js` shapes them into prom-client's API; this crate only translates types and
//! errors (the one exception, `cells`, moves held-child increments into the core).
#![deny(clippy::all)]

#[macro_use]
extern crate napi_derive;

mod cells;
mod collect;
mod errors;
mod logging;
mod metrics;
mod pusher;
mod registry;
mod serve;
mod textfile;
