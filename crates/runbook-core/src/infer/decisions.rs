//! Resolution options as a decision: the option each resolution step belongs to (a numbered
//! option, a labelled alternative, a cause item), and the decision step inserted before them.

use super::*;

/// A run of resolution options inside one problem: drafts `[start, end)` after the inserted
/// decision draft at `decision`, grouped by option.
#[derive(Debug)]
pub(crate) struct OptionRun {
    pub decision: usize,
    /// (label, first draft, last draft) per option.
    pub options: Vec<(String, usize, usize)>,
    /// The first draft after the run in the same problem, if any.
    pub after: Option<usize>,
}

/// The option a resolution draft belongs to: a key and its label.
pub(super) fn option_of(
    doc: &Document,
    problems: &[Option<usize>],
    item_text: &HashMap<usize, &str>,
    follow_up: &HashSet<usize>,
    labelled: &HashMap<usize, (usize, String)>,
    causes: &HashMap<usize, (usize, String)>,
    d: &Draft,
) -> Option<(usize, String)> {
    let mut section = d.section?;
    let in_resolution = |h: usize| doc.headings[h].role == Some(Role::Resolution);
    // `### 1. Delete data` (or any non-step heading) directly under a resolution heading; a
    // way under a question; its own sub-sections are part of it.
    loop {
        let heading = &doc.headings[section];
        if problems[section] == Some(section) {
            break;
        }
        if let Some(parent) = heading.parent
            && (in_resolution(parent)
                || crate::outline::is_alternative_heading(&heading.title)
                || crate::outline::is_cause_container(doc, parent)
                || doc.headings[parent].ways)
            && heading.role.is_none()
            && !crate::outline::is_step_heading_sequential(&heading.title)
            && !crate::outline::is_follow_up_heading(&heading.title)
            && !follow_up.contains(&section)
        {
            return Some((section * 2, option_label(&heading.title)));
        }
        // Up to the option this sub-section is part of.
        match heading.parent {
            Some(p) if problems[section].is_some() => section = p,
            _ => break,
        }
    }
    // `**Data Corruption:**` and its list, after `**Critical Database Failure:**` and its list.
    if let Some((label_node, label)) = labelled.get(&d.node) {
        return Some((usize::MAX / 4 + label_node, label.clone()));
    }
    // `1. Imbalance on pgbouncer connections` over its checks and fix, `2. Too many Sidekiq
    // connections` over its own: one cause each, in a diagnosis or resolution section.
    if matches!(d.role, Some(Role::Diagnosis | Role::Resolution))
        && let Some((owner, label)) = d.list.item.and_then(|item| causes.get(&item))
    {
        return Some((usize::MAX / 2 + owner, label.clone()));
    }
    // `1. **Account locked**: …` list items in a resolution section.
    if d.role == Some(Role::Resolution) {
        let item = d.list.item?;
        let text = item_text.get(&item)?.trim_start();
        if let Some(bold) = text.strip_prefix("**").and_then(|t| t.split_once("**")).map(|(b, _)| b) {
            return Some((usize::MAX / 2 + item, option_label(bold)));
        }
    }
    None
}

