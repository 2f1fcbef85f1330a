//! Sessions: every `run` and `rehearse` writes a journal; `sessions` lists them, `resume`
//! continues one, `transcript` renders or verifies one.

use super::run::{CriticalChecks, Start, config, exit_status, permissions, reporter, walk};
use super::session_files::{find, journal_dir, operator};
use crate::cli::{ColorChoice, ResumeArgs, SessionsArgs, TranscriptArgs, TranscriptFormat};
use crate::{exit, files};
use anyhow::{Context, Result, bail};
use runbook_core::annotation::Timeout;
use runbook_engine::answers::Answers;
use runbook_engine::events::{EventSink, Fanout};
use runbook_engine::journal::{self, Journal};
use runbook_engine::operator::InFlight;
use runbook_engine::result::{ErrorKind, HttpResult, ManualResult, Outcome, ShellResult, SqlResult, StepError, StepRecord};
use runbook_engine::{ResumeAt, ResumePoint};
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub fn list(args: &SessionsArgs) -> Result<u8> {
    let dir = journal_dir(args.journal_dir.as_ref());
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|e| e == "jsonl")).collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    if files.is_empty() {
        eprintln!("no sessions in {}", dir.display());
        return Ok(exit::OK);
    }
    println!("{:<24} {:<9} {:<24} {:<32} {:<20} state", "id", "mode", "runbook", "entry", "started");
    for f in files {
        let events = journal::read(&f).unwrap_or_default();
        let header = events.iter().find(|e| e["type"] == "session").cloned().unwrap_or(Value::Null);
        let entry = events.iter().find(|e| e["type"] == "entry").map(|e| e["entry"].as_str().unwrap_or("").to_owned()).unwrap_or_default();
        let state = events
            .iter()
            .rev()
            .find(|e| e["type"] == "end")
            .map_or("interrupted".to_owned(), |e| e["status"].as_str().unwrap_or("").to_owned());
        let runbook =
            header["runbook"].as_str().and_then(|p| Path::new(p).file_name()).map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let started = header["ts"].as_str().unwrap_or("").get(..19).unwrap_or("").replace('T', " ");
        println!(
            "{:<24} {:<9} {:<24} {:<32} {:<20} {state}",
            header["id"].as_str().unwrap_or("?"),
            header["mode"].as_str().unwrap_or(""),
            runbook,
            entry,
            started
        );
    }
    Ok(exit::OK)
}

pub fn transcript(args: &TranscriptArgs) -> Result<u8> {
    let dir = journal_dir(args.journal_dir.as_ref());
    if args.id == "verify" {
        let id = args.verify_id.as_deref().context("usage: runbook transcript verify ID")?;
        let path = find(&dir, id)?;
        return Ok(match journal::verify(&path)? {
            Ok(v) => {
                println!("{}: {} events, hash chain intact, ends where its head record says", path.display(), v.events);
                if let Some(t) = &v.torn {
                    println!("{}:{}: {}", path.display(), t.line, torn_note(t));
                }
                if v.head_behind {
                    println!("note: the head record names the event before the last: the process died between the two writes");
                }
                exit::OK
            }
            Err(b) => {
                println!("{}:{}: {}", path.display(), b.line, b.problem);
                exit::ERRORS
            }
        });
    }
    let path = find(&dir, &args.id)?;
    let events = journal::read(&path)?;
    let text = match args.format {
        TranscriptFormat::Md => runbook_engine::transcript::markdown(&events),
        TranscriptFormat::Html => runbook_engine::transcript::html(&events).map_err(anyhow::Error::msg)?,
        TranscriptFormat::Json => serde_json::to_string_pretty(&runbook_engine::transcript::timeline(&events))? + "\n",
    };
    match &args.output {
        Some(out) => std::fs::write(out, text).with_context(|| format!("cannot write `{}`", out.display()))?,
        None => print!("{text}"),
    }
    Ok(exit::OK)
}

fn torn_note(t: &journal::Torn) -> String {
    format!("the last line is torn ({} bytes without an end: a crash while it was written); it is left out", t.bytes)
}

