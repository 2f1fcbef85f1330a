//! Typed step results: what a step produced, as data. The terminal, the JSON event stream and
//! the journal all render the same values.

use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Outcome {
    Sql(SqlResult),
    Http(HttpResult),
    Shell(ShellResult),
    Manual(ManualResult),
    Decision,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SqlResult {
    pub columns: Vec<String>,
    /// The first rows (at most the display limit), each column → typed value.
    pub rows: Vec<Map<String, Value>>,
    /// Rows returned in total (streamed, not held), or rows affected by a write.
    pub row_count: u64,
    /// More rows were returned than kept.
    pub truncated: bool,
    /// Statements executed (a step may hold several).
    pub statements: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct HttpResult {
    pub method: String,
    pub url: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The body as text (cut at a size limit).
    pub body: String,
    /// The body parsed as JSON, when it is JSON.
    pub json: Option<Value>,
    /// The `| jq FILTER` output (several outputs become an array).
    pub filtered: Option<Value>,
    pub elapsed_ms: u64,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ShellResult {
    pub exit_code: i32,
    pub stdout: String,
    pub stderr: String,
    /// Variables the script set that later steps read (`TOKEN=$(…)`), as bash saw them at exit.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub vars: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ManualResult {
    pub done: bool,
    pub note: Option<String>,
}

/// Why a step did not produce a result.
#[derive(Debug, Clone, Serialize)]
pub struct StepError {
    pub kind: ErrorKind,
    pub message: String,
    /// Byte position in the executed statement, when the database gave one.
    pub position: Option<usize>,
    /// The statement the position refers to.
    pub statement: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    Connection,
    Timeout,
    Database,
    Http,
    Shell,
    Parameter,
    Refused,
    Unsupported,
    /// A rehearsal has no recorded outcome for the step.
    NoFixture,
}

impl StepError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        StepError { kind, message: message.into(), position: None, statement: None }
    }
}

impl std::fmt::Display for StepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// One evaluated check from `expect:`.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    pub name: String,
    pub level: runbook_core::annotation::Level,
    /// The value the check looked at (the number for thresholds, the condition for `that`).
    pub actual: Value,
    pub expected: String,
}

/// Everything that happened when one step ran.
#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    pub step: String,
    pub outcome: Result<Outcome, StepError>,
    pub checks: Vec<CheckResult>,
    pub captures: Vec<(String, Value)>,
    pub elapsed_ms: u64,
}

impl Outcome {
    /// The values expressions see: `rows`, `status`, `json`, `exit_code`…
    pub fn context(&self) -> Map<String, Value> {
        let mut m = Map::new();
        match self {
            Outcome::Sql(r) => {
                m.insert("rows".into(), Value::Array(r.rows.iter().cloned().map(Value::Object).collect()));
                m.insert("row_count".into(), r.row_count.into());
                m.insert("columns".into(), r.columns.clone().into());
            }
            Outcome::Http(r) => {
                m.insert("status".into(), r.status.into());
                let headers: Map<String, Value> =
                    r.headers.iter().map(|(k, v)| (k.to_ascii_lowercase(), Value::String(v.clone()))).collect();
                m.insert("headers".into(), Value::Object(headers));
                m.insert("body".into(), r.body.clone().into());
                m.insert("json".into(), r.filtered.clone().or_else(|| r.json.clone()).unwrap_or(Value::Null));
                m.insert("elapsed_ms".into(), r.elapsed_ms.into());
            }
            Outcome::Shell(r) => {
                m.insert("exit_code".into(), r.exit_code.into());
                m.insert("stdout".into(), r.stdout.clone().into());
                m.insert("stderr".into(), r.stderr.clone().into());
                m.insert("vars".into(), Value::Object(r.vars.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect()));
            }
            Outcome::Manual(r) => {
                m.insert("done".into(), r.done.into());
                m.insert("note".into(), r.note.clone().into());
            }
            Outcome::Decision => {}
        }
        m
    }
}

/// Replaces every secret value inside a string with the mask.
pub fn redact_text(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_owned();
    for s in secrets.iter().filter(|s| s.len() >= 3) {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), crate::events::SECRET_MASK);
        }
    }
    out
}

fn redact_value(v: &Value, secrets: &[String]) -> Value {
    match v {
        Value::String(s) => Value::String(redact_text(s, secrets)),
        Value::Array(a) => Value::Array(a.iter().map(|x| redact_value(x, secrets)).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, x)| (k.clone(), redact_value(x, secrets))).collect()),
        other => other.clone(),
    }
}

impl StepRecord {
    /// A copy safe to show or store: secret values masked wherever they appear.
    pub fn redacted(&self, secrets: &[String]) -> StepRecord {
        if secrets.is_empty() {
            return self.clone();
        }
        let r = |s: &str| redact_text(s, secrets);
        let v = |x: &Value| redact_value(x, secrets);
        let outcome = match &self.outcome {
            Ok(Outcome::Sql(s)) => Ok(Outcome::Sql(SqlResult {
                rows: s.rows.iter().map(|row| row.iter().map(|(k, x)| (k.clone(), v(x))).collect()).collect(),
                ..s.clone()
            })),
            Ok(Outcome::Http(h)) => Ok(Outcome::Http(HttpResult {
                url: r(&h.url),
                headers: h.headers.iter().map(|(k, x)| (k.clone(), r(x))).collect(),
                body: r(&h.body),
                json: h.json.as_ref().map(v),
                filtered: h.filtered.as_ref().map(v),
                ..h.clone()
            })),
            Ok(Outcome::Shell(s)) => Ok(Outcome::Shell(ShellResult {
                exit_code: s.exit_code,
                stdout: r(&s.stdout),
                stderr: r(&s.stderr),
                vars: s.vars.iter().map(|(k, x)| (k.clone(), r(x))).collect(),
            })),
            Ok(Outcome::Manual(m)) => Ok(Outcome::Manual(ManualResult { note: m.note.as_deref().map(r), ..m.clone() })),
            Ok(Outcome::Decision) => Ok(Outcome::Decision),
            Err(e) => Err(StepError { message: r(&e.message), statement: e.statement.as_deref().map(r), ..e.clone() }),
        };
        StepRecord {
            step: self.step.clone(),
            outcome,
            checks: self.checks.iter().map(|c| CheckResult { actual: v(&c.actual), ..c.clone() }).collect(),
            captures: self.captures.iter().map(|(k, x)| (k.clone(), v(x))).collect(),
            elapsed_ms: self.elapsed_ms,
        }
    }
}