/// Bold labels that name alternatives: two or more `**Critical Database Failure:**`-style
/// labels in one section, each over its own list or block, none of them a role (`**Diagnosis:**`)
/// or a phase of one sequence (`**Immediate Actions:**`, `**Procedure:**`, `**Notes:**`). Each
/// node under such a label (up to the next one) maps to (the label's node, its words).
pub(super) fn labelled_alternatives(source: &Source, doc: &Document) -> HashMap<usize, (usize, String)> {
    const PHASES: &[&str] = &[
        "action",
        "step",
        "procedure",
        "process",
        "immediate",
        "short-term",
        "long-term",
        "follow-up",
        "note",
        "prerequisite",
        "pre-requisite",
        "requirement",
        "how to",
        "overview",
        "example",
        "before",
        "after",
        "during",
        "verif",
        "cleanup",
        "clean-up",
        "prepar",
        "setup",
        "context",
        "background",
        "warning",
        "important",
        "caution",
        "tip",
        "output",
        "result",
        "summary",
        "description",
        "impact",
        "detail",
        "reference",
        "links",
        "checklist",
        "task",
        "daily",
        "weekly",
        "monthly",
    ];
    let mut out = HashMap::new();
    // (section, label nodes) of the section being read; flushed when the section changes.
    let mut section: Option<usize> = None;
    let mut labels: Vec<(usize, String)> = Vec::new();
    let mut fits = true;
    let flush = |labels: &mut Vec<(usize, String)>, fits: bool, end: usize, out: &mut HashMap<usize, (usize, String)>| {
        if fits && labels.len() >= 2 {
            let bounds: Vec<usize> = labels.iter().skip(1).map(|(n, _)| *n).chain(std::iter::once(end)).collect();
            for ((node, label), until) in labels.iter().zip(bounds) {
                for n in node + 1..until {
                    out.insert(n, (*node, label.clone()));
                }
            }
        }
        labels.clear();
    };
    for (index, node) in doc.nodes.iter().enumerate() {
        if node.section != section {
            flush(&mut labels, fits, index, &mut out);
            section = node.section;
            fits = true;
        }
        if !matches!(node.kind, NodeKind::Paragraph) || node.list.depth != 0 {
            continue;
        }
        let text = &source.text[node.span.range()];
        if !crate::outline::is_label(text) {
            continue;
        }
        let words = prose::plain_text(text).trim().trim_end_matches(':').trim().to_owned();
        let lower = words.to_ascii_lowercase();
        if crate::outline::label_role(text).is_some() || PHASES.iter().any(|p| lower.contains(p)) {
            fits = false;
        }
        // Each label must have something under it: the next node is not another label.
        let empty = doc.nodes.get(index + 1).is_none_or(|n| {
            n.section != node.section
                || (matches!(n.kind, NodeKind::Paragraph) && n.list.depth == 0 && crate::outline::is_label(&source.text[n.span.range()]))
        });
        if empty {
            fits = false;
        }
        labels.push((index, words));
    }
    flush(&mut labels, fits, doc.nodes.len(), &mut out);
    out
}

/// Top-level list items that each name a cause over their own checks and fixes
/// (`1. Imbalance on pgbouncer connections` then its bullets): for each item, its cause's item and label,
/// when every numbered item of the section is such a label (a noun phrase, not an instruction
/// or a phase) and there are two or more. The bullets may be nested in the item, or written
/// under it with too little indentation to nest (a list of their own): they are still its.
pub(super) fn cause_items(source: &Source, doc: &Document) -> HashMap<usize, (usize, String)> {
    struct Cause {
        item: usize,
        numbered: bool,
        bold: bool,
        /// The label, if the item is one.
        label: Option<String>,
        /// Content nested in the item (not under-indented after it).
        nested: bool,
    }
    let mut by_section: HashMap<Option<usize>, Vec<Cause>> = HashMap::new();
    for (index, n) in doc.nodes.iter().enumerate() {
        let (Some(item), NodeKind::ItemStart, 1) = (n.list.item, &n.kind, n.list.depth) else { continue };
        let lead = crate::document::item_lead_text(&source.text, n.span).0.trim();
        let plain = prose::plain_text(lead);
        let lower = plain.to_ascii_lowercase();
        let nested = doc.nodes[index + 1..]
            .iter()
            .take_while(|m| m.span.start < n.span.end)
            .any(|m| m.list.depth >= 2 || matches!(m.kind, NodeKind::Code(_)));
        let label = !lead.contains('`')
            && !lead.contains('\n')
            && !plain.ends_with(['.', '?', '!'])
            && (2..=8).contains(&plain.split_whitespace().count())
            && !prose::is_instruction(&plain)
            && !lower.starts_with("if ")
            && !["prepar", "setup", "verif", "cleanup", "clean-up", "rollback", "follow-up", "before", "after", "during", "step", "phase"]
                .iter()
                .any(|p| lower.contains(p));
        // `2. **Check the shard size**<br />` and its bullets: the author's bold words label it.
        let bold = lead.strip_prefix("**").and_then(|t| t.split_once("**")).map(|(b, _)| option_label(b)).filter(|b| !b.is_empty());
        let label = bold.or_else(|| label.then(|| plain.trim_end_matches(':').trim().to_owned()));
        by_section.entry(n.section).or_default().push(Cause {
            item,
            numbered: n.list.number.is_some(),
            bold: lead.starts_with("**"),
            label,
            nested,
        });
    }
    let mut out = HashMap::new();
    for items in by_section.into_values() {
        let numbered: Vec<&Cause> = items.iter().filter(|i| i.numbered).collect();
        if numbered.len() < 2 || !numbered.iter().all(|i| i.label.is_some()) {
            continue;
        }
        let all_bold = numbered.iter().all(|i| i.bold);
        // Each numbered label owns its nested content or the bullets right after it.
        let mut owner: Option<(usize, &String)> = None;
        let mut owned = 0;
        for c in &items {
            if c.numbered {
                owner = c.label.as_ref().map(|l| (c.item, l));
                if c.nested {
                    owned += 1;
                }
            } else if owner.is_some() && items.iter().any(|i| i.numbered && i.item + 1 == c.item) {
                owned += 1;
            }
            if let Some((o, l)) = owner {
                out.insert(c.item, (o, l.clone()));
            }
        }
        if owned < 2 && !all_bold {
            for c in &items {
                out.remove(&c.item);
            }
        }
    }
    out
}

