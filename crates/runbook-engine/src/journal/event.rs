//! The events of a session journal, written and read by the same types. Each line is one
//! [`Line`]: the chain fields (`seq`, `ts`, `prev`, `hash`) and, beside them, a
//! [`JournalEvent`] tagged by its `type`.

use super::Timestamp;
use crate::events::EndStatus;
use crate::operator::InFlight;
use crate::result::{CheckResult, HttpResult, ManualResult, Outcome, ShellResult, SqlResult, StepError, StepRecord};
use runbook_core::model::{Risk, StepKind};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// One whole line of a journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub seq: u64,
    pub ts: Timestamp,
    pub prev: String,
    pub hash: String,
    #[serde(flatten)]
    pub event: JournalEvent,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum JournalEvent {
    /// The first line: what runs, where and by whom.
    Session(SessionHeader),
    /// The walk started (or, after a resume, started again) at an entry point.
    Entry {
        runbook_title: String,
        entry: String,
        title: String,
    },
    /// A step passed to its gates, with its rendered command and parameter values (secrets
    /// masked).
    StepStart {
        step: String,
        index: usize,
        kind: StepKind,
        risk: Risk,
        title: String,
        command: String,
        target: Option<String>,
        params: BTreeMap<String, String>,
    },
    /// Written before the executor starts (and flushed, when the step may change something): a
    /// `step_running` without its `step_result` is a step that was in flight when the session died.
    StepRunning {
        step: String,
    },
    StepResult(StepResultEvent),
    StepSkipped {
        step: String,
        reason: String,
        by: Option<SkippedBy>,
    },
    ParamValue {
        step: String,
        name: String,
        value: String,
        source: String,
    },
    BlastRadius {
        step: String,
        impact: String,
    },
    Decision {
        step: String,
        chosen: String,
        suggested: Option<String>,
        reason: Option<String>,
        /// Journals from before the evidence was recorded have none.
        #[serde(default)]
        evidence: Vec<String>,
        /// The step the decision leads to; `None`: the end.
        to: Option<String>,
    },
    /// On resume: what the operator chose for the step that was running when the session died.
    InFlight {
        step: String,
        choice: InFlight,
        note: String,
    },
    Resumed {
        operator: String,
        from_step: String,
        note: String,
        runbook_changed: bool,
        /// A torn last line the resume cut off: the journal keeps that it was there.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        torn_line: Option<TornLine>,
    },
    End {
        status: EndStatus,
        message: String,
    },
    /// Another driver took the session's lease (`alice@laptop (pid 42)` to `bob@desk (pid 7)`):
    /// the lease had expired, its process had ended, or it was taken by force.
    TakeOver {
        from: String,
        to: String,
        reason: String,
    },
    /// The driver let the session go (a clean stop or `runbook handover`): anyone may resume it.
    HandOver {
        from: String,
        note: String,
    },
}

/// The journal's header line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionHeader {
    pub id: String,
    pub mode: Mode,
    /// The runbook's canonical path.
    pub runbook: String,
    pub runbook_sha256: String,
    pub operator: String,
    pub version: String,
    pub environment: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Run,
    /// Against recorded outcomes: nothing real was touched, and it is never resumed.
    Rehearse,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Run => "run",
            Mode::Rehearse => "rehearse",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SkippedBy {
    /// The operator declined the step's gate: a choice, not a failure.
    Operator,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TornLine {
    pub line: usize,
    pub bytes: usize,
}

/// A step's result as journalled: enough to review it and to decide on it after a resume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepResultEvent {
    pub step: String,
    pub ok: bool,
    pub elapsed_ms: u64,
    pub result: ResultSummary,
    pub checks: Vec<CheckResult>,
    pub captures: Map<String, Value>,
}

/// What a step produced, cut to what a journal keeps, or why it produced nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ResultSummary {
    Failed { error: StepError },
    Done(OutcomeSummary),
}

/// Bodies and output are kept in part, SQL rows up to the display limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum OutcomeSummary {
    Sql {
        row_count: u64,
        columns: Vec<String>,
        rows: Vec<Map<String, Value>>,
        truncated: bool,
    },
    Http {
        status: u16,
        elapsed_ms: u64,
        url: String,
        body_sha256: String,
        /// The first 400 characters of the body.
        body_excerpt: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filtered: Option<Value>,
        /// Small JSON bodies (up to 4 KiB) whole, so a resumed decision sees them.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        json: Option<Value>,
    },
    Shell {
        exit_code: i32,
        /// The first 2000 characters.
        stdout: String,
        /// The first 1000 characters.
        stderr: String,
    },
    Manual {
        done: bool,
        note: Option<String>,
    },
    Decision,
}

