//! Suggestions from evidence: at a decision, each option is scored against what the diagnosis
//! found. An option relates to an earlier step when their words meet (the option's label and
//! text against the step's title and query or URL: "Account Locked" ↔ "Check for account
//! lockouts" / `login_attempts … locked_until`); what that step found then supports the option
//! (rows returned, a failed check, an HTTP error, a non-zero exit) or speaks against it (no rows,
//! checks passed, HTTP 2xx). Silence gives no suggestion. Pure: the interpreter gathers the
//! evidence and shows the result.
//!
//! What keeps it from being confident on silence: a label word another option also uses does
//! not relate a step by itself; a step speaks only for the option(s) it is most about; equally
//! close steps that disagree cancel out; a row count that is the same on a good day (an
//! aggregate, an unfiltered listing, a lookup of what the operator named, a recent window, a
//! write) is no evidence; and what was found before a write ran describes the state it changed.
//! `fixtures/suggestions/` measures it on real decisions (`tests/suggestions.rs`).

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

/// What an earlier step found, reduced to what can support or contradict an option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    Rows(u64),
    HttpStatus(u16),
    /// The step failed (connection refused, timeout…).
    Failed,
    /// Checks evaluated: how many failed (warning or critical), and the first one's name.
    Checks {
        failed: usize,
        first: Option<String>,
    },
    ExitCode(i32),
    /// Nothing to go by (a manual step).
    Nothing,
}

/// One earlier step: its words and what it found.
#[derive(Debug, Clone)]
pub struct Evidence<'a> {
    pub title: &'a str,
    /// The query, URL or command.
    pub code: &'a str,
    pub finding: Finding,
}

/// One option of the decision: its label and the text of what it does (the target step's
/// title and code).
#[derive(Debug, Clone)]
pub struct Choice<'a> {
    pub label: &'a str,
    pub text: &'a str,
}

/// What the evidence says about one option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Positive supports, negative speaks against; its size is how closely the step relates.
    pub score: i32,
    /// `'Check for account lockouts' returned 1 row`.
    pub reason: String,
}

impl Verdict {
    pub fn supports(&self) -> bool {
        self.score > 0
    }
}

/// The verdicts by option (`None`: no evidence relates to it) and the best-supported option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub verdicts: Vec<Option<Verdict>>,
    pub best: Option<usize>,
}

/// A step relates to an option when this much of their wording meets (a label word counts
/// twice: one label word alone relates, two words of the option's text do).
const RELATED: i32 = 2;

/// Weigh each option against the evidence, given in the runbook's order.
pub fn suggest(choices: &[Choice<'_>], evidence: &[Evidence<'_>]) -> Suggestion {
    // A label word another option also uses does not single this option out: it counts as text.
    let all: Vec<(BTreeSet<String>, BTreeSet<String>)> =
        choices.iter().map(|c| (words(c.label), words(&format!("{} {}", c.label, c.text)))).collect();
    let options: Vec<(BTreeSet<String>, BTreeSet<String>)> = all
        .iter()
        .enumerate()
        .map(|(i, (label, both))| {
            let others: BTreeSet<String> =
                all.iter().enumerate().filter(|(j, _)| *j != i).flat_map(|(_, (_, b))| b.iter().cloned()).collect();
            let own: BTreeSet<String> = label.iter().filter(|w| meet(&BTreeSet::from([(*w).clone()]), &others) == 0).cloned().collect();
            let text: BTreeSet<String> = both.difference(&own).cloned().collect();
            (own, text)
        })
        .collect();
    let steps: Vec<BTreeSet<String>> = evidence.iter().map(|e| words(&format!("{} {}", e.title, e.code))).collect();
    // How closely each option relates to each step, and by how many label words.
    let related: Vec<Vec<(i32, i32)>> = options
        .iter()
        .map(|(label, text)| {
            steps
                .iter()
                .map(|step| {
                    let by_label = meet(label, step);
                    (2 * by_label + meet(text, step), by_label)
                })
                .collect()
        })
        .collect();
    // What was found before the last SQL write the walk ran described the state it changed.
    let since = evidence.iter().rposition(|e| is_sql_write(e.code)).unwrap_or(0);
    let found: Vec<Option<(i32, String)>> = evidence.iter().enumerate().map(|(k, e)| if k < since { None } else { found(e) }).collect();
    let verdicts: Vec<Option<Verdict>> = (0..choices.len())
        .map(|o| {
            // The steps this option relates to, each only if no other option relates to it more
            // closely (a step's finding is about the option it is most about).
            let candidates: Vec<usize> = (0..evidence.len())
                .filter(|&e| found[e].is_some() && related[o][e].0 >= RELATED)
                .filter(|&e| related.iter().all(|r| r[e].0 <= related[o][e].0))
                .collect();
            let closest = candidates.iter().map(|&e| related[o][e].0).max()?;
            let closest: Vec<usize> = candidates.into_iter().filter(|&e| related[o][e].0 == closest).collect();
            let sign = |e: usize| found[e].as_ref().map_or(0, |(s, _)| *s);
            // Equally close steps that disagree: mixed evidence, no verdict.
            if closest.iter().any(|&e| sign(e) != sign(closest[0])) {
                return None;
            }
            let e = closest[0];
            // How strongly: a step its label names outweighs one only its text meets; within a
            // tier options are equal and the runbook's order decides.
            let strength = if related[o][e].1 > 0 { 2 } else { 1 };
            let (sign, reason) = found[e].clone()?;
            Some(Verdict { score: sign * strength, reason })
        })
        .collect();
    let best = best(&verdicts, |_| false);
    Suggestion { verdicts, best }
}

