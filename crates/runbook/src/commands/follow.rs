//! `runbook follow ID`: a session's events printed as they are written, from any machine that
//! sees the store. It polls the store every 200 ms for the events after the last one printed,
//! and stops at the session's `end`.

use super::session_store;
use crate::cli::{FollowArgs, OutputFormat};
use crate::exit;
use anyhow::Result;
use runbook_engine::journal::{JournalEvent, ResultSummary};
use runbook_engine::transcript::{decision_text, summary};
use std::io::Write;
use std::time::Duration;

const POLL: Duration = Duration::from_millis(200);

pub fn run(args: &FollowArgs, sessions: Option<&str>) -> Result<u8> {
    let store = session_store::open(sessions, args.journal_dir.as_deref())?;
    let id = store.find(&args.id).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut after = 0u64;
    let mut out = std::io::stdout().lock();
    loop {
        let lines = store.events(&id, after).map_err(|e| anyhow::anyhow!("{e}"))?;
        for line in &lines {
            match args.output {
                OutputFormat::Json => writeln!(out, "{}", serde_json::to_string(line)?)?,
                OutputFormat::Terminal => writeln!(out, "{} #{:<4} {}", line.ts.time_of_day(), line.seq, describe(&line.event))?,
            }
            after = line.seq;
        }
        out.flush()?;
        // The last event, not any: a session that ended and was resumed goes on.
        let ended = lines.last().is_some_and(|l| matches!(l.event, JournalEvent::End { .. }));
        if args.no_wait || ended {
            return Ok(exit::OK);
        }
        std::thread::sleep(POLL);
    }
}

/// One event in a line of text.
fn describe(event: &JournalEvent) -> String {
    match event {
        JournalEvent::Session(h) => format!("session {} of {} by {}", h.id, h.runbook, h.operator),
        JournalEvent::Entry { runbook_title, title, .. } => format!("{runbook_title}: {title}"),
        JournalEvent::StepStart { step, index, title, command, .. } => {
            let command = command.lines().next().unwrap_or_default();
            format!("step {index} {step} ({title}): {command}")
        }
        JournalEvent::StepRunning { step } => format!("{step} running"),
        JournalEvent::StepResult(r) => {
            let failed: Vec<&str> = r.checks.iter().map(|c| c.name.as_str()).collect();
            let checks = if failed.is_empty() { String::new() } else { format!("; checks failed: {}", failed.join(", ")) };
            let what = match &r.result {
                ResultSummary::Failed { error } => error.to_string(),
                done => summary(done),
            };
            format!("{} {}: {what} in {} ms{checks}", r.step, if r.ok { "done" } else { "failed" }, r.elapsed_ms)
        }
        JournalEvent::StepSkipped { step, reason, .. } => format!("{step} not run: {reason}"),
        JournalEvent::ParamValue { step, name, value, source } => format!("{name} = {value} for {step} ({source})"),
        JournalEvent::BlastRadius { step, impact } => format!("{step}: {impact}"),
        JournalEvent::Decision { step, chosen, suggested, reason, to, .. } => {
            decision_text(step, chosen, suggested.as_deref(), reason.as_deref(), to.as_deref())
        }
        JournalEvent::InFlight { step, choice, .. } => format!("{step} was in flight; chosen: {}", choice.as_str()),
        JournalEvent::Resumed { operator, from_step, .. } => format!("resumed by {operator} at {from_step}"),
        JournalEvent::TakeOver { from, to, reason } => format!("{to} took over from {from} ({reason})"),
        JournalEvent::HandOver { from, note } => format!("{from} handed over ({note})"),
        JournalEvent::End { status, message } => {
            if message.is_empty() {
                format!("session {status}")
            } else {
                format!("session {status}: {message}")
            }
        }
    }
}
