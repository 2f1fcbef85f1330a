//! The session journal: one JSON object per line, written before the next step starts, each
//! carrying the hash of the one before it, so an edited or removed event is found. It is the
//! incident's memory and the checkpoint `runbook resume` continues from.
//!
//! **Durability is grouped, with barriers before anything changes.** Every event is written
//! (`write(2)`) at once, so a killed `runbook` (even `kill -9`) loses nothing: the kernel keeps
//! what was written. `fdatasync` protects against the machine itself going down, and that is
//! paid where it matters: before a step that changes something starts (its `step_running` and
//! everything before it on disk), when such a step's result is in, at decisions, in-flight
//! choices and the session's end, and at least every [`GROUP_WINDOW`] otherwise. A run of
//! read-only steps (diagnosis queries, HTTP checks) shares one `fdatasync`: a power cut can lose
//! only the last moments of reads, which a resume runs again harmlessly. Like PostgreSQL, which
//! does not flush read-only transactions, and for the same reason: one flush per read step was
//! 98% of a loopback run's time (BENCHMARKS.md, issue 14).
//!
//! Every line is `{"seq", "ts", "type", …, "prev", "hash"}`: `hash` is the SHA-256 of the
//! line's JSON without `hash` (keys sorted), `prev` is the previous line's `hash`. The event
//! itself is a [`JournalEvent`], tagged by `type`; lines are written from it and read back as
//! [`Line`]s by the same types. [`verify`] alone reads lines as plain JSON: it checks the bytes
//! that were hashed, whatever they say.
//!
//! The chain alone cannot tell a journal that ends early from one whose last lines were cut
//! off: a head record beside it (`ID.head`, see [`Head`]) names the last event written. It is
//! rewritten after every event and flushed with the journal at each barrier. A line torn by a crash while it was written (no newline at the end
//! of the file) is reported and left out; the session continues from the last whole event.

pub mod chain;
mod event;
mod timestamp;

pub use crate::events::EndStatus;
pub use event::{JournalEvent, Line, Mode, OutcomeSummary, ResultSummary, SessionHeader, SkippedBy, StepResultEvent, TornLine};
pub use timestamp::Timestamp;

use crate::events::{Event, EventSink};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub(crate) const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The longest written events wait for their `fdatasync` when no barrier comes first.
pub const GROUP_WINDOW: Duration = Duration::from_millis(200);

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Where journals live: `$XDG_STATE_HOME/runbook/sessions`, else `~/.local/state/runbook/sessions`.
pub fn default_dir() -> PathBuf {
    let base = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("runbook/sessions")
}

/// A new session id: UTC time plus a few bytes from the clock and pid, sortable by start.
pub fn new_session_id() -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = now.as_secs();
    let (d, s) = (secs / 86_400, secs % 86_400);
    let (y, m, day) = timestamp::civil_from_days(d as i64);
    let salt = sha256_hex(format!("{}{}{}", now.as_nanos(), std::process::id(), secs).as_bytes());
    format!("{y:04}{m:02}{day:02}-{:02}{:02}{:02}-{}", s / 3600, (s % 3600) / 60, s % 60, &salt[..6])
}

/// The head record: the sequence number and hash of the last event written. It is kept beside
/// the journal (`ID.head`) and rewritten after each event, so removing events from the end of
/// the journal (which leaves a valid chain) no longer goes unnoticed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    pub seq: u64,
    pub hash: String,
}

/// The head record is written in place as one fixed-size block (padded with spaces): a write
/// this small at offset 0 is never torn, so it is always either the old or the new record, and
/// no rename (with its directory fsync) is needed.
const HEAD_LEN: usize = 160;

impl Head {
    fn encode(&self) -> Vec<u8> {
        let mut text = serde_json::to_string(self).unwrap_or_default();
        while text.len() < HEAD_LEN - 1 {
            text.push(' ');
        }
        text.push('\n');
        text.into_bytes()
    }

