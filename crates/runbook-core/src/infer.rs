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

mod decisions;

pub(crate) use decisions::{OptionRun, insert_decisions};

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
