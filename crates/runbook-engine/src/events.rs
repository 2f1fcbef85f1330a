//! Events of a run. Reporters (terminal, JSON lines, journal) consume the same events.

use crate::result::StepRecord;
use runbook_core::model::Step;
use serde::{Deserialize, Serialize};

/// What is about to run, with parameter values (secrets masked).
#[derive(Debug, Clone, Serialize)]
pub struct Rendered {
    /// The command, statement or request line as it runs (`$1` for bound SQL values).
    pub command: String,
    /// Bound or substituted values, by parameter name.
    pub params: Vec<(String, String)>,
    /// Where it runs: a connection name, URL or `bash`.
    pub target: Option<String>,
}

/// What a secret value is shown as (kept with the redaction, in `result`).
pub use crate::result::SECRET_MASK;

#[derive(Debug)]
pub enum Event<'a> {
    SessionStarted {
        runbook: &'a str,
        entry: &'a str,
        entry_title: &'a str,
    },
    StepStarted {
        step: &'a Step,
        index: usize,
        rendered: &'a Rendered,
    },
    /// The step passed its gates and is running now (reporters may show a spinner).
    Executing {
        step: &'a Step,
    },
    StepFinished {
        step: &'a Step,
        record: &'a StepRecord,
    },
    /// A step that did not run: refused, skipped or without a value. `by_operator`: the
    /// operator declined its gate (a choice, not a failure).
    StepSkipped {
        step: &'a Step,
        reason: &'a str,
        by_operator: bool,
    },
    /// A parameter got its value while the walk ran; `source` says from where (`operator`,
    /// `default`, `capture:…`, or the result row it was picked from). Secret values are masked.
    ParamValue {
        step: &'a Step,
        name: &'a str,
        value: &'a str,
        source: &'a str,
    },
    /// Before a write runs (or is confirmed): the rows it would touch, counted read-only
    /// (`deletes 1 row of login_attempts`), or why they cannot be counted.
    BlastRadius {
        step: &'a Step,
        impact: &'a str,
    },
    /// On resume: what the operator chose for a step that was running when the session died.
    InFlight {
        step: &'a Step,
        choice: crate::operator::InFlight,
    },
    Decision {
        step: &'a Step,
        chosen: &'a str,
        suggested: Option<&'a str>,
        /// Why the suggestion was made, when the evidence made it (`'Check for account
        /// lockouts' returned 1 row`).
        reason: Option<&'a str>,
        /// What the evidence said of each option it spoke about (`Rate Limited: supported:
        /// 'Check rate limiting' returned 1 row`), for the record.
        evidence: &'a [String],
        target: Option<&'a str>,
    },
    SessionFinished {
        status: EndStatus,
        message: &'a str,
    },
}

pub trait EventSink {
    fn event(&mut self, event: &Event<'_>);
}

/// Sends every event to several sinks.
pub struct Fanout<'a>(pub Vec<&'a mut dyn EventSink>);

impl EventSink for Fanout<'_> {
    fn event(&mut self, event: &Event<'_>) {
        for s in self.0.iter_mut() {
            s.event(event);
        }
    }
}

/// How a walk ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EndStatus {
    Finished,
    Aborted,
    /// A non-interactive walk stopped at a question nobody answered; it can be resumed.
    NeedsAnswer,
}

impl EndStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EndStatus::Finished => "finished",
            EndStatus::Aborted => "aborted",
            EndStatus::NeedsAnswer => "needs-answer",
        }
    }
}

impl std::fmt::Display for EndStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
