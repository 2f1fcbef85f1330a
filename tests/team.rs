//! Sessions shared by a team (issue 15): two `runbook` processes on one PostgreSQL session
//! store. One drives; the other is refused while the driver's lease is live, takes over once
//! it expired (or by force), and goes on from the last completed step. The store's hash chain
//! verifies and finds a deleted row or a cut tail; no secret reaches any row; `follow` prints
//! events as they are written. The local journal files keep one driver at a time too.

#![allow(clippy::unwrap_used)]

mod support;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use support::encodings::encodings;
use support::servers::{fresh_database, psql};
use support::*;

/// A lease short enough to wait out in a test.
const LEASE_SECONDS: &str = "2";

/// The environment of every process of a test: the store and the short lease.
fn team_env(store: &str) -> Vec<(&'static str, String)> {
    vec![("RUNBOOK_SESSIONS_URL", store.to_owned()), ("RUNBOOK_LEASE_SECONDS", LEASE_SECONDS.to_owned())]
}

fn run_with(args: &[&str], env: &[(&'static str, String)]) -> std::process::Output {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    runbook_with(args, &env)
}

/// A `runbook` process left running (killed when the test is done with it).
fn spawn(args: &[&str], env: &[(&'static str, String)], stdout: Stdio) -> Child {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("runbook"));
    cmd.current_dir(repo_root()).env("NO_COLOR", "1").env_remove("RUST_LOG").env("XDG_STATE_HOME", state_dir());
    for v in ["DATABASE_URL", "PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD"] {
        cmd.env_remove(v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args).stdout(stdout).stderr(Stdio::piped()).spawn().unwrap()
}

/// Polls until `ready` holds, or fails the test after 30 s.
fn wait_until(what: &str, ready: impl Fn() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < Duration::from_secs(30), "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Like `psql`, but "" while the store's tables do not exist yet (the driver creates them).
fn psql_soon(url: &str, sql: &str) -> String {
    let out = Command::new("psql").arg(url).args(["-X", "-q", "-t", "-A", "-c", sql]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// The newest session of the store.
fn newest_session(store: &str) -> String {
    psql(store, "SELECT id FROM runbook_sessions ORDER BY created DESC LIMIT 1")
}

/// The `type` (and `step`) of each event of a session, in order.
fn event_types(store: &str, id: &str) -> Vec<String> {
    let rows = psql(
        store,
        &format!(
            "SELECT line::jsonb->>'type' || ':' || coalesce(line::jsonb->>'step', '') FROM runbook_session_events WHERE session_id = '{id}' ORDER BY seq"
        ),
    );
    rows.lines().map(str::to_owned).collect()
}

/// The answers of a resume that runs the step in flight again (without the wait).
fn rerun_answers(dir: &Path) -> String {
    let path = dir.join("answers.yaml");
    std::fs::write(&path, "in_flight: {wait: rerun}\n").unwrap();
    path.display().to_string()
}

/// A finished session of the resumable runbook, for the tampering tests.
fn finished_session(store: &str, app: &str, run_id: &str) -> String {
    let env = team_env(store);
    let out = run_with(&["run", "fixtures/run/resumable.md", "--db", app, "--yes", "-p", &format!("RUN_ID={run_id}")], &env);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    newest_session(store)
}

#[test]
fn a_second_driver_is_refused_then_takes_over_after_the_first_is_killed() {
    let (store, app) = (fresh_database(), fresh_database());
    let env = team_env(&store);
    let mut a = spawn(
        &["run", "fixtures/run/resumable.md", "--db", &app, "--yes", "-p", "RUN_ID=team", "-p", "WAIT_SECONDS=30"],
        &env,
        Stdio::null(),
    );
    wait_until("A runs `wait`", || {
        psql_soon(
            &store,
            "SELECT count(*) FROM runbook_session_events WHERE line LIKE '%\"type\":\"step_running\"%' AND line LIKE '%\"step\":\"wait\"%'",
        ) == "1"
    });
    let id = newest_session(&store);

    // B is refused while A's lease is live, and told who drives and until when.
    let work = tempfile::tempdir().unwrap();
    let answers = rerun_answers(work.path());
    let resume = ["resume", id.as_str(), "--db", app.as_str(), "--yes", "-p", "WAIT_SECONDS=0", "--answers", answers.as_str()];
    let refused = run_with(&resume, &env);
    assert_eq!(code(&refused), 5, "{}{}", stdout(&refused), stderr(&refused));
    let why = stderr(&refused);
    assert!(why.contains(&format!("pid {}", a.id())) && why.contains("lease expires at") && why.contains("is driven by"), "{why}");
    let list = stdout(&run_with(&["sessions"], &env));
    let line = list.lines().find(|l| l.starts_with(&id)).unwrap_or_default().to_owned();
    assert!(line.contains(" running ") && line.contains("resumable.md") && line.contains(" wait "), "{list}");

    // A dies without a word; once its lease expired, B takes over and finishes the walk.
    a.kill().unwrap();
    a.wait().unwrap();
    std::thread::sleep(Duration::from_millis(2_300));
    let took = run_with(&resume, &env);
    assert_eq!(code(&took), 0, "{}{}", stdout(&took), stderr(&took));
    assert!(stderr(&took).contains("wait was running when the session died"), "{}", stderr(&took));

    // The completed steps ran once: the first write is one row, and the walk went on from `wait`.
    assert_eq!(psql(&app, "SELECT count(*) || ':' || max(hits) FROM rate_limits WHERE key = 'team'"), "1:2");
    let events = event_types(&store, &id);
    let done: Vec<&String> = events.iter().filter(|e| e.starts_with("step_result:")).collect();
    assert_eq!(done, ["step_result:mark-start", "step_result:count", "step_result:wait", "step_result:mark-end", "step_result:final"]);
    let take_over = psql(
        &store,
        &format!("SELECT line FROM runbook_session_events WHERE session_id = '{id}' AND line LIKE '%\"type\":\"take_over\"%'"),
    );
    assert!(take_over.contains(&format!("(pid {})", a.id())) && take_over.contains("expired"), "{take_over}");
    assert_eq!(events.last().map(String::as_str), Some("end:"));
    // Nobody drives it now.
    assert_eq!(psql(&store, &format!("SELECT count(*) FROM runbook_session_leases WHERE session_id = '{id}'")), "0");

    let verify = run_with(&["transcript", "verify", &id], &env);
    assert_eq!(code(&verify), 0, "{}", stdout(&verify));
    assert!(stdout(&verify).contains("hash chain intact"), "{}", stdout(&verify));
    let transcript = stdout(&run_with(&["transcript", &id], &env));
    assert!(transcript.contains("took the session over from") && transcript.contains("session finished"), "{transcript}");
}

#[test]
fn a_driver_taken_over_by_force_stops_without_forking_the_session() {
    let (store, app) = (fresh_database(), fresh_database());
    // A long lease: only force takes it.
    let env = vec![("RUNBOOK_SESSIONS_URL", store.clone()), ("RUNBOOK_LEASE_SECONDS", "60".to_owned())];
    let a = spawn(
        &["run", "fixtures/run/resumable.md", "--db", &app, "--yes", "-p", "RUN_ID=force", "-p", "WAIT_SECONDS=3"],
        &env,
        Stdio::null(),
    );
    wait_until("A runs `wait`", || {
        psql_soon(&store, "SELECT count(*) FROM runbook_session_events WHERE line LIKE '%\"step\":\"wait\"%'")
            .parse::<u32>()
            .is_ok_and(|n| n > 0)
    });
    let id = newest_session(&store);
    let work = tempfile::tempdir().unwrap();
    let answers = rerun_answers(work.path());
    let base = ["resume", id.as_str(), "--db", app.as_str(), "-p", "WAIT_SECONDS=0", "--answers", answers.as_str(), "--take-over"];
    // Without a terminal, --take-over needs --yes.
    let unconfirmed = run_with(&base, &env);
    assert_eq!(code(&unconfirmed), 5, "{}", stderr(&unconfirmed));
    assert!(stderr(&unconfirmed).contains("needs --yes"), "{}", stderr(&unconfirmed));
    let mut forced: Vec<&str> = base.to_vec();
    forced.push("--yes");
    let b = run_with(&forced, &env);
    assert_eq!(code(&b), 0, "{}{}", stdout(&b), stderr(&b));

    // A wakes up from `wait`, finds its lease gone, and stops before writing anything more.
    let a = a.wait_with_output().unwrap();
    assert_eq!(a.status.code(), Some(5), "{}", String::from_utf8_lossy(&a.stderr));
    assert!(String::from_utf8_lossy(&a.stderr).contains("lost the session's lease"), "{}", String::from_utf8_lossy(&a.stderr));
    let events = event_types(&store, &id);
    let mark_end: Vec<&String> = events.iter().filter(|e| e.ends_with(":mark-end") && e.starts_with("step_result")).collect();
    assert_eq!(mark_end.len(), 1, "mark-end ran once: {events:?}");
    assert_eq!(psql(&app, "SELECT hits FROM rate_limits WHERE key = 'force'"), "2");
    let take_over = psql(&store, &format!("SELECT line FROM runbook_session_events WHERE session_id = '{id}' AND line LIKE '%take_over%'"));
    assert!(take_over.contains("by force"), "{take_over}");
    assert_eq!(code(&run_with(&["transcript", "verify", &id], &env)), 0);
}

#[test]
fn verify_on_the_store_finds_a_deleted_row_and_a_cut_tail() {
    let (store, app) = (fresh_database(), fresh_database());
    let env = team_env(&store);
    let middle = finished_session(&store, &app, "middle");
    let intact = run_with(&["transcript", "verify", &middle[..12]], &env);
    assert_eq!(code(&intact), 0, "{}", stdout(&intact));
    psql(&store, &format!("DELETE FROM runbook_session_events WHERE session_id = '{middle}' AND seq = 5"));
    let broken = run_with(&["transcript", "verify", &middle], &env);
    assert_eq!(code(&broken), 1, "{}", stdout(&broken));
    assert!(stdout(&broken).contains(&format!("{middle}:6: the event before it was changed or removed")), "{}", stdout(&broken));
    // Nor is a broken session resumed.
    let resume = run_with(&["resume", &middle], &env);
    assert_eq!(code(&resume), 1, "{}", stderr(&resume));

    let cut = finished_session(&store, &app, "cut");
    let last = psql(&store, &format!("SELECT max(seq) FROM runbook_session_events WHERE session_id = '{cut}'"));
    psql(&store, &format!("DELETE FROM runbook_session_events WHERE session_id = '{cut}' AND seq = {last}"));
    let broken = run_with(&["transcript", "verify", &cut], &env);
    assert_eq!(code(&broken), 1, "{}", stdout(&broken));
    assert!(stdout(&broken).contains("cut from the end"), "{}", stdout(&broken));

    // An edited row is found too.
    let edited = finished_session(&store, &app, "edited");
    psql(
        &store,
        &format!("UPDATE runbook_session_events SET line = replace(line, 'edited', 'EDITED') WHERE session_id = '{edited}' AND seq = 3"),
    );
    let broken = run_with(&["transcript", "verify", &edited], &env);
    assert!(stdout(&broken).contains(":3: the event was changed after it was written"), "{}", stdout(&broken));
}

const SECRET_RUNBOOK: &str = r#"---
title: Team secrets
connections:
  app_db:
    kind: postgres
    env: TEAM_APP_DATABASE_URL
secrets:
  API_TOKEN:
    env: TEAM_TEST_API_TOKEN
---

# Team secrets

## Use the token

```bash
printf 'token %s\n' "$API_TOKEN"
printf '%s' "$API_TOKEN" | base64
printf '%s' "$API_TOKEN" | jq -Rr @uri
printf '%s' "$API_TOKEN" | jq -R .
```

```yaml step
id: shell-echo
```

```sql
SELECT {{ API_TOKEN }}::text AS echoed, length({{ API_TOKEN }}) AS n;
```

```yaml step
id: sql-echo
capture:
  n: rows[0].n
```
"#;

#[test]
fn no_secret_reaches_any_row_of_the_store() {
    let (store, app) = (fresh_database(), fresh_database());
    let secret = "s3cr/et+T0KEN x@team";
    let work = tempfile::tempdir().unwrap();
    let runbook = work.path().join("secrets.md");
    std::fs::write(&runbook, SECRET_RUNBOOK).unwrap();
    let mut env = team_env(&store);
    env.push(("TEAM_TEST_API_TOKEN", secret.to_owned()));
    env.push(("TEAM_APP_DATABASE_URL", app.clone()));
    let out = run_with(&["run", runbook.to_str().unwrap(), "--output", "json"], &env);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    let id = newest_session(&store);
    // The steps ran with the value: the length came back.
    let events =
        psql(&store, &format!("SELECT string_agg(line, E'\\n' ORDER BY seq) FROM runbook_session_events WHERE session_id = '{id}'"));
    assert!(events.contains(&format!("\"n\":{}", secret.len())) && events.contains("shell-echo"), "{events}");

    // Every column of every row of every table in the store's schema, as text.
    let tables = psql(&store, "SELECT string_agg(tablename, ' ') FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'runbook%'");
    let tables: Vec<&str> = tables.split(' ').collect();
    assert!(
        ["runbook_sessions", "runbook_session_events", "runbook_session_leases", "runbook_migrations"].iter().all(|t| tables.contains(t)),
        "{tables:?}"
    );
    for table in tables {
        let rows = psql(&store, &format!("SELECT coalesce(string_agg(t::text, E'\\n'), '') FROM {table} t"));
        for form in encodings(secret, "") {
            assert!(!rows.contains(&form), "the secret appears as `{form}` in {table}: {rows}");
        }
    }
}

#[test]
fn follow_prints_events_as_they_are_written_and_stops_at_the_end() {
    let (store, app) = (fresh_database(), fresh_database());
    let env = team_env(&store);
    let driver = spawn(
        &["run", "fixtures/run/resumable.md", "--db", &app, "--yes", "-p", "RUN_ID=follow", "-p", "WAIT_SECONDS=2"],
        &env,
        Stdio::null(),
    );
    wait_until("the session starts", || psql_soon(&store, "SELECT count(*) FROM runbook_sessions") == "1");
    let id = newest_session(&store);
    let mut follower = spawn(&["follow", &id], &env, Stdio::piped());
    let (lines, received) = mpsc::channel();
    let out = follower.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = lines.send((Instant::now(), line));
        }
    });
    let mut seen = Vec::new();
    // `wait running` is printed while the driver still sleeps in it.
    let running = loop {
        let (at, line) = received.recv_timeout(Duration::from_secs(20)).expect("follow printed `wait running`");
        seen.push(line.clone());
        if line.contains("wait running") {
            break at;
        }
    };
    let driver = driver.wait_with_output().unwrap();
    let driver_done = Instant::now();
    assert_eq!(driver.status.code(), Some(0), "{}", String::from_utf8_lossy(&driver.stderr));
    assert!(driver_done.duration_since(running) > Duration::from_millis(1_000), "printed while the step ran, not after");
    while let Ok((_, line)) = received.recv_timeout(Duration::from_secs(10)) {
        seen.push(line);
    }
    let status = follower.wait().unwrap();
    assert!(status.success(), "follow stops by itself at the end: {seen:?}");
    assert!(seen.first().is_some_and(|l| l.contains(&format!("session {id}"))), "{seen:?}");
    assert!(seen.iter().any(|l| l.contains("final done")), "{seen:?}");
    assert!(seen.last().is_some_and(|l| l.ends_with("session finished")), "{seen:?}");
}

#[test]
fn local_journals_have_one_driver_at_a_time_too() {
    let app = fresh_database();
    let dir = tempfile::tempdir().unwrap();
    let journals = dir.path().to_str().unwrap();
    let env: Vec<(&'static str, String)> = Vec::new();
    let mut a = spawn(
        &[
            "run",
            "fixtures/run/resumable.md",
            "--db",
            &app,
            "--yes",
            "-p",
            "RUN_ID=local",
            "-p",
            "WAIT_SECONDS=30",
            "--journal-dir",
            journals,
        ],
        &env,
        Stdio::null(),
    );
    let journal = || {
        std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "jsonl"))
    };
    let running_wait = |j: std::path::PathBuf| {
        std::fs::read_to_string(j)
            .unwrap_or_default()
            .lines()
            .any(|l| l.contains("\"step\":\"wait\"") && l.contains("\"type\":\"step_running\""))
    };
    wait_until("A runs `wait`", || journal().is_some_and(running_wait));
    let id = journal().unwrap().file_stem().unwrap().to_string_lossy().into_owned();
    let answers = rerun_answers(dir.path());
    let resume = [
        "resume",
        id.as_str(),
        "--db",
        app.as_str(),
        "--yes",
        "-p",
        "WAIT_SECONDS=0",
        "--answers",
        answers.as_str(),
        "--journal-dir",
        journals,
    ];
    let refused = run_with(&resume, &env);
    assert_eq!(code(&refused), 5, "{}{}", stdout(&refused), stderr(&refused));
    assert!(
        stderr(&refused).contains(&format!("pid {}", a.id())) && stderr(&refused).contains("while that process runs"),
        "{}",
        stderr(&refused)
    );
    a.kill().unwrap();
    a.wait().unwrap();
    // The lock went with the process: no waiting.
    let took = run_with(&resume, &env);
    assert_eq!(code(&took), 0, "{}{}", stdout(&took), stderr(&took));
    let text = std::fs::read_to_string(journal().unwrap()).unwrap();
    assert!(text.contains("\"type\":\"take_over\"") && text.contains("its process ended"), "{text}");
    assert_eq!(psql(&app, "SELECT count(*) || ':' || max(hits) FROM rate_limits WHERE key = 'local'"), "1:2");
    assert_eq!(code(&run_with(&["transcript", "verify", &id, "--journal-dir", journals], &env)), 0);
}

#[test]
fn a_driver_whose_store_connections_are_cut_goes_on_without_losing_an_event() {
    let (store, app) = (fresh_database(), fresh_database());
    let env = team_env(&store);
    let a = spawn(
        &["run", "fixtures/run/resumable.md", "--db", &app, "--yes", "-p", "RUN_ID=cut", "-p", "WAIT_SECONDS=2"],
        &env,
        Stdio::null(),
    );
    wait_until("A runs `wait`", || {
        psql_soon(&store, "SELECT count(*) FROM runbook_session_events WHERE line LIKE '%\"step\":\"wait\"%'")
            .parse::<u32>()
            .is_ok_and(|n| n > 0)
    });
    // Every connection A has to the store dies, as in a network cut or a server restart.
    let db = store.rsplit('/').next().unwrap();
    let killed = psql(
        &store,
        &format!("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{db}' AND pid <> pg_backend_pid()"),
    );
    assert_ne!(killed, "0", "A had connections to cut");
    let a = a.wait_with_output().unwrap();
    assert_eq!(a.status.code(), Some(0), "{}", String::from_utf8_lossy(&a.stderr));
    let id = newest_session(&store);
    let events = event_types(&store, &id);
    assert_eq!(events.iter().filter(|e| e.starts_with("step_result:")).count(), 5, "{events:?}");
    assert_eq!(events.last().map(String::as_str), Some("end:"));
    assert_eq!(code(&run_with(&["transcript", "verify", &id], &env)), 0);
}

#[test]
fn a_stuck_drivers_session_is_handed_over_by_its_user_and_resumed_at_once() {
    let (store, app) = (fresh_database(), fresh_database());
    // A long lease: without the hand-over, B would wait a minute.
    let env = vec![("RUNBOOK_SESSIONS_URL", store.clone()), ("RUNBOOK_LEASE_SECONDS", "60".to_owned())];
    let mut a = spawn(
        &["run", "fixtures/run/resumable.md", "--db", &app, "--yes", "-p", "RUN_ID=hand", "-p", "WAIT_SECONDS=30"],
        &env,
        Stdio::null(),
    );
    wait_until("A runs `wait`", || {
        psql_soon(&store, "SELECT count(*) FROM runbook_session_events WHERE line LIKE '%\"step\":\"wait\"%'")
            .parse::<u32>()
            .is_ok_and(|n| n > 0)
    });
    let id = newest_session(&store);
    a.kill().unwrap();
    a.wait().unwrap();
    let handed = run_with(&["handover", &id], &env);
    assert_eq!(code(&handed), 0, "{}{}", stdout(&handed), stderr(&handed));
    assert!(stdout(&handed).contains("handed over"), "{}", stdout(&handed));
    // Nothing left to hand over.
    assert_eq!(code(&run_with(&["handover", &id], &env)), 1);
    let work = tempfile::tempdir().unwrap();
    let answers = rerun_answers(work.path());
    let b = run_with(&["resume", &id, "--db", &app, "--yes", "-p", "WAIT_SECONDS=0", "--answers", &answers], &env);
    assert_eq!(code(&b), 0, "{}{}", stdout(&b), stderr(&b));
    let events = event_types(&store, &id);
    assert!(events.contains(&"hand_over:".to_owned()) && !events.contains(&"take_over:".to_owned()), "{events:?}");
    assert_eq!(psql(&app, "SELECT count(*) || ':' || max(hits) FROM rate_limits WHERE key = 'hand'"), "1:2");
    assert_eq!(code(&run_with(&["transcript", "verify", &id], &env)), 0);
}

#[test]
fn a_driver_without_the_runbook_file_resumes_from_the_text_the_store_kept() {
    let (store, app) = (fresh_database(), fresh_database());
    let env = team_env(&store);
    let elsewhere = tempfile::tempdir().unwrap();
    let book = elsewhere.path().join("resumable.md");
    std::fs::copy(repo_root().join("fixtures/run/resumable.md"), &book).unwrap();
    let mut a =
        spawn(&["run", book.to_str().unwrap(), "--db", &app, "--yes", "-p", "RUN_ID=copy", "-p", "WAIT_SECONDS=30"], &env, Stdio::null());
    wait_until("A runs `wait`", || {
        psql_soon(&store, "SELECT count(*) FROM runbook_session_events WHERE line LIKE '%\"step\":\"wait\"%'")
            .parse::<u32>()
            .is_ok_and(|n| n > 0)
    });
    let id = newest_session(&store);
    a.kill().unwrap();
    a.wait().unwrap();
    // The next driver's machine has no such file.
    drop(elsewhere);
    std::thread::sleep(Duration::from_millis(2_300));
    let work = tempfile::tempdir().unwrap();
    let answers = rerun_answers(work.path());
    let b = run_with(&["resume", &id, "--db", &app, "--yes", "-p", "WAIT_SECONDS=0", "--answers", &answers], &env);
    assert_eq!(code(&b), 0, "{}{}", stdout(&b), stderr(&b));
    assert!(stderr(&b).contains("is not on this machine; using the copy the session store kept"), "{}", stderr(&b));
    assert_eq!(psql(&app, "SELECT count(*) || ':' || max(hits) FROM rate_limits WHERE key = 'copy'"), "1:2");
}
