//! The Python extension of pushmetrics.
