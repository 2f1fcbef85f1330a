//! Commands written inline in prose: which inline code is a command to run, of which kind, and
//! the query that calls an SQL function the text tells to use.

use super::*;

/// Inline code spans (`` `x` ``) in a piece of Markdown, with their offsets.
pub(super) fn inline_code(text: &str) -> Vec<(&str, usize)> {
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

/// Inline code that is worth running: SQL, or a known command with arguments.
pub(super) fn is_step_code(code: &str) -> bool {
    // A code span broken over two lines (`` `select\ntxid_current()` ``) reads as one line.
    if code.contains('\n') {
        return is_step_code(&code.replace('\n', " "));
    }
    looks_like_sql(code) || (is_known_command(code) && code.contains(' '))
}

/// The kind of a step written as inline code.
pub(super) fn inline_kind(code: &str) -> StepKind {
    if looks_like_sql(code) { StepKind::Sql } else { command_kind(code) }
}

/// "you can execute (on any node) `sudo gitlab-patronictl restart …`": inline code the
/// sentence says to run is a command, even one runbook does not know.
/// So is a sentence that is only a command (`` `sudo gitlab-ctl restart` ``).
pub(super) fn told_to_run(sentence: &str, at: usize, code: &str) -> bool {
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
pub(super) fn sql_call(text: &str, at: usize, code: &str) -> Option<(String, usize)> {
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

/// `` `gitlab-rails console` `` as a step: the operator opens it; runbook would hang in it.
pub(super) fn opener_as_manual(d: &mut Draft) {
    if let Some(opener) = interactive_session(&d.code) {
        d.kind = StepKind::Manual;
        d.http = None;
        d.risk = opener_risk(&d.code, &opener);
    }
}

/// What opening a session changes by itself: nothing (`ssh db1`, `gitlab-rails console`, `oc
/// debug node/x` in a pod of its own), except that `kubectl debug -it pod --target=app` adds an
/// ephemeral container to the running pod, which stays in its spec.
pub(super) fn opener_risk(cmd: &str, opener: &str) -> Classified {
    let words: Vec<&str> = cmd.split_whitespace().skip_while(|w| *w == "sudo").collect();
    let adds_container = matches!(words.first(), Some(&("kubectl" | "oc")))
        && words.get(1) == Some(&"debug")
        && words.iter().any(|w| *w == "--target" || w.starts_with("--target="));
    let risk = if adds_container { Risk::Write } else { Risk::Read };
    Classified { risk, reason: format!("opens `{opener}`") }
}