/// The best-supported option, leaving out those `skip` says (options already declined); the
/// first of equals, as the runbook lists them.
pub fn best(verdicts: &[Option<Verdict>], skip: impl Fn(usize) -> bool) -> Option<usize> {
    let mut best: Option<(usize, i32)> = None;
    for (i, v) in verdicts.iter().enumerate() {
        if let Some(v) = v.as_ref().filter(|v| v.supports() && !skip(i))
            && best.is_none_or(|(_, score)| v.score > score)
        {
            best = Some((i, v.score));
        }
    }
    best.map(|(i, _)| i)
}

/// What a step found, as support (1) or contradiction (-1) with its wording; `None` when the
/// finding says nothing either way.
fn found(e: &Evidence<'_>) -> Option<(i32, String)> {
    let title = format!("'{}'", e.title);
    Some(match &e.finding {
        Finding::Rows(_) if rows_say_nothing(e.code) => return None,
        Finding::Rows(0) => (-1, format!("{title} returned no rows")),
        Finding::Rows(n) => (1, format!("{title} returned {n} {}", if *n == 1 { "row" } else { "rows" })),
        Finding::HttpStatus(s) if *s >= 400 => (1, format!("{title} returned HTTP {s}")),
        Finding::HttpStatus(s) => (-1, format!("{title} returned HTTP {s}")),
        Finding::Failed => (1, format!("{title} failed")),
        Finding::Checks { failed: 0, .. } => (-1, format!("{title} passed its checks")),
        Finding::Checks { first, .. } => (1, format!("{title} failed the check {}", first.as_deref().unwrap_or("?"))),
        Finding::ExitCode(0) => return None,
        Finding::ExitCode(c) => (1, format!("{title} exited with {c}")),
        Finding::Nothing => return None,
    })
}

