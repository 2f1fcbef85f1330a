//! `runbook graph` outputs: the JSON contract (see docs/format.md), Graphviz dot and Mermaid.

use crate::Compiled;
use crate::diagnostic::Severity;
use crate::model::{Capture, Check, ConfirmKind, Connection, Edge, EntryPoint, Environment, HttpRequest, Parameter, Secret};
use crate::model::{EdgeKind, Risk, StepKind};
use serde::Serialize;

/// Version of the JSON contract; bumped only on incompatible changes.
pub const GRAPH_JSON_VERSION: u32 = 1;

/// The graph as the JSON contract describes it, serialised straight from the model (no
/// intermediate `serde_json::Value` tree: a 5 MB runbook's graph is written, not copied).
#[derive(Serialize)]
pub struct GraphJson<'a> {
    version: u32,
    file: &'a str,
    title: &'a str,
    entry_points: &'a [EntryPoint],
    steps: Vec<StepJson<'a>>,
    edges: &'a [Edge],
    /// What the operator supplies.
    parameters: Vec<&'a Parameter>,
    /// Values taken from an earlier step (`source: capture:NAME`): a declared parameter filled
    /// from a capture, or a shell variable an earlier step sets. Nobody is asked for them.
    variables: Vec<&'a Parameter>,
    connections: &'a [Connection],
    environments: &'a [Environment],
    secrets: &'a [Secret],
    diagnostics: Vec<DiagnosticJson<'a>>,
}

/// One step of the contract: the model's step without its spans and code maps.
#[derive(Serialize)]
struct StepJson<'a> {
    id: &'a str,
    kind: StepKind,
    risk: Risk,
    risk_reason: &'a Option<String>,
    title: &'a str,
    section: &'a str,
    problem: &'a Option<String>,
    line: usize,
    params: &'a [String],
    code: &'a str,
    lang: &'a Option<String>,
    target: &'a Option<String>,
    timeout_ms: Option<u64>,
    http: &'a Option<Box<HttpRequest>>,
    checks: &'a [Check],
    captures: &'a [Capture],
    confirm: &'a ConfirmKind,
    revert: &'a Option<String>,
    expected_output: &'a Option<String>,
    annotated: bool,
}

#[derive(Serialize)]
struct DiagnosticJson<'a> {
    severity: Severity,
    code: &'a str,
    message: &'a str,
    line: usize,
    col: usize,
    hint: &'a Option<String>,
}

fn is_captured(p: &Parameter) -> bool {
    p.source.as_deref().is_some_and(|s| s.starts_with("capture:"))
}

pub fn to_json(c: &Compiled) -> GraphJson<'_> {
    let g = &c.graph;
    let diagnostics = c
        .diagnostics
        .iter()
        .map(|d| {
            let at = c.source.line_col(d.span.start);
            DiagnosticJson { severity: d.severity, code: d.code, message: &d.message, line: at.line, col: at.col, hint: &d.hint }
        })
        .collect();
    let steps = g
        .steps
        .iter()
        .map(|s| StepJson {
            id: &s.id,
            kind: s.kind,
            risk: s.risk,
            risk_reason: &s.risk_reason,
            title: &s.title,
            section: &s.section,
            problem: &s.problem,
            line: s.line,
            params: &s.params,
            code: &s.code,
            lang: &s.lang,
            target: &s.target,
            timeout_ms: s.timeout_ms,
            http: &s.http,
            checks: &s.checks,
            captures: &s.captures,
            confirm: &s.confirm,
            revert: &s.revert,
            expected_output: &s.expected_output,
            annotated: s.annotated,
        })
        .collect();
    GraphJson {
        version: GRAPH_JSON_VERSION,
        file: &c.source.name,
        title: &g.title,
        entry_points: &g.entry_points,
        steps,
        edges: &g.edges,
        parameters: g.parameters.iter().filter(|p| !is_captured(p)).collect(),
        variables: g.parameters.iter().filter(|p| is_captured(p)).collect(),
        connections: &g.connections,
        environments: &g.environments,
        secrets: &g.secrets,
        diagnostics,
    }
}

fn shape(kind: StepKind) -> &'static str {
    match kind {
        StepKind::Decision => "diamond",
        StepKind::Manual => "note",
        _ => "box",
    }
}

fn color(risk: Risk) -> &'static str {
    match risk {
        Risk::Read => "#2e7d32",
        Risk::Write => "#ef6c00",
        Risk::Destructive => "#c62828",
    }
}

fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

