//! The interpreter: walks the graph from an entry point, gates risky steps, resolves
//! parameters, runs each step, evaluates checks, captures and branch conditions, and asks the
//! operator where to go. A failed step never ends the session: it leads to the same menu.

use crate::bind::{self, Dialect};
use crate::events::{EndStatus, Event, EventSink, Rendered, SECRET_MASK};
use crate::exec::{self, Executor, Request};
use crate::expr::Expressions;
use crate::operator::{Action, Gate, InFlight, Menu, MenuItem, Operator, Stop};
use crate::params::{ParamError, ParamValues};
use crate::result::{CheckResult, ErrorKind, ManualResult, Outcome, StepError, StepRecord};
use runbook_core::annotation::{Direction, Level};
use runbook_core::model::{ConfirmKind, EdgeKind, Graph, Risk, Step, StepKind};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// How a run is set up; built by the CLI from flags, environment and front matter.
#[derive(Debug, Clone)]
pub struct Config {
    /// Connection name → database URL.
    pub databases: HashMap<String, String>,
    /// Used by SQL steps without a target (and when a runbook declares no connections).
    pub default_database: Option<String>,
    /// Host → base URL, for HTTP steps.
    pub targets: Vec<(String, String)>,
    /// `--yes`: write steps run without asking.
    pub allow_writes: bool,
    /// `--allow-destructive`: destructive steps run without the typed confirmation.
    pub allow_destructive: bool,
    pub max_rows: usize,
    pub default_timeout: Duration,
    pub params: Vec<(String, String)>,
    /// A rehearsal: secrets nobody gave stand in as a mask (nothing will use them).
    pub rehearsal: bool,
    /// `--max-retries`: how many times one step may be run again in a walk; after that the
    /// menu no longer offers it (an answers file saying `retry` forever cannot loop).
    pub max_retries: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            databases: HashMap::new(),
            default_database: None,
            targets: Vec::new(),
            allow_writes: false,
            allow_destructive: false,
            max_rows: 20,
            default_timeout: Duration::from_secs(30),
            params: Vec::new(),
            rehearsal: false,
            max_retries: DEFAULT_MAX_RETRIES,
        }
    }
}

const MAX_STEPS: usize = 5000;

/// The help of a branch whose step the operator declined earlier in the walk.
const DECLINED_NOTE: &str = "declined earlier in this walk";

/// Retries per step unless `--max-retries` says otherwise.
pub const DEFAULT_MAX_RETRIES: u32 = 3;

/// Credentials typed into a runbook's own headers (not from a secret) are masked too.
fn mask_auth(name: &str, value: &str) -> String {
    let n = name.to_ascii_lowercase();
    if (n == "authorization" || n.contains("token") || n.contains("api-key") || n.contains("apikey") || n == "cookie")
        && !value.contains(SECRET_MASK)
    {
        match value.split_once(' ') {
            Some((scheme, _)) if scheme.len() < 12 => format!("{scheme} {SECRET_MASK}"),
            _ => SECRET_MASK.to_owned(),
        }
    } else {
        value.to_owned()
    }
}

/// Where a resumed session continues.
#[derive(Debug)]
pub struct ResumePoint {
    pub step: usize,
    pub at: ResumeAt,
    pub captures: Map<String, Value>,
    /// The results the session had seen (as journalled): evidence for suggestions and values
    /// to offer from here on.
    pub results: Vec<StepRecord>,
}

/// What happens first at the step a session resumes at.
#[derive(Debug)]
pub enum ResumeAt {
    /// Run it: it had not started running (stopped at its gate or its parameters), or the
    /// operator already chose to run it again.
    Run,
    /// Decide on its recorded result.
    Decide(Box<StepRecord>),
    /// It was running when the session died and may have completed: the operator chooses.
    InFlight,
    /// An earlier resume recorded the operator's choice for the step in flight; apply it.
    Chosen(InFlight),
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunEnd {
    /// The walk reached a step with no way on.
    Finished,
    Aborted,
    /// The run needs an answer nobody gave (non-interactive runs).
    NeedsAnswer {
        step: String,
        question: String,
        options: Vec<String>,
    },
}

pub struct Interpreter<'a> {
    graph: &'a Graph,
    config: Config,
    ops: &'a mut dyn Operator,
    sink: &'a mut dyn EventSink,
    executor: &'a mut dyn Executor,
    params: ParamValues,
    captures: Map<String, Value>,
    /// Results by step id (the latest run of each).
    results: HashMap<String, StepRecord>,
    expressions: Expressions,
    /// A question raised inside an executor call that ends the walk.
    pending_stop: Option<Stop>,
    /// Times each step (by index) was run again in this walk, against `Config::max_retries`.
    retries: HashMap<usize, u32>,
    /// Steps whose gate the operator declined in this walk: a branch to one is marked so, and
    /// never suggested.
    declined: HashSet<usize>,
}