const BODY_EXCERPT: usize = 400;
const WHOLE_JSON_BODY: usize = 4096;
const STDOUT_KEPT: usize = 2000;
const STDERR_KEPT: usize = 1000;

fn first_chars(text: &str, n: usize) -> String {
    text.chars().take(n).collect()
}

impl ResultSummary {
    pub fn of(outcome: &Result<Outcome, StepError>) -> ResultSummary {
        let done = match outcome {
            Err(error) => return ResultSummary::Failed { error: error.clone() },
            Ok(Outcome::Sql(s)) => {
                OutcomeSummary::Sql { row_count: s.row_count, columns: s.columns.clone(), rows: s.rows.clone(), truncated: s.truncated }
            }
            Ok(Outcome::Http(h)) => OutcomeSummary::Http {
                status: h.status,
                elapsed_ms: h.elapsed_ms,
                url: h.url.clone(),
                body_sha256: super::sha256_hex(h.body.as_bytes()),
                body_excerpt: first_chars(&h.body, BODY_EXCERPT),
                filtered: h.filtered.clone(),
                json: h.json.clone().filter(|_| h.body.len() <= WHOLE_JSON_BODY),
            },
            Ok(Outcome::Shell(s)) => OutcomeSummary::Shell {
                exit_code: s.exit_code,
                stdout: first_chars(&s.stdout, STDOUT_KEPT),
                stderr: first_chars(&s.stderr, STDERR_KEPT),
            },
            Ok(Outcome::Manual(m)) => OutcomeSummary::Manual { done: m.done, note: m.note.clone() },
            Ok(Outcome::Decision) => OutcomeSummary::Decision,
        };
        ResultSummary::Done(done)
    }

    /// The outcome as far as the journal kept it (an HTTP body is its excerpt).
    pub fn outcome(&self) -> Result<Outcome, StepError> {
        let done = match self {
            ResultSummary::Failed { error } => return Err(error.clone()),
            ResultSummary::Done(d) => d,
        };
        Ok(match done.clone() {
            OutcomeSummary::Sql { row_count, columns, rows, truncated } => {
                Outcome::Sql(SqlResult { columns, rows, row_count, truncated, statements: 1 })
            }
            OutcomeSummary::Http { status, elapsed_ms, url, body_excerpt, filtered, json, .. } => Outcome::Http(HttpResult {
                method: String::new(),
                url,
                status,
                headers: Vec::new(),
                body: body_excerpt,
                json,
                filtered,
                elapsed_ms,
                notes: Vec::new(),
            }),
            OutcomeSummary::Shell { exit_code, stdout, stderr } => {
                Outcome::Shell(ShellResult { exit_code, stdout, stderr, vars: Default::default() })
            }
            OutcomeSummary::Manual { done, note } => Outcome::Manual(ManualResult { done, note }),
            OutcomeSummary::Decision => Outcome::Decision,
        })
    }
}

impl StepResultEvent {
    pub fn of(record: &StepRecord) -> StepResultEvent {
        StepResultEvent {
            step: record.step.clone(),
            ok: record.outcome.is_ok(),
            elapsed_ms: record.elapsed_ms,
            result: ResultSummary::of(&record.outcome),
            checks: record.checks.clone(),
            captures: record.captures.iter().cloned().collect(),
        }
    }

    /// The step's record as far as the journal kept it, to decide on after a resume.
    pub fn record(&self) -> StepRecord {
        StepRecord {
            step: self.step.clone(),
            outcome: self.result.outcome(),
            checks: self.checks.clone(),
            captures: self.captures.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            elapsed_ms: self.elapsed_ms,
        }
    }
}

impl JournalEvent {
    /// The step an event is about, for those that are about one.
    pub fn step(&self) -> Option<&str> {
        match self {
            JournalEvent::StepStart { step, .. }
            | JournalEvent::StepRunning { step }
            | JournalEvent::StepSkipped { step, .. }
            | JournalEvent::ParamValue { step, .. }
            | JournalEvent::BlastRadius { step, .. }
            | JournalEvent::Decision { step, .. }
            | JournalEvent::InFlight { step, .. } => Some(step),
            JournalEvent::StepResult(r) => Some(&r.step),
            JournalEvent::Session(_)
            | JournalEvent::Entry { .. }
            | JournalEvent::Resumed { .. }
            | JournalEvent::End { .. }
            | JournalEvent::TakeOver { .. }
            | JournalEvent::HandOver { .. } => None,
        }
    }
}
