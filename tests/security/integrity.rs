//! A killed step never runs twice; the journal tail cannot be cut unnoticed; bounded retries; exit codes.
//!
//! Each runbook here is written into a temp dir next to its journals and the files its shell
//! steps append to, so what ran can be counted line by line.

use crate::support::servers::{HttpServer, closed_port, fresh_database, psql};
use crate::support::*;
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A temp dir holding a runbook, its journals and what its steps write.
struct Work {
    dir: tempfile::TempDir,
}

impl Work {
    fn new() -> Work {
        Work { dir: tempfile::tempdir().unwrap() }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn journals(&self) -> String {
        self.path("journals").to_str().unwrap().to_owned()
    }

    fn runbook(&self, text: &str) -> String {
        let md = self.path("runbook.md");
        std::fs::write(&md, text).unwrap();
        md.to_str().unwrap().to_owned()
    }

    fn answers(&self, text: &str) -> String {
        let file = self.path("answers.yaml");
        std::fs::write(&file, text).unwrap();
        file.to_str().unwrap().to_owned()
    }

    fn journal(&self) -> PathBuf {
        self.journal_if_any().expect("a journal")
    }

    fn journal_if_any(&self) -> Option<PathBuf> {
        std::fs::read_dir(self.path("journals"))
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension().is_some_and(|x| x == "jsonl"))
    }

    fn session(&self) -> String {
        self.journal().file_stem().unwrap().to_string_lossy().into_owned()
    }

    /// The journal's whole events (a torn line is skipped); none before it exists.
    fn events(&self) -> Vec<Value> {
        let text = self.journal_if_any().and_then(|j| std::fs::read_to_string(j).ok()).unwrap_or_default();
        text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
    }

    fn count(&self, kind: &str, step: &str) -> usize {
        self.events().iter().filter(|e| e["type"] == kind && e["step"] == step).count()
    }

    /// Lines in a file a step appends to (0 when it was never written).
    fn lines(&self, name: &str) -> usize {
        std::fs::read_to_string(self.path(name)).map(|t| t.lines().count()).unwrap_or(0)
    }

    fn verify(&self) -> std::process::Output {
        runbook(&["transcript", "verify", &self.session(), "--journal-dir", &self.journals()])
    }

    fn resume(&self, extra: &[&str]) -> std::process::Output {
        let id = self.session();
        let journals = self.journals();
        let mut args = vec!["resume", id.as_str(), "--journal-dir", journals.as_str()];
        args.extend_from_slice(extra);
        runbook(&args)
    }

