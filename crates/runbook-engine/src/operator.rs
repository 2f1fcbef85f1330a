//! The operator: the person (or the answers file) who picks entry points and branches, fills
//! parameters and confirms risky steps. The engine asks; implementations answer.

use crate::result::ManualResult;
use runbook_core::model::{Graph, Parameter, Step};
use serde::{Deserialize, Serialize};

/// Why the operator did not answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// Nobody can answer (no terminal, no answer in the file): the run stops here.
    NoAnswer { question: String, options: Vec<String> },
    /// The operator chose to abort.
    Abort,
}

pub type Answer<T> = Result<T, Stop>;

/// What a mutating step needs before it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// A yes/no question (write steps, `confirm: true`).
    YesNo,
    /// The operator types this word (destructive steps).
    Word(String),
}

/// One line of the menu shown after a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuItem {
    pub label: String,
    pub action: Action,
    /// For branches: the author's condition or sentence, shown as help.
    pub detail: Option<String>,
    /// The branch leads to a step whose gate the operator declined earlier in this walk.
    pub declined: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Follow the edge with this index in `graph.edges`.
    Branch(usize),
    /// Go on to the next step (after a manual step or a failure).
    Continue,
    Retry,
    Skip,
    Back,
    Abort,
}

#[derive(Debug, Clone)]
pub struct Menu {
    pub items: Vec<MenuItem>,
    /// Index into `items` of the branch whose condition holds.
    pub suggested: Option<usize>,
    /// Why the menu is shown (a failure message, or "choose a branch").
    pub prompt: String,
    /// Why `suggested` is suggested, when the diagnosis' evidence (not an author's condition)
    /// points to it.
    pub reason: Option<String>,
}

/// What to do with a step that was running when its session died: it may or may not have
/// completed, so only the operator can say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InFlight {
    /// Run it again (its effect may happen twice).
    Rerun,
    /// It completed: go on as if it had succeeded (no result is known).
    Done,
    /// Go on to the next step without it.
    Skip,
}

impl InFlight {
    pub fn as_str(self) -> &'static str {
        match self {
            InFlight::Rerun => "rerun",
            InFlight::Done => "done",
            InFlight::Skip => "skip",
        }
    }
}

/// A parameter the engine needs a value for.
#[derive(Debug, Clone)]
pub struct ParamRequest<'a> {
    pub param: &'a Parameter,
    pub step: &'a Step,
    /// Offered value (a default or an earlier capture).
    pub default: Option<String>,
    /// Why the last value was refused, when asking again.
    pub problem: Option<String>,
    /// Values found in earlier results for a column of the parameter's name, to pick from
    /// (a person only: nobody picks one for a non-interactive run).
    pub choices: Vec<crate::value_choices::ValueChoice>,
}

pub trait Operator {
    fn choose_entry(&mut self, graph: &Graph) -> Answer<usize>;
    fn param(&mut self, request: &ParamRequest<'_>) -> Answer<String>;

    /// One of `request.choices` (values found in earlier results), or `None` to be asked for
    /// a value as usual. Only a person picks: the default, and every non-interactive operator,
    /// picks none.
    fn pick_value(&mut self, _request: &ParamRequest<'_>) -> Answer<Option<usize>> {
        Ok(None)
    }
    /// `impact`: what the step would change, when known (`deletes 1 row of login_attempts`).
    fn confirm(&mut self, step: &Step, gate: &Gate, impact: Option<&str>) -> Answer<bool>;
    fn decide(&mut self, step: &Step, menu: &Menu) -> Answer<usize>;
    fn manual(&mut self, step: &Step) -> Answer<ManualResult>;

    /// On resume, a step that was running when the session died: the menu offers run it again,
    /// mark it done, skip it and abort. A person sees it like any menu; an answers file answers
    /// it under `in_flight:` (see `AnswersOperator`), never under `decisions:`.
    fn in_flight(&mut self, step: &Step, menu: &Menu) -> Answer<usize> {
        self.decide(step, menu)
    }

    /// In a rehearsal, the outcome of a step no fixture describes: the operator says whether
    /// it worked and may type a short result.
    fn rehearsal_outcome(&mut self, step: &Step) -> Answer<Result<crate::result::Outcome, crate::result::StepError>> {
        Err(Stop::NoAnswer {
            question: format!("no fixture describes the outcome of {}", step.id),
            options: vec!["add it to the scenario".into()],
        })
    }
}
