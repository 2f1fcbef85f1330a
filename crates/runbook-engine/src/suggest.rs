//! Suggestions from evidence: at a decision, each option is scored against what the diagnosis
//! found. An option relates to an earlier step when their words meet (the option's label and
//! text against the step's title and query or URL: "Account Locked" ↔ "Check for account
//! lockouts" / `login_attempts … locked_until`); what that step found then supports the option
//! (rows returned, a failed check, an HTTP error, a non-zero exit) or speaks against it (no rows,
//! checks passed, HTTP 2xx). Silence gives no suggestion. Pure: the interpreter gathers the
//! evidence and shows the result.

use std::collections::BTreeSet;

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

pub fn suggest(choices: &[Choice<'_>], evidence: &[Evidence<'_>]) -> Suggestion {
    let verdicts: Vec<Option<Verdict>> = choices.iter().map(|c| verdict(c, evidence)).collect();
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

fn verdict(choice: &Choice<'_>, evidence: &[Evidence<'_>]) -> Option<Verdict> {
    let label = words(choice.label);
    let text: BTreeSet<String> = words(choice.text).difference(&label).cloned().collect();
    // The step this option relates to most closely.
    let (_, by_label, e) = evidence
        .iter()
        .map(|e| {
            let step = words(&format!("{} {}", e.title, e.code));
            let by_label = meet(&label, &step);
            (2 * by_label + meet(&text, &step), by_label, e)
        })
        .filter(|(r, _, _)| *r >= RELATED)
        .max_by_key(|(r, _, _)| *r)?;
    let title = format!("'{}'", e.title);
    let (sign, found) = match &e.finding {
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
    };
    // How strongly: a step its label names outweighs one only its text meets; within a tier
    // options are equal and the runbook's order decides.
    let strength = if by_label > 0 { 2 } else { 1 };
    Some(Verdict { score: sign * strength, reason: found })
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
    fn stems_meet() {
        assert_eq!(meet(&words("Account Locked"), &words("account lockouts")), 2);
        assert_eq!(meet(&words("Rate Limited"), &words("rate limiting rate_limits")), 2);
        assert_eq!(meet(&words("MFA Issues"), &words("Check for account lockouts")), 0);
    }
}
