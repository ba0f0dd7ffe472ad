//! The Node addon of pushmetrics.
