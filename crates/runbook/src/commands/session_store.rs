//! Where sessions live: the store `--sessions`/`RUNBOOK_SESSIONS_URL` names (PostgreSQL, shared
//! by a team), else the journal files on this machine. `run` and `rehearse` start sessions in
//! it, `resume` drives one again, `sessions`, `follow` and `transcript` read it. Its own module
//! so that `run` and `session` both use it without using each other.

use crate::exit;
use anyhow::{Context, Result};
use runbook_engine::events::{Event, EventSink};
use runbook_engine::journal::{self, Mode, SessionHeader};
use runbook_engine::store::{self, Driver, SessionLog, SessionStore, StoreError};
use std::path::Path;

/// `user@host` of whoever runs the tool.
pub fn operator() -> String {
    Driver::current().holder
}

/// The store sessions go to and are read from.
pub fn open(sessions: Option<&str>, journal_dir: Option<&Path>) -> Result<Box<dyn SessionStore>> {
    store::open(sessions, journal_dir).map_err(|e| anyhow::anyhow!("{e}"))
}

/// Starts a session in the store: its header, the runbook's text, and this driver's lease.
pub fn start(store: &dyn SessionStore, runbook: &Path, mode: Mode, environment: Option<&str>) -> Result<Box<dyn SessionLog>> {
    let id = journal::new_session_id();
    let bytes = std::fs::read(runbook).unwrap_or_default();
    let path = std::fs::canonicalize(runbook).unwrap_or_else(|_| runbook.to_owned());
    let driver = Driver::current();
    let header = SessionHeader {
        id: id.clone(),
        mode,
        runbook: path.display().to_string(),
        runbook_sha256: journal::sha256_hex(&bytes),
        operator: driver.holder.clone(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        environment: environment.map(str::to_owned),
    };
    let log = store
        .create(&header, &String::from_utf8_lossy(&bytes), &driver)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("cannot start a session in {}", store.describe()))?;
    eprintln!("session {id} (journal {})", log.location());
    Ok(log)
}

/// The session log as the walk's sink: a driver that lost its lease stops before its next
/// step, so two drivers never write one session.
pub struct Driving<'a>(pub &'a mut dyn SessionLog);

impl EventSink for Driving<'_> {
    fn event(&mut self, event: &Event<'_>) {
        self.0.event(event);
        if let Some(by) = self.0.lost_to() {
            eprintln!("error: {}", StoreError::LeaseLost { by });
            std::process::exit(i32::from(exit::LEASED));
        }
    }
}

/// Hands the session over at the end of a walk, and reports a write that failed on the way.
pub fn finish(log: &mut dyn SessionLog) {
    if let Err(e) = log.hand_over() {
        eprintln!("warning: the session could not be handed over: {e}");
    }
    if let Some(e) = log.error() {
        eprintln!("warning: the journal could not be written completely: {e}");
    }
}
