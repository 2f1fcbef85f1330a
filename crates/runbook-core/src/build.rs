//! Graph building: the document's blocks and annotations become steps, problems become entry
//! points, and sequence and branch edges connect them. Annotations override inference.

use crate::annotation::{self, Confirm, FrontMatter, StepAnnotation, StepKindSpec};
use crate::diagnostic::{Diagnostic, Finding, did_you_mean};
use crate::document::item_lead_text;
use crate::document::{CodeBlock, Document, ListContext, NodeKind};
pub(crate) use crate::draft::{Annotated, Draft, YamlOrigin};

mod annotate;
mod assemble;
mod blocks;
mod commands;

use crate::infer;
use crate::model::*;
use crate::outline::{Outline, is_cause_container, is_step_heading};
use crate::placeholder::{self, CodeKind};
use crate::prose;
use crate::risk::{self, Classified};
use crate::shell;
use crate::source::{Source, Span};
use annotate::*;
use assemble::*;
pub use assemble::{is_secret_name, neutralize};
use blocks::*;
use commands::*;
pub(crate) use commands::{is_known_command, looks_like_sql};
use serde_saphyr::Spanned;
use std::collections::{HashMap, HashSet};

const SQL_LANGS: &[&str] = &["sql", "psql", "postgres", "postgresql", "pgsql", "plpgsql", "sqlite", "sqlite3", "mysql", "tsql", "plsql"];
const SHELL_LANGS: &[&str] = &[
    "bash",
    "sh",
    "shell",
    "console",
    "zsh",
    "shell-session",
    "shellsession",
    "terminal",
    "ksh",
    "fish",
    "cli",
    "bash-session",
    "sh-session",
    "cmd",
    "powershell",
    "pwsh",
    "ps1",
    "bat",
];
/// A fence label of code `runbook` may run: SQL or a shell.
pub(crate) fn is_runnable_lang(lang: &str) -> bool {
    SQL_LANGS.contains(&lang) || SHELL_LANGS.contains(&lang)
}

/// Labels that say "this is output or text, not something to run".
const TEXT_LANGS: &[&str] = &["text", "txt", "plaintext", "plain", "output", "log", "none"];

pub fn build(source: &Source, doc: &Document, outline: &Outline, diags: &mut Vec<Diagnostic>) -> Graph {
    let mut b = Builder {
        source,
        doc,
        diags,
        front: FrontMatter::default(),
        drafts: Vec::new(),
        expressions: minijinja::Environment::new(),
        problems: outline.problems(),
    };
    b.front_matter();
    b.walk();
    b.finish()
}

struct Builder<'a> {
    source: &'a Source,
    doc: &'a Document,
    diags: &'a mut Vec<Diagnostic>,
    front: FrontMatter,
    drafts: Vec<Draft>,
    expressions: minijinja::Environment<'static>,
    /// For each heading, the heading of the problem it belongs to (from the outline).
    problems: Vec<Option<usize>>,
}

/// What the previous node was, for attaching annotations to adjacent blocks.
#[derive(Clone)]
enum Prev {
    Other,
    /// A code block and the drafts it produced.
    Code {
        node: usize,
        drafts: std::ops::Range<usize>,
    },
    /// An annotation waiting for the block after it.
    Annotation,
}

