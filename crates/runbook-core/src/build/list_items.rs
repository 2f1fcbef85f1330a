//! List-item steps: items of diagnosis, resolution and verification lists that hold no block,
//! their "If …" conditions, and the options and cases a list offers.

use super::*;

impl Builder<'_> {
    /// List items of diagnosis, resolution and verification sections that hold no code block:
    /// a command in inline code becomes a step of its kind, anything else a manual step.
    pub(super) fn list_item_steps(&mut self, roles: &[Option<prose::Role>]) {
        let doc = self.doc;
        let lead: HashMap<usize, (&str, usize)> = doc
            .nodes
            .iter()
            .filter(|n| matches!(n.kind, NodeKind::ItemStart) && n.list.depth == 1)
            .filter_map(|n| n.list.item.map(|i| (i, item_lead_text(&self.source.text, n.span))))
            .collect();
        self.title_item_code(&lead);
        let with_drafts: HashSet<usize> = self.drafts.iter().filter_map(|d| d.list.item).collect();
        let mut lists = Lists::default();
        self.read_procedures(roles, &with_drafts, &mut lists);
        self.read_option_lists(&mut lists);
        let (mut added, whole_items) = self.item_steps(roles, &lists, &with_drafts);
        let nested_added = self.nested_instructions(roles, &lead, &with_drafts, &added, &whole_items);
        added.extend(nested_added);
        if !added.is_empty() {
            self.drafts.extend(added);
            // Back into document order (stable: drafts of one block keep their order).
            self.drafts.sort_by_key(|d| d.node);
        }
        self.label_options(&lead, &lists);
    }

    /// Code inside a list item: the item's text is its title (and its "If …" its condition);
    /// a checklist item holding code is that code, not a separate manual step.
    fn title_item_code(&mut self, lead: &HashMap<usize, (&str, usize)>) {
        let code_items: HashSet<usize> =
            self.drafts.iter().filter(|d| d.kind != StepKind::Manual || d.annotation.is_some()).filter_map(|d| d.list.item).collect();
        let mut task_titles: HashMap<usize, String> = HashMap::new();
        self.drafts.retain(|d| {
            let is_task = d.kind == StepKind::Manual && d.annotation.is_none() && d.risk.reason == "checklist item";
            match d.list.item {
                Some(item) if is_task && code_items.contains(&item) => {
                    task_titles.entry(item).or_insert_with(|| d.title.clone());
                    false
                }
                _ => true,
            }
        });
        for d in &mut self.drafts {
            let Some(item) = d.list.item else { continue };
            // "Check if only a few ingesters are affected. If so:", "If a webhook is preventing
            // the deletion:" over the item's nested steps: the item's condition is theirs.
            if d.condition.is_none()
                && let Some((text, _)) = lead.get(&item)
            {
                d.condition = check_if_so(text).or_else(|| infer::opening_condition(text));
            }
            if d.title.is_empty() {
                if let Some(t) = task_titles.get(&item) {
                    d.title = t.clone();
                } else if let Some((text, _)) = lead.get(&item) {
                    let raw = ["[ ]", "[x]", "[X]"].iter().find_map(|m| text.strip_prefix(m)).unwrap_or(text);
                    d.title = prose::short_title(raw);
                    if d.condition.is_none() {
                        d.condition = infer::opening_condition(raw);
                    }
                }
            }
        }
    }

    /// Numbered lists outside role sections, each as (first item, how many of its items hold a
    /// command): a list with two or more is a procedure, all of whose items are steps.
    /// Bullet lists too: consecutive items of one section (a bullet after a numbered list, or
    /// a list in another section, starts a new one).
    fn read_procedures(&self, roles: &[Option<prose::Role>], with_drafts: &HashSet<usize>, lists: &mut Lists) {
        let doc = self.doc;
        // Items that tell the operator to do something (`Review access logs`), themselves or
        // in their nested bullets: a list of two or more is a procedure of manual steps. Only
        // items of a possible procedure are read (below), and each only until one instructs.
        let mut item_nodes: HashMap<usize, Vec<usize>> = HashMap::new();
        for (index, node) in doc.nodes.iter().enumerate() {
            if let (Some(item), NodeKind::ItemStart, 1 | 2) = (node.list.item, &node.kind, node.list.depth) {
                item_nodes.entry(item).or_default().push(index);
            }
        }
        let instructs = |item: usize| {
            item_nodes
                .get(&item)
                .is_some_and(|nodes| nodes.iter().any(|&n| instruction_item(item_lead_text(&self.source.text, doc.nodes[n].span).0)))
        };
        let mut current: Option<(usize, Option<usize>, Option<u64>, usize)> = None;
        for (index, node) in doc.nodes.iter().enumerate() {
            let (Some(item), NodeKind::ItemStart, 1) = (node.list.item, &node.kind, node.list.depth) else {
                continue;
            };
            if roles.get(index).copied().flatten().is_some() {
                continue;
            }
            let number = node.list.number;
            // `*Severity*: warning`-style fields describe an alert; they are not a procedure.
            if field_item(item_lead_text(&self.source.text, node.span).0).is_some() {
                continue;
            }
            let first = match current {
                Some((first, section, Some(last), _)) if section == node.section && number == Some(last + 1) => first,
                Some((first, section, None, last_item)) if section == node.section && number.is_none() && item == last_item + 1 => first,
                _ => item,
            };
            current = Some((first, node.section, number, item));
            if number.is_some() {
                lists.numbered_list.insert(first);
            }
            lists.procedure_of.insert(item, first);
            let (text, _) = item_lead_text(&self.source.text, node.span);
            if with_drafts.contains(&item) || inline_code(text).iter().any(|(c, _)| is_step_code(c)) {
                *lists.commands_in.entry(first).or_default() += 1;
            }
            if instructs(item) {
                lists.instruction_items.insert(item);
                *lists.instructions_in.entry(first).or_default() += 1;
            }
        }
    }

    /// Every list (first item → its items), whatever its section's role, and the paragraph
    /// right before it: "you have several options to recover:" makes its items alternatives,
    /// and so do two or more items that open with "If …".
    fn read_option_lists(&self, lists: &mut Lists) {
        let doc = self.doc;
        {
            let mut open: Option<(usize, Option<usize>)> = None;
            let mut intro: Option<usize> = None;
            for (index, node) in doc.nodes.iter().enumerate() {
                match (&node.kind, node.list.depth) {
                    (NodeKind::Paragraph, 0) => {
                        intro = Some(index);
                        open = None;
                    }
                    (NodeKind::Code(_) | NodeKind::Table, 0) => {
                        intro = None;
                        open = None;
                    }
                    (NodeKind::ItemStart, 1) => {
                        let Some(item) = node.list.item else { continue };
                        let first = match open {
                            Some((first, section)) if section == node.section => first,
                            _ => {
                                let lead = intro.filter(|&p| doc.nodes[p].section == node.section);
                                if lead.is_some_and(|p| introduces_alternatives(&self.source.text[doc.nodes[p].span.range()])) {
                                    lists.option_lists.insert(item);
                                }
                                item
                            }
                        };
                        open = Some((first, node.section));
                        lists.list_start.insert(item, first);
                        if item_condition(item_lead_text(&self.source.text, node.span).0).is_some() {
                            *lists.conditioned_in.entry(first).or_default() += 1;
                        }
                    }
                    _ => {}
                }
            }
        }
        for first in lists.list_start.values() {
            *lists.list_len.entry(*first).or_default() += 1;
        }
    }

    /// The steps of the items of level-one lists: per item, its commands in inline code and
    /// (unless they say it all) the item read whole as a manual step. Also which items were
    /// read whole, nested bullets included.
    fn item_steps(&self, roles: &[Option<prose::Role>], lists: &Lists, with_drafts: &HashSet<usize>) -> (Vec<Draft>, HashSet<usize>) {
        let doc = self.doc;
        let step_heading: Vec<bool> = doc.headings.iter().map(|h| is_step_heading(&h.title)).collect();
        let mut added = Vec::new();
        // Items read whole (nested bullets included) into one manual step.
        let mut whole_items: HashSet<usize> = HashSet::new();
        // The last paragraph outside lists: what introduces the list an item is in.
        let mut lead_in: Option<usize> = None;
        for (index, node) in doc.nodes.iter().enumerate() {
            if matches!(node.kind, NodeKind::Paragraph) && node.list.depth == 0 {
                lead_in = Some(index);
            }
            if !matches!(node.kind, NodeKind::ItemStart) || node.list.depth != 1 {
                continue;
            }
            let Some(item) = node.list.item else { continue };
            let role = roles.get(index).copied().flatten();
            let Some((drafts, whole)) = self.item_step(index, node, item, role, lists, with_drafts, &step_heading, lead_in) else {
                continue;
            };
            if whole {
                whole_items.insert(item);
            }
            added.extend(drafts);
        }
        (added, whole_items)
    }

    /// One item's steps, and whether it was read whole; none when it is not a step (outside a
    /// procedure or a role section, a checklist item, a reference, too short).
    #[allow(clippy::too_many_arguments)]
    fn item_step(
        &self,
        index: usize,
        node: &crate::document::Node,
        item: usize,
        role: Option<prose::Role>,
        lists: &Lists,
        with_drafts: &HashSet<usize>,
        step_heading: &[bool],
        lead_in: Option<usize>,
    ) -> Option<(Vec<Draft>, bool)> {
        use prose::Role;
        let doc = self.doc;
        // A numbered procedure outside any role section (`1. Stop the service: `…``) is
        // steps too, but only its items that hold a command.
        let list_first = lists.procedure_of.get(&item).copied();
        let commands = list_first.and_then(|first| lists.commands_in.get(&first)).copied().unwrap_or(0);
        // In a numbered list, one command (inline or a block) makes every item a step; a
        // bullet list needs two.
        let commands = if list_first.is_some_and(|f| lists.numbered_list.contains(&f)) && commands == 1 { 2 } else { commands };
        // Under a step heading (`## 2. Verify the graphs`) every item is part of the procedure.
        let step_section = node.section.is_some_and(|h| step_heading[h]);
        let commands = if step_section { commands.max(2) } else { commands };
        let instructions = list_first.and_then(|first| lists.instructions_in.get(&first)).copied().unwrap_or(0);
        let instruction_list = instructions >= 2 && lists.instruction_items.contains(&item);
        // Each item of a list of options is one, whatever it says.
        let option_item = lists.list_start.get(&item).is_some_and(|f| lists.option_lists.contains(f));
        // Two or more items opening with "If …" are the cases to choose from, whatever they hold.
        let procedure =
            role.is_none() && (commands >= 1 || step_section || instruction_list || option_item || lists.alternatives_list(item));
        if with_drafts.contains(&item) || !(procedure || matches!(role, Some(Role::Diagnosis | Role::Resolution | Role::Verification))) {
            return None;
        }
        let (text, text_start) = item_lead_text(&self.source.text, node.span);
        // A checklist item is a step of its own already. A link alone is a step to follow
        // (a dashboard, a query), except in a list of references ("More information:").
        let link_only = text.trim().starts_with('[') && text.trim().ends_with(')') && text.matches("](").count() == 1;
        // (Asked only of a link alone, and the intro lowercased only when it could say so:
        // this runs for every item of a list of steps.)
        let references = || {
            lead_in.is_some_and(|p| {
                let raw = &self.source.text[doc.nodes[p].span.range()];
                doc.nodes[p].section == node.section && raw.trim_end().ends_with(':') && {
                    let intro = raw.to_ascii_lowercase();
                    ["more information", "see also", "reference", "further reading", "links", "documentation", "read more", "learn more"]
                        .iter()
                        .any(|w| intro.contains(w))
                }
            })
        };
        if ["[ ]", "[x]", "[X]"].iter().any(|m| text.trim_start().starts_with(m)) || (link_only && references()) {
            return None;
        }
        let plain = prose::plain_text(text);
        if plain.len() < 3 {
            return None;
        }
        if let Some(cases) = self.depending_cases(index, &plain) {
            return Some((cases, true));
        }
        let title = prose::clean_title(&prose::first_sentence(&plain, 120));
        // "If the pod is in CrashLoopBackOff, run `kubectl delete pod …`": an alternative.
        let condition = item_condition(text);
        let (mut item_drafts, calls_only) = self.item_commands(index, node, item, role, lists, &title, condition.as_ref());
        // "Check that you can write. Run `select txid_current()` for this. You could also
        // create and drop a table.": the sentences without the command that still say what
        // to do stay a manual step beside it.
        // (Compared with their white space collapsed: a code span may break over lines.)
        let squash = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
        let step_codes: Vec<String> = item_drafts
            .iter()
            .filter_map(|d| inline_code(text).into_iter().find(|(c, _)| squash(&d.code).contains(&squash(c))).map(|(c, _)| squash(c)))
            .collect();
        let names_command = |s: &str| {
            let s = squash(s);
            step_codes.iter().any(|c| s.contains(c.as_str()))
        };
        let other_instructions =
            !item_drafts.is_empty() && !calls_only && prose::sentences(text).iter().any(|s| !names_command(s) && prose::instructs(s));
        let found = !item_drafts.is_empty() && !calls_only && !other_instructions;
        // In a procedure with a single command, the other items are prose around it.
        let prose_around_one_command = procedure && commands < 2 && !instruction_list && !option_item && !lists.alternatives_list(item);
        // "Possible causes" bullets state causes; they are not things to do.
        let causes = node.section.is_some_and(|h| is_cause_container(doc, h));
        if !found && !prose_around_one_command && !causes {
            // The whole item, nested bullets included, is what the operator reads.
            let full: Vec<String> = self.source.text[node.span.range()]
                .lines()
                .map(|l| as_written(l.trim_start().trim_start_matches(['-', '*', '+']).trim_start()))
                .filter(|l| !l.is_empty())
                .collect();
            let mut code = if full.len() > 1 { full.join("\n") } else { as_written(text) };
            // The sentences naming a command (a function to call) are that command's step.
            let mut title = title;
            if !item_drafts.is_empty() {
                let kept: Vec<&str> = prose::sentences(&code).into_iter().filter(|s| !names_command(s)).collect();
                title = kept.first().map(|s| prose::short_title(s)).unwrap_or(title);
                code = kept.join(" ");
                if code.trim().is_empty() {
                    return Some((std::mem::take(&mut item_drafts), false));
                }
            }
            // The address is what the operator opens.
            if link_only && let Some(url) = text.split_once("](").and_then(|(_, r)| r.strip_suffix(')')) {
                code = format!("{plain}: {url}");
            }
            let mut d = self.draft(StepKind::Manual, code, vec![(0, text_start)], None, node.span, node.section, node.list, index);
            d.title = title;
            // "If alert X fired too, look at it first" in a diagnosis list is advice, not a
            // choice between alternatives: only resolution lists branch on prose items.
            d.condition = condition.filter(|_| role == Some(Role::Resolution) || lists.alternatives_list(item));
            if d.condition.is_none() && node.list.number.is_none() && lists.fixes_to_choose(item, role) {
                d.condition = Some(d.title.clone()).filter(|t| !t.is_empty());
            }
            let mut out = vec![d];
            out.append(&mut item_drafts);
            return Some((out, true));
        }
        Some((item_drafts, false))
    }

    /// The commands in an item's inline code, each a step titled by the words before it, and
    /// whether they are all calls of an SQL function the prose names.
    #[allow(clippy::too_many_arguments)]
    fn item_commands(
        &self,
        index: usize,
        node: &crate::document::Node,
        item: usize,
        role: Option<prose::Role>,
        lists: &Lists,
        title: &str,
        condition: Option<&String>,
    ) -> (Vec<Draft>, bool) {
        let (mut item_drafts, mut calls_only) = (Vec::new(), true);
        let (text, text_start) = item_lead_text(&self.source.text, node.span);
        for (code, at) in inline_code(text) {
            // `` - `chef-client-enable` ``: an item that is only a command is that command.
            let alone = text.trim().trim_end_matches(['.', ';']).trim_matches('`') == code && is_known_command(code);
            if !is_step_code(code) && !alone && sql_call(text, at, code).is_none() {
                continue;
            }
            let mut d = self.inline_draft(text, at, code, text_start + at, node.span, node.section, node.list, index);
            opener_as_manual(&mut d);
            // The item's words before the command: "Raise the limit for now".
            let before = text[..at.min(text.len())].trim_end_matches(['`', ' ', ':']);
            d.title = if before.len() > 3 { prose::short_title(before) } else { title.to_owned() };
            // The condition is the words before the command, not the command itself.
            d.condition = condition.and_then(|_| infer::opening_condition(before)).or_else(|| condition.cloned());
            if d.condition.is_none() && node.list.number.is_none() && lists.fixes_to_choose(item, role) {
                d.condition = Some(d.title.to_owned()).filter(|t| !t.is_empty());
            }
            let call = d.kind == StepKind::Sql && sql_call(text, at, code).is_some();
            if call && let Some(sentence) = prose::sentences(text).into_iter().find(|s| s.contains(code)) {
                d.title = prose::short_title(sentence);
            }
            calls_only &= call;
            item_drafts.push(d);
        }
        (item_drafts, calls_only)
    }

    /// Nested instructions under an item that is a label (`1. **Caching Strategy**`) or that
    /// holds a command block (`- Reset session via admin panel` beside `- End stuck
    /// sessions:` and its SQL): each is a manual step of that item.
    fn nested_instructions(
        &self,
        roles: &[Option<prose::Role>],
        lead: &HashMap<usize, (&str, usize)>,
        with_drafts: &HashSet<usize>,
        added: &[Draft],
        whole_items: &HashSet<usize>,
    ) -> Vec<Draft> {
        use prose::Role;
        let doc = self.doc;
        let mut items_with_steps: HashSet<usize> = with_drafts.clone();
        items_with_steps.extend(added.iter().filter_map(|d| d.list.item));
        let mut nested_added = Vec::new();
        for (index, node) in doc.nodes.iter().enumerate() {
            let (NodeKind::ItemStart, 2, Some(item), Some(h)) = (&node.kind, node.list.depth, node.list.item, node.section) else {
                continue;
            };
            if whole_items.contains(&item)
                || self.problems[h].is_none()
                || matches!(roles.get(index).copied().flatten(), Some(Role::Context | Role::Symptoms | Role::Prevention | Role::Escalation))
            {
                continue;
            }
            let (text, text_start) = item_lead_text(&self.source.text, node.span);
            // An item with its own block is that block's introduction.
            let holds_code = doc.nodes[index + 1..]
                .iter()
                .take_while(|n| n.span.start < node.span.end)
                .any(|n| matches!(n.kind, NodeKind::Code(_)) || (matches!(n.kind, NodeKind::ItemStart) && n.list.depth > 2));
            if holds_code || !instruction_item(text) || inline_code(text).iter().any(|(c, _)| is_step_code(c)) {
                continue;
            }
            // Under an item with no step of its own, or one whose steps are commands.
            let parent_has_manual = !with_drafts.contains(&item) && items_with_steps.contains(&item);
            if parent_has_manual {
                continue;
            }
            let plain = prose::plain_text(text);
            let mut d =
                self.draft(StepKind::Manual, as_written(text), vec![(0, text_start)], None, node.span, node.section, node.list, index);
            d.title = prose::clean_title(&prose::first_sentence(&plain, 120));
            d.risk = Classified { risk: Risk::Read, reason: "manual instruction".into() };
            // The item's condition is its nested steps' too (see above).
            d.condition = lead.get(&item).and_then(|(t, _)| check_if_so(t).or_else(|| infer::opening_condition(t)));
            nested_added.push(d);
        }
        nested_added
    }

    /// Items of a list of options are alternatives, labelled with the item's words.
    fn label_options(&mut self, lead: &HashMap<usize, (&str, usize)>, lists: &Lists) {
        for d in &mut self.drafts {
            let Some(item) = d.list.item else { continue };
            if d.condition.is_some()
                || d.annotation.is_some()
                || !lists.list_start.get(&item).is_some_and(|f| lists.option_lists.contains(f))
            {
                continue;
            }
            if let Some((text, _)) = lead.get(&item) {
                let label = prose::short_title(text);
                if !label.is_empty() {
                    d.condition = Some(label);
                }
            }
        }
    }

    /// "Based on the **`reason`**:" over `` - `timeout` `` / `` - `network-error` ``, each over
    /// its own bullets: one case each, a manual step of its bullets labelled by the case.
    pub(super) fn depending_cases(&self, index: usize, plain: &str) -> Option<Vec<Draft>> {
        let head = plain.chars().take(12).collect::<String>().to_ascii_lowercase();
        if !["based on", "depending on", "according to"].iter().any(|w| head.starts_with(w)) {
            return None;
        }
        let doc = self.doc;
        let end = doc.nodes[index].span.end;
        let mut cases = Vec::new();
        for (n, child) in doc.nodes.iter().enumerate().skip(index + 1).take_while(|(_, c)| c.span.start < end) {
            if !matches!(child.kind, NodeKind::ItemStart) || child.list.depth != 2 {
                continue;
            }
            let (label_md, at) = item_lead_text(&self.source.text, child.span);
            let label = prose::plain_text(label_md).trim().trim_end_matches(':').to_owned();
            let body: Vec<String> = self.source.text[child.span.range()]
                .lines()
                .skip(1)
                .map(|l| as_written(l.trim_start().trim_start_matches(['-', '*', '+']).trim_start()))
                .filter(|l| !l.is_empty())
                .collect();
            if label.is_empty() || label.split_whitespace().count() > 6 || body.is_empty() {
                return None;
            }
            let mut d = self.draft(StepKind::Manual, body.join("\n"), vec![(0, at)], None, child.span, child.section, child.list, n);
            d.title = prose::short_title(&body[0]);
            d.risk = Classified { risk: Risk::Read, reason: "manual instruction".into() };
            d.condition = Some(label);
            cases.push(d);
        }
        (cases.len() >= 2).then_some(cases)
    }
}