/// Whether a query's row count says nothing about a fault, whatever the data: a write (the rows
/// it changed), an aggregate without `GROUP BY` (always one row), a listing with no filter, or
/// one whose only filters name what the operator asked about (`email = 'EMAIL'`) or a recent
/// window (`started_at > now() - interval '1 hour'`): those rows are there on a good day too.
fn rows_say_nothing(code: &str) -> bool {
    static WINDOW: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^\s*[\w.]+\s*>=?\s*(now\s*\(\s*\)|current_timestamp)\s*-\s*interval\b").expect("valid regex"));
    static PARAM: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"'[A-Z][A-Z0-9_]*'|\{\{|\$\d").expect("valid regex"));
    let code = code.trim().trim_end_matches(';').trim_end();
    let lower = code.to_ascii_lowercase();
    let top = top_level(&lower);
    if top.contains(';') {
        return false;
    }
    if is_sql_write(code) {
        return true;
    }
    let first = top.split_whitespace().next().unwrap_or("");
    if first != "select" {
        return false;
    }
    let grouped = top.contains(" group by ");
    let list_end = top.find(" from ").unwrap_or(top.len());
    let aggregate = ["count(", "sum(", "avg(", "min(", "max("]
        .iter()
        .any(|f| top[..list_end].match_indices(f).any(|(i, _)| !top[..i].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_')));
    if aggregate && !grouped {
        return true;
    }
    if top.contains(" having ") {
        return false;
    }
    let Some(start) = top.find(" where ").map(|i| i + " where ".len()) else { return true };
    let end = [" group by ", " order by ", " limit ", " offset ", " window "]
        .iter()
        .filter_map(|k| top[start..].find(k).map(|i| start + i))
        .min()
        .unwrap_or(top.len());
    if top[start..end].contains(" or ") {
        return false;
    }
    // The conditions, cut at top-level `and`, read in the original text (strings, case).
    let mut conditions = Vec::new();
    let mut from = start;
    for (i, _) in top[start..end].match_indices(" and ") {
        conditions.push(&code[from..start + i]);
        from = start + i + " and ".len();
    }
    conditions.push(&code[from..end]);
    conditions.iter().all(|c| {
        let c = c.trim();
        let equality = c.contains('=') && !c.contains(['<', '>', '!']);
        WINDOW.is_match(&c.to_ascii_lowercase()) || (equality && PARAM.is_match(c))
    })
}

/// A statement that changes rows (its row count is what it changed, not what it found).
fn is_sql_write(code: &str) -> bool {
    let first = code.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
    matches!(first.as_str(), "update" | "delete" | "insert" | "merge" | "truncate")
}

/// `sql` (lower-cased) with what is inside parentheses or quotes blanked out and whitespace made
/// spaces, the same length, so keywords found in it are top-level and its offsets fit `sql`.
fn top_level(sql: &str) -> String {
    let mut out = Vec::with_capacity(sql.len());
    let (mut depth, mut quote) = (0usize, None::<u8>);
    for &b in sql.as_bytes() {
        let keep = match (quote, b) {
            (Some(q), _) => {
                if b == q {
                    quote = None;
                }
                b == q
            }
            (None, b'\'' | b'"') => {
                quote = Some(b);
                true
            }
            (None, b'(') => {
                depth += 1;
                depth == 1
            }
            (None, b')') => {
                depth = depth.saturating_sub(1);
                depth == 0
            }
            (None, _) => depth == 0,
        };
        out.push(if !keep {
            b'_'
        } else if b.is_ascii_whitespace() {
            b' '
        } else {
            b
        });
    }
    String::from_utf8(out).unwrap_or_default()
}

/// How many words two texts share (stems meeting), for ordering what relates most first.
pub fn relatedness(a: &str, b: &str) -> i32 {
    meet(&words(a), &words(b))
}

/// How many words of `a` meet a word of `b` (equal, or one the other's stem: `lock` and
/// `lockouts`, `limited` and `limiting`).
fn meet(a: &BTreeSet<String>, b: &BTreeSet<String>) -> i32 {
    a.iter()
        .filter(|w| b.iter().any(|v| v == *w || (w.len() >= 4 && v.starts_with(w.as_str())) || (v.len() >= 4 && w.starts_with(v.as_str()))))
        .count() as i32
}

/// Words that say nothing about which option fits: SQL and HTTP vocabulary, filler.
const STOP: &[&str] = &[
    "a",
    "an",
    "and",
    "as",
    "at",
    "by",
    "check",
    "count",
    "curl",
    "delete",
    "desc",
    "asc",
    "for",
    "from",
    "functions",
    "http",
    "https",
    "id",
    "if",
    "in",
    "into",
    "is",
    "it",
    "limit",
    "manual",
    "manually",
    "not",
    "now",
    "null",
    "of",
    "on",
    "or",
    "order",
    "select",
    "set",
    "the",
    "to",
    "update",
    "via",
    "where",
    "with",
    "www",
    "com",
    "co",
    "api",
    "v1",
    "v2",
    "issue",
    "issues",
    "problem",
    "fix",
];

/// Lower-case word stems of `text`; `login_attempts` is two words.
fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.len() >= 2 && !w.chars().all(|c| c.is_ascii_digit()))
        .map(str::to_ascii_lowercase)
        .filter(|w| !STOP.contains(&w.as_str()))
        .map(|w| stem(&w))
        .collect()
}

