//! `runbook run` end to end: the shipped runbooks against a real PostgreSQL server and a real
//! HTTP server on loopback, through `--answers`, `--output json` and a pseudo-terminal; failures,
//! injection attempts and the read-only transaction.

#![allow(clippy::unwrap_used)]

mod support;
use serde_json::Value;
use support::servers::{HttpServer, closed_port, fresh_database, postgres_connections_logged, psql};
use support::*;

const DR_PATEL: &str = "c1000000-0000-4000-8000-000000000002";

fn answers(dir: &tempfile::TempDir, yaml: &str) -> String {
    let p = dir.path().join("answers.yaml");
    std::fs::write(&p, yaml).unwrap();
    p.display().to_string()
}

/// `runbook run FILE` with the database and every runbook host pointed at the test servers.
/// Runs from a scratch directory, so a step that writes a file (the invitations runbook's
/// `pg_dump … > invitations-before-expiry.dump`) never writes into the repository.
fn run(file: &str, db: &str, http: &HttpServer, extra: &[&str]) -> std::process::Output {
    let file = repo_root().join(file).display().to_string();
    let mut args: Vec<String> = vec!["run".into(), file, "--db".into(), db.into(), "--output".into(), "json".into()];
    args.extend(http.target_args());
    args.extend(extra.iter().map(|s| s.to_string()));
    let scratch = tempfile::tempdir().unwrap();
    let out = runbook_in(
        scratch.path(),
        &args,
        &[("CLINIC_METRICS_TOKEN", "metrics-token-for-tests"), ("MAILER_API_TOKEN", "mailer-token-for-tests")],
    );
    if file_is_written(scratch.path()) {
        eprintln!("(steps wrote files in {}, not in the repository)", scratch.path().display());
    }
    out
}

fn file_is_written(dir: &std::path::Path) -> bool {
    std::fs::read_dir(dir).map(|mut d| d.next().is_some()).unwrap_or(false)
}

fn find<'a>(events: &'a [Value], kind: &str, step: &str) -> Option<&'a Value> {
    events.iter().find(|e| e["event"] == kind && e["step"] == step)
}

