//! The two pages: the index of sessions and a session's live page (graph, path taken,
//! timeline), rendered whole on load so they work without JavaScript.

use crate::fragment;
use crate::summary::{drivers, entry, path_taken};
use crate::templates;
use runbook_engine::journal::{Line, Timestamp};
use runbook_engine::store::SessionSummary;
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

/// The runbook's title, else its file name.
fn runbook_name(s: &SessionSummary) -> String {
    s.runbook_title
        .clone()
        .filter(|t| !t.is_empty())
        .or_else(|| s.runbook.as_deref().and_then(|p| std::path::Path::new(p).file_name()).map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default()
}

pub fn index(mut sessions: Vec<SessionSummary>, store: &str) -> Result<String, minijinja::Error> {
    sessions.sort_by(|a, b| b.started.cmp(&a.started).then_with(|| b.id.cmp(&a.id)));
    let now = Timestamp::now();
    let rows: Vec<serde_json::Value> = sessions
        .iter()
        .map(|s| {
            json!({
                "id": s.id,
                "state": s.state.label(),
                "runbook": runbook_name(s),
                "entry": s.entry,
                "driver": s.driver.as_ref().map(|d| d.holder.clone()),
                "last_step": s.last_step,
                "age": s.updated.map(|t| age(t.age(now))).unwrap_or_default(),
                "updated_at": s.updated.map(|t| t.to_string()).unwrap_or_default(),
            })
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

/// A session's page from its events, its summary in the store and, when it was kept, its
/// runbook.
pub fn session(summary: &SessionSummary, lines: &[Line], runbook: Option<&str>) -> Result<String, minijinja::Error> {
    let drivers = drivers(lines);
    let (title, entry) = entry(lines);
    // The live lease names who drives now; without one, whoever drove last.
    let driver = summary.driver.as_ref().map(|d| d.holder.clone()).or_else(|| drivers.last().cloned()).unwrap_or_default();
    let handovers: Vec<&String> = drivers.iter().filter(|d| **d != driver).collect();
    let name = summary.runbook.as_deref().unwrap_or("runbook.md");
    let svg = runbook.map(|text| graph_with_path(text, name, &path_taken(lines)));
    let fragments: Vec<String> = lines.iter().map(|l| fragment::render(l).html).collect();
    let title = title.filter(|t| !t.is_empty()).unwrap_or_else(|| {
        let name = runbook_name(summary);
        if name.is_empty() { format!("Session {}", summary.id) } else { name }
    });
    templates::render(
        "session.html.j2",
        json!({
            "id": summary.id,
            "title": title,
            "entry": entry,
            "state": summary.state.label(),
            "driver": driver,
            "handovers": handovers,
            "started": summary.started.map(|t| t.to_string()).unwrap_or_default(),
            "svg": svg,
            "no_graph": "The store did not keep the runbook this session ran, so its graph is not drawn.",
            "fragments": fragments,
            "last_seq": lines.last().map_or(0, |l| l.seq),
        }),
    )
}
