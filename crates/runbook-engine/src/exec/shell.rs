//! Shell steps: bash with a timeout, stdout/stderr/exit code captured. Parameter values reach
//! the script through environment variables only (see `bind::bind_shell`).

use crate::result::{ErrorKind, ShellResult, StepError};
use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Output kept per stream.
const OUTPUT_LIMIT: usize = 1024 * 1024;

/// Runs `code` in bash. The values of the variables named in `export` (identifiers only) are
/// read back when bash exits, through a private file named in `RUNBOOK_VARS_FILE`: stdout stays
/// the author's.
pub async fn run(code: &str, env: &[(String, String)], export: &[String], timeout: Duration) -> Result<ShellResult, StepError> {
    let export: Vec<&str> = export.iter().map(String::as_str).filter(|n| is_identifier(n)).collect();
    let vars_file = if export.is_empty() { None } else { Some(VarsFile::create()?) };
    let script = match &vars_file {
        // An EXIT trap runs however the script ends (`exit 3`, `set -e`), and keeps its status.
        Some(_) => format!(
            // `>|` writes even under `set -C`; `;` keeps the author's line numbers.
            "trap '__rb_s=$?; for __rb_v in {}; do printf \"%s=%s\\0\" \"$__rb_v\" \"${{!__rb_v-}}\"; done >| \"$RUNBOOK_VARS_FILE\"; exit $__rb_s' EXIT; {code}",
            export.join(" ")
        ),
        None => code.to_owned(),
    };
    let mut cmd = tokio::process::Command::new("bash");
    cmd.arg("-c").arg(&script).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    if let Some(f) = &vars_file {
        cmd.env("RUNBOOK_VARS_FILE", &f.path);
    }
    let (mut child, group) = spawn_in_watched_group(&mut cmd)?;
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let read = async {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let o = async {
            if let Some(s) = stdout.as_mut() {
                let _ = s.take(OUTPUT_LIMIT as u64).read_to_end(&mut out).await;
            }
        };
        let e = async {
            if let Some(s) = stderr.as_mut() {
                let _ = s.take(OUTPUT_LIMIT as u64).read_to_end(&mut err).await;
            }
        };
        tokio::join!(o, e);
        let status = child.wait().await;
        (out, err, status)
    };
    match tokio::time::timeout(timeout, read).await {
        Ok((out, err, status)) => {
            group.release().await;
            let status = status.map_err(|e| StepError::new(ErrorKind::Shell, e.to_string()))?;
            Ok(ShellResult {
                exit_code: status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&out).into_owned(),
                stderr: String::from_utf8_lossy(&err).into_owned(),
                vars: vars_file.map(|f| f.read()).unwrap_or_default(),
            })
        }
        Err(_) => {
            // The whole pipeline, not just bash (which is all `kill_on_drop` reaches).
            group.kill().await;
            Err(StepError::new(ErrorKind::Timeout, format!("the command did not finish within {} s and was killed", timeout.as_secs_f32())))
        }
    }
}

/// What the watchdog runs: it waits for one line on its stdin, whose other end only this
/// process holds. `done` means the step is over and its group is left alone (a daemon the step
/// started on purpose keeps running). Anything else, or end of file — which the kernel delivers
/// however this process ends, `kill -9` included — kills every process of its group: the step.
const WATCHDOG: &str = r#"IFS= read -r word; [ "$word" = done ] || kill -KILL 0"#;

/// Spawns `cmd` (a step) in a process group led by a watchdog, so the step dies with the
/// session: a timeout, a dropped step and a killed `runbook` all kill the whole group.
///
/// Why a watchdog on a pipe rather than the alternatives: `prctl(PR_SET_PDEATHSIG)` needs
/// `pre_exec` (unsafe code, which the workspace forbids), reaches only the direct child (not the
/// `sleep` or `psql` bash starts), and fires when the spawning *thread* exits; polling the
/// parent's pid is slow and fooled by pid reuse. End of file on a pipe is immediate, cannot be
/// fooled, needs no privileges and works on every Unix. The watchdog leads the group and the
/// step joins it, so there is no moment when the step runs unwatched.
fn spawn_in_watched_group(cmd: &mut tokio::process::Command) -> Result<(tokio::process::Child, WatchedGroup), StepError> {
    let mut watchdog = tokio::process::Command::new("bash")
        .arg("-c")
        .arg(WATCHDOG)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        // Its own group: Ctrl-C in the terminal reaches `runbook`, not the step or its watchdog.
        .process_group(0)
        .spawn()
        .map_err(|e| StepError::new(ErrorKind::Shell, format!("cannot start bash: {e}")))?;
    let stdin = watchdog.stdin.take();
    let group = WatchedGroup { watchdog, stdin };
    let Some(leader) = group.watchdog.id().and_then(|id| i32::try_from(id).ok()) else {
        return Err(StepError::new(ErrorKind::Shell, "the step's watchdog exited at once"));
    };
    cmd.process_group(leader);
    // On an error `group` is dropped: its stdin closes and the watchdog ends its empty group.
    let child = cmd.spawn().map_err(|e| StepError::new(ErrorKind::Shell, format!("cannot start bash: {e}")))?;
    Ok((child, group))
}

