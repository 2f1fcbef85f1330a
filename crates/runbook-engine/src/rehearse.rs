//! Rehearsal: the same walk as a live run, with an executor that answers from fixtures. This
//! module reaches nothing: it has no database driver, no HTTP client and no process spawning,
//! so a rehearsal cannot touch a network or a database whatever a runbook says.
//!
//! A scenario (`fixtures/<runbook>/<name>.yaml`) holds the outcome of each step, the answers an
//! operator gave (entry, parameters, decisions, confirmations, manual steps) and, optionally,
//! the path it expects the walk to take.

use crate::answers::{Answers, ConfirmAnswer, ManualAnswer, OneOrMany};
use crate::exec::{Executor, Request, StepFuture};
use crate::result::{ErrorKind, HttpResult, Outcome, ShellResult, SqlResult, StepError, StepRecord};
use runbook_core::model::Step;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Scenario {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
    /// Step id → its outcome.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub steps: BTreeMap<String, Fixture>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub decisions: BTreeMap<String, OneOrMany>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub confirm: BTreeMap<String, ConfirmAnswer>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub manual: BTreeMap<String, ManualAnswer>,
    /// The step ids the walk must visit, in order; a rehearsal that strays fails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expect_path: Option<Vec<String>>,
}

impl Scenario {
    pub fn answers(&self) -> Answers {
        Answers {
            entry: self.entry.clone(),
            params: self.params.clone(),
            decisions: self.decisions.clone(),
            confirm: self.confirm.clone(),
            manual: self.manual.clone(),
            ..Answers::default()
        }
    }
}

/// The outcome of one step: exactly one of the fields.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Fixture {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sql: Option<SqlFixture>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpFixture>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shell: Option<ShellFixture>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorFixture>,
}

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SqlFixture {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<Map<String, Value>>,
    /// Rows returned (or affected); defaults to the number of `rows`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row_count: Option<u64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpFixture {
    pub status: u16,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// A JSON body (written as YAML).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json: Option<Value>,
    /// A body that is not JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elapsed_ms: Option<u64>,
}

impl Default for HttpFixture {
    fn default() -> Self {
        HttpFixture { status: 200, headers: BTreeMap::new(), json: None, body: None, elapsed_ms: None }
    }
}

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ShellFixture {
    pub exit_code: i32,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub stdout: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub stderr: String,
    /// Variables the script left set that later steps read (`TOKEN=$(…)`).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub vars: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorFixture {
    /// `connection`, `timeout`, `database`, `http`, `shell`.
    pub kind: String,
    pub message: String,
}

fn error_kind(kind: &str) -> ErrorKind {
    match kind {
        "connection" => ErrorKind::Connection,
        "timeout" => ErrorKind::Timeout,
        "database" => ErrorKind::Database,
        "http" => ErrorKind::Http,
        "shell" => ErrorKind::Shell,
        _ => ErrorKind::Unsupported,
    }
}

fn error_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Connection => "connection",
        ErrorKind::Timeout => "timeout",
        ErrorKind::Database => "database",
        ErrorKind::Http => "http",
        ErrorKind::Shell => "shell",
        ErrorKind::Parameter => "parameter",
        ErrorKind::Refused => "refused",
        ErrorKind::Unsupported => "unsupported",
        ErrorKind::NoFixture => "no_fixture",
    }
}

/// The rehearsal executor: outcomes come from the scenario; a step without one is left to
/// the operator (`ErrorKind::NoFixture`).
pub struct Rehearsal {
    steps: BTreeMap<String, Fixture>,
}

impl Rehearsal {
    pub fn new(scenario: &Scenario) -> Self {
        Rehearsal { steps: scenario.steps.clone() }
    }

