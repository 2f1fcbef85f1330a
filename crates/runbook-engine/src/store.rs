//! Where sessions live: one trait, [`SessionStore`], over the local journal files of today
//! ([`file::FileStore`], the default) and a shared PostgreSQL database
//! ([`postgres::PgStore`], `--sessions postgres://…` or `RUNBOOK_SESSIONS_URL`).
//!
//! Both keep the same lines: the JSON of a journal line, hash-chained, with a head that names
//! the last event, so `verify` is one check for both. Exactly one driver writes a session at a
//! time: it holds the session's lease ([`lease`]) while it drives and hands it over at the end;
//! everyone else reads (`events`) and follows.
//!
//! The trait is synchronous because the interpreter's [`EventSink`] is: a step does not start
//! until the event before it is committed.

pub mod file;
pub mod lease;
mod pg_client;
mod pg_log;
mod pg_sql;
pub mod postgres;
pub mod summary;

use crate::events::{EndStatus, EventSink};
use crate::journal::{Broken, JournalEvent, Line, Mode, SessionHeader, Timestamp, Verified};
pub use lease::{Driver, Lease};
use std::path::Path;

/// The variable naming a shared store when `--sessions` is not given.
pub const SESSIONS_URL_VAR: &str = "RUNBOOK_SESSIONS_URL";

/// A failure of the store itself (not of a session's chain: that is a [`Broken`]).
#[derive(Debug)]
pub enum StoreError {
    /// No session has this id or starts with it.
    NotFound {
        id: String,
        place: String,
    },
    /// The prefix matches several sessions.
    Ambiguous {
        prefix: String,
        matches: usize,
    },
    /// Another driver holds the session's lease (until `expires`; `None`: while its process
    /// lives, for the file store).
    Leased {
        holder: String,
        host: String,
        pid: u32,
        expires: Option<Timestamp>,
    },
    /// This driver's lease was taken by someone else: it must stop writing.
    LeaseLost {
        by: String,
    },
    /// The session is a rehearsal or otherwise cannot be driven again.
    NotDrivable(String),
    /// The store's location or URL is unusable.
    Config(String),
    Io(std::io::Error),
    Database(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::NotFound { id, place } => write!(f, "no session `{id}` in {place} (see `runbook sessions`)"),
            StoreError::Ambiguous { prefix, matches } => write!(f, "`{prefix}` matches {matches} sessions; give more of the id"),
            StoreError::Leased { holder, host, pid, expires } => {
                write!(f, "the session is driven by {holder} (pid {pid} on {host})")?;
                match expires {
                    Some(t) => write!(f, "; its lease expires at {t} unless renewed"),
                    None => write!(f, "; it stays theirs while that process runs"),
                }
            }
            StoreError::LeaseLost { by } => {
                write!(f, "this driver lost the session's lease to {by}; stopping so that the session does not fork")
            }
            StoreError::NotDrivable(why) => f.write_str(why),
            StoreError::Config(why) => f.write_str(why),
            StoreError::Io(e) => write!(f, "{e}"),
            StoreError::Database(e) => write!(f, "session store: {e}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        StoreError::Io(e)
    }
}

/// Where a session stands, as `runbook sessions` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// A driver holds its lease now.
    Running,
    /// The walk ended (finished, aborted or stopped at a question).
    Ended(EndStatus),
    /// Nobody drives it and it has no end: its driver died or handed it over mid-walk.
    Interrupted,
}

impl SessionState {
    pub fn label(self) -> &'static str {
        match self {
            SessionState::Running => "running",
            SessionState::Ended(s) => s.as_str(),
            SessionState::Interrupted => "interrupted",
        }
    }
}

/// One line of `runbook sessions`.
#[derive(Debug, Clone)]
pub struct SessionSummary {
    pub id: String,
    pub mode: Option<Mode>,
    /// The runbook's path as the driver's machine knew it.
    pub runbook: Option<String>,
    pub runbook_title: Option<String>,
    pub entry: Option<String>,
    pub state: SessionState,
    /// The live lease, if any.
    pub driver: Option<Lease>,
    /// The step of the last event that was about a step.
    pub last_step: Option<String>,
    pub started: Option<Timestamp>,
    pub updated: Option<Timestamp>,
    pub events: u64,
}