/// What to do after a step.
enum Next {
    Go(Option<usize>),
    Again,
    Back,
    /// Back to the most recent decision (a declined fix: choose again).
    BackToDecision,
    End(RunEnd),
}

impl<'a> Interpreter<'a> {
    pub fn new(
        graph: &'a Graph,
        config: Config,
        executor: &'a mut dyn Executor,
        ops: &'a mut dyn Operator,
        sink: &'a mut dyn EventSink,
    ) -> Result<Self, StepError> {
        let mut params = ParamValues::new(config.params.clone());
        params.load_secrets(graph)?;
        if config.rehearsal {
            params.stand_in_for_secrets(graph);
        }
        Ok(Interpreter {
            graph,
            config,
            ops,
            sink,
            executor,
            params,
            captures: Map::new(),
            results: HashMap::new(),
            expressions: Expressions::default(),
            pending_stop: None,
            retries: HashMap::new(),
            declined: HashSet::new(),
        })
    }

    pub fn params(&self) -> &ParamValues {
        &self.params
    }

    pub fn captures(&self) -> &Map<String, Value> {
        &self.captures
    }

    /// Picks the entry point with the operator and walks from it.
    pub async fn run(&mut self, entry: Option<usize>) -> RunEnd {
        let entry = match entry {
            Some(e) => e,
            None => match self.ops.choose_entry(self.graph) {
                Ok(e) => e,
                Err(stop) => return self.stopped("start", stop),
            },
        };
        let Some(ep) = self.graph.entry_points.get(entry) else {
            return RunEnd::Aborted;
        };
        self.sink.event(&Event::SessionStarted { runbook: &self.graph.title, entry: &ep.id, entry_title: &ep.title });
        let first = ep.first_step.as_deref().and_then(|id| self.graph.step_index(id));
        let end = self.walk(first).await;
        let (status, message) = match &end {
            RunEnd::Finished => (EndStatus::Finished, String::new()),
            RunEnd::Aborted => (EndStatus::Aborted, String::new()),
            RunEnd::NeedsAnswer { question, .. } => (EndStatus::NeedsAnswer, question.clone()),
        };
        self.sink.event(&Event::SessionFinished { status, message: &message });
        end
    }

    /// Continues an interrupted session at `point.step`: running it (it had not started
    /// running, or its result is too old to decide on), going straight to its decision with the
    /// recorded result, or, for a step that was running when the session died, asking the
    /// operator whether to run it again, mark it done or skip it.
    pub async fn resume(&mut self, entry: usize, point: ResumePoint) -> RunEnd {
        let Some(ep) = self.graph.entry_points.get(entry) else {
            return RunEnd::Aborted;
        };
        for (k, v) in point.captures {
            self.captures.insert(k, v);
        }
        for r in point.results {
            self.results.insert(r.step.clone(), r);
        }
        self.sink.event(&Event::SessionStarted { runbook: &self.graph.title, entry: &ep.id, entry_title: &ep.title });
        let next = match point.at {
            ResumeAt::Run => Next::Go(Some(point.step)),
            ResumeAt::Decide(record) => {
                let ok = record.outcome.is_ok();
                self.results.insert(record.step.clone(), *record);
                self.after(point.step, ok).await
            }
            ResumeAt::InFlight => self.in_flight(point.step).await,
            ResumeAt::Chosen(choice) => self.apply_in_flight(point.step, choice).await,
        };
        let first = match next {
            Next::Go(n) => n,
            Next::Again | Next::Back => Some(point.step),
            // A resumed walk has no history: nothing to go back to.
            Next::BackToDecision => None,
            Next::End(end) => {
                self.finish(&end);
                return end;
            }
        };
        let end = self.walk(first).await;
        self.finish(&end);
        end
    }

    /// A step was running when the session died (its process group died with it, but what it
    /// had done by then stays done): never run it again without the operator saying so.
    async fn in_flight(&mut self, i: usize) -> Next {
        let step = &self.graph.steps[i];
        let item = |label: &str, action: Action, detail: &str| MenuItem {
            declined: false,
            label: label.into(),
            action,
            detail: Some(detail.into()),
        };
        let menu = Menu {
            items: vec![
                item("Run it again", Action::Retry, "if it had not done its work: whatever it did may happen twice"),
                item("Mark it done", Action::Continue, "it completed: go on as if it had succeeded (its result is unknown)"),
                item("Skip it", Action::Skip, "go on to the next step without it"),
                MenuItem { declined: false, label: "Abort".into(), action: Action::Abort, detail: None },
            ],
            suggested: None,
            reason: None,
            prompt: format!("{} was running when the session died and may have completed: run it again, mark it done or skip it?", step.id),
        };
        let choice = match self.ops.in_flight(step, &menu) {
            Ok(c) => menu.items.get(c).map(|item| item.action.clone()),
            Err(stop) => return Next::End(self.stopped(&step.id, stop)),
        };
        let choice = match choice {
            Some(Action::Retry) => InFlight::Rerun,
            Some(Action::Continue) => InFlight::Done,
            Some(Action::Skip) => InFlight::Skip,
            _ => return Next::End(RunEnd::Aborted),
        };
        // Recorded before it is acted on: a session killed again resumes with this choice.
        self.sink.event(&Event::InFlight { step, choice });
        self.apply_in_flight(i, choice).await
    }