/// The condition a list item opens with: "If the pod is crashing, …", or a question the
/// operator answers ("Are queriers in a crash loop?", "Is QPS increased?").
pub(super) fn item_condition(text: &str) -> Option<String> {
    // "Or, you can force delete the pod": one more alternative.
    let or = || infer::alternative_sentence(text).filter(|s| !s.is_empty());
    infer::opening_condition(text).or_else(|| check_if_so(text)).or_else(or).or_else(|| {
        let line = text.lines().next().unwrap_or("");
        // A question ends with a `?` its plain text copies from the Markdown: without one
        // there is nothing to convert (this runs for every item of every list).
        if !line.contains('?') {
            return None;
        }
        let first = prose::first_sentence(&prose::plain_text(line), 160);
        let word = first.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
        let asks = matches!(word.as_str(), "is" | "are" | "does" | "do" | "has" | "have" | "can" | "was" | "were" | "did" | "any");
        (asks && first.ends_with('?')).then_some(first)
    })
}

/// "Check if the issue occurs only for few ingesters. If so:": the check is the condition
/// of what follows.
pub(super) fn check_if_so(text: &str) -> Option<String> {
    let plain = prose::plain_text(text.lines().next().unwrap_or(""));
    // Every phrase below opens with "if ": a line without one is not lowercased and searched
    // four times (this runs for every item of every list).
    let if_ = |w: &[u8]| w[0].eq_ignore_ascii_case(&b'i') && w[1].eq_ignore_ascii_case(&b'f') && w[2] == b' ';
    if !plain.as_bytes().windows(3).any(if_) {
        return None;
    }
    let lower = plain.to_ascii_lowercase();
    let so = ["if so", "if yes", "if that is the case", "if this is the case"].iter().any(|w| lower.contains(w));
    if !so {
        return None;
    }
    let first = prose::first_sentence(&lower, 400);
    let asks = ["check ", "verify ", "see ", "look ", "find out ", "confirm ", "determine "].iter().any(|w| first.starts_with(w))
        && (first.contains(" if ") || first.contains(" whether "));
    asks.then(|| prose::first_sentence(&plain, 160))
}

