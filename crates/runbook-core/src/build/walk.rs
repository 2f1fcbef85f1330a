//! The document walk: each node in order, annotations attached to the block before or after
//! them, a block's output and introduction, and the shell or console a block is typed into.

use super::*;
use crate::document::Node;

/// What the previous node was, for attaching annotations to adjacent blocks.
#[derive(Clone)]
pub(super) enum Prev {
    Other,
    /// A code block and the drafts it produced.
    Code {
        node: usize,
        drafts: std::ops::Range<usize>,
    },
    /// An annotation waiting for the block after it.
    Annotation,
}

/// What the walk carries from one node to the next.
struct WalkState {
    prev: Prev,
    /// An annotation waiting for the block after it.
    pending: Option<Annotated>,
    /// The last paragraph read: the introduction of a block right after it.
    last_paragraph: Option<(usize, Span)>,
    /// A shell opened on another machine (`oc debug node/x`) and the section it was opened in.
    session: Option<(Option<usize>, String)>,
    /// The last application console opened anywhere above (`sentry shell`): a Python block
    /// further down, with nothing else to run it, is typed into it too.
    last_console: Option<String>,
}

impl Builder<'_> {
    pub(super) fn walk(&mut self) {
        let doc = self.doc;
        let mut st = WalkState { prev: Prev::Other, pending: None, last_paragraph: None, session: None, last_console: None };
        for (index, node) in doc.nodes.iter().enumerate() {
            match &node.kind {
                NodeKind::Code(block) if block.is_step_annotation() => {
                    self.flush_pending(&mut st);
                    self.walk_annotation(&mut st, index, node, block);
                }
                NodeKind::Code(block) => self.walk_block(&mut st, index, node, block),
                NodeKind::Task { .. } => {
                    self.flush_pending(&mut st);
                    self.checklist_item(index, node);
                    st.last_paragraph = Some((index, node.span));
                    st.prev = Prev::Other;
                }
                NodeKind::Paragraph => {
                    self.flush_pending(&mut st);
                    // `**Diagnosis**` alone is a heading, not an introduction.
                    if !is_bold_only(&self.source.text[node.span.range()]) {
                        st.last_paragraph = Some((index, node.span));
                    }
                    st.prev = Prev::Other;
                }
                NodeKind::ItemStart => {
                    // A list item's own paragraph follows; keep an annotation waiting across it.
                    if !matches!(st.prev, Prev::Annotation) {
                        st.prev = Prev::Other;
                    }
                }
                NodeKind::Table => {
                    self.flush_pending(&mut st);
                    st.prev = Prev::Other;
                }
            }
        }
        self.flush_pending(&mut st);
    }

    /// An annotation nobody claimed is a step of its own.
    fn flush_pending(&mut self, st: &mut WalkState) {
        if let Some(p) = st.pending.take() {
            self.standalone(p);
        }
    }

    /// A `yaml step` block: it annotates the block just before it (if that one has no
    /// annotation yet), else it waits for the block after it.
    fn walk_annotation(&mut self, st: &mut WalkState, index: usize, node: &Node, block: &CodeBlock) {
        let Some(annotated) = self.parse_annotation(block, node.span, index, node.section, node.list) else {
            st.prev = Prev::Other;
            return;
        };
        match st.prev.clone() {
            Prev::Code { node: block_node, drafts } if drafts.clone().all(|d| self.drafts[d].annotation.is_none()) => {
                self.annotate_block(block_node, drafts, annotated);
                st.prev = Prev::Other;
            }
            _ => {
                st.pending = Some(annotated);
                st.prev = Prev::Annotation;
            }
        }
    }

    /// A fenced block: its steps (annotated, or inferred), titled and conditioned by the
    /// sentence introducing it, and moved into the shell or console it is typed into.
    fn walk_block(&mut self, st: &mut WalkState, index: usize, node: &Node, block: &CodeBlock) {
        let doc = self.doc;
        let source = self.source;
        let intro = st
            .last_paragraph
            .filter(|&(p, _)| doc.nodes[p].section == node.section)
            .filter(|&(p, _)| p + 1 == index || matches!(st.prev, Prev::Annotation))
            .map(|(_, s)| &source.text[s.range()]);
        let start = self.drafts.len();
        if let Some(p) = st.pending.take_if(|_| matches!(st.prev, Prev::Annotation)) {
            let draft = self.block_draft_annotated(index, block, node.span, node.section, node.list, p);
            self.drafts.extend(draft);
        } else {
            self.flush_pending(st);
            if self.output_of_step_above(st, node, block, intro) {
                st.prev = Prev::Other;
                return;
            }
            let drafts = self.inferred_block_steps(st, index, node, block, intro);
            self.drafts.extend(drafts);
        }
        let end = self.drafts.len();
        self.introduce_block_steps(start, end, node, intro);
        self.carry_session(st, start, end, node, block, intro);
        if block.unterminated {
            let open = Span::new(node.span.start, node.span.start + 3);
            self.diags.push(
                Diagnostic::new(Finding::UnterminatedFence, open, "this code fence is never closed")
                    .label("runs to the end of the file")
                    .hint("add a closing fence; everything after it was read as code"),
            );
        }
        st.prev = Prev::Code { node: index, drafts: start..end };
    }

    /// Example output right after a step belongs to that step: true when the block was taken
    /// as the expected output of the step above.
    fn output_of_step_above(&mut self, st: &WalkState, node: &Node, block: &CodeBlock, intro: Option<&str>) -> bool {
        // Example output right after a step belongs to that step.
        let lang = block.lang();
        // A block of commands is never output, whatever the sentence before it says
        // ("record the output:", "You should see no errors:"): dropping it would
        // hide a command, maybe a destructive one.
        let runnable = (SQL_LANGS.contains(&lang.as_str()) || SHELL_LANGS.contains(&lang.as_str()) || lang.is_empty())
            && (looks_like_sql(&block.text) || looks_like_shell(&block.text));
        let is_output = (intro.is_some_and(prose::introduces_output) && !runnable)
            || (TEXT_LANGS.contains(&block.lang().as_str()) && matches!(st.prev, Prev::Code { .. }));
        if is_output && let Some(last) = self.drafts.last_mut().filter(|d| d.section == node.section && d.expected_output.is_none()) {
            last.expected_output = Some(block.text.trim_end().to_owned());
            return true;
        }
        false
    }

    /// The steps inferred for a block: its commands, else the code typed into a console, else
    /// a configuration to apply; a transcript of the query above is that query's output.
    fn inferred_block_steps(&mut self, st: &WalkState, index: usize, node: &Node, block: &CodeBlock, intro: Option<&str>) -> Vec<Draft> {
        let mut drafts = self.block_drafts(index, block, node.span, node.section, node.list);
        if drafts.is_empty()
            && let Some(d) = self.console_code(st, index, node, block, intro)
        {
            drafts.push(d);
        }
        if drafts.is_empty()
            && let Some(d) = self.configuration(index, node, block, intro)
        {
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
        drafts
    }

    /// Ruby or Python after `gitlab-rails console` / `manage.py shell`: typed into that
    /// console. Not run by runbook, as risky as what it does. Also when the sentence before
    /// says so: "In the Rails console, run:".
    fn console_code(&self, st: &WalkState, index: usize, node: &Node, block: &CodeBlock, intro: Option<&str>) -> Option<Draft> {
        let said = intro
            .filter(|p| {
                let l = p.to_ascii_lowercase();
                l.contains("rails console") || l.contains("irb") || l.contains("rails runner")
            })
            .filter(|_| matches!(block.lang().as_str(), "ruby" | "rb" | "irb"))
            .map(|_| "gitlab-rails console".to_owned());
        let console = st
            .session
            .as_ref()
            .filter(|(section, opener)| *section == node.section && is_console(opener))
            .map(|(_, o)| o.clone())
            .or_else(|| st.last_console.clone().filter(|o| console_speaks(o, &block.lang())));
        let opener = console.or(said)?;
        if !matches!(block.lang().as_str(), "ruby" | "rb" | "irb" | "python" | "py" | "python3" | "js" | "javascript" | "")
            || block.text.trim().is_empty()
        {
            return None;
        }
        let lang = Some(block.lang()).filter(|l| !l.is_empty());
        let text = block.text.trim_end();
        let mut d = self.whole_block(StepKind::Manual, text, block, lang, node.span, node.section, node.list, index);
        d.risk = console_code_risk(text, &opener);
        // The console stays open for the next Ruby of the section.
        d.opens_session = Some(opener);
        Some(d)
    }

    /// "Raise the etcd limits via:" / "or in the runtime config:" and a block of settings: a
    /// configuration the operator applies by hand. (In a tight list the item's own words lead
    /// into the block.)
    fn configuration(&self, index: usize, node: &Node, block: &CodeBlock, intro: Option<&str>) -> Option<Draft> {
        let doc = self.doc;
        let item_intro = index
            .checked_sub(1)
            .map(|i| &doc.nodes[i])
            .filter(|n| matches!(n.kind, NodeKind::ItemStart))
            .map(|n| item_lead_text(&self.source.text, n.span).0);
        let p = intro.or(item_intro).filter(|p| introduces_config(p))?;
        if !looks_like_config(&block.text, &block.lang()) {
            return None;
        }
        let lang = Some(block.lang()).filter(|l| !l.is_empty());
        let mut d = self.whole_block(StepKind::Manual, block.text.trim_end(), block, lang, node.span, node.section, node.list, index);
        d.risk = Classified { risk: Risk::Write, reason: "a configuration to apply".into() };
        d.title = prose::title_of(p);
        // What to do with the settings, as the author wrote it, then the settings.
        d.code = format!("{}\n{}", as_written(p), d.code);
        Some(d)
    }

    /// The sentence introducing a block titles its steps and may state their condition; "Or,
    /// …" makes them and the block before alternatives.
    fn introduce_block_steps(&mut self, start: usize, end: usize, node: &Node, intro: Option<&str>) {
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
    }

    /// The shell or console a block is typed into: opened above in this section (or carried
    /// over a step heading), or the host the sentence says to log in to; the block's own last
    /// step may open the next one.
    fn carry_session(&mut self, st: &mut WalkState, start: usize, end: usize, node: &Node, block: &CodeBlock, intro: Option<&str>) {
        let doc = self.doc;
        // After `oc debug node/x` / `ssh db1` in this section, blocks are typed there.
        // A step heading (`### Step 2: …`) continues the procedure, and the shell it is in.
        let continues = |from: Option<usize>, to: Option<usize>| {
            let (Some(a), Some(b)) = (from, to) else { return false };
            self.problems[a].is_some()
                && self.problems[a] == self.problems[b]
                && is_step_heading(&doc.headings[b].title)
                && !crate::outline::is_alternative_heading(&doc.headings[b].title)
        };
        st.session.take_if(|(section, _)| *section != node.section && !continues(*section, node.section));
        // `oc …` / `kubectl …` run on the workstation, not in the pod or on the node.
        st.session.take_if(|(_, opener)| {
            let first = |t: &str| t.split_whitespace().next().unwrap_or("").to_owned();
            matches!(first(opener).as_str(), "oc" | "kubectl") && matches!(first(block.text.trim_start()).as_str(), "oc" | "kubectl")
        });
        // A block that starts with a shell command is not typed into a console.
        st.session.take_if(|(_, opener)| is_console(opener) && is_known_command(block.text.trim_start()));
        // "Login to sentry.gitlab.net, and check …": the block is typed on that host.
        if st.session.is_none()
            && let Some(host) = intro.and_then(remote_login)
        {
            st.session = Some((node.section, host));
        }
        if let Some((_, opener)) = &st.session {
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
                st.last_console = Some(opener.clone());
            }
            st.session = Some((node.section, opener));
        } else if let Some((section, _)) = st.session.as_mut() {
            // Carried into this section: it ends with the section, unless a step follows.
            *section = node.section;
        }
    }

    /// A checklist item (`- [ ] Notify the on-call`): a manual step of its first line.
    fn checklist_item(&mut self, index: usize, node: &Node) {
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
    }
}

