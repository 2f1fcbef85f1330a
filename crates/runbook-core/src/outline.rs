//! The outline stage: between the Markdown pass and the graph, every heading gets one role in
//! the runbook's shape — a group of problems, a problem, a procedure, a role section (symptoms,
//! diagnosis, resolution…), an option, a step heading or a part of the section above — decided
//! from the section's structure and content, not from its title words alone.
//!
//! The graph stage reads the outline: which heading is the problem a step belongs to (its entry
//! point), and which headings are role sections. `runbook graph --format outline` prints it with
//! the reason for each role, so an author can see why a heading became what it is.

use crate::document::{Document, NodeKind};
use crate::prose::{self, Role};
use crate::source::Source;

/// What a section is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionKind {
    /// Groups problems or procedures (`## Common Issues and Solutions`): each child is an entry.
    Group,
    /// Something is wrong: an alert, a symptom, an incident type. An entry point.
    Problem,
    /// A task: a checklist, maintenance, a restore, useful queries. An entry point.
    Procedure,
    /// Symptoms, diagnosis, resolution… of the problem above.
    Role(Role),
    /// One of several alternatives of the problem above (`### Option 2`, a cause).
    Option,
    /// One step of a sequence (`## 1. Check the logs`, `Step 2: …`).
    Step,
    /// A sub-section of the section above, with no role of its own.
    Part,
}

impl SectionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SectionKind::Group => "group",
            SectionKind::Problem => "problem",
            SectionKind::Procedure => "procedure",
            SectionKind::Role(r) => r.as_str(),
            SectionKind::Option => "option",
            SectionKind::Step => "step",
            SectionKind::Part => "part",
        }
    }
}

/// One heading's place in the outline.
#[derive(Debug, Clone)]
pub struct Section {
    pub kind: SectionKind,
    /// The heading of the problem or procedure this section belongs to (itself for one).
    pub problem: Option<usize>,
    /// Why the section got its kind, for `graph --format outline`.
    pub why: &'static str,
}

/// The outline of a document: one [`Section`] per heading, in document order.
#[derive(Debug, Clone, Default)]
pub struct Outline {
    pub sections: Vec<Section>,
}

impl Outline {
    /// For each heading, the heading of the problem it belongs to.
    pub fn problems(&self) -> Vec<Option<usize>> {
        self.sections.iter().map(|s| s.problem).collect()
    }
}

/// What the body of one section (up to its first sub-heading) holds.
#[derive(Debug, Clone, Copy, Default)]
struct Body {
    /// Bold pseudo-headings (`**Diagnosis:**`) that name a role.
    role_labels: usize,
    /// Bold pseudo-headings of any kind (`**Immediate Actions:**`, `**Data Corruption:**`).
    labels: usize,
    code: usize,
    items: usize,
}

fn bodies(source: &Source, doc: &Document) -> Vec<Body> {
    let mut out = vec![Body::default(); doc.headings.len()];
    for node in &doc.nodes {
        let Some(h) = node.section else { continue };
        let b = &mut out[h];
        match &node.kind {
            NodeKind::Paragraph if node.list.depth == 0 => {
                let text = &source.text[node.span.range()];
                if is_label(text) {
                    b.labels += 1;
                    if label_role(text).is_some() {
                        b.role_labels += 1;
                    }
                }
            }
            NodeKind::Code(block) if !block.is_step_annotation() => b.code += 1,
            NodeKind::ItemStart | NodeKind::Task { .. } => b.items += 1,
            _ => {}
        }
    }
    out
}

/// A paragraph that is a bold label standing alone: `**Diagnosis:**`, `**Data Corruption:**`.
pub(crate) fn is_label(paragraph: &str) -> bool {
    let t = paragraph.trim().trim_end_matches(':');
    let inner = t.strip_prefix("**").and_then(|r| r.strip_suffix("**")).or_else(|| t.strip_prefix("__").and_then(|r| r.strip_suffix("__")));
    inner.is_some_and(|i| !i.is_empty() && !i.contains("**") && !i.contains('\n') && i.len() <= 80)
}

/// The role a bold label names, if any.
pub(crate) fn label_role(paragraph: &str) -> Option<Role> {
    let t = paragraph.trim().trim_end_matches(':');
    let inner = t.trim_matches(['*', '_']).trim().trim_end_matches(':');
    prose::role(inner)
}

