//! Prose steps: sections written as prose only, and paragraphs that tell the operator what to
//! do, become manual steps and steps for the commands they name in inline code.

use super::*;
use crate::document::Heading;

impl Builder<'_> {
    /// A resolution or verification section written as prose only (or a diagnosis one, in a
    /// problem that has steps elsewhere): one manual step holding its first paragraphs, so the
    /// walk shows it instead of ending before it.
    pub(super) fn prose_only_sections(&mut self) {
        let has_steps = self.sections_with_steps();
        let doc = self.doc;
        let mut paragraphs: HashMap<usize, Vec<usize>> = HashMap::new();
        for (index, node) in doc.nodes.iter().enumerate() {
            if let (NodeKind::Paragraph, Some(h), 0) = (&node.kind, node.section, node.list.depth) {
                paragraphs.entry(h).or_default().push(index);
            }
        }
        let mut added = self.alert_cards(&has_steps);
        added.extend(self.link_only_procedures(&paragraphs, &has_steps));
        for (h, heading) in doc.headings.iter().enumerate() {
            added.extend(self.prose_section(h, heading, &paragraphs, &has_steps));
        }
        if !added.is_empty() {
            self.drafts.extend(added);
            self.drafts.sort_by_key(|d| d.node);
        }
    }

    /// For each heading, whether a step was drafted under it or under a sub-heading.
    fn sections_with_steps(&self) -> Vec<bool> {
        let doc = self.doc;
        let mut has_steps = vec![false; doc.headings.len()];
        for d in &self.drafts {
            let mut at = d.section;
            while let Some(h) = at {
                if has_steps[h] {
                    break;
                }
                has_steps[h] = true;
                at = doc.headings[h].parent;
            }
        }
        has_steps
    }

    /// Alert catalogues: `+ *Message*: …`, `+ *Severity*: critical`, `+ *Runbook*: [Link](…)`
    /// under each alert's heading. The card is the problem's one (manual) step.
    fn alert_cards(&self, has_steps: &[bool]) -> Vec<Draft> {
        let doc = self.doc;
        let problems = &self.problems;
        let mut added = Vec::new();
        let mut fields: HashMap<usize, Vec<Field>> = HashMap::new();
        for (index, node) in doc.nodes.iter().enumerate() {
            if let (NodeKind::ItemStart, Some(h), 1) = (&node.kind, node.section, node.list.depth)
                && problems[h] == Some(h)
                && !has_steps[h]
                && let Some((name, value)) = field_item(item_lead_text(&self.source.text, node.span).0)
            {
                fields.entry(h).or_default().push((name, value, index));
            }
        }
        let mut cards: Vec<(usize, Vec<Field>)> = fields
            .into_iter()
            .filter(|(_, f)| f.len() >= 2 && f.iter().any(|(n, _, _)| matches!(n.as_str(), "message" | "summary" | "description")))
            .collect();
        cards.sort_by_key(|(h, _)| *h);
        for (h, card) in cards {
            let (first, node) = (card[0].2, &doc.nodes[card[0].2]);
            let code: Vec<String> = card
                .iter()
                .filter(|(n, _, _)| n != "severity")
                .map(|(n, v, _)| format!("{}{}: {v}", n[..1].to_ascii_uppercase(), &n[1..]))
                .collect();
            let mut d =
                self.draft(StepKind::Manual, code.join("\n"), vec![(0, node.span.start)], None, node.span, Some(h), node.list, first);
            d.title = card
                .iter()
                .find(|(n, _, _)| n != "severity")
                .map(|(_, v, _)| prose::clean_title(&prose::first_sentence(v, 120)))
                .unwrap_or_default();
            d.risk = Classified { risk: Risk::Read, reason: "alert description".into() };
            added.push(d);
        }
        added
    }

    /// `### Check the replication lag` over a link to a dashboard alone (or its bare address):
    /// the procedure is to open it.
    fn link_only_procedures(&self, paragraphs: &HashMap<usize, Vec<usize>>, has_steps: &[bool]) -> Vec<Draft> {
        let doc = self.doc;
        let problems = &self.problems;
        let mut added = Vec::new();
        for (h, nodes) in paragraphs {
            let ([n], Some(true), false) = (nodes.as_slice(), problems[*h].map(|p| p == *h), has_steps[*h]) else { continue };
            let node = &doc.nodes[*n];
            let text = self.source.text[node.span.range()].trim();
            let link = text.starts_with('[') && text.ends_with(')') && text.matches("](").count() == 1;
            let bare = (text.starts_with("https://") || text.starts_with("http://")) && !text.contains(char::is_whitespace);
            let Some(url) = (if link { text.split_once("](").and_then(|(_, r)| r.strip_suffix(')')) } else { Some(text).filter(|_| bare) })
            else {
                continue;
            };
            let mut d =
                self.draft(StepKind::Manual, format!("Open {url}"), vec![(5, node.span.start)], None, node.span, Some(*h), node.list, *n);
            d.title = prose::short_title(text);
            d.risk = Classified { risk: Risk::Read, reason: "a page to open".into() };
            added.push(d);
        }
        added
    }

    /// A section of a problem written as prose: its paragraphs that are only a command (and
    /// the prose before them), else its first paragraphs as one manual step; nothing where
    /// the section is not wanted or its sentences are read one by one later.
    fn prose_section(&self, h: usize, heading: &Heading, paragraphs: &HashMap<usize, Vec<usize>>, has_steps: &[bool]) -> Vec<Draft> {
        use prose::Role;
        let doc = self.doc;
        let problems = &self.problems;
        let mut added = Vec::new();
        let Some(problem) = problems[h].filter(|&p| p != h) else { return Vec::new() };
        // `### 2. Node failures` under `## Mitigation`: an option, told in prose.
        let option = heading.role.is_none()
            && heading
                .parent
                .is_some_and(|p| doc.headings[p].role == Some(Role::Resolution) || is_cause_container(doc, p) || doc.headings[p].ways);
        let wanted = match heading.role {
            Some(Role::Resolution | Role::Verification) => true,
            Some(Role::Diagnosis) => has_steps[problem],
            _ => option,
        };
        if !wanted || has_steps[h] {
            return Vec::new();
        }
        let Some(nodes) = paragraphs.get(&h) else { return Vec::new() };
        // A paragraph that is only a command in inline code (`` `gitlab-ctl restart redis`. ``)
        // is a step of its own, introduced by the paragraph before it; "or" before it makes
        // it an alternative to the command before.
        let mut commands: Vec<Draft> = Vec::new();
        let mut intros: Vec<usize> = Vec::new();
        for (k, &n) in nodes.iter().enumerate() {
            let raw = self.source.text[doc.nodes[n].span.range()].trim().trim_end_matches(['.', ',', ';']);
            let code = raw.strip_prefix('`').and_then(|r| r.strip_suffix('`')).filter(|c| !c.contains('`') && is_step_code(c));
            let Some(code) = code else { continue };
            let node = &doc.nodes[n];
            let at = node.span.start + (self.source.text[node.span.range()].find(code).unwrap_or(0));
            let mut d = self.draft(inline_kind(code), code.to_owned(), vec![(0, at)], None, node.span, Some(h), node.list, n);
            opener_as_manual(&mut d);
            if let Some(&intro) = k.checked_sub(1).and_then(|i| nodes.get(i)) {
                intros.push(intro);
                let text = &self.source.text[doc.nodes[intro].span.range()];
                d.title = prose::title_of(text);
                d.condition = infer::condition_sentence(text);
                if let Some(or) = infer::alternative_sentence(text)
                    && let Some(before) = commands.last_mut()
                {
                    d.condition = Some(alternatives(before, code, or));
                    d.title = before.title.clone();
                }
            }
            commands.push(d);
        }
        if !commands.is_empty() {
            // The section's other prose ("check the log for resync events first") stays
            // as a manual step before the commands.
            let first_command = commands[0].node;
            let prose_nodes: Vec<usize> = nodes.iter().copied().filter(|n| *n < first_command && !intros.contains(n)).take(3).collect();
            let texts: Vec<String> = prose_nodes
                .iter()
                .map(|&n| prose::plain_text(&self.source.text[doc.nodes[n].span.range()]))
                .filter(|t| t.len() > 20 && !t.ends_with(':'))
                .collect();
            if let (Some(&first), false) = (prose_nodes.first(), texts.is_empty()) {
                let node = &doc.nodes[first];
                let mut d =
                    self.draft(StepKind::Manual, texts.join("\n"), vec![(0, node.span.start)], None, node.span, Some(h), node.list, first);
                d.title = prose::title_of(&self.source.text[node.span.range()]);
                d.risk = Classified { risk: Risk::Read, reason: "manual instruction".into() };
                added.push(d);
            }
            added.extend(commands);
            return added;
        }
        // "You can restart nginx with `sudo gitlab-ctl restart nginx`.": a command inside a
        // sentence is a step of its own, read sentence by sentence later (prose steps).
        let holds_command = |n: usize| inline_code(&self.source.text[doc.nodes[n].span.range()]).iter().any(|(c, _)| is_step_code(c));
        if option && nodes.iter().take(3).any(|&n| holds_command(n)) {
            return Vec::new();
        }
        // "If the alert fires during an upgrade, wait. If an operator is misconfigured, …":
        // alternatives in one paragraph, read sentence by sentence later (prose steps).
        if nodes.iter().take(3).any(|&n| branching_paragraph(&self.source.text[doc.nodes[n].span.range()])) {
            return Vec::new();
        }
        let mut texts: Vec<String> = nodes
            .iter()
            .take(3)
            .map(|&n| as_written(&self.source.text[doc.nodes[n].span.range()]))
            .filter(|t| t.len() > 20 && !t.ends_with(':'))
            .collect();
        // An option told by a list of links ("Grafana dashboards:"): its introduction.
        if texts.is_empty() && option {
            texts = nodes.iter().take(1).map(|&n| as_written(&self.source.text[doc.nodes[n].span.range()])).collect();
        }
        let (Some(&first), false) = (nodes.first(), texts.is_empty()) else { return Vec::new() };
        let node = &doc.nodes[first];
        let mut d = self.draft(StepKind::Manual, texts.join("\n"), vec![(0, node.span.start)], None, node.span, Some(h), node.list, first);
        d.title = prose::title_of(&self.source.text[node.span.range()]);
        d.risk = Classified { risk: Risk::Read, reason: "manual instruction".into() };
        added.push(d);
        added
    }

    /// Paragraphs of a problem or procedure that tell the operator what to do ("Check the ring
    /// web page. You could then check the logs: `kubectl logs -f ingester-01`."): each run of
    /// sentences holding an instruction is a manual step, each command in inline code a step
    /// of its kind, and a run opening with "If …" is an alternative. Description ("This alert
    /// fires when …"), a block's introduction and sections already read as prose are left alone.
    pub(super) fn prose_paragraph_steps(&mut self, roles: &[Option<prose::Role>]) {
        use prose::Role;
        let doc = self.doc;
        let prose_sections: HashSet<Option<usize>> =
            self.drafts.iter().filter(|d| matches!(doc.nodes[d.node].kind, NodeKind::Paragraph)).map(|d| d.section).collect();
        // Where the author wrote `yaml step` annotations, the steps are theirs: prose is prose.
        let annotated: HashSet<usize> =
            self.drafts.iter().filter(|d| d.annotation.is_some()).filter_map(|d| d.section.and_then(|s| self.problems[s])).collect();
        let mut added = Vec::new();
        for (index, node) in doc.nodes.iter().enumerate() {
            // Also the words after an item's block ("If the plan shows a diff for labels, apply
            // it."): what to do with what the command showed.
            let after_item_block = node.list.depth > 0
                && index
                    .checked_sub(1)
                    .map(|i| &doc.nodes[i])
                    .is_some_and(|n| matches!(n.kind, NodeKind::Code(_)) && n.list.item == node.list.item);
            let (NodeKind::Paragraph, Some(h), true) = (&node.kind, node.section, node.list.depth == 0 || after_item_block) else {
                continue;
            };
            // (A group's own words introduce its problems: an overview, not a step.)
            if self.problems[h].is_none_or(|p| annotated.contains(&p))
                || doc.headings[h].group
                || prose_sections.contains(&Some(h))
                || matches!(roles.get(index).copied().flatten(), Some(Role::Context | Role::Symptoms | Role::Prevention))
            {
                continue;
            }
            // The introduction of the block after it is that step's title.
            if doc.nodes.get(index + 1).is_some_and(|n| matches!(n.kind, NodeKind::Code(_)) && n.section == node.section) {
                continue;
            }
            let raw = &self.source.text[node.span.range()];
            if is_bold_only(raw) || infer::is_jump(raw) || prose::introduces_output(raw) {
                continue;
            }
            // (sentences, condition) of the run being read.
            let mut run: Vec<&str> = Vec::new();
            let mut run_condition: Option<String> = None;
            let flush = |run: &mut Vec<&str>, condition: &mut Option<String>, added: &mut Vec<Draft>| {
                let condition = condition.take();
                // "If this fires during startup, the WAL was repaired": an alternative even
                // when it only states what happened.
                if condition.is_some() || run.iter().any(|s| prose::instructs(s)) {
                    let first = run.iter().find(|s| prose::instructs(s)).copied().unwrap_or(run[0]);
                    let text = as_written(&run.join(" "));
                    let at = node.span.start + (run[0].as_ptr() as usize).saturating_sub(raw.as_ptr() as usize);
                    let mut d = self.draft(StepKind::Manual, text, vec![(0, at)], None, node.span, Some(h), node.list, index);
                    d.title = prose::short_title(first);
                    d.risk = Classified { risk: Risk::Read, reason: "manual instruction".into() };
                    d.condition = condition;
                    added.push(d);
                }
                run.clear();
            };
            for sentence in prose::sentences(raw) {
                let codes: Vec<(&str, usize)> = inline_code(sentence)
                    .into_iter()
                    .filter(|&(c, at)| is_step_code(c) || told_to_run(sentence, at, c) || sql_call(sentence, at, c).is_some())
                    .collect();
                let alternative = infer::alternative_sentence(sentence).filter(|s| !s.is_empty());
                let condition = infer::opening_condition(sentence).or_else(|| alternative.clone());
                // "Users can reset it from their client. Alternatively, an admin can …": the way
                // stated just before "Alternatively" is the first alternative, even as a statement.
                if alternative.is_some()
                    && run_condition.is_none()
                    && let Some(last) = run.pop()
                {
                    flush(&mut run, &mut run_condition, &mut added);
                    run.push(last);
                    run_condition = Some(prose::short_title(last));
                }
                if condition.is_some() || !codes.is_empty() {
                    flush(&mut run, &mut run_condition, &mut added);
                }
                if codes.is_empty() {
                    if condition.is_some() {
                        run_condition = condition;
                    }
                    run.push(sentence);
                    continue;
                }
                // (Only now: most sentences hold no command and need no title.)
                // "initiate it using `ctl switchover` or `ctl failover`": each command's title is the
                // words before the first, not a sentence holding the other command too.
                let title = match codes.first() {
                    Some(&(_, at)) if codes.len() > 1 && at > 4 => prose::short_title(sentence[..at].trim_end_matches(['`', ' ', ':'])),
                    _ => prose::short_title(sentence),
                };
                let offset = (sentence.as_ptr() as usize).saturating_sub(raw.as_ptr() as usize);
                // "`ctl switchover` or `ctl failover`": the commands are alternatives.
                let either = codes.len() > 1
                    && codes.windows(2).all(|w| {
                        let between = &sentence[w[0].1 + w[0].0.len()..w[1].1];
                        matches!(between.trim_matches(|c: char| c == '`' || c == ',' || c.is_whitespace()), "or")
                    });
                for (k, &(code, at)) in codes.iter().enumerate() {
                    let start = node.span.start + offset + at;
                    let mut d = self.inline_draft(sentence, at, code, start, node.span, Some(h), node.list, index);
                    opener_as_manual(&mut d);
                    d.title.clone_from(&title);
                    d.condition = condition.clone();
                    if either && condition.is_none() {
                        d.condition = Some(format!("{}: {code}", if k == 0 { "Either" } else { "Or" }));
                    }
                    added.push(d);
                }
            }
            flush(&mut run, &mut run_condition, &mut added);
        }
        if !added.is_empty() {
            self.drafts.extend(added);
            self.drafts.sort_by_key(|d| d.node);
        }
    }
}

