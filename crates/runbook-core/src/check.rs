//! Checks over the built graph: reachability, cycles with no way out, unconfirmed destructive
//! steps. Everything is linear in the size of the graph (a 10 MB runbook stays fast).

use crate::diagnostic::{Diagnostic, Finding};
use crate::document::{Document, NodeKind};
use crate::model::{ConfirmKind, Graph, Risk};
use crate::source::{Source, Span};
use std::collections::HashMap;

pub fn check(graph: &Graph, diags: &mut Vec<Diagnostic>) {
    let index: HashMap<&str, usize> = graph.steps.iter().enumerate().map(|(i, s)| (s.id.as_str(), i)).collect();
    let n = graph.steps.len();
    // Adjacency; `None` targets (branches to `end`) are exits.
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut exits = vec![false; n];
    for e in &graph.edges {
        let Some(&from) = index.get(e.from.as_str()) else {
            continue;
        };
        match e.to.as_deref().and_then(|t| index.get(t)) {
            Some(&to) => adj[from].push(to),
            None => exits[from] = true,
        }
    }
    unreachable(graph, &index, &adj, diags);
    cycles_without_exit(graph, &adj, &exits, diags);
    for s in &graph.steps {
        if s.risk == Risk::Destructive && s.confirm == ConfirmKind::None {
            let at = Span::new(
                s.span.start,
                s.span.start + first_line_len(&s.code).clamp(1, 80).min(s.span.end.saturating_sub(s.span.start).max(1)),
            );
            let reason = s.risk_reason.as_deref().unwrap_or("destructive");
            diags.push(
                Diagnostic::new(Finding::UnconfirmedDestructiveStep, at, format!("destructive step `{}` has no confirmation", s.id))
                    .label(reason.to_owned())
                    .hint("add `confirm: WORD` to its `yaml step` annotation; `runbook run` asks for a typed confirmation anyway"),
            );
        }
    }
}

/// Nothing is lost silently: a section whose command blocks gave no step gets a warning at its
/// first such block ("2 command blocks here give no step: …"), and a file with no step at all
/// says so, so an author sees what `runbook run` will not offer.
pub fn lost_commands(source: &Source, doc: &Document, graph: &Graph, diags: &mut Vec<Diagnostic>) {
    let mut spans: Vec<Span> = graph.steps.iter().map(|s| s.span).collect();
    spans.sort_by_key(|s| s.start);
    let covered = |b: Span| {
        // Steps are sorted by start: the first one that could overlap is a binary search away.
        let i = spans.partition_point(|s| s.end <= b.start);
        spans[i..].iter().take_while(|s| s.start < b.end).any(|s| s.end > b.start)
    };
    // A transcript kept as a step's expected output is not lost either.
    let outputs: std::collections::HashSet<&str> = graph.steps.iter().filter_map(|s| s.expected_output.as_deref()).map(str::trim).collect();
    // Per section: how many command blocks gave no step, and the first of them.
    let mut lost: Vec<(Option<usize>, Span, String, usize)> = Vec::new();
    for node in &doc.nodes {
        let NodeKind::Code(block) = &node.kind else { continue };
        if block.is_step_annotation() || covered(node.span) || outputs.contains(block.text.trim()) {
            continue;
        }
        let lang = block.lang();
        if !(lang.is_empty() || crate::build::is_runnable_lang(&lang)) {
            continue;
        }
        let command = block.text.lines().map(str::trim).find(|l| {
            let l = crate::shell::strip_prompt(l).unwrap_or(l);
            !l.is_empty() && !l.starts_with('#') && (crate::build::is_known_command(l) || crate::build::looks_like_sql(l))
        });
        let Some(command) = command else { continue };
        match lost.last_mut() {
            Some((section, _, _, n)) if *section == node.section => *n += 1,
            _ => lost.push((node.section, node.span, command.chars().take(60).collect(), 1)),
        }
    }
    for (_, span, command, n) in lost {
        let what = if n == 1 { "a command block here gives".to_owned() } else { format!("{n} command blocks here give") };
        diags.push(
            Diagnostic::new(Finding::CommandsWithoutStep, Span::new(span.start, span.start + 3), format!("{what} no step: `{command}`"))
                .label("not offered by `runbook run`")
                .hint("if it is meant to run, label the fence (`bash`, `sql`) or add a `yaml step` annotation after it"),
        );
    }
    if graph.steps.is_empty() && !source.text.trim().is_empty() {
        diags.push(
            Diagnostic::new(Finding::NoSteps, Span::new(0, 0), "this file gives no step")
                .hint("steps come from code blocks, checklists and instructions under problem headings; see docs/format.md"),
        );
    }
}

fn first_line_len(code: &str) -> usize {
    code.lines().next().map_or(0, str::len)
}

fn unreachable(graph: &Graph, index: &HashMap<&str, usize>, adj: &[Vec<usize>], diags: &mut Vec<Diagnostic>) {
    let n = graph.steps.len();
    let mut seen = vec![false; n];
    let mut stack: Vec<usize> =
        graph.entry_points.iter().filter_map(|e| e.first_step.as_deref()).filter_map(|id| index.get(id).copied()).collect();
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        stack.extend(adj[i].iter().copied().filter(|&j| !seen[j]));
    }
    for (i, s) in graph.steps.iter().enumerate() {
        if !seen[i] {
            diags.push(
                Diagnostic::new(
                    Finding::UnreachableStep,
                    Span::new(s.span.start, s.span.start + 3.min(s.span.end - s.span.start).max(1)),
                    format!("step `{}` can never be reached", s.id),
                )
                .label("no entry point or branch leads here")
                .hint("point a branch or `next:` at it, or remove it"),
            );
        }
    }
}

/// Strongly connected components (iterative Tarjan) with no edge leaving them and no step
/// that ends the walk: a loop the operator can never get out of.
fn cycles_without_exit(graph: &Graph, adj: &[Vec<usize>], exits: &[bool], diags: &mut Vec<Diagnostic>) {
    let n = adj.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut next = 0;
    let mut components: Vec<Vec<usize>> = Vec::new();
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut work: Vec<(usize, usize)> = vec![(root, 0)];
        while let Some(&mut (v, ref mut child)) = work.last_mut() {
            if *child == 0 && index[v] == usize::MAX {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = adj[v].get(*child) {
                *child += 1;
                if index[w] == usize::MAX {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut comp = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp.push(w);
                    if w == v {
                        break;
                    }
                }
                components.push(comp);
            }
        }
    }
    for comp in components {
        let is_cycle = comp.len() > 1 || adj[comp[0]].contains(&comp[0]);
        if !is_cycle {
            continue;
        }
        let mut members = vec![false; n];
        for &c in &comp {
            members[c] = true;
        }
        let leaves = comp.iter().any(|&c| exits[c] || adj[c].is_empty() || adj[c].iter().any(|&t| !members[t]));
        if leaves {
            continue;
        }
        let mut comp = comp;
        comp.sort_unstable();
        let first = &graph.steps[comp[0]];
        let names: Vec<&str> = comp.iter().take(6).map(|&c| graph.steps[c].id.as_str()).collect();
        diags.push(
            Diagnostic::new(
                Finding::CycleWithoutExit,
                Span::new(first.span.start, first.span.start + 3.min(first.span.end - first.span.start).max(1)),
                format!("steps {} loop with no way out", names.join(" → ")),
            )
            .label("every branch from this loop leads back into it")
            .hint("add a branch to `end` or to a step outside the loop"),
        );
    }
}
