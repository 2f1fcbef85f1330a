//! `runbook-core`: Markdown runbooks (plus annotated YAML steps) into a checked step graph.
//!
//! Pure: takes `&str`, returns data. No tokio, no network, no terminal.
//! Stages: [`document::parse`] → [`outline::outline`] → [`build::build`] → [`check::check`],
//! driven by [`compile`].

pub mod annotation;
pub mod blast_radius;
pub mod build;
pub mod check;
pub mod confirm_word;
pub mod diagnostic;
pub mod document;
pub(crate) mod draft;
pub mod export;
pub mod hidden_writes;
pub(crate) mod infer;
pub mod model;
pub mod outline;
pub mod placeholder;
pub mod prose;
pub mod risk;
pub mod shell;
pub mod source;
pub mod sqltext;
pub mod value_site;
pub mod words;

#[cfg(test)]
pub(crate) mod testing;

pub use diagnostic::{Diagnostic, Finding, Severity};
pub use model::{Edge, EdgeKind, EntryPoint, Graph, Risk, Step, StepKind};
pub use source::{Source, Span};

/// The output of compiling one runbook: its source, graph and diagnostics (sorted by position).
#[derive(Debug)]
pub struct Compiled {
    pub source: Source,
    pub graph: Graph,
    pub diagnostics: Vec<Diagnostic>,
    /// The document's headings, in order: the page renderer anchors its headings with them
    /// instead of parsing the runbook a second time.
    pub headings: Vec<document::Heading>,
}

impl Compiled {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses, builds and checks one runbook.
pub fn compile(source: Source) -> Compiled {
    // The rules read the same prose many times: answers about it are kept for this compile.
    let scope = prose::scope(&source.text);
    let mut document = document::parse(&source.text);
    // The document is alive through the whole build: no spare capacity from its growth.
    document.nodes.shrink_to_fit();
    document.headings.shrink_to_fit();
    let outline = outline::outline(&source, &document);
    outline::apply(&outline, &mut document);
    let mut diagnostics = Vec::new();
    let graph = build::build(&source, &document, &outline, &mut diagnostics);
    check::check(&graph, &mut diagnostics);
    check::lost_commands(&source, &document, &graph, &mut diagnostics);
    diagnostics.sort_by_key(|d| (d.span.start, d.severity));
    diagnostics.dedup();
    drop(scope);
    let headings = std::mem::take(&mut document.headings);
    Compiled { source, graph, diagnostics, headings }
}

/// The outline of one runbook as text (`runbook graph --format outline`): each heading with its
/// line, its kind in the runbook's shape and why it got that kind.
pub fn outline_text(source: &Source) -> String {
    let mut document = document::parse(&source.text);
    let outline = outline::outline(source, &document);
    outline::apply(&outline, &mut document);
    outline::render(source, &document, &outline)
}