/// A journal's step result back as a record, for deciding after a resume.
fn record_of(e: &Value) -> StepRecord {
    let r = &e["result"];
    let step = e["step"].as_str().unwrap_or("").to_owned();
    let outcome = if let Some(err) = r.get("error") {
        Err(StepError::new(ErrorKind::Unsupported, err["message"].as_str().unwrap_or("failed").to_owned()))
    } else {
        Ok(match r["kind"].as_str() {
            Some("sql") => Outcome::Sql(SqlResult {
                columns: r["columns"]
                    .as_array()
                    .map(|c| c.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
                    .unwrap_or_default(),
                rows: r["rows"].as_array().map(|rows| rows.iter().filter_map(|x| x.as_object().cloned()).collect()).unwrap_or_default(),
                row_count: r["row_count"].as_u64().unwrap_or(0),
                truncated: r["truncated"] == true,
                statements: 1,
            }),
            Some("http") => Outcome::Http(HttpResult {
                method: String::new(),
                url: r["url"].as_str().unwrap_or("").to_owned(),
                status: r["status"].as_u64().unwrap_or(0) as u16,
                headers: Vec::new(),
                body: r["body_excerpt"].as_str().unwrap_or("").to_owned(),
                json: r.get("json").cloned(),
                filtered: r.get("filtered").cloned(),
                elapsed_ms: r["elapsed_ms"].as_u64().unwrap_or(0),
                notes: Vec::new(),
            }),
            Some("shell") => Outcome::Shell(ShellResult {
                exit_code: r["exit_code"].as_i64().unwrap_or(0) as i32,
                stdout: r["stdout"].as_str().unwrap_or("").to_owned(),
                stderr: r["stderr"].as_str().unwrap_or("").to_owned(),
                vars: Default::default(),
            }),
            Some("manual") => Outcome::Manual(ManualResult { done: r["done"] == true, note: r["note"].as_str().map(str::to_owned) }),
            _ => Outcome::Decision,
        })
    };
    StepRecord { step, outcome, checks: Vec::new(), captures: Vec::new(), elapsed_ms: e["elapsed_ms"].as_u64().unwrap_or(0) }
}

fn age(ts: &str) -> Option<Duration> {
    // ts is journal::now_rfc3339(): YYYY-MM-DDTHH:MM:SS.mmmZ
    let parse = |s: &str| -> Option<u64> {
        let (date, time) = s.split_once('T')?;
        let mut d = date.split('-').map(|x| x.parse::<i64>().ok());
        let (y, m, day) = (d.next()??, d.next()??, d.next()??);
        let mut t = time.trim_end_matches('Z').split(':');
        let (h, mi) = (t.next()?.parse::<u64>().ok()?, t.next()?.parse::<u64>().ok()?);
        let (sec, ms) = t.next()?.split_once('.').unwrap_or(("0", "0"));
        let (sec, ms) = (sec.parse::<u64>().ok()?, ms.parse::<u64>().unwrap_or(0));
        // Days from civil (inverse of the journal's conversion).
        let y2 = if m <= 2 { y - 1 } else { y };
        let era = y2.div_euclid(400);
        let yoe = y2 - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        Some((days as u64 * 86_400 + h * 3600 + mi * 60 + sec) * 1000 + ms)
    };
    let then = parse(ts)?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?.as_millis() as u64;
    Some(Duration::from_millis(now.saturating_sub(then)))
}

pub fn resume(args: &ResumeArgs, color: ColorChoice) -> Result<u8> {
    let dir = journal_dir(args.journal_dir.as_ref());
    let path = find(&dir, &args.id)?;
    match journal::verify(&path)? {
        Err(b) => {
            eprintln!("error: {}:{}: {}; the journal cannot be trusted, not resuming", path.display(), b.line, b.problem);
            return Ok(exit::ERRORS);
        }
        Ok(v) => {
            if let Some(t) = &v.torn {
                eprintln!("note: {}:{}: {}; resuming from the last whole event", path.display(), t.line, torn_note(t));
            }
        }
    }
    let events = journal::read(&path)?;
    let header = events.iter().find(|e| e["type"] == "session").context("the journal has no session header")?;
    // Resume has only live executors: continuing a rehearsal would contact the real systems it
    // promised never to touch.
    if header["mode"] == "rehearse" {
        eprintln!(
            "error: session {} is a rehearsal; resuming it would run its steps against real systems (rehearse it again instead)",
            header["id"].as_str().unwrap_or("")
        );
        return Ok(exit::ERRORS);
    }
    if let Some(end) = events.iter().rev().find(|e| e["type"] == "end")
        && end["status"] != "needs-answer"
    {
        println!("session {} already {}; nothing to resume", header["id"].as_str().unwrap_or(""), end["status"].as_str().unwrap_or(""));
        return Ok(exit::OK);
    }
    let runbook = PathBuf::from(header["runbook"].as_str().unwrap_or(""));
    let compiled = files::compile(&runbook)?;
    if compiled.has_errors() {
        bail!("`{}` now has errors; fix them before resuming", runbook.display());
    }
    let graph = &compiled.graph;
    let changed = journal::sha256_hex(&std::fs::read(&runbook).unwrap_or_default()) != header["runbook_sha256"].as_str().unwrap_or("");
    if changed {
        eprintln!("note: {} changed since the session started; steps are matched by id", runbook.display());
    }
    let entry_id =
        events.iter().find(|e| e["type"] == "entry").and_then(|e| e["entry"].as_str()).context("the session never started a problem")?;
    let entry = graph
        .entry_points
        .iter()
        .position(|e| e.id == entry_id)
        .with_context(|| format!("the runbook no longer has entry point `{entry_id}`"))?;

    // What the session had: parameters (secrets were never written), captures, and where it was.
    let mut params: Vec<(String, String)> = Vec::new();
    let mut captures = Map::new();
    for e in &events {
        if e["type"] == "step_start" {
            for (k, v) in e["params"].as_object().into_iter().flatten() {
                if let Some(v) = v.as_str().filter(|v| *v != runbook_engine::events::SECRET_MASK) {
                    params.retain(|(n, _)| n != k);
                    params.push((k.clone(), v.to_owned()));
                }
            }
        }
        if e["type"] == "step_result" {
            for (k, v) in e["captures"].as_object().into_iter().flatten() {
                // A masked capture is no value: the step that captures it, or the operator,
                // provides it again.
                if v.as_str() == Some(runbook_engine::events::SECRET_MASK) {
                    captures.remove(k);
                } else {
                    captures.insert(k.clone(), v.clone());
                }
            }
        }
    }
    // The results it had seen: evidence for suggestions and values to offer after the resume.
    let earlier: Vec<StepRecord> = events.iter().filter(|e| e["type"] == "step_result").map(record_of).collect();
    let last = events
        .iter()
        .rev()
        .find(|e| matches!(e["type"].as_str(), Some("step_start" | "step_running" | "step_result" | "decision" | "in_flight")))
        .context("the session has no step yet; start it again")?;
    let step_of = |e: &Value| -> Result<usize> {
        let id = e["step"].as_str().unwrap_or("");
        graph.step_index(id).with_context(|| format!("the runbook no longer has step `{id}`"))
    };
    let fresh_for = Timeout::parse(&args.fresh_for)
        .map(|t| Duration::from_millis(t.0))
        .with_context(|| format!("--fresh-for `{}`: try 15m or 90s", args.fresh_for))?;
    let (point, note) = match last["type"].as_str() {
        Some("decision") => match last["to"].as_str() {
            Some(to) => (
                ResumePoint {
                    step: graph.step_index(to).with_context(|| format!("the runbook no longer has step `{to}`"))?,
                    at: ResumeAt::Run,
                    captures,
                    results: earlier.clone(),
                },
                format!("continuing at {to}"),
            ),
            None => {
                println!("session already reached its end; nothing to resume");
                return Ok(exit::OK);
            }
        },
        Some("step_result") => {
            let i = step_of(last)?;
            // The diagnosis the pending decision rests on: the run of read steps that led to it.
            let is_diagnosis = |idx: usize| {
                graph.steps[idx].risk == runbook_core::Risk::Read && !matches!(graph.steps[idx].kind, runbook_core::StepKind::Manual)
            };
            let mut chain: Vec<&Value> = Vec::new();
            for e in events.iter().rev().filter(|e| e["type"] == "step_result") {
                match e["step"].as_str().and_then(|id| graph.step_index(id)) {
                    Some(idx) if is_diagnosis(idx) => chain.push(e),
                    _ => break,
                }
            }
            let stale = chain.iter().any(|e| {
                let idx = e["step"].as_str().and_then(|id| graph.step_index(id)).unwrap_or(i);
                graph.steps[idx].kind != runbook_core::StepKind::Decision
                    && age(e["ts"].as_str().unwrap_or("")).is_none_or(|a| a > fresh_for)
            });
            let first = chain
                .last()
                .and_then(|e| e["step"].as_str())
                .and_then(|id| graph.step_index(id))
                .filter(|&f| graph.steps[f].kind != runbook_core::StepKind::Decision);
            match (stale, first) {
                (true, Some(f)) => {
                    let note =
                        format!("diagnosis results are older than {}; running {} again before deciding", args.fresh_for, graph.steps[f].id);
                    (ResumePoint { step: f, at: ResumeAt::Run, captures, results: earlier.clone() }, note)
                }
                _ => (
                    ResumePoint { step: i, at: ResumeAt::Decide(Box::new(record_of(last))), captures, results: earlier.clone() },
                    format!("deciding after {}", graph.steps[i].id),
                ),
            }
        }
        // The step's executor had started: whatever it did may be done. The operator decides.
        Some("step_running") => {
            let i = step_of(last)?;
            (
                ResumePoint { step: i, at: ResumeAt::InFlight, captures, results: earlier.clone() },
                format!("{} was running when the session died", graph.steps[i].id),
            )
        }
        // A resume before this one recorded what to do with that step.
        Some("in_flight") => {
            let i = step_of(last)?;
            let choice: InFlight = serde_json::from_value(last["choice"].clone())
                .with_context(|| format!("the journal's in_flight event for {} has no valid choice", graph.steps[i].id))?;
            let at = if choice == InFlight::Rerun { ResumeAt::Run } else { ResumeAt::Chosen(choice) };
            (
                ResumePoint { step: i, at, captures, results: earlier.clone() },
                format!("{} was running when the session died; chosen: {}", graph.steps[i].id, choice.as_str()),
            )
        }
        _ => {
            let i = step_of(last)?;
            (
                ResumePoint { step: i, at: ResumeAt::Run, captures, results: earlier.clone() },
                format!(
                    "{} had started but not run yet (it waited for its gate, a value or the operator); starting it again",
                    graph.steps[i].id
                ),
            )
        }
    };
    eprintln!("resuming session {}: {note}", header["id"].as_str().unwrap_or(""));

    let mut cfg = config(&args.systems, graph)?;
    permissions(&mut cfg, &args.operator);
    // Values given now win over the recorded ones.
    for p in params.into_iter().rev() {
        if !cfg.params.iter().any(|(k, _)| k == &p.0) {
            cfg.params.push(p);
        }
    }
    let answers = match &args.operator.answers {
        Some(p) => Answers::load(p).map_err(anyhow::Error::msg)?,
        None => Answers::default(),
    };
    let mut j = Journal::reopen(&path)?;
    let mut resumed = json!({"operator": operator(), "from_step": graph.steps[point.step].id, "note": note, "runbook_changed": changed});
    if let Some(t) = &j.cut_torn_line {
        // The torn bytes are gone from the file now; the journal keeps that they were there.
        resumed["torn_line"] = json!({"line": t.line, "bytes": t.bytes});
    }
    j.append("resumed", resumed.as_object().cloned().unwrap_or_default())?;
    let mut rep = reporter(args.operator.output, color, false);
    let mut critical = CriticalChecks::from_journal(&events);
    let mut summary = crate::walk_summary::WalkSummary::new();
    let mut sink = Fanout(vec![rep.as_mut(), &mut j as &mut dyn EventSink, &mut critical, &mut summary]);
    let mut live = runbook_engine::exec::Live::default();
    let end = walk(
        graph,
        cfg,
        &mut live,
        answers,
        args.operator.answers.is_some(),
        args.operator.follow_suggestions,
        Start::Resume(entry, Box::new(point)),
        &mut sink,
    )?;
    drop(sink);
    let journal_path = j.path.clone();
    super::run::print_summary(&summary, &end, &journal_path, args.journal_dir.as_deref(), args.operator.output);
    Ok(exit_status(&end, &critical, &args.operator))
}