    /// Starts `runbook run` in the background, waits until the journal shows `step` running and
    /// `ready` holds, then kills it with SIGKILL, as the OOM killer or `kill -9` would.
    fn run_and_kill_during(&self, md: &str, step: &str, extra: &[&str], ready: impl Fn() -> bool) {
        let mut child = KillOnDrop(
            Command::new(assert_cmd::cargo::cargo_bin("runbook"))
                .args(["run", md, "--journal-dir", &self.journals(), "--output", "json"])
                .args(extra)
                .current_dir(repo_root())
                .env("NO_COLOR", "1")
                .env("XDG_STATE_HOME", state_dir())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let start = Instant::now();
        while self.count("step_running", step) == 0 || !ready() {
            assert!(start.elapsed() < Duration::from_secs(15), "the run never started `{step}`");
            std::thread::sleep(Duration::from_millis(20));
        }
        child.0.kill().unwrap();
        child.0.wait().unwrap();
    }
}

/// A child process that a failing test does not leave behind.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A shell step that takes a while and then appends a line: its side effect comes at the end.
fn slow_append(work: &Work, before: &str, after: &str) -> String {
    let out = work.path("out.txt");
    work.runbook(&format!(
        "# Append\n\n## Append a line\n\n```bash\n{before} echo appended >> '{}'{after}\n```\n\n```yaml step\nid: append\n```\n\nThen:\n\n```bash\necho next\n```\n\n```yaml step\nid: next\n```\n",
        out.display()
    ))
}

#[test]
fn a_step_killed_with_its_session_runs_once_after_resume() {
    let work = Work::new();
    // The marker shows bash is running the step (not just that it was journalled) when the
    // session is killed.
    let started = work.path("started");
    let md = slow_append(&work, &format!("touch '{}'; sleep 2;", started.display()), "");
    work.run_and_kill_during(&md, "append", &["--yes"], || started.exists());
    // The step's process group died with the session: its `echo` never came.
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(work.lines("out.txt"), 0, "the step went on after its session was killed");

    // Without an answer, resume stops at the step that was in flight and names it.
    let out = work.resume(&["--yes"]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(stderr(&out).contains("append was running when the session died"), "{}", stderr(&out));
    assert!(stderr(&out).contains("in_flight: {append: rerun|done|skip}"), "{}", stderr(&out));
    assert_eq!(work.count("step_start", "append"), 1, "nothing ran again without an answer");

    // The answer runs it again, once; the journal keeps the choice.
    let answers = work.answers("in_flight: {append: rerun}\n");
    let out = work.resume(&["--yes", "--answers", &answers]);
    assert_eq!(code(&out), 0, "{}\n{}", stdout(&out), stderr(&out));
    assert_eq!(work.lines("out.txt"), 1);
    let chosen: Vec<Value> = work.events().into_iter().filter(|e| e["type"] == "in_flight").collect();
    assert_eq!(chosen.len(), 1);
    assert_eq!((chosen[0]["step"].as_str(), chosen[0]["choice"].as_str()), (Some("append"), Some("rerun")));
    assert_eq!(work.count("step_result", "next"), 1);
    assert_eq!(code(&work.verify()), 0, "{}", stdout(&work.verify()));
}

#[test]
fn a_step_in_flight_can_be_marked_done_through_the_answers() {
    let work = Work::new();
    // The side effect comes first; the session dies while the step still sleeps.
    let md = slow_append(&work, "", "; sleep 20");
    work.run_and_kill_during(&md, "append", &["--yes"], || work.lines("out.txt") == 1);
    let answers = work.answers("in_flight: {append: done}\n");
    let out = work.resume(&["--yes", "--answers", &answers]);
    assert_eq!(code(&out), 0, "{}\n{}", stdout(&out), stderr(&out));
    assert_eq!(work.lines("out.txt"), 1, "a step marked done does not run again");
    assert_eq!(work.count("step_start", "append"), 1);
    assert_eq!(work.count("step_result", "next"), 1, "the walk went on after it");
    assert!(work.events().iter().any(|e| e["type"] == "in_flight" && e["choice"] == "done"));
    let transcript = runbook(&["transcript", &work.session(), "--journal-dir", &work.journals()]);
    assert!(stdout(&transcript).contains("append was running when the session died; the operator chose: mark it done"));
}

#[test]
fn a_person_at_the_terminal_chooses_for_the_step_in_flight() {
    let work = Work::new();
    let md = slow_append(&work, "", "; sleep 20");
    work.run_and_kill_during(&md, "append", &["--yes"], || work.lines("out.txt") == 1);
    let bin = assert_cmd::cargo::cargo_bin("runbook");
    let out = Command::new("python3")
        .arg(repo_root().join("tests/support/pty_drive.py"))
        // The menu: run it again, mark it done, skip it, abort. One arrow down: mark it done.
        .args(["--timeout", "15", "--expect", "was running when the session died", "--send", "\\x1b[B\\r", "--"])
        .arg(&bin)
        .args(["resume", &work.session(), "--journal-dir", &work.journals()])
        .current_dir(repo_root())
        .env("XDG_STATE_HOME", state_dir())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("Run it again") && text.contains("Mark it done") && text.contains("Skip it"), "{text}");
    assert!(text.contains("append was running when the session died: marked done"), "{text}");
    assert_eq!(work.lines("out.txt"), 1);
    assert!(work.events().iter().any(|e| e["type"] == "in_flight" && e["choice"] == "done"));
    assert_eq!(work.count("step_result", "next"), 1);
}

/// A finished run of two shell steps; its journal ends with `end`.
fn finished_session(work: &Work) {
    let md = work.runbook("# Two\n\n## Two steps\n\n```bash\necho one\n```\n\n```bash\necho two\n```\n");
    let out = runbook(&["run", &md, "--journal-dir", &work.journals()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(code(&work.verify()), 0, "{}", stdout(&work.verify()));
}

#[test]
fn a_cut_journal_tail_fails_verify_and_resume() {
    let work = Work::new();
    finished_session(&work);
    let journal = work.journal();
    let text = std::fs::read_to_string(&journal).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // Drop the last two events (the last step's result and `end`): the chain stays valid.
    std::fs::write(&journal, lines[..lines.len() - 2].join("\n") + "\n").unwrap();
    let out = work.verify();
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    let n = lines.len();
    assert!(stdout(&out).contains(&format!("events {}–{n} cut from the end", n - 1)), "{}", stdout(&out));
    // Resume would take the session for an interrupted one: it refuses.
    let out = work.resume(&[]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("cut from the end; the journal cannot be trusted, not resuming"), "{}", stderr(&out));
    // Removing the head record too does not help.
    std::fs::remove_file(journal.with_extension("head")).unwrap();
    let out = work.verify();
    assert_eq!(code(&out), 1);
    assert!(stdout(&out).contains("head record") && stdout(&out).contains("is missing"), "{}", stdout(&out));
}

#[test]
fn a_torn_last_line_is_reported_and_the_session_resumes() {
    let work = Work::new();
    let out_file = work.path("out.txt");
    let md = work.runbook(&format!(
        "# Torn\n\n## Write after a look\n\n```bash\necho looking\n```\n\n```bash\necho written >> '{}'\n```\n\n```yaml step\nid: write\n```\n",
        out_file.display()
    ));
    // No --yes: the run stops at the write's confirmation.
    let out = runbook(&["run", &md, "--journal-dir", &work.journals()]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let whole = work.events().len();
    // A crash in the middle of writing the next event.
    let mut f = std::fs::OpenOptions::new().append(true).open(work.journal()).unwrap();
    std::io::Write::write_all(&mut f, format!("{{\"seq\":{},\"ts\":\"2026-11-30T04:", whole + 1).as_bytes()).unwrap();
    drop(f);

    let out = work.verify();
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(stdout(&out).contains(&format!(":{}: the last line is torn", whole + 1)), "{}", stdout(&out));
    assert!(stdout(&out).contains(&format!("{whole} events, hash chain intact")), "{}", stdout(&out));

    let out = work.resume(&["--yes"]);
    assert_eq!(code(&out), 0, "{}\n{}", stdout(&out), stderr(&out));
    assert!(stderr(&out).contains("the last line is torn"), "{}", stderr(&out));
    assert_eq!(work.lines("out.txt"), 1);
    let resumed = work.events().into_iter().find(|e| e["type"] == "resumed").unwrap();
    assert_eq!(resumed["torn_line"]["line"], whole + 1);
    // The torn bytes were cut before appending: the journal is whole again.
    let out = work.verify();
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(!stdout(&out).contains("torn"), "{}", stdout(&out));
}

#[test]
fn retries_are_bounded() {
    let work = Work::new();
    let port = closed_port();
    let md = work.runbook(&format!(
        "# Health\n\n## Down\n\n```bash\ncurl -s http://127.0.0.1:{port}/health\n```\n\n```yaml step\nid: health\n```\n"
    ));
    let answers = work.answers("decisions: {health: retry}\n");
    let started = Instant::now();
    let out = runbook(&["run", &md, "--journal-dir", &work.journals(), "--answers", &answers]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(started.elapsed() < Duration::from_secs(20));
    // The first run and three retries, then the menu without retry.
    assert_eq!(work.count("step_result", "health"), 4);
    assert_eq!(work.count("decision", "health"), 3);
    assert!(stderr(&out).contains("run again 3 times: the limit, --max-retries 3"), "{}", stderr(&out));
    assert!(stderr(&out).contains("`retry` is no longer one of its options"), "{}", stderr(&out));

    let work = Work::new();
    let md = work.runbook(&format!(
        "# Health\n\n## Down\n\n```bash\ncurl -s http://127.0.0.1:{port}/health\n```\n\n```yaml step\nid: health\n```\n"
    ));
    let answers = work.answers("decisions: {health: retry}\n");
    let out = runbook(&["run", &md, "--journal-dir", &work.journals(), "--answers", &answers, "--max-retries", "1"]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert_eq!(work.count("step_result", "health"), 2);
}

#[test]
fn a_failed_critical_check_exits_non_zero() {
    let http = HttpServer::start();
    let work = Work::new();
    let md = work.runbook(&format!(
        "# Health\n\n## Check\n\n```bash\ncurl -s {}/health\n```\n\n```yaml step\nid: health\nexpect:\n  - name: answers 200\n    that: status == 200\n    level: critical\n```\n",
        http.base()
    ));
    let out = runbook(&["run", &md, "--journal-dir", &work.journals(), "--output", "json"]);
    assert_eq!(code(&out), 0, "the check holds: {}", stderr(&out));

    http.mode(r#"{"mode": "500", "path": "/health"}"#);
    let out = runbook(&["run", &md, "--journal-dir", &work.journals(), "--output", "json"]);
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(stderr(&out).contains("a check failed at critical level: health (answers 200)"), "{}", stderr(&out));
    assert!(events(&out).iter().any(|e| e["event"] == "finished" && e["status"] == "finished"));
}

#[test]
fn allow_destructive_alone_runs_plain_writes_too() {
    let db = fresh_database();
    let work = Work::new();
    let md = work.runbook(
        "# Limits\n\n## Reset a limit\n\n```sql\nINSERT INTO rate_limits (key, hits, window_start, blocked_until) VALUES ('integrity-write', 1, now(), NULL);\n```\n\n```sql\nDELETE FROM rate_limits WHERE key = 'integrity-nothing';\n```\n",
    );
    let graph: Value = serde_json::from_str(&stdout(&runbook(&["graph", &md]))).unwrap();
    let risks: Vec<&str> = graph["steps"].as_array().unwrap().iter().map(|s| s["risk"].as_str().unwrap()).collect();
    assert_eq!(risks, ["write", "destructive"]);
    let out = runbook(&["run", &md, "--db", &db, "--journal-dir", &work.journals(), "--allow-destructive"]);
    assert_eq!(code(&out), 0, "{}\n{}", stdout(&out), stderr(&out));
    assert_eq!(psql(&db, "SELECT count(*) FROM rate_limits WHERE key = 'integrity-write'"), "1");
    let events = work.events();
    assert_eq!(events.iter().filter(|e| e["type"] == "step_result" && e["ok"] == true).count(), 2);
    assert!(events.iter().all(|e| e["type"] != "step_skipped"), "a gate stopped a step");
}

#[test]
fn a_rehearsal_is_never_resumed_against_real_systems() {
    let http = HttpServer::start();
    let work = Work::new();
    let md = work.runbook(&format!("# Health\n\n## Check\n\n```bash\ncurl -s {}/health\n```\n", http.base()));
    // No scenario and no terminal: the rehearsal stops at the first step nobody described.
    let out = runbook(&["rehearse", &md, "--journal-dir", &work.journals()]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let out = work.resume(&["--yes"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("is a rehearsal"), "{}", stderr(&out));
    assert_eq!(http.requests()["requests"].as_array().map(Vec::len), Some(0), "the resumed rehearsal contacted the server");
}