pub(super) fn option_label(title: &str) -> String {
    let t = prose::plain_text(title);
    let t = t.trim_start_matches(|c: char| c.is_ascii_digit() || matches!(c, '.' | ')' | ' ' | ':' | '#'));
    let lower = t.to_ascii_lowercase();
    let t = if lower.starts_with("option") || lower.starts_with("solution") {
        t.split_once([':', '-', '–']).map_or(t, |(_, rest)| rest.trim())
    } else {
        t
    };
    t.trim_end_matches(':').trim().to_owned()
}

/// Inserts a decision draft before each run of two or more resolution options.
pub(crate) fn insert_decisions(source: &Source, doc: &Document, drafts: &mut Vec<Draft>, problems: &[Option<usize>]) -> Vec<OptionRun> {
    // The lead text of each top-level list item: where `**Option**:` labels are.
    let mut item_text: HashMap<usize, &str> = HashMap::new();
    for n in &doc.nodes {
        if let (Some(item), NodeKind::ItemStart, 1) = (n.list.item, &n.kind, n.list.depth) {
            item_text.entry(item).or_insert_with(|| crate::document::item_lead_text(&source.text, n.span).0);
        }
    }
    // Sections whose first paragraph says they follow the options ("Once the cause is
    // removed, restart the compactor"): not one more option.
    let mut follow_up: HashSet<usize> = HashSet::new();
    let mut seen: HashSet<usize> = HashSet::new();
    for n in &doc.nodes {
        if let (NodeKind::Paragraph, Some(h), 0) = (&n.kind, n.section, n.list.depth)
            && seen.insert(h)
            && crate::outline::is_follow_up_heading(&source.text[n.span.range()])
        {
            follow_up.insert(h);
        }
    }
    let labelled = labelled_alternatives(source, doc);
    let causes = cause_items(source, doc);
    // Alternatives ("If A …", "or …") that open a problem, or a role section, have no step
    // before them in the same place to ask the question: a decision step there asks it.
    // (Options, `### Approach 2`, already have theirs.)
    let problem_of = |d: &Draft| d.section.and_then(|s| problems[s]);
    let conditioned = |d: &Draft| {
        d.condition.is_some()
            && d.annotation.is_none()
            && d.kind != StepKind::Decision
            && option_of(doc, problems, &item_text, &follow_up, &labelled, &causes, d).is_none()
    };
    let opens_here = |prev: &Draft, d: &Draft| {
        problem_of(prev) != problem_of(d) || (prev.section != d.section && d.section.is_some_and(|s| doc.headings[s].role.is_some()))
    };
    let opening: Vec<usize> = (0..drafts.len())
        .filter(|&i| {
            conditioned(&drafts[i])
                && (i == 0 || opens_here(&drafts[i - 1], &drafts[i]))
                && drafts.get(i + 1).is_some_and(|n| conditioned(n) && problem_of(n) == problem_of(&drafts[i]))
        })
        .collect();
    if !opening.is_empty() {
        let old = std::mem::take(drafts);
        drafts.reserve_exact(old.len() + opening.len());
        let mut next = opening.iter().peekable();
        for (i, d) in old.into_iter().enumerate() {
            if next.peek() == Some(&&i) {
                next.next();
                let mut decision = decision_before(doc, problems, &d);
                decision.title = "Which one applies?".into();
                decision.section = d.section;
                decision.role = d.role;
                drafts.push(decision);
            }
            drafts.push(d);
        }
    }
    let keys: Vec<Option<(usize, String)>> = drafts
        .iter()
        .map(|d| {
            if d.annotation.as_ref().is_some_and(|a| !a.spec.branches.is_empty() || a.spec.next.is_some()) {
                None
            } else {
                option_of(doc, problems, &item_text, &follow_up, &labelled, &causes, d)
            }
        })
        .collect();
    let problem_of = |d: &Draft| d.section.and_then(|s| problems[s]);
    // Find runs: consecutive drafts of one problem that all have an option key.
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < drafts.len() {
        if keys[i].is_none() {
            i += 1;
            continue;
        }
        let start = i;
        let p = problem_of(&drafts[i]);
        while i < drafts.len() && keys[i].is_some() && problem_of(&drafts[i]) == p {
            i += 1;
        }
        let distinct = {
            let mut k: Vec<usize> = keys[start..i].iter().flatten().map(|(k, _)| *k).collect();
            k.dedup();
            k.len()
        };
        if distinct >= 2 {
            runs.push((start, i));
        }
    }
    let mut out = Vec::new();
    let mut shifted: Vec<(usize, usize)> = Vec::new();
    for (n, &(start, end)) in runs.iter().enumerate() {
        shifted.push((start + n, end + n));
    }
    // Rebuild the list once with a decision draft before each run (inserting one by one
    // would be quadratic on large files).
    let old = std::mem::take(drafts);
    drafts.reserve_exact(old.len() + runs.len());
    let mut all_keys: Vec<Option<(usize, String)>> = Vec::with_capacity(old.len() + runs.len());
    let mut run_starts = runs.iter().map(|&(s, _)| s).peekable();
    for (i, (d, key)) in old.into_iter().zip(keys).enumerate() {
        if run_starts.peek() == Some(&i) {
            run_starts.next();
            drafts.push(decision_before(doc, problems, &d));
            all_keys.push(None);
        }
        drafts.push(d);
        all_keys.push(key);
    }
    for &(start, end) in &shifted {
        // Options start after the decision draft.
        let mut options: Vec<(String, usize, usize)> = Vec::new();
        let mut last_key = None;
        for (j, key) in all_keys.iter().enumerate().take(end + 1).skip(start + 1) {
            let Some((k, label)) = key else {
                continue;
            };
            if last_key == Some(*k) {
                if let Some(o) = options.last_mut() {
                    o.2 = j;
                }
            } else {
                options.push((label.clone(), j, j));
                last_key = Some(*k);
            }
        }
        let p = problem_of(&drafts[start + 1]);
        // A problem's drafts are contiguous: the next draft is either in it or not.
        let after = drafts.get(end + 1).filter(|d| problem_of(d) == p).map(|_| end + 1);
        out.push(OptionRun { decision: start, options, after });
    }
    out
}