    async fn apply_in_flight(&mut self, i: usize, choice: InFlight) -> Next {
        match choice {
            InFlight::Rerun => Next::Go(Some(i)),
            // Its branches are offered with no result to suggest one.
            InFlight::Done => self.after(i, true).await,
            InFlight::Skip => Next::Go(self.sequence_next(i)),
        }
    }

    /// The step after `i` in the runbook's order, if any.
    fn sequence_next(&self, i: usize) -> Option<usize> {
        let id = &self.graph.steps[i].id;
        self.graph
            .edges
            .iter()
            .find(|e| &e.from == id && e.kind == EdgeKind::Sequence)
            .and_then(|e| e.to.as_deref())
            .and_then(|t| self.graph.step_index(t))
    }

    fn finish(&mut self, end: &RunEnd) {
        let (status, message) = match end {
            RunEnd::Finished => (EndStatus::Finished, String::new()),
            RunEnd::Aborted => (EndStatus::Aborted, String::new()),
            RunEnd::NeedsAnswer { question, .. } => (EndStatus::NeedsAnswer, question.clone()),
        };
        self.sink.event(&Event::SessionFinished { status, message: &message });
    }

    async fn walk(&mut self, mut current: Option<usize>) -> RunEnd {
        let mut history: Vec<usize> = Vec::new();
        let mut count = 0;
        while let Some(i) = current {
            count += 1;
            // A guard against answers that loop forever (`retry` answered every time).
            if count > MAX_STEPS {
                let message = format!("stopped after {MAX_STEPS} steps: the walk seems to loop");
                self.sink.event(&Event::StepSkipped { step: &self.graph.steps[i], reason: &message, by_operator: false });
                return RunEnd::Aborted;
            }
            let next = self.step(i, count).await;
            current = match next {
                Next::Go(n) => {
                    history.push(i);
                    n
                }
                Next::Again => Some(i),
                Next::Back => Some(history.pop().unwrap_or(i)),
                Next::BackToDecision => {
                    let graph = self.graph;
                    let is_decision = |k: &usize| graph.edges.iter().any(|e| e.from == graph.steps[*k].id && e.kind == EdgeKind::Branch);
                    while history.last().is_some_and(|k| !is_decision(k)) {
                        history.pop();
                    }
                    // No decision in this walk's history (a resumed session): the decision that
                    // branches to it; none at all, and the walk ends here.
                    history.pop().or_else(|| {
                        let id = &graph.steps[i].id;
                        graph
                            .edges
                            .iter()
                            .find(|e| e.kind == EdgeKind::Branch && e.to.as_deref() == Some(id.as_str()))
                            .and_then(|e| graph.step_index(&e.from))
                    })
                }
                Next::End(end) => return end,
            };
        }
        RunEnd::Finished
    }

    fn stopped(&self, step: &str, stop: Stop) -> RunEnd {
        match stop {
            Stop::Abort => RunEnd::Aborted,
            Stop::NoAnswer { question, options } => RunEnd::NeedsAnswer { step: step.to_owned(), question, options },
        }
    }