/// The role in force at each node: a bold pseudo-heading (`**Diagnosis**`) since the last
/// heading, else the role of the heading the node is under (or of its ancestors up to the
/// problem heading).
pub(super) fn node_roles(source: &Source, doc: &Document, problems: &[Option<usize>]) -> Vec<Option<prose::Role>> {
    let mut heading_role: Vec<Option<prose::Role>> = Vec::with_capacity(doc.headings.len());
    for (i, h) in doc.headings.iter().enumerate() {
        let own = h.role;
        let inherited = match h.parent {
            Some(p) if problems[i] != Some(i) => heading_role[p],
            _ => None,
        };
        heading_role.push(own.or(inherited));
    }
    let mut out = Vec::with_capacity(doc.nodes.len());
    let mut pseudo: Option<prose::Role> = None;
    let mut section = None;
    for node in &doc.nodes {
        if node.section != section {
            section = node.section;
            pseudo = None;
        }
        if matches!(node.kind, NodeKind::Paragraph)
            && node.list.depth == 0
            && let Some(r) = pseudo_heading(&source.text[node.span.range()])
        {
            pseudo = Some(r);
        }
        out.push(pseudo.or(node.section.and_then(|s| heading_role[s])));
    }
    out
}

/// `**Diagnosis**`, `**Resolution:**`, `**How to investigate:** …`: a bold pseudo-heading.
/// Also `How to **fix**:` (the verb alone in bold).
pub(super) fn pseudo_heading(paragraph: &str) -> Option<prose::Role> {
    let t = paragraph.trim_start();
    let how_to = t.get(..7).is_some_and(|w| w.eq_ignore_ascii_case("how to "));
    let t = if how_to { &t[7..] } else { t };
    let rest = t.strip_prefix("**").or_else(|| t.strip_prefix("__"))?;
    let end = rest.find("**").or_else(|| rest.find("__"))?;
    let inner = rest[..end].trim().trim_end_matches(':');
    if inner.len() > 40 {
        return None;
    }
    if how_to {
        // Only the label itself: `How to **fix**:`, not a sentence that happens to start so.
        let after = rest[end + 2..].trim_start_matches(':').trim();
        return if after.is_empty() { prose::role(&format!("how to {inner}")) } else { None };
    }
    prose::role(inner)
}