fn stem(w: &str) -> String {
    if let Some(s) = w.strip_suffix("ies")
        && s.len() >= 3
    {
        return format!("{s}y");
    }
    for suffix in ["ing", "ed", "s"] {
        if let Some(s) = w.strip_suffix(suffix)
            && s.len() >= 3
        {
            return s.to_owned();
        }
    }
    w.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ehr(lockouts: u64, limits: u64) -> Vec<Evidence<'static>> {
        vec![
            Evidence {
                title: "Check Supabase Auth service status",
                code: "curl https://x.supabase.co/functions/v1/health-check",
                finding: Finding::HttpStatus(200),
            },
            Evidence {
                title: "Check for account lockouts",
                code: "SELECT user_id, attempt_count, locked_until FROM login_attempts WHERE locked_until > NOW()",
                finding: Finding::Rows(lockouts),
            },
            Evidence {
                title: "Check rate limiting",
                code: "SELECT * FROM rate_limits WHERE operation = 'login' AND window_expires_at > NOW()",
                finding: Finding::Rows(limits),
            },
        ]
    }

    fn options() -> Vec<Choice<'static>> {
        vec![
            Choice {
                label: "Account Locked",
                text: "Manually unlock via admin panel or database DELETE FROM login_attempts WHERE user_id = 'USER_ID'",
            },
            Choice {
                label: "Rate Limited",
                text: "Wait for rate limit window to expire or reset DELETE FROM rate_limits WHERE user_id = 'USER_ID'",
            },
            Choice { label: "Email Not Confirmed", text: "Resend verification email via admin panel" },
            Choice { label: "MFA Issues", text: "Reset MFA for user via admin panel" },
        ]
    }

    #[test]
    fn the_ehr_login_options_meet_their_diagnosis() {
        let s = suggest(&options(), &ehr(1, 1));
        let reason = |i: usize| s.verdicts[i].as_ref().map(|v| v.reason.clone());
        assert_eq!(reason(0).as_deref(), Some("'Check for account lockouts' returned 1 row"));
        assert_eq!(reason(1).as_deref(), Some("'Check rate limiting' returned 1 row"));
        assert!(s.verdicts[0].as_ref().is_some_and(Verdict::supports) && s.verdicts[1].as_ref().is_some_and(Verdict::supports));
        assert_eq!(s.verdicts[2], None, "nothing in the diagnosis speaks of e-mail");
        assert_eq!(s.verdicts[3], None);
        assert_eq!(s.best, Some(0), "equally supported: the first in the runbook");
    }

    #[test]
    fn no_rows_speaks_against_and_the_other_option_wins() {
        let s = suggest(&options(), &ehr(0, 3));
        assert_eq!(s.best, Some(1));
        let locked = s.verdicts[0].as_ref().unwrap();
        assert!(!locked.supports());
        assert_eq!(locked.reason, "'Check for account lockouts' returned no rows");
        assert_eq!(s.verdicts[1].as_ref().unwrap().reason, "'Check rate limiting' returned 3 rows");
    }

    #[test]
    fn silence_gives_no_suggestion() {
        assert_eq!(suggest(&options(), &[]).best, None);
        let s = suggest(&options(), &ehr(0, 0));
        assert_eq!(s.best, None, "evidence only against: nothing to suggest");
    }

    #[test]
    fn an_http_error_or_a_failed_check_supports_the_option_it_relates_to() {
        let options = [
            Choice { label: "Auth service down", text: "Restart the auth service" },
            Choice { label: "Slow Queries", text: "Add indexes" },
        ];
        let down =
            [Evidence { title: "Check Supabase Auth service status", code: "curl https://x/health", finding: Finding::HttpStatus(503) }];
        let s = suggest(&options, &down);
        assert_eq!(s.best, Some(0));
        assert_eq!(s.verdicts[0].as_ref().unwrap().reason, "'Check Supabase Auth service status' returned HTTP 503");
        let slow = [Evidence {
            title: "Check slow queries",
            code: "SELECT query FROM pg_stat_statements",
            finding: Finding::Checks { failed: 1, first: Some("mean_ms".into()) },
        }];
        let s = suggest(&options, &slow);
        assert_eq!(s.best, Some(1));
        assert_eq!(s.verdicts[1].as_ref().unwrap().reason, "'Check slow queries' failed the check mean_ms");
    }

    #[test]
    fn row_counts_that_are_the_same_on_a_good_day_say_nothing() {
        for sql in [
            "SELECT COUNT(*) FROM pg_stat_activity \nWHERE state = 'active';",
            "SELECT count(*) FILTER (WHERE NOT succeeded) AS failed_1h, max(attempted_at) FROM login_attempts WHERE user_id = 'USER_ID'",
            "SELECT relname, pg_size_pretty(pg_total_relation_size(relid)) FROM pg_statio_user_tables ORDER BY 2 DESC LIMIT 5;",
            "SELECT id, locked_until FROM users WHERE lower(email) = lower('EMAIL');",
            "SELECT * FROM invitations WHERE id = {{ INVITATION_ID }}",
            "SELECT id, status FROM telehealth_sessions\nWHERE start_time > NOW() - INTERVAL '1 hour'\nORDER BY start_time DESC;",
            "UPDATE invitations SET status = 'expired' WHERE expires_at < now()",
            "DELETE FROM login_attempts WHERE user_id = 'USER_ID';",
        ] {
            assert!(rows_say_nothing(sql), "{sql}");
        }
        for sql in [
            "SELECT user_id, locked_until FROM login_attempts WHERE locked_until > NOW() ORDER BY locked_until DESC LIMIT 10;",
            "SELECT * FROM waiting_room WHERE status = 'waiting' ORDER BY joined_at;",
            "SELECT * FROM storage.policies WHERE bucket_id = 'client-documents';",
            "SELECT email, COUNT(*) FROM login_attempts WHERE success = false GROUP BY email HAVING COUNT(*) > 5",
            "SELECT v.id FROM video_sessions v WHERE v.status IN ('waiting', 'active') AND v.last_heartbeat_at < now() - interval '2 minutes'",
            "SELECT key FROM rate_limits WHERE blocked_until > now() AND key = 'login:user:' || 'USER_ID'",
        ] {
            assert!(!rows_say_nothing(sql), "{sql}");
        }
        let lookup = [Evidence {
            title: "Diagnosis",
            code: "SELECT id, locked_until FROM users WHERE email = 'USER_EMAIL'",
            finding: Finding::Rows(1),
        }];
        let options = [Choice { label: "Account Locked", text: "UPDATE users SET locked_until = NULL" }];
        assert_eq!(suggest(&options, &lookup).verdicts[0], None, "the user's row is there whether locked or not");
    }

    #[test]
    fn a_label_word_another_option_uses_does_not_single_it_out() {
        let options = [
            Choice { label: "Rate Limited", text: "Check Resend rate limit status Implement email batching" },
            Choice { label: "Invalid Email Addresses", text: "Check for typos in recipient addresses" },
        ];
        let queue = [Evidence {
            title: "Check email queue",
            code: "SELECT * FROM notification_logs WHERE sent_at IS NULL",
            finding: Finding::Rows(20),
        }];
        let s = suggest(&options, &queue);
        assert_eq!(s.best, None, "unsent e-mail says sending is broken, not which way");
    }

    #[test]
    fn a_step_speaks_for_the_option_it_is_most_about() {
        let options = [
            Choice { label: "Database Connection Pool Exhausted", text: "Review and close idle connections" },
            Choice { label: "Slow Queries", text: "Add indexes for the slowest statements" },
        ];
        let perf = [Evidence {
            title: "Check database performance",
            code: "SELECT query, calls, mean_exec_time FROM pg_stat_statements WHERE mean_exec_time > 100",
            finding: Finding::Rows(7),
        }];
        let s = suggest(&options, &perf);
        assert_eq!(s.verdicts[0], None, "'database' alone: the step is more about slow queries");
        assert_eq!(s.best, Some(1));
    }

    #[test]
    fn equally_close_steps_that_disagree_cancel_out() {
        let options = [Choice { label: "Auth unhealthy", text: "Restart auth" }];
        let evidence = [
            Evidence { title: "Auth health", code: "curl https://x/auth/health", finding: Finding::HttpStatus(200) },
            Evidence { title: "Auth queue", code: "curl https://x/auth/queue", finding: Finding::HttpStatus(500) },
        ];
        assert_eq!(suggest(&options, &evidence).verdicts[0], None);
    }

    #[test]
    fn what_was_found_before_a_write_is_superseded_by_it() {
        let options = [Choice { label: "Expired too many, roll back", text: "Restore invitations from the dump" }];
        let before = Evidence {
            title: "Invitations past their expiry",
            code: "SELECT id FROM invitations WHERE expires_at < now()",
            finding: Finding::Rows(312),
        };
        assert_eq!(suggest(&options, std::slice::from_ref(&before)).best, Some(0));
        let write = Evidence {
            title: "Expire stale invitations",
            code: "UPDATE invitations SET status = 'expired' WHERE expires_at < now()",
            finding: Finding::Rows(312),
        };
        assert_eq!(suggest(&options, &[before, write]).best, None, "the 312 rows were the problem the write fixed");
    }

    #[test]
    fn stems_meet() {
        assert_eq!(meet(&words("Slow Queries"), &words("SELECT query FROM pg_stat_statements")), 1);
        assert_eq!(meet(&words("Account Locked"), &words("account lockouts")), 2);
        assert_eq!(meet(&words("Rate Limited"), &words("rate limiting rate_limits")), 2);
        assert_eq!(meet(&words("MFA Issues"), &words("Check for account lockouts")), 0);
    }
}