/// Builds the outline of `doc`.
pub fn outline(source: &Source, doc: &Document) -> Outline {
    let n = doc.headings.len();
    let body = bodies(source, doc);
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, h) in doc.headings.iter().enumerate() {
        if let Some(p) = h.parent {
            children[p].push(i);
        }
    }
    // `# Troubleshooting database degradation` over `## Check CPU utilization`, `## Check for
    // slow queries`…: the document's subject, a problem whose checks are its parts, not a role
    // section of nothing.
    let guide: Vec<bool> = doc
        .headings
        .iter()
        .enumerate()
        .map(|(i, h)| {
            h.parent.is_none()
                && h.role == Some(Role::Diagnosis)
                && h.title.split_whitespace().count() >= 3
                && doc.headings.get(i + 1).is_some_and(|c| c.parent == Some(i))
        })
        .collect();
    // `### Debugging containers in pods` over `#### Attach PVC`, `#### Add an ephemeral debug
    // container`…, each with its commands and nothing above them: a set of how-tos, each an
    // entry of its own, not the diagnosis of the section above. (A resolution's sub-sections
    // are its options; a bare `### Diagnosis` names only its role.)
    let howtos: Vec<bool> = doc
        .headings
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let kids = &children[i];
            h.parent.is_some()
                && h.role.is_some_and(|r| r != Role::Resolution)
                && h.title.split_whitespace().count() >= 3
                && body[i].code == 0
                && kids.len() >= 2
                && kids.iter().all(|&c| doc.headings[c].role.is_none() && !is_step_heading(&doc.headings[c].title))
                && kids.iter().filter(|&&c| body[c].code > 0).count() >= 2
        })
        .collect();
    let roles: Vec<Option<Role>> =
        doc.headings.iter().enumerate().map(|(i, h)| if guide[i] || howtos[i] { None } else { h.role }).collect();
    // A section that carries roles of its own: role sub-headings or role labels in its body.
    let carries_roles: Vec<bool> =
        (0..n).map(|i| roles[i].is_none() && (body[i].role_labels > 0 || children[i].iter().any(|&c| roles[c].is_some()))).collect();
    // Structured like a problem or procedure of its own: roles, or several labelled parts.
    let structured: Vec<bool> = (0..n).map(|i| carries_roles[i] || (roles[i].is_none() && body[i].labels >= 2)).collect();
    // A group: its own body has no roles, and two or more of its children are structured.
    let group: Vec<bool> = (0..n)
        .map(|i| howtos[i] || roles[i].is_none() && body[i].role_labels == 0 && children[i].iter().filter(|&&c| structured[c]).count() >= 2)
        .collect();
    // A role title among sibling procedures (`### Troubleshooting` beside `### System Status`
    // and `### Deployment`, all holding commands) is one more procedure, not a role section.
    let procedure_role: Vec<bool> = (0..n)
        .map(|i| {
            // (The children of the document's title are its role sections, whatever else it has.)
            let Some(p) = doc.headings[i].parent.filter(|&p| doc.headings[p].level >= 2) else { return false };
            roles[i].is_some_and(|r| r != Role::Context)
                && (body[i].code > 0 || body[i].labels >= 2)
                && children[p].iter().all(|&c| c == i || roles[c].is_none())
                && children[p].iter().any(|&c| c != i && body[c].code > 0 && !is_step_heading(&doc.headings[c].title))
        })
        .collect();

    // `## Redis is down` with nothing under it but `### Start Redis`: the sub-section is what
    // to do about it, a part of that entry, not an entry of its own. (Under `## Switch master
    // manually`, an action itself, `### How to switch primaries` is the entry.)
    let mut has_nodes = vec![false; n];
    for node in &doc.nodes {
        if let Some(h) = node.section {
            has_nodes[h] = true;
        }
    }
    let lone_child_of_empty: Vec<bool> = (0..n)
        .map(|i| {
            doc.headings[i].parent.is_some_and(|p| {
                !has_nodes[p]
                    && roles[p].is_none()
                    && children[p].len() == 1
                    && doc.headings[p].parent.is_some()
                    && children[i].is_empty()
                    && !prose::is_instruction(&doc.headings[p].title)
                    && prose::is_instruction(&doc.headings[i].title)
            }) && roles[i].is_none()
        })
        .collect();
    // `## Details about Sentry installation` holding `source …/activate` and `pip list`: the
    // word "details" names notes, but a titled subject with commands is a procedure. (A bare
    // `## Overview` or `## Background` stays notes, whatever it shows.)
    let notes_with_commands: Vec<bool> = (0..n)
        .map(|i| {
            roles[i] == Some(Role::Context)
                && doc.headings[i].parent.is_some()
                && doc.headings[i].title.split_whitespace().count() >= 3
                && body[i].code > 0
        })
        .collect();
    let step: Vec<bool> = doc.headings.iter().map(|h| is_step_heading(&h.title)).collect();
    let container: Vec<bool> = doc.headings.iter().map(|h| is_alternatives_container(&h.title)).collect();
    let ways: Vec<bool> = (0..n).map(|i| asks_for_ways(doc, i, &children[i], &roles, &step)).collect();
    // `### Restoring with WAL-G` beside `### Restoring with a disk snapshot`: one task done
    // two ways, side by side.
    let mut variant = vec![false; n];
    for kids in &children {
        for pair in kids.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            if roles[a].is_none() && roles[b].is_none() && same_way_prefix(&doc.headings[a].title, &doc.headings[b].title) {
                variant[a] = true;
                variant[b] = true;
            }
        }
    }
    let mut sections: Vec<Section> = Vec::with_capacity(n);
    // The last problem opened at each level, for `## 1. Check …` siblings of `## The problem`.
    let mut problem_at_level: [Option<usize>; 7] = [None; 7];
    for i in 0..n {
        let h = &doc.headings[i];
        let parent_problem = h.parent.and_then(|p| sections[p].problem);
        let parent_is_role = h.parent.is_some_and(|p| matches!(sections[p].kind, SectionKind::Role(_)));
        let parent_group = h.parent.is_some_and(|p| group[p]);
        let level = usize::from(h.level.min(6));
        let sibling_problem = problem_at_level[level].filter(|&p| doc.headings[p].parent == h.parent);
        let has_role_child = children[i].iter().any(|&c| roles[c].is_some());
        let (kind, problem, why) = if guide[i] {
            (SectionKind::Problem, Some(i), "a troubleshooting guide: the document's subject")
        } else if let Some(p) = h.parent.filter(|&p| guide[p] && roles[i].is_none() && prose::is_instruction(&h.title)) {
            (SectionKind::Part, Some(p), "one check of the troubleshooting guide above")
        } else if group[i] {
            (SectionKind::Group, Some(i), "two or more of its sub-sections are problems or procedures of their own")
        } else if parent_group && (structured[i] || roles[i].is_none()) {
            let kind = if carries_roles[i] { SectionKind::Problem } else { SectionKind::Procedure };
            (kind, Some(i), "a member of the group above")
        } else if lone_child_of_empty[i] && parent_problem.is_some() && !parent_group {
            (SectionKind::Part, parent_problem, "the only sub-section of an empty section")
        } else if notes_with_commands[i] {
            (SectionKind::Procedure, Some(i), "notes on a subject, with commands")
        } else if procedure_role[i] {
            (SectionKind::Procedure, Some(i), "a role title among sibling procedures that hold commands")
        } else if let Some(r) = roles[i] {
            (SectionKind::Role(r), parent_problem, "its title names a role")
        } else if step[i] && !structured[i] && h.parent.is_some() {
            (SectionKind::Step, parent_problem.or(h.parent), "a numbered or `Step N` heading")
        } else if step[i] && !structured[i] && sibling_problem.is_some() {
            (SectionKind::Step, sibling_problem, "a numbered heading after the problem it continues")
        } else if (container[i] || h.parent.is_some_and(|p| container[p])) && parent_problem.is_some() {
            // `#### Network issues` under `### Potential issues and resolutions`: one cause
            // among several, of the problem above.
            (SectionKind::Option, parent_problem, "one of several causes or alternatives")
        } else if h.parent.is_some_and(|p| ways[p] && !group[p]) && parent_problem.is_some() {
            // `### Grafana`, `### redis-cli` under `## Is redis running?`: one way to answer it.
            (SectionKind::Option, parent_problem, "one of several ways to answer the question above")
        } else if variant[i] && !structured[i] && parent_problem.is_some() && h.parent.is_some_and(|p| !group[p]) {
            (SectionKind::Option, parent_problem, "one of several ways to do it, beside its siblings")
        } else if h.parent.is_some_and(|p| matches!(sections[p].kind, SectionKind::Option | SectionKind::Part))
            && parent_problem.is_some_and(|q| ways[q])
            && !structured[i]
        {
            // `#### Monitoring the slowlog` under `### slowlog`, one of those ways: still that way.
            (SectionKind::Part, parent_problem, "part of the option above")
        } else if h.parent.is_some_and(|p| sections[p].kind == SectionKind::Option && !has_nodes[p] && children[p].len() >= 2)
            && parent_problem.is_some()
            && roles[i].is_none()
        {
            // `#### dashboards.gitlab.net`, `#### worker*.gitlab.com` under an empty `### Well
            // known hosts` option: each host is a case of its own.
            (SectionKind::Option, parent_problem, "one of several ways to do it: a case of the empty option above")
        } else if h.parent.is_some_and(|p| step[p]) && parent_problem.is_some() {
            // `#### Certificate errors` under `### 3. Prometheus issues`: still that procedure.
            (SectionKind::Part, parent_problem, "part of the step heading above")
        } else if parent_is_role && !has_role_child && parent_problem.is_some() {
            // `### 1. Delete data` under `## Resolution`: an option of the problem above.
            let resolution = h.parent.is_some_and(|p| roles[p] == Some(Role::Resolution));
            let kind = if resolution { SectionKind::Option } else { SectionKind::Part };
            (kind, parent_problem, "a sub-section of a role section")
        } else {
            let kind = if carries_roles[i] || body[i].role_labels > 0 { SectionKind::Problem } else { SectionKind::Procedure };
            (kind, Some(i), if kind == SectionKind::Problem { "it has role sections" } else { "a section of its own" })
        };
        if problem == Some(i) {
            problem_at_level[level] = Some(i);
            problem_at_level[level + 1..].fill(None);
        }
        sections.push(Section { kind, problem, why });
    }
    Outline { sections }
}

