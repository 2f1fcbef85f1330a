//! The session journal: one JSON object per line, appended and fsynced before the next step
//! starts, each carrying the hash of the one before it, so an edited or removed event is
//! found. It is the incident's memory and the checkpoint `runbook resume` continues from.
//!
//! Every line is `{"seq", "ts", "type", …, "prev", "hash"}`: `hash` is the SHA-256 of the
//! line's JSON without `hash` (keys sorted), `prev` is the previous line's `hash`.

use crate::events::{Event, EventSink};
use crate::result::{Outcome, StepRecord};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

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
    let (y, m, day) = civil_from_days(d as i64);
    let salt = sha256_hex(format!("{}{}{}", now.as_nanos(), std::process::id(), secs).as_bytes());
    format!("{y:04}{m:02}{day:02}-{:02}{:02}{:02}-{}", s / 3600, (s % 3600) / 60, s % 60, &salt[..6])
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

pub fn now_rfc3339() -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = now.as_secs();
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let s = secs % 86_400;
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z", s / 3600, (s % 3600) / 60, s % 60, now.subsec_millis())
}

pub struct Journal {
    file: File,
    pub path: PathBuf,
    prev: String,
    seq: u64,
    /// The first write error, reported once by the caller at the end.
    pub error: Option<String>,
}

impl Journal {
    /// Starts a new journal file `DIR/ID.jsonl`.
    pub fn create(dir: &Path, id: &str) -> std::io::Result<Journal> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(format!("{id}.jsonl"));
        let file = OpenOptions::new().create_new(true).append(true).open(&path)?;
        Ok(Journal { file, path, prev: GENESIS.to_owned(), seq: 0, error: None })
    }

    /// Continues an existing journal (after `verify`).
    pub fn reopen(path: &Path) -> std::io::Result<Journal> {
        let events = read(path)?;
        let (prev, seq) = events
            .last()
            .map_or((GENESIS.to_owned(), 0), |e| (e["hash"].as_str().unwrap_or(GENESIS).to_owned(), e["seq"].as_u64().unwrap_or(0)));
        let file = OpenOptions::new().append(true).open(path)?;
        Ok(Journal { file, path: path.to_owned(), prev, seq, error: None })
    }

    /// Appends one event and waits until it is on disk.
    pub fn append(&mut self, kind: &str, data: Map<String, Value>) -> std::io::Result<()> {
        self.seq += 1;
        let mut obj = data;
        obj.insert("seq".into(), self.seq.into());
        obj.insert("ts".into(), now_rfc3339().into());
        obj.insert("type".into(), kind.into());
        obj.insert("prev".into(), self.prev.clone().into());
        let body = serde_json::to_string(&Value::Object(obj.clone()))?;
        let hash = sha256_hex(body.as_bytes());
        obj.insert("hash".into(), hash.clone().into());
        let mut line = serde_json::to_string(&Value::Object(obj))?;
        line.push('\n');
        self.file.write_all(line.as_bytes())?;
        self.file.sync_data()?;
        self.prev = hash;
        Ok(())
    }

    fn record(&mut self, kind: &str, data: Value) {
        let map = match data {
            Value::Object(m) => m,
            other => Map::from_iter([("data".to_owned(), other)]),
        };
        if let Err(e) = self.append(kind, map) {
            tracing::error!("journal write failed: {e}");
            self.error.get_or_insert(e.to_string());
        }
    }
}

/// The journal's view of a step result: enough to review it and to resume from it.
pub fn summary(record: &StepRecord) -> Value {
    let mut m = Map::new();
    match &record.outcome {
        Ok(Outcome::Sql(s)) => {
            m.insert("kind".into(), "sql".into());
            m.insert("row_count".into(), s.row_count.into());
            m.insert("columns".into(), s.columns.clone().into());
            m.insert("rows".into(), Value::Array(s.rows.iter().cloned().map(Value::Object).collect()));
            m.insert("truncated".into(), s.truncated.into());
        }
        Ok(Outcome::Http(h)) => {
            m.insert("kind".into(), "http".into());
            m.insert("status".into(), h.status.into());
            m.insert("elapsed_ms".into(), h.elapsed_ms.into());
            m.insert("url".into(), h.url.clone().into());
            m.insert("body_sha256".into(), sha256_hex(h.body.as_bytes()).into());
            m.insert("body_excerpt".into(), h.body.chars().take(400).collect::<String>().into());
            if let Some(f) = &h.filtered {
                m.insert("filtered".into(), f.clone());
            }
            if let Some(j) = &h.json {
                // Small JSON bodies are kept whole so a resumed decision sees them.
                if h.body.len() <= 4096 {
                    m.insert("json".into(), j.clone());
                }
            }
        }
        Ok(Outcome::Shell(s)) => {
            m.insert("kind".into(), "shell".into());
            m.insert("exit_code".into(), s.exit_code.into());
            m.insert("stdout".into(), s.stdout.chars().take(2000).collect::<String>().into());
            m.insert("stderr".into(), s.stderr.chars().take(1000).collect::<String>().into());
        }
        Ok(Outcome::Manual(mr)) => {
            m.insert("kind".into(), "manual".into());
            m.insert("done".into(), mr.done.into());
            m.insert("note".into(), mr.note.clone().into());
        }
        Ok(Outcome::Decision) => {
            m.insert("kind".into(), "decision".into());
        }
        Err(e) => {
            m.insert("error".into(), serde_json::to_value(e).unwrap_or(Value::Null));
        }
    }
    Value::Object(m)
}

