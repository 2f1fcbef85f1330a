//! Live executors. Each takes what to run and returns a typed result or a `StepError`.

pub mod http;
pub mod shell;
pub mod sql;