/// Applies the outline's decisions to the document's headings: a role title that the outline
/// made a procedure is no longer a role section.
pub fn apply(outline: &Outline, doc: &mut Document) {
    for (h, s) in doc.headings.iter_mut().zip(&outline.sections) {
        if !matches!(s.kind, SectionKind::Role(_)) {
            h.role = None;
        }
        h.group = s.kind == SectionKind::Group;
    }
    // A heading whose sub-sections the outline made its ways.
    for (i, s) in outline.sections.iter().enumerate() {
        if s.kind == SectionKind::Option
            && s.why.starts_with("one of several ways")
            && let Some(p) = doc.headings[i].parent
        {
            doc.headings[p].ways = true;
        }
    }
}

/// `Restoring with WAL-G` / `Restoring with a disk snapshot`, `Visualize using X` / `Visualize
/// using Y`: the same verb and connector, a different means.
fn same_way_prefix(a: &str, b: &str) -> bool {
    let words = |t: &str| t.split_whitespace().take(2).map(str::to_ascii_lowercase).collect::<Vec<_>>();
    let (wa, wb) = (words(a), words(b));
    // (An action — `Restoring`, `Visualize` — not a noun: `Problems with …` are problems.)
    wa.len() == 2
        && wa == wb
        && matches!(wa[1].as_str(), "with" | "using" | "via" | "from" | "by" | "through")
        && (wa[0].ends_with("ing") || prose::is_instruction(&format!("{} it", wa[0])))
}

