//! `runbook-html`: runbooks (and session transcripts) as a static site. Prose is rendered by
//! pulldown-cmark; every step gets a card next to the block it came from; the step graph is
//! inline SVG ([`svg`]). Templates are files under `templates/`, compiled in.

mod sanitize;
pub mod svg;

use minijinja::Environment;
use pulldown_cmark::{CodeBlockKind, Event, Tag, TagEnd};
use runbook_core::Compiled;
use runbook_core::model::{Capture, Check, ConfirmKind, Parameter, Step};
use runbook_core::{Edge, Graph};
use serde_json::json;
use std::collections::HashMap;

const STYLE: &str = include_str!("../templates/style.css");

/// The templates, compiled once per process: compiling them for every page was a twentieth
/// of the time of rendering a folder.
fn environment() -> &'static Environment<'static> {
    static ENV: std::sync::OnceLock<Environment<'static>> = std::sync::OnceLock::new();
    ENV.get_or_init(compiled_templates)
}

fn compiled_templates() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    let templates: [(&str, &str); 4] = [
        ("base.html.j2", include_str!("../templates/base.html.j2")),
        ("runbook.html.j2", include_str!("../templates/runbook.html.j2")),
        ("index.html.j2", include_str!("../templates/index.html.j2")),
        ("card.html.j2", include_str!("../templates/card.html.j2")),
    ];
    for (name, src) in templates {
        // The templates ship with the binary; a broken one is a bug the tests catch.
        if let Err(e) = env.add_template(name, src) {
            panic!("template {name} does not compile: {e}");
        }
    }
    env
}

/// One runbook's page.
pub struct Page {
    pub file_name: String,
    pub html: String,
}

/// What the index lists for a runbook.
#[derive(serde::Serialize)]
pub struct Listing {
    pub file_name: String,
    pub title: String,
    pub problems: Vec<(String, String, Option<String>)>,
    pub steps: usize,
    pub errors: usize,
}

/// Edges by the step they leave and parameters by name, looked up once per card: scanning
/// every edge for every step made a page quadratic in the size of its runbook.
pub struct Lookup<'a> {
    edges_from: HashMap<&'a str, Vec<&'a Edge>>,
    parameters: HashMap<&'a str, &'a Parameter>,
}

impl<'a> Lookup<'a> {
    pub fn new(g: &'a Graph) -> Self {
        let mut edges_from: HashMap<&str, Vec<&Edge>> = HashMap::new();
        for e in &g.edges {
            edges_from.entry(e.from.as_str()).or_default().push(e);
        }
        // The first of a name wins, as `Graph::parameter` finds it.
        let mut parameters = HashMap::new();
        for p in &g.parameters {
            parameters.entry(p.name.as_str()).or_insert(p);
        }
        Lookup { edges_from, parameters }
    }
}

/// What a step's card shows, serialised straight into the template (a `serde_json::Value` map
/// per card, built and then converted, was most of a card's time).
#[derive(serde::Serialize)]
struct Card<'a> {
    id: &'a str,
    kind: &'static str,
    risk: &'static str,
    risk_reason: &'a Option<String>,
    title: &'a str,
    target: &'a Option<String>,
    timeout_ms: Option<u64>,
    params: Vec<CardParam<'a>>,
    checks: &'a [Check],
    captures: &'a [Capture],
    branches: Vec<CardBranch<'a>>,
    confirm: Option<String>,
    revert: &'a Option<String>,
    line: usize,
    annotated: bool,
    http: Option<String>,
}

#[derive(serde::Serialize)]
struct CardParam<'a> {
    name: &'a str,
    prompt: Option<&'a str>,
    secret: bool,
    pattern: Option<&'a str>,
}

#[derive(serde::Serialize)]
struct CardBranch<'a> {
    label: &'a Option<String>,
    to: &'a Option<String>,
    when: &'a Option<String>,
    judgement: &'a Option<String>,
    branch: bool,
}

fn card<'a>(step: &'a Step, lookup: &Lookup<'a>) -> Card<'a> {
    let branches = lookup
        .edges_from
        .get(step.id.as_str())
        .into_iter()
        .flatten()
        .map(|e| CardBranch {
            label: &e.label,
            to: &e.to,
            when: &e.when,
            judgement: &e.judgement,
            branch: e.kind == runbook_core::EdgeKind::Branch,
        })
        .collect();
    let params = step
        .params
        .iter()
        .map(|p| {
            let spec = lookup.parameters.get(p.as_str()).copied();
            CardParam {
                name: p,
                prompt: spec.and_then(|s| s.prompt.as_deref()),
                secret: spec.is_some_and(|s| s.secret),
                pattern: spec.and_then(|s| s.pattern.as_deref()),
            }
        })
        .collect();
    let confirm = match &step.confirm {
        ConfirmKind::None => None,
        ConfirmKind::Yes => Some("asks yes/no".to_owned()),
        ConfirmKind::Word { word } => Some(format!("type {word}")),
    };
    Card {
        id: &step.id,
        kind: step.kind.as_str(),
        risk: step.risk.as_str(),
        risk_reason: &step.risk_reason,
        title: &step.title,
        target: &step.target,
        timeout_ms: step.timeout_ms,
        params,
        checks: &step.checks,
        captures: &step.captures,
        branches,
        confirm,
        revert: &step.revert,
        line: step.line,
        annotated: step.annotated,
        http: step.http.as_ref().map(|h| format!("{} {}", h.method, h.url)),
    }
}