    /// Runs one step and decides where to go.
    async fn step(&mut self, i: usize, index: usize) -> Next {
        let graph = self.graph;
        let step = &graph.steps[i];

        // Parameters first: a step with an unresolved placeholder does not run, nor one where
        // a value would be read as code by a nested interpreter.
        let found = |name: &str| {
            // Earlier SQL results, in the runbook's order.
            let mut results: Vec<(usize, &str, &crate::result::SqlResult)> = self
                .results
                .iter()
                .filter_map(|(id, r)| match &r.outcome {
                    Ok(Outcome::Sql(sql)) if id != &step.id => Some((graph.step_index(id).unwrap_or(usize::MAX), id.as_str(), sql)),
                    _ => None,
                })
                .collect();
            // The result of the step that relates most to this one first (`DELETE FROM
            // login_attempts` offers what the `login_attempts` query found before the rest).
            let this = format!("{} {}", step.title, step.code);
            let related =
                |k: usize| graph.steps.get(k).map_or(0, |s| crate::suggest::relatedness(&this, &format!("{} {}", s.title, s.code)));
            results.sort_by_key(|(k, _, _)| (std::cmp::Reverse(related(*k)), *k));
            crate::value_choices::value_choices(name, results.into_iter().map(|(_, id, r)| (id, r)))
        };
        let resolved = self.params.resolve(graph, step, &self.captures, self.ops, &found);
        if let Ok(sources) = &resolved {
            for (name, source) in sources {
                let value = if self.params.is_secret(name) { SECRET_MASK } else { self.params.get(name).map_or("", String::as_str) };
                self.sink.event(&Event::ParamValue { step, name, value, source });
            }
        }
        if let Err(e) = resolved.and_then(|_| self.params.refuse_code_values(graph, step).map_err(ParamError::Invalid)) {
            return match e {
                ParamError::Stop(stop) => Next::End(self.stopped(&step.id, stop)),
                ParamError::Invalid(err) => {
                    let record =
                        StepRecord { step: step.id.clone(), outcome: Err(err), checks: Vec::new(), captures: Vec::new(), elapsed_ms: 0 };
                    let secrets = self.params.secret_values().into_iter().map(str::to_owned).collect::<Vec<_>>();
                    self.sink.event(&Event::StepFinished { step, record: &record.redacted(&secrets) });
                    self.results.insert(step.id.clone(), record);
                    self.after(i, false).await
                }
            };
        }

        let rendered = self.render(step);
        self.sink.event(&Event::StepStarted { step, index, rendered: &rendered });

        // How much a write would change, counted read-only before anyone confirms it.
        let impact = self.blast_radius(step).await;
        if let Some(impact) = &impact {
            self.sink.event(&Event::BlastRadius { step, impact });
        }

        // Risk gates.
        if let Some(gate) = self.gate(step) {
            match self.ops.confirm(step, &gate, impact.as_deref()) {
                Ok(true) => {}
                Ok(false) => {
                    // Declining is a choice: the walk goes on without this step.
                    self.sink.event(&Event::StepSkipped { step, reason: "declined by the operator", by_operator: true });
                    self.declined.insert(i);
                    return self.after_decline(i);
                }
                Err(Stop::NoAnswer { question, options }) => {
                    self.sink.event(&Event::StepSkipped { step, reason: "needs a confirmation", by_operator: false });
                    return Next::End(RunEnd::NeedsAnswer { step: step.id.clone(), question, options });
                }
                Err(Stop::Abort) => return Next::End(RunEnd::Aborted),
            }
        }

        let started = Instant::now();
        let outcome = match step.kind {
            StepKind::Manual => match self.ops.manual(step) {
                Ok(m) => Ok(Outcome::Manual(m)),
                Err(stop) => return Next::End(self.stopped(&step.id, stop)),
            },
            StepKind::Decision => Ok(Outcome::Decision),
            _ => {
                self.sink.event(&Event::Executing { step });
                self.execute(step).await
            }
        };
        let elapsed_ms = started.elapsed().as_millis() as u64;
        if let Some(stop) = self.pending_stop.take() {
            return Next::End(self.stopped(&step.id, stop));
        }
        let ok = outcome.is_ok();
        let (checks, captures) = match &outcome {
            Ok(o) => self.evaluate(step, o, elapsed_ms),
            Err(_) => (Vec::new(), Vec::new()),
        };
        for (k, v) in &captures {
            self.captures.insert(k.clone(), v.clone());
            // A captured secret (`TOKEN=$(…)`) is masked from here on, starting with this record.
            let secret = is_secret_capture(self.graph, k);
            if secret && let Some(text) = v.as_str().filter(|t| !t.is_empty()) {
                self.params.set_secret(k, text.to_owned());
            }
        }
        let record = StepRecord { step: step.id.clone(), outcome, checks, captures, elapsed_ms };
        let secrets = self.params.secret_values().into_iter().map(str::to_owned).collect::<Vec<_>>();
        self.sink.event(&Event::StepFinished { step, record: &record.redacted(&secrets) });
        self.results.insert(step.id.clone(), record);
        self.after(i, ok).await
    }

    fn gate(&self, step: &Step) -> Option<Gate> {
        let word = match &step.confirm {
            ConfirmKind::Word { word } => Some(word.clone()),
            _ => None,
        };
        match step.risk {
            // A word tied to the action (its table, resource or command), never the step id.
            Risk::Destructive if !self.config.allow_destructive => {
                Some(Gate::Word(word.unwrap_or_else(|| runbook_core::confirm_word::confirm_word(step))))
            }
            Risk::Write if !self.config.allow_writes => Some(word.map_or(Gate::YesNo, Gate::Word)),
            Risk::Read if step.confirm != ConfirmKind::None && !self.config.allow_writes => Some(word.map_or(Gate::YesNo, Gate::Word)),
            _ => None,
        }
    }