/// A question (`Is redis running?`, `How to get redis stats?`) or an alert name over two or
/// more plain sub-sections: each sub-section is one way to answer it (a dashboard, a CLI) or
/// one case of the alert, the operator picks one. Not when a sub-section is a role or a
/// numbered step.
fn asks_for_ways(doc: &Document, i: usize, children: &[usize], roles: &[Option<Role>], step: &[bool]) -> bool {
    let title = doc.headings[i].title.trim();
    // An alert (`CortexRequestLatency`) over `Write Latency` and `Read Latency`: its cases.
    let alert = !title.contains(' ')
        && title.starts_with(|c: char| c.is_ascii_uppercase())
        && title.chars().all(|c| c.is_ascii_alphanumeric())
        && doc.headings[i].level >= 2
        // Words run together: two lower-to-upper joins (`CortexRequestLatency`, not `PostgreSQL`).
        && title.as_bytes().windows(2).filter(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase()).count() >= 2;
    (title.ends_with('?') || alert)
        && roles[i].is_none()
        && children.len() >= 2
        && children.iter().all(|&c| roles[c].is_none() && !step[c] && !doc.headings[c].title.trim().ends_with('?'))
}

/// `Step 1: …`: a heading that is one step of a sequence.
pub(crate) fn is_step_heading_sequential(title: &str) -> bool {
    let t = title.trim().to_ascii_lowercase();
    let t = t.trim_start_matches(|c: char| !c.is_ascii_alphanumeric());
    ["step", "phase", "stage"]
        .iter()
        .any(|w| t.strip_prefix(w).map(str::trim_start).is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit())))
}

