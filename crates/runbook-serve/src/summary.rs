//! What a session's page says about it beyond its store summary, read from its events: who
//! drove it in turn, and the steps it went through.

use runbook_engine::journal::{JournalEvent, Line};

/// Everyone who drove the session, in order: its starter, then each resume and take-over.
pub fn drivers(lines: &[Line]) -> Vec<String> {
    let mut drivers: Vec<String> = Vec::new();
    for line in lines {
        let who = match &line.event {
            JournalEvent::Session(h) => &h.operator,
            JournalEvent::Resumed { operator, .. } => operator,
            JournalEvent::TakeOver { to, .. } => to,
            _ => continue,
        };
        // `alice@laptop (pid 42)` and `alice@laptop` are the same person driving.
        let name = who.split(" (pid ").next().unwrap_or(who);
        if drivers.last().is_none_or(|d| d != name) {
            drivers.push(name.to_owned());
        }
    }
    drivers
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

/// The title and entry point the session walked, from its `entry` events.
pub fn entry(lines: &[Line]) -> (Option<String>, Option<String>) {
    lines
        .iter()
        .rev()
        .find_map(|l| match &l.event {
            JournalEvent::Entry { runbook_title, title, .. } => Some((Some(runbook_title.clone()), Some(title.clone()))),
            _ => None,
        })
        .unwrap_or((None, None))
}

/// The runbook of a session the store did not keep (a journal written before stores kept
/// runbooks): the file its header names, if it is still on this machine and unchanged. The
/// hash check also means a header naming some other file shows nobody anything they did not
/// already know.
pub fn runbook_on_disk(lines: &[Line]) -> Option<String> {
    let header = lines.iter().find_map(|l| match &l.event {
        JournalEvent::Session(h) => Some(h),
        _ => None,
    })?;
    let text = std::fs::read_to_string(&header.runbook).ok()?;
    (runbook_engine::journal::sha256_hex(text.as_bytes()) == header.runbook_sha256).then_some(text)
}