pub(super) fn decision_before(doc: &Document, problems: &[Option<usize>], first: &Draft) -> Draft {
    let resolution_parent = first.section.and_then(|s| doc.headings[s].parent.filter(|&p| doc.headings[p].role == Some(Role::Resolution)));
    // Options outside a resolution section (`Approach 1`, `Approach 2`) are ways, not fixes.
    let container = first.section.and_then(|s| doc.headings[s].parent).filter(|&p| crate::outline::is_cause_container(doc, p));
    let (section, title) = match resolution_parent {
        Some(p) => (Some(p), "Which resolution applies?"),
        None if container.is_some() => (container, "Which cause applies?"),
        None if first.role == Some(Role::Resolution) => (first.section, "Which resolution applies?"),
        // Alternatives inside the problem's own section (bold labels): the question is asked there.
        None if first.section.is_some_and(|s| problems[s] == Some(s)) => (first.section, "Which way applies?"),
        None => (first.section.and_then(|s| doc.headings[s].parent).or(first.section), "Which way applies?"),
    };
    Draft {
        kind: StepKind::Decision,
        risk: Classified { risk: Risk::Read, reason: "decision".into() },
        code: String::new(),
        code_map: vec![(0, first.span.start)],
        lang: None,
        span: crate::source::Span::new(first.span.start, first.span.start),
        section,
        list: Default::default(),
        title: title.into(),
        expected_output: None,
        http: None,
        annotation: None,
        condition: None,
        node: first.node,
        role: if resolution_parent.is_some() || first.role == Some(Role::Resolution) { Some(Role::Resolution) } else { first.role },
        opens_session: None,
        placeholders: Vec::new(),
    }
}