/// `Step 1: …`, `1. …`, `Option 2 …`: a heading that is part of a procedure, not a problem.
pub(crate) fn is_step_heading(title: &str) -> bool {
    let t = title.trim().to_ascii_lowercase();
    let t = t.trim_start_matches(|c: char| !c.is_ascii_alphanumeric());
    let after_word = |w: &str| t.strip_prefix(w).map(|r| r.trim_start()).is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()));
    after_word("step") || is_alternative_heading(title) || after_word("phase") || after_word("stage") || {
        let digits = t.chars().take_while(|c| c.is_ascii_digit()).count();
        digits > 0 && t[digits..].starts_with(['.', ')', ':'])
    }
}

/// `Possible causes`, `Potential issues and resolutions`, `Common problems`: a heading whose
/// sub-headings are alternatives (one of them applies), not steps in a row — unless the
/// outline finds they are problems of their own (then the heading is a group).
pub(crate) fn is_alternatives_container(title: &str) -> bool {
    let t = title.trim().trim_end_matches(':').to_ascii_lowercase();
    let t = t.trim_start_matches(|c: char| !c.is_ascii_alphabetic());
    [
        "possible causes",
        "potential causes",
        "common causes",
        "causes",
        "potential issues",
        "possible issues",
        "common issues",
        "known issues",
        "common problems",
        "known problems",
        "issues and resolutions",
        "common scenarios",
        "failure scenarios",
        "scenarios",
    ]
    .iter()
    .any(|w| t.strip_prefix(w).is_some_and(|rest| rest.is_empty() || rest.starts_with(' ')))
}

/// Heading `h` lists causes or alternatives of one problem (and is not a group of problems).
pub(crate) fn is_cause_container(doc: &Document, h: usize) -> bool {
    !doc.headings[h].group && is_alternatives_container(&doc.headings[h].title)
}

/// `Once it is fixed, restart the compactor`, `Finally: verify`: where every option continues,
/// not one more option.
pub(crate) fn is_follow_up_heading(title: &str) -> bool {
    let first = title.trim().split([' ', ',', ':']).next().unwrap_or("").to_ascii_lowercase();
    matches!(first.as_str(), "once" | "after" | "afterwards" | "finally" | "then" | "lastly" | "next")
}

/// `Option 2`, `Approach 1: …`, `Method B`: one of several ways, wherever it stands.
pub(crate) fn is_alternative_heading(title: &str) -> bool {
    let t = title.trim().trim_start_matches(|c: char| !c.is_ascii_alphanumeric());
    ["option", "approach", "method", "alternative", "solution"].iter().any(|w| {
        let rest = t.get(..w.len()).filter(|head| head.eq_ignore_ascii_case(w)).map(|_| &t[w.len()..]);
        // The number follows after a space: `Option 2`, `Approach 1: …`, `Method B` (one
        // capital letter), never `Options` or `Solutions`.
        rest.and_then(|r| r.strip_prefix(' ')).map(str::trim_start).is_some_and(|r| {
            let mut chars = r.chars();
            match chars.next() {
                Some(c) if c.is_ascii_digit() => true,
                Some(c) if c.is_ascii_uppercase() => chars.next().is_none_or(|n| matches!(n, ':' | ' ' | '.' | ')')),
                _ => false,
            }
        })
    })
}