/// The sessions of a store, and everything a follower reads.
pub trait SessionStore: Send + Sync {
    /// Starts a session: writes its `Session` header event, keeps the runbook's text (so a
    /// follower on another machine can draw its graph) and takes the driver's lease.
    fn create(&self, header: &SessionHeader, runbook_text: &str, driver: &Driver) -> Result<Box<dyn SessionLog>, StoreError>;
    /// Opens a session to drive it (`resume`). Refused with [`StoreError::Leased`] while another
    /// driver's lease is live, unless `take_over`; the log's first event is then the
    /// `take_over` (or nothing, when the lease was free or handed over).
    fn reopen(&self, id: &str, driver: &Driver, take_over: bool) -> Result<Box<dyn SessionLog>, StoreError>;
    /// The full id of a session from its id or a unique prefix.
    fn find(&self, id_or_prefix: &str) -> Result<String, StoreError>;
    /// Every session, newest first.
    fn list(&self) -> Result<Vec<SessionSummary>, StoreError>;
    /// The session's whole events with `seq > after`, in order (followers poll this).
    fn events(&self, id: &str, after: u64) -> Result<Vec<Line>, StoreError>;
    /// The runbook text the session was started with, if kept.
    fn runbook_text(&self, id: &str) -> Result<Option<String>, StoreError>;
    /// The hash chain and the head check, as [`crate::journal::verify`] does for files.
    fn verify(&self, id: &str) -> Result<Result<Verified, Broken>, StoreError>;
    /// Releases the session's lease if `driver` holds it (a stopped driver handing over),
    /// recording a `hand_over`. False when it held none.
    fn release(&self, id: &str, driver: &Driver) -> Result<bool, StoreError>;
    /// Where the store is, for messages (`journal DIR/ID.jsonl`, `postgres://host/db`).
    fn describe(&self) -> String;
}

/// The writing end a driver holds. Events go through [`EventSink`] (the interpreter) or
/// [`SessionLog::append`]; each is committed before the call returns. The lease is renewed in
/// the background while the log lives and released by [`SessionLog::hand_over`] (or dropped
/// with the process).
pub trait SessionLog: EventSink + Send {
    fn id(&self) -> &str;
    /// Appends one event and waits until it is committed. Fails with an error naming the new
    /// driver when the lease was lost.
    fn append(&mut self, event: &JournalEvent) -> std::io::Result<()>;
    /// Records a `hand_over` and releases the lease: anyone may `resume` now.
    fn hand_over(&mut self) -> std::io::Result<()>;
    /// The first write error (the sink cannot return one), reported by the caller at the end.
    fn error(&self) -> Option<&str>;
    /// Where the events go, for messages: a file path or `postgres://…/ID`.
    fn location(&self) -> String;
    /// A torn last line cut off on reopen (files only), to record in the `resumed` event.
    fn cut_torn_line(&self) -> Option<crate::journal::TornLine> {
        None
    }
    /// Who took the lease, once this driver lost it: it must stop before its next step.
    fn lost_to(&self) -> Option<String> {
        None
    }
}

/// The store named by `--sessions`/`RUNBOOK_SESSIONS_URL`, else the journal files in
/// `journal_dir` (or the default directory).
pub fn open(url: Option<&str>, journal_dir: Option<&Path>) -> Result<Box<dyn SessionStore>, StoreError> {
    open_with(url, journal_dir, 1)
}

/// As [`open`], with up to `connections` to a PostgreSQL store (a server reading many sessions
/// at once; a driver needs one).
pub fn open_with(url: Option<&str>, journal_dir: Option<&Path>, connections: u32) -> Result<Box<dyn SessionStore>, StoreError> {
    let from_env = std::env::var(SESSIONS_URL_VAR).ok().filter(|v| !v.is_empty());
    match url.map(str::to_owned).or(from_env) {
        Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
            Ok(Box::new(postgres::PgStore::connect_with(&u, connections)?))
        }
        Some(u) => Err(StoreError::Config(format!(
            "--sessions `{}`: expected a postgres:// URL (leave it unset for the local journal files)",
            postgres::redact_url(&u)
        ))),
        None => {
            let dir = journal_dir.map(Path::to_owned).unwrap_or_else(crate::journal::default_dir);
            Ok(Box::new(file::FileStore::new(dir)))
        }
    }
}
