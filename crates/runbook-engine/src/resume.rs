//! Where an interrupted session continues: read from its journal, which steps completed, which
//! one was in flight, what it had captured, and what to do first on resuming. No I/O: the
//! caller reads the journal and compiles the runbook.

use crate::events::{EndStatus, SECRET_MASK};
use crate::interpreter::{ResumeAt, ResumePoint};
use crate::journal::{JournalEvent, Line, Mode, SessionHeader, StepResultEvent, Timestamp};
use crate::operator::InFlight;
use crate::result::StepRecord;
use runbook_core::model::{Graph, Risk, StepKind};
use serde_json::Map;
use std::time::Duration;

/// Why a session cannot be resumed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResumeError {
    NoHeader,
    /// Resume has only live executors: continuing a rehearsal would contact the real systems
    /// it promised never to touch.
    Rehearsal {
        id: String,
    },
    NeverStarted,
    NoEntryPoint(String),
    NoStepYet,
    NoStep(String),
}

impl std::fmt::Display for ResumeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResumeError::NoHeader => write!(f, "the journal has no session header"),
            ResumeError::Rehearsal { id } => {
                write!(f, "session {id} is a rehearsal; resuming it would run its steps against real systems (rehearse it again instead)")
            }
            ResumeError::NeverStarted => write!(f, "the session never started a problem"),
            ResumeError::NoEntryPoint(id) => write!(f, "the runbook no longer has entry point `{id}`"),
            ResumeError::NoStepYet => write!(f, "the session has no step yet; start it again"),
            ResumeError::NoStep(id) => write!(f, "the runbook no longer has step `{id}`"),
        }
    }
}

impl std::error::Error for ResumeError {}

/// A session that may be resumed, or why there is nothing to.
#[derive(Debug)]
pub enum Resumable<'a> {
    Yes(&'a SessionHeader),
    /// It ended; the message says how.
    Over(String),
}

/// Whether the session of `events` can be resumed at all (before its runbook is read).
pub fn resumable(events: &[Line]) -> Result<Resumable<'_>, ResumeError> {
    let header = events
        .iter()
        .find_map(|l| match &l.event {
            JournalEvent::Session(h) => Some(h),
            _ => None,
        })
        .ok_or(ResumeError::NoHeader)?;
    if header.mode == Mode::Rehearse {
        return Err(ResumeError::Rehearsal { id: header.id.clone() });
    }
    let end = events.iter().rev().find_map(|l| match &l.event {
        JournalEvent::End { status, .. } => Some(*status),
        _ => None,
    });
    Ok(match end {
        Some(status) if status != EndStatus::NeedsAnswer => {
            Resumable::Over(format!("session {} already {status}; nothing to resume", header.id))
        }
        _ => Resumable::Yes(header),
    })
}

/// How old diagnosis results may be and still be decided on.
#[derive(Debug, Clone, Copy)]
pub struct Freshness<'a> {
    pub limit: Duration,
    /// The limit as the operator gave it (`15m`), for the note.
    pub label: &'a str,
}

/// What resuming does.
#[derive(Debug)]
pub enum Plan {
    Continue(Continuation),
    /// The last decision led to the end: nothing is left to run.
    Over(String),
}

#[derive(Debug)]
pub struct Continuation {
    /// The entry point the session started at, by index.
    pub entry: usize,
    pub point: ResumePoint,
    /// What resuming does, for the operator and the journal (`deciding after count`).
    pub note: String,
    /// Parameter values the session had (secrets were never written), the latest last.
    pub params: Vec<(String, String)>,
}

