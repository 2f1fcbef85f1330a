//! One journal line as an HTML fragment of the session's timeline: the page renders every line
//! with it on load, and the event stream sends the same fragment for each new line, so a page
//! followed live and the page reloaded later are the same page. All text goes through the
//! template's HTML escaping: step output and runbook text are untrusted.

use crate::templates;
use runbook_engine::journal::{JournalEvent, Line, OutcomeSummary, ResultSummary};
use serde::Serialize;
use serde_json::{Value, json};

/// A rendered line and what it changes on the page besides the timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fragment {
    pub seq: u64,
    pub html: String,
    /// The step this line is about: its node in the graph joins the path taken.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// The session's new state (an `end`, a resume).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Who drives from this line on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
}

/// A fragment as the event stream sends it, encoded once: a line goes to every follower of its
/// session.
#[derive(Debug)]
pub struct Encoded {
    pub seq: u64,
    /// The fragment's JSON.
    pub data: String,
}

impl From<&Fragment> for Encoded {
    fn from(f: &Fragment) -> Encoded {
        Encoded { seq: f.seq, data: serde_json::to_string(f).unwrap_or_default() }
    }
}

/// A JSON value as a table cell or a capture shows it: strings bare, the rest as JSON.
fn cell(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// What the template needs beyond the event itself: rows in column order, bodies as text.
fn extras(event: &JournalEvent) -> Value {
    let JournalEvent::StepResult(r) = event else {
        return json!({});
    };
    let checks: Vec<Value> =
        r.checks.iter().map(|c| json!({"name": c.name, "level": c.level, "actual": cell(&c.actual), "expected": c.expected})).collect();
    let captures: Vec<(String, String)> = r.captures.iter().map(|(k, v)| (k.clone(), cell(v))).collect();
    let mut x = json!({"failed": !r.ok, "checks": checks, "captures": captures});
    match &r.result {
        ResultSummary::Done(OutcomeSummary::Sql { columns, rows, .. }) => {
            let rows: Vec<Vec<String>> =
                rows.iter().map(|row| columns.iter().map(|c| row.get(c).map(cell).unwrap_or_default()).collect()).collect();
            x["rows"] = json!(rows);
        }
        ResultSummary::Done(OutcomeSummary::Http { status, json: body_json, body_excerpt, filtered, .. }) => {
            x["status_class"] = json!(format!("{}xx", status / 100));
            x["body"] = json!(body_json.as_ref().map_or_else(|| body_excerpt.clone(), pretty));
            x["filtered"] = json!(filtered.as_ref().map(pretty));
        }
        _ => {}
    }
    x
}

/// Renders one line.
pub fn render(line: &Line) -> Fragment {
    let event = serde_json::to_value(&line.event).unwrap_or(Value::Null);
    let step = line.event.step().map(str::to_owned);
    let mut ctx = extras(&line.event);
    ctx["e"] = event;
    ctx["seq"] = json!(line.seq);
    ctx["ts"] = json!(line.ts.to_string());
    ctx["time"] = json!(line.ts.time_of_day());
    ctx["step"] = json!(step);
    let html = templates::render("event.html.j2", ctx).unwrap_or_else(|e| {
        tracing::error!("event {} does not render: {e}", line.seq);
        format!("<li class=\"event\" id=\"event-{0}\" data-seq=\"{0}\"><p>event {0}</p></li>", line.seq)
    });
    let (state, driver) = match &line.event {
        JournalEvent::End { status, .. } => (Some(status.as_str().to_owned()), None),
        JournalEvent::Resumed { operator, .. } => (Some("running".to_owned()), Some(operator.clone())),
        JournalEvent::Session(h) => (Some("running".to_owned()), Some(h.operator.clone())),
        JournalEvent::TakeOver { to, .. } => (Some("running".to_owned()), Some(to.split(" (pid ").next().unwrap_or(to).to_owned())),
        _ => (None, None),
    };
    Fragment { seq: line.seq, html, step, state, driver }
}

#[cfg(test)]
#[path = "fragment_tests.rs"]
mod tests;
