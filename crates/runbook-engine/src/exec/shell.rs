//! Shell steps: bash with a timeout, stdout/stderr/exit code captured. Parameter values reach
//! the script through environment variables only (see `bind::bind_shell`).

use crate::result::{ErrorKind, ShellResult, StepError};
use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncReadExt;

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
    // Its own process group, so a timeout kills the whole pipeline, not just bash.
    cmd.process_group(0);
    for (k, v) in env {
        cmd.env(k, v);
    }
    if let Some(f) = &vars_file {
        cmd.env("RUNBOOK_VARS_FILE", &f.path);
    }
    let mut child = cmd.spawn().map_err(|e| StepError::new(ErrorKind::Shell, format!("cannot start bash: {e}")))?;
    let pid = child.id();
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
            let status = status.map_err(|e| StepError::new(ErrorKind::Shell, e.to_string()))?;
            Ok(ShellResult {
                exit_code: status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&out).into_owned(),
                stderr: String::from_utf8_lossy(&err).into_owned(),
                vars: vars_file.map(|f| f.read()).unwrap_or_default(),
            })
        }
        Err(_) => {
            if let Some(pid) = pid {
                // Kill the process group; `kill_on_drop` only reaches bash itself.
                let _ = std::process::Command::new("kill").args(["-s", "KILL", "--", &format!("-{pid}")]).status();
            }
            Err(StepError::new(ErrorKind::Timeout, format!("the command did not finish within {} s and was killed", timeout.as_secs_f32())))
        }
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