    /// What is about to run, for the operator and the journal; secrets masked.
    fn render(&self, step: &Step) -> Rendered {
        let show = |name: &str| -> (String, String) {
            let v = if self.params.is_secret(name) { SECRET_MASK.to_owned() } else { self.params.get(name).cloned().unwrap_or_default() };
            (name.to_owned(), v)
        };
        let params: Vec<(String, String)> = step.params.iter().map(|n| show(n)).collect();
        match step.kind {
            StepKind::Sql => {
                let dialect = self
                    .database_for(step)
                    .map(|(_, url)| if url.starts_with("sqlite:") { Dialect::Sqlite } else { Dialect::Postgres })
                    .unwrap_or(Dialect::Postgres);
                let target = self.database_for(step).map(|(name, url)| format!("{name} ({})", exec::sql::redact_url(&url)));
                Rendered { command: bind::bind_sql(step, dialect).text, params, target }
            }
            StepKind::Http if step.http.as_ref().is_some_and(|h| h.shell_reason.is_some()) => {
                let reason = step.http.as_ref().and_then(|h| h.shell_reason.clone()).unwrap_or_default();
                Rendered { command: bind::bind_shell(step).0, params, target: Some(format!("bash ({reason})")) }
            }
            StepKind::Http => {
                // The request as it will go out: method, URL after targets, headers and body,
                // with secret values masked (the masked values are bound here, not the real ones).
                let command = match bind::bind_http(step, &self.masked_values()) {
                    Ok(mut req) => {
                        // The mask was percent-encoded like any value; show it as the mask.
                        let encoded_mask =
                            percent_encoding::utf8_percent_encode(SECRET_MASK, percent_encoding::NON_ALPHANUMERIC).to_string();
                        req.url = req.url.replace(&encoded_mask, SECRET_MASK);
                        req.body = req.body.map(|b| b.replace(&encoded_mask, SECRET_MASK));
                        let mut lines = vec![format!("{} {}", req.method, bind::retarget(&req.url, &self.config.targets))];
                        lines.extend(req.headers.iter().map(|(k, v)| format!("{k}: {}", mask_auth(k, v))));
                        if let Some(user) = &req.basic_auth {
                            lines.push(format!("(basic auth as {})", user.split(':').next().unwrap_or(user)));
                        }
                        if let Some(body) = &req.body {
                            lines.push(String::new());
                            lines.push(body.clone());
                        }
                        lines.join("\n")
                    }
                    Err(e) => e,
                };
                Rendered { command, params, target: None }
            }
            StepKind::Shell => Rendered { command: bind::bind_shell(step).0, params, target: Some("bash".into()) },
            _ => Rendered { command: step.code.clone(), params, target: None },
        }
    }

    fn masked_values(&self) -> HashMap<String, String> {
        self.params
            .all()
            .iter()
            .map(|(k, v)| (k.clone(), if self.params.is_secret(k) { SECRET_MASK.to_owned() } else { v.clone() }))
            .collect()
    }

    /// The connection a SQL step uses: its target, else the only/default database.
    fn database_for(&self, step: &Step) -> Option<(String, String)> {
        if let Some(t) = &step.target
            && let Some(url) = self.config.databases.get(t)
        {
            return Some((t.clone(), url.clone()));
        }
        if let Some(url) = &self.config.default_database {
            return Some((step.target.clone().unwrap_or_else(|| "default".into()), url.clone()));
        }
        if self.config.databases.len() == 1 {
            return self.config.databases.iter().next().map(|(k, v)| (k.clone(), v.clone()));
        }
        None
    }

    fn timeout(&self, step: &Step) -> Duration {
        step.timeout_ms.map(Duration::from_millis).unwrap_or(self.config.default_timeout)
    }

    /// Builds what the step runs (values bound) and hands it to the executor. Which
    /// executor that is (live or rehearsal) is decided once, when the interpreter is made.
    async fn execute(&mut self, step: &Step) -> Result<Outcome, StepError> {
        let timeout = self.timeout(step);
        let shell = |this: &Self| {
            let (code, names) = bind::bind_shell(step);
            let mut env = bind::shell_env(step, this.params.all());
            // Parameters the annotation declares but the code reads itself (`${WAIT:-0}`) are
            // exported under their own names.
            for n in step.params.iter().filter(|n| {
                !names.contains(n)
                    && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && !n.starts_with(|c: char| c.is_ascii_digit())
            }) {
                if let Some(v) = this.params.get(n) {
                    env.push((n.clone(), v.clone()));
                }
            }
            // Variables a later step reads (`vars.TOKEN` captures) are read back at exit.
            let export = step.captures.iter().filter_map(|c| c.expr.strip_prefix("vars.")).map(str::to_owned).collect();
            Request::Shell { code, env, export, timeout }
        };
        let request = match step.kind {
            StepKind::Sql => {
                let Some((connection, url)) = self.database_for(step) else {
                    let what =
                        step.target.as_deref().map_or("no database is configured".to_owned(), |t| format!("no URL for connection `{t}`"));
                    return Err(StepError::new(ErrorKind::Connection, format!("{what}: pass --db [NAME=]URL or set DATABASE_URL")));
                };
                Request::Sql {
                    connection,
                    url,
                    values: self.params.all().clone(),
                    read_only: step.risk == Risk::Read,
                    max_rows: self.config.max_rows,
                    timeout,
                }
            }
            // A curl line that needs curl itself (`-o file`, a proxy, a longer pipeline) runs
            // through bash as written, with values passed as environment variables.
            StepKind::Http if step.http.as_ref().is_some_and(|h| h.shell_reason.is_some()) => shell(self),
            StepKind::Http => {
                let mut req = bind::bind_http(step, self.params.all()).map_err(|e| StepError::new(ErrorKind::Parameter, e))?;
                req.url = bind::retarget(&req.url, &self.config.targets);
                Request::Http { request: req, timeout }
            }
            StepKind::Shell => shell(self),
            StepKind::Manual | StepKind::Decision => return Ok(Outcome::Decision),
        };
        let result = self.executor.execute(step, request).await;
        match result {
            // The rehearsal has no recorded outcome for this step: the operator tells it.
            Err(e) if e.kind == ErrorKind::NoFixture => match self.ops.rehearsal_outcome(step) {
                Ok(outcome) => outcome,
                Err(stop) => {
                    // Nobody can say what happened: the walk stops here.
                    self.pending_stop = Some(stop);
                    Err(e)
                }
            },
            other => other,
        }
    }