impl Builder<'_> {
    fn walk(&mut self) {
        let doc = self.doc;
        let mut prev = Prev::Other;
        let mut pending: Option<Annotated> = None;
        let mut last_paragraph: Option<(usize, Span)> = None;
        // A shell opened on another machine (`oc debug node/x`) and the section it was opened in.
        let mut session: Option<(Option<usize>, String)> = None;
        // The last application console opened anywhere above (`sentry shell`): a Python block
        // further down, with nothing else to run it, is typed into it too.
        let mut last_console: Option<String> = None;
        for (index, node) in doc.nodes.iter().enumerate() {
            match &node.kind {
                NodeKind::Code(block) if block.is_step_annotation() => {
                    if let Some(p) = pending.take() {
                        self.standalone(p);
                    }
                    let Some(annotated) = self.parse_annotation(block, node.span, index, node.section, node.list) else {
                        prev = Prev::Other;
                        continue;
                    };
                    match prev.clone() {
                        Prev::Code { node: block_node, drafts } if drafts.clone().all(|d| self.drafts[d].annotation.is_none()) => {
                            self.annotate_block(block_node, drafts, annotated);
                            prev = Prev::Other;
                        }
                        _ => {
                            pending = Some(annotated);
                            prev = Prev::Annotation;
                        }
                    }
                }
                NodeKind::Code(block) => {
                    let intro = last_paragraph
                        .filter(|&(p, _)| doc.nodes[p].section == node.section)
                        .filter(|&(p, _)| p + 1 == index || matches!(prev, Prev::Annotation))
                        .map(|(_, s)| &self.source.text[s.range()]);
                    let start = self.drafts.len();
                    if let Some(p) = pending.take_if(|_| matches!(prev, Prev::Annotation)) {
                        let draft = self.block_draft_annotated(index, block, node.span, node.section, node.list, p);
                        self.drafts.extend(draft);
                    } else {
                        if let Some(p) = pending.take() {
                            self.standalone(p);
                        }
                        // Example output right after a step belongs to that step.
                        let lang = block.lang();
                        // A block of commands is never output, whatever the sentence before it says
                        // ("record the output:", "You should see no errors:"): dropping it would
                        // hide a command, maybe a destructive one.
                        let runnable = (SQL_LANGS.contains(&lang.as_str()) || SHELL_LANGS.contains(&lang.as_str()) || lang.is_empty())
                            && (looks_like_sql(&block.text) || looks_like_shell(&block.text));
                        let is_output = (intro.is_some_and(prose::introduces_output) && !runnable)
                            || (TEXT_LANGS.contains(&block.lang().as_str()) && matches!(prev, Prev::Code { .. }));
                        if is_output
                            && let Some(last) = self.drafts.last_mut().filter(|d| d.section == node.section && d.expected_output.is_none())
                        {
                            last.expected_output = Some(block.text.trim_end().to_owned());
                            prev = Prev::Other;
                            continue;
                        }
                        let mut drafts = self.block_drafts(index, block, node.span, node.section, node.list);
                        // Ruby or Python after `gitlab-rails console` / `manage.py shell`: typed into
                        // that console. Not run by runbook, as risky as what it does.
                        // Also when the sentence before says so: "In the Rails console, run:".
                        let said = intro
                            .filter(|p| {
                                let l = p.to_ascii_lowercase();
                                l.contains("rails console") || l.contains("irb") || l.contains("rails runner")
                            })
                            .filter(|_| matches!(block.lang().as_str(), "ruby" | "rb" | "irb"))
                            .map(|_| "gitlab-rails console".to_owned());
                        let console = session
                            .as_ref()
                            .filter(|(section, opener)| *section == node.section && is_console(opener))
                            .map(|(_, o)| o.clone())
                            .or_else(|| last_console.clone().filter(|o| console_speaks(o, &block.lang())));
                        if drafts.is_empty()
                            && let Some(opener) = console.or(said)
                            && matches!(
                                block.lang().as_str(),
                                "ruby" | "rb" | "irb" | "python" | "py" | "python3" | "js" | "javascript" | ""
                            )
                            && !block.text.trim().is_empty()
                        {
                            let lang = Some(block.lang()).filter(|l| !l.is_empty());
                            let text = block.text.trim_end();
                            let mut d = self.whole_block(StepKind::Manual, text, block, lang, node.span, node.section, node.list, index);
                            d.risk = console_code_risk(text, &opener);
                            // The console stays open for the next Ruby of the section.
                            d.opens_session = Some(opener);
                            drafts.push(d);
                        }
                        // "Raise the etcd limits via:" / "or in the runtime config:" and a block of
                        // settings: a configuration the operator applies by hand.
                        // (In a tight list the item's own words lead into the block.)
                        let item_intro = index
                            .checked_sub(1)
                            .map(|i| &doc.nodes[i])
                            .filter(|n| matches!(n.kind, NodeKind::ItemStart))
                            .map(|n| item_lead_text(&self.source.text, n.span).0);
                        if drafts.is_empty()
                            && let Some(p) = intro.or(item_intro).filter(|p| introduces_config(p))
                            && looks_like_config(&block.text, &block.lang())
                        {
                            let lang = Some(block.lang()).filter(|l| !l.is_empty());
                            let mut d = self.whole_block(
                                StepKind::Manual,
                                block.text.trim_end(),
                                block,
                                lang,
                                node.span,
                                node.section,
                                node.list,
                                index,
                            );
                            d.risk = Classified { risk: Risk::Write, reason: "a configuration to apply".into() };
                            d.title = prose::title_of(p);
                            // What to do with the settings, as the author wrote it, then the settings.
                            d.code = format!("{}\n{}", as_written(p), d.code);
                            drafts.push(d);
                        }
                        // A transcript (`app=# SELECT …` and its rows) of the query just above is
                        // that step's output, not a second run of it.
                        if let ([d], Some(last)) = (drafts.as_mut_slice(), self.drafts.last_mut())
                            && d.expected_output.is_some()
                            && d.kind == last.kind
                            && last.section == d.section
                            && last.expected_output.is_none()
                            && same_code(&d.code, &last.code)
                        {
                            last.expected_output = d.expected_output.take();
                            drafts.clear();
                        }
                        self.drafts.extend(drafts);
                    }
                    let end = self.drafts.len();
                    let title = intro.filter(|p| !infer::is_jump(p)).map(prose::title_of);
                    let mut condition = intro.and_then(infer::condition_sentence);
                    // "Or, to stop it for good:" before a block: this step and the one just before
                    // it are alternatives, chosen by the operator, not run one after the other.
                    if let Some(or) = intro.and_then(infer::alternative_sentence)
                        && end == start + 1
                        && let Some(before) = start.checked_sub(1)
                        && self.drafts[before].section == node.section
                        && self.drafts[before].annotation.is_none()
                        && self.drafts[start].annotation.is_none()
                    {
                        let code = self.drafts[start].code.clone();
                        condition = Some(alternatives(&mut self.drafts[before], &code, or));
                        // The block before, all its commands, is the first alternative.
                        let (node, either) = (self.drafts[before].node, self.drafts[before].condition.clone());
                        for d in self.drafts[..before].iter_mut().rev().take_while(|d| d.node == node) {
                            if d.condition.is_none() && d.annotation.is_none() {
                                d.condition.clone_from(&either);
                            }
                        }
                    }
                    for d in &mut self.drafts[start..end] {
                        if d.title.is_empty() {
                            d.title = title.clone().unwrap_or_default();
                        }
                        if d.condition.is_none() {
                            d.condition = condition.clone();
                        }
                    }
                    // After `oc debug node/x` / `ssh db1` in this section, blocks are typed there.
                    // A step heading (`### Step 2: …`) continues the procedure, and the shell it is in.
                    let continues = |from: Option<usize>, to: Option<usize>| {
                        let (Some(a), Some(b)) = (from, to) else { return false };
                        self.problems[a].is_some()
                            && self.problems[a] == self.problems[b]
                            && is_step_heading(&doc.headings[b].title)
                            && !crate::outline::is_alternative_heading(&doc.headings[b].title)
                    };
                    session.take_if(|(section, _)| *section != node.section && !continues(*section, node.section));
                    // `oc …` / `kubectl …` run on the workstation, not in the pod or on the node.
                    session.take_if(|(_, opener)| {
                        let first = |t: &str| t.split_whitespace().next().unwrap_or("").to_owned();
                        matches!(first(opener).as_str(), "oc" | "kubectl")
                            && matches!(first(block.text.trim_start()).as_str(), "oc" | "kubectl")
                    });
                    // A block that starts with a shell command is not typed into a console.
                    session.take_if(|(_, opener)| is_console(opener) && is_known_command(block.text.trim_start()));
                    // "Login to sentry.gitlab.net, and check …": the block is typed on that host.
                    if session.is_none()
                        && let Some(host) = intro.and_then(remote_login)
                    {
                        session = Some((node.section, host));
                    }
                    if let Some((_, opener)) = &session {
                        for d in self.drafts[start..end].iter_mut().filter(|d| d.annotation.is_none()) {
                            if matches!(d.kind, StepKind::Shell | StepKind::Http | StepKind::Sql) {
                                d.kind = StepKind::Manual;
                                d.http = None;
                                d.risk.reason = format!("typed into `{opener}`: {}", d.risk.reason);
                            }
                        }
                    }
                    if let Some(opener) = self.drafts[start..end].last().and_then(|d| d.opens_session.clone()) {
                        if is_console(&opener) {
                            last_console = Some(opener.clone());
                        }
                        session = Some((node.section, opener));
                    } else if let Some((section, _)) = session.as_mut() {
                        // Carried into this section: it ends with the section, unless a step follows.
                        *section = node.section;
                    }
                    if block.unterminated {
                        let open = Span::new(node.span.start, node.span.start + 3);
                        self.diags.push(
                            Diagnostic::new(Finding::UnterminatedFence, open, "this code fence is never closed")
                                .label("runs to the end of the file")
                                .hint("add a closing fence; everything after it was read as code"),
                        );
                    }
                    prev = Prev::Code { node: index, drafts: start..end };
                }
                NodeKind::Task { .. } => {
                    if let Some(p) = pending.take() {
                        self.standalone(p);
                    }
                    let raw = self.source.text[node.span.range()].trim_start();
                    let raw = raw
                        .strip_prefix(['-', '*', '+'])
                        .unwrap_or_else(|| raw.trim_start_matches(|c: char| c.is_ascii_digit()).trim_start_matches(['.', ')']));
                    let raw = raw.trim_start();
                    let raw = ["[ ]", "[x]", "[X]"].iter().find_map(|m| raw.strip_prefix(m)).unwrap_or(raw);
                    let text = prose::plain_text(raw.lines().next().unwrap_or(""));
                    if !text.is_empty() {
                        self.drafts.push(Draft {
                            kind: StepKind::Manual,
                            risk: Classified { risk: Risk::Read, reason: "checklist item".into() },
                            code: text.clone(),
                            code_map: vec![(0, node.span.start)],
                            lang: None,
                            span: node.span,
                            section: node.section,
                            list: node.list,
                            title: prose::first_sentence(&text, 120),
                            expected_output: None,
                            http: None,
                            annotation: None,
                            condition: None,
                            node: index,
                            role: None,
                            opens_session: None,
                            placeholders: Vec::new(),
                        });
                    }
                    last_paragraph = Some((index, node.span));
                    prev = Prev::Other;
                }
                NodeKind::Paragraph => {
                    if let Some(p) = pending.take() {
                        self.standalone(p);
                    }
                    // `**Diagnosis**` alone is a heading, not an introduction.
                    if !is_bold_only(&self.source.text[node.span.range()]) {
                        last_paragraph = Some((index, node.span));
                    }
                    prev = Prev::Other;
                }
                NodeKind::ItemStart => {
                    // A list item's own paragraph follows; keep an annotation waiting across it.
                    if !matches!(prev, Prev::Annotation) {
                        prev = Prev::Other;
                    }
                }
                NodeKind::Table => {
                    if let Some(p) = pending.take() {
                        self.standalone(p);
                    }
                    prev = Prev::Other;
                }
            }
        }
        if let Some(p) = pending.take() {
            self.standalone(p);
        }
        let roles = node_roles(self.source, doc, &self.problems);
        self.list_item_steps(&roles);
        self.prose_only_sections();
        self.prose_paragraph_steps(&roles);
        for d in &mut self.drafts {
            d.role = roles.get(d.node).copied().flatten();
        }
    }

    /// A resolution or verification section written as prose only (or a diagnosis one, in a
    /// problem that has steps elsewhere): one manual step holding its first paragraphs, so the
    /// walk shows it instead of ending before it.
    fn prose_only_sections(&mut self) {
        use prose::Role;
        let doc = self.doc;
        let problems = &self.problems;
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
        let mut paragraphs: HashMap<usize, Vec<usize>> = HashMap::new();
        for (index, node) in doc.nodes.iter().enumerate() {
            if let (NodeKind::Paragraph, Some(h), 0) = (&node.kind, node.section, node.list.depth) {
                paragraphs.entry(h).or_default().push(index);
            }
        }
        let mut added = Vec::new();
        // Alert catalogues: `+ *Message*: …`, `+ *Severity*: critical`, `+ *Runbook*: [Link](…)`
        // under each alert's heading. The card is the problem's one (manual) step.
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
        // `### Check the replication lag` over a link to a dashboard alone (or its bare address):
        // the procedure is to open it.
        for (h, nodes) in &paragraphs {
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
        for (h, heading) in doc.headings.iter().enumerate() {
            let Some(problem) = problems[h].filter(|&p| p != h) else { continue };
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
                continue;
            }
            let Some(nodes) = paragraphs.get(&h) else { continue };
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
                    let mut d = self.draft(
                        StepKind::Manual,
                        texts.join("\n"),
                        vec![(0, node.span.start)],
                        None,
                        node.span,
                        Some(h),
                        node.list,
                        first,
                    );
                    d.title = prose::title_of(&self.source.text[node.span.range()]);
                    d.risk = Classified { risk: Risk::Read, reason: "manual instruction".into() };
                    added.push(d);
                }
                added.extend(commands);
                continue;
            }
            // "You can restart nginx with `sudo gitlab-ctl restart nginx`.": a command inside a
            // sentence is a step of its own, read sentence by sentence later (prose steps).
            let holds_command = |n: usize| inline_code(&self.source.text[doc.nodes[n].span.range()]).iter().any(|(c, _)| is_step_code(c));
            if option && nodes.iter().take(3).any(|&n| holds_command(n)) {
                continue;
            }
            // "If the alert fires during an upgrade, wait. If an operator is misconfigured, …":
            // alternatives in one paragraph, read sentence by sentence later (prose steps).
            if nodes.iter().take(3).any(|&n| branching_paragraph(&self.source.text[doc.nodes[n].span.range()])) {
                continue;
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
            let (Some(&first), false) = (nodes.first(), texts.is_empty()) else { continue };
            let node = &doc.nodes[first];
            let mut d =
                self.draft(StepKind::Manual, texts.join("\n"), vec![(0, node.span.start)], None, node.span, Some(h), node.list, first);
            d.title = prose::title_of(&self.source.text[node.span.range()]);
            d.risk = Classified { risk: Risk::Read, reason: "manual instruction".into() };
            added.push(d);
        }
        if !added.is_empty() {
            self.drafts.extend(added);
            self.drafts.sort_by_key(|d| d.node);
        }
    }

    /// Paragraphs of a problem or procedure that tell the operator what to do ("Check the ring
    /// web page. You could then check the logs: `kubectl logs -f ingester-01`."): each run of
    /// sentences holding an instruction is a manual step, each command in inline code a step
    /// of its kind, and a run opening with "If …" is an alternative. Description ("This alert
    /// fires when …"), a block's introduction and sections already read as prose are left alone.
    fn prose_paragraph_steps(&mut self, roles: &[Option<prose::Role>]) {
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
                // "initiate it using `ctl switchover` or `ctl failover`": each command's title is the
                // words before the first, not a sentence holding the other command too.
                let title = match codes.first() {
                    Some(&(_, at)) if codes.len() > 1 && at > 4 => prose::short_title(sentence[..at].trim_end_matches(['`', ' ', ':'])),
                    _ => prose::short_title(sentence),
                };
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

    /// List items of diagnosis, resolution and verification sections that hold no code block:
    /// a command in inline code becomes a step of its kind, anything else a manual step.
    fn list_item_steps(&mut self, roles: &[Option<prose::Role>]) {
        use prose::Role;
        let doc = self.doc;
        // Code inside a list item: the item's text is its title (and its "If …" its condition);
        // a checklist item holding code is that code, not a separate manual step.
        let lead: HashMap<usize, (&str, usize)> = doc
            .nodes
            .iter()
            .filter(|n| matches!(n.kind, NodeKind::ItemStart) && n.list.depth == 1)
            .filter_map(|n| n.list.item.map(|i| (i, item_lead_text(&self.source.text, n.span))))
            .collect();
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
        let with_drafts: HashSet<usize> = self.drafts.iter().filter_map(|d| d.list.item).collect();
        let step_heading: Vec<bool> = doc.headings.iter().map(|h| is_step_heading(&h.title)).collect();
        // Numbered lists outside role sections, each as (first item, how many of its items hold a
        // command): a list with two or more is a procedure, all of whose items are steps.
        // Bullet lists too: consecutive items of one section (a bullet after a numbered list, or
        // a list in another section, starts a new one).
        let mut procedure_of: HashMap<usize, usize> = HashMap::new();
        let mut commands_in: HashMap<usize, usize> = HashMap::new();
        // Items that tell the operator to do something (`Review access logs`), themselves or
        // in their nested bullets: a list of two or more is a procedure of manual steps.
        let mut instructions_in: HashMap<usize, usize> = HashMap::new();
        let mut instruction_items: HashSet<usize> = HashSet::new();
        for node in &doc.nodes {
            if let (Some(item), NodeKind::ItemStart, 1 | 2) = (node.list.item, &node.kind, node.list.depth)
                && instruction_item(item_lead_text(&self.source.text, node.span).0)
            {
                instruction_items.insert(item);
            }
        }
        let mut numbered_list: HashSet<usize> = HashSet::new();
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
                numbered_list.insert(first);
            }
            procedure_of.insert(item, first);
            let (text, _) = item_lead_text(&self.source.text, node.span);
            if with_drafts.contains(&item) || inline_code(text).iter().any(|(c, _)| is_step_code(c)) {
                *commands_in.entry(first).or_default() += 1;
            }
            if instruction_items.contains(&item) {
                *instructions_in.entry(first).or_default() += 1;
            }
        }
        // Every list (first item → its items), whatever its section's role, and the paragraph
        // right before it: "you have several options to recover:" makes its items alternatives,
        // and so do two or more items that open with "If …".
        let mut list_start: HashMap<usize, usize> = HashMap::new();
        let mut conditioned_in: HashMap<usize, usize> = HashMap::new();
        let mut option_lists: HashSet<usize> = HashSet::new();
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
                                    option_lists.insert(item);
                                }
                                item
                            }
                        };
                        open = Some((first, node.section));
                        list_start.insert(item, first);
                        if item_condition(item_lead_text(&self.source.text, node.span).0).is_some() {
                            *conditioned_in.entry(first).or_default() += 1;
                        }
                    }
                    _ => {}
                }
            }
        }
        let alternatives_list = |item: usize| {
            list_start.get(&item).is_some_and(|f| option_lists.contains(f) || conditioned_in.get(f).copied().unwrap_or(0) >= 2)
        };
        // A resolution's bullets of fixes where one opens with "If …" (`- Increase the limit: `…``,
        // `- If it is the store-gateway, enable lazy loading`): every fix is one to choose.
        // (A numbered item is a step in order.)
        let mut list_len: HashMap<usize, usize> = HashMap::new();
        for first in list_start.values() {
            *list_len.entry(*first).or_default() += 1;
        }
        let fixes_to_choose = |item: usize, role: Option<Role>| {
            role == Some(Role::Resolution)
                && list_start
                    .get(&item)
                    .is_some_and(|f| conditioned_in.get(f).copied().unwrap_or(0) >= 1 && list_len.get(f).copied().unwrap_or(0) >= 2)
        };
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
            // A numbered procedure outside any role section (`1. Stop the service: `…``) is
            // steps too, but only its items that hold a command.
            let list_first = procedure_of.get(&item).copied();
            let commands = list_first.and_then(|first| commands_in.get(&first)).copied().unwrap_or(0);
            // In a numbered list, one command (inline or a block) makes every item a step; a
            // bullet list needs two.
            let commands = if list_first.is_some_and(|f| numbered_list.contains(&f)) && commands == 1 { 2 } else { commands };
            // Under a step heading (`## 2. Verify the graphs`) every item is part of the procedure.
            let step_section = node.section.is_some_and(|h| step_heading[h]);
            let commands = if step_section { commands.max(2) } else { commands };
            let instructions = list_first.and_then(|first| instructions_in.get(&first)).copied().unwrap_or(0);
            let instruction_list = instructions >= 2 && instruction_items.contains(&item);
            // Each item of a list of options is one, whatever it says.
            let option_item = list_start.get(&item).is_some_and(|f| option_lists.contains(f));
            // Two or more items opening with "If …" are the cases to choose from, whatever they hold.
            let procedure = role.is_none() && (commands >= 1 || step_section || instruction_list || option_item || alternatives_list(item));
            if with_drafts.contains(&item) || !(procedure || matches!(role, Some(Role::Diagnosis | Role::Resolution | Role::Verification)))
            {
                continue;
            }
            let (text, text_start) = item_lead_text(&self.source.text, node.span);
            // A checklist item is a step of its own already. A link alone is a step to follow
            // (a dashboard, a query), except in a list of references ("More information:").
            let link_only = text.trim().starts_with('[') && text.trim().ends_with(')') && text.matches("](").count() == 1;
            let references = lead_in.is_some_and(|p| {
                let intro = self.source.text[doc.nodes[p].span.range()].to_ascii_lowercase();
                doc.nodes[p].section == node.section
                    && intro.trim_end().ends_with(':')
                    && ["more information", "see also", "reference", "further reading", "links", "documentation", "read more", "learn more"]
                        .iter()
                        .any(|w| intro.contains(w))
            });
            if ["[ ]", "[x]", "[X]"].iter().any(|m| text.trim_start().starts_with(m)) || (link_only && references) {
                continue;
            }
            let plain = prose::plain_text(text);
            if plain.len() < 3 {
                continue;
            }
            if let Some(cases) = self.depending_cases(index, &plain) {
                added.extend(cases);
                whole_items.insert(item);
                continue;
            }
            let title = prose::clean_title(&prose::first_sentence(&plain, 120));
            // "If the pod is in CrashLoopBackOff, run `kubectl delete pod …`": an alternative.
            let condition = item_condition(text);
            // An SQL function named in the item's prose ("Interruption can be done using
            // `pg_terminate_backend(…)` as well. In any case, open an issue.") is a step after the
            // item's words, which stay a step too; a command alone says it all.
            let (mut item_drafts, mut calls_only) = (Vec::new(), true);
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
                d.title = if before.len() > 3 { prose::short_title(before) } else { title.clone() };
                // The condition is the words before the command, not the command itself.
                d.condition = condition.as_ref().and_then(|_| infer::opening_condition(before)).or_else(|| condition.clone());
                if d.condition.is_none() && node.list.number.is_none() && fixes_to_choose(item, role) {
                    d.condition = Some(d.title.clone()).filter(|t| !t.is_empty());
                }
                let call = d.kind == StepKind::Sql && sql_call(text, at, code).is_some();
                if call && let Some(sentence) = prose::sentences(text).into_iter().find(|s| s.contains(code)) {
                    d.title = prose::short_title(sentence);
                }
                calls_only &= call;
                item_drafts.push(d);
            }
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
            let prose_around_one_command = procedure && commands < 2 && !instruction_list && !option_item && !alternatives_list(item);
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
                        added.append(&mut item_drafts);
                        continue;
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
                d.condition = condition.filter(|_| role == Some(Role::Resolution) || alternatives_list(item));
                if d.condition.is_none() && node.list.number.is_none() && fixes_to_choose(item, role) {
                    d.condition = Some(d.title.clone()).filter(|t| !t.is_empty());
                }
                added.push(d);
                whole_items.insert(item);
            }
            added.extend(item_drafts);
        }
        // Nested instructions under an item that is a label (`1. **Caching Strategy**`) or that
        // holds a command block (`- Reset session via admin panel` beside `- End stuck
        // sessions:` and its SQL): each is a manual step of that item.
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
        added.extend(nested_added);
        if !added.is_empty() {
            self.drafts.extend(added);
            // Back into document order (stable: drafts of one block keep their order).
            self.drafts.sort_by_key(|d| d.node);
        }
        // Items of a list of options are alternatives, labelled with the item's words.
        for d in &mut self.drafts {
            let Some(item) = d.list.item else { continue };
            if d.condition.is_some() || d.annotation.is_some() || !list_start.get(&item).is_some_and(|f| option_lists.contains(f)) {
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
    fn depending_cases(&self, index: usize, plain: &str) -> Option<Vec<Draft>> {
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

    #[allow(clippy::too_many_arguments)]
    fn draft(
        &self,
        kind: StepKind,
        code: String,
        code_map: Vec<(usize, usize)>,
        lang: Option<String>,
        span: Span,
        section: Option<usize>,
        list: ListContext,
        node: usize,
    ) -> Draft {
        let placeholders = match kind {
            StepKind::Sql => placeholder::find(&code, CodeKind::Sql, &[]),
            StepKind::Shell | StepKind::Http => placeholder::find(&code, CodeKind::Shell, &[]),
            _ => Vec::new(),
        };
        let http = (kind == StepKind::Http).then(|| shell::parse_curl(&code)).flatten().map(Box::new);
        let risk = match (&http, kind) {
            // A line bash runs (`curl -o file …`) is as risky as its method and what else it does.
            (Some(h), _) if h.shell_reason.is_some() => {
                let (a, b) = (risk::classify_http(&h.method, &h.url), risk::classify_shell(&code));
                if b.risk > a.risk { b } else { a }
            }
            (Some(h), _) => risk::classify_http(&h.method, &h.url),
            // sqlparser cannot read `<table>` or `:var`: classify with stand-ins.
            (None, StepKind::Sql) if !placeholders.is_empty() => risk::classify_sql(&neutralize(&code, &placeholders)),
            _ => classify(kind, &code),
        };
        Draft {
            placeholders,
            kind,
            risk,
            code,
            code_map,
            lang,
            span,
            section,
            list,
            title: String::new(),
            expected_output: None,
            http,
            annotation: None,
            condition: None,
            node,
            role: None,
            opens_session: None,
        }
    }

    /// A step for inline code at `at` in `text` (source offset `start`): the command as
    /// written, or for an SQL function the text tells to use, the query that calls it.
    #[allow(clippy::too_many_arguments)]
    fn inline_draft(
        &self,
        text: &str,
        at: usize,
        code: &str,
        start: usize,
        span: Span,
        section: Option<usize>,
        list: ListContext,
        node: usize,
    ) -> Draft {
        // Markdown reads a line break in a code span as a space (same length: the map holds).
        let code = &code.replace('\n', " ");
        match sql_call(text, at, code) {
            Some((query, lead)) => self.draft(StepKind::Sql, query, vec![(lead, start)], None, span, section, list, node),
            None => self.draft(inline_kind(code), code.to_owned(), vec![(0, start)], None, span, section, list, node),
        }
    }

    /// Inferred steps for one fenced block: none (output, config), one, or several when the
    /// block mixes kinds.
    fn block_drafts(&self, index: usize, block: &CodeBlock, span: Span, section: Option<usize>, list: ListContext) -> Vec<Draft> {
        let lang = block.lang();
        let text = block.text.trim_end();
        if text.trim().is_empty() {
            return Vec::new();
        }
        let lang_opt = Some(lang.clone()).filter(|l| !l.is_empty());
        let map_block = |pieces: &[(usize, usize)]| pieces.iter().map(|&(c, b)| (c, block.source_offset(b))).collect::<Vec<_>>();
        // `db=# SELECT …` with output lines: the prompted statements are the step.
        if (lang.is_empty() || SQL_LANGS.contains(&lang.as_str()) || TEXT_LANGS.contains(&lang.as_str()))
            && text.lines().any(|l| psql_prompt(l).is_some())
        {
            // `# ps aux | grep pgbouncer` and `$ sudo pgb-console` before `pgbouncer=# SHOW …`:
            // a transcript of shell commands and statements, each a step of its own kind.
            let root = opens_with_root_prompt(text);
            let sb = if root { shell::read_session(text, &|w| is_known_command(w)) } else { shell::read_block(text) };
            let shell_kind = |c: &str| Some(command_kind(c)).filter(|k| *k != StepKind::Sql && is_known_command(c));
            if sb.commands.iter().any(|c| shell_kind(&c.text).is_some()) {
                return sb
                    .commands
                    .iter()
                    .map(|c| {
                        let (code, map) = join_commands([c], block);
                        let at_psql = text.lines().nth(c.first_line).is_some_and(|l| psql_prompt(l).is_some());
                        let kind = shell_kind(&code).filter(|_| !at_psql).unwrap_or(StepKind::Sql);
                        let mut d = self.draft(kind, code, map, lang_opt.clone(), span, section, list, index);
                        opener_as_manual(&mut d);
                        d
                    })
                    .collect();
            }
            if !sb.commands.is_empty() {
                let (code, map) = join_commands(&sb.commands, block);
                let mut d = self.draft(StepKind::Sql, code, map, lang_opt, span, section, list, index);
                d.expected_output = (!sb.output.is_empty()).then(|| sb.output.join("\n"));
                return vec![d];
            }
        }
        if SQL_LANGS.contains(&lang.as_str()) || (lang.is_empty() && looks_like_sql(text)) {
            let chunks = sql_chunks(text);
            let commented = chunks.iter().skip(1).any(|c| !c.comment.is_empty());
            let shell_inside =
                chunks.iter().any(|c| command_kind(&text[c.start..c.end]) != StepKind::Sql && is_known_command(&text[c.start..c.end]));
            if (chunks.len() >= 2 && commented) || shell_inside {
                return chunks
                    .into_iter()
                    .map(|c| {
                        let code = text[c.start..c.end].to_owned();
                        // `psql -h [host] … < backup.sql` written in an `sql` block is a command.
                        let kind = if command_kind(&code) != StepKind::Sql && is_known_command(&code) {
                            command_kind(&code)
                        } else {
                            StepKind::Sql
                        };
                        let step_span = Span::new(block.source_offset(c.start), block.source_offset(c.end));
                        let mut d = self.draft(kind, code, shift_map(block, c.start), lang_opt.clone(), step_span, section, list, index);
                        d.title = c.comment;
                        d
                    })
                    .collect();
            }
            let lead = text.len() - text.trim_start().len();
            let code = text.trim_start().to_owned();
            let map = map_block(&[(0, lead)]);
            let mut d = self.draft(StepKind::Sql, code, map, lang_opt, span, section, list, index);
            d.code_map = shift_map(block, lead);
            return vec![d];
        }
        let shellish = SHELL_LANGS.contains(&lang.as_str())
            || (lang.is_empty() && looks_like_shell(text))
            // `# kill -TERM 1827` alone: root's prompt before a command, not a note.
            || (lang.is_empty() && text.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#')) && root_session(text).is_some())
            // `# pstree -pals $(pgrep haproxy)` and the tree it printed: root's prompt, then output.
            || (lang.is_empty() && opens_with_root_prompt(text))
            || (TEXT_LANGS.contains(&lang.as_str())
                && text.lines().any(|l| shell::strip_prompt(l).is_some() && looks_like_shell(shell::strip_prompt(l).unwrap_or(""))));
        if !shellish {
            // A PromQL/LogQL query: the operator runs it in Prometheus or Grafana.
            if matches!(lang.as_str(), "promql" | "logql" | "metricsql") {
                let mut d = self.draft(StepKind::Manual, text.trim().to_owned(), shift_map(block, 0), lang_opt, span, section, list, index);
                d.risk = Classified { risk: Risk::Read, reason: format!("run the {lang} query in your metrics UI") };
                return vec![d];
            }
            if lang.is_empty() && text.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#')) {
                return vec![self.comment_draft(text, block, span, section, list, index)];
            }
            return Vec::new();
        }
        let session = matches!(lang.as_str(), "console" | "shell-session" | "shellsession" | "terminal" | "bash-session" | "sh-session");
        let mut sb = if session { shell::read_session(text, &|w| is_known_command(w)) } else { shell::read_block(text) };
        // `# sudo ls -lt /var/log` followed by its listing: root's prompt, in any shell block.
        if !session
            && !sb.had_prompts
            && (opens_with_root_prompt(text)
                || sb.comments.iter().any(|(_, c)| is_known_command(c))
                    && sb.commands.iter().all(|c| is_output_line(&c.text) || !is_known_command(&c.text)))
            && let Some(root) = root_session(text)
        {
            sb = root;
        }
        // Loops, conditionals and functions span lines: such a block runs as one script.
        let compound = sb.commands.iter().any(|c| {
            let first = c.text.split_whitespace().next().unwrap_or("");
            matches!(first, "for" | "while" | "until" | "if" | "case" | "function" | "do" | "done" | "then" | "fi" | "esac" | "{" | "}")
                || c.text.contains("() {")
        });
        // Without prompts, log lines, settings, tables and queries pasted into a shell block are
        // output: from the first such line on, only a known command is a command again.
        let mut split_output = false;
        if !sb.had_prompts && !compound {
            let (mut in_output, mut in_sql) = (false, false);
            let mut output = Vec::new();
            sb.commands.retain(|c| {
                // An SQL statement runs over lines (`WHERE …`) until its `;`.
                let continues_sql = in_sql;
                let is_sql = continues_sql || command_kind(&c.text) == StepKind::Sql;
                in_sql = is_sql && !c.text.trim_end().ends_with(';');
                in_output = if is_sql {
                    false
                } else if in_output {
                    !is_known_command(&c.text)
                } else {
                    is_output_line(&c.text)
                };
                if in_output {
                    output.push(c.text.clone());
                }
                !in_output
            });
            if !output.is_empty() {
                split_output = true;
                if sb.commands.is_empty() {
                    // A metrics query: the operator runs it in Prometheus or Grafana.
                    if output.iter().any(|l| is_query_expression(l)) {
                        let mut d =
                            self.draft(StepKind::Manual, text.trim().to_owned(), shift_map(block, 0), lang_opt, span, section, list, index);
                        d.risk = Classified { risk: Risk::Read, reason: "run the query in your metrics UI".into() };
                        return vec![d];
                    }
                    return Vec::new();
                }
                sb.output.splice(0..0, output);
            }
        }
        if sb.commands.is_empty() {
            if !sb.comments.is_empty() {
                return vec![self.comment_draft(text, block, span, section, list, index)];
            }
            return Vec::new();
        }
        let output = (!sb.output.is_empty()).then(|| sb.output.join("\n"));
        // `sudo gitlab-rails console` and then Ruby, `oc debug node/x` then `chroot /host` and
        // `podman rmi …`: what follows the opener is typed into a console or on another machine,
        // which runbook does not drive (run here, it would act on the operator's own machine).
        // One manual step, as risky as what is typed (unknown code counts as a write).
        if let Some(at) = sb.commands.iter().position(|c| interactive_session(&c.text).is_some()) {
            let opener = interactive_session(&sb.commands[at].text).unwrap_or_default();
            let typed = &sb.commands[at + 1..];
            let mut risk = opener_risk(&sb.commands[at].text, &opener);
            for c in typed {
                let inner = if interactive_session(&c.text).is_some() {
                    Classified { risk: Risk::Read, reason: format!("opens `{}`", c.text.trim()) }
                } else if is_known_command(&c.text) || command_kind(&c.text) != StepKind::Shell {
                    classify(command_kind(&c.text), &c.text)
                } else if is_console(&opener) {
                    console_code_risk(&c.text, &opener)
                } else {
                    Classified { risk: Risk::Write, reason: "code nothing says only reads".into() }
                };
                if inner.risk > risk.risk {
                    risk = inner;
                }
            }
            // Without prompts, lines after a console that are not commands were typed into it.
            let typed_code = output.is_some() && !sb.had_prompts;
            if typed_code && is_console(&opener) {
                let code_risk = console_code_risk(text, &opener);
                if code_risk.risk > risk.risk {
                    risk = code_risk;
                }
            }
            if !typed.is_empty() || typed_code {
                let what = if risk.reason.starts_with("opens") || risk.reason.starts_with("typed into") {
                    risk.reason.clone()
                } else {
                    format!("typed into `{opener}`: {}", risk.reason)
                };
                risk =
                    Classified { risk: risk.risk.max(if typed_code && typed.is_empty() { Risk::Write } else { Risk::Read }), reason: what };
            }
            // `NODE_NAME=…` or `TOOLS_POD=$(oc get pods …)` before the opener run here, each a
            // step of its own; the session starts at the opener.
            let before: Vec<Draft> = if compound {
                Vec::new()
            } else {
                sb.commands[..at]
                    .iter()
                    .map(|c| {
                        let (code, map) = join_commands(std::iter::once(c), block);
                        let mut d = self.draft(command_kind(&code), code, map, lang_opt.clone(), span, section, list, index);
                        if let Some((_, comment)) = sb.comments.iter().rev().find(|(line, _)| *line < c.first_line) {
                            d.title = comment.clone();
                        }
                        d
                    })
                    .collect()
            };
            let opener_at = if before.is_empty() { 0 } else { sb.commands[at].pieces.first().map_or(0, |p| p.1) };
            let mut d = if opener_at > 0 && opener_at < text.len() {
                let mut d =
                    self.draft(StepKind::Manual, text[opener_at..].trim().to_owned(), Vec::new(), lang_opt, span, section, list, index);
                d.code_map = shift_map(block, opener_at);
                d
            } else {
                self.whole_block(StepKind::Manual, text, block, lang_opt, span, section, list, index)
            };
            if sb.had_prompts {
                // What to type, without the prompts; the rest was output.
                let from = if before.is_empty() { 0 } else { at };
                (d.code, d.code_map) = join_commands(&sb.commands[from..], block);
                d.expected_output = output.clone();
            }
            d.risk = risk;
            // The session stays open for the next blocks when nothing closes it here.
            let closed = typed.iter().any(|c| matches!(c.text.trim(), "exit" | "logout" | "quit" | "\\q"));
            if !closed {
                // `oc debug node/x` then `chroot /host` nest; `docker exec …` and `crictl exec …`
                // in one block are alternatives: the first names the session.
                let mut chain: Vec<String> = Vec::new();
                for o in sb.commands.iter().filter_map(|c| interactive_session(&c.text)) {
                    // (A console opened inside the remote shell is nested too: `ssh host` then
                    // `sudo gitlab-rails console`.)
                    let nested = o.starts_with("chroot")
                        || o.starts_with("sudo")
                        || o.starts_with("su ")
                        || o == "su"
                        || o == "toolbox"
                        || is_console(&o);
                    if chain.is_empty() || nested {
                        chain.push(o);
                    }
                }
                d.opens_session = Some(chain.join(" → "));
            }
            let mut out = before;
            out.push(d);
            return out;
        }
        // `> slowlog get 10`, `> CONFIG SET …`: a `>` prompt before words no shell knows is an
        // application's console (redis-cli, mongo), typed there by the operator.
        if sb.had_prompts
            && sb.commands.iter().all(|c| {
                let line = text.lines().nth(c.first_line).unwrap_or("").trim_start();
                line.starts_with("> ") && !is_known_command(&c.text) && command_kind(&c.text) != StepKind::Sql
            })
        {
            let mut d = self.whole_block(StepKind::Manual, text, block, lang_opt, span, section, list, index);
            (d.code, d.code_map) = join_commands(&sb.commands, block);
            d.expected_output = output;
            d.risk = console_code_risk(&d.code, "the console at the `>` prompt");
            return vec![d];
        }
        // (With prompts, each prompted line is a command already: the grouping below keeps them.)
        if compound && !sb.had_prompts {
            let mut d = self.whole_block(StepKind::Shell, text, block, lang_opt, span, section, list, index);
            d.expected_output = output;
            return vec![d];
        }
        // Group commands: runs of shell, each curl alone, each SQL statement alone.
        let mut groups: Vec<(StepKind, Vec<&shell::CommandLine>)> = Vec::new();
        let mut i = 0;
        let cmds = &sb.commands;
        while i < cmds.len() {
            let c = &cmds[i];
            let kind = command_kind(&c.text);
            if kind == StepKind::Sql {
                let mut stmt = vec![c];
                while !stmt.last().is_some_and(|s| s.text.trim_end().ends_with(';'))
                    && i + 1 < cmds.len()
                    && command_kind(&cmds[i + 1].text) == StepKind::Shell
                    && !is_known_command(&cmds[i + 1].text)
                {
                    i += 1;
                    stmt.push(&cmds[i]);
                }
                groups.push((StepKind::Sql, stmt));
            } else if kind == StepKind::Shell
                && groups.last().is_some_and(|(k, _)| *k == StepKind::Shell)
                // Each command is a step of its own; a `cd` or `source` before it only sets up
                // the shell it runs in, so it stays with it.
                && groups.last().and_then(|(_, g)| g.last()).is_some_and(|prev| sets_up_shell(&prev.text))
                // A `# comment` between two commands titles the second: separate steps.
                && !groups.last().and_then(|(_, g)| g.last()).is_some_and(|prev| {
                    sb.comments.iter().any(|(line, _)| *line > prev.first_line && *line < c.first_line)
                })
            {
                if let Some(g) = groups.last_mut() {
                    g.1.push(c);
                }
            } else {
                groups.push((kind, vec![c]));
            }
            i += 1;
        }
        // Comments that stand alone (`# Check Edge Function logs` / `# Supabase Dashboard > …`,
        // not right above a command) are instructions for the operator: manual steps.
        let notes = if sb.had_prompts || session { Vec::new() } else { comment_notes(&sb) };
        // A plain shell block without prompts keeps its text whole (comments included).
        if groups.len() == 1 && groups[0].0 == StepKind::Shell && !sb.had_prompts && !split_output && notes.is_empty() {
            let mut d = self.whole_block(StepKind::Shell, text, block, lang_opt, span, section, list, index);
            d.expected_output = output;
            return vec![d];
        }
        let n = groups.len() + notes.len();
        let group_first_lines: Vec<usize> = groups.iter().map(|(_, lines)| lines.first().map_or(0, |l| l.first_line)).collect();
        let line_starts: Vec<usize> = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        let mut notes: Vec<(usize, Draft)> = notes
            .into_iter()
            .map(|(line, lines)| {
                let at = line_starts.get(line).copied().unwrap_or(0);
                let end = line_starts.get(line + lines.len()).map_or(text.len(), |e| e.saturating_sub(1)).max(at);
                let step_span = Span::new(block.source_offset(at), block.source_offset(end));
                let mut d = self.draft(StepKind::Manual, lines.join("\n"), shift_map(block, at), None, step_span, section, list, index);
                d.title = lines[0].clone();
                d.risk = Classified { risk: Risk::Read, reason: "manual instruction".into() };
                (line, d)
            })
            .collect();
        let commands: Vec<(usize, Draft)> = groups
            .into_iter()
            .enumerate()
            .map(|(gi, (kind, lines))| {
                let (code, map) = join_commands(lines.iter().copied(), block);
                let first_line = lines.first().map_or(0, |l| l.pieces[0].1);
                let last =
                    lines.last().map_or(first_line, |l| l.pieces.last().map_or(0, |p| p.1) + l.text.lines().last().map_or(0, str::len));
                let step_span = if n == 1 { span } else { Span::new(block.source_offset(first_line), block.source_offset(last)) };
                let mut d = self.draft(kind, code, map, lang_opt.clone(), step_span, section, list, index);
                if gi + 1 == n {
                    d.expected_output = output.clone();
                }
                // In a split block, the `# comment` just above a command is its title.
                if n > 1 {
                    let first = lines.first().map_or(0, |l| l.first_line);
                    let floor = if gi == 0 { 0 } else { group_first_lines[gi - 1] };
                    if let Some((_, c)) = sb.comments.iter().rev().find(|(line, _)| *line < first && *line >= floor) {
                        d.title = c.clone();
                    }
                }
                (lines.first().map_or(0, |l| l.first_line), d)
            })
            .collect();
        notes.extend(commands);
        notes.sort_by_key(|(line, _)| *line);
        notes.into_iter().map(|(_, d)| d).collect()
    }

    /// A step made of the whole block (trimmed), its code mapped back to the source.
    #[allow(clippy::too_many_arguments)]
    fn whole_block(
        &self,
        kind: StepKind,
        text: &str,
        block: &CodeBlock,
        lang: Option<String>,
        span: Span,
        section: Option<usize>,
        list: ListContext,
        index: usize,
    ) -> Draft {
        let lead = text.len() - text.trim_start().len();
        let mut d = self.draft(kind, text.trim().to_owned(), Vec::new(), lang, span, section, list, index);
        d.code_map = shift_map(block, lead);
        d
    }

    fn comment_draft(&self, text: &str, block: &CodeBlock, span: Span, section: Option<usize>, list: ListContext, index: usize) -> Draft {
        let lines: Vec<&str> = text.lines().map(|l| l.trim().trim_start_matches('#').trim()).filter(|l| !l.is_empty()).collect();
        let code = lines.join("\n");
        let mut d = self.draft(StepKind::Manual, code, shift_map(block, 0), None, span, section, list, index);
        d.risk = Classified { risk: Risk::Read, reason: "manual instruction".into() };
        d
    }
}

/// The role in force at each node: a bold pseudo-heading (`**Diagnosis**`) since the last
/// heading, else the role of the heading the node is under (or of its ancestors up to the
/// problem heading).
fn node_roles(source: &Source, doc: &Document, problems: &[Option<usize>]) -> Vec<Option<prose::Role>> {
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

/// A paragraph that is only bold text: `**Diagnosis**`, `**Resolution:**`.
fn is_bold_only(paragraph: &str) -> bool {
    let t = paragraph.trim().trim_end_matches(':');
    (t.starts_with("**") && t.ends_with("**") && t[2..t.len().saturating_sub(2)].find("**").is_none() && t.len() > 4)
        || (t.starts_with("__") && t.ends_with("__") && t.len() > 4)
}

/// `**Diagnosis**`, `**Resolution:**`, `**How to investigate:** …`: a bold pseudo-heading.
/// Also `How to **fix**:` (the verb alone in bold).
fn pseudo_heading(paragraph: &str) -> Option<prose::Role> {
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

/// A field of an alert card: lower-case name, value, and the list item's node.
type Field = (String, String, usize);

/// `*Message*: …`, `**Severity:** critical`, `Runbook: [Link](https://…)`: a field of an alert
/// card, as (lower-case name, plain value; a link's address where the value is a link).
fn field_item(text: &str) -> Option<(String, String)> {
    let t = text.trim_start_matches(['*', '_', ' ']);
    let colon = t.find(':')?;
    let name = t[..colon].trim_end_matches(['*', '_', ' ']).trim().to_ascii_lowercase();
    if !matches!(
        name.as_str(),
        "message" | "summary" | "description" | "severity" | "action" | "runbook" | "runbook url" | "dashboard" | "impact" | "meaning"
    ) {
        return None;
    }
    let raw = t[colon + 1..].trim_start_matches(['*', '_', ' ']).trim();
    // `[Link](https://…)`: the address is the value.
    let link = raw.find("](").and_then(|i| raw[i + 2..].split_once(')')).map(|(url, _)| url.to_owned());
    let value = match link {
        Some(url) if prose::plain_text(raw).len() < 12 => url,
        _ => prose::plain_text(raw),
    };
    (!value.is_empty()).then_some((name, value))
}

/// `**Severity:** Warning`, `+ *Severity*: critical` right under a heading (before its first
/// sub-heading): the severity of the problem the heading opens, when its title has none.
fn body_severities(source: &Source, doc: &Document) -> HashMap<usize, String> {
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

/// "Or …" between two steps: `before` becomes the first alternative (unless it already is one:
/// a third "Alternatively" joins them) and the returned condition labels the one whose code is
/// `code`; a bare "or" (`sentence` empty) says nothing, so the command labels it.
fn alternatives(before: &mut Draft, code: &str, sentence: String) -> String {
    if before.condition.is_none() {
        let label = if before.title.is_empty() { before.code.lines().next().unwrap_or("").to_owned() } else { before.title.clone() };
        before.condition = Some(format!("Either: {label}"));
    }
    if sentence.is_empty() { format!("Or: {}", code.lines().next().unwrap_or("")) } else { sentence }
}

/// `` `gitlab-rails console` `` as a step: the operator opens it; runbook would hang in it.
fn opener_as_manual(d: &mut Draft) {
    if let Some(opener) = interactive_session(&d.code) {
        d.kind = StepKind::Manual;
        d.http = None;
        d.risk = opener_risk(&d.code, &opener);
    }
}

/// What opening a session changes by itself: nothing (`ssh db1`, `gitlab-rails console`, `oc
/// debug node/x` in a pod of its own), except that `kubectl debug -it pod --target=app` adds an
/// ephemeral container to the running pod, which stays in its spec.
fn opener_risk(cmd: &str, opener: &str) -> Classified {
    let words: Vec<&str> = cmd.split_whitespace().skip_while(|w| *w == "sudo").collect();
    let adds_container = matches!(words.first(), Some(&("kubectl" | "oc")))
        && words.get(1) == Some(&"debug")
        && words.iter().any(|w| *w == "--target" || w.starts_with("--target="));
    let risk = if adds_container { Risk::Write } else { Risk::Read };
    Classified { risk, reason: format!("opens `{opener}`") }
}

/// The kind of a step written as inline code.
fn inline_kind(code: &str) -> StepKind {
    if looks_like_sql(code) { StepKind::Sql } else { command_kind(code) }
}

/// Inline code that is worth running: SQL, or a known command with arguments.
fn is_step_code(code: &str) -> bool {
    // A code span broken over two lines (`` `select\ntxid_current()` ``) reads as one line.
    if code.contains('\n') {
        return is_step_code(&code.replace('\n', " "));
    }
    looks_like_sql(code) || (is_known_command(code) && code.contains(' '))
}

/// The condition a list item opens with: "If the pod is crashing, …", or a question the
/// operator answers ("Are queriers in a crash loop?", "Is QPS increased?").
fn item_condition(text: &str) -> Option<String> {
    // "Or, you can force delete the pod": one more alternative.
    let or = || infer::alternative_sentence(text).filter(|s| !s.is_empty());
    infer::opening_condition(text).or_else(|| check_if_so(text)).or_else(or).or_else(|| {
        let first = prose::first_sentence(&prose::plain_text(text.lines().next().unwrap_or("")), 160);
        let word = first.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
        let asks = matches!(word.as_str(), "is" | "are" | "does" | "do" | "has" | "have" | "can" | "was" | "were" | "did" | "any");
        (asks && first.ends_with('?')).then_some(first)
    })
}

/// "Check if the issue occurs only for few ingesters. If so:": the check is the condition
/// of what follows.
fn check_if_so(text: &str) -> Option<String> {
    let plain = prose::plain_text(text.lines().next().unwrap_or(""));
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
fn introduces_alternatives(paragraph: &str) -> bool {
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
fn instruction_item(text: &str) -> bool {
    prose::is_instruction(text) || prose::sentences(text).iter().take(4).any(|s| prose::instructs(s))
}

/// A paragraph with two or more sentences that open with a condition ("If …", "When …"):
/// alternatives written as prose.
fn branching_paragraph(paragraph: &str) -> bool {
    prose::sentences(paragraph).iter().filter(|s| infer::opening_condition(s).is_some()).take(2).count() >= 2
}

/// The sentence before a block offers settings: it tells the operator to do something, or says
/// how something is configured ("… can be configured in the runtime config:"); never output,
/// nor a config only shown ("The generated config reads:").
fn introduces_config(paragraph: &str) -> bool {
    let p = paragraph.trim_end();
    let lower = p.split_whitespace().collect::<Vec<_>>().join(" ").to_ascii_lowercase();
    !prose::introduces_output(p)
        && p.ends_with(':')
        && (prose::sentences(p).last().is_some_and(|s| prose::instructs(s))
            || [
                "configur",
                "can be set",
                "fine-tuned",
                "the following setting",
                "the following line",
                "this line",
                "the following snippet",
            ]
            .iter()
            .any(|w| lower.contains(w)))
}

/// YAML, JSON, Jsonnet, INI or TOML settings: a config language, or most lines `key: value`,
/// `key = value` or braces.
fn looks_like_config(text: &str, lang: &str) -> bool {
    if matches!(lang, "yaml" | "yml" | "json" | "jsonnet" | "libsonnet" | "toml" | "ini" | "conf" | "hcl" | "properties" | "xml") {
        return true;
    }
    if !lang.is_empty() {
        return false;
    }
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let settings = lines
        .iter()
        .filter(|l| {
            let key_end = l.find([':', '=']).unwrap_or(0);
            let key = l[..key_end].trim_end_matches('+').trim();
            matches!(**l, "{" | "}" | "}," | "]" | "],")
                || l.ends_with('{')
                || (key_end > 0
                    && !key.is_empty()
                    && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '"' | '\'')))
        })
        .count();
    // A command among them makes it a script (`gcloud compute disks list` after assignments).
    !lines.is_empty() && settings * 3 >= lines.len() * 2 && !lines.iter().any(|l| is_known_command(l))
}

/// A manual step's text as the author wrote it (`` `restart_lsn` ``, `[a new silence](…)`,
/// `**new**`): what the operator reads, links included; lines trimmed.
fn as_written(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    for line in md.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if !out.is_empty() {
            out.push('\n');
        }
        // A line break written as HTML (`**Label**<br />`) is one.
        let mut rest = line;
        while let Some(at) = rest.find("<br") {
            let end = rest[at..].find('>').map_or(rest.len(), |e| at + e + 1);
            out.push_str(rest[..at].trim_end());
            out.push('\n');
            rest = rest[end..].trim_start();
        }
        out.push_str(rest);
    }
    out
}

/// "Login to the sentry.gitlab.net, and check …", "SSH into the node and run:": the sentence
/// sends the operator to another machine; what follows is typed there. The host it names.
fn remote_login(paragraph: &str) -> Option<String> {
    let lower = prose::plain_text(paragraph).to_ascii_lowercase();
    const VERBS: &[&str] = &["log in to ", "login to ", "log into ", "logged in to ", "logged into ", "ssh into ", "ssh to ", "ssh onto "];
    let (at, verb) = VERBS.iter().filter_map(|v| lower.find(v).map(|i| (i, *v))).min()?;
    let rest = &lower[at + verb.len()..];
    let target: Vec<&str> = rest.split_whitespace().take(4).collect();
    let host = target.iter().map(|w| w.trim_end_matches([',', '.', ':', ';', ')'])).find(|w| {
        w.contains('.') && !w.starts_with('.')
            || matches!(*w, "host" | "node" | "server" | "machine" | "instance" | "vm" | "box" | "primary" | "replica" | "leader")
    })?;
    Some(format!("a shell on {host}"))
}

/// "you can execute (on any node) `sudo gitlab-patronictl restart …`": inline code the
/// sentence says to run is a command, even one runbook does not know.
/// So is a sentence that is only a command (`` `sudo gitlab-ctl restart` ``).
fn told_to_run(sentence: &str, at: usize, code: &str) -> bool {
    let before = sentence[..at.min(sentence.len())].trim_end_matches(|c: char| c == '`' || c == ':' || c.is_whitespace());
    let alone = before.is_empty() && sentence.trim().trim_end_matches(['.', ';']).trim_matches('`').trim() == code;
    // Skip an aside between the verb and the command: "(on any node)".
    let before = match before.strip_suffix(')').and_then(|b| b.rfind('(').map(|i| &b[..i])) {
        Some(b) => b.trim_end(),
        None => before,
    };
    let last = before.rsplit([' ', '\n']).next().unwrap_or("").to_ascii_lowercase();
    let first = code.split_whitespace().next().unwrap_or("");
    (alone || matches!(last.as_str(), "run" | "execute" | "running" | "executing" | "issue" | "issuing" | "type"))
        && code.contains(' ')
        && !first.is_empty()
        && first.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

/// "use the `pg_stat_statements_reset()` function", "interrupt it using
/// `pg_terminate_backend({PID})`": an SQL function the text tells the operator to call. The
/// query that calls it, and where the call starts in that query.
fn sql_call(text: &str, at: usize, code: &str) -> Option<(String, usize)> {
    let (name, args) = code.split_once('(')?;
    // PostgreSQL's own functions: `sort_desc(…)` is PromQL, `rate(…)` too.
    let function = (name.starts_with("pg_") || name.starts_with("txid_"))
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && args.ends_with(')');
    let before = text[..at.min(text.len())].trim_end_matches(|c: char| c == '`' || c.is_whitespace()).to_ascii_lowercase();
    let before = before.strip_suffix(" the").unwrap_or(&before);
    let last = before.rsplit([' ', '\n']).next().unwrap_or("");
    let told = matches!(last, "use" | "using" | "call" | "calling" | "run" | "running" | "execute" | "executing");
    (function && told).then(|| (format!("SELECT {code};"), "SELECT ".len()))
}

/// Inline code spans (`` `x` ``) in a piece of Markdown, with their offsets.
fn inline_code(text: &str) -> Vec<(&str, usize)> {
    let mut out = Vec::new();
    let mut rest = 0;
    while let Some(open) = text[rest..].find('`') {
        let start = rest + open;
        let ticks = text[start..].chars().take_while(|&c| c == '`').count();
        let fence = &text[start..start + ticks];
        let body_start = start + ticks;
        match text[body_start..].find(fence) {
            Some(close) => {
                let code = text[body_start..body_start + close].trim();
                if !code.is_empty() {
                    let lead = text[body_start..].len() - text[body_start..].trim_start().len();
                    out.push((code, body_start + lead));
                }
                rest = body_start + close + ticks;
            }
            None => break,
        }
    }
    out
}

/// A command that only prepares the shell the next one runs in (`cd /srv/app`, `source
/// venv/bin/activate`, `set -e`): not a step of its own.
fn sets_up_shell(cmd: &str) -> bool {
    let first = shell::strip_prompt(cmd).unwrap_or(cmd).split_whitespace().next().unwrap_or("");
    matches!(first, "cd" | "pushd" | "popd" | "source" | "." | "set" | "shopt" | "ulimit" | "umask" | "alias" | "unset")
}

/// The same command or query, whatever its spacing and letter case.
fn same_code(a: &str, b: &str) -> bool {
    let words =
        |s: &str| s.split_whitespace().map(|w| w.trim_end_matches(';').to_ascii_lowercase()).filter(|w| !w.is_empty()).collect::<Vec<_>>();
    words(a) == words(b)
}

#[cfg(test)]
mod tests {
    use crate::{Source, StepKind, compile};

    /// (kind, code) of each step of a runbook written inline.
    fn steps(md: &str) -> Vec<(StepKind, String)> {
        compile(Source::new("t.md", md)).graph.steps.iter().map(|s| (s.kind, s.code.clone())).collect()
    }

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

    /// Labels of the branch edges of a runbook written inline.
    fn branch_labels(md: &str) -> Vec<String> {
        let g = compile(Source::new("t.md", md)).graph;
        g.edges.iter().filter(|e| e.kind == crate::EdgeKind::Branch).filter_map(|e| e.label.clone()).collect()
    }

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
    fn root_prompt_lines_and_their_output_are_shell_steps() {
        let s = steps(
            "# Web\n## Extra processes\nShow how long the workers have run:\n\n```\n\
             # for p in $(pgrep -u www nginx); do ps -o pid,etimes $p; done\n  PID ELAPSED\n nginx 812 9999\n```\n",
        );
        assert_eq!(s, [(StepKind::Shell, "for p in $(pgrep -u www nginx); do ps -o pid,etimes $p; done".to_owned())]);
    }

    #[test]
    fn a_transcript_of_shell_and_psql_prompts_is_a_step_per_command() {
        let g = compile(Source::new(
            "t.md",
            "# Pool\n## Too many clients\nRaise the limit from the pool's console:\n\n```\n# prlimit -n -p 4242\nRESOURCE SOFT HARD\n\n\
             $ sudo pool-console\n\npool=# show config;\n key | value\n\npool=# set max_client_conn=4096;\n```\n",
        ))
        .graph;
        let s: Vec<(StepKind, &str, crate::Risk)> = g.steps.iter().map(|s| (s.kind, s.code.as_str(), s.risk)).collect();
        use crate::Risk::Read;
        assert_eq!(
            s,
            [
                (StepKind::Shell, "prlimit -n -p 4242", Read),
                (StepKind::Shell, "sudo pool-console", Read),
                (StepKind::Sql, "show config;", Read),
                (StepKind::Sql, "set max_client_conn=4096;", Read),
            ]
        );
    }

    #[test]
    fn variables_the_operator_sets_are_a_step_and_not_parameters_after_it() {
        let g = compile(Source::new(
            "t.md",
            "# K8s\n## Replace a node pool\n```\nOLD_POOL=<name of old pool>\nNEW_POOL=<name of new pool>\n```\n\n\
             Import the new pool:\n\n```\ntf import module.gke.pool[0] prod/$NEW_POOL\n```\n",
        ))
        .graph;
        let kinds: Vec<(StepKind, &str)> = g.steps.iter().map(|s| (s.kind, s.code.as_str())).collect();
        assert_eq!(kinds[..2], [(StepKind::Shell, "OLD_POOL=<name of old pool>"), (StepKind::Shell, "NEW_POOL=<name of new pool>")]);
        // The import uses the variable set above: captured there, not asked again.
        assert!(g.steps[1].captures.iter().any(|c| c.name == "NEW_POOL"), "{:?}", g.steps[1]);
        let new_pool = g.parameters.iter().find(|p| p.name == "NEW_POOL").map(|p| p.source.as_deref());
        assert_eq!(new_pool, Some(Some("capture:NEW_POOL")));
        assert!(g.parameters.iter().any(|p| p.name == "NAME_OF_NEW_POOL"), "{:?}", g.parameters);
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
    fn a_debug_container_added_to_a_running_pod_is_a_write() {
        let g =
            compile(Source::new("t.md", "# K8s\n## Debug a pod\n```\nkubectl debug -it web-1 --image=busybox --target=web\n```\n")).graph;
        assert_eq!((g.steps[0].kind, g.steps[0].risk), (StepKind::Manual, crate::Risk::Write));
        // A debug pod of its own (a node's, a copy) changes nothing already running.
        let g = compile(Source::new("t.md", "# K8s\n## Debug a node\n```\noc debug node/worker-1\n```\n")).graph;
        assert_eq!((g.steps[0].kind, g.steps[0].risk), (StepKind::Manual, crate::Risk::Read));
    }

    #[test]
    fn rsh_into_a_pod_found_by_a_subshell_opens_a_session() {
        assert!(
            super::interactive_session("oc rsh -n openshift-storage $(oc get pods -n openshift-storage -l app=tools -o name)").is_some()
        );
        assert!(super::interactive_session("oc rsh -n x $(oc get pods -o name) ceph status").is_none());
    }

    #[test]
    fn a_pod_shell_carries_into_the_next_step_heading_not_into_oc_commands() {
        let s = steps(
            "# Ceph\n## Diagnosis\n### Step 1: Open the tools pod\n```bash\noc rsh -n x $(oc get pods -n x -o name)\n```\n\
             ### Step 2: Check the cluster\n```bash\nceph status\n```\n### Step 3: Check pods\n```bash\noc get pods -n x\n```\n",
        );
        let kinds: Vec<StepKind> = s.iter().map(|(k, _)| *k).collect();
        assert_eq!(kinds, vec![StepKind::Manual, StepKind::Manual, StepKind::Shell], "{s:?}");
    }

    #[test]
    fn each_command_of_a_block_is_a_step_a_cd_stays_with_the_next() {
        let s = steps(
            "# Ops\n## Upgrade\n```bash\ngit clone git@example.com:ops/migrations.git\ncd migrations\nansible-playbook -i prod upgrade.yml\n```\n",
        );
        let codes: Vec<&str> = s.iter().map(|(_, c)| c.as_str()).collect();
        assert_eq!(codes, vec!["git clone git@example.com:ops/migrations.git", "cd migrations\nansible-playbook -i prod upgrade.yml"]);
    }

    #[test]
    fn annotated_problems_keep_their_prose_as_prose() {
        let s = steps("# Ops\n## Cache down\nCheck the dashboard first.\n\n```bash\nredis-cli ping\n```\n```yaml step\nid: ping\n```\n");
        assert_eq!(s.len(), 1, "{s:?}");
    }

    #[test]
    fn commands_after_login_to_a_host_are_typed_there() {
        let s = steps(
            "# Sentry\n## Possible checks\n1. Login to sentry.example.net, and check the processes:\n\n    ```\n    sudo supervisorctl status\n    ```\n",
        );
        assert_eq!(s.iter().map(|(k, _)| *k).collect::<Vec<_>>(), vec![StepKind::Manual], "{s:?}");
        // `sudo` runs a command, known or not.
        let s = steps("# LB\n## hatop\nIt can be run on any host via:\n\n```\nsudo hatop -s /run/haproxy/admin.sock\n```\n");
        assert_eq!(s.iter().map(|(k, _)| *k).collect::<Vec<_>>(), vec![StepKind::Shell], "{s:?}");
    }

    #[test]
    fn python_after_an_app_shell_is_typed_into_it_in_later_sections_too() {
        assert!(super::interactive_session("SENTRY_CONF=/etc/sentry /usr/share/sentry/bin/sentry shell").is_some());
        let s = steps(
            "# Sentry\n## Internals\nAs root:\n\n```shell\nsentry shell\n```\n### Sessions\nDecode the cookie:\n\n```python\ns = SessionStore(key)\n```\n",
        );
        assert_eq!(s.iter().map(|(k, _)| *k).collect::<Vec<_>>(), vec![StepKind::Manual, StepKind::Manual], "{s:?}");
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

    #[test]
    fn manual_steps_keep_the_authors_markdown() {
        assert_eq!(
            super::as_written("**Raise the limit**<br />  Set `max_series`\n  in [the config](x)."),
            "**Raise the limit**\nSet `max_series`\nin [the config](x)."
        );
    }

    #[test]
    fn commands_before_a_session_opener_run_here() {
        let s = steps(
            "# Node\n## Diagnosis\n```shell\nNODE_NAME=$(oc get nodes -o name | head -1)\noc debug $NODE_NAME\nchroot /host\ndf -h\n```\n",
        );
        assert_eq!(s.iter().map(|(k, _)| *k).collect::<Vec<_>>(), vec![StepKind::Shell, StepKind::Manual], "{s:?}");
        assert!(s[1].1.starts_with("oc debug"), "{s:?}");
    }

    #[test]
    fn a_gt_prompt_before_unknown_words_is_an_app_console() {
        let s = steps("# Redis\n## Slowlog\nGet the top entries:\n```shell\n> slowlog get 10\n```\n");
        assert_eq!(s.iter().map(|(k, _)| *k).collect::<Vec<_>>(), vec![StepKind::Manual], "{s:?}");
        let s = steps("# Redis\n## Disk\n```shell\n> df -h /var\n```\n");
        assert_eq!(s.iter().map(|(k, _)| *k).collect::<Vec<_>>(), vec![StepKind::Shell], "{s:?}");
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
    fn settings_after_an_instruction_are_a_manual_step() {
        let s = steps("# Etcd\n## Too much memory\nRaise the etcd limits via:\n\n```\n  etcd+: {\n    memory: '2Gi',\n  },\n```\n");
        assert_eq!(s.len(), 1, "{s:?}");
        assert!(s[0].0 == StepKind::Manual && s[0].1.contains("memory: '2Gi'") && s[0].1.starts_with("Raise the etcd limits"), "{s:?}");
        // Assignments around a command are a script, not settings.
        assert!(!super::looks_like_config("env=\"gprd\"\ngcloud compute disks list --format=json\nzone=x\n", ""));
    }

    #[test]
    fn inline_code_the_sentence_says_to_run_is_a_command() {
        let s = steps(
            "# Ops\n## Restarting a node\nTo restart a member you can execute (on any node)\n`sudo gitlab-patronictl restart c1 <member>`\n",
        );
        assert_eq!(s.iter().map(|(k, _)| *k).collect::<Vec<_>>(), vec![StepKind::Shell], "{s:?}");
    }
}
