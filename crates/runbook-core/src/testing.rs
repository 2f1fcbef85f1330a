//! Test helpers: compile a few lines of Markdown in-process, so a rule is tested beside its
//! code on the smallest input that shows it (as just's `testing::compile`).

use crate::{Compiled, Graph, Source, compile as compile_source};

/// Compiles `md` as `test.md`.
pub(crate) fn compile(md: &str) -> Compiled {
    compile_source(Source::new("test.md", md))
}

/// The graph of `md`.
pub(crate) fn graph(md: &str) -> Graph {
    compile(md).graph
}

/// (kind, code) of each step of a runbook written inline.
pub(crate) fn steps(md: &str) -> Vec<(crate::StepKind, String)> {
    compile_source(Source::new("t.md", md)).graph.steps.iter().map(|s| (s.kind, s.code.clone())).collect()
}

/// Labels of the branch edges of a runbook written inline.
pub(crate) fn branch_labels(md: &str) -> Vec<String> {
    let g = compile_source(Source::new("t.md", md)).graph;
    g.edges.iter().filter(|e| e.kind == crate::EdgeKind::Branch).filter_map(|e| e.label.clone()).collect()
}

/// Asserts the risk `classify_shell` gives one shell line, naming its reason when it differs.
#[track_caller]
pub(crate) fn shell_risk(text: &str, risk: crate::model::Risk) {
    let c = crate::risk::classify_shell(text);
    assert_eq!(c.risk, risk, "{text}: {}", c.reason);
}
