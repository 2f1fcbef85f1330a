//! The end of a walk: what ran, what was skipped, what was decided, how long it took, and how
//! to get the session's transcript. Collected from the engine's events like any reporter.

use console::style;
use runbook_engine::events::{Event, EventSink};
use runbook_engine::result::Outcome;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Instant;

pub struct WalkSummary {
    started: Instant,
    run: Vec<String>,
    failed: Vec<String>,
    skipped: Vec<(String, String)>,
    decisions: Vec<(String, String)>,
}

impl WalkSummary {
    pub fn new() -> Self {
        WalkSummary { started: Instant::now(), run: Vec::new(), failed: Vec::new(), skipped: Vec::new(), decisions: Vec::new() }
    }

    /// The commands that show this session's transcript (with the journal directory when it
    /// is not the default one).
    fn commands(session: &str, journal_dir: Option<&Path>) -> Vec<String> {
        let dir = journal_dir.map(|d| format!(" --journal-dir {}", d.display())).unwrap_or_default();
        vec![format!("runbook transcript {session}{dir}"), format!("runbook transcript {session}{dir} --format html -o {session}.html")]
    }

    /// For `--output json`: one `summary` event.
    pub fn json(&self, status: &str, session: &str, journal_dir: Option<&Path>) -> Value {
        json!({
            "event": "summary", "status": status, "session": session,
            "elapsed_ms": self.started.elapsed().as_millis() as u64,
            "steps_run": self.run, "steps_failed": self.failed, "steps_skipped": self.skipped.iter().map(|(s, r)| json!({"step": s, "reason": r})).collect::<Vec<_>>(),
            "decisions": self.decisions.iter().map(|(s, c)| json!({"step": s, "chosen": c})).collect::<Vec<_>>(),
            "transcript": Self::commands(session, journal_dir),
        })
    }

    /// For the terminal: a few lines under the walk.
    pub fn text(&self, session: &str, journal_dir: Option<&Path>) -> String {
        let mut lines = vec![format!("{} summary", style("━━").cyan())];
        let failed =
            if self.failed.is_empty() { String::new() } else { format!(" ({} failed: {})", self.failed.len(), self.failed.join(", ")) };
        lines.push(format!("  steps run: {}{failed}{}", self.run.len(), list(&self.run)));
        let skipped: Vec<String> = self.skipped.iter().map(|(s, r)| format!("{s} ({r})")).collect();
        lines.push(format!("  skipped: {}{}", skipped.len(), list(&skipped)));
        for (step, chosen) in &self.decisions {
            lines.push(format!("  decision {step}: {chosen}"));
        }
        lines.push(format!("  elapsed: {}", elapsed(self.started.elapsed().as_millis() as u64)));
        lines.push(format!("  session {session}; its transcript:"));
        for c in Self::commands(session, journal_dir) {
            lines.push(format!("    {c}"));
        }
        lines.join("\n")
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() { String::new() } else { format!(" — {}", items.join(", ")) }
}

fn elapsed(ms: u64) -> String {
    let secs = ms / 1000;
    match secs {
        // A walk with no waiting (answers, rehearsals) takes milliseconds: say so, not "0.0 s".
        _ if ms < 1000 => format!("{ms} ms"),
        0..60 => format!("{:.1} s", ms as f64 / 1000.0),
        60..3600 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

impl EventSink for WalkSummary {
    fn event(&mut self, event: &Event<'_>) {
        match event {
            Event::StepFinished { step, record } => match &record.outcome {
                Ok(Outcome::Decision) => {}
                Ok(Outcome::Manual(m)) if !m.done => self.skipped.push((step.id.clone(), "skipped by the operator".into())),
                Err(_) => {
                    self.run.push(step.id.clone());
                    self.failed.push(step.id.clone());
                }
                _ => self.run.push(step.id.clone()),
            },
            Event::StepSkipped { step, reason, .. } => self.skipped.push((step.id.clone(), (*reason).to_owned())),
            Event::Decision { step, chosen, .. } => self.decisions.push((step.id.clone(), (*chosen).to_owned())),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elapsed_time_reads_as_a_person_says_it() {
        assert_eq!(elapsed(7_240), "7.2 s");
        assert_eq!(elapsed(42), "42 ms");
        assert_eq!(elapsed(125_000), "2 min 5 s");
        assert_eq!(elapsed(3_720_000), "1 h 2 min");
    }
}