/// Where the front matter ends (the prose starts), if there is front matter.
fn doc_front(compiled: &Compiled) -> Option<usize> {
    let text = &compiled.source.text;
    let rest = text.strip_prefix("---")?;
    rest.find("\n---").map(|i| (i + 3 + 4).min(text.len()))
}

/// The prose with step cards after the blocks they came from, and anchors on headings.
/// Where a step card goes in the prose while the prose is sanitised: the cards are our own
/// escaped markup, and most of a page's bytes when it has many steps, so they skip the
/// sanitiser and are put back in its output. A private-use character no runbook needs; the
/// author's own are replaced by U+FFFD (the same length in UTF-8, so spans still fit).
const CARD_SLOT: char = '\u{E000}';

fn body(compiled: &Compiled, env: &Environment<'_>) -> String {
    let text: &str = &compiled.source.text;
    let cleaned;
    let text = if text.contains(CARD_SLOT) {
        cleaned = text.replace(CARD_SLOT, "\u{FFFD}");
        cleaned.as_str()
    } else {
        text
    };
    // Front matter is metadata, not prose.
    let start = match (&doc_front(compiled), text.strip_prefix("---")) {
        (Some(end), Some(_)) => *end,
        _ => 0,
    };
    let g = &compiled.graph;
    let mut steps_by_pos: Vec<(usize, &Step)> = g.steps.iter().map(|s| (s.span.start, s)).collect();
    steps_by_pos.sort_by_key(|(p, _)| *p);
    let card_template = env.get_template("card.html.j2").ok();
    let lookup = Lookup::new(g);
    let render_card =
        |s: &Step| card_template.as_ref().and_then(|t| t.render(minijinja::value::Serde(card(s, &lookup))).ok()).unwrap_or_default();
    // Entry points by the heading they start at, for the heading anchors.
    let entry_at: HashMap<usize, &runbook_core::EntryPoint> = g.entry_points.iter().rev().map(|e| (e.span.start, e)).collect();
    let mut out = String::with_capacity(text.len() * 2);
    let mut pending: Vec<Event> = Vec::new();
    let mut next_step = 0;
    let mut heading_ix = 0;
    let mut in_annotation = false;
    let parser = pulldown_cmark::Parser::new_ext(&text[start..], runbook_core::document::markdown_options()).into_offset_iter();
    // The headings the compile found, in order (their anchors), not a second parse.
    let headings = &compiled.headings;
    let flush_cards_before = |pos: usize, next_step: &mut usize, out: &mut String| {
        while *next_step < steps_by_pos.len() && steps_by_pos[*next_step].0 < pos {
            out.push(CARD_SLOT);
            *next_step += 1;
        }
    };
    for (event, range) in parser {
        let range = (range.start + start)..(range.end + start);
        match &event {
            Event::Start(Tag::Heading { .. }) => {
                // Cards of the previous section go before the next heading.
                flush_cards_before(range.start, &mut next_step, &mut out);
                pending.push(event);
            }
            Event::End(TagEnd::Heading(level)) => {
                let anchor = headings.get(heading_ix).map(|h| h.anchor.clone()).unwrap_or_default();
                heading_ix += 1;
                let entry = headings.get(heading_ix - 1).and_then(|h| entry_at.get(&h.span.start));
                let mut inner = String::new();
                pulldown_cmark::html::push_html(&mut inner, pending.drain(1..));
                pending.clear();
                let n = *level as usize;
                let id_attr = match entry {
                    Some(e) => format!(r#" id="{}"><a id="entry-{}"></a"#, svg::escape(&anchor), svg::escape(&e.id)),
                    None => format!(r#" id="{}""#, svg::escape(&anchor)),
                };
                out.push_str(&format!("<h{n}{id_attr}>{inner}<a class=\"anchor\" href=\"#{}\">#</a></h{n}>\n", svg::escape(&anchor)));
            }
            _ if !pending.is_empty() => pending.push(event),
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info)))
                if info.split_whitespace().next().is_some_and(|w| w == "yaml" || w == "yml")
                    && info.split_whitespace().any(|w| w == "step") =>
            {
                in_annotation = true;
                out.push_str("<details class=\"annotation\"><summary>step annotation</summary><pre><code class=\"language-yaml\">");
            }
            Event::End(TagEnd::CodeBlock) if in_annotation => {
                in_annotation = false;
                out.push_str("</code></pre></details>\n");
                flush_cards_before(range.end, &mut next_step, &mut out);
            }
            Event::Text(t) if in_annotation => out.push_str(&svg::escape(t)),
            Event::End(TagEnd::CodeBlock) => {
                pulldown_cmark::html::push_html(&mut out, std::iter::once(event.clone()));
                // An annotation right after the block may still follow: cards wait for it
                // unless the next thing is not an annotation (handled at the next flush).
                let rest = &text[range.end..];
                let next_is_annotation = rest.trim_start().starts_with("```yaml step") || rest.trim_start().starts_with("```yml step");
                if !next_is_annotation {
                    flush_cards_before(range.end, &mut next_step, &mut out);
                }
            }
            _ => pulldown_cmark::html::push_html(&mut out, std::iter::once(event.clone())),
        }
    }
    flush_cards_before(usize::MAX, &mut next_step, &mut out);
    let prose = sanitize::prose(&out);
    drop(out);
    // The k-th slot holds the k-th card; a card whose slot the sanitiser dropped (inside an
    // author's `<script>`) still appears, at the end.
    let mut page = String::with_capacity(prose.len() * 2);
    let mut cards = steps_by_pos.iter().map(|(_, s)| render_card(s));
    let mut pieces = prose.split(CARD_SLOT).peekable();
    while let Some(piece) = pieces.next() {
        page.push_str(piece);
        if pieces.peek().is_some()
            && let Some(card) = cards.next()
        {
            page.push_str(&card);
        }
    }
    cards.for_each(|card| page.push_str(&card));
    page
}