    /// The expression context: the step's result, captures and public parameters.
    fn context(&self, outcome: Option<&Outcome>) -> Map<String, Value> {
        let mut ctx = outcome.map(Outcome::context).unwrap_or_default();
        for (k, v) in &self.captures {
            ctx.entry(k.clone()).or_insert(v.clone());
        }
        let public = self.params.public();
        for (k, v) in &public {
            ctx.entry(k.clone()).or_insert(v.clone());
        }
        ctx.insert("captures".into(), Value::Object(self.captures.clone()));
        ctx.insert("params".into(), Value::Object(public));
        ctx
    }

    fn evaluate(&self, step: &Step, outcome: &Outcome, elapsed_ms: u64) -> (Vec<CheckResult>, Vec<(String, Value)>) {
        let mut ctx = self.context(Some(outcome));
        ctx.entry("elapsed_ms").or_insert(elapsed_ms.into());
        let mut checks = Vec::new();
        for c in &step.checks {
            if let Some(that) = &c.that {
                let (level, actual) = match self.expressions.eval_bool(that, &ctx) {
                    Ok(true) => (Level::Pass, Value::Bool(true)),
                    Ok(false) => (c.level, Value::Bool(false)),
                    Err(e) => (c.level, Value::String(e)),
                };
                checks.push(CheckResult { name: c.name.clone(), level, actual, expected: that.clone() });
            }
            if let Some(value) = &c.value {
                let actual = self.expressions.eval(value, &ctx).unwrap_or_else(Value::String);
                let n = actual.as_f64().or_else(|| actual.as_str().and_then(|s| s.parse().ok()));
                let reached = |t: Option<f64>| match (n, t) {
                    (Some(n), Some(t)) => match c.direction {
                        Direction::Above => n >= t,
                        Direction::Below => n <= t,
                    },
                    _ => false,
                };
                // A value that is not a number cannot pass a threshold.
                let level = if n.is_none() || reached(c.critical) {
                    Level::Critical
                } else if reached(c.warning) {
                    Level::Warning
                } else {
                    Level::Pass
                };
                let op = if c.direction == Direction::Above { "≥" } else { "≤" };
                let mut expected = Vec::new();
                if let Some(w) = c.warning {
                    expected.push(format!("warning {op} {w}"));
                }
                if let Some(cr) = c.critical {
                    expected.push(format!("critical {op} {cr}"));
                }
                checks.push(CheckResult { name: c.name.clone(), level, actual, expected: expected.join(", ") });
            }
        }
        let mut captures = Vec::new();
        for cap in &step.captures {
            let v = self.expressions.eval(&cap.expr, &ctx).unwrap_or(Value::Null);
            captures.push((cap.name.clone(), v));
        }
        (checks, captures)
    }

