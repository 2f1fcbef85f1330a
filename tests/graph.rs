//! `runbook graph`: the JSON contract over the shipped runbooks, plus dot and Mermaid.

#![allow(clippy::unwrap_used)]

mod support;
use support::*;

fn graph_json(file: &str) -> serde_json::Value {
    let out = runbook(&["graph", file]);
    assert_eq!(code(&out), 0, "{file}: {}", stderr(&out));
    serde_json::from_str(&stdout(&out)).expect("graph JSON")
}

#[test]
fn shipped_runbooks_graph_json() {
    let files = markdown_files("runbooks");
    assert!(files.len() >= 2, "runbooks/ ships at least two runbooks");
    for file in files {
        let v = graph_json(&file);
        let errors: Vec<_> = v["diagnostics"].as_array().unwrap().iter().filter(|d| d["severity"] == "error").collect();
        assert!(errors.is_empty(), "{file} has errors: {errors:?}");
        // The contract's required fields.
        for e in v["entry_points"].as_array().unwrap() {
            assert!(e["id"].is_string() && e["title"].is_string() && (e["severity"].is_string() || e["severity"].is_null()));
        }
        for s in v["steps"].as_array().unwrap() {
            for key in ["id", "kind", "risk", "section", "line", "params", "code"] {
                assert!(!s[key].is_null(), "{file}: step without {key}: {s}");
            }
        }
        insta::assert_json_snapshot!(format!("graph-{}", snapshot_name(&file)), v);
    }
}

#[test]
fn every_branch_target_of_shipped_runbooks_is_a_step() {
    for file in markdown_files("runbooks") {
        let v = graph_json(&file);
        let ids: Vec<&str> = v["steps"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
        for e in v["edges"].as_array().unwrap() {
            assert!(ids.contains(&e["from"].as_str().unwrap()));
            if let Some(to) = e["to"].as_str() {
                assert!(ids.contains(&to), "{file}: edge to unknown step {to}");
            }
        }
    }
}

#[test]
fn dot_and_mermaid() {
    let dot = runbook(&["graph", "fixtures/check/unknown-target.md", "--format", "dot"]);
    assert_eq!(code(&dot), 1, "errors still exit 1");
    insta::assert_snapshot!("graph-dot", stdout(&dot));
    let mermaid = runbook(&["graph", "fixtures/check/unreachable.md", "--format", "mermaid"]);
    assert_eq!(code(&mermaid), 0);
    insta::assert_snapshot!("graph-mermaid", stdout(&mermaid));
}
