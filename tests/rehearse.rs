//! `runbook rehearse`: scenarios replay without touching anything (proved with servers that
//! count connections), mutating steps show what they would do, a recorded live run replays on
//! the same path, and coverage reports what the shipped scenarios exercise.

#![allow(clippy::unwrap_used)]

mod support;
use support::servers::{HttpServer, fresh_database, postgres_connections_logged, psql};
use support::*;

fn rehearse_all(runbook: &str, dir: &str, db: &str, http: &HttpServer) -> std::process::Output {
    let mut args =
        vec!["rehearse".to_owned(), runbook.to_owned(), "--scenarios".into(), dir.into(), "--coverage".into(), "--db".into(), db.into()];
    args.extend(http.target_args());
    runbook_with(&args, &[])
}

#[test]
fn rehearsing_every_shipped_scenario_opens_no_connection() {
    let db = fresh_database();
    let http = HttpServer::start();
    // The database and every host of the runbooks point at servers that count connections.
    let before = postgres_connections_logged(&db);
    let rows_before = psql(&db, "SELECT (SELECT count(*) FROM login_attempts) || '/' || (SELECT count(*) FROM invitations)");
    let after_psql = postgres_connections_logged(&db);
    assert!(after_psql > before, "the PostgreSQL log counts connections (log_connections = on)");
    for (runbook, dir) in [("runbooks/clinic.md", "fixtures/clinic"), ("runbooks/invitations.md", "fixtures/invitations")] {
        let out = rehearse_all(runbook, dir, &db, &http);
        assert_eq!(code(&out), 0, "{}\n{}", stdout(&out), stderr(&out));
        assert!(stdout(&out).contains(", 0 failed"), "{}", stdout(&out));
    }
    assert_eq!(http.connections(), 0, "a rehearsal reached the HTTP server");
    assert_eq!(postgres_connections_logged(&db), after_psql, "a rehearsal connected to PostgreSQL");
    assert_eq!(psql(&db, "SELECT (SELECT count(*) FROM login_attempts) || '/' || (SELECT count(*) FROM invitations)"), rows_before);
}

#[test]
fn mutating_steps_show_what_they_would_do_and_never_run() {
    let db = fresh_database();
    let http = HttpServer::start();
    let before = postgres_connections_logged(&db);
    // With a scenario, JSON output.
    let out = runbook_with(
        &["rehearse", "runbooks/clinic.md", "--scenario", "fixtures/clinic/weekly-maintenance.yaml", "--db", &db, "--output", "json"],
        &[],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let ev = events(&out);
    let prune = ev.iter().find(|e| e["event"] == "step_started" && e["step"] == "maint-prune").unwrap();
    assert_eq!(prune["risk"], "destructive");
    assert!(prune["command"].as_str().unwrap().starts_with("DELETE FROM login_attempts"), "{prune}");
    // On the terminal, the same step says it would not run.
    let out = runbook_with(&["rehearse", "runbooks/clinic.md", "--scenario", "fixtures/clinic/weekly-maintenance.yaml", "--db", &db], &[]);
    let text = stdout(&out);
    assert!(text.contains("REHEARSAL"), "{text}");
    assert!(text.contains("would destructive — not run in a rehearsal"), "{text}");
    // Without any scenario and without a terminal: it stops at the first step, nothing runs.
    let out = runbook_with(&["rehearse", "runbooks/clinic.md", "--entry", "weekly-database-maintenance", "--db", &db], &[]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(stderr(&out).contains("no fixture describes the outcome of maint-bloat"), "{}", stderr(&out));
    assert_eq!(psql(&db, "SELECT count(*) FROM login_attempts"), "41");
    assert_eq!(postgres_connections_logged(&db), before + 1, "only the test's own psql connected");
    assert_eq!(http.connections(), 0);
}

#[test]
fn a_recorded_live_run_replays_on_the_same_path() {
    let db = fresh_database();
    let http = HttpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let answers = dir.path().join("answers.yaml");
    std::fs::write(&answers, CLINIC_UNLOCK_ANSWERS).unwrap();
    let rec = dir.path().join("rec");
    let mut args = clinic_login_run(&db);
    args.extend(strings(&["--answers", answers.to_str().unwrap(), "--record", rec.to_str().unwrap(), "--output", "json"]));
    args.extend(http.target_args());
    let live = runbook_with(&args, &[("CLINIC_METRICS_TOKEN", "secret-metrics-token")]);
    // 4: finished, with the diagnosis' critical check (failed logins) failed on the way.
    assert_eq!(code(&live), 4, "{}", stderr(&live));
    let recorded: Vec<_> = std::fs::read_dir(&rec).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(recorded.len(), 1);
    let scenario = recorded[0].to_str().unwrap();
    let replay = runbook_with(&["rehearse", "runbooks/clinic.md", "--scenario", scenario, "--output", "json"], &[]);
    assert_eq!(code(&replay), 0, "{}", stderr(&replay));
    let path = |o: &std::process::Output| -> Vec<String> {
        events(o).iter().filter(|e| e["event"] == "step_started").map(|e| e["step"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(path(&live), path(&replay));
    let decisions = |o: &std::process::Output| -> Vec<String> {
        events(o).iter().filter(|e| e["event"] == "decision").map(|e| format!("{}={}", e["step"], e["chosen"])).collect()
    };
    assert_eq!(decisions(&live), decisions(&replay));
    // The replay saw the recorded rows: the same user id.
    let user = |o: &std::process::Output| {
        events(o).into_iter().find(|e| e["event"] == "step_result" && e["step"] == "login-user").unwrap()["result"]["rows"][0]["id"].clone()
    };
    assert_eq!(user(&live), user(&replay));
    assert!(!std::fs::read_to_string(scenario).unwrap().contains("secret-metrics-token"));
}

#[test]
fn coverage_of_the_shipped_runbooks_and_a_scenario_that_strays() {
    let out = runbook(&["rehearse", "runbooks/clinic.md", "--scenarios", "fixtures/clinic", "--coverage"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    insta::assert_snapshot!("coverage-clinic", stdout(&out));
    let out = runbook(&["rehearse", "runbooks/invitations.md", "--scenarios", "fixtures/invitations", "--coverage"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    insta::assert_snapshot!("coverage-invitations", stdout(&out));
    let broken = runbook(&["rehearse", "runbooks/clinic.md", "--scenarios", "fixtures/rehearse-broken/clinic", "--coverage"]);
    assert_eq!(code(&broken), 1);
    assert!(
        stdout(&broken)
            .contains("scenario wrong-path: FAILED: expected `login-clear-rate-limit` after `login-choose-fix`, went to `login-unlock`"),
        "{}",
        stdout(&broken)
    );
}