/// The sentence before a block offers settings: it tells the operator to do something, or says
/// how something is configured ("… can be configured in the runtime config:"); never output,
/// nor a config only shown ("The generated config reads:").
pub(super) fn introduces_config(paragraph: &str) -> bool {
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
pub(super) fn looks_like_config(text: &str, lang: &str) -> bool {
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

/// "Login to the sentry.gitlab.net, and check …", "SSH into the node and run:": the sentence
/// sends the operator to another machine; what follows is typed there. The host it names.
pub(super) fn remote_login(paragraph: &str) -> Option<String> {
    let mut lower = prose::plain_text(paragraph);
    lower.make_ascii_lowercase();
    // Every verb below holds "log" or "ssh ": most paragraphs are ruled out in two passes
    // instead of one per verb (this runs for the paragraph before every block).
    if !lower.contains("log") && !lower.contains("ssh ") {
        return None;
    }
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

/// The same command or query, whatever its spacing and letter case.
pub(super) fn same_code(a: &str, b: &str) -> bool {
    let words =
        |s: &str| s.split_whitespace().map(|w| w.trim_end_matches(';').to_ascii_lowercase()).filter(|w| !w.is_empty()).collect::<Vec<_>>();
    words(a) == words(b)
}

#[cfg(test)]
mod tests {
    use crate::StepKind;
    use crate::testing::steps;

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
    fn commands_before_a_session_opener_run_here() {
        let s = steps(
            "# Node\n## Diagnosis\n```shell\nNODE_NAME=$(oc get nodes -o name | head -1)\noc debug $NODE_NAME\nchroot /host\ndf -h\n```\n",
        );
        assert_eq!(s.iter().map(|(k, _)| *k).collect::<Vec<_>>(), vec![StepKind::Shell, StepKind::Manual], "{s:?}");
        assert!(s[1].1.starts_with("oc debug"), "{s:?}");
    }

    #[test]
    fn settings_after_an_instruction_are_a_manual_step() {
        let s = steps("# Etcd\n## Too much memory\nRaise the etcd limits via:\n\n```\n  etcd+: {\n    memory: '2Gi',\n  },\n```\n");
        assert_eq!(s.len(), 1, "{s:?}");
        assert!(s[0].0 == StepKind::Manual && s[0].1.contains("memory: '2Gi'") && s[0].1.starts_with("Raise the etcd limits"), "{s:?}");
        // Assignments around a command are a script, not settings.
        assert!(!super::looks_like_config("env=\"gprd\"\ngcloud compute disks list --format=json\nzone=x\n", ""));
    }
}
