//! Diagnostics: one value per finding, with a stable code, a span and an optional hint.
//! Rendering is in the style of rustc/just: `file:line:col`, the source line and a caret.

use crate::source::{Source, Span};
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet, renderer::DecorStyle};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// What a diagnostic found: one variant per kind of finding, which gives its stable code and
/// its severity. The message, label and hint say the particulars.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Finding {
    AnnotationNeedsKind,
    BadEncoding,
    CommandsWithoutStep,
    CycleWithoutExit,
    DuplicateStepId,
    EmptyAnnotation,
    EmptyBranchTarget,
    InvalidCheck,
    InvalidExpression,
    InvalidParamSource,
    InvalidPattern,
    InvalidStepId,
    InvalidYaml,
    NoSteps,
    PlaceholderWithoutSource,
    UnclosedFrontMatter,
    UnconfirmedDestructiveStep,
    UnknownBranchTarget,
    UnknownCapture,
    UnknownConnection,
    UnknownFrontMatterKey,
    UnreachableStep,
    UnterminatedFence,
    WrongConnectionKind,
}

impl Finding {
    /// The stable machine-readable name, e.g. `unknown-branch-target`.
    pub fn code(self) -> &'static str {
        match self {
            Finding::AnnotationNeedsKind => "annotation-needs-kind",
            Finding::BadEncoding => "bad-encoding",
            Finding::CommandsWithoutStep => "commands-without-step",
            Finding::CycleWithoutExit => "cycle-without-exit",
            Finding::DuplicateStepId => "duplicate-step-id",
            Finding::EmptyAnnotation => "empty-annotation",
            Finding::EmptyBranchTarget => "empty-branch-target",
            Finding::InvalidCheck => "invalid-check",
            Finding::InvalidExpression => "invalid-expression",
            Finding::InvalidParamSource => "invalid-param-source",
            Finding::InvalidPattern => "invalid-pattern",
            Finding::InvalidStepId => "invalid-step-id",
            Finding::InvalidYaml => "invalid-yaml",
            Finding::NoSteps => "no-steps",
            Finding::PlaceholderWithoutSource => "placeholder-without-source",
            Finding::UnclosedFrontMatter => "unclosed-front-matter",
            Finding::UnconfirmedDestructiveStep => "unconfirmed-destructive-step",
            Finding::UnknownBranchTarget => "unknown-branch-target",
            Finding::UnknownCapture => "unknown-capture",
            Finding::UnknownConnection => "unknown-connection",
            Finding::UnknownFrontMatterKey => "unknown-front-matter-key",
            Finding::UnreachableStep => "unreachable-step",
            Finding::UnterminatedFence => "unterminated-fence",
            Finding::WrongConnectionKind => "wrong-connection-kind",
        }
    }

    pub fn severity(self) -> Severity {
        match self {
            Finding::AnnotationNeedsKind => Severity::Error,
            Finding::BadEncoding => Severity::Error,
            Finding::CommandsWithoutStep => Severity::Warning,
            Finding::CycleWithoutExit => Severity::Error,
            Finding::DuplicateStepId => Severity::Error,
            Finding::EmptyAnnotation => Severity::Error,
            Finding::EmptyBranchTarget => Severity::Error,
            Finding::InvalidCheck => Severity::Error,
            Finding::InvalidExpression => Severity::Error,
            Finding::InvalidParamSource => Severity::Error,
            Finding::InvalidPattern => Severity::Error,
            Finding::InvalidStepId => Severity::Error,
            Finding::InvalidYaml => Severity::Error,
            Finding::NoSteps => Severity::Warning,
            Finding::PlaceholderWithoutSource => Severity::Error,
            Finding::UnclosedFrontMatter => Severity::Error,
            Finding::UnconfirmedDestructiveStep => Severity::Warning,
            Finding::UnknownBranchTarget => Severity::Error,
            Finding::UnknownCapture => Severity::Error,
            Finding::UnknownConnection => Severity::Error,
            Finding::UnknownFrontMatterKey => Severity::Warning,
            Finding::UnreachableStep => Severity::Warning,
            Finding::UnterminatedFence => Severity::Warning,
            Finding::WrongConnectionKind => Severity::Error,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    #[serde(skip)]
    pub finding: Finding,
    pub severity: Severity,
    /// Stable machine-readable name, e.g. `unknown-branch-target` (from the finding).
    pub code: &'static str,
    pub message: String,
    #[serde(skip)]
    pub span: Span,
    /// Short text printed under the caret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn new(finding: Finding, span: Span, message: impl Into<String>) -> Self {
        Diagnostic { finding, severity: finding.severity(), code: finding.code(), message: message.into(), span, label: None, hint: None }
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Renders the diagnostic with the lines it points at. `color` adds ANSI styles.
    pub fn render(&self, source: &Source, color: bool) -> String {
        let lines = source.lines_around(self.span);
        let snippet_text = &source.text[lines.range()];
        let first_line = source.line_col(lines.start).line;
        // Spans must fall on character boundaries or the renderer cannot slice the line.
        let floor = |mut i: usize| {
            while !snippet_text.is_char_boundary(i) {
                i -= 1;
            }
            i
        };
        let ceil = |mut i: usize| {
            while !snippet_text.is_char_boundary(i) {
                i += 1;
            }
            i
        };
        let start = floor(self.span.start.clamp(lines.start, lines.end) - lines.start);
        let end = ceil(self.span.end.clamp(lines.start, lines.end) - lines.start);
        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let mut annotation = AnnotationKind::Primary.span(start..end.max(start));
        if let Some(label) = &self.label {
            annotation = annotation.label(label.as_str());
        }
        let snippet = Snippet::source(snippet_text).line_start(first_line).path(source.name.as_str()).annotation(annotation);
        let mut report = vec![level.primary_title(self.message.as_str()).id(self.code).element(snippet)];
        if let Some(hint) = &self.hint {
            report.push(Group::with_title(Level::HELP.secondary_title(hint.as_str())));
        }
        let renderer = if color { Renderer::styled() } else { Renderer::plain() };
        renderer.decor_style(DecorStyle::Ascii).render(&report)
    }
}

/// "did you mean `x`?" for a misspelt name, when one candidate is close enough.
pub fn did_you_mean<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::normalized_damerau_levenshtein(wanted, c), c))
        .filter(|(score, _)| *score >= 0.6)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_path_line_col_and_caret() {
        let src = Source::new("rb.md", "# T\n\ngoto: unlok-account\n");
        let d = Diagnostic::new(Finding::UnknownBranchTarget, Span::new(11, 24), "unknown step `unlok-account`")
            .label("no step has this id")
            .hint("did you mean `unlock-account`?");
        let out = d.render(&src, false);
        assert!(out.contains("rb.md:3:7"), "{out}");
        assert!(out.contains("^^^^^^^^^^^^^"), "{out}");
        assert!(out.contains("did you mean `unlock-account`?"), "{out}");
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(did_you_mean("unlok-account", ["check-lock", "unlock-account"]), Some("unlock-account"));
        assert_eq!(did_you_mean("zzz", ["check-lock", "unlock-account"]), None);
    }
}