    /// After a step: evaluate branch conditions, suggest one, ask the operator.
    async fn after(&mut self, i: usize, ok: bool) -> Next {
        let graph = self.graph;
        let step = &graph.steps[i];
        let edges: Vec<(usize, &runbook_core::Edge)> = graph.edges.iter().enumerate().filter(|(_, e)| e.from == step.id).collect();
        let branches: Vec<(usize, &runbook_core::Edge)> = edges.iter().copied().filter(|(_, e)| e.kind == EdgeKind::Branch).collect();
        let sequence = edges.iter().find(|(_, e)| e.kind == EdgeKind::Sequence).map(|(_, e)| e);
        let next_of = |to: &Option<String>| to.as_deref().and_then(|t| graph.step_index(t));

        if ok && branches.is_empty() {
            return Next::Go(sequence.and_then(|e| next_of(&e.to)));
        }
        let ctx = self.context(self.results.get(&step.id).and_then(|r| r.outcome.as_ref().ok()));
        let mut items: Vec<MenuItem> = Vec::new();
        let mut suggested = None;
        for (ei, e) in &branches {
            let detail = e.when.clone().map(|w| format!("when {w}")).or_else(|| e.judgement.clone());
            if ok
                && suggested.is_none()
                && !next_of(&e.to).is_some_and(|t| self.declined.contains(&t))
                && let Some(w) = &e.when
                && self.expressions.eval_bool(w, &ctx).unwrap_or(false)
            {
                suggested = Some(items.len());
            }
            let declined = next_of(&e.to).is_some_and(|t| self.declined.contains(&t));
            let detail = if declined { Some(DECLINED_NOTE.to_owned()) } else { detail };
            items.push(MenuItem {
                declined,
                label: e.label.clone().unwrap_or_else(|| "continue".into()),
                action: Action::Branch(*ei),
                detail,
            });
        }
        // No condition held: the one branch without a condition is the "otherwise".
        if ok && suggested.is_none() {
            let unconditional: Vec<usize> =
                branches.iter().enumerate().filter(|(_, (_, e))| e.when.is_none() && e.judgement.is_none()).map(|(k, _)| k).collect();
            if unconditional.len() == 1 && branches.iter().any(|(_, e)| e.when.is_some()) {
                suggested = Some(unconditional[0]);
            }
        }
        // No author condition speaks: weigh each option against what the diagnosis found.
        let mut reason = None;
        if ok && !branches.is_empty() && branches.iter().all(|(_, e)| e.when.is_none()) {
            let mut suggestion = self.suggestion(&branches);
            // A declined option is never suggested: the best of the others is.
            suggestion.best = crate::suggest::best(&suggestion.verdicts, |k| items[k].declined);
            for (k, verdict) in suggestion.verdicts.iter().enumerate() {
                let Some(v) = verdict else { continue };
                if items[k].declined {
                    continue;
                }
                if suggestion.best == Some(k) {
                    reason = Some(v.reason.clone());
                } else {
                    items[k].detail = Some(format!("{}: {}", if v.supports() { "supported" } else { "against" }, v.reason));
                }
            }
            suggested = suggestion.best;
        }
        // Past the limit a step is not offered again: the walk goes on through the menu.
        let retried = self.retries.get(&i).copied().unwrap_or(0);
        let may_retry = retried < self.config.max_retries;
        if !ok {
            if may_retry {
                items.insert(0, MenuItem { declined: false, label: "Retry this step".into(), action: Action::Retry, detail: None });
                suggested = Some(0);
            }
            items.push(MenuItem { declined: false, label: "Skip this step".into(), action: Action::Skip, detail: None });
        } else if may_retry {
            items.push(MenuItem { declined: false, label: "Run this step again".into(), action: Action::Retry, detail: None });
        }
        items.push(MenuItem { declined: false, label: "Back to the previous step".into(), action: Action::Back, detail: None });
        items.push(MenuItem { declined: false, label: "Abort".into(), action: Action::Abort, detail: None });
        let mut prompt = if ok { format!("{}: which way?", step.id) } else { format!("{} failed: what now?", step.id) };
        if !may_retry {
            prompt.push_str(&format!(" (run again {retried} times: the limit, --max-retries {})", self.config.max_retries));
        }
        let menu = Menu { items, suggested, prompt, reason };
        let choice = match self.ops.decide(step, &menu) {
            Ok(c) if c < menu.items.len() => c,
            Ok(_) => return Next::End(RunEnd::Aborted),
            Err(stop) => return Next::End(self.stopped(&step.id, stop)),
        };
        let item = &menu.items[choice];
        let suggested_label = menu.suggested.map(|s| menu.items[s].label.as_str());
        let (next, target) = match &item.action {
            Action::Branch(ei) => {
                let to = graph.edges[*ei].to.clone();
                (Next::Go(next_of(&to)), to)
            }
            Action::Continue | Action::Skip => {
                let to = sequence.and_then(|e| e.to.clone());
                (Next::Go(next_of(&to)), to)
            }
            Action::Retry => {
                *self.retries.entry(i).or_insert(0) += 1;
                (Next::Again, Some(step.id.clone()))
            }
            Action::Back => (Next::Back, None),
            Action::Abort => (Next::End(RunEnd::Aborted), None),
        };
        let reason = menu.reason.as_deref().filter(|_| menu.suggested.is_some());
        let evidence: Vec<String> = menu
            .items
            .iter()
            .enumerate()
            .filter_map(|(k, it)| match (&it.detail, menu.suggested == Some(k)) {
                (_, true) => reason.map(|r| format!("{}: suggested: {r}", it.label)),
                (Some(d), false) if d.starts_with("supported: ") || d.starts_with("against: ") => Some(format!("{}: {d}", it.label)),
                _ => None,
            })
            .collect();
        self.sink.event(&Event::Decision {
            step,
            chosen: &item.label,
            suggested: suggested_label,
            reason,
            evidence: &evidence,
            target: target.as_deref(),
        });
        next
    }

