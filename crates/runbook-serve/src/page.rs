//! The two pages: the index of sessions and a session's live page (graph, path taken,
//! timeline), rendered whole on load so they work without JavaScript.

use crate::fragment;
use crate::sessions::Summary;
use crate::summary::{path_taken, summarize};
use crate::templates;
use runbook_engine::journal::{JournalEvent, Line, Timestamp};
use runbook_html::svg;
use serde_json::json;
use std::time::Duration;

/// `42 s`, `5 min`, `3 h`, `2 d`.
pub fn age(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        3600..86_400 => format!("{} h", s / 3600),
        _ => format!("{} d", s / 86_400),
    }
}

pub fn index(mut sessions: Vec<Summary>, store: &str) -> Result<String, minijinja::Error> {
    sessions.sort_by(|a, b| b.started.cmp(&a.started).then_with(|| b.id.cmp(&a.id)));
    let now = Timestamp::now();
    let rows: Vec<serde_json::Value> = sessions
        .iter()
        .map(|s| {
            let mut row = serde_json::to_value(s).unwrap_or_default();
            row["age"] = json!(s.updated.map(|t| age(t.age(now))).unwrap_or_default());
            row["updated_at"] = json!(s.updated.map(|t| t.to_string()).unwrap_or_default());
            row
        })
        .collect();
    templates::render("index.html.j2", json!({"sessions": rows, "store": store}))
}

/// The graph with the steps of `taken` marked (`data-taken`), the last one as the current one.
fn graph_with_path(runbook: &str, name: &str, taken: &[String]) -> String {
    let compiled = runbook_core::compile(runbook_core::Source::new(name, runbook));
    let mut picture = svg::render(&compiled.graph);
    for (i, step) in taken.iter().enumerate() {
        let node = format!("data-step=\"{}\">", svg::escape(step));
        let current = if i + 1 == taken.len() { " data-current=\"\"" } else { "" };
        picture = picture.replacen(&node, &format!("data-step=\"{}\" data-taken=\"\"{current}>", svg::escape(step)), 1);
    }
    picture
}

/// A session's page from its events and, when it can still be read, its runbook.
pub fn session(id: &str, lines: &[Line], runbook: Option<&str>) -> Result<String, minijinja::Error> {
    let summary = summarize(id, lines);
    let header = lines.iter().find_map(|l| match &l.event {
        JournalEvent::Session(h) => Some(h),
        _ => None,
    });
    let mut drivers: Vec<&str> = Vec::new();
    for l in lines {
        match &l.event {
            JournalEvent::Session(h) => drivers.push(&h.operator),
            JournalEvent::Resumed { operator, .. } => drivers.push(operator),
            _ => {}
        }
    }
    drivers.dedup();
    let handovers: Vec<&str> = drivers.iter().rev().skip(1).rev().copied().collect();
    let name = header.map(|h| h.runbook.as_str()).unwrap_or("runbook.md");
    let svg = runbook.map(|text| graph_with_path(text, name, &path_taken(lines)));
    let fragments: Vec<String> = lines.iter().map(|l| fragment::render(l).html).collect();
    let title = if summary.runbook.is_empty() { format!("Session {id}") } else { summary.runbook.clone() };
    templates::render(
        "session.html.j2",
        json!({
            "id": id,
            "title": title,
            "entry": summary.entry,
            "state": summary.state,
            "driver": summary.driver,
            "handovers": handovers,
            "started": summary.started.map(|t| t.to_string()).unwrap_or_default(),
            "svg": svg,
            "no_graph": "The runbook this session ran cannot be read here, so its graph is not drawn.",
            "fragments": fragments,
            "last_seq": lines.last().map_or(0, |l| l.seq),
        }),
    )
}