    fn outcome(&self, step: &Step, request: &Request) -> Result<Outcome, StepError> {
        let Some(f) = self.steps.get(&step.id) else {
            return Err(StepError::new(ErrorKind::NoFixture, format!("no fixture for step {}", step.id)));
        };
        if let Some(e) = &f.error {
            return Err(StepError::new(error_kind(&e.kind), e.message.clone()));
        }
        match request {
            Request::Sql { max_rows, .. } => {
                let s = f.sql.clone().unwrap_or_default();
                let columns =
                    if s.columns.is_empty() { s.rows.first().map(|r| r.keys().cloned().collect()).unwrap_or_default() } else { s.columns };
                let row_count = s.row_count.unwrap_or(s.rows.len() as u64);
                let truncated = s.rows.len() > *max_rows;
                let rows = s.rows.into_iter().take(*max_rows).collect();
                Ok(Outcome::Sql(SqlResult { columns, rows, row_count, truncated, statements: 1 }))
            }
            Request::Http { request, .. } => {
                let h = f.http.clone().unwrap_or_default();
                let body = match (&h.json, &h.body) {
                    (Some(j), _) => serde_json::to_string_pretty(j).unwrap_or_default(),
                    (None, Some(b)) => b.clone(),
                    (None, None) => String::new(),
                };
                let json = h.json.clone().or_else(|| serde_json::from_str(&body).ok());
                let mut notes = vec!["rehearsal: response from the scenario".to_owned()];
                let filtered = match (&request.jq, &json) {
                    (Some(filter), Some(_)) => match crate::exec::http::jq(filter, &body) {
                        Ok(v) => Some(v),
                        Err(e) => {
                            notes.push(format!("jq filter `{filter}` failed: {e}"));
                            None
                        }
                    },
                    _ => None,
                };
                Ok(Outcome::Http(HttpResult {
                    method: request.method.clone(),
                    url: request.url.clone(),
                    status: h.status,
                    headers: h.headers.into_iter().collect(),
                    body,
                    json,
                    filtered,
                    elapsed_ms: h.elapsed_ms.unwrap_or(0),
                    notes,
                }))
            }
            Request::Shell { .. } => {
                let s = f.shell.clone().unwrap_or_default();
                Ok(Outcome::Shell(ShellResult { exit_code: s.exit_code, stdout: s.stdout, stderr: s.stderr, vars: s.vars }))
            }
        }
    }
}

impl Executor for Rehearsal {
    fn count<'a>(&'a mut self, _request: crate::exec::blast_radius::CountRequest) -> crate::exec::CountFuture<'a> {
        Box::pin(async { Err(StepError::new(ErrorKind::Unsupported, "a rehearsal counts nothing")) })
    }

    fn execute<'a>(&'a mut self, step: &'a Step, request: Request) -> StepFuture<'a> {
        let result = self.outcome(step, &request);
        Box::pin(async move { result })
    }
}

/// A fixture from what a live step produced (already redacted), for `run --record`.
pub fn fixture_of(record: &StepRecord) -> Option<Fixture> {
    let mut f = Fixture::default();
    match &record.outcome {
        Ok(Outcome::Sql(s)) => f.sql = Some(SqlFixture { columns: s.columns.clone(), rows: s.rows.clone(), row_count: Some(s.row_count) }),
        Ok(Outcome::Http(h)) => {
            f.http = Some(HttpFixture {
                status: h.status,
                headers: h.headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case("content-type")).cloned().collect(),
                json: h.json.clone(),
                body: if h.json.is_none() && !h.body.is_empty() { Some(h.body.clone()) } else { None },
                elapsed_ms: Some(h.elapsed_ms),
            })
        }
        Ok(Outcome::Shell(s)) => {
            f.shell =
                Some(ShellFixture { exit_code: s.exit_code, stdout: s.stdout.clone(), stderr: s.stderr.clone(), vars: s.vars.clone() })
        }
        Ok(Outcome::Manual(_) | Outcome::Decision) => return None,
        Err(e) if e.kind == ErrorKind::Refused || e.kind == ErrorKind::NoFixture => return None,
        Err(e) => f.error = Some(ErrorFixture { kind: error_name(e.kind).to_owned(), message: e.message.clone() }),
    }
    Some(f)
}