/// The outline as text, one heading a line: line number, indentation by level, title, kind
/// and why.
pub fn render(source: &Source, doc: &Document, outline: &Outline) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for (h, s) in doc.headings.iter().zip(&outline.sections) {
        let line = source.line_col(h.span.start).line;
        let indent = "  ".repeat(usize::from(h.level.saturating_sub(1)));
        let _ = writeln!(out, "{line:>5}  {indent}{}  [{}] {}", h.title, s.kind.as_str(), s.why);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(md: &str) -> Vec<(String, &'static str, Option<String>)> {
        let source = Source::new("t.md", md);
        let doc = crate::document::parse(&source.text);
        let o = outline(&source, &doc);
        doc.headings
            .iter()
            .zip(&o.sections)
            .map(|(h, s)| (h.title.clone(), s.kind.as_str(), s.problem.map(|p| doc.headings[p].title.clone())))
            .collect()
    }

    #[test]
    fn a_heading_whose_children_carry_roles_groups_problems() {
        let k = kinds(
            "# Ops\n## Common Issues and Solutions\n### A fails\n**Symptoms:**\n- x\n\n**Diagnosis:**\n```sh\nls\n```\n### B fails\n**Diagnosis:**\n```sh\nls\n```\n",
        );
        assert_eq!(k[1].1, "group");
        assert_eq!(k[2], ("A fails".into(), "problem", Some("A fails".into())));
        assert_eq!(k[3].1, "problem");
    }

    #[test]
    fn a_role_titled_set_of_howtos_with_commands_groups_procedures() {
        let k = kinds(
            "# K8s\n## Attaching to a container\nSome images have no shell.\n### Debugging containers in pods\nA few ideas:\n\
             #### Attach a volume\n```\ntoolbox --bind=/var/lib/x\n```\n#### Add an ephemeral container\n```\nkubectl debug -it p --image=busybox\n```\n",
        );
        assert_eq!(k[2].1, "group");
        assert_eq!(k[3], ("Attach a volume".into(), "procedure", Some("Attach a volume".into())));
        assert_eq!(k[4].1, "procedure");
        // A bare role title keeps its role: its sub-sections are parts of the diagnosis.
        let k = kinds("# Ops\n## Disk full\n### Diagnosis\n#### Check usage\n```\ndf -h\n```\n#### Check inodes\n```\ndf -i\n```\n");
        assert_eq!(k[2].1, "diagnosis");
        assert_eq!(k[3].1, "part");
    }

    #[test]
    fn the_only_action_under_an_empty_problem_heading_is_part_of_it() {
        let k = kinds("# Cache\n## Cache is down\n### Start the cache\n`sudo systemctl start cache`\n## Other\ntext\n");
        assert_eq!(k[1].1, "procedure");
        assert_eq!(k[2], ("Start the cache".into(), "part", Some("Cache is down".into())));
        // Under an action, the only sub-section is the entry: the author named the task there.
        let k = kinds("# Cache\n## Switch primary manually\n### How to switch the primary\n```\nredis-cli failover\n```\n");
        assert_eq!(k[2].1, "procedure");
    }

    #[test]
    fn cases_under_an_empty_option_are_options() {
        let k = kinds(
            "# Disk\n## Resolution\nFirst, check the host.\n### Well known hosts\n#### dashboards.example.net\nRestart influxdb.\n\
             #### worker*.example.com\nRestart nginx.\n### Anything else\nClean the logs.\n",
        );
        assert_eq!(k[2].1, "option");
        assert_eq!(k[3], ("dashboards.example.net".into(), "option", Some("Disk".into())));
        assert_eq!(k[4].1, "option");
    }

    #[test]
    fn numbered_children_with_labels_are_problems_not_steps() {
        let k = kinds(
            "## Emergency Procedures\n### 1. System Down\n**Immediate Actions:**\n1. a\n\n**Rollback:**\n```sh\nls\n```\n### 2. Database Issues\n**Critical Failure:**\n1. a\n\n**Data Corruption:**\n1. b\n",
        );
        assert_eq!(k[0].1, "group");
        assert_eq!(k[1].2.as_deref(), Some("1. System Down"));
        assert_eq!(k[2].2.as_deref(), Some("2. Database Issues"));
    }

    #[test]
    fn possible_causes_children_without_roles_stay_options() {
        let k = kinds("# NodeDiskFull\n## Diagnosis\n```sh\nls\n```\n## Possible causes\n### Disk full\ntext\n### Network\ntext\n");
        assert_eq!(k[3], ("Disk full".into(), "option", Some("NodeDiskFull".into())));
    }

    #[test]
    fn a_role_title_among_procedures_is_a_procedure() {
        let k = kinds("## Useful Commands\n### Status\n```sh\nls\n```\n### Deploy\n```sh\nls\n```\n### Troubleshooting\n```sh\nls\n```\n");
        assert_eq!(k[3], ("Troubleshooting".into(), "procedure", Some("Troubleshooting".into())));
    }

    #[test]
    fn role_sections_of_an_alert_stay_roles() {
        let k = kinds("# KubePodCrashLooping\n## Meaning\ntext\n## Diagnosis\n```sh\nkubectl get pods\n```\n## Mitigation\ntext\n");
        assert_eq!(k[0].1, "problem");
        assert_eq!(k[2], ("Diagnosis".into(), "diagnosis", Some("KubePodCrashLooping".into())));
    }

    #[test]
    fn step_headings_continue_their_procedure() {
        let k = kinds("# Restore\n## 1. Stop the app\n```sh\nls\n```\n## 2. Restore\n```sh\nls\n```\n");
        assert_eq!(k[1], ("1. Stop the app".into(), "step", Some("Restore".into())));
    }

    #[test]
    fn sub_sections_of_a_question_are_its_ways() {
        let k = kinds(
            "# Redis
## Is redis running?
### Grafana
See the dashboards.
### redis-cli
```sh
redis-cli info
```
#### Replication
```sh
redis-cli info replication
```
",
        );
        assert_eq!(k[2], ("Grafana".into(), "option", Some("Is redis running?".into())));
        assert_eq!(k[3], ("redis-cli".into(), "option", Some("Is redis running?".into())));
        assert_eq!(k[4], ("Replication".into(), "part", Some("Is redis running?".into())));
    }

    #[test]
    fn a_troubleshooting_guide_title_is_the_problem_and_its_checks_parts() {
        let k = kinds(
            "# Troubleshooting database degradation\n## Check CPU utilization\n```sh\ntop\n```\n## Check for slow queries\n```sh\nls\n```\n",
        );
        assert_eq!(k[0].1, "problem");
        assert_eq!(k[1], ("Check CPU utilization".into(), "part", Some("Troubleshooting database degradation".into())));
    }

    #[test]
    fn sibling_ways_of_one_task_are_options() {
        let k = kinds(
            "# DR\n## Setup Replication\n### Pre-requisites\nA disk.\n### Restoring with WAL-G\n```sh\nwal-g backup-fetch\n```\n### Restoring with a disk-snapshot\n```sh\ngcloud compute disks create x\n```\n",
        );
        assert_eq!(k[3], ("Restoring with WAL-G".into(), "option", Some("Setup Replication".into())));
        assert_eq!(k[2].1, "procedure");
        // Nouns are not ways: `Problems with replication` / `Problems with performance`.
        let k = kinds("# P\n## Failover\n### Problems with replication\n```sh\nls\n```\n### Problems with performance\n```sh\nls\n```\n");
        assert_eq!(k[2].1, "procedure");
    }

    #[test]
    fn sub_sections_of_an_alert_are_its_cases() {
        let k = kinds(
            "# Alerts
## CortexRequestLatency
### Write Latency
```sh
ls
```
### Read Latency
```sh
ls
```
",
        );
        assert_eq!(k[2], ("Write Latency".into(), "option", Some("CortexRequestLatency".into())));
        // A product name is not an alert: `PostgreSQL` keeps its procedures.
        let k = kinds(
            "# Ops
## PostgreSQL
### Disk full
```sh
ls
```
### Standby
```sh
ls
```
",
        );
        assert_eq!(k[2].1, "procedure");
    }
}
