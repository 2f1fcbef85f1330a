//! The Markdown pass: one walk over pulldown-cmark's events that keeps what later stages need
//! (headings, fenced blocks, paragraphs, list items, task items, tables, links), each with its
//! byte span in the original text. No interpretation happens here.

use crate::source::Span;
use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// The Markdown options used everywhere (the benchmark compares against the same set).
pub fn markdown_options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_HEADING_ATTRIBUTES
}

#[derive(Debug, Default)]
pub struct Document {
    pub front_matter: Option<FrontMatterBlock>,
    /// Set when a `---` line opens front matter that is never closed.
    pub unclosed_front_matter: Option<Span>,
    pub headings: Vec<Heading>,
    pub nodes: Vec<Node>,
    anchors: std::collections::HashMap<String, usize>,
}

impl Document {
    /// The heading with this anchor (without `#`).
    pub fn heading_by_anchor(&self, anchor: &str) -> Option<usize> {
        self.anchors.get(anchor).copied()
    }
}

#[derive(Debug)]
pub struct FrontMatterBlock {
    pub yaml: String,
    /// Where `yaml` starts in the source (the line after the opening `---`).
    pub yaml_start: usize,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Heading {
    pub level: u8,
    pub title: String,
    /// GitHub-style anchor, unique within the document.
    pub anchor: String,
    pub span: Span,
    pub parent: Option<usize>,
    /// What the section is for (Symptoms, Diagnosis, …), if its title says.
    pub role: Option<crate::prose::Role>,
    /// The title without a severity marker, and that marker.
    pub display: String,
    pub severity: Option<String>,
    /// Slug of `display`, for step ids.
    pub slug: String,
    /// The outline made it a group of problems (see [`crate::outline`]): not one problem's
    /// list of causes, whatever its title says.
    pub group: bool,
    /// The outline found its sub-sections are ways to answer it (`## Is redis running?` over
    /// `### Grafana` and `### redis-cli`): each is an option, not an entry of its own.
    pub ways: bool,
}

/// Where a node sits in a list, if it does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListContext {
    /// Index of the enclosing top-level list item (unique per document), if any.
    pub item: Option<usize>,
    /// The number of the enclosing ordered item (`3.` → 3) at the outermost list level.
    pub number: Option<u64>,
    pub depth: usize,
}

#[derive(Debug)]
pub enum NodeKind {
    Code(CodeBlock),
    /// A paragraph; its text is read back from the source span when needed.
    Paragraph,
    /// `- [ ] text` / `- [x] text`; the span covers the item's text.
    Task {
        checked: bool,
    },
    /// A table; the span covers it whole.
    Table,
    /// The start of a list item (the span covers the whole item).
    ItemStart,
}

#[derive(Debug)]
pub struct Node {
    pub kind: NodeKind,
    pub span: Span,
    /// Index into `Document::headings` of the section the node is in.
    pub section: Option<usize>,
    pub list: ListContext,
    /// Link destinations inside the node (for paragraphs and tasks).
    pub links: Vec<String>,
}

#[derive(Debug)]
pub struct CodeBlock {
    /// The whole info string, e.g. `yaml step` or `bash title="x"`.
    pub info: String,
    pub fenced: bool,
    pub text: String,
    /// Pieces of `text` and where each starts in the source: `(offset in text, offset in source)`.
    /// Indented blocks (in lists, quotes) have one piece per line.
    pub pieces: Vec<(usize, usize)>,
    /// The block runs to the end of its container without a closing fence.
    pub unterminated: bool,
}

impl CodeBlock {
    /// First word of the info string, lower-cased: `sql`, `bash`, `` (none).
    pub fn lang(&self) -> String {
        let first = self.info.split(|c: char| c.is_whitespace() || c == ',' || c == '{').next().unwrap_or("");
        first.trim_start_matches('.').to_ascii_lowercase()
    }

    pub fn is_step_annotation(&self) -> bool {
        let mut words = self.info.split_whitespace();
        matches!(words.next(), Some("yaml" | "yml")) && words.any(|w| w == "step")
    }

    /// Maps an offset in `text` to an offset in the source.
    pub fn source_offset(&self, text_offset: usize) -> usize {
        let i = self.pieces.partition_point(|&(t, _)| t <= text_offset);
        match i.checked_sub(1).and_then(|i| self.pieces.get(i)) {
            Some(&(t, s)) => s + (text_offset - t),
            None => self.pieces.first().map_or(0, |&(_, s)| s),
        }
    }
}

