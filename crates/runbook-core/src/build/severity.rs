//! Severity: what a problem's body and description say of how severe it is, when its heading
//! does not say it (`## Disk full [critical]`).

use super::*;

/// `**Severity:** Warning`, `+ *Severity*: critical` right under a heading (before its first
/// sub-heading): the severity field of each section that has one.
pub(super) fn severity_fields(source: &Source, doc: &Document) -> HashMap<usize, String> {
    let mut out = HashMap::new();
    for n in &doc.nodes {
        let Some(section) = n.section else { continue };
        if !matches!(n.kind, NodeKind::Paragraph | NodeKind::ItemStart) || out.contains_key(&section) {
            continue;
        }
        let raw = &source.text[n.span.range()];
        let raw = raw.trim_start_matches(['-', '+', '*', '_', ' ']);
        if !raw.get(..8).is_some_and(|w| w.eq_ignore_ascii_case("severity")) {
            continue;
        }
        let head: String = raw.chars().take(60).collect();
        let plain = prose::plain_text(&head);
        let value = plain
            .split_once(':')
            .and_then(|(label, v)| label.trim().eq_ignore_ascii_case("severity").then_some(v))
            .and_then(|v| v.split_whitespace().next())
            .map(|v| v.trim_matches(|c: char| !c.is_ascii_alphanumeric()).to_ascii_lowercase());
        if let Some(v) = value.filter(|v| {
            matches!(v.as_str(), "critical" | "high" | "medium" | "low" | "warning" | "info" | "error" | "page" | "ticket" | "none")
                || prose::is_priority(&v.to_ascii_uppercase())
        }) {
            out.insert(section, v);
        }
    }
    out
}

/// The severity a problem's description states when its heading does not: a `Severity:`
/// field in its own body (from `severity_fields`) or in its Meaning / Impact section (`## Impact` / `- **Severity:** Warning`),
/// or a sentence of that description ("This is a critical alert.", "This alert will fire as
/// a warning when …").
pub(super) fn stated_severity(source: &Source, doc: &Document, h: usize, fields: &HashMap<usize, String>) -> Option<String> {
    let describes = |s: usize| s == h || (doc.headings[s].parent == Some(h) && doc.headings[s].role == Some(prose::Role::Symptoms));
    let end = crate::document::section_end(doc, h);
    let sections: Vec<usize> =
        (h..doc.headings.len()).take_while(|&s| doc.headings[s].span.start < end).filter(|&s| describes(s)).collect();
    if let Some(v) = sections.iter().find_map(|s| fields.get(s)) {
        return Some(v.clone());
    }
    // Only the nodes of this problem's section (nodes are in document order): linear overall.
    let first = doc.nodes.partition_point(|n| n.span.start < doc.headings[h].span.start);
    for node in doc.nodes[first..].iter().take_while(|n| n.span.start < end) {
        if !matches!(node.kind, NodeKind::Paragraph) || !node.section.is_some_and(|s| sections.contains(&s)) {
            continue;
        }
        let text = source.text[node.span.range()].to_ascii_lowercase();
        for level in ["critical", "warning", "high", "medium", "low", "info"] {
            let stated =
                [format!("is a {level} alert"), format!("as a {level}"), format!("is an {level} alert"), format!("severity is {level}")];
            if stated.iter().any(|p| text.contains(p.as_str())) {
                return Some(level.to_owned());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use crate::testing::graph;

    #[test]
    fn severity_stated_in_the_description() {
        let field = graph("# CephOSDNearFull\n\n## Impact\n\n- **Severity:** Warning\n\n## Diagnosis\n\n```sh\nceph df\n```\n");
        assert_eq!(field.entry_points[0].severity.as_deref(), Some("warning"));
        let sentence = graph(
            "# KubeAPIDown\n\n## Meaning\n\nThis is a critical alert. The API is not responding.\n\n## Diagnosis\n\n```sh\noc get pods\n```\n",
        );
        assert_eq!(sentence.entry_points[0].severity.as_deref(), Some("critical"));
        let none = graph("# Disk\n\n## Meaning\n\nThe disk fills up.\n\n## Diagnosis\n\n```sh\ndf -h\n```\n");
        assert_eq!(none.entry_points[0].severity, None);
    }

    #[test]
    fn a_severity_field_under_the_problem_heading_is_its_severity() {
        let g = graph("# Ops\n\n## Disk full\n\n**Severity:** High\n\n```sh\ndf -h\n```\n");
        assert_eq!(g.entry_points[0].severity.as_deref(), Some("high"));
    }
}