/// "You have several options to recover:", "Use one of the following:", "Either:": the list
/// after the paragraph holds alternatives, not a sequence.
pub(super) fn introduces_alternatives(paragraph: &str) -> bool {
    let p = paragraph.trim_end();
    if !p.ends_with(':') {
        return false;
    }
    let tail = p.rsplit(". ").next().unwrap_or(p).to_ascii_lowercase();
    [
        "options",
        "alternatives",
        "one of the following",
        "several ways",
        "two ways",
        "a few ways",
        "multiple ways",
        "either",
        "possible reasons",
        "possibles reasons",
        "possible causes",
        "likely causes",
        "common causes",
        "potential causes",
    ]
    .iter()
    .any(|w| tail.contains(w))
}

/// A list item that tells the operator to do something: an imperative (`Review access
/// logs`) or a sentence of it that instructs ("If the limit is hit, you can raise it").
pub(super) fn instruction_item(text: &str) -> bool {
    prose::is_instruction(text) || prose::sentences(text).iter().take(4).any(|s| prose::instructs(s))
}

/// What the document's level-one lists are, read once for all their items; lists are keyed by
/// their first item.
#[derive(Default)]
struct Lists {
    /// Each item's list, outside role sections.
    procedure_of: HashMap<usize, usize>,
    /// How many items of a list hold a command.
    commands_in: HashMap<usize, usize>,
    /// Items that tell the operator to do something (`Review access logs`), themselves or
    /// in their nested bullets: a list of two or more is a procedure of manual steps.
    instructions_in: HashMap<usize, usize>,
    /// (Read only for the items of `procedure_of`: no other item's is asked for.)
    instruction_items: HashSet<usize>,
    numbered_list: HashSet<usize>,
    /// Each item's list, whatever its section's role.
    list_start: HashMap<usize, usize>,
    /// How many items of a list open with "If …".
    conditioned_in: HashMap<usize, usize>,
    /// Lists introduced as options ("you have several options to recover:").
    option_lists: HashSet<usize>,
    list_len: HashMap<usize, usize>,
}

