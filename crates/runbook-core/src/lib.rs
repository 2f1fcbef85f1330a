//! `runbook-core`: Markdown runbooks (plus annotated YAML steps) into a checked step graph.
//!
//! Pure: takes `&str`, returns data. No tokio, no network, no terminal.
//! Stages: [`document::parse`] → [`build::build`] → [`check::check`], driven by [`compile`].

pub mod annotation;
pub mod build;
pub mod check;
pub mod diagnostic;
pub mod document;
pub mod export;
pub mod hidden_writes;
pub(crate) mod infer;
pub mod model;
pub mod placeholder;
pub mod prose;
pub mod risk;
pub mod shell;
pub mod source;
pub mod sqltext;
pub mod words;

pub use diagnostic::{Diagnostic, Severity};
pub use model::{Edge, EdgeKind, EntryPoint, Graph, Risk, Step, StepKind};
pub use source::{Source, Span};

/// The output of compiling one runbook: its source, graph and diagnostics (sorted by position).
#[derive(Debug)]
pub struct Compiled {
    pub source: Source,
    pub graph: Graph,
    pub diagnostics: Vec<Diagnostic>,
}

impl Compiled {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses, builds and checks one runbook.
pub fn compile(source: Source) -> Compiled {
    let document = document::parse(&source.text);
    let mut diagnostics = Vec::new();
    let graph = build::build(&source, &document, &mut diagnostics);
    check::check(&graph, &mut diagnostics);
    diagnostics.sort_by_key(|d| (d.span.start, d.severity));
    diagnostics.dedup();
    Compiled { source, graph, diagnostics }
}
