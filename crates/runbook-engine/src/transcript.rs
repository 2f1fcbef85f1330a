//! Transcripts: a session journal as an incident timeline (Markdown, HTML, JSON). Everything
//! comes from the journal, which never held a secret value.

use crate::journal::{JournalEvent, Line, OutcomeSummary, ResultSummary, SessionHeader, Timestamp};
use crate::operator::InFlight;
use crate::result::CheckResult;
use runbook_core::model::{Risk, StepKind};
use serde::Serialize;
use serde_json::Value;

/// A session as a timeline: one item per step (start and result merged), decision, note,
/// resume and end.
#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    pub id: Option<String>,
    /// `entry title — runbook title`.
    pub title: String,
    pub runbook: Option<String>,
    pub runbook_sha256: Option<String>,
    pub operator: Option<String>,
    pub started: Option<Timestamp>,
    /// How the session ended, `interrupted` when it has no end.
    pub status: String,
    pub events: Vec<Item>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Item {
    Step(Box<StepItem>),
    Decision(Note),
    Note(Note),
}

#[derive(Debug, Clone, Serialize)]
pub struct Note {
    /// The CSS class: `decision`, `resumed` or none.
    pub class: &'static str,
    pub time: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepItem {
    /// `failed` for a step that produced no result.
    pub class: &'static str,
    pub time: String,
    pub step: String,
    pub kind: StepKind,
    pub risk: Risk,
    pub title: String,
    pub command: String,
    pub params: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<Vec<Vec<String>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checks: Option<Vec<CheckResult>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended: Option<String>,
}

/// Rows a timeline shows of a result.
const ROWS_SHOWN: usize = 10;

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A step result in a few words (`1 row`, `HTTP 200`, `exit 0`, `failed: …`).
pub fn summary(result: &ResultSummary) -> String {
    let ResultSummary::Done(done) = result else { return String::new() };
    match done {
        OutcomeSummary::Sql { row_count, .. } => format!("{row_count} row(s)"),
        OutcomeSummary::Http { status, elapsed_ms, filtered, .. } => {
            format!("HTTP {status} in {elapsed_ms} ms{}", filtered.as_ref().map(|f| format!(" → {}", text(f))).unwrap_or_default())
        }
        OutcomeSummary::Shell { exit_code, stdout, .. } => match stdout.lines().next() {
            Some(first) => format!("exit code {exit_code}: {first}"),
            None => format!("exit code {exit_code}"),
        },
        OutcomeSummary::Manual { done, note } => {
            format!("{}{}", if *done { "done" } else { "skipped" }, note.as_ref().map(|n| format!(": {n}")).unwrap_or_default())
        }
        OutcomeSummary::Decision => String::new(),
    }
}

pub fn decision_text(step: &str, chosen: &str, suggested: Option<&str>, reason: Option<&str>, to: Option<&str>) -> String {
    let suggestion = match (suggested, reason) {
        (Some(s), Some(why)) if s == chosen => format!(" (suggested: {why})"),
        (Some(s), None) if s == chosen => " (suggested)".to_owned(),
        (Some(s), Some(why)) => format!(" (suggested: {s}, as {why})"),
        (Some(s), None) => format!(" (suggested: {s})"),
        (None, _) => String::new(),
    };
    format!("{step}: chose “{chosen}”{suggestion} → {}", to.unwrap_or("end"))
}

pub fn timeline(events: &[Line]) -> Timeline {
    let header: Option<&SessionHeader> = events.iter().find_map(|l| match &l.event {
        JournalEvent::Session(h) => Some(h),
        _ => None,
    });
    let started = events.iter().find(|l| matches!(l.event, JournalEvent::Session(_))).map(|l| l.ts);
    let title = events
        .iter()
        .find_map(|l| match &l.event {
            JournalEvent::Entry { runbook_title, title, .. } => Some(format!("{title} — {runbook_title}")),
            _ => None,
        })
        .unwrap_or_default();
    let mut items: Vec<Item> = Vec::new();
    let note = |class: &'static str, time: &str, text: String| Item::Note(Note { class, time: time.to_owned(), text });
    for line in events {
        let time = line.ts.time_of_day();
        match &line.event {
            JournalEvent::StepStart { step, kind, risk, title, command, params, .. } => items.push(Item::Step(Box::new(StepItem {
                class: "",
                time,
                step: step.clone(),
                kind: *kind,
                risk: *risk,
                title: title.clone(),
                command: command.clone(),
                params: params.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                error: None,
                summary: None,
                columns: None,
                rows: None,
                checks: None,
                ended: None,
            }))),
            JournalEvent::StepResult(r) => {
                let last = items.iter_mut().rev().find_map(|i| match i {
                    Item::Step(s) if s.step == r.step => Some(s),
                    _ => None,
                });
                if let Some(last) = last {
                    if let ResultSummary::Failed { error } = &r.result {
                        last.error = Some(error.message.clone());
                        last.class = "failed";
                    }
                    last.summary = Some(summary(&r.result));
                    if let ResultSummary::Done(OutcomeSummary::Sql { columns, rows, .. }) = &r.result
                        && !columns.is_empty()
                    {
                        let cells = |row: &serde_json::Map<String, Value>| {
                            columns.iter().map(|c| row.get(c).map(text).unwrap_or_default()).collect::<Vec<_>>()
                        };
                        last.rows = Some(rows.iter().take(ROWS_SHOWN).map(cells).collect());
                        last.columns = Some(columns.clone());
                    }
                    last.checks = Some(r.checks.clone());
                    last.ended = Some(time);
                }
            }
            JournalEvent::Decision { step, chosen, suggested, reason, to, .. } => items.push(Item::Decision(Note {
                class: "decision",
                time,
                text: decision_text(step, chosen, suggested.as_deref(), reason.as_deref(), to.as_deref()),
            })),
            JournalEvent::InFlight { step, choice, .. } => {
                let chose = match choice {
                    InFlight::Rerun => "run it again",
                    InFlight::Done => "mark it done",
                    InFlight::Skip => "skip it",
                };
                items.push(note("resumed", &time, format!("{step} was running when the session died; the operator chose: {chose}")))
            }
            JournalEvent::StepSkipped { step, reason, .. } => items.push(note("", &time, format!("{step} not run: {reason}"))),
            JournalEvent::BlastRadius { step, impact } => items.push(note("", &time, format!("{step}: {impact}"))),
            // Only values picked from a result row: the others are in the step's parameters.
            JournalEvent::ParamValue { step, name, value, source } if source.contains(" row ") => {
                items.push(note("", &time, format!("{name} = {value} for {step}, picked from {source}")))
            }
            JournalEvent::Resumed { operator, from_step, note: why, .. } => {
                items.push(note("resumed", &time, format!("session resumed by {operator} at {from_step} ({why})")))
            }
            JournalEvent::TakeOver { from, to, reason } => {
                items.push(note("resumed", &time, format!("{to} took the session over from {from} ({reason})")))
            }
            JournalEvent::HandOver { from, note: why } => {
                let why = if why.is_empty() { String::new() } else { format!(" ({why})") };
                items.push(note("resumed", &time, format!("{from} handed the session over{why}")))
            }
            JournalEvent::End { status, message } => {
                let message = if message.is_empty() { String::new() } else { format!(": {message}") };
                items.push(note("", &time, format!("session {status}{message}")))
            }
            JournalEvent::Session(_) | JournalEvent::Entry { .. } | JournalEvent::StepRunning { .. } | JournalEvent::ParamValue { .. } => {}
        }
    }
    let status = events
        .iter()
        .rev()
        .find_map(|l| match &l.event {
            JournalEvent::End { status, .. } => Some(status.to_string()),
            _ => None,
        })
        .unwrap_or_else(|| "interrupted".to_owned());
    Timeline {
        id: header.map(|h| h.id.clone()),
        title,
        runbook: header.map(|h| h.runbook.clone()),
        runbook_sha256: header.map(|h| h.runbook_sha256.clone()),
        operator: header.map(|h| h.operator.clone()),
        started,
        status,
        events: items,
    }
}

pub fn markdown(events: &[Line]) -> String {
    let t = timeline(events);
    let or_empty = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut out = format!(
        "# {}\n\n- session: `{}`\n- runbook: `{}` (sha256 `{}`)\n- operator: {}\n- started: {}\n- status: {}\n\n## Timeline\n\n",
        t.title,
        or_empty(&t.id),
        or_empty(&t.runbook),
        t.runbook_sha256.as_deref().and_then(|h| h.get(..12)).unwrap_or(""),
        or_empty(&t.operator),
        t.started.map(|s| s.to_string()).unwrap_or_default(),
        t.status
    );
    for item in &t.events {
        let e = match item {
            Item::Step(e) => e,
            Item::Decision(n) | Item::Note(n) => {
                out.push_str(&format!("- {} {}\n\n", n.time, n.text));
                continue;
            }
        };
        out.push_str(&format!("### {} `{}` · {} · {} — {}\n\n", e.time, e.step, e.kind.as_str(), e.risk.as_str(), e.title));
        if !e.command.is_empty() {
            out.push_str(&format!("```\n{}\n```\n\n", e.command));
        }
        for (k, v) in &e.params {
            out.push_str(&format!("- `{k} = {v}`\n"));
        }
        if let Some(err) = &e.error {
            out.push_str(&format!("\n**Failed:** {err}\n"));
        }
        if let Some(cols) = &e.columns {
            out.push_str(&format!("\n| {} |\n|{}|\n", cols.join(" | "), cols.iter().map(|_| "---").collect::<Vec<_>>().join("|")));
            for r in e.rows.iter().flatten() {
                out.push_str(&format!("| {} |\n", r.iter().map(|v| v.replace('|', "\\\\|")).collect::<Vec<_>>().join(" | ")));
            }
        }
        if let Some(summary) = e.summary.as_ref().filter(|s| !s.is_empty()) {
            out.push_str(&format!("\n{summary}\n"));
        }
        for c in e.checks.iter().flatten() {
            let level = serde_json::to_value(c.level).map(|l| text(&l)).unwrap_or_default();
            out.push_str(&format!("- check {level}: {} = {}\n", c.name, c.actual));
        }
        out.push('\n');
    }
    out
}

pub fn html(events: &[Line]) -> Result<String, String> {
    let mut env = minijinja::Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.add_template("transcript.html", include_str!("../templates/transcript.html.j2")).map_err(|e| e.to_string())?;
    let tpl = env.get_template("transcript.html").map_err(|e| e.to_string())?;
    tpl.render(minijinja::value::Serde(timeline(events))).map_err(|e| e.to_string())
}
