//! A session's line in `runbook sessions`, from its events: what a store that keeps only the
//! events (the journal files) computes on reading, and a shared store keeps up to date as
//! each event is appended.

use super::{SessionState, SessionSummary};
use crate::journal::{JournalEvent, Line};

/// What one event changes in its session's summary.
pub fn apply(summary: &mut SessionSummary, line: &Line) {
    summary.events = summary.events.max(line.seq);
    summary.started = summary.started.or(Some(line.ts));
    summary.updated = Some(line.ts);
    if let Some(step) = line.event.step() {
        summary.last_step = Some(step.to_owned());
    }
    match &line.event {
        JournalEvent::Session(h) => {
            summary.mode = Some(h.mode);
            summary.runbook = Some(h.runbook.clone());
        }
        JournalEvent::Entry { runbook_title, entry, .. } => {
            summary.runbook_title = Some(runbook_title.clone());
            summary.entry = Some(entry.clone());
        }
        JournalEvent::End { status, .. } => summary.state = SessionState::Ended(*status),
        // Driven again after it ended or stopped: not over until its next end.
        JournalEvent::Resumed { .. } | JournalEvent::TakeOver { .. } => summary.state = SessionState::Interrupted,
        _ => {}
    }
}

/// The summary of a whole session; `state` is `Interrupted` until an end is seen (a store
/// that sees a live lease makes it `Running`).
pub fn of(id: &str, lines: &[Line]) -> SessionSummary {
    let mut summary = empty(id);
    for line in lines {
        apply(&mut summary, line);
    }
    summary
}

pub fn empty(id: &str) -> SessionSummary {
    SessionSummary {
        id: id.to_owned(),
        mode: None,
        runbook: None,
        runbook_title: None,
        entry: None,
        state: SessionState::Interrupted,
        driver: None,
        last_step: None,
        started: None,
        updated: None,
        events: 0,
    }
}
