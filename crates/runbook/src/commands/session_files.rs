//! Where sessions live on this machine: one journal file per session in a directory (by
//! default under the user's state directory), opened by `run` and `rehearse` and found again by
//! `resume`, `sessions` and `transcript`. Its own module so that `run` and `session` both use
//! it without using each other.

use anyhow::{Context, Result, bail};
use runbook_engine::journal::{self, Journal, JournalEvent, Mode, SessionHeader};
use std::path::{Path, PathBuf};

/// `user@host` of whoever runs the tool.
pub fn operator() -> String {
    let user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "unknown".into());
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into());
    format!("{user}@{host}")
}

/// Opens the journal of a new session and writes its header.
pub fn start_journal(dir: Option<&Path>, runbook: &Path, mode: Mode, environment: Option<&str>) -> Result<Journal> {
    let dir = dir.map(Path::to_owned).unwrap_or_else(journal::default_dir);
    let id = journal::new_session_id();
    let mut j = Journal::create(&dir, &id).with_context(|| format!("cannot create a journal in `{}`", dir.display()))?;
    let bytes = std::fs::read(runbook).unwrap_or_default();
    let path = std::fs::canonicalize(runbook).unwrap_or_else(|_| runbook.to_owned());
    let header = SessionHeader {
        id: id.clone(),
        mode,
        runbook: path.display().to_string(),
        runbook_sha256: journal::sha256_hex(&bytes),
        operator: operator(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        environment: environment.map(str::to_owned),
    };
    j.append(&JournalEvent::Session(header)).context("cannot write the journal")?;
    eprintln!("session {id} (journal {})", j.path.display());
    Ok(j)
}

pub(crate) fn journal_dir(d: Option<&PathBuf>) -> PathBuf {
    d.cloned().unwrap_or_else(journal::default_dir)
}

/// The journal of a session id or a unique prefix of one.
pub(crate) fn find(dir: &Path, id: &str) -> Result<PathBuf> {
    let exact = dir.join(format!("{id}.jsonl"));
    if exact.is_file() {
        return Ok(exact);
    }
    let matches: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("no sessions in `{}`", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(id)) && p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    match matches.len() {
        1 => Ok(matches[0].clone()),
        0 => bail!("no session `{id}` in `{}` (see `runbook sessions`)", dir.display()),
        n => bail!("`{id}` matches {n} sessions; give more of the id"),
    }
}
