//! Graph building: the document's blocks and annotations become steps, problems become entry
//! points, and sequence and branch edges connect them. Annotations override inference.
//!
//! The stages, in the order `build` runs them, each in the file named after what it produces:
//! `annotate` (front matter, `yaml step` blocks), `walk` (the document in order: a block's
//! steps, from `drafts`, `blocks` and `commands`), `list_items` and `prose_steps` (steps told
//! in lists and prose, commands in them read by `inline_commands`), then `assemble` (ids,
//! entry points with their `severity`, decisions from `crate::infer`, edges).

use crate::annotation::{self, Confirm, FrontMatter, StepAnnotation, StepKindSpec};
use crate::diagnostic::{Diagnostic, Finding, did_you_mean};
use crate::document::item_lead_text;
use crate::document::{CodeBlock, Document, ListContext, NodeKind};
pub(crate) use crate::draft::{Annotated, Draft, YamlOrigin};

mod annotate;
mod assemble;
mod blocks;
mod commands;
mod drafts;
mod inline_commands;
mod list_items;
mod prose_steps;
mod severity;
mod walk;

use crate::infer;
use crate::model::*;
use crate::outline::{Outline, is_cause_container, is_step_heading};
use crate::placeholder::{self, CodeKind};
use crate::prose;
use crate::risk::{self, Classified};
use crate::shell;
use crate::source::{Source, Span};
use annotate::*;
pub use assemble::neutralize;
use assemble::*;
use blocks::*;
use commands::*;
pub(crate) use commands::{is_known_command, looks_like_sql};
use inline_commands::*;
use prose_steps::*;
use serde_saphyr::Spanned;
use severity::*;
use std::collections::{HashMap, HashSet};

const SQL_LANGS: &[&str] = &["sql", "psql", "postgres", "postgresql", "pgsql", "plpgsql", "sqlite", "sqlite3", "mysql", "tsql", "plsql"];
const SHELL_LANGS: &[&str] = &[
    "bash",
    "sh",
    "shell",
    "console",
    "zsh",
    "shell-session",
    "shellsession",
    "terminal",
    "ksh",
    "fish",
    "cli",
    "bash-session",
    "sh-session",
    "cmd",
    "powershell",
    "pwsh",
    "ps1",
    "bat",
];
/// A fence label of code `runbook` may run: SQL or a shell.
pub(crate) fn is_runnable_lang(lang: &str) -> bool {
    SQL_LANGS.contains(&lang) || SHELL_LANGS.contains(&lang)
}

/// Names that say they hold a secret are secrets without any annotation.
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    // `PASS` covers PASSWORD, PASSWD, DB_PASS; `PWD` alone is the working directory.
    n != "PWD"
        && ["TOKEN", "PASS", "PWD", "SECRET", "KEY", "CREDENTIAL", "AUTH", "COOKIE", "BEARER", "PRIVATE", "SESSION"]
            .iter()
            .any(|w| n.contains(w))
}

/// Labels that say "this is output or text, not something to run".
const TEXT_LANGS: &[&str] = &["text", "txt", "plaintext", "plain", "output", "log", "none"];

pub fn build(source: &Source, doc: &Document, outline: &Outline, diags: &mut Vec<Diagnostic>) -> Graph {
    let mut b = Builder {
        source,
        doc,
        diags,
        front: FrontMatter::default(),
        drafts: Vec::new(),
        expressions: minijinja::Environment::new(),
        problems: outline.problems(),
    };
    b.front_matter();
    // Blocks and annotations first; the steps told in lists and prose fill in around them.
    b.walk();
    let roles = node_roles(b.source, b.doc, &b.problems);
    b.list_item_steps(&roles);
    b.prose_only_sections();
    b.prose_paragraph_steps(&roles);
    for d in &mut b.drafts {
        d.role = roles.get(d.node).copied().flatten();
    }
    b.finish()
}

struct Builder<'a> {
    source: &'a Source,
    doc: &'a Document,
    diags: &'a mut Vec<Diagnostic>,
    front: FrontMatter,
    drafts: Vec<Draft>,
    expressions: minijinja::Environment<'static>,
    /// For each heading, the heading of the problem it belongs to (from the outline).
    problems: Vec<Option<usize>>,
}

