//! Sessions: every `run` and `rehearse` writes one to the session store; `sessions` lists
//! them, `resume` drives one again (taking over from another driver when its lease is gone),
//! `handover` releases one, `transcript` renders or verifies one.

use super::run::{CriticalChecks, Start, config, exit_status, permissions, reporter, walk};
use super::session_store::{self, Driving, finish, operator};
use crate::cli::{ColorChoice, HandoverArgs, ResumeArgs, SessionsArgs, TranscriptArgs, TranscriptFormat};
use crate::{exit, files};
use anyhow::{Context, Result, bail};
use runbook_core::annotation::Timeout;
use runbook_engine::answers::Answers;
use runbook_engine::events::{EventSink, Fanout};
use runbook_engine::journal::{self, JournalEvent, Timestamp};
use runbook_engine::resume::{self, Freshness, Plan, Resumable, ResumeError};
use runbook_engine::store::{Driver, SessionLog, SessionStore, SessionSummary, StoreError};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn store_error(e: StoreError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

pub fn list(args: &SessionsArgs, sessions: Option<&str>) -> Result<u8> {
    let store = session_store::open(sessions, args.journal_dir.as_deref())?;
    let all = store.list().map_err(store_error)?;
    if all.is_empty() {
        eprintln!("no sessions in {}", store.describe());
        return Ok(exit::OK);
    }
    let now = Timestamp::now();
    println!("{:<24} {:<9} {:<13} {:<24} {:<28} {:<28} {:<24} age", "id", "mode", "state", "runbook", "entry", "driver", "last step");
    for s in &all {
        println!(
            "{:<24} {:<9} {:<13} {:<24} {:<28} {:<28} {:<24} {}",
            s.id,
            s.mode.map_or("", |m| m.as_str()),
            s.state.label(),
            runbook_name(s),
            s.entry.as_deref().unwrap_or(""),
            s.driver.as_ref().map(|d| d.holder.as_str()).unwrap_or("-"),
            s.last_step.as_deref().unwrap_or(""),
            s.updated.map(|t| age(t.age(now))).unwrap_or_default(),
        );
    }
    Ok(exit::OK)
}

fn runbook_name(s: &SessionSummary) -> String {
    s.runbook.as_deref().and_then(|p| Path::new(p).file_name()).map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// `42s`, `7m`, `3h`, `2d`: how long ago the session last moved.
fn age(d: Duration) -> String {
    match d.as_secs() {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

pub fn transcript(args: &TranscriptArgs, sessions: Option<&str>) -> Result<u8> {
    let store = session_store::open(sessions, args.journal_dir.as_deref())?;
    if args.id == "verify" {
        let id = args.verify_id.as_deref().context("usage: runbook transcript verify ID")?;
        let id = store.find(id).map_err(store_error)?;
        let place = location(store.as_ref(), &id);
        return Ok(match store.verify(&id).map_err(store_error)? {
            Ok(v) => {
                println!("{place}: {} events, hash chain intact, ends where its head record says", v.events);
                if let Some(t) = &v.torn {
                    println!("{place}:{}: {}", t.line, torn_note(t));
                }
                if v.head_behind {
                    println!("note: the head record names the event before the last: the process died between the two writes");
                }
                exit::OK
            }
            Err(b) => {
                println!("{place}:{}: {}", b.line, b.problem);
                exit::ERRORS
            }
        });
    }
    let id = store.find(&args.id).map_err(store_error)?;
    let events = store.events(&id, 0).map_err(store_error)?;
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

/// How messages name a session: its journal file, or the store and the id.
fn location(store: &dyn SessionStore, id: &str) -> String {
    let describe = store.describe();
    match describe.strip_prefix('`').and_then(|d| d.strip_suffix('`')) {
        Some(dir) => Path::new(dir).join(format!("{id}.jsonl")).display().to_string(),
        None => format!("{describe}#{id}"),
    }
}

fn torn_note(t: &journal::Torn) -> String {
    format!("the last line is torn ({} bytes without an end: a crash while it was written); it is left out", t.bytes)
}

pub fn handover(args: &HandoverArgs, sessions: Option<&str>) -> Result<u8> {
    let store = session_store::open(sessions, args.journal_dir.as_deref())?;
    let id = store.find(&args.id).map_err(store_error)?;
    match store.release(&id, &Driver::current()) {
        Ok(true) => {
            println!("session {id} handed over: anyone may `runbook resume {id}` now");
            Ok(exit::OK)
        }
        Ok(false) => {
            eprintln!("session {id} is not driven by {}: nothing to hand over", operator());
            Ok(exit::ERRORS)
        }
        Err(e @ StoreError::Leased { .. }) => {
            eprintln!("error: {e}; stop that process (it hands over as it stops)");
            Ok(exit::LEASED)
        }
        Err(e) => Err(store_error(e)),
    }
}

/// Takes the session's lease: refused while another driver's lease is live, unless
/// `--take-over` was given and confirmed.
fn drive(store: &dyn SessionStore, id: &str, args: &ResumeArgs) -> Result<Result<Box<dyn SessionLog>, u8>> {
    let me = Driver::current();
    let live = match store.reopen(id, &me, false) {
        Ok(log) => return Ok(Ok(log)),
        Err(e @ StoreError::Leased { .. }) => e,
        Err(e) => return Err(store_error(e)),
    };
    if !args.take_over {
        eprintln!("error: {live}");
        eprintln!("follow it with `runbook follow {id}`, or take it over with `runbook resume {id} --take-over`");
        return Ok(Err(exit::LEASED));
    }
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let confirmed = if interactive {
        dialoguer::Confirm::new()
            .with_prompt(format!("{live}. Take session {id} over? That driver stops at its next step"))
            .default(false)
            .interact()
            .unwrap_or(false)
    } else {
        args.operator.yes
    };
    if !confirmed {
        eprintln!("error: {live}; not taken over{}", if interactive { "" } else { " (--take-over without a terminal needs --yes)" });
        return Ok(Err(exit::LEASED));
    }
    Ok(Ok(store.reopen(id, &me, true).map_err(store_error)?))
}

pub fn resume(args: &ResumeArgs, sessions: Option<&str>, color: ColorChoice) -> Result<u8> {
    let store = session_store::open(sessions, args.journal_dir.as_deref())?;
    let id = store.find(&args.id).map_err(store_error)?;
    let place = location(store.as_ref(), &id);
    match store.verify(&id).map_err(store_error)? {
        Err(b) => {
            eprintln!("error: {place}:{}: {}; the journal cannot be trusted, not resuming", b.line, b.problem);
            return Ok(exit::ERRORS);
        }
        Ok(v) => {
            if let Some(t) = &v.torn {
                eprintln!("note: {place}:{}: {}; resuming from the last whole event", t.line, torn_note(t));
            }
        }
    }
    // Over or not resumable: said without taking the lease.
    match resume::resumable(&store.events(&id, 0).map_err(store_error)?) {
        Ok(Resumable::Yes(_)) => {}
        Ok(Resumable::Over(message)) => {
            println!("{message}");
            return Ok(exit::OK);
        }
        Err(e @ ResumeError::Rehearsal { .. }) => {
            eprintln!("error: {e}");
            return Ok(exit::ERRORS);
        }
        Err(e) => return Err(e.into()),
    }
    let mut log = match drive(store.as_ref(), &id, args)? {
        Ok(log) => log,
        Err(code) => return Ok(code),
    };
    // Read again under the lease: the last driver may have written up to the moment it lost it.
    let events = store.events(&id, 0).map_err(store_error)?;
    let code = resume_walk(args, store.as_ref(), log.as_mut(), &events, color);
    finish(log.as_mut());
    code
}

/// The runbook the session started with: its file when it is still there, else the text the
/// store kept (a driver on another machine), written under the user's state directory.
fn runbook_file(store: &dyn SessionStore, id: &str, recorded: &str) -> Result<PathBuf> {
    let path = PathBuf::from(recorded);
    if path.is_file() {
        return Ok(path);
    }
    let text = store.runbook_text(id).map_err(store_error)?.with_context(|| format!("`{recorded}` is gone and the store kept no copy"))?;
    // Beside the sessions directory, not in it: the copies are not journals.
    let dir = journal::default_dir().with_file_name("runbooks");
    let copy = dir.join(format!("{id}.md"));
    if !copy.is_file() {
        std::fs::create_dir_all(&dir)?;
        std::fs::write(&copy, text).with_context(|| format!("cannot write `{}`", copy.display()))?;
    }
    eprintln!("note: `{recorded}` is not on this machine; using the copy the session store kept ({})", copy.display());
    Ok(copy)
}

fn resume_walk(
    args: &ResumeArgs,
    store: &dyn SessionStore,
    log: &mut dyn SessionLog,
    events: &[journal::Line],
    color: ColorChoice,
) -> Result<u8> {
    let header = match resume::resumable(events)? {
        Resumable::Yes(header) => header,
        Resumable::Over(message) => {
            println!("{message}");
            return Ok(exit::OK);
        }
    };
    let runbook = runbook_file(store, log.id(), &header.runbook)?;
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
    let plan = match resume::plan(graph, events, fresh, Timestamp::now())? {
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
    let resumed = JournalEvent::Resumed {
        operator: operator(),
        from_step: graph.steps[point.step].id.clone(),
        note,
        runbook_changed: changed,
        // The torn bytes are gone from the file now; the journal keeps that they were there.
        torn_line: log.cut_torn_line(),
    };
    log.append(&resumed)?;
    let mut rep = reporter(args.operator.output, color, false);
    let mut critical = CriticalChecks::from_journal(events);
    let mut summary = crate::walk_summary::WalkSummary::new();
    let session = log.id().to_owned();
    let mut driving = Driving(log);
    let mut sink = Fanout(vec![rep.as_mut(), &mut driving as &mut dyn EventSink, &mut critical, &mut summary]);
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
    super::run::print_summary(&summary, &end, &session, args.journal_dir.as_deref(), args.operator.output);
    Ok(exit_status(&end, &critical, &args.operator))
}