/// A paragraph with two or more sentences that open with a condition ("If …", "When …"):
/// alternatives written as prose.
pub(super) fn branching_paragraph(paragraph: &str) -> bool {
    prose::sentences(paragraph).iter().filter(|s| infer::opening_condition(s).is_some()).take(2).count() >= 2
}

#[cfg(test)]
mod tests {
    use crate::testing::{branch_labels, steps};
    use crate::{Source, StepKind, compile};

    #[test]
    fn instruction_paragraphs_are_manual_steps_and_their_commands_steps() {
        let s = steps(
            "# Ops\n## IngesterUnhealthy\nThis alert goes off when an ingester is unhealthy. Check the ring web page to see which. \
             You could then check the logs, ex: `kubectl logs -f ingester-01`.\n\nThis alert is noisy.\n",
        );
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!(s[0].0, StepKind::Manual);
        assert!(s[0].1.contains("Check the ring web page") && !s[0].1.contains("noisy"), "{s:?}");
        assert_eq!(s[1], (StepKind::Shell, "kubectl logs -f ingester-01".to_owned()));
    }

    #[test]
    fn a_postgres_function_the_text_says_to_use_is_a_query() {
        let g = compile(Source::new(
            "t.md",
            "# DB\n## Stale locks\n1. Look at the locks in `pg_locks`.\n\
             2. For a long transaction it is your call. Interruption can be done using `pg_terminate_backend({PID})` as well. \
             In any case, open an issue.\n",
        ))
        .graph;
        let s: Vec<(StepKind, &str, crate::Risk)> = g.steps.iter().map(|s| (s.kind, s.code.as_str(), s.risk)).collect();
        let call = s.iter().find(|s| s.0 == StepKind::Sql).expect("a query step");
        assert_eq!((call.1, call.2), ("SELECT pg_terminate_backend({PID});", crate::Risk::Destructive));
        // The item's other words stay a manual step, without the call's sentence.
        let manual = s.iter().find(|s| s.1.contains("open an issue")).expect("the item's words");
        assert!(manual.0 == StepKind::Manual && !manual.1.contains("pg_terminate_backend"), "{s:?}");
        // A PromQL function is not one: `sort_desc(…)` in Prometheus.
        let s = steps("# DB\n## Dead tuples\nRun `sort_desc(pg_stat_user_tables_n_dead_tup)` in Prometheus to see the worst.\n");
        assert!(s.iter().all(|s| s.0 != StepKind::Sql), "{s:?}");
    }

