//! Block drafts: the steps one fenced block holds: none (output, config), one, or a step per
//! command or statement when the block mixes kinds or transcribes a session.

use super::*;
use std::ops::ControlFlow;

impl Builder<'_> {
    /// Inferred steps for one fenced block: none (output, config), one, or several when the
    /// block mixes kinds.
    pub(super) fn block_drafts(
        &self,
        index: usize,
        block: &CodeBlock,
        span: Span,
        section: Option<usize>,
        list: ListContext,
    ) -> Vec<Draft> {
        let lang = block.lang();
        let text = block.text.trim_end();
        if text.trim().is_empty() {
            return Vec::new();
        }
        let at = BlockAt { index, block, span, section, list, lang_opt: Some(lang.clone()).filter(|l| !l.is_empty()), lang, text };
        if let Some(drafts) = self.psql_transcript(&at) {
            return drafts;
        }
        if SQL_LANGS.contains(&at.lang.as_str()) || (at.lang.is_empty() && looks_like_sql(text)) {
            return self.sql_block(&at);
        }
        if !is_shellish(&at.lang, text) {
            return self.other_block(&at);
        }
        self.shell_block(&at)
    }

    /// `db=# SELECT …` with output lines: the prompted statements are the step.
    fn psql_transcript(&self, at: &BlockAt) -> Option<Vec<Draft>> {
        let BlockAt { index, block, span, section, list, ref lang, text, .. } = *at;
        let lang_opt = at.lang_opt.clone();
        if (lang.is_empty() || SQL_LANGS.contains(&lang.as_str()) || TEXT_LANGS.contains(&lang.as_str()))
            && text.lines().any(|l| psql_prompt(l).is_some())
        {
            // `# ps aux | grep pgbouncer` and `$ sudo pgb-console` before `pgbouncer=# SHOW …`:
            // a transcript of shell commands and statements, each a step of its own kind.
            let root = opens_with_root_prompt(text);
            let sb = if root { shell::read_session(text, &|w| is_known_command(w)) } else { shell::read_block(text) };
            let shell_kind = |c: &str| Some(command_kind(c)).filter(|k| *k != StepKind::Sql && is_known_command(c));
            if sb.commands.iter().any(|c| shell_kind(&c.text).is_some()) {
                return Some(
                    sb.commands
                        .iter()
                        .map(|c| {
                            let (code, map) = join_commands([c], block);
                            let at_psql = text.lines().nth(c.first_line).is_some_and(|l| psql_prompt(l).is_some());
                            let kind = shell_kind(&code).filter(|_| !at_psql).unwrap_or(StepKind::Sql);
                            let mut d = self.draft(kind, code, map, lang_opt.clone(), span, section, list, index);
                            opener_as_manual(&mut d);
                            d
                        })
                        .collect(),
                );
            }
            if !sb.commands.is_empty() {
                let (code, map) = join_commands(&sb.commands, block);
                let mut d = self.draft(StepKind::Sql, code, map, lang_opt, span, section, list, index);
                d.expected_output = (!sb.output.is_empty()).then(|| sb.output.join("\n"));
                return Some(vec![d]);
            }
        }
        None
    }

    /// An SQL block: one statement, or a step per statement under its own `--` comment (and
    /// per shell command written in it).
    fn sql_block(&self, at: &BlockAt) -> Vec<Draft> {
        let BlockAt { index, block, span, section, list, text, .. } = *at;
        let lang_opt = at.lang_opt.clone();
        let map_block = |pieces: &[(usize, usize)]| pieces.iter().map(|&(c, b)| (c, block.source_offset(b))).collect::<Vec<_>>();
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
                    let kind =
                        if command_kind(&code) != StepKind::Sql && is_known_command(&code) { command_kind(&code) } else { StepKind::Sql };
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
        vec![d]
    }

    /// A block neither SQL nor shell: a metrics query, notes in comments, or nothing to run.
    fn other_block(&self, at: &BlockAt) -> Vec<Draft> {
        let BlockAt { index, block, span, section, list, ref lang, text, .. } = *at;
        let lang_opt = at.lang_opt.clone();
        // A PromQL/LogQL query: the operator runs it in Prometheus or Grafana.
        if matches!(lang.as_str(), "promql" | "logql" | "metricsql") {
            let mut d = self.draft(StepKind::Manual, text.trim().to_owned(), shift_map(block, 0), lang_opt, span, section, list, index);
            d.risk = Classified { risk: Risk::Read, reason: format!("run the {lang} query in your metrics UI") };
            return vec![d];
        }
        if lang.is_empty() && text.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#')) {
            return vec![self.comment_draft(text, block, span, section, list, index)];
        }
        Vec::new()
    }

    /// A shell block: its commands (a session opener and what is typed after it, a console's
    /// lines, one script, or groups of commands), its output and its standalone notes.
    fn shell_block(&self, at: &BlockAt) -> Vec<Draft> {
        let BlockAt { index, block, span, section, list, ref lang, text, .. } = *at;
        let lang_opt = at.lang_opt.clone();
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
        let split_output = match self.pasted_output(at, &mut sb, compound) {
            ControlFlow::Break(drafts) => return drafts,
            ControlFlow::Continue(split) => split,
        };
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
        if let Some(pos) = sb.commands.iter().position(|c| interactive_session(&c.text).is_some()) {
            return self.session_block(at, &sb, pos, compound, output);
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
        let groups = group_commands(&sb);
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

    /// Without prompts, log lines, settings, tables and queries pasted into a shell block are
    /// output: from the first such line on, only a known command is a command again. Continues
    /// with whether output was split off, or breaks with the block's steps when only output
    /// (or a metrics query) is left.
    fn pasted_output(&self, at: &BlockAt, sb: &mut shell::ShellBlock, compound: bool) -> ControlFlow<Vec<Draft>, bool> {
        let BlockAt { index, block, span, section, list, text, .. } = *at;
        let lang_opt = at.lang_opt.clone();
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
                        return ControlFlow::Break(vec![d]);
                    }
                    return ControlFlow::Break(Vec::new());
                }
                sb.output.splice(0..0, output);
            }
        }
        ControlFlow::Continue(split_output)
    }

    /// `sudo gitlab-rails console` and then Ruby, `oc debug node/x` then `chroot /host` and
    /// `podman rmi …`: what follows the opener is typed into a console or on another machine,
    /// which runbook does not drive (run here, it would act on the operator's own machine).
    /// One manual step, as risky as what is typed (unknown code counts as a write); commands
    /// before the opener run here, each a step.
    fn session_block(&self, block_at: &BlockAt, sb: &shell::ShellBlock, at: usize, compound: bool, output: Option<String>) -> Vec<Draft> {
        let BlockAt { index, block, span, section, list, text, .. } = *block_at;
        let lang_opt = block_at.lang_opt.clone();
        let opener = interactive_session(&sb.commands[at].text).unwrap_or_default();
        let typed = &sb.commands[at + 1..];
        let risk = typed_risk(text, sb, at, &opener, output.is_some());
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
            let mut d = self.draft(StepKind::Manual, text[opener_at..].trim().to_owned(), Vec::new(), lang_opt, span, section, list, index);
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
            d.opens_session = Some(session_chain(sb));
        }
        let mut out = before;
        out.push(d);
        out
    }

    /// A step made of the whole block (trimmed), its code mapped back to the source.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn whole_block(
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

    pub(super) fn comment_draft(
        &self,
        text: &str,
        block: &CodeBlock,
        span: Span,
        section: Option<usize>,
        list: ListContext,
        index: usize,
    ) -> Draft {
        let lines: Vec<&str> = text.lines().map(|l| l.trim().trim_start_matches('#').trim()).filter(|l| !l.is_empty()).collect();
        let code = lines.join("\n");
        let mut d = self.draft(StepKind::Manual, code, shift_map(block, 0), None, span, section, list, index);
        d.risk = Classified { risk: Risk::Read, reason: "manual instruction".into() };
        d
    }
}

