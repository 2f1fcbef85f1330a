//! The evidence scorer against a fixture set of real decisions (`fixtures/suggestions/`): each
//! case is a decision from our runbooks or the seeds, a plausible diagnosis result and the option
//! an on-call engineer would take from it (`none` when the evidence is silent or ambiguous).
//! The scorer must be right on at least 10 and never suggest anything where `none` is expected.

use std::path::PathBuf;

use runbook_engine::suggest::{Choice, Evidence, Finding, suggest};
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixture {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    case: String,
    #[allow(dead_code)]
    source: String,
    options: Vec<Opt>,
    evidence: Vec<Step>,
    expect: String,
    #[allow(dead_code)]
    why: String,
}

#[derive(Deserialize)]
struct Opt {
    label: String,
    text: String,
}

#[derive(Deserialize)]
struct Step {
    title: String,
    code: String,
    result: StepResult,
}

/// A step's result as the interpreter records it.
#[derive(Deserialize, Default)]
#[serde(default)]
struct StepResult {
    rows: Option<u64>,
    status: Option<u16>,
    exit: Option<i32>,
    failed: bool,
    failed_checks: Vec<String>,
}

impl StepResult {
    /// The finding, reduced the way `Interpreter::suggestion` reduces a result: failed checks
    /// first, then the outcome; a request or command that could not run is `Failed`.
    fn finding(&self) -> Finding {
        if !self.failed_checks.is_empty() {
            return Finding::Checks { failed: self.failed_checks.len(), first: Some(self.failed_checks[0].clone()) };
        }
        match (self.rows, self.status, self.exit, self.failed) {
            (_, _, _, true) => Finding::Failed,
            (Some(n), _, _, _) => Finding::Rows(n),
            (_, Some(s), _, _) => Finding::HttpStatus(s),
            (_, _, Some(c), _) => Finding::ExitCode(c),
            _ => Finding::Nothing,
        }
    }
}

#[test]
fn the_suggestion_is_right_on_the_fixture_decisions() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/suggestions/decisions.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let fixture: Fixture = serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));

    let mut right = 0;
    let mut confident_where_silent = Vec::new();
    let mut rows = Vec::new();
    for case in &fixture.cases {
        assert!(
            case.expect == "none" || case.options.iter().any(|o| o.label == case.expect),
            "{}: expects '{}', not one of its options",
            case.case,
            case.expect
        );
        let choices: Vec<Choice<'_>> = case.options.iter().map(|o| Choice { label: &o.label, text: &o.text }).collect();
        let evidence: Vec<Evidence<'_>> =
            case.evidence.iter().map(|s| Evidence { title: &s.title, code: &s.code, finding: s.result.finding() }).collect();
        let s = suggest(&choices, &evidence);
        let got = s.best.map_or("none", |i| case.options[i].label.as_str());
        let reason = s.best.and_then(|i| s.verdicts[i].as_ref()).map_or_else(
            || {
                // Why nothing: the verdicts against, if any.
                let against: Vec<String> = s
                    .verdicts
                    .iter()
                    .zip(&case.options)
                    .filter_map(|(v, o)| v.as_ref().map(|v| format!("{}: {}", o.label, v.reason)))
                    .collect();
                if against.is_empty() { "no evidence relates".to_owned() } else { format!("against: {}", against.join("; ")) }
            },
            |v| v.reason.clone(),
        );
        let ok = got == case.expect;
        right += usize::from(ok);
        if case.expect == "none" && got != "none" {
            confident_where_silent.push(case.case.clone());
        }
        rows.push((case.case.clone(), case.expect.clone(), got.to_owned(), if ok { "ok" } else { "MISS" }, reason));
    }

    let w = |f: fn(&(String, String, String, &str, String)) -> usize| rows.iter().map(f).max().unwrap_or(0);
    let (wc, we, wg) = (w(|r| r.0.len()), w(|r| r.1.len()), w(|r| r.2.len()));
    println!("{:wc$}  {:we$}  {:wg$}  ok?   reason", "case", "expected", "got");
    for (case, expected, got, ok, reason) in &rows {
        println!("{case:wc$}  {expected:we$}  {got:wg$}  {ok:4}  {reason}");
    }
    let total = rows.len();
    let silent = fixture.cases.iter().filter(|c| c.expect == "none").count();
    println!(
        "right on {right} of {total}; confident where silent: {} of {silent}{}",
        confident_where_silent.len(),
        if confident_where_silent.is_empty() { String::new() } else { format!(" ({})", confident_where_silent.join(", ")) }
    );

    assert!(total >= 12 && silent >= 3, "the set needs 12 decisions, 3 of them silent");
    assert!(confident_where_silent.is_empty(), "a suggestion where the evidence is silent: {confident_where_silent:?}");
    assert!(right >= 10, "right on {right} of {total}");
}
