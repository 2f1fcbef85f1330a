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

#[test]
fn a_folder_is_reported_in_file_order_though_compiled_in_parallel() {
    // More files than one parallel batch, with errors in some, so order and totals are tested
    // across batches.
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(repo_root().join("fixtures/check/unreachable.md")).unwrap();
    let bad = std::fs::read_to_string(repo_root().join("fixtures/check/unknown-target.md")).unwrap();
    for i in 0..150 {
        std::fs::write(dir.path().join(format!("f{i:03}.md")), if i % 7 == 3 { &bad } else { &good }).unwrap();
    }
    let folder = dir.path().display().to_string();
    let out = runbook(&["check", "--format", "json", &folder]);
    assert_eq!(code(&out), 1);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let names: Vec<String> = v["files"].as_array().unwrap().iter().map(|f| f["file"].as_str().unwrap().to_owned()).collect();
    let expected: Vec<String> = (0..150).map(|i| dir.path().join(format!("f{i:03}.md")).display().to_string()).collect();
    assert_eq!(names, expected);
    let single: serde_json::Value = serde_json::from_str(&stdout(&runbook(&["check", "--format", "json", &expected[3]]))).unwrap();
    assert_eq!(v["errors"].as_u64().unwrap(), single["errors"].as_u64().unwrap() * (0..150).filter(|i| i % 7 == 3).count() as u64);
    assert_eq!(v["files"][3], single["files"][0]);
    // The human output keeps the same order.
    let human = runbook(&["check", "--summary", &folder]);
    let text = stdout(&human);
    let rows: Vec<&str> = text.lines().skip(1).take(150).map(|l| l.split_whitespace().next().unwrap()).collect();
    assert!(rows.windows(2).all(|w| w[0] < w[1]), "{rows:?}");
}
