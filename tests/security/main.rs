//! The safety promises of README.md and docs/format.md ("Safety"), tried as an attacker and as a
//! careless operator would, end to end through the binary against real PostgreSQL and loopback
//! HTTP servers. One module per family of promises.

#![allow(clippy::unwrap_used)]

#[path = "../support/mod.rs"]
mod support;

mod inputs;
mod integrity;
mod values;
