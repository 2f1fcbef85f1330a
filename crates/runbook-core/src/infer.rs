//! Decisions written as prose: numbered resolution options become a decision step with a
//! branch per option, "If …" sentences become operator-judged branches, and "Skip to
//! [X](#anchor)" links become labelled edges.

use crate::document::section_end;
use crate::document::{Document, NodeKind};
use crate::draft::Draft;
use crate::model::{Risk, StepKind};
use crate::prose::{self, Role};
use crate::risk::Classified;
use crate::source::Source;
use std::collections::{HashMap, HashSet};

/// An inferred branch out of a draft.
#[derive(Debug, Clone)]
pub(crate) struct Branch {
    pub to: Option<usize>,
    pub label: String,
    pub judgement: Option<String>,
}

/// "If the cluster state is not green, …" → the sentence, when a paragraph opens with a condition.
/// "If the queue is empty, skip to [Verify](#verify)." : a jump (see `branches`), neither a
/// condition on the next step nor its title.
pub(crate) fn is_jump(paragraph: &str) -> bool {
    paragraph.contains("](#") && SKIP_WORDS.iter().any(|w| paragraph.to_ascii_lowercase().contains(w))
}

pub(crate) fn condition_sentence(paragraph: &str) -> Option<String> {
    if is_jump(paragraph) {
        return None;
    }
    // The sentence that opens the paragraph, or the one that leads into the block ("You
    // should see three rows. If so, re-queue them:").
    // Only an answer to the sentence before counts there ("If so", "If not"), and the label
    // keeps that sentence: "If it crashed, the lock may be stale:" states, it does not branch.
    opening_condition(paragraph).or_else(|| {
        let p = paragraph.trim_end();
        let cut = p.ends_with(':').then(|| p.rfind(". ")).flatten()?;
        let last = p[cut + 2..].to_ascii_lowercase();
        let answer =
            ["if so", "if not", "if yes", "if no,", "if that is the case", "if this is the case", "if that's the case", "if it does"]
                .iter()
                .any(|a| last.starts_with(a));
        let before = p[..cut + 1].rfind(". ").map_or(0, |i| i + 2);
        // "If so, re-queue them (You should see the stuck refunds.)": the answer first, for the label.
        answer.then(|| {
            let answer = prose::plain_text(&p[cut + 2..]);
            let context = prose::first_sentence(&prose::plain_text(&p[before..=cut]), 120);
            format!("{} ({context})", answer.trim_end_matches(':'))
        })
    })
}

pub(crate) fn opening_condition(paragraph: &str) -> Option<String> {
    // Cheap test on the raw start before converting the whole paragraph.
    let start = paragraph.trim_start_matches(['*', '_', ' ', '-', '>']);
    let start = start.char_indices().nth(14).map_or(start, |(i, _)| &start[..i]);
    if !["if", "when", "otherwise", "in case", "should", "only if", "in the event", "failing that", "in the case"]
        .iter()
        .any(|o| start.get(..o.len()).is_some_and(|s| s.eq_ignore_ascii_case(o)))
    {
        return None;
    }
    let text = prose::plain_text(paragraph);
    let lower = text.to_ascii_lowercase();
    // "Failing that, remove old files": the last resort, an alternative like "Otherwise".
    let opens = ["if ", "when ", "otherwise", "in case ", "should ", "only if ", "if,", "in the event ", "failing that", "in the case "];
    if opens.iter().any(|o| lower.starts_with(o)) { Some(prose::first_sentence(&text, 160)) } else { None }
}

/// Words that make a sentence with an in-document link a jump.
const SKIP_WORDS: &[&str] = &["skip to", "go to", "proceed to", "jump to", "continue with", "continue to", "move on to", "skip ahead"];

