//! `runbook check`: one snapshot of the rendered diagnostics and exit code per error fixture.

#![allow(clippy::unwrap_used)]

mod support;
use support::*;

#[test]
fn error_fixtures_render_diagnostics() {
    let files = markdown_files("fixtures/check");
    assert!(files.len() >= 12, "fixtures/check holds the error cases");
    for file in files {
        let out = runbook(&["check", &file]);
        let text = format!("exit: {}\n{}", code(&out), stderr(&out));
        insta::assert_snapshot!(format!("check-{}", snapshot_name(&file)), text);
    }
}

#[test]
fn clean_runbooks_exit_zero_and_errors_exit_one() {
    let ok = runbook(&["check", "fixtures/check/unreachable.md"]);
    assert_eq!(code(&ok), 0, "warnings alone do not fail: {}", stderr(&ok));
    let strict = runbook(&["check", "--deny-warnings", "fixtures/check/unreachable.md"]);
    assert_eq!(code(&strict), 1);
    let bad = runbook(&["check", "fixtures/check/unknown-target.md"]);
    assert_eq!(code(&bad), 1);
}

#[test]
fn usage_and_io_errors_exit_two() {
    let missing = runbook(&["check", "no/such/file.md"]);
    assert_eq!(code(&missing), 2);
    assert!(stderr(&missing).contains("cannot read `no/such/file.md`"), "{}", stderr(&missing));
    let none = runbook(&["check"]);
    assert_eq!(code(&none), 2);
    let bogus = runbook(&["frobnicate"]);
    assert_eq!(code(&bogus), 2);
}

#[test]
fn summary_counts_every_file() {
    let out = runbook(&["check", "--summary", "fixtures/check"]);
    assert_eq!(code(&out), 1, "the error fixtures have errors");
    insta::assert_snapshot!("check-summary-fixtures", stdout(&out));
}

#[test]
fn json_diagnostics_carry_positions() {
    let out = runbook(&["check", "--format", "json", "fixtures/check/unknown-target.md"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let d = &v["files"][0]["diagnostics"][0];
    assert_eq!(d["code"], "unknown-branch-target");
    assert_eq!(d["line"], 22);
    assert_eq!(d["col"], 11);
    assert_eq!(d["hint"], "did you mean `unlock-account`?");
}
