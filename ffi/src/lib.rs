//! The C ABI of pushmetrics.
