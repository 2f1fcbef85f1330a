//! `runbook rehearse`: the run's walk with the rehearsal executor. Scenarios give outcomes and
//! answers; `--scenarios DIR --coverage` runs them all and reports what they exercised.

use super::run::{Start, config, entry, exit_code, load, reporter, walk};
use crate::cli::{ColorChoice, OutputFormat, RehearseArgs};
use crate::exit;
use anyhow::{Context, Result};
use runbook_core::{EdgeKind, Graph};
use runbook_engine::answers::load_yaml;
use runbook_engine::events::{Event, EventSink, Fanout};
use runbook_engine::rehearse::{Rehearsal, Scenario};
use runbook_engine::{Config, RunEnd};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub fn run(args: &RehearseArgs, sessions: Option<&str>, color: ColorChoice) -> Result<u8> {
    let compiled = match load(&args.file, color)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let graph = &compiled.graph;
    let mut cfg = config(&args.systems, graph)?;
    // Nothing runs, so nothing needs a gate; the steps still show their risk.
    cfg.allow_writes = true;
    cfg.allow_destructive = true;
    cfg.rehearsal = true;
    cfg.max_rows = args.max_rows.max(1);
    match &args.scenarios {
        Some(dir) => scenarios(args, graph, cfg, dir, color),
        None => {
            let scenario: Scenario = match &args.scenario {
                Some(p) => load_yaml(p).map_err(anyhow::Error::msg)?,
                None => Scenario::default(),
            };
            let entry = entry(graph, args.entry.as_deref().or(scenario.entry.as_deref()))?;
            let mut reporter = reporter(args.output, color, true);
            let mut trace = Trace::default();
            let store = super::session_store::open(sessions, args.journal_dir.as_deref())?;
            let mut log = super::session_store::start(
                store.as_ref(),
                &args.file,
                runbook_engine::journal::Mode::Rehearse,
                args.systems.environment.as_deref(),
            )?;
            let mut driving = super::session_store::Driving(log.as_mut());
            let mut sink = Fanout(vec![reporter.as_mut(), &mut trace, &mut driving]);
            let mut executor = Rehearsal::new(&scenario);
            let given = args.scenario.is_some();
            let end = walk(graph, cfg, &mut executor, scenario.answers(), given, given, Start::Entry(entry), &mut sink)?;
            drop(sink);
            super::session_store::finish(log.as_mut());
            let code = exit_code(&end);
            if let Some(expected) = &scenario.expect_path
                && let Some(problem) = path_problem(expected, &trace.path, &end)
            {
                eprintln!("the scenario expected another path: {problem}");
                return Ok(exit::ERRORS);
            }
            Ok(code)
        }
    }
}

/// What a walk visited, for coverage and expected paths.
#[derive(Default)]
struct Trace {
    path: Vec<String>,
    /// (from, to) of every decision taken; `to` is None when it ended the walk.
    decisions: Vec<(String, Option<String>)>,
}

impl EventSink for Trace {
    fn event(&mut self, event: &Event<'_>) {
        match event {
            Event::StepStarted { step, .. } => self.path.push(step.id.clone()),
            Event::Decision { step, target, .. } => self.decisions.push((step.id.clone(), target.map(str::to_owned))),
            _ => {}
        }
    }
}

fn path_problem(expected: &[String], actual: &[String], end: &RunEnd) -> Option<String> {
    if let RunEnd::NeedsAnswer { step, question, .. } = end {
        return Some(format!("stopped at `{step}`: {question}"));
    }
    for (i, want) in expected.iter().enumerate() {
        match actual.get(i) {
            Some(got) if got == want => {}
            Some(got) => {
                let after = if i == 0 { "at the start".to_owned() } else { format!("after `{}`", expected[i - 1]) };
                return Some(format!("expected `{want}` {after}, went to `{got}`"));
            }
            None => {
                return Some(format!("expected `{want}` after `{}`, the walk ended", actual.last().map_or("the start", String::as_str)));
            }
        }
    }
    if actual.len() > expected.len() {
        return Some(format!("the walk went on to `{}` after the expected path ended", actual[expected.len()]));
    }
    None
}

fn scenario_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list `{}`", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    if files.is_empty() {
        anyhow::bail!("no scenarios (*.yaml) in `{}`", dir.display());
    }
    Ok(files)
}

