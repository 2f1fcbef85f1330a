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