impl Lists {
    /// The item's list offers alternatives: introduced as options, or two or more "If …" items.
    fn alternatives_list(&self, item: usize) -> bool {
        self.list_start.get(&item).is_some_and(|f| self.option_lists.contains(f) || self.conditioned_in.get(f).copied().unwrap_or(0) >= 2)
    }

    /// A resolution's bullets of fixes where one opens with "If …" (`- Increase the limit: `…``,
    /// `- If it is the store-gateway, enable lazy loading`): every fix is one to choose.
    /// (A numbered item is a step in order.)
    fn fixes_to_choose(&self, item: usize, role: Option<prose::Role>) -> bool {
        role == Some(prose::Role::Resolution)
            && self
                .list_start
                .get(&item)
                .is_some_and(|f| self.conditioned_in.get(f).copied().unwrap_or(0) >= 1 && self.list_len.get(f).copied().unwrap_or(0) >= 2)
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{branch_labels, steps};
    use crate::{Source, StepKind, compile};

    #[test]
    fn a_list_of_options_is_alternatives() {
        let b = branch_labels(
            "# Replica\n## Resync a replica\nIf a replica fails, you have several options to recover:\n\n\
             1. Run pg_basebackup from the secondary\n2. Restore a backup with WAL-G\n3. Take a disk snapshot of the primary\n",
        );
        assert!(b.iter().any(|l| l.starts_with("Run pg_basebackup")) && b.iter().any(|l| l.starts_with("Take a disk snapshot")), "{b:?}");
    }

    #[test]
    fn two_if_bullets_of_a_check_list_are_alternatives() {
        let b = branch_labels(
            "# DB\n## Diagnosis\nCheck the pgbouncer dashboard:\n\n- if waiting clients stay high, look for slow queries\n\
             - if saturation is near 100%, check the database load\n",
        );
        assert!(b.iter().any(|l| l.starts_with("if waiting clients")) && b.iter().any(|l| l.starts_with("if saturation")), "{b:?}");
    }

    #[test]
    fn bold_labels_over_their_own_lists_are_alternatives() {
        let b = branch_labels(
            "# Ops\n## Database Issues\n**Critical Database Failure:**\n1. Check the status page\n2. Contact support\n\n\
             **Data Corruption:**\n1. Create a backup\n2. Restore from the last good backup\n",
        );
        assert_eq!(b[..2], ["Critical Database Failure".to_owned(), "Data Corruption".to_owned()], "{b:?}");
        // Phases of one sequence are not alternatives.
        let b = branch_labels("# Ops\n## Outage\n**Immediate Actions:**\n1. Check the status page\n\n**Rollback Procedure:**\n1. Revert\n");
        assert!(b.is_empty(), "{b:?}");
    }

    #[test]
    fn question_bullets_and_if_paragraphs_are_alternatives() {
        let b = branch_labels(
            "# Ops\n## QueriesStuck\nHow to **investigate**:\n- Are queriers in a crash loop?\n  - raise their memory\n\
             - Is QPS increased?\n  - scale up queriers\n",
        );
        assert!(b.iter().any(|l| l.starts_with("Are queriers")) && b.iter().any(|l| l.starts_with("Is QPS")), "{b:?}");
        let b = branch_labels(
            "# Ops\n## WALCorrupted\nIf this fires during startup, the WAL was repaired already.\n\n\
             If this fires during a checkpoint, you can follow the steps of that alert.\n",
        );
        assert!(b.iter().any(|l| l.contains("during startup")) && b.iter().any(|l| l.contains("during a checkpoint")), "{b:?}");
    }

    #[test]
    fn numbered_cause_labels_over_their_bullets_are_options() {
        // Nested, or written under the label with too little indentation to nest.
        for indent in ["   ", "  "] {
            let md = format!(
                "# Pool saturated\n## Troubleshoot\n\n1. Imbalance on pool connections\n{indent}* Check the [dashboard](https://x) for `Backend Connections`\n\
                 {indent}* Cycle the pods: `kubectl rollout restart deploy/web`\n\n1. Too many worker connections\n\
                 {indent}* Check the [DB dashboard](https://y) for slow locks\n{indent}* Dump the queries: `psql -c 'SELECT * FROM pg_stat_activity'`\n"
            );
            let b = branch_labels(&md);
            assert_eq!(b[..2], ["Imbalance on pool connections".to_owned(), "Too many worker connections".to_owned()], "{indent:?}: {b:?}");
        }
        // Bold labels too, with their bullets under-indented.
        let b = branch_labels(
            "# Series limit\n## How to fix\n1. **Temporarily increase the limit**<br />\n   Raise it in the runtime config.\n\
             2. **Check the shard size**<br />\n  - Run the query: `cortextool analyse`\n  - Double the shard size\n\
             3. **Scale up ingesters**<br />\n   Add replicas: `kubectl scale sts ingester --replicas=9`\n",
        );
        assert_eq!(
            b[..3],
            ["Temporarily increase the limit".to_owned(), "Check the shard size".to_owned(), "Scale up ingesters".to_owned()],
            "{b:?}"
        );
        // Numbered instructions are a sequence.
        let b = branch_labels(
            "# Pool\n## Troubleshoot\n1. Check the pool\n   * `kubectl get pods`\n2. Restart the pool\n   * `kubectl rollout restart deploy/pool`\n",
        );
        assert!(b.is_empty(), "{b:?}");
    }

    #[test]
    fn if_items_over_their_own_bullets_are_cases_whatever_they_hold() {
        let b = branch_labels(
            "# WAF\n## Triage\n### Artifacts to collect\n\
             - If an incident already exists for many reports:\n    - Share the trace template and ask users for results.\n\
             \x20   - If more is needed, have users open a confidential issue.\n\
             - If the problem is one URI:\n    - Have the user open an issue, confidential if needed.\n",
        );
        assert!(b.iter().any(|l| l.starts_with("If an incident")) && b.iter().any(|l| l.starts_with("If the problem is one URI")), "{b:?}");
    }

    #[test]
    fn cases_under_based_on_are_options() {
        let b = branch_labels(
            "# Cache\n## CacheRequestErrors\nHow to **investigate**:\n- Find which error occurs with the failures query\n\
             - Based on the **`reason`**:\n  - `timeout`\n    - Scale up the cache replicas\n  - `network-error`\n    - Check the client logs\n",
        );
        assert_eq!(b[..2], ["timeout".to_owned(), "network-error".to_owned()], "{b:?}");
    }

    #[test]
    fn a_resolution_list_with_an_if_fix_is_fixes_to_choose_from() {
        let b = branch_labels(
            "# Mmap\n## MemoryMapAreasTooHigh\nThe process is close to the kernel limit.\n\nHow to **fix**:\n\
             - Increase the limit on your system: `sysctl -w vm.max_map_count=262144`\n\
             - If it's caused by the store-gateway, consider enabling lazy loading of index headers\n",
        );
        assert!(b.iter().any(|l| l.starts_with("Increase the limit")) && b.iter().any(|l| l.starts_with("If it's caused")), "{b:?}");
        // Without an "If …" fix, the list is a sequence.
        let b = branch_labels(
            "# Mmap\n## MemoryMapAreasTooHigh\nHow to **fix**:\n- Increase the limit: `sysctl -w vm.max_map_count=262144`\n\
             - Restart the pod: `kubectl delete pod store-gateway-0`\n",
        );
        assert!(b.is_empty(), "{b:?}");
    }

    #[test]
    fn each_case_of_an_empty_option_is_a_branch_with_its_commands() {
        let g = compile(Source::new(
            "t.md",
            "# Disk full\n## Resolution\nFirst, check the host.\n### Well known hosts\n#### dashboards.example.net\n\
             Influxdb leaks handles. You can restart it with `sudo service influxdb restart`.\n\
             #### worker*.example.com\nNginx leaks handles. You can restart it with `sudo gitlab-ctl restart nginx`.\n\
             ### Anything else\nRemove old logs: `sudo find /var/log/app -mtime +2 -delete`\n",
        ))
        .graph;
        let labels: Vec<&str> = g.edges.iter().filter(|e| e.kind == crate::EdgeKind::Branch).filter_map(|e| e.label.as_deref()).collect();
        assert!(labels.contains(&"dashboards.example.net") && labels.contains(&"worker.example.com"), "{labels:?}");
        let restart = g.steps.iter().find(|s| s.code == "sudo gitlab-ctl restart nginx").expect("the restart, a step of its own");
        assert_eq!(restart.kind, StepKind::Shell);
    }

    #[test]
    fn an_items_other_instructions_stay_beside_its_command() {
        let s = steps(
            "# DB\n## Availability\n* Check that you can connect from a psql prompt.\n\
             * Check that you can write. Run `select\n  txid_current()` for this, it needs disk i/o. \
             You could also try creating and dropping a dummy table.\n",
        );
        let sql = s.iter().find(|(k, _)| *k == StepKind::Sql).expect("the query, its code span read as one line");
        assert_eq!(sql.1, "select   txid_current()");
        let manual = s.iter().find(|(_, c)| c.contains("dummy table")).expect("the item's other instruction");
        assert!(manual.0 == StepKind::Manual && !manual.1.contains("txid_current"), "{s:?}");
    }

    #[test]
    fn an_item_that_is_only_a_known_command_is_that_command() {
        let s = steps("# Chef\n## Pause chef\n1. `chef-client-disable \"maintenance\"`\n2. Do the work.\n3. `chef-client-enable`\n");
        assert!(s.contains(&(StepKind::Shell, "chef-client-enable".to_owned())), "{s:?}");
    }

    #[test]
    fn check_if_so_items_and_possible_reasons_are_alternatives() {
        let b = branch_labels(
            "# Ops\n## Memory\nHow to **fix**:\n- Check if the issue occurs only for few ingesters. If so:\n  - Restart them\n    ```\n    kubectl delete pod ingester-1\n    ```\n\
             - Check the dashboard to see if the series are above the target. If so:\n  - Scale up ingesters\n",
        );
        assert!(b.iter().any(|l| l.starts_with("Check if the issue")) && b.iter().any(|l| l.starts_with("Check the dashboard")), "{b:?}");
        let b = branch_labels(
            "# Ops\n## Persist failing\nFind the reason in the logs. Possible reasons:\n\n- The remote write failed. Investigate the network.\n\
             - The encoding failed. Report a bug.\n",
        );
        assert!(b.iter().any(|l| l.starts_with("The remote write failed")), "{b:?}");
    }

    #[test]
    fn an_if_item_is_the_condition_of_its_nested_steps() {
        let md = "# Ops\n## Mitigation\n- If a PDB blocks it, patch it:\n\n   ```console\n   oc patch pdb x\n   ```\n\
                  - If a webhook blocks it:\n\n    1. Check the webhooks.\n        ```console\n        $ oc get validatingwebhookconfiguration\n        ```\n\
                    2. Delete the webhook\n        ```console\n        $ oc delete validatingwebhookconfiguration x\n        ```\n\
                  - Or, you can force delete the pod.\n";
        let g = compile(Source::new("t.md", md)).graph;
        let into = |code: &str| g.steps.iter().find(|s| s.code.contains(code)).map(|s| s.id.clone()).unwrap_or_default();
        let (get, delete) = (into("oc get validating"), into("oc delete validating"));
        // The webhook case is one alternative: its two steps in a row, the other cases beside it.
        assert!(g.edges.iter().any(|e| e.kind == crate::EdgeKind::Branch && e.to.as_deref() == Some(get.as_str())), "{:?}", g.edges);
        assert!(g.edges.iter().any(|e| e.kind == crate::EdgeKind::Sequence && e.from == get && e.to.as_deref() == Some(delete.as_str())));
        assert!(g.edges.iter().any(|e| e.label.as_deref().is_some_and(|l| l.starts_with("Or, you can force"))), "{:?}", g.edges);
    }

    #[test]
    fn nested_instructions_under_a_label_or_beside_a_block_are_manual_steps() {
        let s = steps(
            "# Ops\n## API Optimization\n1. **Caching Strategy**\n   - Implement Redis for session data\n   - Use CDN for static assets\n\
             2. **Response Time Targets**\n   - Invitation creation: < 2000ms\n",
        );
        let codes: Vec<&str> = s.iter().map(|(_, c)| c.as_str()).collect();
        assert_eq!(codes, vec!["Implement Redis for session data", "Use CDN for static assets"]);
        let s = steps(
            "# Ops\n## Sessions stuck\n**Solutions:**\n1. **Session State Issues**:\n   - Reset session via admin panel\n   - End stuck sessions:\n     ```sql\n     UPDATE sessions SET status = 'Ended';\n     ```\n",
        );
        assert_eq!(s.iter().map(|(k, _)| *k).collect::<Vec<_>>(), vec![StepKind::Manual, StepKind::Sql], "{s:?}");
    }
}