/// A page's context, serialised straight into the template.
#[derive(serde::Serialize)]
struct PageContext<'a> {
    title: &'a str,
    source: &'a str,
    style: &'static str,
    /// The two large parts, already template values: a `String` would be copied into one
    /// while the original stays alive until the page is written.
    svg: minijinja::Value,
    body: minijinja::Value,
    entries: Vec<PageEntry<'a>>,
    steps: usize,
    diagnostics: Vec<PageDiagnostic<'a>>,
}

#[derive(serde::Serialize)]
struct PageEntry<'a> {
    id: &'a str,
    title: &'a str,
    severity: &'a Option<String>,
    first: &'a Option<String>,
}

#[derive(serde::Serialize)]
struct PageDiagnostic<'a> {
    severity: runbook_core::Severity,
    message: &'a str,
    line: usize,
    col: usize,
}

pub fn runbook_page(compiled: &Compiled, file_name: &str, source_name: &str) -> Result<Page, String> {
    let mut html = Vec::new();
    write_runbook_page(compiled, source_name, &mut html)?;
    let html = String::from_utf8(html).map_err(|e| e.to_string())?;
    Ok(Page { file_name: file_name.to_owned(), html })
}

/// One runbook's page, written to `out` as the template produces it: the page of a large
/// runbook is several times its size and is not held whole a second time.
pub fn write_runbook_page(compiled: &Compiled, source_name: &str, out: impl std::io::Write) -> Result<(), String> {
    let env = environment();
    let g = &compiled.graph;
    let tpl = env.get_template("runbook.html.j2").map_err(|e| e.to_string())?;
    let entries =
        g.entry_points.iter().map(|e| PageEntry { id: &e.id, title: &e.title, severity: &e.severity, first: &e.first_step }).collect();
    let diagnostics = compiled
        .diagnostics
        .iter()
        .map(|d| {
            let at = compiled.source.line_col(d.span.start);
            PageDiagnostic { severity: d.severity, message: &d.message, line: at.line, col: at.col }
        })
        .collect();
    tpl.render_captured_to(
        minijinja::value::Serde(PageContext {
            title: &g.title,
            source: source_name,
            style: STYLE,
            svg: minijinja::Value::from_safe_string(svg::render(g)),
            body: minijinja::Value::from_safe_string(body(compiled, env)),
            entries,
            steps: g.steps.len(),
            diagnostics,
        }),
        out,
    )
    .map_err(|e| e.to_string())?;
    Ok(())
}

pub fn index_page(listings: &[Listing], transcripts: &[(String, String)]) -> Result<String, String> {
    let env = environment();
    let tpl = env.get_template("index.html.j2").map_err(|e| e.to_string())?;
    tpl.render(minijinja::value::Serde(json!({"style": STYLE, "runbooks": listings, "transcripts": transcripts})))
        .map_err(|e| e.to_string())
}

pub fn listing(compiled: &Compiled, file_name: &str) -> Listing {
    let g = &compiled.graph;
    Listing {
        file_name: file_name.to_owned(),
        title: g.title.clone(),
        problems: g.entry_points.iter().map(|e| (e.id.clone(), e.title.clone(), e.severity.clone())).collect(),
        steps: g.steps.len(),
        errors: compiled.diagnostics.iter().filter(|d| d.is_error()).count(),
    }
}

/// The stylesheet shared by runbook pages and transcripts.
pub fn style() -> &'static str {
    STYLE
}
