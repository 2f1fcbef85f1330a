//! Source text and byte spans. Every block, step and YAML node keeps a span into the original
//! Markdown so diagnostics can point at `file:line:col` without renumbering anything.

use serde::Serialize;
use std::ops::Range;

/// A byte range into a [`Source`]'s text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end: end.max(start) }
    }

    pub fn range(self) -> Range<usize> {
        self.start..self.end
    }
}

impl From<Range<usize>> for Span {
    fn from(r: Range<usize>) -> Self {
        Span::new(r.start, r.end)
    }
}

/// One runbook file: its display name and its text, with a line index built once.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
}

/// A 1-based line and 1-based column (in characters) of a byte offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct LineCol {
    pub line: usize,
    pub col: usize,
}

impl Source {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(memchr_newlines(&text));
        Source { name: name.into(), text, line_starts }
    }

    /// Decodes bytes read from disk. Invalid UTF-8 is not an I/O failure but a diagnostic at
    /// the first bad byte, so the caller gets `file:line:col` like any other error.
    pub fn from_bytes(name: impl Into<String>, bytes: Vec<u8>) -> Result<Self, BadEncoding> {
        let name = name.into();
        if let Some(nul) = bytes.iter().take(8192).position(|&b| b == 0) {
            let prefix = String::from_utf8_lossy(&bytes[..nul]).into_owned();
            return Err(BadEncoding { source: Source::new(name, prefix.clone()), offset: prefix.len(), binary: true });
        }
        match String::from_utf8(bytes) {
            Ok(text) => Ok(Source::new(name, text)),
            Err(e) => {
                let valid = e.utf8_error().valid_up_to();
                let bytes = e.into_bytes();
                // Keep the text up to the end of the offending line so the snippet shows it.
                let line_end = bytes[valid..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |p| valid + p);
                let mut text = String::from_utf8_lossy(&bytes[..valid]).into_owned();
                let offset = text.len();
                text.push_str(&String::from_utf8_lossy(&bytes[valid..line_end]));
                Err(BadEncoding { source: Source::new(name, text), offset, binary: false })
            }
        }
    }

    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let col = self.text.get(start..offset).map_or(offset - start, |s| s.chars().count()) + 1;
        LineCol { line: line + 1, col }
    }

    /// Byte offset of the start of 1-based `line`.
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts.get(line.saturating_sub(1)).copied().unwrap_or(self.text.len())
    }

    /// The byte range of the full line(s) covering `span`, without the final newline.
    pub fn lines_around(&self, span: Span) -> Span {
        let first = self.line_col(span.start).line;
        let last = self.line_col(span.end.max(span.start)).line;
        let start = self.line_start(first);
        let end = self.line_starts.get(last).map_or(self.text.len(), |&s| s.saturating_sub(1));
        Span::new(start, end.max(start))
    }
}

fn memchr_newlines(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i + 1)
}

/// A file that is not UTF-8 text: the offset of the first bad byte in a lossy copy.
#[derive(Debug)]
pub struct BadEncoding {
    pub source: Source,
    pub offset: usize,
    pub binary: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let s = Source::new("a.md", "ab\nçé x\n");
        assert_eq!(s.line_col(0), LineCol { line: 1, col: 1 });
        assert_eq!(s.line_col(3), LineCol { line: 2, col: 1 });
        assert_eq!(s.line_col(7), LineCol { line: 2, col: 3 });
        assert_eq!(s.line_col(100), LineCol { line: 3, col: 1 });
    }

    #[test]
    fn invalid_utf8_points_at_first_bad_byte() {
        let err = Source::from_bytes("a.md", b"ok\nab\xffcd\nmore".to_vec()).unwrap_err();
        assert!(!err.binary);
        assert_eq!(err.source.line_col(err.offset), LineCol { line: 2, col: 3 });
    }

    #[test]
    fn nul_byte_means_binary() {
        let err = Source::from_bytes("a.bin", vec![0x89, b'P', 0, 1, 2]).unwrap_err();
        assert!(err.binary);
    }
}
