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
    let r = find(&ev, "step_result", "many-rows-1").unwrap();
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

/// `run` of the seed's login problem, its Supabase host pointed at the loopback server.
fn ehr_login_run(db: &str, http: &HttpServer, extra: &[&str]) -> std::process::Output {
    http.respond(r#"{"path": "/functions/v1/health-check", "status": 200, "json": {"status": "healthy"}}"#);
    let host = format!("fpzuxwynuivqdyltpydj.supabase.co={}", http.base());
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