impl EventSink for Journal {
    fn event(&mut self, event: &Event<'_>) {
        match event {
            Event::SessionStarted { runbook, entry, entry_title } => {
                self.record("entry", json!({"runbook_title": runbook, "entry": entry, "title": entry_title}))
            }
            Event::StepStarted { step, index, rendered } => self.record(
                "step_start",
                json!({
                    "step": step.id, "index": index, "kind": step.kind, "risk": step.risk, "title": step.title,
                    "command": rendered.command, "target": rendered.target,
                    "params": rendered.params.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect::<Map<_, _>>(),
                }),
            ),
            Event::Executing { .. } => {}
            Event::StepFinished { step, record } => self.record(
                "step_result",
                json!({
                    "step": step.id, "ok": record.outcome.is_ok(), "elapsed_ms": record.elapsed_ms, "result": summary(record),
                    "checks": record.checks, "captures": record.captures.iter().cloned().collect::<Map<_, _>>(),
                }),
            ),
            Event::StepSkipped { step, reason } => self.record("step_skipped", json!({"step": step.id, "reason": reason})),
            Event::Decision { step, chosen, suggested, target } => {
                self.record("decision", json!({"step": step.id, "chosen": chosen, "suggested": suggested, "to": target}))
            }
            Event::SessionFinished { status, message } => self.record("end", json!({"status": status, "message": message})),
        }
    }
}

/// Every event of a journal, in order.
pub fn read(path: &Path) -> std::io::Result<Vec<Value>> {
    let f = File::open(path)?;
    let mut out = Vec::new();
    for line in BufReader::new(f).lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        out.push(serde_json::from_str(&line).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?);
    }
    Ok(out)
}

/// A broken link in the chain: the 1-based line and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub line: usize,
    pub problem: String,
}

/// Checks every line's hash, the link to the line before it and the sequence numbers.
pub fn verify(path: &Path) -> std::io::Result<Result<usize, Broken>> {
    let f = File::open(path)?;
    let mut prev = GENESIS.to_owned();
    let mut n = 0usize;
    for (i, line) in BufReader::new(f).lines().enumerate() {
        let line = line?;
        let lineno = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let Ok(Value::Object(mut obj)) = serde_json::from_str::<Value>(&line) else {
            return Ok(Err(Broken { line: lineno, problem: "not a JSON object".into() }));
        };
        let Some(Value::String(hash)) = obj.remove("hash") else {
            return Ok(Err(Broken { line: lineno, problem: "no hash".into() }));
        };
        let body = serde_json::to_string(&Value::Object(obj.clone())).unwrap_or_default();
        if sha256_hex(body.as_bytes()) != hash {
            return Ok(Err(Broken { line: lineno, problem: "the event was changed after it was written".into() }));
        }
        if obj.get("prev").and_then(Value::as_str) != Some(prev.as_str()) {
            return Ok(Err(Broken { line: lineno, problem: "the event before it was changed or removed".into() }));
        }
        n += 1;
        if obj.get("seq").and_then(Value::as_u64) != Some(n as u64) {
            return Ok(Err(Broken {
                line: lineno,
                problem: format!("sequence number {} where {n} was expected", obj.get("seq").unwrap_or(&Value::Null)),
            }));
        }
        prev = hash;
    }
    Ok(Ok(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_detects_edits_and_removals() {
        let dir = std::env::temp_dir().join(format!("rb-journal-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut j = Journal::create(&dir, "s1").expect("create");
        for i in 0..4 {
            j.append("step", Map::from_iter([("i".to_owned(), Value::from(i))])).expect("append");
        }
        assert_eq!(verify(&j.path).expect("read"), Ok(4));
        let text = std::fs::read_to_string(&j.path).expect("read");
        let edited = text.replacen("\"i\":2", "\"i\":7", 1);
        std::fs::write(&j.path, &edited).expect("write");
        assert_eq!(verify(&j.path).expect("read").map_err(|b| b.line), Err(3));
        let removed: Vec<&str> = text.lines().enumerate().filter(|(i, _)| *i != 1).map(|(_, l)| l).collect();
        std::fs::write(&j.path, removed.join("\n") + "\n").expect("write");
        assert_eq!(verify(&j.path).expect("read").map_err(|b| b.line), Err(2));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_778), (2026, 11, 21));
    }
}