    /// The head record of a journal, `None` when there is none.
    pub fn read(journal: &Path) -> std::io::Result<Option<Result<Head, String>>> {
        match std::fs::read(head_path(journal)) {
            Ok(bytes) => Ok(Some(serde_json::from_slice::<Head>(bytes.trim_ascii()).map_err(|e| e.to_string()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// `DIR/ID.head` for the journal `DIR/ID.jsonl`.
pub fn head_path(journal: &Path) -> PathBuf {
    journal.with_extension("head")
}

/// A last line without its newline: a crash while the line was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Torn {
    /// Its 1-based line number.
    pub line: usize,
    pub bytes: usize,
}

/// A journal as read from disk: the whole events, and the torn last line if there is one.
#[derive(Debug, Default)]
pub struct Scan {
    pub events: Vec<Line>,
    pub torn: Option<Torn>,
    /// Bytes up to the end of the last whole line.
    pub whole_len: u64,
}

pub struct Journal {
    file: File,
    head: File,
    pub path: PathBuf,
    prev: String,
    seq: u64,
    /// The first write error, reported once by the caller at the end.
    pub error: Option<String>,
    /// A torn last line [`Journal::reopen`] cut off before appending.
    pub cut_torn_line: Option<Torn>,
    /// Events written since the last `fdatasync`, and when that was.
    unsynced: bool,
    synced_at: Instant,
    /// How many times events were flushed to disk (for tests and `-vv` diagnostics).
    pub flushes: u64,
}

impl Journal {
    /// Starts a new journal file `DIR/ID.jsonl`, with its head record `DIR/ID.head`.
    pub fn create(dir: &Path, id: &str) -> std::io::Result<Journal> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(format!("{id}.jsonl"));
        let file = OpenOptions::new().create_new(true).append(true).open(&path)?;
        let head = OpenOptions::new().create(true).truncate(true).write(true).open(head_path(&path))?;
        Journal::start(file, head, path, GENESIS.to_owned(), 0, None)
    }

    /// Continues an existing journal (after `verify`). A torn last line is cut off first, so
    /// the next event starts on a line of its own; the caller records that it was.
    pub fn reopen(path: &Path) -> std::io::Result<Journal> {
        let scan = scan(path)?;
        let (prev, seq) = scan.events.last().map_or((GENESIS.to_owned(), 0), |e| (e.hash.clone(), e.seq));
        let file = OpenOptions::new().append(true).open(path)?;
        if scan.torn.is_some() {
            file.set_len(scan.whole_len)?;
            file.sync_data()?;
        }
        let head = OpenOptions::new().create(true).truncate(false).write(true).open(head_path(path))?;
        Journal::start(file, head, path.to_owned(), prev, seq, scan.torn)
    }

    /// A journal whose last event is `seq`/`prev`, its head record moved there and on disk.
    fn start(file: File, head: File, path: PathBuf, prev: String, seq: u64, cut_torn_line: Option<Torn>) -> std::io::Result<Journal> {
        let mut j =
            Journal { file, head, path, prev, seq, error: None, cut_torn_line, unsynced: false, synced_at: Instant::now(), flushes: 0 };
        j.write_head()?;
        j.head.sync_data()?;
        Ok(j)
    }

    /// Appends one event and waits until it is on disk, with everything before it.
    pub fn append(&mut self, event: &JournalEvent) -> std::io::Result<()> {
        self.write(event)?;
        self.sync()
    }

    /// Appends one event and moves the head record to it, without waiting for the disk: the
    /// next barrier ([`Journal::sync`]) or the group window flushes it.
    pub fn write(&mut self, event: &JournalEvent) -> std::io::Result<()> {
        // The line every store writes: the hash covers it without `hash`, keys sorted.
        let (mut line, hash) = chain::encode_line(event, self.seq + 1, Timestamp::now(), &self.prev)?;
        self.seq += 1;
        line.push('\n');
        self.file.write_all(line.as_bytes())?;
        self.prev = hash;
        self.unsynced = true;
        // A process killed between the two writes leaves the head one event behind, which
        // `verify` accepts; never ahead of the journal.
        self.write_head()
    }

    /// The barrier: the journal, then its head record, on disk. Cheap when nothing is pending.
    pub fn sync(&mut self) -> std::io::Result<()> {
        if self.unsynced {
            self.file.sync_data()?;
            self.head.sync_data()?;
            self.unsynced = false;
            self.flushes += 1;
        }
        self.synced_at = Instant::now();
        Ok(())
    }

    fn write_head(&mut self) -> std::io::Result<()> {
        let head = Head { seq: self.seq, hash: self.prev.clone() };
        self.head.seek(SeekFrom::Start(0))?;
        self.head.write_all(&head.encode())
    }

    /// Writes an event, then flushes when it is a barrier or the group window has passed.
    fn record(&mut self, event: JournalEvent, barrier: bool) {
        let result =
            self.write(&event).and_then(|()| if barrier || self.synced_at.elapsed() >= GROUP_WINDOW { self.sync() } else { Ok(()) });
        if let Err(e) = result {
            tracing::error!("journal write failed: {e}");
            self.error.get_or_insert(e.to_string());
        }
    }
}

/// Whether an event is a durability barrier: it and everything before it must be on disk before
/// the session goes on. A step that may change something is one (before its executor starts and
/// when its result is in), and so are the points a resume must not lose: the start, the
/// operator's decisions and in-flight choices, the end.
pub(crate) fn is_barrier(event: &Event<'_>) -> bool {
    match event {
        Event::Executing { step } | Event::StepFinished { step, .. } => step.risk != runbook_core::model::Risk::Read,
        Event::SessionStarted { .. } | Event::InFlight { .. } | Event::Decision { .. } | Event::SessionFinished { .. } => true,
        Event::StepStarted { .. } | Event::StepSkipped { .. } | Event::ParamValue { .. } | Event::BlastRadius { .. } => false,
    }
}

impl Drop for Journal {
    /// A session that stops between barriers (an error, Ctrl-C) still leaves its events on disk.
    fn drop(&mut self) {
        if let Err(e) = self.sync() {
            tracing::error!("journal flush failed: {e}");
        }
    }
}

impl EventSink for Journal {
    fn event(&mut self, event: &Event<'_>) {
        let barrier = is_barrier(event);
        if let Some(event) = Journal::journal_event(event) {
            self.record(event, barrier);
        }
    }
}

impl Journal {
    /// What an event of the walk is in a journal (every store writes the same).
    pub fn journal_event(event: &Event<'_>) -> Option<JournalEvent> {
        let step_id = |step: &runbook_core::model::Step| step.id.clone();
        let owned = |text: Option<&str>| text.map(str::to_owned);
        let event = match event {
            Event::SessionStarted { runbook, entry, entry_title } => {
                JournalEvent::Entry { runbook_title: (*runbook).to_owned(), entry: (*entry).to_owned(), title: (*entry_title).to_owned() }
            }
            Event::StepStarted { step, index, rendered } => JournalEvent::StepStart {
                step: step_id(step),
                index: *index,
                kind: step.kind,
                risk: step.risk,
                title: step.title.clone(),
                command: rendered.command.clone(),
                target: rendered.target.clone(),
                params: rendered.params.iter().cloned().collect(),
            },
            Event::Executing { step } => JournalEvent::StepRunning { step: step_id(step) },
            Event::InFlight { step, choice } => JournalEvent::InFlight {
                step: step_id(step),
                choice: *choice,
                note: "the step was running when the session died".to_owned(),
            },
            Event::StepFinished { record, .. } => JournalEvent::StepResult(StepResultEvent::of(record)),
            Event::StepSkipped { step, reason, by_operator } => JournalEvent::StepSkipped {
                step: step_id(step),
                reason: (*reason).to_owned(),
                by: by_operator.then_some(SkippedBy::Operator),
            },
            Event::ParamValue { step, name, value, source } => JournalEvent::ParamValue {
                step: step_id(step),
                name: (*name).to_owned(),
                value: (*value).to_owned(),
                source: (*source).to_owned(),
            },
            Event::BlastRadius { step, impact } => JournalEvent::BlastRadius { step: step_id(step), impact: (*impact).to_owned() },
            Event::Decision { step, chosen, suggested, reason, evidence, target } => JournalEvent::Decision {
                step: step_id(step),
                chosen: (*chosen).to_owned(),
                suggested: owned(*suggested),
                reason: owned(*reason),
                evidence: evidence.to_vec(),
                to: owned(*target),
            },
            Event::SessionFinished { status, message } => JournalEvent::End { status: *status, message: (*message).to_owned() },
        };
        Some(event)
    }
}

/// Every whole event of a journal, in order (a torn last line is left out).
pub fn read(path: &Path) -> std::io::Result<Vec<Line>> {
    Ok(scan(path)?.events)
}

/// The lines of a journal: whole ones (ending in a newline) with their 1-based numbers, and the
/// bytes after the last newline, if any.
fn split_lines(bytes: &[u8]) -> (Vec<(usize, &[u8])>, &[u8]) {
    let whole_end = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let whole = bytes[..whole_end].split(|&b| b == b'\n').take_while(|_| whole_end > 0);
    let mut lines: Vec<(usize, &[u8])> = whole.enumerate().map(|(i, l)| (i + 1, l)).collect();
    // `split` yields an empty piece after the final newline.
    lines.pop();
    (lines, &bytes[whole_end..])
}

/// Reads a journal, telling whole events from a torn last line.
pub fn scan(path: &Path) -> std::io::Result<Scan> {
    let bytes = std::fs::read(path)?;
    let (lines, rest) = split_lines(&bytes);
    let mut events = Vec::new();
    for (lineno, line) in &lines {
        if line.trim_ascii().is_empty() {
            continue;
        }
        events.push(serde_json::from_slice(line).map_err(|e| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{}:{lineno}: not a journal event: {e}", path.display()))
        })?);
    }
    let whole_len = (bytes.len() - rest.len()) as u64;
    let torn = (!rest.trim_ascii().is_empty()).then(|| Torn { line: lines.len() + 1, bytes: rest.len() });
    Ok(Scan { events, torn, whole_len })
}

/// A broken link in the chain: the 1-based line and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub line: usize,
    pub problem: String,
}

/// A journal that passed `verify`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Whole events.
    pub events: usize,
    /// A torn last line, left out (a crash while it was written).
    pub torn: Option<Torn>,
    /// The head record names the event before the last one: the process died between writing
    /// an event and moving the head record to it.
    pub head_behind: bool,
}

/// Checks every line's hash, the link to the line before it and the sequence numbers, then
/// that the journal ends where its head record says it does.
pub fn verify(path: &Path) -> std::io::Result<Result<Verified, Broken>> {
    let bytes = std::fs::read(path)?;
    let (lines, rest) = split_lines(&bytes);
    let chain = match chain::check_chain(lines.iter().copied()) {
        Ok(c) => c,
        Err(b) => return Ok(Err(b)),
    };
    let torn = (!rest.trim_ascii().is_empty()).then(|| Torn { line: lines.len() + 1, bytes: rest.len() });
    let end = chain.last_line + 1;
    let head_file = head_path(path);
    let head = match Head::read(path)? {
        None => {
            return Ok(Err(Broken {
                line: end,
                problem: format!("the head record `{}` is missing, so a cut end cannot be ruled out", head_file.display()),
            }));
        }
        Some(Err(e)) => {
            return Ok(Err(Broken { line: end, problem: format!("the head record `{}` is unreadable: {e}", head_file.display()) }));
        }
        Some(Ok(h)) => h,
    };
    Ok(chain::check_head(&chain, &head, end).map(|head_behind| Verified { events: chain.events, torn, head_behind }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn running(step: &str) -> JournalEvent {
        JournalEvent::StepRunning { step: step.to_owned() }
    }

    fn journal_with(name: &str, events: u64) -> (PathBuf, Journal) {
        let dir = std::env::temp_dir().join(format!("rb-journal-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut j = Journal::create(&dir, "s1").expect("create");
        for i in 0..events {
            j.append(&running(&format!("s{i}"))).expect("append");
        }
        (dir, j)
    }

    fn step(risk_sql: &str) -> runbook_core::model::Step {
        let md = format!("# T\n\n```sql\n{risk_sql}\n```\n\n```yaml step\nid: t\n```\n");
        runbook_core::compile(runbook_core::Source::new("t.md", md)).graph.steps.into_iter().next().expect("one step")
    }

    #[test]
    fn read_steps_share_a_flush_and_a_change_waits_for_one() {
        let (dir, mut j) = journal_with("group", 0);
        let read = step("SELECT count(*) FROM users;");
        let write = step("DELETE FROM sessions WHERE user_id = 'USER_ID';");
        assert_eq!(read.risk, runbook_core::model::Risk::Read);
        assert_ne!(write.risk, runbook_core::model::Risk::Read);
        for _ in 0..20 {
            j.event(&Event::Executing { step: &read });
        }
        assert_eq!(j.flushes, 0, "read steps are written, not flushed one by one");
        // Written is enough for a killed process: every event is in the file already.
        assert_eq!(read_back(&j.path).len(), 20);
        j.event(&Event::Executing { step: &write });
        assert_eq!(j.flushes, 1, "a step that changes something starts only once all before it is on disk");
        assert!(!j.unsynced);
        j.event(&Event::Executing { step: &read });
        std::thread::sleep(GROUP_WINDOW);
        j.event(&Event::Executing { step: &read });
        assert_eq!(j.flushes, 2, "reads wait at most the group window for their flush");
        assert!(matches!(intact_at(&j.path), Ok(v) if v.events == 23 && !v.head_behind));
        let _ = std::fs::remove_dir_all(dir);
    }

    fn read_back(path: &Path) -> Vec<Line> {
        read(path).expect("read")
    }

    fn intact_at(path: &Path) -> Result<Verified, Broken> {
        verify(path).expect("verify")
    }

    fn intact(events: usize) -> Result<Verified, Broken> {
        Ok(Verified { events, torn: None, head_behind: false })
    }

    /// One event of every kind, with the optional parts both present and absent.
    fn every_kind() -> Vec<JournalEvent> {
        use crate::result::{CheckResult, ErrorKind, StepError};
        use runbook_core::annotation::Level;
        use serde_json::{Map, json};
        let result = |step: &str, result: ResultSummary| {
            JournalEvent::StepResult(StepResultEvent {
                step: step.into(),
                ok: matches!(result, ResultSummary::Done(_)),
                elapsed_ms: 12,
                result,
                checks: vec![CheckResult { name: "few".into(), level: Level::Critical, actual: json!(3), expected: "< 2".into() }],
                captures: Map::from_iter([("n".to_owned(), json!(3))]),
            })
        };
        vec![
            JournalEvent::Session(SessionHeader {
                id: "s1".into(),
                mode: Mode::Run,
                runbook: "/r.md".into(),
                runbook_sha256: "ab".into(),
                operator: "me@here".into(),
                version: "0.1.0".into(),
                environment: Some("prod".into()),
            }),
            JournalEvent::Entry { runbook_title: "R".into(), entry: "e".into(), title: "E".into() },
            JournalEvent::StepStart {
                step: "a".into(),
                index: 1,
                kind: runbook_core::model::StepKind::Sql,
                risk: runbook_core::model::Risk::Write,
                title: "A".into(),
                command: "SELECT 1".into(),
                target: None,
                params: [("ID".to_owned(), "7".to_owned())].into(),
            },
            running("a"),
            result(
                "a",
                ResultSummary::Done(OutcomeSummary::Sql {
                    row_count: 1,
                    columns: vec!["n".into()],
                    rows: vec![Map::from_iter([("n".to_owned(), json!(3))])],
                    truncated: false,
                }),
            ),
            result(
                "h",
                ResultSummary::Done(OutcomeSummary::Http {
                    status: 200,
                    elapsed_ms: 5,
                    url: "http://x/".into(),
                    body_sha256: "cd".into(),
                    body_excerpt: "{}".into(),
                    filtered: Some(json!([1])),
                    json: None,
                }),
            ),
            result("s", ResultSummary::Done(OutcomeSummary::Shell { exit_code: 1, stdout: "out".into(), stderr: String::new() })),
            result("m", ResultSummary::Done(OutcomeSummary::Manual { done: true, note: Some("ok".into()) })),
            result("d", ResultSummary::Done(OutcomeSummary::Decision)),
            result("f", ResultSummary::Failed { error: StepError::new(ErrorKind::Timeout, "took too long") }),
            JournalEvent::StepSkipped { step: "b".into(), reason: "declined".into(), by: Some(SkippedBy::Operator) },
            JournalEvent::ParamValue { step: "b".into(), name: "ID".into(), value: "7".into(), source: "operator".into() },
            JournalEvent::BlastRadius { step: "b".into(), impact: "deletes 1 row of t".into() },
            JournalEvent::Decision {
                step: "d".into(),
                chosen: "Yes".into(),
                suggested: Some("No".into()),
                reason: None,
                evidence: vec!["No: supported".into()],
                to: None,
            },
            JournalEvent::InFlight { step: "a".into(), choice: crate::operator::InFlight::Skip, note: "n".into() },
            JournalEvent::Resumed {
                operator: "me@here".into(),
                from_step: "a".into(),
                note: "n".into(),
                runbook_changed: true,
                torn_line: Some(TornLine { line: 4, bytes: 20 }),
            },
            JournalEvent::End { status: EndStatus::NeedsAnswer, message: "which way?".into() },
        ]
    }

    #[test]
    fn every_event_reads_back_as_written() {
        let (dir, mut j) = journal_with("kinds", 0);
        let written = every_kind();
        for e in &written {
            j.append(e).expect("append");
        }
        let lines = read(&j.path).expect("read");
        assert_eq!(lines.iter().map(|l| l.event.clone()).collect::<Vec<_>>(), written);
        assert_eq!(lines.iter().map(|l| l.seq).collect::<Vec<_>>(), (1..=written.len() as u64).collect::<Vec<_>>());
        assert_eq!(verify(&j.path).expect("read"), intact(written.len()));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn chain_detects_edits_and_removals() {
        let (dir, j) = journal_with("chain", 4);
        assert_eq!(verify(&j.path).expect("read"), intact(4));
        let text = std::fs::read_to_string(&j.path).expect("read");
        let edited = text.replacen("\"step\":\"s2\"", "\"step\":\"s7\"", 1);
        std::fs::write(&j.path, &edited).expect("write");
        assert_eq!(verify(&j.path).expect("read").map_err(|b| b.line), Err(3));
        let removed: Vec<&str> = text.lines().enumerate().filter(|(i, _)| *i != 1).map(|(_, l)| l).collect();
        std::fs::write(&j.path, removed.join("\n") + "\n").expect("write");
        assert_eq!(verify(&j.path).expect("read").map_err(|b| b.line), Err(2));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_cut_tail_is_found_by_the_head_record() {
        let (dir, j) = journal_with("cut", 5);
        let text = std::fs::read_to_string(&j.path).expect("read");
        let kept: Vec<&str> = text.lines().take(3).collect();
        std::fs::write(&j.path, kept.join("\n") + "\n").expect("write");
        let broken = verify(&j.path).expect("read").expect_err("cut");
        assert_eq!(broken.line, 4);
        assert!(broken.problem.contains("events 4–5 cut from the end"), "{}", broken.problem);
        // Without its head record the journal cannot be trusted either.
        std::fs::remove_file(head_path(&j.path)).expect("remove");
        assert!(verify(&j.path).expect("read").expect_err("no head").problem.contains("missing"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_head_one_event_behind_is_a_crash_not_a_cut() {
        let (dir, j) = journal_with("behind", 3);
        let head = Head { seq: 2, hash: read(&j.path).expect("read")[1].hash.clone() };
        std::fs::write(head_path(&j.path), head.encode()).expect("write");
        assert_eq!(verify(&j.path).expect("read"), Ok(Verified { events: 3, torn: None, head_behind: true }));
        // A head naming an event that is not in the chain is not.
        std::fs::write(head_path(&j.path), Head { seq: 3, hash: GENESIS.into() }.encode()).expect("write");
        assert!(verify(&j.path).expect("read").expect_err("replaced").problem.contains("replaced"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_torn_last_line_is_left_out_and_cut_on_reopen() {
        let (dir, j) = journal_with("torn", 3);
        let mut f = OpenOptions::new().append(true).open(&j.path).expect("open");
        f.write_all(b"{\"seq\":4,\"ts\":\"2026-").expect("write");
        drop(f);
        let verified = verify(&j.path).expect("read").expect("intact");
        assert_eq!(verified.torn, Some(Torn { line: 4, bytes: 20 }));
        assert_eq!(read(&j.path).expect("read").len(), 3);
        let mut again = Journal::reopen(&j.path).expect("reopen");
        assert_eq!(again.cut_torn_line.as_ref().map(|t| t.line), Some(4));
        again.append(&running("s3")).expect("append");
        assert_eq!(verify(&j.path).expect("read"), intact(4));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