    #[test]
    fn two_commands_joined_by_or_in_a_sentence_are_alternatives() {
        let b = branch_labels(
            "# DB\n## Failover/Switchover\nA switchover needs a leader.\n\n\
             You can start either using `patronictl switchover` or `patronictl failover` and answering the prompts.\n",
        );
        assert_eq!(b[..2], ["Either: patronictl switchover", "Or: patronictl failover"]);
    }

    #[test]
    fn words_after_an_items_block_that_say_what_to_do_are_a_step() {
        let s = steps(
            "# Infra\n## Rebuild the replicas\n1. Check there is no plan diff:\n\n   ```\n   tf plan -out plan\n   ```\n\n\
             \x20  If there is a diff for labels only, apply it.\n2. Done.\n",
        );
        assert_eq!(s[0], (StepKind::Shell, "tf plan -out plan".to_owned()));
        assert!(s.iter().any(|(k, c)| *k == StepKind::Manual && c.contains("apply it")), "{s:?}");
    }

    #[test]
    fn a_way_stated_before_alternatively_is_the_first_alternative() {
        let b = branch_labels(
            "# Chat\n## Manually resetting passwords\nUsers can reset their password through their client. \
             Alternatively, a server admin can reset it using the admin API.\n",
        );
        assert!(b.len() >= 2, "{b:?}");
        assert!(b[0].starts_with("Users can reset") && b[1].starts_with("Alternatively"), "{b:?}");
    }