pub fn to_dot(c: &Compiled) -> String {
    let g = &c.graph;
    let mut out = String::new();
    out.push_str(&format!("digraph \"{}\" {{\n  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=10];\n", dot_escape(&g.title)));
    for e in &g.entry_points {
        let sev = e.severity.as_deref().map(|s| format!(" [{s}]")).unwrap_or_default();
        out.push_str(&format!(
            "  \"entry:{}\" [label=\"{}{}\", shape=oval, style=filled, fillcolor=\"#e3f2fd\"];\n",
            dot_escape(&e.id),
            dot_escape(&e.title),
            dot_escape(&sev)
        ));
        if let Some(first) = &e.first_step {
            out.push_str(&format!("  \"entry:{}\" -> \"{}\";\n", dot_escape(&e.id), dot_escape(first)));
        }
    }
    for s in &g.steps {
        out.push_str(&format!(
            "  \"{}\" [label=\"{}\\n{} · {}\", shape={}, color=\"{}\"];\n",
            dot_escape(&s.id),
            dot_escape(&s.id),
            s.kind.as_str(),
            s.risk.as_str(),
            shape(s.kind),
            color(s.risk)
        ));
    }
    let mut has_end = false;
    for e in &g.edges {
        let to = e.to.clone().unwrap_or_else(|| {
            has_end = true;
            "end".into()
        });
        let mut attrs = Vec::new();
        if let Some(l) = &e.label {
            attrs.push(format!("label=\"{}\"", dot_escape(l)));
        }
        if e.kind == EdgeKind::Branch && e.when.is_none() {
            attrs.push("style=dashed".into());
        }
        let attrs = if attrs.is_empty() { String::new() } else { format!(" [{}]", attrs.join(", ")) };
        out.push_str(&format!("  \"{}\" -> \"{}\"{};\n", dot_escape(&e.from), dot_escape(&to), attrs));
    }
    if has_end {
        out.push_str("  \"end\" [shape=doublecircle, label=\"end\"];\n");
    }
    out.push_str("}\n");
    out
}

/// Mermaid node ids must be simple; step ids may hold any character.
fn mermaid_id(prefix: &str, i: usize) -> String {
    format!("{prefix}{i}")
}

fn mermaid_text(s: &str) -> String {
    s.replace('"', "#quot;").replace('\n', " ")
}

pub fn to_mermaid(c: &Compiled) -> String {
    let g = &c.graph;
    let mut out = String::from("flowchart TD\n");
    for (i, e) in g.entry_points.iter().enumerate() {
        let sev = e.severity.as_deref().map(|s| format!(" [{s}]")).unwrap_or_default();
        out.push_str(&format!("  {}([\"{}{}\"])\n", mermaid_id("e", i), mermaid_text(&e.title), mermaid_text(&sev)));
    }
    let index: std::collections::HashMap<&str, usize> = g.steps.iter().enumerate().map(|(i, s)| (s.id.as_str(), i)).collect();
    for (i, s) in g.steps.iter().enumerate() {
        let label = format!("{}<br/>{} · {}", mermaid_text(&s.id), s.kind.as_str(), s.risk.as_str());
        let node = match s.kind {
            StepKind::Decision => format!("{}{{\"{}\"}}", mermaid_id("s", i), label),
            _ => format!("{}[\"{}\"]", mermaid_id("s", i), label),
        };
        out.push_str(&format!("  {node}\n"));
    }
    for (i, e) in g.entry_points.iter().enumerate() {
        if let Some(&t) = e.first_step.as_deref().and_then(|f| index.get(f)) {
            out.push_str(&format!("  {} --> {}\n", mermaid_id("e", i), mermaid_id("s", t)));
        }
    }
    let mut has_end = false;
    for e in &g.edges {
        let Some(&from) = index.get(e.from.as_str()) else {
            continue;
        };
        let to = match e.to.as_deref().and_then(|t| index.get(t)) {
            Some(&t) => mermaid_id("s", t),
            None => {
                has_end = true;
                "done".into()
            }
        };
        let arrow = if e.kind == EdgeKind::Branch && e.when.is_none() { "-.->" } else { "-->" };
        match &e.label {
            Some(l) => out.push_str(&format!("  {} {arrow}|\"{}\"| {to}\n", mermaid_id("s", from), mermaid_text(l))),
            None => out.push_str(&format!("  {} {arrow} {to}\n", mermaid_id("s", from))),
        }
    }
    if has_end {
        out.push_str("  done((end))\n");
    }
    for (class, risk) in [("read", Risk::Read), ("write", Risk::Write), ("destructive", Risk::Destructive)] {
        let members: Vec<String> = g.steps.iter().enumerate().filter(|(_, s)| s.risk == risk).map(|(i, _)| mermaid_id("s", i)).collect();
        if !members.is_empty() {
            out.push_str(&format!("  classDef {class} stroke:{},stroke-width:2px\n  class {} {class}\n", color(risk), members.join(",")));
        }
    }
    out
}
