//! Getting bytes to a server: the HTTP client and the policies around it (backoff and
//! `Retry-After`, the retry budget, the circuit breaker).

pub(crate) mod breaker;
pub(crate) mod budget;
pub(crate) mod deliver;
pub(crate) mod http;
pub(crate) mod retry;
pub(crate) mod trust;

pub use breaker::BreakerState;
