//! Session journals: killed sessions resume without losing or repeating a completed step, an
//! edited event is found by `transcript verify`, and no secret reaches any file the tool writes.

#![allow(clippy::unwrap_used)]

mod support;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};
use support::servers::{HttpServer, fresh_database, psql};
use support::*;

/// The one journal in `dir`.
fn journal_file(dir: &Path) -> Option<std::path::PathBuf> {
    std::fs::read_dir(dir).ok()?.filter_map(|e| e.ok().map(|e| e.path())).find(|p| p.extension().is_some_and(|x| x == "jsonl"))
}

fn journal_lines(dir: &Path) -> Vec<Value> {
    let Some(f) = journal_file(dir) else { return Vec::new() };
    std::fs::read_to_string(f).unwrap_or_default().lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
}

fn session_id(dir: &Path) -> String {
    journal_file(dir).unwrap().file_stem().unwrap().to_string_lossy().into_owned()
}

fn completed(events: &[Value]) -> Vec<String> {
    events.iter().filter(|e| e["type"] == "step_result" && e["ok"] == true).map(|e| e["step"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn a_killed_session_resumes_and_ends_as_an_uninterrupted_one() {
    let db = fresh_database();
    // The uninterrupted run, for comparison.
    let plain = tempfile::tempdir().unwrap();
    let out = runbook_with(
        &["run", "fixtures/run/resumable.md", "--db", &db, "--yes", "-p", "RUN_ID=plain", "--journal-dir", plain.path().to_str().unwrap()],
        &[],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let expected_hits = psql(&db, "SELECT hits FROM rate_limits WHERE key = 'plain'");
    assert_eq!(expected_hits, "2");

    // The same run, killed with SIGKILL while `wait` runs (after mark-start and count).
    let dir = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("runbook");
    let mut child = std::process::Command::new(&bin)
        .args([
            "run",
            "fixtures/run/resumable.md",
            "--db",
            &db,
            "--yes",
            "-p",
            "RUN_ID=killed",
            "-p",
            "WAIT_SECONDS=30",
            "--journal-dir",
            dir.path().to_str().unwrap(),
            "--output",
            "json",
        ])
        .current_dir(repo_root())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        let ev = journal_lines(dir.path());
        if ev.iter().any(|e| e["type"] == "step_running" && e["step"] == "wait") {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "the run never reached `wait`");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let before = journal_lines(dir.path());
    assert_eq!(completed(&before), ["mark-start", "count"]);
    assert!(before.iter().all(|e| e["type"] != "end"), "a killed session has no end event");

    // `sessions` lists it as interrupted; resume finishes it once the operator says what to do
    // with `wait`, which was running when the session died.
    let id = session_id(dir.path());
    let list = runbook(&["sessions", "--journal-dir", dir.path().to_str().unwrap()]);
    assert!(stdout(&list).contains(&id) && stdout(&list).contains("interrupted"), "{}", stdout(&list));
    let answers = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(answers.path(), "in_flight: {wait: rerun}\n").unwrap();
    let out = runbook_with(
        &[
            "resume",
            &id,
            "--db",
            &db,
            "--yes",
            "-p",
            "WAIT_SECONDS=0",
            "--answers",
            answers.path().to_str().unwrap(),
            "--journal-dir",
            dir.path().to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(code(&out), 0, "{}\n{}", stdout(&out), stderr(&out));
    assert!(stderr(&out).contains("wait was running when the session died"), "{}", stderr(&out));

    let after = journal_lines(dir.path());
    let done = completed(&after);
    // Every step completed before the kill appears exactly once as completed.
    for s in ["mark-start", "count"] {
        assert_eq!(done.iter().filter(|d| *d == s).count(), 1, "{s} in {done:?}");
    }
    assert_eq!(done, ["mark-start", "count", "wait", "mark-end", "final"]);
    assert_eq!(after.last().unwrap()["type"], "end");
    assert_eq!(after.last().unwrap()["status"], "finished");
    // The final state equals the uninterrupted run: one row, hits 2.
    assert_eq!(psql(&db, "SELECT count(*) || ':' || max(hits) FROM rate_limits WHERE key = 'killed'"), format!("1:{expected_hits}"));
    let verify = runbook(&["transcript", "verify", &id, "--journal-dir", dir.path().to_str().unwrap()]);
    assert_eq!(code(&verify), 0, "{}", stdout(&verify));
}

#[test]
fn an_edited_event_is_reported_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = runbook(&[
        "rehearse",
        "runbooks/clinic.md",
        "--scenario",
        "fixtures/clinic/locked-account.yaml",
        "--journal-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let id = session_id(dir.path());
    let ok = runbook(&["transcript", "verify", &id, "--journal-dir", dir.path().to_str().unwrap()]);
    assert_eq!(code(&ok), 0);
    assert!(stdout(&ok).contains("hash chain intact"));
    let file = dir.path().join(format!("{id}.jsonl"));
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // Change what the operator decided at login-choose-fix.
    let n = lines.iter().position(|l| l.contains("\"type\":\"decision\"") && l.contains("login-choose-fix")).unwrap();
    let edited: Vec<String> =
        lines.iter().enumerate().map(|(i, l)| if i == n { l.replace("Account Locked", "Rate Limited") } else { (*l).to_owned() }).collect();
    std::fs::write(&file, edited.join("\n") + "\n").unwrap();
    let bad = runbook(&["transcript", "verify", &id, "--journal-dir", dir.path().to_str().unwrap()]);
    assert_eq!(code(&bad), 1);
    assert!(
        stdout(&bad).contains(&format!("{}:{}: the event was changed after it was written", file.display(), n + 1)),
        "{}",
        stdout(&bad)
    );
    // A removed event is found too.
    let removed: Vec<&str> = lines.iter().enumerate().filter(|(i, _)| *i != 3).map(|(_, l)| *l).collect();
    std::fs::write(&file, removed.join("\n") + "\n").unwrap();
    let bad = runbook(&["transcript", "verify", &id, "--journal-dir", dir.path().to_str().unwrap()]);
    assert!(stdout(&bad).contains(":4: the event before it was changed or removed"), "{}", stdout(&bad));
}

/// Every file under `dir`, recursively.
fn all_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            all_files(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// `run FILE` recording everything a run writes under `work`: journals, a scenario, a `-vv`
/// log; JSON events on stdout.
fn recorded_run_args(file: &Path, work: &Path) -> Vec<String> {
    let path = |name: &str| work.join(name).to_str().unwrap().to_owned();
    let (journals, record, log) = (path("journals"), path("recorded"), path("runbook.log"));
    strings(&[
        "run",
        file.to_str().unwrap(),
        "--journal-dir",
        &journals,
        "--record",
        &record,
        "-vv",
        "--log-file",
        &log,
        "--output",
        "json",
    ])
}

/// Asserts that no file under `dir` but the inputs named holds `secret`; returns how many were read.
fn assert_no_file_holds(dir: &Path, secret: &str, inputs: &[&str]) -> usize {
    let mut files = Vec::new();
    all_files(dir, &mut files);
    let written: Vec<_> = files.iter().filter(|f| f.file_name().is_some_and(|n| !inputs.iter().any(|i| n == *i))).collect();
    for f in &written {
        let text = String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned();
        assert!(!text.contains(secret), "{} holds the secret", f.display());
    }
    written.len()
}

#[test]
fn no_secret_reaches_any_file_the_tool_writes() {
    const SECRET: &str = "sk-live-7c1f9a2b44e0d3";
    let db = fresh_database();
    let http = HttpServer::start();
    let work = tempfile::tempdir().unwrap();
    let journals = work.path().join("journals");
    let record = work.path().join("recorded");
    let log = work.path().join("runbook.log");
    let answers = work.path().join("answers.yaml");
    // The secret arrives four ways: a declared secret (env), a secret-named --param, a shell
    // step that prints it, and an HTTP step that sends it.
    std::fs::write(&answers, CLINIC_UNLOCK_ANSWERS).unwrap();
    let md = work.path().join("leaky.md");
    std::fs::write(&md, "# Leaky\n\n## Show the token\n\n```bash\necho \"token is $API_TOKEN\"\n```\n\n```bash\ncurl -s https://clinic.example.com/api/metrics -H \"Authorization: Bearer $API_TOKEN\" | jq '.http'\n```\n").unwrap();
    let mut targets = Vec::new();
    targets.extend(http.target_args());
    let j = journals.to_str().unwrap();
    let mut args = recorded_run_args(&md, work.path());
    args.extend(strings(&["-p", &format!("API_TOKEN={SECRET}")]));
    args.extend(targets.clone());
    let out = runbook_with(&args, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!stdout(&out).contains(SECRET) && !stderr(&out).contains(SECRET));
    // The server did receive it: the value was used, only never written down.
    let reqs = http.requests();
    assert!(reqs.to_string().contains(SECRET));

    let mut args = clinic_login_run(&db);
    args.extend(strings(&[
        "--answers",
        answers.to_str().unwrap(),
        "--journal-dir",
        j,
        "--record",
        record.to_str().unwrap(),
        "--log-file",
        log.to_str().unwrap(),
        "-vv",
    ]));
    args.extend(targets);
    let out = runbook_with(&args, &[("CLINIC_METRICS_TOKEN", SECRET)]);
    // 4: finished, with the diagnosis' critical check (failed logins) failed on the way.
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(!stdout(&out).contains(SECRET));

    // Transcripts of every session, in every format.
    let list = runbook(&["sessions", "--journal-dir", j]);
    for line in stdout(&list).lines().skip(1) {
        let id = line.split_whitespace().next().unwrap();
        for format in ["md", "html", "json"] {
            let file = work.path().join(format!("{id}.{format}"));
            let out = runbook(&["transcript", id, "--format", format, "-o", file.to_str().unwrap(), "--journal-dir", j]);
            assert_eq!(code(&out), 0, "{}", stderr(&out));
        }
    }
    let written = assert_no_file_holds(work.path(), SECRET, &["answers.yaml", "leaky.md"]);
    assert!(written > 2 + 2 + 6, "journals, scenarios, transcripts and the log: {written} files");
}

#[test]
fn stale_diagnosis_runs_again_before_the_decision() {
    let db = fresh_database();
    let http = HttpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let j = dir.path().to_str().unwrap();
    let mut args = clinic_login_run(&db);
    args.extend(strings(&["-p", "EMAIL=dr.patel@clinic.example", "--journal-dir", j]));
    args.extend(http.target_args());
    // No answers: the run stops at the first decision, after login-health and login-user.
    let out = runbook_with(&args, &[("CLINIC_METRICS_TOKEN", "t")]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let id = session_id(dir.path());
    let answers = dir.path().join("a.yaml");
    std::fs::write(&answers, "decisions: {login-user: Account found, login-choose-fix: Account Locked}\nconfirm: {login-unlock: true}\n")
        .unwrap();
    let resume = |fresh: &str| {
        let mut args =
            strings(&["resume", &id, "--db", &db, "--answers", answers.to_str().unwrap(), "--fresh-for", fresh, "--journal-dir", j]);
        args.extend(http.target_args());
        runbook_with(&args, &[("CLINIC_METRICS_TOKEN", "t")])
    };
    let stale = resume("1ms");
    // 4: finished, with the diagnosis' critical check (failed logins) failed on the way.
    assert_eq!(code(&stale), 4, "{}\n{}", stdout(&stale), stderr(&stale));
    assert!(stderr(&stale).contains("running login-health again before deciding"), "{}", stderr(&stale));
    let events = journal_lines(dir.path());
    let runs = |step: &str| events.iter().filter(|e| e["type"] == "step_result" && e["step"] == step).count();
    assert_eq!(runs("login-user"), 2, "the stale diagnosis ran again");
    assert_eq!(runs("login-unlock"), 1);
    assert_eq!(psql(&db, "SELECT locked_until IS NULL FROM users WHERE email = 'dr.patel@clinic.example'"), "t");
}

#[test]
fn a_token_set_by_one_step_feeds_the_next_and_is_never_written() {
    const SECRET: &str = "sk-captured-5e8d1b0a9f";
    let http = HttpServer::start();
    let work = tempfile::tempdir().unwrap();
    let md = work.path().join("token.md");
    // The token comes from a file outside the work directory, as `oc whoami -t` would print it.
    let vault = tempfile::tempdir().unwrap();
    let token_file = vault.path().join("token");
    std::fs::write(&token_file, SECRET).unwrap();
    // No annotation: the first step sets TOKEN, the next two read it. Nobody passes TOKEN.
    std::fs::write(
        &md,
        format!(
            "# Token\n\n## Metrics look wrong\n\nGet a token:\n\n```bash\nTOKEN=$(cat {})\n```\n\nRead the metrics:\n\n```bash\ncurl -s https://clinic.example.com/api/metrics -H \"Authorization: Bearer $TOKEN\" | jq '.http'\n```\n\n```bash\necho \"token is $TOKEN\"\n```\n",
            token_file.display()
        ),
    )
    .unwrap();
    let graph: Value = serde_json::from_str(&stdout(&runbook(&["graph", md.to_str().unwrap()]))).unwrap();
    assert_eq!(graph["steps"][0]["captures"][0]["name"], "TOKEN", "{graph}");
    // Taken from the step that sets it: a variable, not a parameter anyone is asked for.
    assert!(graph["parameters"].as_array().unwrap().iter().all(|p| p["name"] != "TOKEN"), "{graph}");
    let param = graph["variables"].as_array().unwrap().iter().find(|p| p["name"] == "TOKEN").unwrap();
    assert_eq!(param["source"], "capture:TOKEN");
    assert_eq!(param["secret"], true);

    let mut args = recorded_run_args(&md, work.path());
    args.extend(http.target_args());
    let out = runbook_with(&args, &[]);
    // Nobody was asked for TOKEN: a non-interactive run would have stopped with exit 3.
    assert_eq!(code(&out), 0, "{}\n{}", stdout(&out), stderr(&out));
    assert!(!stdout(&out).contains(SECRET) && !stderr(&out).contains(SECRET));
    assert!(http.requests().to_string().contains(&format!("Bearer {SECRET}")), "the captured token was sent");
    let written = assert_no_file_holds(work.path(), SECRET, &["token.md"]);
    assert!(written >= 3, "journal, scenario and log: {written} files");
}

/// Journals written before events were typed (fixtures/journals) still verify, and their
/// transcripts are what the string-key reader made of them.
#[test]
fn journals_in_the_old_format_still_read() {
    let dir = "fixtures/journals";
    for id in ["finished", "needs-answer"] {
        let verify = runbook(&["transcript", "verify", id, "--journal-dir", dir]);
        assert_eq!(code(&verify), 0, "{}", stdout(&verify));
        assert!(stdout(&verify).contains("hash chain intact"), "{}", stdout(&verify));
        for format in ["json", "md"] {
            let out = runbook(&["transcript", id, "--format", format, "--journal-dir", dir]);
            assert_eq!(code(&out), 0, "{}", stderr(&out));
            let expected = std::fs::read_to_string(repo_root().join(format!("{dir}/{id}.transcript.{format}"))).unwrap();
            assert_eq!(stdout(&out), expected, "{id} as {format}");
        }
    }
    let list = stdout(&runbook(&["sessions", "--journal-dir", dir]));
    // One line per journal, by the id `resume` takes (the file's name), with its state.
    let line = |id: &str| list.lines().find(|l| l.starts_with(&format!("{id} "))).unwrap_or_default().to_owned();
    assert!(
        line("finished").contains(" run ") && line("finished").contains(" finished ") && line("finished").contains("disk-full.md"),
        "{list}"
    );
    assert!(line("needs-answer").contains(" needs-answer "), "{list}");
}