/// A command that only prepares the shell the next one runs in (`cd /srv/app`, `source
/// venv/bin/activate`, `set -e`): not a step of its own.
pub(super) fn sets_up_shell(cmd: &str) -> bool {
    let first = shell::strip_prompt(cmd).unwrap_or(cmd).split_whitespace().next().unwrap_or("");
    matches!(first, "cd" | "pushd" | "popd" | "source" | "." | "set" | "shopt" | "ulimit" | "umask" | "alias" | "unset")
}

/// Where a block sits and what it says it is: what every step drafted from it needs.
struct BlockAt<'b> {
    index: usize,
    block: &'b CodeBlock,
    span: Span,
    section: Option<usize>,
    list: ListContext,
    lang: String,
    lang_opt: Option<String>,
    /// The block's text, its end trimmed.
    text: &'b str,
}

/// A block read as shell: labelled so, or commands, root's prompt, or prompted shell lines in
/// a text block.
fn is_shellish(lang: &str, text: &str) -> bool {
    SHELL_LANGS.contains(&lang)
            || (lang.is_empty() && looks_like_shell(text))
            // `# kill -TERM 1827` alone: root's prompt before a command, not a note.
            || (lang.is_empty() && text.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#')) && root_session(text).is_some())
            // `# pstree -pals $(pgrep haproxy)` and the tree it printed: root's prompt, then output.
            || (lang.is_empty() && opens_with_root_prompt(text))
            || (TEXT_LANGS.contains(&lang)
                && text.lines().any(|l| shell::strip_prompt(l).is_some() && looks_like_shell(shell::strip_prompt(l).unwrap_or(""))))
}

/// What is typed after an opener makes the session step as risky as the riskiest of it.
fn typed_risk(text: &str, sb: &shell::ShellBlock, at: usize, opener: &str, has_output: bool) -> Classified {
    let typed = &sb.commands[at + 1..];
    let mut risk = opener_risk(&sb.commands[at].text, opener);
    for c in typed {
        let inner = if interactive_session(&c.text).is_some() {
            Classified { risk: Risk::Read, reason: format!("opens `{}`", c.text.trim()) }
        } else if is_known_command(&c.text) || command_kind(&c.text) != StepKind::Shell {
            classify(command_kind(&c.text), &c.text)
        } else if is_console(opener) {
            console_code_risk(&c.text, opener)
        } else {
            Classified { risk: Risk::Write, reason: "code nothing says only reads".into() }
        };
        if inner.risk > risk.risk {
            risk = inner;
        }
    }
    // Without prompts, lines after a console that are not commands were typed into it.
    let typed_code = has_output && !sb.had_prompts;
    if typed_code && is_console(opener) {
        let code_risk = console_code_risk(text, opener);
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
        risk = Classified { risk: risk.risk.max(if typed_code && typed.is_empty() { Risk::Write } else { Risk::Read }), reason: what };
    }
    risk
}

/// The session a block leaves open: `oc debug node/x` then `chroot /host` nest; `docker exec
/// …` and `crictl exec …` in one block are alternatives: the first names the session.
fn session_chain(sb: &shell::ShellBlock) -> String {
    // `oc debug node/x` then `chroot /host` nest; `docker exec …` and `crictl exec …`
    // in one block are alternatives: the first names the session.
    let mut chain: Vec<String> = Vec::new();
    for o in sb.commands.iter().filter_map(|c| interactive_session(&c.text)) {
        // (A console opened inside the remote shell is nested too: `ssh host` then
        // `sudo gitlab-rails console`.)
        let nested =
            o.starts_with("chroot") || o.starts_with("sudo") || o.starts_with("su ") || o == "su" || o == "toolbox" || is_console(&o);
        if chain.is_empty() || nested {
            chain.push(o);
        }
    }
    chain.join(" → ")
}

/// Group commands: runs of shell, each curl alone, each SQL statement alone.
fn group_commands(sb: &shell::ShellBlock) -> Vec<(StepKind, Vec<&shell::CommandLine>)> {
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
    groups
}

#[cfg(test)]
mod tests {
    use crate::testing::steps;
    use crate::{Source, StepKind, compile};

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
    fn each_command_of_a_block_is_a_step_a_cd_stays_with_the_next() {
        let s = steps(
            "# Ops\n## Upgrade\n```bash\ngit clone git@example.com:ops/migrations.git\ncd migrations\nansible-playbook -i prod upgrade.yml\n```\n",
        );
        let codes: Vec<&str> = s.iter().map(|(_, c)| c.as_str()).collect();
        assert_eq!(codes, vec!["git clone git@example.com:ops/migrations.git", "cd migrations\nansible-playbook -i prod upgrade.yml"]);
    }

    #[test]
    fn a_gt_prompt_before_unknown_words_is_an_app_console() {
        let s = steps("# Redis\n## Slowlog\nGet the top entries:\n```shell\n> slowlog get 10\n```\n");
        assert_eq!(s.iter().map(|(k, _)| *k).collect::<Vec<_>>(), vec![StepKind::Manual], "{s:?}");
        let s = steps("# Redis\n## Disk\n```shell\n> df -h /var\n```\n");
        assert_eq!(s.iter().map(|(k, _)| *k).collect::<Vec<_>>(), vec![StepKind::Shell], "{s:?}");
    }
}
