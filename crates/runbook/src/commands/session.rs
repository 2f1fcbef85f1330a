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
use runbook_engine::journal::{self, Journal, JournalEvent, Timestamp, TornLine};
use runbook_engine::resume::{self, Freshness, Plan, Resumable, ResumeError};
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
        let t = runbook_engine::transcript::timeline(&events);
        let header = events.iter().find_map(|l| match &l.event {
            JournalEvent::Session(h) => Some(h),
            _ => None,
        });
        let entry = events
            .iter()
            .find_map(|l| match &l.event {
                JournalEvent::Entry { entry, .. } => Some(entry.as_str()),
                _ => None,
            })
            .unwrap_or_default();
        let runbook =
            t.runbook.as_deref().and_then(|p| Path::new(p).file_name()).map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let started = t.started.map(|ts| ts.to_string().get(..19).unwrap_or("").replace('T', " ")).unwrap_or_default();
        println!(
            "{:<24} {:<9} {:<24} {:<32} {:<20} {}",
            t.id.as_deref().unwrap_or("?"),
            header.map_or("", |h| h.mode.as_str()),
            runbook,
            entry,
            started,
            t.status
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
        // Through a `Value`: its keys come out sorted, as they always have.
        TranscriptFormat::Json => {
            serde_json::to_string_pretty(&serde_json::to_value(runbook_engine::transcript::timeline(&events))?)? + "\n"
        }
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
    let header = match resume::resumable(&events) {
        Ok(Resumable::Yes(header)) => header,
        Ok(Resumable::Over(message)) => {
            println!("{message}");
            return Ok(exit::OK);
        }
        Err(e @ ResumeError::Rehearsal { .. }) => {
            eprintln!("error: {e}");
            return Ok(exit::ERRORS);
        }
        Err(e) => return Err(e.into()),
    };
    let runbook = PathBuf::from(&header.runbook);
    let compiled = files::compile(&runbook)?;
    if compiled.has_errors() {
        bail!("`{}` now has errors; fix them before resuming", runbook.display());
    }
    let graph = &compiled.graph;
    let changed = journal::sha256_hex(&std::fs::read(&runbook).unwrap_or_default()) != header.runbook_sha256;
    if changed {
        eprintln!("note: {} changed since the session started; steps are matched by id", runbook.display());
    }
    let fresh_for = Timeout::parse(&args.fresh_for)
        .map(|t| Duration::from_millis(t.0))
        .with_context(|| format!("--fresh-for `{}`: try 15m or 90s", args.fresh_for))?;
    let fresh = Freshness { limit: fresh_for, label: &args.fresh_for };
    let plan = match resume::plan(graph, &events, fresh, Timestamp::now())? {
        Plan::Continue(c) => c,
        Plan::Over(message) => {
            println!("{message}");
            return Ok(exit::OK);
        }
    };
    let (entry, point, note, params) = (plan.entry, plan.point, plan.note, plan.params);
    eprintln!("resuming session {}: {note}", header.id);

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
    let resumed = JournalEvent::Resumed {
        operator: operator(),
        from_step: graph.steps[point.step].id.clone(),
        note,
        runbook_changed: changed,
        // The torn bytes are gone from the file now; the journal keeps that they were there.
        torn_line: j.cut_torn_line.as_ref().map(|t| TornLine { line: t.line, bytes: t.bytes }),
    };
    j.append(&resumed)?;
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