    #[test]
    fn a_procedure_that_is_only_a_link_is_to_open_it() {
        let g = compile(Source::new("t.md", "# DB\n## Check replication lag\n\n[Thanos](https://thanos.example.com/graph?g0.expr=lag)\n\n## Queues\n\nhttps://example.com/admin/queues\n")).graph;
        let s: Vec<(&str, StepKind)> = g.steps.iter().map(|s| (s.code.as_str(), s.kind)).collect();
        assert_eq!(
            s,
            [
                ("Open https://thanos.example.com/graph?g0.expr=lag", StepKind::Manual),
                ("Open https://example.com/admin/queues", StepKind::Manual)
            ]
        );
        assert_eq!(g.entry_points.len(), 2);
    }

    #[test]
    fn annotated_problems_keep_their_prose_as_prose() {
        let s = steps("# Ops\n## Cache down\nCheck the dashboard first.\n\n```bash\nredis-cli ping\n```\n```yaml step\nid: ping\n```\n");
        assert_eq!(s.len(), 1, "{s:?}");
    }

    #[test]
    fn if_sentences_of_a_resolution_paragraph_are_alternatives() {
        let b = branch_labels(
            "# Op\n## Diagnosis\n```sh\noc get co\n```\n## Mitigation\nHow to resolve it varies. If the alert fires during an upgrade, \
             it may recover. If an operator is misconfigured, review its logs and fix the configuration.\n",
        );
        assert!(b.iter().any(|l| l.starts_with("If the alert fires")) && b.iter().any(|l| l.starts_with("If an operator")), "{b:?}");
    }

    #[test]
    fn other_options_paragraphs_are_alternatives() {
        let b = branch_labels(
            "# DB\n## Cancel a blocking query\nFirst, try to cancel the query.\n\n```sql\nselect pg_cancel_backend(1);\n```\n\n\
             Other options would entail restarting the local Patroni connection.\n\n\
             A final option would be to execute a kill from the session that holds the lock.\n",
        );
        assert!(b.iter().any(|l| l.starts_with("Other options")) && b.iter().any(|l| l.starts_with("A final option")), "{b:?}");
    }

    #[test]
    fn inline_code_the_sentence_says_to_run_is_a_command() {
        let s = steps(
            "# Ops\n## Restarting a node\nTo restart a member you can execute (on any node)\n`sudo gitlab-patronictl restart c1 <member>`\n",
        );
        assert_eq!(s.iter().map(|(k, _)| *k).collect::<Vec<_>>(), vec![StepKind::Shell], "{s:?}");
    }
}