pub fn parse(text: &str) -> Document {
    let mut doc = Document::default();
    let body_start = split_front_matter(text, &mut doc);
    let body = &text[body_start..];

    let mut anchors = AnchorSet::default();
    // Stack of open headings by level, to give each heading its parent.
    let mut open_headings: Vec<usize> = Vec::new();
    let mut current_section: Option<usize> = None;

    let mut heading: Option<(u8, usize, Option<String>, String)> = None;
    let mut code: Option<(CodeBlock, usize)> = None;
    let mut paragraph: Option<(usize, Vec<String>)> = None;
    let mut item_stack: Vec<ItemFrame> = Vec::new();
    // Each open list: its first number (ordered lists only) and how many items it has had.
    let mut list_stack: Vec<(Option<u64>, u64)> = Vec::new();
    let mut top_item_count = 0usize;

    for (event, range) in Parser::new_ext(body, markdown_options()).into_offset_iter() {
        let range = (range.start + body_start)..(range.end + body_start);
        match event {
            Event::Start(Tag::Heading { level, id, .. }) => {
                heading = Some((heading_level(level), range.start, id.map(|s| s.to_string()), String::new()));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, start, id, title)) = heading.take() {
                    while open_headings.last().is_some_and(|&h| doc.headings[h].level >= level) {
                        open_headings.pop();
                    }
                    let title = title.trim().to_owned();
                    let title_slug = slug(&title);
                    let anchor = anchors.insert(id.unwrap_or_else(|| title_slug.clone()));
                    let index = doc.headings.len();
                    let (display, severity) = crate::prose::split_severity(&title);
                    // `Alert Name: "KubeAPIDown"` in alert catalogues: the alert is the title.
                    let labelled = alert_label(&display);
                    let display = labelled.map_or(display.clone(), str::to_owned);
                    let display_slug = id_slug(if severity.is_none() && labelled.is_none() { &title_slug } else { &display });
                    doc.headings.push(Heading {
                        level,
                        role: crate::prose::role(&title),
                        slug: if display_slug.is_empty() { anchor.trim_matches('-').to_owned() } else { display_slug },
                        display,
                        severity,
                        title,
                        anchor,
                        span: Span::new(start, trim_end_newline(text, range.end)),
                        parent: open_headings.last().copied(),
                        group: false,
                        ways: false,
                    });
                    open_headings.push(index);
                    current_section = Some(index);
                }
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let (info, fenced) = match kind {
                    CodeBlockKind::Fenced(info) => (info.trim().to_owned(), true),
                    CodeBlockKind::Indented => (String::new(), false),
                };
                let block = CodeBlock { info, fenced, text: String::new(), pieces: Vec::new(), unterminated: false };
                code = Some((block, range.start));
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((mut block, start)) = code.take() {
                    let span = Span::new(start, trim_end_newline(text, range.end));
                    block.unterminated = block.fenced && !ends_with_fence(&text[span.range()]);
                    let list = list_context(&item_stack);
                    doc.nodes.push(Node { kind: NodeKind::Code(block), span, section: current_section, list, links: Vec::new() });
                }
            }
            Event::Start(Tag::Paragraph) => paragraph = Some((range.start, Vec::new())),
            Event::End(TagEnd::Paragraph) => {
                if let Some((start, links)) = paragraph.take() {
                    let span = Span::new(start, trim_end_newline(text, range.end));
                    let list = list_context(&item_stack);
                    // A task item's paragraph is recorded as the task itself.
                    if let Some(frame) = item_stack.last_mut().filter(|f| f.task.is_some() && !f.task_done) {
                        frame.task_done = true;
                        let checked = frame.task.unwrap_or(false);
                        doc.nodes.push(Node { kind: NodeKind::Task { checked }, span, section: current_section, list, links });
                    } else {
                        doc.nodes.push(Node { kind: NodeKind::Paragraph, span, section: current_section, list, links });
                    }
                }
            }
            Event::Start(Tag::List(first)) => list_stack.push((first, 0)),
            Event::End(TagEnd::List(_)) => {
                list_stack.pop();
            }
            Event::Start(Tag::Item) => {
                let depth = item_stack.len();
                let number = match list_stack.last_mut() {
                    Some((Some(first), count)) => {
                        *count += 1;
                        Some(first.saturating_add(*count - 1))
                    }
                    _ => None,
                };
                let top = if depth == 0 {
                    top_item_count += 1;
                    top_item_count - 1
                } else {
                    item_stack.first().map_or(0, |f| f.top)
                };
                item_stack.push(ItemFrame { top, number, task: None, task_done: false, start: range.start });
                let list = list_context(&item_stack);
                let span = Span::new(range.start, trim_end_newline(text, range.end));
                doc.nodes.push(Node { kind: NodeKind::ItemStart, span, section: current_section, list, links: Vec::new() });
            }
            Event::End(TagEnd::Item) => {
                // A tight task item has no paragraph: record it from the item's own span, in
                // its own list context (taken before the item is closed).
                if let Some(&ItemFrame { task: Some(checked), task_done: false, start, .. }) = item_stack.last() {
                    let span = Span::new(start, trim_end_newline(text, range.end));
                    let list = list_context(&item_stack);
                    let links = paragraph.as_mut().map(|(_, l)| std::mem::take(l)).unwrap_or_default();
                    doc.nodes.push(Node { kind: NodeKind::Task { checked }, span, section: current_section, list, links });
                }
                item_stack.pop();
            }
            Event::TaskListMarker(checked) => {
                if let Some(frame) = item_stack.last_mut() {
                    frame.task = Some(checked);
                }
            }
            Event::Start(Tag::Table(_)) => {
                let list = list_context(&item_stack);
                let span = Span::new(range.start, trim_end_newline(text, range.end));
                doc.nodes.push(Node { kind: NodeKind::Table, span, section: current_section, list, links: Vec::new() });
            }
            Event::Start(Tag::Link { dest_url, .. }) => {
                // Only in-document links (`#anchor`) are read later; others cost nothing.
                if let Some((_, links)) = paragraph.as_mut().filter(|_| dest_url.starts_with('#')) {
                    links.push(dest_url.to_string());
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((block, _)) = code.as_mut() {
                    block.pieces.push((block.text.len(), range.start));
                    block.text.push_str(&t);
                } else if let Some((_, _, _, title)) = heading.as_mut() {
                    title.push_str(&t);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some((_, _, _, title)) = heading.as_mut() {
                    title.push(' ');
                }
            }
            _ => {}
        }
    }
    doc.anchors = doc.headings.iter().enumerate().map(|(i, h)| (h.anchor.clone(), i)).collect();
    doc
}