impl Builder<'_> {
    #[allow(clippy::too_many_arguments)]
    fn draft(
        &self,
        kind: StepKind,
        code: String,
        code_map: Vec<(usize, usize)>,
        lang: Option<String>,
        span: Span,
        section: Option<usize>,
        list: ListContext,
        node: usize,
    ) -> Draft {
        let placeholders = match kind {
            StepKind::Sql => placeholder::find(&code, CodeKind::Sql, &[]),
            StepKind::Shell | StepKind::Http => placeholder::find(&code, CodeKind::Shell, &[]),
            _ => Vec::new(),
        };
        let http = (kind == StepKind::Http).then(|| shell::parse_curl(&code)).flatten().map(Box::new);
        let risk = match (&http, kind) {
            // A line bash runs (`curl -o file …`) is as risky as its method and what else it does.
            (Some(h), _) if h.shell_reason.is_some() => {
                let (a, b) = (risk::classify_http(&h.method, &h.url), risk::classify_shell(&code));
                if b.risk > a.risk { b } else { a }
            }
            (Some(h), _) => risk::classify_http(&h.method, &h.url),
            // sqlparser cannot read `<table>` or `:var`: classify with stand-ins.
            (None, StepKind::Sql) if !placeholders.is_empty() => risk::classify_sql(&neutralize(&code, &placeholders)),
            _ => classify(kind, &code),
        };
        Draft {
            placeholders,
            kind,
            risk,
            code,
            code_map,
            lang,
            span,
            section,
            list,
            title: String::new(),
            expected_output: None,
            http,
            annotation: None,
            condition: None,
            node,
            role: None,
            opens_session: None,
        }
    }

    /// A step for inline code at `at` in `text` (source offset `start`): the command as
    /// written, or for an SQL function the text tells to use, the query that calls it.
    #[allow(clippy::too_many_arguments)]
    fn inline_draft(
        &self,
        text: &str,
        at: usize,
        code: &str,
        start: usize,
        span: Span,
        section: Option<usize>,
        list: ListContext,
        node: usize,
    ) -> Draft {
        // Markdown reads a line break in a code span as a space (same length: the map holds).
        let code = &code.replace('\n', " ");
        match sql_call(text, at, code) {
            Some((query, lead)) => self.draft(StepKind::Sql, query, vec![(lead, start)], None, span, section, list, node),
            None => self.draft(inline_kind(code), code.to_owned(), vec![(0, start)], None, span, section, list, node),
        }
    }
}

/// A paragraph that is only bold text: `**Diagnosis**`, `**Resolution:**`.
fn is_bold_only(paragraph: &str) -> bool {
    let t = paragraph.trim().trim_end_matches(':');
    (t.starts_with("**") && t.ends_with("**") && t[2..t.len().saturating_sub(2)].find("**").is_none() && t.len() > 4)
        || (t.starts_with("__") && t.ends_with("__") && t.len() > 4)
}

/// A field of an alert card: lower-case name, value, and the list item's node.
type Field = (String, String, usize);

/// `*Message*: …`, `**Severity:** critical`, `Runbook: [Link](https://…)`: a field of an alert
/// card, as (lower-case name, plain value; a link's address where the value is a link).
fn field_item(text: &str) -> Option<(String, String)> {
    let t = text.trim_start_matches(['*', '_', ' ']);
    let colon = t.find(':')?;
    let name = t[..colon].trim_end_matches(['*', '_', ' ']).trim().to_ascii_lowercase();
    if !matches!(
        name.as_str(),
        "message" | "summary" | "description" | "severity" | "action" | "runbook" | "runbook url" | "dashboard" | "impact" | "meaning"
    ) {
        return None;
    }
    let raw = t[colon + 1..].trim_start_matches(['*', '_', ' ']).trim();
    // `[Link](https://…)`: the address is the value.
    let link = raw.find("](").and_then(|i| raw[i + 2..].split_once(')')).map(|(url, _)| url.to_owned());
    let value = match link {
        Some(url) if prose::plain_text(raw).len() < 12 => url,
        _ => prose::plain_text(raw),
    };
    (!value.is_empty()).then_some((name, value))
}

/// "Or …" between two steps: `before` becomes the first alternative (unless it already is one:
/// a third "Alternatively" joins them) and the returned condition labels the one whose code is
/// `code`; a bare "or" (`sentence` empty) says nothing, so the command labels it.
fn alternatives(before: &mut Draft, code: &str, sentence: String) -> String {
    if before.condition.is_none() {
        let label = if before.title.is_empty() { before.code.lines().next().unwrap_or("").to_owned() } else { before.title.clone() };
        before.condition = Some(format!("Either: {label}"));
    }
    if sentence.is_empty() { format!("Or: {}", code.lines().next().unwrap_or("")) } else { sentence }
}

/// A manual step's text as the author wrote it (`` `restart_lsn` ``, `[a new silence](…)`,
/// `**new**`): what the operator reads, links included; lines trimmed.
fn as_written(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    for line in md.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if !out.is_empty() {
            out.push('\n');
        }
        // A line break written as HTML (`**Label**<br />`) is one.
        let mut rest = line;
        while let Some(at) = rest.find("<br") {
            let end = rest[at..].find('>').map_or(rest.len(), |e| at + e + 1);
            out.push_str(rest[..at].trim_end());
            out.push('\n');
            rest = rest[end..].trim_start();
        }
        out.push_str(rest);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn manual_steps_keep_the_authors_markdown() {
        assert_eq!(
            super::as_written("**Raise the limit**<br />  Set `max_series`\n  in [the config](x)."),
            "**Raise the limit**\nSet `max_series`\nin [the config](x)."
        );
    }
}
