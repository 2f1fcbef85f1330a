//! `runbook-engine`: walks a step graph, runs each step with a live executor (SQL, HTTP, shell,
//! manual), evaluates checks and branch conditions, and asks an [`operator::Operator`] what to
//! do next. Results are data ([`result`]); reporters consume [`events`].

pub mod answers;
pub mod bind;
pub mod events;
pub mod exec;
pub mod expr;
pub mod interpreter;
pub mod journal;
pub mod operator;
pub mod params;
pub mod rehearse;
pub mod result;
pub mod resume;
pub mod store;
pub mod suggest;
pub mod transcript;
pub mod value_choices;

pub use interpreter::{Config, DEFAULT_MAX_RETRIES, Interpreter, ResumeAt, ResumePoint, RunEnd};
