//! Where the server reads sessions from, as one small trait: the index lists them, a page reads
//! a session's events and its runbook, the feed polls for new events. The journal directory of
//! today is one implementation ([`crate::JournalDir`]); the session store is another.

use runbook_engine::journal::{Line, Timestamp};

/// One row of the index.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Summary {
    pub id: String,
    /// running, finished, aborted, needs-answer, interrupted…
    pub state: String,
    /// The runbook's title, else its file name.
    pub runbook: String,
    pub entry: String,
    /// Who drives (or drove) the session: `user@host`.
    pub driver: String,
    pub last_step: Option<String>,
    pub started: Option<Timestamp>,
    /// When the last event was written.
    pub updated: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceError {
    /// No session has this id (or prefix): a 404, not a server error.
    NotFound(String),
    /// The prefix names more than one session.
    Ambiguous(String),
    /// The store could not be read.
    Unavailable(String),
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceError::NotFound(m) | SourceError::Ambiguous(m) | SourceError::Unavailable(m) => f.write_str(m),
        }
    }
}

/// Read access to the team's sessions. Calls block (files, a database): the server runs them
/// on the blocking pool.
pub trait Sessions: Send + Sync + 'static {
    fn list(&self) -> Result<Vec<Summary>, SourceError>;
    /// The full id of a session named by its id or a unique prefix.
    fn find(&self, id_or_prefix: &str) -> Result<String, SourceError>;
    /// The session's events with `seq > after`, in order.
    fn events(&self, id: &str, after: u64) -> Result<Vec<Line>, SourceError>;
    /// The runbook's Markdown as the session ran it, when it can still be found.
    fn runbook_text(&self, id: &str) -> Result<Option<String>, SourceError>;
}

/// A session id as the server accepts it in a URL: letters, digits, `-` and `_`. Anything else
/// (`/`, `..`, `%`) never reaches a store that builds a file path from it.
pub fn plausible_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