fn path(events: &[Value]) -> Vec<String> {
    events.iter().filter(|e| e["event"] == "step_started").map(|e| e["step"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn locked_account_is_unlocked_through_answers() {
    let db = fresh_database();
    let http = HttpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let a = answers(
        &dir,
        "entry: users-cannot-log-in\nparams:\n  EMAIL: dr.patel@clinic.example\ndecisions:\n  login-user: Account found\n  login-choose-fix: Account Locked\nconfirm:\n  login-unlock: true\n",
    );
    let out = run("runbooks/clinic.md", &db, &http, &["--answers", &a]);
    let ev = events(&out);
    // 4: the walk finished, and the diagnosis' critical check (failed logins) failed on the way.
    assert_eq!(code(&out), 4, "{}\n{}", stdout(&out), stderr(&out));
    assert_eq!(
        path(&ev),
        ["login-health", "login-user", "login-attempts", "login-rate-limits", "login-choose-fix", "login-unlock", "login-verify"]
    );
    // The runbook's own conditions suggested the branch the answers took.
    let choice = find(&ev, "decision", "login-choose-fix").unwrap();
    assert_eq!(choice["suggested"], "Account Locked");
    // The typed result: the user row with its uuid and lock state.
    let user = find(&ev, "step_result", "login-user").unwrap();
    assert_eq!(user["result"]["rows"][0]["id"], DR_PATEL);
    assert_eq!(user["captures"]["user_id"], DR_PATEL);
    // The unlock really happened, bound to the captured id.
    assert_eq!(psql(&db, &format!("SELECT locked_until IS NULL FROM users WHERE id = '{DR_PATEL}'")), "t");
    assert_eq!(psql(&db, "SELECT count(*) FROM users WHERE locked_until IS NOT NULL"), "1", "only dr. Patel was unlocked");
    // The health check reached the HTTP server through --target.
    let reqs = http.requests();
    assert!(reqs["requests"].as_array().unwrap().iter().any(|r| r["path"] == "/api/health"), "{reqs}");
}

#[test]
fn write_step_without_yes_or_answer_stops_with_exit_3() {
    let db = fresh_database();
    let http = HttpServer::start();
    let out = run("runbooks/clinic.md", &db, &http, &["--entry", "video-visits-are-stuck", "--follow-suggestions"]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("stopped at `video-end-stale`"), "{err}");
    assert!(err.contains("--yes"), "{err}");
    // Nothing was written.
    assert_eq!(psql(&db, "SELECT count(*) FROM video_sessions WHERE status IN ('active','waiting')"), "3");
    // With --yes the same run ends the two stuck sessions and verifies.
    let out = run("runbooks/clinic.md", &db, &http, &["--entry", "video-visits-are-stuck", "--follow-suggestions", "--yes"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(psql(&db, "SELECT count(*) FROM video_sessions WHERE status IN ('active','waiting')"), "1");
}

#[test]
fn decision_without_answer_names_step_and_options() {
    let db = fresh_database();
    let http = HttpServer::start();
    let out = run(
        "runbooks/clinic.md",
        &db,
        &http,
        &["--entry", "users-cannot-log-in", "--param", "EMAIL=dr.okafor@clinic.example", "--answers", "/dev/null"],
    );
    assert_eq!(code(&out), 3);
    let err = stderr(&out);
    assert!(err.contains("stopped at `login-user`"), "{err}");
    assert!(err.contains("Account found (suggested)"), "{err}");
}

#[test]
fn shipped_invitations_runbook_runs_end_to_end() {
    let db = fresh_database();
    let http = HttpServer::start();
    let out = run("runbooks/invitations.md", &db, &http, &["--entry", "1", "--follow-suggestions"]);
    let ev = events(&out);
    let p = path(&ev);
    assert!(p.len() >= 3, "{p:?}\n{}", stderr(&out));
    for e in ev.iter().filter(|e| e["event"] == "step_result") {
        assert_eq!(e["ok"], true, "{e}");
    }
    // The mail provider check sent the secret as a header, and no output shows it.
    let reqs = http.requests();
    let status = reqs["requests"].as_array().unwrap().iter().find(|r| r["path"] == "/v1/status");
    if let Some(r) = status {
        assert_eq!(r["headers"]["authorization"], "Bearer mailer-token-for-tests");
    }
    assert!(!stdout(&out).contains("mailer-token-for-tests"));
    assert!(!stderr(&out).contains("mailer-token-for-tests"));
    assert!(!repo_root().join("invitations-before-expiry.dump").exists(), "a test wrote into the repository");
}

#[test]
fn failures_lead_to_the_menu_not_a_crash() {
    let db = fresh_database();
    // Connection refused: the step fails, the answers skip it, the walk goes on.
    let refused = format!("clinic.example.com=http://127.0.0.1:{}", closed_port());
    let dir = tempfile::tempdir().unwrap();
    let a = answers(&dir, "decisions:\n  login-health: skip\n  login-user: abort\nparams:\n  EMAIL: nobody@clinic.example\n");
    let mut args = clinic_login_run(&db);
    args.extend(strings(&["--target", &refused, "--answers", &a, "--output", "json"]));
    let out = runbook_with(&args, &[]);
    let ev = events(&out);
    let health = find(&ev, "step_result", "login-health").unwrap();
    assert_eq!(health["ok"], false);
    assert_eq!(health["error"]["kind"], "connection");
    assert_eq!(find(&ev, "decision", "login-health").unwrap()["chosen"], "Skip this step");
    assert!(find(&ev, "step_result", "login-user").is_some(), "the walk went on");
    assert_eq!(code(&out), 1, "aborted at login-user");

    // A 500 is a result: the check goes critical and the run continues.
    let http = HttpServer::start();
    http.mode(r#"{"mode": "500", "path": "/api/health"}"#);
    let a = answers(&dir, "decisions:\n  login-user: abort\nparams:\n  EMAIL: nobody@clinic.example\n");
    let out = run("runbooks/clinic.md", &db, &http, &["--entry", "users-cannot-log-in", "--answers", &a]);
    let ev = events(&out);
    assert_eq!(find(&ev, "step_result", "login-health").unwrap()["result"]["status"], 500);
    assert!(ev.iter().any(|e| e["event"] == "check" && e["step"] == "login-health" && e["level"] == "critical"), "{ev:?}");

    // Invalid JSON: the jq filter cannot run; the step says so and the run goes on.
    http.mode(r#"{"mode": "badjson", "path": "/api/health"}"#);
    let out = run("runbooks/clinic.md", &db, &http, &["--entry", "users-cannot-log-in", "--answers", &a]);
    let ev = events(&out);
    let notes = find(&ev, "step_result", "login-health").unwrap()["result"]["notes"].to_string();
    assert!(notes.contains("not JSON"), "{notes}");
}

#[test]
fn slow_steps_time_out_and_the_session_goes_on() {
    let http = HttpServer::start();
    http.mode(r#"{"mode": "slow", "delay_ms": 4000}"#);
    let dir = tempfile::tempdir().unwrap();
    let a = answers(&dir, "decisions:\n  health: skip\n  slow-shell: skip\n");
    let t = format!("clinic.example.com={}", http.base());
    let out = runbook_with(&["run", "fixtures/run/timeouts.md", "--target", &t, "--answers", &a, "--output", "json"], &[]);
    let ev = events(&out);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(find(&ev, "step_result", "health").unwrap()["error"]["kind"], "timeout");
    assert_eq!(find(&ev, "step_result", "slow-shell").unwrap()["error"]["kind"], "timeout");
    assert_eq!(find(&ev, "step_result", "after").unwrap()["result"]["stdout"], "after\n");
}

const HOSTILE: &[&str] = &["x' OR '1'='1", "1; DROP TABLE login_attempts", "$(touch /tmp/runbook-pwned-VAR)", "../../etc/passwd"];

#[test]
fn hostile_values_are_bound_quoted_and_encoded() {
    let db = fresh_database();
    let http = HttpServer::start();
    let before = psql(&db, "SELECT count(*) FROM rate_limits");
    for (i, raw) in HOSTILE.iter().enumerate() {
        let pwned = format!("/tmp/runbook-pwned-{}-{i}", std::process::id());
        let value = raw.replace("/tmp/runbook-pwned-VAR", &pwned);
        let out = runbook_with(
            &[
                "run",
                "fixtures/run/injection.md",
                "--db",
                &db,
                "--target",
                &format!("clinic.example.com={}", http.base()),
                "--param",
                &format!("VALUE={value}"),
                "--yes",
                "--allow-destructive",
                "--output",
                "json",
            ],
            &[],
        );
        let ev = events(&out);
        assert_eq!(code(&out), 0, "{value}: {}", stderr(&out));
        // SQL: the value is a bound parameter, so it matches no row and changes nothing.
        let select = find(&ev, "step_result", "sql-select").unwrap();
        assert_eq!(select["result"]["rows"][0]["n"], 0, "{value}");
        assert_eq!(find(&ev, "step_started", "sql-delete").unwrap()["command"], "DELETE FROM rate_limits WHERE key = $1;");
        assert_eq!(find(&ev, "step_result", "sql-delete").unwrap()["result"]["row_count"], 0, "{value}");
        // Shell: the value is data, printed as it is, never run.
        let shell = find(&ev, "step_result", "shell-echo").unwrap();
        assert_eq!(shell["result"]["stdout"].as_str().unwrap().lines().next().unwrap(), format!("value={value}"));
        assert!(!std::path::Path::new(&pwned).exists(), "{value} ran as a command");
        // URL: percent-encoded into one path segment.
        let reqs = http.requests();
        let last = reqs["requests"].as_array().unwrap().last().unwrap()["path"].as_str().unwrap().to_owned();
        assert!(last.starts_with("/api/users/") && last.ends_with("/unlock"), "{last}");
        let segment = &last["/api/users/".len()..last.len() - "/unlock".len()];
        assert!(!segment.contains('/') && !segment.contains(' ') && !segment.contains('\''), "{segment}");
    }
    assert_eq!(psql(&db, "SELECT count(*) FROM rate_limits"), before);
    assert_eq!(psql(&db, "SELECT count(*) FROM login_attempts"), "41", "the table is still there");
}

#[test]
fn diagnosis_that_writes_fails_in_the_read_only_transaction() {
    let db = fresh_database();
    let dir = tempfile::tempdir().unwrap();
    let a = answers(&dir, "decisions:\n  sneaky-read: skip\n");
    let out = runbook_with(&["run", "fixtures/run/read-only.md", "--db", &db, "--yes", "--answers", &a, "--output", "json"], &[]);
    let ev = events(&out);
    let sneaky = find(&ev, "step_result", "sneaky-read").unwrap();
    assert_eq!(sneaky["ok"], false);
    assert!(sneaky["error"]["message"].as_str().unwrap().contains("read-only transaction"), "{sneaky}");
    assert_eq!(find(&ev, "step_result", "count").unwrap()["result"]["rows"][0]["n"], 41);
    // The CTE delete is destructive: without --allow-destructive or the word it does not run.
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(stderr(&out).contains("type `PURGE`"), "{}", stderr(&out));
    assert_eq!(psql(&db, "SELECT count(*) FROM login_attempts"), "41");
}

#[test]
fn sql_errors_show_the_database_message_and_position() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("bad.md");
    std::fs::write(&md, "# Bad\n\n## Typo\n\n```sql\nSELECT id, emial FROM users;\n```\n").unwrap();
    let db = fresh_database();
    let a = answers(&dir, "decisions:\n  typo-1: abort\n");
    let out = runbook_with(&["run", md.to_str().unwrap(), "--db", &db, "--answers", &a], &[]);
    let text = stdout(&out);
    assert!(text.contains("column \"emial\" does not exist"), "{text}");
    assert!(text.contains("    SELECT id, emial FROM users\n               ^"), "{text}");
}

#[test]
fn a_million_rows_stream_without_being_held() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("big.md");
    std::fs::write(&md, "# Big\n\n## Many rows\n\n```sql\nSELECT g AS n, md5(g::text) AS h FROM generate_series(1, 1000000) g;\n```\n")
        .unwrap();
    let db = fresh_database();
    let out = runbook_with(&["run", md.to_str().unwrap(), "--db", &db, "--output", "json", "--max-rows", "5"], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let ev = events(&out);
    let r = find(&ev, "step_result", "many-rows.1").unwrap();
    assert_eq!(r["result"]["row_count"], 1_000_000);
    assert_eq!(r["result"]["rows"].as_array().unwrap().len(), 5);
    assert_eq!(r["result"]["truncated"], true);
}

#[test]
fn pseudo_terminal_picks_a_branch_with_arrow_keys() {
    let db = fresh_database();
    let http = HttpServer::start();
    let mut args: Vec<String> = vec![
        repo_root().join("tests/support/pty_drive.py").display().to_string(),
        "--timeout".into(),
        "60".into(),
        // Pick the first problem, type the e-mail, accept "Account found".
        "--expect".into(),
        "Which problem".into(),
        "--send".into(),
        "\\r".into(),
        "--expect".into(),
        "E-mail address".into(),
        "--send".into(),
        "dr.patel@clinic.example\\r".into(),
        "--expect".into(),
        "login-user: which way".into(),
        "--send".into(),
        "\\r".into(),
        // The suggestion is "Account Locked"; one arrow down picks "Rate Limited" instead.
        "--expect".into(),
        "login-choose-fix: which way".into(),
        "--send".into(),
        "\\x1b[B\\r".into(),
        // No active rate limit was captured, so the key is asked for.
        "--expect".into(),
        "Rate-limit key".into(),
        "--send".into(),
        format!("login:user:{DR_PATEL}\\r"),
        "--expect".into(),
        "Run write step".into(),
        "--send".into(),
        "y".into(),
        "--".into(),
        assert_cmd::cargo::cargo_bin("runbook").display().to_string(),
        "run".into(),
        "runbooks/clinic.md".into(),
        "--db".into(),
        db.clone(),
    ];
    args.extend(http.target_args());
    let out = std::process::Command::new("python3")
        .args(&args)
        .current_dir(repo_root())
        .env("CLINIC_METRICS_TOKEN", "t")
        .env("XDG_STATE_HOME", state_dir())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("Account Locked  (suggested)"), "{text}");
    assert!(text.contains("↳ Rate Limited → login-clear-rate-limit"), "{text}");
    // The rate-limit row for dr. Patel was reset; the account itself is still locked.
    assert_eq!(psql(&db, &format!("SELECT hits FROM rate_limits WHERE key = 'login:user:{DR_PATEL}'")), "0");
    assert_eq!(psql(&db, &format!("SELECT locked_until IS NOT NULL FROM users WHERE id = '{DR_PATEL}'")), "t");
}

/// The EHR runbook this product was designed from (`../shared/seeds/`), unedited.
fn ehr_seed() -> String {
    let p = repo_root().join("../shared/seeds/ehr-operations-runbook.md");
    assert!(p.is_file(), "the seed runbooks are expected beside the repository, at {}", p.display());
    p.display().to_string()
}

/// A database of its own for the EHR seed, with one locked account and one rate-limited user.
fn ehr_database() -> String {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let base = support::servers::postgres();
    let name = format!("ehr{}_{}", std::process::id(), N.fetch_add(1, std::sync::atomic::Ordering::SeqCst));
    psql(&base.replace("/runbook_test", "/postgres"), &format!("CREATE DATABASE {name}"));
    let url = base.replace("/runbook_test", &format!("/{name}"));
    psql(
        &url,
        "CREATE TABLE login_attempts (user_id text, attempt_count int, locked_until timestamptz);
         CREATE TABLE rate_limits (user_id text, operation text, attempt_count int, window_expires_at timestamptz);
         INSERT INTO login_attempts VALUES ('u-locked-42', 5, now() + interval '1 hour'), ('u-ok-1', 1, NULL);
         INSERT INTO rate_limits VALUES ('u-rl-9', 'login', 30, now() + interval '10 minutes');",
    );
    url
}

/// `--target` for the seed's Supabase host, pointed at the loopback server, whose health check
/// answers healthy.
fn ehr_target(http: &HttpServer) -> String {
    http.respond(r#"{"path": "/functions/v1/health-check", "status": 200, "json": {"status": "healthy"}}"#);
    format!("fpzuxwynuivqdyltpydj.supabase.co={}", http.base())
}

/// `run` of the seed's login problem, its Supabase host pointed at the loopback server.
fn ehr_login_run(db: &str, http: &HttpServer, extra: &[&str]) -> std::process::Output {
    let host = ehr_target(http);
    let mut args = strings(&["run", &ehr_seed(), "--entry", "Users Cannot Log In", "--db", db, "--output", "json", "--target", &host]);
    args.extend(extra.iter().map(|s| s.to_string()));
    runbook_with(&args, &[])
}

/// The seed's graph: step ids by a snippet of their code or title.
fn ehr_step(snippet: &str) -> String {
    let o = runbook(&["graph", &ehr_seed(), "--format", "json"]);
    let g: Value = serde_json::from_slice(&o.stdout).unwrap();
    let found = g["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"].as_str().unwrap_or("").contains(snippet) || s["title"].as_str().unwrap_or("").contains(snippet));
    found.unwrap_or_else(|| panic!("no step with {snippet:?}"))["id"].as_str().unwrap().to_owned()
}

#[test]
fn ehr_seed_login_runs_the_diagnosis_and_stops_at_the_four_solutions() {
    let db = ehr_database();
    let http = HttpServer::start();
    let o = ehr_login_run(&db, &http, &[]);
    assert_eq!(o.status.code(), Some(3), "stops for the operator's choice\n{}{}", stdout(&o), stderr(&o));
    let ev = events(&o);
    let finished: Vec<&Value> = ev.iter().filter(|e| e["event"] == "step_result" && e["result"]["kind"] != "decision").collect();
    assert_eq!(finished.len(), 3, "the three diagnosis steps run: {finished:#?}");
    assert_eq!(http.requests()["requests"][0]["path"], "/functions/v1/health-check");
    let decision = ehr_step("Which resolution applies?");
    let err = stderr(&o);
    assert!(err.contains(&decision), "names the decision: {err}");
    for option in ["Account Locked", "Rate Limited", "Email Not Confirmed", "MFA Issues"] {
        assert!(err.contains(&format!("- {option}")), "offers {option}: {err}");
    }
    // Nothing was deleted: the fixes are a choice, not a sequence.
    assert_eq!(psql(&db, "SELECT count(*) FROM login_attempts"), "2");
    assert_eq!(psql(&db, "SELECT count(*) FROM rate_limits"), "1");
}

#[test]
fn ehr_seed_login_answers_choose_one_solution_and_only_it_runs() {
    let db = ehr_database();
    let http = HttpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let decision = ehr_step("Which resolution applies?");
    let unlock = ehr_step("DELETE FROM login_attempts");
    let a = answers(
        &dir,
        &format!("params: {{USER_ID: u-locked-42}}\ndecisions: {{{decision}: Account Locked}}\nconfirm: {{{unlock}: true}}\n"),
    );
    let o = ehr_login_run(&db, &http, &["--answers", &a, "--allow-destructive"]);
    assert!(matches!(o.status.code(), Some(0 | 4)), "{}{}", stdout(&o), stderr(&o));
    let ev = events(&o);
    assert!(find(&ev, "step_result", &unlock).is_some(), "the chosen fix ran: {}", stdout(&o));
    let reset = ehr_step("DELETE FROM rate_limits");
    assert!(find(&ev, "step_started", &reset).is_none(), "the other fix did not run");
    assert_eq!(psql(&db, "SELECT string_agg(user_id, ',') FROM login_attempts"), "u-ok-1");
    assert_eq!(psql(&db, "SELECT count(*) FROM rate_limits"), "1");
}

#[test]
fn ehr_seed_gate_counts_the_rows_a_delete_touches_and_a_declined_gate_goes_back_to_the_decision() {
    let db = ehr_database();
    let http = HttpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let decision = ehr_step("Which resolution applies?");
    let unlock = ehr_step("DELETE FROM login_attempts");
    let mfa = ehr_step("MFA Issues");
    // Declined (a wrong word is a no), then back at the decision the operator picks MFA Issues.
    let a = answers(
        &dir,
        &format!(
            "params: {{USER_ID: u-locked-42}}\ndecisions: {{{decision}: [Account Locked, MFA Issues]}}\nconfirm: {{{unlock}: no}}\nmanual: {{{mfa}: done}}\n"
        ),
    );
    let o = ehr_login_run(&db, &http, &["--answers", &a]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let ev = events(&o);
    // The blast radius, counted read-only before the gate, with the bound value.
    let radius = find(&ev, "blast_radius", &unlock).unwrap();
    assert_eq!(radius["impact"], "deletes 1 row of login_attempts");
    // Declining is the operator's choice, not a failure: no retry menu, the walk goes on.
    let skipped = find(&ev, "step_skipped", &unlock).unwrap();
    assert_eq!(skipped["by"], "operator", "{skipped}");
    assert!(find(&ev, "step_result", &unlock).is_none());
    let decisions: Vec<&str> = ev.iter().filter(|e| e["event"] == "decision").map(|e| e["chosen"].as_str().unwrap()).collect();
    assert_eq!(decisions, ["Account Locked", "MFA Issues"], "back at the decision after the decline");
    assert!(!stdout(&o).contains("Retry this step"));
    // Nothing was deleted, by the count or by the write.
    assert_eq!(psql(&db, "SELECT count(*) FROM login_attempts"), "2");
    // The end of the walk: what ran, what was skipped, the choices, the session's transcript.
    let summary = ev.iter().find(|e| e["event"] == "summary").unwrap();
    assert_eq!(summary["steps_run"].as_array().unwrap().len(), 4, "{summary}");
    assert_eq!(summary["steps_skipped"][0]["step"], unlock.as_str());
    assert_eq!(summary["steps_skipped"][0]["reason"], "declined by the operator");
    assert_eq!(summary["decisions"][1]["chosen"], "MFA Issues");
    assert!(summary["elapsed_ms"].is_u64());
    let session = summary["session"].as_str().unwrap();
    assert!(stderr(&o).contains(&format!("session {session}")), "the session the run announced");
    assert_eq!(summary["transcript"][0], format!("runbook transcript {session}"));
}

#[test]
fn the_end_of_a_walk_prints_a_summary_on_the_terminal() {
    let db = ehr_database();
    let http = HttpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let decision = ehr_step("Which resolution applies?");
    let mfa = ehr_step("MFA Issues");
    let a = answers(&dir, &format!("decisions: {{{decision}: MFA Issues}}\nmanual: {{{mfa}: done}}\n"));
    let host = ehr_target(&http);
    let o = runbook_with(&["run", &ehr_seed(), "--entry", "Users Cannot Log In", "--db", &db, "--target", &host, "--answers", &a], &[]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("━━ summary"), "{out}");
    assert!(out.contains("steps run: 4"), "{out}");
    assert!(out.contains("skipped: 0"), "{out}");
    assert!(out.contains(&format!("decision {decision}: MFA Issues")), "{out}");
    assert!(out.contains("elapsed: "), "{out}");
    assert!(out.contains("runbook transcript "), "{out}");
}

#[test]
fn ehr_seed_destructive_gate_asks_for_the_table_name_and_the_same_answer_after_a_decline_stops() {
    let db = ehr_database();
    let http = HttpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let decision = ehr_step("Which resolution applies?");
    let unlock = ehr_step("DELETE FROM login_attempts");
    // No confirmation given: the question names the word to type, tied to the table.
    let a = answers(&dir, &format!("params: {{USER_ID: u-locked-42}}\ndecisions: {{{decision}: Account Locked}}\n"));
    let o = ehr_login_run(&db, &http, &["--answers", &a]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("is a destructive step (it deletes 1 row of login_attempts); type `login_attempts` to run it"),
        "{}",
        stderr(&o)
    );
    // The word runs it.
    let a = answers(
        &dir,
        &format!("params: {{USER_ID: u-locked-42}}\ndecisions: {{{decision}: Account Locked}}\nconfirm: {{{unlock}: login_attempts}}\n"),
    );
    let o = ehr_login_run(&db, &http, &["--answers", &a]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(psql(&db, "SELECT string_agg(user_id, ',') FROM login_attempts"), "u-ok-1");
    // Declined, and the answers file gives the same branch again: the run stops instead of looping.
    let db = ehr_database();
    let a = answers(
        &dir,
        &format!("params: {{USER_ID: u-locked-42}}\ndecisions: {{{decision}: Account Locked}}\nconfirm: {{{unlock}: false}}\n"),
    );
    let o = ehr_login_run(&db, &http, &["--answers", &a]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("declined"), "{}", stderr(&o));
    assert_eq!(psql(&db, "SELECT count(*) FROM login_attempts"), "2");
}

#[test]
fn ehr_seed_a_value_found_in_a_result_is_never_picked_without_a_person() {
    let db = ehr_database();
    let http = HttpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let decision = ehr_step("Which resolution applies?");
    let unlock = ehr_step("DELETE FROM login_attempts");
    // `u-locked-42` was found by the diagnosis, but an answers file without USER_ID stops.
    let a = answers(&dir, &format!("decisions: {{{decision}: Account Locked}}\nconfirm: {{{unlock}: login_attempts}}\n"));
    let o = ehr_login_run(&db, &http, &["--answers", &a]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("a value for parameter USER_ID"), "{}", stderr(&o));
    assert_eq!(psql(&db, "SELECT count(*) FROM login_attempts"), "2");
    // Given in the file, it is journalled as the operator's.
    let a = answers(
        &dir,
        &format!("params: {{USER_ID: u-locked-42}}\ndecisions: {{{decision}: Account Locked}}\nconfirm: {{{unlock}: login_attempts}}\n"),
    );
    let o = ehr_login_run(&db, &http, &["--answers", &a]);
    let ev = events(&o);
    let given = ev.iter().find(|e| e["event"] == "param_value" && e["name"] == "USER_ID");
    assert_eq!(given.map(|e| e["source"].clone()), Some(Value::from("operator")), "{}", stdout(&o));
}

#[test]
fn ehr_seed_suggests_the_options_the_diagnosis_supports_and_follows_it_on_request() {
    let db = ehr_database();
    let http = HttpServer::start();
    let decision = ehr_step("Which resolution applies?");
    let o = ehr_login_run(&db, &http, &["--answers", "/dev/null"]);
    assert_eq!(o.status.code(), Some(3));
    let err = stderr(&o);
    assert!(err.contains("- Account Locked (suggested: 'Check for account lockouts' returned 1 row)"), "{err}");
    assert!(err.contains("- Rate Limited (supported: 'Check rate limiting' returned 1 row)"), "{err}");
    assert!(err.contains("- Email Not Confirmed\n") && err.contains("- MFA Issues\n"), "no evidence, no mark: {err}");
    // --follow-suggestions takes it; the journal and events keep suggestion, reason and choice.
    let unlock = ehr_step("DELETE FROM login_attempts");
    let dir = tempfile::tempdir().unwrap();
    let a = answers(&dir, &format!("params: {{USER_ID: u-locked-42}}\nconfirm: {{{unlock}: login_attempts}}\n"));
    let o = ehr_login_run(&db, &http, &["--answers", &a, "--follow-suggestions"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let ev = events(&o);
    let d = find(&ev, "decision", &decision).unwrap();
    assert_eq!(d["chosen"], "Account Locked");
    assert_eq!(d["suggested"], "Account Locked");
    assert_eq!(d["reason"], "'Check for account lockouts' returned 1 row");
    assert_eq!(
        d["evidence"],
        serde_json::json!([
            "Account Locked: suggested: 'Check for account lockouts' returned 1 row",
            "Rate Limited: supported: 'Check rate limiting' returned 1 row"
        ])
    );
    let session = ev.iter().find(|e| e["event"] == "summary").unwrap()["session"].as_str().unwrap().to_owned();
    let journal = std::fs::read_to_string(state_dir().join("runbook/sessions").join(format!("{session}.jsonl"))).unwrap();
    assert!(journal.contains(r#""reason":"'Check for account lockouts' returned 1 row""#), "{journal}");
    assert_eq!(psql(&db, "SELECT string_agg(user_id, ',') FROM login_attempts"), "u-ok-1");
    // With no locked account the evidence speaks against it, and the rate limit is suggested.
    let o = ehr_login_run(&db, &http, &["--answers", "/dev/null"]);
    let err = stderr(&o);
    assert!(err.contains("- Account Locked (against: 'Check for account lockouts' returned no rows)"), "{err}");
    assert!(err.contains("- Rate Limited (suggested: 'Check rate limiting' returned 1 row)"), "{err}");
}

#[test]
fn ehr_seed_pseudo_terminal_walk_offers_found_values_counts_the_delete_and_goes_on_after_a_decline() {
    let db = ehr_database();
    let http = HttpServer::start();
    let host = ehr_target(&http);
    let args: Vec<String> = strings(&[
        &repo_root().join("tests/support/pty_drive.py").display().to_string(),
        "--timeout",
        "60",
        // The suggestion is pre-selected: Account Locked.
        "--expect",
        "which way",
        "--send",
        "\\r",
        // USER_ID: the locked account the diagnosis found, first.
        "--expect",
        "type another",
        "--send",
        "\\r",
        // A wrong word declines.
        "--expect",
        "to run it",
        "--send",
        "no\\r",
        // Back at the decision: Rate Limited is now pre-selected; two down is MFA Issues.
        "--expect",
        "which way",
        "--send",
        "\\x1b[B\\x1b[B\\r",
        "--expect",
        "done?",
        "--send",
        "\\r",
        "--",
        &assert_cmd::cargo::cargo_bin("runbook").display().to_string(),
        "run",
        &ehr_seed(),
        "--entry",
        "Users Cannot Log In",
        "--db",
        &db,
        "--target",
        &host,
    ]);
    let out = std::process::Command::new("python3").args(&args).env("XDG_STATE_HOME", state_dir()).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    for expected in [
        "Account Locked  (suggested: 'Check for account lockouts' returned 1 row)",
        "Rate Limited  — supported: 'Check rate limiting' returned 1 row",
        "u-locked-42  (attempt_count=5",
        "deletes 1 row of login_attempts",
        "Type login_attempts to run it",
        "declined by the operator",
        "↳ MFA Issues",
        "━━ summary",
    ] {
        assert!(text.contains(expected), "{expected:?} in\n{text}");
    }
    // The u-locked-42 choice came before u-rl-9 (the rate-limit query found that one).
    assert!(text.find("u-locked-42  (").unwrap() < text.find("u-rl-9  (").unwrap(), "{text}");
    assert_eq!(psql(&db, "SELECT count(*) FROM login_attempts"), "2", "declined: nothing deleted");
}

#[test]
fn completions_are_printed_for_bash_zsh_and_fish() {
    for (shell, marker) in [("bash", "complete -F"), ("zsh", "#compdef runbook"), ("fish", "complete -c runbook")] {
        let o = runbook(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}: {}", stderr(&o));
        let script = stdout(&o);
        assert!(script.contains(marker), "{shell}: {script}");
        assert!(script.contains("follow-suggestions"), "{shell} completes run's flags");
    }
    assert_eq!(runbook(&["completions", "powershell"]).status.code(), Some(2));
}

#[test]
fn blast_radius_of_update_from_and_a_statement_it_cannot_rewrite_on_postgres() {
    let db = ehr_database();
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("fixes.md");
    std::fs::write(
        &md,
        "# Fixes\n\n## Reset counters\n\n```sql\nUPDATE login_attempts SET attempt_count = 'COUNT'\nFROM rate_limits r\nWHERE r.user_id = login_attempts.user_id OR login_attempts.user_id = 'USER_ID';\n```\n\n## Wipe both\n\n```sql\nTRUNCATE login_attempts, rate_limits;\n```\n",
    )
    .unwrap();
    let a = answers(&dir, "confirm: {reset-counters.1: false}\n");
    let run = |entry: &str| {
        runbook_with(
            &[
                "run",
                md.to_str().unwrap(),
                "--entry",
                entry,
                "--db",
                &db,
                "--output",
                "json",
                "--answers",
                &a,
                "--param",
                "USER_ID=u-locked-42",
                "--param",
                "COUNT=0",
            ],
            &[],
        )
    };
    let o = run("reset-counters");
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let ev = events(&o);
    // The SET value ($1) is dropped and USER_ID renumbered; the join counts each row once.
    assert_eq!(find(&ev, "blast_radius", "reset-counters.1").unwrap()["impact"], "updates 1 row of login_attempts");
    assert_eq!(find(&ev, "step_skipped", "reset-counters.1").unwrap()["by"], "operator");
    assert_eq!(psql(&db, "SELECT sum(attempt_count) FROM login_attempts"), "6", "declined: nothing updated");
    // A TRUNCATE of two tables: no estimate, said plainly; the gate still asks.
    let o = run("wipe-both");
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let impact = find(&events(&o), "blast_radius", "wipe-both.1").unwrap()["impact"].as_str().unwrap().to_owned();
    assert_eq!(impact, "cannot estimate the rows it touches (a TRUNCATE of several tables)");
    assert_eq!(psql(&db, "SELECT count(*) FROM login_attempts"), "2");
    // The transcript keeps the count and the operator's decline.
    let session = events(&run("reset-counters")).iter().find(|e| e["event"] == "summary").unwrap()["session"].as_str().unwrap().to_owned();
    let t = stdout(&runbook(&["transcript", &session]));
    assert!(t.contains("reset-counters.1: updates 1 row of login_attempts"), "{t}");
    assert!(t.contains("reset-counters.1 not run: declined by the operator"), "{t}");
}

#[test]
fn ehr_seed_declining_after_a_resume_goes_back_to_the_decision_that_led_there() {
    let db = ehr_database();
    let http = HttpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let decision = ehr_step("Which resolution applies?");
    let unlock = ehr_step("DELETE FROM login_attempts");
    let mfa = ehr_step("MFA Issues");
    let a = answers(&dir, &format!("params: {{USER_ID: u-locked-42}}\ndecisions: {{{decision}: Account Locked}}\n"));
    let o = ehr_login_run(&db, &http, &["--answers", &a]);
    assert_eq!(o.status.code(), Some(3), "stops at the gate: {}", stderr(&o));
    let session = events(&o).iter().find(|e| e["event"] == "summary").unwrap()["session"].as_str().unwrap().to_owned();
    let a = answers(
        &dir,
        &format!(
            "params: {{USER_ID: u-locked-42}}\ndecisions: {{{decision}: MFA Issues}}\nconfirm: {{{unlock}: false}}\nmanual: {{{mfa}: done}}\n"
        ),
    );
    let host = ehr_target(&http);
    let o = runbook_with(&["resume", &session, "--db", &db, "--target", &host, "--answers", &a, "--output", "json"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let ev = events(&o);
    assert_eq!(find(&ev, "step_skipped", &unlock).unwrap()["by"], "operator");
    let d = find(&ev, "decision", &decision).unwrap();
    assert_eq!(d["chosen"], "MFA Issues");
    // The diagnosis before the resume is still evidence; the declined option is not suggested.
    assert_eq!(d["suggested"], "Rate Limited", "{d}");
    assert_eq!(d["reason"], "'Check rate limiting' returned 1 row");
    assert!(find(&ev, "step_result", &mfa).is_some());
    assert_eq!(psql(&db, "SELECT count(*) FROM login_attempts"), "2");
}

#[test]
fn blast_radius_on_sqlite_counts_then_the_confirmed_write_runs() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/w.db?mode=rwc", dir.path().display());
    let md = dir.path().join("w.md");
    std::fs::write(
        &md,
        "# W\n\n## Setup\n\n```sql\nCREATE TABLE login_attempts (user_id text, n int);\nINSERT INTO login_attempts VALUES ('a', 1), ('a', 2), ('b', 3);\n```\n\n## Reset\n\n```sql\nUPDATE login_attempts SET n = 0 WHERE user_id = 'USER_ID';\n```\n",
    )
    .unwrap();
    let run = |entry: &str, extra: &[&str]| {
        let mut args = strings(&["run", md.to_str().unwrap(), "--entry", entry, "--db", &db, "--output", "json", "--allow-destructive"]);
        args.extend(strings(extra));
        runbook_with(&args, &[])
    };
    assert_eq!(run("setup", &[]).status.code(), Some(0));
    let o = run("reset", &["--param", "USER_ID=a"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let ev = events(&o);
    assert_eq!(find(&ev, "blast_radius", "reset.1").unwrap()["impact"], "updates 2 rows of login_attempts");
    // The count's read-only switch is off again: the write itself went through.
    assert_eq!(find(&ev, "step_result", "reset.1").unwrap()["result"]["row_count"], 2);
}

#[test]
fn steps_share_one_http_connection_and_one_database_connection() {
    let db = fresh_database();
    let http = HttpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("repeat.md");
    let mut text = String::from("# Repeat\n\n## Checks\n");
    for _ in 0..5 {
        text.push_str(
            "\n```bash\ncurl -s https://invites.example.com/health | jq '.status'\n```\n\n```sql\nSELECT count(*) AS n FROM login_attempts;\n```\n"
        );
    }
    std::fs::write(&md, text).unwrap();
    let before = postgres_connections_logged(&db);
    let out = run(&md.display().to_string(), &db, &http, &[]);
    let ev = events(&out);
    let results: Vec<&Value> = ev.iter().filter(|e| e["event"] == "step_result").collect();
    assert_eq!(results.len(), 10, "{}", stderr(&out));
    assert!(results.iter().all(|r| r["ok"] == true), "{results:?}");
    assert!(results.iter().filter(|r| r["result"]["rows"].is_array()).all(|r| r["result"]["rows"][0]["n"] == 41), "{results:?}");
    // Keep-alive: the client is built once per session and its pool reused.
    assert_eq!(http.connections(), 1);
    // Each read step ended its read-only transaction on the same connection.
    assert_eq!(postgres_connections_logged(&db) - before, 1);
}
