//! A session's index row, read from its events: what the index shows for a journal that keeps
//! no separate summary.

use crate::sessions::Summary;
use runbook_engine::journal::{JournalEvent, Line};
use std::path::Path;

/// The row of session `id` from its events.
pub fn summarize(id: &str, lines: &[Line]) -> Summary {
    let mut s = Summary {
        id: id.to_owned(),
        state: "running".to_owned(),
        runbook: String::new(),
        entry: String::new(),
        driver: String::new(),
        last_step: None,
        started: lines.first().map(|l| l.ts),
        updated: lines.last().map(|l| l.ts),
    };
    for line in lines {
        match &line.event {
            JournalEvent::Session(h) => {
                s.driver = h.operator.clone();
                s.runbook = Path::new(&h.runbook).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            }
            JournalEvent::Entry { runbook_title, entry, .. } => {
                if !runbook_title.is_empty() {
                    s.runbook = runbook_title.clone();
                }
                s.entry = entry.clone();
            }
            JournalEvent::Resumed { operator, .. } => {
                s.driver = operator.clone();
                s.state = "running".to_owned();
            }
            JournalEvent::End { status, .. } => s.state = status.as_str().to_owned(),
            e => {
                if let Some(step) = e.step() {
                    s.last_step = Some(step.to_owned());
                }
            }
        }
    }
    s
}

/// The steps a session went through, in the order it first reached them.
pub fn path_taken(lines: &[Line]) -> Vec<String> {
    let mut taken: Vec<String> = Vec::new();
    for line in lines {
        if let Some(step) = line.event.step()
            && !taken.iter().any(|t| t == step)
        {
            taken.push(step.to_owned());
        }
    }
    taken
}