fn scenarios(args: &RehearseArgs, graph: &Graph, cfg: Config, dir: &Path, color: ColorChoice) -> Result<u8> {
    let mut failed = 0;
    let mut visited: BTreeSet<String> = BTreeSet::new();
    let mut taken: BTreeSet<(String, Option<String>)> = BTreeSet::new();
    let files = scenario_files(dir)?;
    for file in &files {
        let name = file.file_stem().map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        let scenario: Scenario = match load_yaml(file) {
            Ok(s) => s,
            Err(e) => {
                println!("scenario {name}: FAILED: {e}");
                failed += 1;
                continue;
            }
        };
        let entry = entry(graph, args.entry.as_deref().or(scenario.entry.as_deref()))?;
        let mut trace = Trace::default();
        // Scenarios run without prompts; their events are only printed with --output json.
        let mut json = (args.output == OutputFormat::Json).then(|| reporter(OutputFormat::Json, color, true));
        let mut sinks: Vec<&mut dyn EventSink> = vec![&mut trace];
        if let Some(j) = json.as_mut() {
            sinks.push(j.as_mut());
        }
        let mut sink = Fanout(sinks);
        let mut executor = Rehearsal::new(&scenario);
        let end = walk(graph, cfg.clone(), &mut executor, scenario.answers(), true, true, Start::Entry(entry), &mut sink)?;
        drop(sink);
        for w in trace.path.windows(2) {
            taken.insert((w[0].clone(), Some(w[1].clone())));
        }
        for d in &trace.decisions {
            if d.1.is_none() {
                taken.insert(d.clone());
            }
        }
        visited.extend(trace.path.iter().cloned());
        let problem = match &scenario.expect_path {
            Some(expected) => path_problem(expected, &trace.path, &end),
            None => match &end {
                RunEnd::NeedsAnswer { step, question, .. } => Some(format!("stopped at `{step}`: {question}")),
                _ => None,
            },
        };
        match problem {
            Some(p) => {
                failed += 1;
                println!("scenario {name}: FAILED: {p}");
                println!("  path: {}", trace.path.join(" → "));
            }
            None => println!("scenario {name}: ok ({} steps)", trace.path.len()),
        }
    }
    if args.coverage {
        coverage(graph, &visited, &taken);
    }
    println!("{} scenario(s), {} failed", files.len(), failed);
    Ok(if failed > 0 { exit::ERRORS } else { exit::OK })
}

fn pct(a: usize, b: usize) -> String {
    if b == 0 { "-".into() } else { format!("{:.0}%", 100.0 * a as f64 / b as f64) }
}

fn coverage(graph: &Graph, visited: &BTreeSet<String>, taken: &BTreeSet<(String, Option<String>)>) {
    let steps = graph.steps.len();
    let ran = graph.steps.iter().filter(|s| visited.contains(&s.id)).count();
    let branches: Vec<&runbook_core::Edge> = graph.edges.iter().filter(|e| e.kind == EdgeKind::Branch).collect();
    let branch_taken = |e: &&runbook_core::Edge| taken.contains(&(e.from.clone(), e.to.clone()));
    let hit = branches.iter().filter(|e| branch_taken(e)).count();
    println!();
    println!("coverage: steps {ran}/{steps} ({}), branches {hit}/{} ({})", pct(ran, steps), branches.len(), pct(hit, branches.len()));
    for ep in &graph.entry_points {
        let own: Vec<&runbook_core::Step> = graph.steps.iter().filter(|s| s.problem.as_deref() == Some(ep.id.as_str())).collect();
        let r = own.iter().filter(|s| visited.contains(&s.id)).count();
        println!("  {:<40} steps {r}/{}", ep.id, own.len());
    }
    let never: Vec<&str> = graph.steps.iter().filter(|s| !visited.contains(&s.id)).map(|s| s.id.as_str()).collect();
    if !never.is_empty() {
        println!("steps never run: {}", never.join(", "));
    }
    let missed: Vec<String> = branches
        .iter()
        .filter(|e| !branch_taken(e))
        .map(|e| format!("{} → {} [{}]", e.from, e.to.as_deref().unwrap_or("end"), e.label.as_deref().unwrap_or("")))
        .collect();
    if !missed.is_empty() {
        println!("branches never taken:");
        for m in missed {
            println!("  {m}");
        }
    }
}
