//! The step graph: what the interpreter walks, the renderer draws and `runbook graph` prints.
//! Field names here are the JSON contract documented in `docs/format.md`.

use crate::annotation::{Direction, Level};
use crate::source::Span;
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Serialize)]
pub struct Graph {
    pub title: String,
    pub entry_points: Vec<EntryPoint>,
    pub steps: Vec<Step>,
    pub edges: Vec<Edge>,
    pub parameters: Vec<Parameter>,
    pub connections: Vec<Connection>,
    pub environments: Vec<Environment>,
    pub secrets: Vec<Secret>,
}

impl Graph {
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    pub fn step_index(&self, id: &str) -> Option<usize> {
        self.steps.iter().position(|s| s.id == id)
    }

    pub fn outgoing<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Edge> + 'a {
        self.edges.iter().filter(move |e| e.from == id)
    }

    pub fn parameter(&self, name: &str) -> Option<&Parameter> {
        self.parameters.iter().find(|p| p.name == name)
    }
}

/// A problem (or procedure) the operator can start from.
#[derive(Debug, Clone, Serialize)]
pub struct EntryPoint {
    pub id: String,
    pub title: String,
    pub severity: Option<String>,
    pub line: usize,
    /// The first step walked from this entry point.
    pub first_step: Option<String>,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepKind {
    Sql,
    Http,
    Shell,
    Manual,
    Decision,
}

impl StepKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Sql => "sql",
            StepKind::Http => "http",
            StepKind::Shell => "shell",
            StepKind::Manual => "manual",
            StepKind::Decision => "decision",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    Read,
    Write,
    Destructive,
}

impl Risk {
    pub fn as_str(self) -> &'static str {
        match self {
            Risk::Read => "read",
            Risk::Write => "write",
            Risk::Destructive => "destructive",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub id: String,
    pub kind: StepKind,
    pub risk: Risk,
    /// Why the risk is what it is, e.g. `DELETE statement`.
    pub risk_reason: Option<String>,
    /// A one-line title: the annotation's `title`, else the sentence that introduces the step.
    pub title: String,
    /// The heading the step is under.
    pub section: String,
    pub section_anchor: String,
    /// The entry point (problem) the step belongs to.
    pub problem: Option<String>,
    pub line: usize,
    /// Names of the step's parameters, in order of first use.
    pub params: Vec<String>,
    pub code: String,
    pub lang: Option<String>,
    pub placeholders: Vec<Placeholder>,
    pub target: Option<String>,
    pub timeout_ms: Option<u64>,
    /// Boxed: most steps are not HTTP, and a step is one of tens of thousands in a large
    /// runbook (the request inline would add 208 bytes to every step).
    pub http: Option<Box<HttpRequest>>,
    pub checks: Vec<Check>,
    pub captures: Vec<Capture>,
    pub confirm: ConfirmKind,
    pub revert: Option<String>,
    /// Example output the author showed for this step.
    pub expected_output: Option<String>,
    /// A `yaml step` block described this step (nothing about it was guessed).
    pub annotated: bool,
    #[serde(skip)]
    pub span: Span,
    /// `(offset in code, offset in source)` pieces, to point diagnostics into the code.
    #[serde(skip)]
    pub code_map: Vec<(usize, usize)>,
    /// Parameter specs from this step's annotation; for this step they win over the runbook's.
    #[serde(skip)]
    pub local_params: Vec<Parameter>,
}

impl Step {
    /// Maps an offset in `code` to the source.
    pub fn source_offset(&self, code_offset: usize) -> usize {
        let i = self.code_map.partition_point(|&(c, _)| c <= code_offset);
        match i.checked_sub(1).and_then(|i| self.code_map.get(i)) {
            Some(&(c, s)) => s + (code_offset - c),
            None => self.span.start,
        }
    }

    pub fn is_mutating(&self) -> bool {
        self.risk > Risk::Read
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "style", rename_all = "snake_case")]
pub enum ConfirmKind {
    None,
    /// Ask yes/no.
    Yes,
    /// The operator types this word.
    Word {
        word: String,
    },
}

/// A placeholder inside a step's code, replaced by a bound parameter when the step runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Placeholder {
    pub name: String,
    /// Byte range in the step's code, including quotes for `'USER_ID'`.
    pub start: usize,
    pub end: usize,
    pub style: PlaceholderStyle,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlaceholderStyle {
    /// `'USER_ID'`: a quoted upper-case name; the quotes are part of the placeholder.
    Quoted,
    /// `YOUR_TOKEN`, `CHANGEME`, `xxx`.
    Bare,
    /// `<namespace>`.
    Angle,
    /// `[host]`.
    Bracket,
    /// `$VAR`, `${VAR}`.
    ShellVar,
    /// psql `:var`, `:'var'`.
    Psql,
    /// `{{ name }}`.
    Template,
}

#[derive(Debug, Clone, Serialize)]
pub struct HttpRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// `user:password` from `-u`.
    pub basic_auth: Option<String>,
    pub insecure: bool,
    pub follow_redirects: bool,
    pub max_time_ms: Option<u64>,
    /// `| jq FILTER` after the command.
    pub jq: Option<String>,
    /// Flags understood as presentation only (`-s`, `-v`, `-w …`) or not supported.
    pub ignored_flags: Vec<String>,
    /// Why this request cannot be sent natively (`-o FILE`, a proxy, a URL built by the
    /// shell, a longer pipeline): the line then runs through bash as the author wrote it.
    pub shell_reason: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: String,
    /// A condition that must hold.
    pub that: Option<String>,
    /// An expression giving a number compared with the thresholds.
    pub value: Option<String>,
    pub warning: Option<f64>,
    pub critical: Option<f64>,
    pub direction: Direction,
    pub level: Level,
}

#[derive(Debug, Clone, Serialize)]
pub struct Capture {
    pub name: String,
    pub expr: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EdgeKind {
    Sequence,
    Branch,
}

#[derive(Debug, Clone, Serialize)]
pub struct Edge {
    pub from: String,
    /// The next step, or `null` when the branch ends the walk.
    pub to: Option<String>,
    pub label: Option<String>,
    /// A minijinja condition; `null` for plain sequence and for operator judgements.
    pub when: Option<String>,
    pub kind: EdgeKind,
    /// For inferred branches: the author's sentence the operator judges by.
    pub judgement: Option<String>,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub struct Parameter {
    pub name: String,
    pub prompt: Option<String>,
    pub pattern: Option<String>,
    pub default: Option<String>,
    /// `prompt`, `env:NAME`, `capture:NAME`, `secret`.
    pub source: Option<String>,
    pub secret: bool,
    /// Declared in front matter or an annotation (as opposed to inferred from a placeholder).
    pub declared: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Connection {
    pub name: String,
    pub kind: String,
    pub url: Option<String>,
    pub env: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Environment {
    pub name: String,
    pub connections: Vec<(String, String)>,
    pub targets: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Secret {
    pub name: String,
    pub env: Option<String>,
    pub file: Option<String>,
}
