//! Shared helpers: run the real `runbook` binary from the repository root.

#![allow(dead_code, clippy::unwrap_used)]

pub mod encodings;
pub mod servers;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

/// Headless Chromium (installed by scripts/install-deps) with the throwaway profile `profile` and
/// no background traffic of its own: how every browser test starts it.
pub fn headless_chromium(profile: &Path) -> std::process::Command {
    let path = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("chromium is installed by scripts/install-deps");
    let mut c = std::process::Command::new(path);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repository root")
}

/// A `runbook` command run from the repository root, with colours off and a time limit so a
/// hang fails the test instead of blocking CI.
pub fn runbook(args: &[&str]) -> Output {
    runbook_with(args, &[])
}

/// Like [`runbook`], with extra environment variables. `DATABASE_URL` and the `PG*` variables
/// of the calling shell are removed so tests see only what they set.
pub fn runbook_with<S: AsRef<std::ffi::OsStr>>(args: &[S], env: &[(&str, &str)]) -> Output {
    runbook_in(&repo_root(), args, env)
}

/// Like [`runbook_with`], run from `dir`: steps that write files (`pg_dump … > x.dump`) write
/// them there, never into the repository.
pub fn runbook_in<S: AsRef<std::ffi::OsStr>>(dir: &Path, args: &[S], env: &[(&str, &str)]) -> Output {
    let mut cmd = assert_cmd::Command::cargo_bin("runbook").expect("binary built");
    cmd.current_dir(dir).env("NO_COLOR", "1").env_remove("RUST_LOG").env("XDG_STATE_HOME", state_dir());
    for v in ["DATABASE_URL", "PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD", "CLINIC_DATABASE_URL", "INVITES_DATABASE_URL"] {
        cmd.env_remove(v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args).timeout(Duration::from_secs(90)).output().expect("runbook runs")
}

/// `run` of the clinic runbook's login problem against the test database: the start of most
/// end-to-end runs; callers add answers, journals and targets.
pub fn clinic_login_run(db: &str) -> Vec<String> {
    strings(&["run", "runbooks/clinic.md", "--entry", "users-cannot-log-in", "--db", db])
}

/// Answers that walk the clinic login problem to the unlock fix (the e-mail asked first).
pub const CLINIC_UNLOCK_ANSWERS: &str = "params: {EMAIL: dr.patel@clinic.example}\ndecisions: {login-user: Account found, login-choose-fix: Account Locked}\nconfirm: {login-unlock: true}\n";

/// Owned arguments, for command lines built from paths and server targets at run time.
pub fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// Where journals of tests go unless a test names its own: never the user's state directory.
pub fn state_dir() -> PathBuf {
    std::env::temp_dir().join(format!("runbook-test-state-{}", std::process::id()))
}

/// The JSON events of a `--output json` run.
pub fn events(o: &Output) -> Vec<serde_json::Value> {
    stdout(o).lines().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).expect("an event per line")).collect()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The exit code; a crash (signal, panic exit 101) fails loudly.
pub fn code(o: &Output) -> i32 {
    let code = o.status.code().unwrap_or_else(|| panic!("killed by a signal: {o:?}"));
    assert_ne!(code, 101, "panicked:\n{}", stderr(o));
    code
}

/// Markdown files in a repository folder, sorted.
pub fn markdown_files(dir: &str) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(repo_root().join(dir))
        .expect("folder exists")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .map(|p| format!("{dir}/{}", p.file_name().unwrap_or_default().to_string_lossy()))
        .collect();
    out.sort();
    out
}

pub fn snapshot_name(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).trim_end_matches(".md").to_owned()
}