/// The watchdog of a step's process group. Dropped without [`WatchedGroup::release`], the
/// pipe closes and the watchdog kills the group.
struct WatchedGroup {
    watchdog: tokio::process::Child,
    stdin: Option<tokio::process::ChildStdin>,
}

impl WatchedGroup {
    /// The step ended by itself: the watchdog leaves its group alone and exits.
    async fn release(mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            // A watchdog that is gone (killed from outside) cannot read it; nothing to do then.
            let _ = stdin.write_all(b"done\n").await;
        }
        let _ = self.watchdog.wait().await;
    }

    /// Kills every process of the step's group and waits until the watchdog has done it.
    async fn kill(mut self) {
        drop(self.stdin.take());
        let _ = self.watchdog.wait().await;
    }
}

fn is_identifier(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A file only this user can read, with an unpredictable name (created exclusively, so nobody
/// can plant it first), removed when dropped: the values may be secrets.
struct VarsFile {
    file: tempfile::NamedTempFile,
    path: std::path::PathBuf,
}

impl VarsFile {
    fn create() -> Result<Self, StepError> {
        let file = tempfile::Builder::new()
            .prefix("runbook-vars-")
            .tempfile()
            .map_err(|e| StepError::new(ErrorKind::Shell, format!("cannot create a file for the step's variables: {e}")))?;
        let path = file.path().to_path_buf();
        Ok(VarsFile { file, path })
    }

    fn read(&self) -> BTreeMap<String, String> {
        let bytes = std::fs::read(self.file.path()).unwrap_or_default();
        String::from_utf8_lossy(&bytes)
            .split('\0')
            .filter_map(|entry| entry.split_once('='))
            .filter(|(k, v)| is_identifier(k) && !v.is_empty())
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn timeout_kills_only_the_step() {
        // A bystander in another process group must survive the step's timeout.
        let mut bystander = std::process::Command::new("sleep").arg("30").spawn().expect("sleep runs");
        let err = run("sleep 5 | cat", &[], &[], Duration::from_millis(300)).await.expect_err("times out");
        assert!(matches!(err.kind, ErrorKind::Timeout));
        assert!(bystander.try_wait().expect("status").is_none(), "the bystander was killed");
        let _ = bystander.kill();
        let _ = bystander.wait();
    }

    #[tokio::test]
    async fn a_step_dropped_midway_takes_its_whole_group_with_it() {
        // As when `runbook` dies: nobody tells the watchdog `done`. `kill_on_drop` reaches
        // only bash; the `sh` it started dies because the whole group does.
        let dir = tempfile::tempdir().expect("temp dir");
        let marker = dir.path().join("ran");
        let code = format!("sh -c 'sleep 1; echo late > \"{}\"' & wait", marker.display());
        let dropped = tokio::time::timeout(Duration::from_millis(300), run(&code, &[], &[], Duration::from_secs(10))).await;
        assert!(dropped.is_err(), "the step was still running");
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert!(!marker.exists(), "the step went on after it was dropped");
    }

    #[tokio::test]
    async fn a_finished_step_leaves_what_it_started_in_the_background() {
        let dir = tempfile::tempdir().expect("temp dir");
        let marker = dir.path().join("daemon");
        let code = format!("(sleep 0.5; echo alive > '{}') >/dev/null 2>&1 &", marker.display());
        let r = run(&code, &[], &[], Duration::from_secs(5)).await.expect("runs");
        assert_eq!(r.exit_code, 0);
        tokio::time::sleep(Duration::from_millis(1200)).await;
        assert!(marker.exists(), "the background job was killed with the finished step");
    }

    #[tokio::test]
    async fn values_arrive_as_environment_not_code() {
        let env = vec![("RUNBOOK_PARAM_X".to_owned(), "$(echo pwned); `id`".to_owned())];
        let r = run("printf '%s' \"${RUNBOOK_PARAM_X}\"", &env, &[], Duration::from_secs(5)).await.expect("runs");
        assert_eq!(r.stdout, "$(echo pwned); `id`");
        assert_eq!(r.exit_code, 0);
    }

    #[tokio::test]
    async fn exported_variables_come_back_and_stdout_stays_clean() {
        let export = vec!["TOKEN".to_owned(), "UNSET".to_owned(), "bad;name".to_owned()];
        let r = run("TOKEN=$(echo 's3cr=t v')\necho done\nexit 3", &[], &export, Duration::from_secs(5)).await.expect("runs");
        assert_eq!(r.exit_code, 3, "the script's own status survives the trap");
        assert_eq!(r.stdout, "done\n");
        assert_eq!(r.vars.get("TOKEN").map(String::as_str), Some("s3cr=t v"));
        assert!(!r.vars.contains_key("UNSET"));
        let leftovers = std::fs::read_dir(std::env::temp_dir())
            .expect("temp dir")
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("runbook-vars-"));
        assert!(!leftovers, "the private file is removed");
    }
}