    /// The evidence of this walk's results, weighed for each branch (see [`crate::suggest`]).
    fn suggestion(&self, branches: &[(usize, &runbook_core::Edge)]) -> crate::suggest::Suggestion {
        use crate::suggest::{Choice, Evidence, Finding};
        let graph = self.graph;
        let mut ran: Vec<(usize, &StepRecord)> = self.results.iter().filter_map(|(id, r)| graph.step_index(id).map(|k| (k, r))).collect();
        ran.sort_by_key(|(k, _)| *k);
        let evidence: Vec<Evidence<'_>> = ran
            .iter()
            .filter_map(|(k, r)| {
                let step = &graph.steps[*k];
                let failed_checks: Vec<&CheckResult> = r.checks.iter().filter(|c| c.level != Level::Pass).collect();
                let finding = match &r.outcome {
                    Ok(Outcome::Decision | Outcome::Manual(_)) => return None,
                    _ if !failed_checks.is_empty() => {
                        Finding::Checks { failed: failed_checks.len(), first: Some(failed_checks[0].name.clone()) }
                    }
                    Ok(Outcome::Sql(sql)) => Finding::Rows(sql.row_count),
                    Ok(Outcome::Http(h)) => Finding::HttpStatus(h.status),
                    Ok(Outcome::Shell(s)) => Finding::ExitCode(s.exit_code),
                    // A request or command that could not run says something; a query error does not.
                    Err(_) if matches!(step.kind, StepKind::Http | StepKind::Shell) => Finding::Failed,
                    Err(_) => return None,
                };
                Some(Evidence { title: &step.title, code: &step.code, finding })
            })
            .collect();
        let texts: Vec<String> = branches
            .iter()
            .map(|(_, e)| {
                let target = e.to.as_deref().and_then(|t| graph.step_index(t)).map(|t| &graph.steps[t]);
                target.map(|t| format!("{} {}", t.title, t.code)).unwrap_or_default()
            })
            .collect();
        let choices: Vec<Choice<'_>> =
            branches.iter().zip(&texts).map(|((_, e), text)| Choice { label: e.label.as_deref().unwrap_or(""), text }).collect();
        crate::suggest::suggest(&choices, &evidence)
    }

    /// A gate was declined: on to the next step in the runbook's order, or, for a step with
    /// none (a fix chosen at a decision), back to the decision to choose again.
    fn after_decline(&mut self, i: usize) -> Next {
        match self.sequence_next(i) {
            Some(n) => Next::Go(Some(n)),
            None => Next::BackToDecision,
        }
    }

    /// The rows a SQL write would touch, each statement counted read-only with the write's
    /// bound values; `None` for steps that are not SQL writes.
    async fn blast_radius(&mut self, step: &Step) -> Option<String> {
        if step.kind != StepKind::Sql || step.risk == Risk::Read {
            return None;
        }
        let Some((connection, url)) = self.database_for(step) else {
            return Some("cannot estimate the rows it touches: no database is configured".into());
        };
        let (dialect, flavor) = if url.starts_with("sqlite:") {
            (Dialect::Sqlite, runbook_core::blast_radius::SqlFlavor::Sqlite)
        } else {
            (Dialect::Postgres, runbook_core::blast_radius::SqlFlavor::Postgres)
        };
        let mut parts = Vec::new();
        for statement in exec::sql::statements(step, dialect) {
            let query = match runbook_core::blast_radius::count_query(&statement.text, flavor) {
                None => continue,
                Some(Err(why)) => {
                    parts.push(format!("cannot estimate the rows it touches ({why})"));
                    continue;
                }
                Some(Ok(q)) => q,
            };
            let values: Option<Vec<String>> = query
                .params
                .iter()
                .map(|&n| statement.names.get(n.wrapping_sub(1)).and_then(|name| self.params.get(name)).cloned())
                .collect();
            let Some(values) = values else {
                parts.push("cannot estimate the rows it touches (a value is missing)".into());
                continue;
            };
            let request = exec::blast_radius::CountRequest {
                connection: connection.clone(),
                url: url.clone(),
                text: query.text.clone(),
                values,
                timeout: self.timeout(step),
            };
            match self.executor.count(request).await {
                Ok(rows) => parts.push(query.verb.describe(rows, &query.table)),
                Err(e) => parts.push(format!("cannot estimate the rows it touches ({})", e.message)),
            }
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }

    pub fn manual_done() -> ManualResult {
        ManualResult { done: true, note: None }
    }
}

/// Whether a captured name is a secret: the graph says so, or its name does.
fn is_secret_capture(graph: &runbook_core::Graph, name: &str) -> bool {
    graph.parameter(name).map_or_else(|| runbook_core::build::is_secret_name(name), |p| p.secret)
}
