#![allow(clippy::unwrap_used)]
use super::*;
use runbook_engine::journal::StepResultEvent;
use runbook_engine::result::CheckResult;
use serde_json::Map;

fn line(seq: u64, event: JournalEvent) -> Line {
    Line { seq, ts: runbook_engine::journal::Timestamp::from_millis(1_700_000_000_000), prev: String::new(), hash: String::new(), event }
}

fn result(step: &str, ok: bool, result: ResultSummary, checks: Vec<CheckResult>) -> JournalEvent {
    JournalEvent::StepResult(StepResultEvent { step: step.into(), ok, elapsed_ms: 12, result, checks, captures: Map::new() })
}

#[test]
fn a_sql_result_is_a_table_in_column_order_with_every_value_escaped() {
    let row: Map<String, Value> =
        serde_json::from_value(json!({"name": "<script>alert(1)</script>", "id": 7, "locked": true, "note": null})).unwrap();
    let f = render(&line(
        4,
        result(
            "find-user",
            true,
            ResultSummary::Done(OutcomeSummary::Sql {
                row_count: 1,
                columns: vec!["id".into(), "name".into(), "locked".into(), "note".into()],
                rows: vec![row],
                truncated: false,
            }),
            vec![CheckResult {
                name: "rows".into(),
                level: runbook_core::annotation::Level::Warning,
                actual: json!(1),
                expected: "0".into(),
            }],
        ),
    ));
    assert_eq!((f.seq, f.step.as_deref(), f.state.as_deref()), (4, Some("find-user"), None));
    let h = &f.html;
    assert!(h.contains("id=\"event-4\"") && h.contains("data-seq=\"4\"") && h.contains("data-step=\"find-user\""), "{h}");
    assert!(h.contains("<th>id</th><th>name</th><th>locked</th><th>note</th>"), "{h}");
    assert!(h.contains("<td>7</td><td>&lt;script&gt;alert(1)&lt;&#x2f;script&gt;</td><td>true</td><td></td>"), "{h}");
    assert!(!h.contains("<script"), "{h}");
    assert!(h.contains("class=\"check-warning\">warning: rows = <code>1</code>"), "{h}");
    assert!(h.contains("1 row<"), "{h}");
}

#[test]
fn a_decision_shows_the_evidence_the_suggestion_and_the_choice() {
    let f = render(&line(
        9,
        JournalEvent::Decision {
            step: "choose-fix".into(),
            chosen: "Account Locked".into(),
            suggested: Some("Account Locked".into()),
            reason: Some("find-user returned locked = true".into()),
            evidence: vec!["find-user: 1 row, locked = true".into(), "login-attempts: 5 rows".into()],
            to: Some("unlock".into()),
        },
    ));
    let h = &f.html;
    assert!(h.contains("Decision at <code>choose-fix</code>: Account Locked"), "{h}");
    assert!(h.contains("Suggested: <strong>Account Locked</strong> — find-user returned locked = true (followed)"), "{h}");
    assert!(h.contains("<li>find-user: 1 row, locked = true</li><li>login-attempts: 5 rows</li>"), "{h}");
    assert!(h.contains("next: <code>unlock</code>"), "{h}");
}

#[test]
fn http_json_and_shell_output_are_shown_as_text() {
    let http = render(&line(
        3,
        result(
            "health",
            true,
            ResultSummary::Done(OutcomeSummary::Http {
                status: 503,
                elapsed_ms: 40,
                url: "http://127.0.0.1:9/health".into(),
                body_sha256: String::new(),
                body_excerpt: String::new(),
                filtered: None,
                json: Some(json!({"status": "red", "html": "<b>x</b>"})),
            }),
            vec![],
        ),
    ));
    assert!(http.html.contains("HTTP <strong class=\"status-5xx\">503</strong>"), "{}", http.html);
    assert!(http.html.contains("&quot;status&quot;: &quot;red&quot;") && http.html.contains("&lt;b&gt;x&lt;&#x2f;b&gt;"), "{}", http.html);
    let shell = render(&line(
        5,
        result(
            "disk",
            false,
            ResultSummary::Done(OutcomeSummary::Shell {
                exit_code: 2,
                stdout: "a & b\n<img src=x onerror=alert(1)>".into(),
                stderr: "no such file".into(),
            }),
            vec![],
        ),
    ));
    assert!(shell.html.contains("class=\"event step_result failed\""), "{}", shell.html);
    assert!(shell.html.contains("a &amp; b\n&lt;img src=x onerror=alert(1)&gt;"), "{}", shell.html);
    assert!(shell.html.contains("<pre class=\"stderr\"><code>no such file</code></pre>"), "{}", shell.html);
}

#[test]
fn a_hand_over_and_the_end_change_the_driver_and_the_state() {
    let resumed = render(&line(
        12,
        JournalEvent::Resumed {
            operator: "bo@laptop".into(),
            from_step: "unlock".into(),
            note: String::new(),
            runbook_changed: false,
            torn_line: None,
        },
    ));
    assert_eq!((resumed.driver.as_deref(), resumed.state.as_deref()), (Some("bo@laptop"), Some("running")));
    assert!(resumed.html.contains("<strong>bo@laptop</strong> drives from here"), "{}", resumed.html);
    let end = render(&line(13, JournalEvent::End { status: runbook_engine::journal::EndStatus::Finished, message: "done".into() }));
    assert_eq!(end.state.as_deref(), Some("finished"));
    assert!(end.html.contains("Session finished: done"), "{}", end.html);
}