struct ItemFrame {
    top: usize,
    number: Option<u64>,
    task: Option<bool>,
    task_done: bool,
    start: usize,
}

fn list_context(stack: &[ItemFrame]) -> ListContext {
    ListContext { item: stack.first().map(|f| f.top), number: stack.first().and_then(|f| f.number), depth: stack.len() }
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

fn trim_end_newline(text: &str, end: usize) -> usize {
    let bytes = text.as_bytes();
    let mut end = end.min(bytes.len());
    while end > 0 && matches!(bytes[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    end
}

fn ends_with_fence(block: &str) -> bool {
    let first = block.trim_start().chars().next().unwrap_or('`');
    let last_line = block.lines().last().unwrap_or("").trim();
    let mut lines = block.lines();
    lines.next().is_some() && lines.next().is_some() && last_line.len() >= 3 && last_line.chars().all(|c| c == first)
}

/// Detects `---` front matter at the very start. Returns where the Markdown body starts.
fn split_front_matter(text: &str, doc: &mut Document) -> usize {
    let first_line_end = text.find('\n').map_or(text.len(), |i| i + 1);
    if text[..first_line_end].trim_end() != "---" {
        return 0;
    }
    let mut offset = first_line_end;
    for line in text[first_line_end..].split_inclusive('\n') {
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed == "..." {
            doc.front_matter = Some(FrontMatterBlock {
                yaml: text[first_line_end..offset].to_owned(),
                yaml_start: first_line_end,
                span: Span::new(0, offset + trimmed.len()),
            });
            return offset + line.len();
        }
        offset += line.len();
    }
    doc.unclosed_front_matter = Some(Span::new(0, 3));
    0
}

/// `Alert Name: "KubeAPIDown"`, `Alert: X` → the alert's name.
fn alert_label(title: &str) -> Option<&str> {
    let rest = ["alert name:", "alertname:", "alert:"]
        .iter()
        .find_map(|l| title.get(..l.len()).filter(|h| h.eq_ignore_ascii_case(l)).map(|_| &title[l.len()..]))?;
    let name = rest.trim().trim_matches(['"', '`', '\'']).trim();
    (!name.is_empty()).then_some(name)
}

/// A slug for step ids: `2. Solutions` → `solutions`, `🔍 Troubleshooting:` → `troubleshooting`.
fn id_slug(text: &str) -> String {
    let s = slug(text);
    let s = s.trim_start_matches(|c: char| c.is_ascii_digit() || c == '-');
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '-' && out.ends_with('-') {
            continue;
        }
        out.push(c);
    }
    out.trim_matches('-').to_owned()
}

/// GitHub's heading anchors: lower-case, punctuation dropped, spaces to `-`.
pub fn slug(title: &str) -> String {
    let mut out = String::with_capacity(title.len());
    for c in title.trim().chars() {
        match c {
            // ASCII first: headings are mostly ASCII and `to_lowercase` is slow.
            'A'..='Z' => out.push(c.to_ascii_lowercase()),
            'a'..='z' | '0'..='9' | '_' | '-' => out.push(c),
            ' ' => out.push('-'),
            c if !c.is_ascii() && c.is_alphanumeric() => out.extend(c.to_lowercase()),
            _ => {}
        }
    }
    out
}

#[derive(Default)]
struct AnchorSet {
    used: std::collections::HashSet<String>,
    /// Next suffix to try per base, so thousands of equal headings stay linear.
    next: std::collections::HashMap<String, usize>,
}

impl AnchorSet {
    fn insert(&mut self, base: String) -> String {
        let mut candidate = base.clone();
        if self.used.contains(&candidate) {
            let n = self.next.entry(base.clone()).or_insert(1);
            loop {
                candidate = format!("{base}-{n}");
                *n += 1;
                if !self.used.contains(&candidate) {
                    break;
                }
            }
        }
        self.used.insert(candidate.clone());
        candidate
    }
}

/// The text of a list item up to its first nested block, without the list marker, and where
/// that text starts in the source.
pub(crate) fn item_lead_text(text: &str, span: Span) -> (&str, usize) {
    let item = &text[span.range()];
    let marker_end = {
        let t = item.trim_start();
        let lead = item.len() - t.len();
        let after = if let Some(r) = t.strip_prefix(['-', '*', '+']) {
            r
        } else {
            let digits = t.chars().take_while(|c| c.is_ascii_digit()).count();
            t[digits..].strip_prefix(['.', ')']).unwrap_or(t)
        };
        let after_ws = after.trim_start_matches([' ', '\t']);
        lead + (t.len() - after_ws.len())
    };
    let body = &item[marker_end..];
    let mut end = body.len();
    let mut offset = 0;
    for line in body.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if offset > 0
            && (line.trim().is_empty()
                || trimmed.starts_with("```")
                || trimmed.starts_with("~~~")
                || trimmed.starts_with("- ")
                || trimmed.starts_with("* ")
                || trimmed.starts_with("+ ")
                || trimmed.chars().next().is_some_and(|c| c.is_ascii_digit()) && trimmed.contains(". "))
        {
            end = offset;
            break;
        }
        offset += line.len();
    }
    (&body[..end], span.start + marker_end)
}

/// Where the section opened by heading `h` ends (the next heading of the same or higher level).
pub(crate) fn section_end(doc: &Document, h: usize) -> usize {
    let level = doc.headings[h].level;
    doc.headings[h + 1..].iter().find(|n| n.level <= level).map_or(usize::MAX, |n| n.span.start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_get_unique_github_anchors() {
        let doc = parse("# A\n## Diagnosis\n## Diagnosis\n### Users Can't Log In!\n");
        let anchors: Vec<_> = doc.headings.iter().map(|h| h.anchor.as_str()).collect();
        assert_eq!(anchors, ["a", "diagnosis", "diagnosis-1", "users-cant-log-in"]);
        assert_eq!(doc.headings[3].parent, Some(2));
    }

    #[test]
    fn code_block_pieces_map_to_source() {
        let text = "1. item\n\n   ```sql\n   SELECT 1;\n   SELECT 2;\n   ```\n";
        let doc = parse(text);
        let NodeKind::Code(block) = &doc.nodes.iter().find(|n| matches!(n.kind, NodeKind::Code(_))).unwrap().kind else { unreachable!() };
        assert_eq!(block.text, "SELECT 1;\nSELECT 2;\n");
        let at = block.source_offset(block.text.find("2").unwrap());
        assert_eq!(&text[at..at + 1], "2");
        assert!(!block.unterminated);
    }

    #[test]
    fn unterminated_fence_is_flagged() {
        let doc = parse("# T\n```bash\necho hi\n");
        let NodeKind::Code(block) = &doc.nodes[0].kind else { unreachable!() };
        assert!(block.unterminated);
    }

    #[test]
    fn front_matter_is_split_off() {
        let doc = parse("---\ntitle: X\n---\n# Body\n");
        assert_eq!(doc.front_matter.as_ref().unwrap().yaml, "title: X\n");
        assert_eq!(doc.headings[0].title, "Body");
        let doc = parse("---\ntitle: X\n# Body\n");
        assert!(doc.unclosed_front_matter.is_some());
    }
}