/// "Or:", "Alternatively, terminate it:", "Or, if that does not help, …" opening a paragraph:
/// what follows replaces the step before, the sentence (as plain text) says how; empty for a
/// bare "or", which says nothing.
pub(crate) fn alternative_sentence(paragraph: &str) -> Option<String> {
    let mut end = paragraph.len().min(300);
    while !paragraph.is_char_boundary(end) {
        end -= 1;
    }
    // How it opens decides (the longest opening is 14 bytes); most paragraphs open otherwise.
    let lower = prose::plain_head(&paragraph[..end], 16).to_ascii_lowercase();
    // "Another option is …", "A final option, …", "A more drastic approach is …": one more way.
    let another = ["alternative,", "alternative:", "another option", "other options", "a final option", "a last option", "a more drastic"]
        .iter()
        .any(|w| lower.starts_with(w));
    let opens = lower == "or"
        || lower.starts_with("or ")
        || lower.starts_with("or,")
        || lower.starts_with("or:")
        || lower.starts_with("alternatively")
        || another;
    opens.then(|| {
        let text = prose::plain_text(&paragraph[..end]);
        let s = prose::first_sentence(&text, 160);
        let s = s.trim_end_matches(':').trim();
        if s.eq_ignore_ascii_case("or") { String::new() } else { s.to_owned() }
    })
}

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
fn option_of(
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
fn labelled_alternatives(source: &Source, doc: &Document) -> HashMap<usize, (usize, String)> {
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
fn cause_items(source: &Source, doc: &Document) -> HashMap<usize, (usize, String)> {
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

fn option_label(title: &str) -> String {
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

fn decision_before(doc: &Document, problems: &[Option<usize>], first: &Draft) -> Draft {
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

/// Branches inferred for each draft (by index).
pub(crate) fn branches(
    source: &Source,
    doc: &Document,
    drafts: &[Draft],
    runs: &[OptionRun],
    next_in_problem: &[Option<usize>],
    problems: &[Option<usize>],
) -> (HashMap<usize, Vec<Branch>>, HashMap<usize, Option<usize>>) {
    let mut out: HashMap<usize, Vec<Branch>> = HashMap::new();
    let mut next_override: HashMap<usize, Option<usize>> = HashMap::new();
    for run in runs {
        let branches =
            run.options.iter().map(|(label, first, _)| Branch { to: Some(*first), label: label.clone(), judgement: None }).collect();
        out.insert(run.decision, branches);
        for (_, _, last) in &run.options {
            next_override.insert(*last, run.after);
        }
    }
    let mut prev_of: Vec<Option<usize>> = vec![None; drafts.len()];
    for (p, n) in next_in_problem.iter().enumerate() {
        if let Some(n) = *n {
            prev_of[n] = Some(p);
        }
    }
    // "If …" before a step: the step before it asks whether the condition holds. Consecutive
    // conditions ("If A …", "If B …", "Otherwise …") are alternatives of one decision; an
    // alternative is the steps of its list item, or the one step after its sentence.
    let mut i = 0;
    while i < drafts.len() {
        if drafts[i].condition.is_none() || drafts[i].annotation.is_some() {
            i += 1;
            continue;
        }
        let problem = |d: &Draft| d.section.and_then(|s| problems[s]);
        let mut alternatives: Vec<(usize, usize)> = Vec::new();
        let mut j = i;
        // Alternatives are written side by side, in one section: an "If …" that opens the next
        // section (another option) is not one more of them.
        while j < drafts.len()
            && drafts[j].condition.is_some()
            && drafts[j].annotation.is_none()
            && problem(&drafts[j]) == problem(&drafts[i])
            && drafts[j].section == drafts[i].section
        {
            let start = j;
            // Steps of the same list item, or the same block, belong to this alternative.
            while j + 1 < drafts.len()
                && ((drafts[j + 1].list.item.is_some() && drafts[j + 1].list.item == drafts[start].list.item)
                    || drafts[j + 1].node == drafts[start].node)
                && drafts[j + 1].condition == drafts[start].condition
            {
                j += 1;
            }
            alternatives.push((start, j));
            j += 1;
            if alternatives.len() == 1 && drafts.get(j).is_some_and(|d| d.condition.is_none()) {
                break;
            }
        }
        let (first, _) = alternatives[0];
        let last = alternatives.last().map_or(first, |a| a.1);
        let after = next_override.get(&last).copied().unwrap_or(next_in_problem[last]);
        let Some(prev) = prev_of[first] else {
            i = last + 1;
            continue;
        };
        if out.contains_key(&prev) || drafts[prev].annotation.is_some() || next_override.contains_key(&prev) {
            i = last + 1;
            continue;
        }
        let mut branches = Vec::new();
        let mut has_otherwise = false;
        for &(a, b) in &alternatives {
            let cond = drafts[a].condition.clone().unwrap_or_default();
            let lower = cond.to_ascii_lowercase();
            has_otherwise |= lower.starts_with("otherwise") || lower.starts_with("failing that");
            branches.push(Branch { to: Some(a), label: short_label(&cond), judgement: Some(cond) });
            if alternatives.len() > 1 {
                // Each alternative ends where the group ends.
                next_override.insert(b, after);
            }
        }
        // A lone "Otherwise …" (its "If" was not a sentence of its own) still leaves a way past it.
        let lone_otherwise = has_otherwise && alternatives.len() == 1;
        if !has_otherwise || lone_otherwise {
            let label = if alternatives.len() > 1 {
                "None of these"
            } else if lone_otherwise {
                "Skip it"
            } else {
                "Otherwise"
            };
            let judgement = drafts[first].condition.as_deref().map(|c| format!("Not the case: {c}"));
            let skip_to = if alternatives.len() > 1 { after } else { next_override.get(&first).copied().unwrap_or(next_in_problem[first]) };
            branches.push(Branch { to: skip_to, label: label.into(), judgement });
        }
        out.insert(prev, branches);
        i = last + 1;
    }
    // "Skip to [Mitigation](#mitigation)": a labelled edge from the step before the sentence.
    for node in &doc.nodes {
        if !matches!(node.kind, NodeKind::Paragraph) || !node.links.iter().any(|l| l.starts_with('#')) {
            continue;
        }
        let text = prose::plain_text(&source.text[node.span.range()]);
        let lower = text.to_ascii_lowercase();
        if !SKIP_WORDS.iter().any(|w| lower.contains(w)) {
            continue;
        }
        let Some(anchor) = node.links.iter().find_map(|l| l.strip_prefix('#')) else {
            continue;
        };
        let Some(h) = doc.heading_by_anchor(anchor) else {
            continue;
        };
        let Some(target) = first_draft_in_section(doc, drafts, h) else {
            continue;
        };
        // Drafts are in document order: the step before the sentence is a binary search away.
        let Some(prev) = drafts.partition_point(|d| d.span.start < node.span.start).checked_sub(1) else {
            continue;
        };
        let problem = |s: Option<usize>| s.and_then(|s| problems[s]);
        if drafts[prev].annotation.is_some()
            || out.contains_key(&prev)
            || target == prev
            || problem(drafts[prev].section) != problem(node.section)
        {
            continue;
        }
        let next = next_override.get(&prev).copied().unwrap_or(next_in_problem[prev]);
        let mut branches = vec![Branch { to: Some(target), label: short_label(&text), judgement: Some(prose::first_sentence(&text, 160)) }];
        if next != Some(target) {
            branches.push(Branch { to: next, label: "Continue".into(), judgement: None });
        }
        out.insert(prev, branches);
    }
    (out, next_override)
}

/// The first draft under heading `h` (drafts are in document order).
pub(crate) fn first_draft_in_section(doc: &Document, drafts: &[Draft], h: usize) -> Option<usize> {
    let (start, end) = (doc.headings[h].span.start, section_end(doc, h));
    let i = drafts.partition_point(|d| d.span.start < start);
    drafts.get(i).filter(|d| d.span.start < end).map(|_| i)
}

fn short_label(sentence: &str) -> String {
    prose::first_sentence(sentence, 60).trim_end_matches([',', ':', '.']).to_owned()
}
