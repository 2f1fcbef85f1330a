//! Shell steps: bash with a timeout, stdout/stderr/exit code captured. Parameter values reach
//! the script through environment variables only (see `bind::bind_shell`).

use crate::result::{ErrorKind, ShellResult, StepError};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// Output kept per stream.
const OUTPUT_LIMIT: usize = 1024 * 1024;

pub async fn run(code: &str, env: &[(String, String)], timeout: Duration) -> Result<ShellResult, StepError> {
    let mut cmd = tokio::process::Command::new("bash");
    cmd.arg("-c").arg(code).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    // Its own process group, so a timeout kills the whole pipeline, not just bash.
    cmd.process_group(0);
    for (k, v) in env {
        cmd.env(k, v);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn timeout_kills_only_the_step() {
        // A bystander in another process group must survive the step's timeout.
        let mut bystander = std::process::Command::new("sleep").arg("30").spawn().expect("sleep runs");
        let err = run("sleep 5 | cat", &[], Duration::from_millis(300)).await.expect_err("times out");
        assert!(matches!(err.kind, ErrorKind::Timeout));
        assert!(bystander.try_wait().expect("status").is_none(), "the bystander was killed");
        let _ = bystander.kill();
        let _ = bystander.wait();
    }

    #[tokio::test]
    async fn values_arrive_as_environment_not_code() {
        let env = vec![("RUNBOOK_PARAM_X".to_owned(), "$(echo pwned); `id`".to_owned())];
        let r = run("printf '%s' \"${RUNBOOK_PARAM_X}\"", &env, Duration::from_secs(5)).await.expect("runs");
        assert_eq!(r.stdout, "$(echo pwned); `id`");
        assert_eq!(r.exit_code, 0);
    }
}
