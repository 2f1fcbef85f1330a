//! Inference on runbooks written with no annotation: one snapshot per fixture in
//! `fixtures/infer/`, as a readable outline of entry points, steps and edges. Each fixture
//! states in its first comment what the graph must show.

#![allow(clippy::unwrap_used)]

mod support;
use serde_json::Value;
use std::fmt::Write as _;
use support::*;

fn outline(v: &Value) -> String {
    let mut out = String::new();
    for e in v["entry_points"].as_array().unwrap() {
        let sev = e["severity"].as_str().map(|s| format!(" [{s}]")).unwrap_or_default();
        writeln!(
            out,
            "entry {}{sev}: {} → {}",
            e["id"].as_str().unwrap(),
            e["title"].as_str().unwrap(),
            e["first_step"].as_str().unwrap_or("-")
        )
        .unwrap();
    }
    for s in v["steps"].as_array().unwrap() {
        let params: Vec<&str> = s["params"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        writeln!(
            out,
            "step {} {} {} line {} — {}",
            s["id"].as_str().unwrap(),
            s["kind"].as_str().unwrap(),
            s["risk"].as_str().unwrap(),
            s["line"],
            s["title"].as_str().unwrap()
        )
        .unwrap();
        if !params.is_empty() {
            writeln!(out, "  params: {}", params.join(", ")).unwrap();
        }
        if let Some(h) = s["http"].as_object() {
            writeln!(
                out,
                "  http: {} {} jq={} headers={}",
                h["method"].as_str().unwrap(),
                h["url"].as_str().unwrap(),
                h["jq"],
                h["headers"]
            )
            .unwrap();
            if let Some(b) = h["body"].as_str() {
                writeln!(out, "  body: {b}").unwrap();
            }
        }
        let code = s["code"].as_str().unwrap();
        for l in code.lines().take(6) {
            writeln!(out, "  | {l}").unwrap();
        }
        if let Some(o) = s["expected_output"].as_str() {
            writeln!(out, "  output: {} line(s)", o.lines().count()).unwrap();
        }
    }
    for e in v["edges"].as_array().unwrap() {
        let label = e["label"].as_str().map(|l| format!(" [{l}]")).unwrap_or_default();
        writeln!(out, "edge {} → {}{label}", e["from"].as_str().unwrap(), e["to"].as_str().unwrap_or("end")).unwrap();
    }
    out
}

#[test]
fn inference_fixtures() {
    let files = markdown_files("fixtures/infer");
    assert!(files.len() >= 30, "fixtures/infer covers each convention");
    for file in files {
        let out = runbook(&["graph", &file]);
        assert!(code(&out) <= 1, "{file}: {}", stderr(&out));
        let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
        insta::assert_snapshot!(format!("infer-{}", snapshot_name(&file)), outline(&v));
    }
}

fn graph(file: &str) -> Value {
    let out = runbook(&["graph", file]);
    serde_json::from_str(&stdout(&out)).unwrap()
}

fn step(v: &Value, pred: impl Fn(&Value) -> bool) -> &Value {
    v["steps"].as_array().unwrap().iter().find(|s| pred(s)).expect("a matching step")
}

#[test]
fn curl_becomes_http_with_method_body_and_jq() {
    let v = graph("fixtures/infer/curl-http-post.md");
    let s = step(&v, |s| s["kind"] == "http");
    assert_eq!(s["http"]["method"], "POST");
    assert_eq!(s["http"]["jq"], ".status");
    assert_eq!(s["risk"], "write");
    assert!(s["params"].as_array().unwrap().iter().any(|p| p == "YOUR_API_KEY"));
}

#[test]
fn numbered_options_become_a_decision() {
    let v = graph("fixtures/infer/numbered-bold-options.md");
    let decision = step(&v, |s| s["kind"] == "decision");
    let branches: Vec<&Value> = v["edges"].as_array().unwrap().iter().filter(|e| e["from"] == decision["id"]).collect();
    assert_eq!(branches.len(), 3, "{branches:?}");
    assert!(branches.iter().any(|b| b["label"] == "Account Locked"));
}

#[test]
fn templates_are_not_parameters() {
    let v = graph("fixtures/infer/templates-not-params.md");
    for s in v["steps"].as_array().unwrap() {
        assert_eq!(s["params"].as_array().unwrap().len(), 0, "{s}");
    }
}

#[test]
fn unknown_commands_are_writes_and_substituted_headers_run_through_bash() {
    let v = graph("fixtures/infer/unknown-commands.md");
    let defrag = step(&v, |s| s["code"].as_str().unwrap().contains("etcdctl defrag"));
    assert_eq!(defrag["risk"], "write");
    assert!(defrag["risk_reason"].as_str().unwrap().contains("not known to be read-only"), "{defrag}");
    let curl = step(&v, |s| s["kind"] == "http");
    assert_eq!(curl["http"]["shell_reason"], "a header or the body is built by the shell");
    let filler = step(&v, |s| s["code"] == "./drain.sh etcd-2");
    assert_eq!(filler["title"], "Mitigation");
}
