//! A step as the graph stage drafts it, before ids and edges are assigned, and the annotation
//! (`yaml step` block) attached to it. Shared by the graph assembly (`build`) and the decisions
//! inferred from prose (`infer`), so neither imports the other's types.

use crate::annotation::StepAnnotation;
use crate::document::ListContext;
use crate::model::{HttpRequest, Placeholder, StepKind};
use crate::prose;
use crate::risk::Classified;
use crate::source::Span;
use serde_saphyr::{Location, Spanned};

/// A step before ids and edges are assigned.
#[derive(Debug)]
pub(crate) struct Draft {
    pub kind: StepKind,
    pub risk: Classified,
    pub code: String,
    pub code_map: Vec<(usize, usize)>,
    pub lang: Option<String>,
    pub span: Span,
    pub section: Option<usize>,
    pub list: ListContext,
    pub title: String,
    pub expected_output: Option<String>,
    /// Boxed, as is the annotation: most drafts have neither, and a draft of a 5 MB runbook is
    /// one of ~15,000 held at once.
    pub http: Option<Box<HttpRequest>>,
    pub annotation: Option<Box<Annotated>>,
    /// An "If …" / "When …" sentence just before the step (for inferred branches).
    pub condition: Option<String>,
    /// Index of the node that produced the draft.
    pub node: usize,
    /// The role of the section (or bold pseudo-heading) the draft is in.
    pub role: Option<prose::Role>,
    pub placeholders: Vec<Placeholder>,
    /// The step ends in a shell on another machine or in a console (`oc debug node/x`,
    /// `ssh db1`): what the next blocks of its section say is typed there.
    pub opens_session: Option<String>,
}

/// A parsed `yaml step` block and how to map its YAML positions back to the `.md` file.
#[derive(Debug)]
pub(crate) struct Annotated {
    pub spec: StepAnnotation,
    pub origin: YamlOrigin,
    pub span: Span,
    /// Where the annotation block itself is (a standalone step lives there).
    pub node: usize,
    pub section: Option<usize>,
    pub list: ListContext,
}

/// Maps YAML positions (from serde-saphyr) to source offsets.
#[derive(Debug, Clone)]
pub(crate) struct YamlOrigin {
    pieces: Vec<(usize, usize)>,
    line_starts: Vec<usize>,
    text_len: usize,
    pub(crate) fallback: usize,
}

impl YamlOrigin {
    pub(crate) fn new(text: &str, pieces: Vec<(usize, usize)>, fallback: usize) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i + 1));
        YamlOrigin { pieces, line_starts, text_len: text.len(), fallback }
    }

    fn text_offset(&self, loc: &Location, text: Option<&str>) -> usize {
        if let Some(b) = loc.span().byte_offset() {
            return (b as usize).min(self.text_len);
        }
        let line = (loc.line() as usize).saturating_sub(1);
        let start = self.line_starts.get(line).copied().unwrap_or(self.text_len);
        let col = (loc.column() as usize).saturating_sub(1);
        match text {
            Some(t) => t.get(start..).map_or(start, |rest| start + rest.char_indices().nth(col).map_or(rest.len(), |(i, _)| i)),
            None => start + col,
        }
    }

    pub(crate) fn source_offset(&self, text_offset: usize) -> usize {
        let i = self.pieces.partition_point(|&(t, _)| t <= text_offset);
        match i.checked_sub(1).and_then(|i| self.pieces.get(i)) {
            Some(&(t, s)) => s + (text_offset - t),
            None => self.fallback,
        }
    }

    pub fn span_of(&self, loc: &Location, text: Option<&str>) -> Span {
        if *loc == Location::UNKNOWN {
            return Span::new(self.fallback, self.fallback);
        }
        let start = self.text_offset(loc, text);
        let len = loc.span().byte_len().map_or(0, |l| l as usize);
        let s = self.source_offset(start);
        Span::new(s, s + len)
    }

    pub fn spanned<T>(&self, v: &Spanned<T>) -> Span {
        self.span_of(&v.referenced, None)
    }
}