/// Plans the resume of the session of `events` on `graph`, its runbook as it is now (steps are
/// matched by id). Diagnosis results older than `fresh` at `now` are run again before the
/// decision that rests on them.
pub fn plan(graph: &Graph, events: &[Line], fresh: Freshness<'_>, now: Timestamp) -> Result<Plan, ResumeError> {
    let entry_id = events
        .iter()
        .find_map(|l| match &l.event {
            JournalEvent::Entry { entry, .. } => Some(entry.as_str()),
            _ => None,
        })
        .ok_or(ResumeError::NeverStarted)?;
    let entry = graph.entry_points.iter().position(|e| e.id == entry_id).ok_or_else(|| ResumeError::NoEntryPoint(entry_id.to_owned()))?;

    let mut params: Vec<(String, String)> = Vec::new();
    let mut captures = Map::new();
    let mut results: Vec<(&Line, &StepResultEvent)> = Vec::new();
    for line in events {
        match &line.event {
            JournalEvent::StepStart { params: given, .. } => {
                for (k, v) in given.iter().filter(|(_, v)| *v != SECRET_MASK) {
                    params.retain(|(n, _)| n != k);
                    params.push((k.clone(), v.clone()));
                }
            }
            JournalEvent::StepResult(r) => {
                results.push((line, r));
                for (k, v) in &r.captures {
                    // A masked capture is no value: the step that captures it, or the operator,
                    // provides it again.
                    if v.as_str() == Some(SECRET_MASK) {
                        captures.remove(k);
                    } else {
                        captures.insert(k.clone(), v.clone());
                    }
                }
            }
            _ => {}
        }
    }
    // The results it had seen: evidence for suggestions and values to offer after the resume.
    let earlier: Vec<StepRecord> = results.iter().map(|(_, r)| r.record()).collect();
    let last = events
        .iter()
        .rev()
        .find(|l| {
            matches!(
                l.event,
                JournalEvent::StepStart { .. }
                    | JournalEvent::StepRunning { .. }
                    | JournalEvent::StepResult(_)
                    | JournalEvent::Decision { .. }
                    | JournalEvent::InFlight { .. }
            )
        })
        .ok_or(ResumeError::NoStepYet)?;
    let index = |id: &str| graph.step_index(id).ok_or_else(|| ResumeError::NoStep(id.to_owned()));
    let go = |step: usize, at: ResumeAt, note: String| {
        Ok(Plan::Continue(Continuation {
            entry,
            point: ResumePoint { step, at, captures: captures.clone(), results: earlier.clone() },
            note,
            params: params.clone(),
        }))
    };
    match &last.event {
        JournalEvent::Decision { to: Some(to), .. } => go(index(to)?, ResumeAt::Run, format!("continuing at {to}")),
        JournalEvent::Decision { to: None, .. } => Ok(Plan::Over("session already reached its end; nothing to resume".to_owned())),
        JournalEvent::StepResult(r) => {
            let i = index(&r.step)?;
            // The diagnosis the pending decision rests on: the run of read steps that led to it.
            let is_diagnosis = |idx: usize| graph.steps[idx].risk == Risk::Read && graph.steps[idx].kind != StepKind::Manual;
            let chain: Vec<(usize, Timestamp)> = results
                .iter()
                .rev()
                .map_while(|(line, r)| graph.step_index(&r.step).filter(|&idx| is_diagnosis(idx)).map(|idx| (idx, line.ts)))
                .collect();
            let stale = chain.iter().any(|&(idx, ts)| graph.steps[idx].kind != StepKind::Decision && ts.age(now) > fresh.limit);
            let first = chain.last().map(|&(idx, _)| idx).filter(|&f| graph.steps[f].kind != StepKind::Decision);
            match (stale, first) {
                (true, Some(f)) => go(
                    f,
                    ResumeAt::Run,
                    format!("diagnosis results are older than {}; running {} again before deciding", fresh.label, graph.steps[f].id),
                ),
                _ => go(i, ResumeAt::Decide(Box::new(r.record())), format!("deciding after {}", graph.steps[i].id)),
            }
        }
        // The step's executor had started: whatever it did may be done. The operator decides.
        JournalEvent::StepRunning { step } => {
            let i = index(step)?;
            go(i, ResumeAt::InFlight, format!("{} was running when the session died", graph.steps[i].id))
        }
        // A resume before this one recorded what to do with that step.
        JournalEvent::InFlight { step, choice, .. } => {
            let i = index(step)?;
            let at = if *choice == InFlight::Rerun { ResumeAt::Run } else { ResumeAt::Chosen(*choice) };
            go(i, at, format!("{} was running when the session died; chosen: {}", graph.steps[i].id, choice.as_str()))
        }
        other => {
            let i = index(other.step().unwrap_or_default())?;
            go(
                i,
                ResumeAt::Run,
                format!(
                    "{} had started but not run yet (it waited for its gate, a value or the operator); starting it again",
                    graph.steps[i].id
                ),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{JournalEvent, Line};

    /// The fixture runbook and journals, written by the binary before events were typed.
    const RUNBOOK: &str = include_str!("../../../fixtures/journals/disk-full.md");
    const NEEDS_ANSWER: &str = include_str!("../../../fixtures/journals/needs-answer.jsonl");
    const FINISHED: &str = include_str!("../../../fixtures/journals/finished.jsonl");

    fn graph() -> Graph {
        runbook_core::compile(runbook_core::Source::new("disk-full.md", RUNBOOK)).graph
    }

    fn lines(text: &str) -> Vec<Line> {
        text.lines().map(|l| serde_json::from_str(l).expect("a journal line")).collect()
    }

    const FRESH: Freshness<'static> = Freshness { limit: Duration::from_secs(15 * 60), label: "15m" };

    /// A second after the last event.
    fn soon_after(events: &[Line]) -> Timestamp {
        Timestamp::from_millis(events.last().map_or(0, |l| l.ts.millis()) + 1000)
    }

    fn continuation(graph: &Graph, events: &[Line], now: Timestamp) -> Continuation {
        match plan(graph, events, FRESH, now).expect("plans") {
            Plan::Continue(c) => c,
            Plan::Over(m) => panic!("over: {m}"),
        }
    }

    fn append(events: &mut Vec<Line>, event: JournalEvent) {
        let last = events.last().cloned().expect("an event");
        events.push(Line { seq: last.seq + 1, ts: last.ts, prev: last.hash, hash: String::new(), event });
    }

    #[test]
    fn a_session_stopped_at_a_decision_decides_on_its_fresh_results() {
        let (graph, events) = (graph(), lines(NEEDS_ANSWER));
        assert!(matches!(resumable(&events), Ok(Resumable::Yes(h)) if h.runbook.ends_with("disk-full.md")));
        let c = continuation(&graph, &events, soon_after(&events));
        assert_eq!(c.note, "deciding after choose");
        assert_eq!(graph.steps[c.point.step].id, "choose");
        assert!(matches!(&c.point.at, ResumeAt::Decide(r) if r.step == "choose" && r.outcome.is_ok()));
        assert_eq!(c.point.captures.get("used").and_then(|v| v.as_str()), Some("used=97\n"));
        let completed: Vec<&str> = c.point.results.iter().map(|r| r.step.as_str()).collect();
        assert_eq!(completed, ["check-usage", "choose"]);
        assert_eq!(graph.entry_points[c.entry].id, "the-disk-is-full");
    }

    #[test]
    fn stale_diagnosis_runs_again_from_its_first_step() {
        let (graph, events) = (graph(), lines(NEEDS_ANSWER));
        let later = Timestamp::from_millis(soon_after(&events).millis() + 60 * 60 * 1000);
        let c = continuation(&graph, &events, later);
        assert_eq!(graph.steps[c.point.step].id, "check-usage");
        assert!(matches!(c.point.at, ResumeAt::Run));
        assert_eq!(c.note, "diagnosis results are older than 15m; running check-usage again before deciding");
    }

    #[test]
    fn a_finished_session_is_over() {
        let events = lines(FINISHED);
        assert!(matches!(resumable(&events), Ok(Resumable::Over(m)) if m.ends_with("already finished; nothing to resume")));
    }

    #[test]
    fn a_step_running_when_the_session_died_is_in_flight_until_the_operator_chooses() {
        let graph = graph();
        // Cut after `step_running` of check-usage: the process died while it ran.
        let mut events: Vec<Line> = lines(NEEDS_ANSWER).into_iter().take(4).collect();
        assert!(matches!(events[3].event, JournalEvent::StepRunning { .. }));
        let c = continuation(&graph, &events, soon_after(&events));
        assert!(matches!(c.point.at, ResumeAt::InFlight));
        assert_eq!(c.note, "check-usage was running when the session died");
        assert!(c.point.results.is_empty());
        // A resume recorded the choice, then died again: the choice holds.
        append(&mut events, JournalEvent::InFlight { step: "check-usage".into(), choice: InFlight::Done, note: String::new() });
        let c = continuation(&graph, &events, soon_after(&events));
        assert!(matches!(c.point.at, ResumeAt::Chosen(InFlight::Done)));
        append(&mut events, JournalEvent::InFlight { step: "check-usage".into(), choice: InFlight::Rerun, note: String::new() });
        assert!(matches!(continuation(&graph, &events, soon_after(&events)).point.at, ResumeAt::Run));
    }

    #[test]
    fn a_decision_continues_where_it_led_or_ends() {
        let graph = graph();
        let mut events: Vec<Line> = lines(NEEDS_ANSWER).into_iter().take(7).collect();
        let decision = |to: Option<&str>| JournalEvent::Decision {
            step: "choose".into(),
            chosen: "Old logs".into(),
            suggested: None,
            reason: None,
            evidence: Vec::new(),
            to: to.map(str::to_owned),
        };
        append(&mut events, decision(Some("rotate-logs")));
        let c = continuation(&graph, &events, soon_after(&events));
        assert_eq!((graph.steps[c.point.step].id.as_str(), c.note.as_str()), ("rotate-logs", "continuing at rotate-logs"));
        events.pop();
        append(&mut events, decision(None));
        assert!(matches!(plan(&graph, &events, FRESH, soon_after(&events)), Ok(Plan::Over(_))));
        events.pop();
        append(&mut events, decision(Some("gone")));
        assert_eq!(plan(&graph, &events, FRESH, soon_after(&events)).err(), Some(ResumeError::NoStep("gone".into())));
    }

    #[test]
    fn a_started_step_starts_again_and_masked_values_are_not_carried() {
        let graph = graph();
        let mut events: Vec<Line> = lines(NEEDS_ANSWER).into_iter().take(5).collect();
        let JournalEvent::StepResult(r) = &mut events[4].event else { panic!("a result") };
        r.captures.insert("token".into(), SECRET_MASK.into());
        append(
            &mut events,
            JournalEvent::StepStart {
                step: "rotate-logs".into(),
                index: 3,
                kind: StepKind::Shell,
                risk: Risk::Read,
                title: "Rotate".into(),
                command: "echo rotated".into(),
                target: None,
                params: [("KEEP".to_owned(), "7".to_owned()), ("PASSWORD".to_owned(), SECRET_MASK.to_owned())].into(),
            },
        );
        let c = continuation(&graph, &events, soon_after(&events));
        assert!(matches!(c.point.at, ResumeAt::Run));
        assert!(c.note.starts_with("rotate-logs had started but not run yet"), "{}", c.note);
        assert_eq!(c.params, [("KEEP".to_owned(), "7".to_owned())]);
        assert!(!c.point.captures.contains_key("token"));
    }

    #[test]
    fn rehearsals_and_sessions_without_a_step_are_not_resumed() {
        let graph = graph();
        let mut events = lines(NEEDS_ANSWER);
        assert_eq!(plan(&graph, &events[..2], FRESH, soon_after(&events)).err(), Some(ResumeError::NoStepYet));
        assert_eq!(plan(&graph, &events[..1], FRESH, soon_after(&events)).err(), Some(ResumeError::NeverStarted));
        let JournalEvent::Session(h) = &mut events[0].event else { panic!("a header") };
        h.mode = Mode::Rehearse;
        assert!(matches!(resumable(&events), Err(ResumeError::Rehearsal { .. })));
        assert_eq!(resumable(&events[1..]).err(), Some(ResumeError::NoHeader));
    }
}
