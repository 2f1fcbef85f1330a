use crate::cli::{ColorChoice, OperatorArgs, OutputFormat, RunArgs, SystemArgs};
use crate::record::Recorder;
use crate::report::{JsonReporter, TerminalReporter};
use crate::terminal::TerminalOperator;
use crate::walk_summary::WalkSummary;
use crate::{exit, files, style};
use anyhow::{Context, Result};
use runbook_core::annotation::Level;
use runbook_core::{Compiled, Graph};
use runbook_engine::answers::{Answers, AnswersOperator, find_entry};
use runbook_engine::events::{Event, EventSink, Fanout};
use runbook_engine::exec::Executor;
use runbook_engine::operator::Operator;
use runbook_engine::{Config, Interpreter, RunEnd};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

pub fn run(args: &RunArgs, sessions: Option<&str>, color: ColorChoice) -> Result<u8> {
    setup_tracing(args.verbose, args.log_file.as_deref())?;
    let compiled = match load(&args.file, color)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let graph = &compiled.graph;
    let mut config = config(&args.systems, graph)?;
    permissions(&mut config, &args.operator);
    config.max_rows = args.max_rows.max(1);
    config.default_timeout = Duration::from_secs(args.timeout.max(1));
    let answers = match &args.operator.answers {
        Some(path) => Answers::load(path).map_err(anyhow::Error::msg)?,
        None => Answers::default(),
    };
    let entry = entry(graph, args.entry.as_deref().or(answers.entry.as_deref()))?;
    let mut reporter = reporter(args.operator.output, color, false);
    let mut recorder = args.record.as_ref().map(|dir| Recorder::new(dir, &args.file));
    let store = super::session_store::open(sessions, args.journal_dir.as_deref())?;
    let mut log =
        super::session_store::start(store.as_ref(), &args.file, runbook_engine::journal::Mode::Run, args.systems.environment.as_deref())?;
    let mut critical = CriticalChecks::default();
    let mut summary = WalkSummary::new();
    let mut driving = super::session_store::Driving(log.as_mut());
    let mut sinks: Vec<&mut dyn EventSink> = vec![reporter.as_mut(), &mut driving, &mut critical, &mut summary];
    if let Some(r) = recorder.as_mut() {
        sinks.push(r);
    }
    let mut sink = Fanout(sinks);
    let mut live = runbook_engine::exec::Live::default();
    let end = walk(
        graph,
        config,
        &mut live,
        answers,
        args.operator.answers.is_some(),
        args.operator.follow_suggestions,
        Start::Entry(entry),
        &mut sink,
    )?;
    drop(sink);
    super::session_store::finish(log.as_mut());
    print_summary(&summary, &end, log.id(), args.journal_dir.as_deref(), args.operator.output);
    if let Some(r) = recorder {
        let path = r.write(graph)?;
        eprintln!("recorded the run as {}", path.display());
    }
    Ok(exit_status(&end, &critical, &args.operator))
}

/// The end of the walk, on stdout under the walk itself (a `summary` event with `--output json`).
pub(crate) fn print_summary(summary: &WalkSummary, end: &RunEnd, session: &str, journal_dir: Option<&Path>, output: OutputFormat) {
    let status = match end {
        RunEnd::Finished => "finished",
        RunEnd::Aborted => "aborted",
        RunEnd::NeedsAnswer { .. } => "needs-answer",
    };
    match output {
        OutputFormat::Json => println!("{}", summary.json(status, session, journal_dir)),
        OutputFormat::Terminal => println!("{}", summary.text(session, journal_dir)),
    }
}

/// The operator's permissions and limits, the same for `run` and `resume`.
pub(crate) fn permissions(config: &mut Config, operator: &OperatorArgs) {
    // Whoever may run destructive steps unasked may run the plain writes before them too.
    config.allow_writes = operator.yes || operator.allow_destructive;
    config.allow_destructive = operator.allow_destructive;
    config.max_retries = operator.max_retries;
}

/// The checks that failed at critical level, by step; a step run again counts by its last run.
#[derive(Default)]
pub(crate) struct CriticalChecks(BTreeMap<String, Vec<String>>);

impl CriticalChecks {
    /// The critical checks a resumed session had failed before it was interrupted: a resume
    /// that decides on those results finished the same walk.
    pub(crate) fn from_journal(events: &[runbook_engine::journal::Line]) -> Self {
        let mut critical = CriticalChecks::default();
        for line in events {
            if let runbook_engine::journal::JournalEvent::StepResult(r) = &line.event {
                let failed: Vec<String> = r.checks.iter().filter(|c| c.level == Level::Critical).map(|c| c.name.clone()).collect();
                critical.set(&r.step, failed);
            }
        }
        critical
    }

    fn set(&mut self, step: &str, failed: Vec<String>) {
        if failed.is_empty() {
            self.0.remove(step);
        } else {
            self.0.insert(step.to_owned(), failed);
        }
    }
}

impl EventSink for CriticalChecks {
    fn event(&mut self, event: &Event<'_>) {
        if let Event::StepFinished { step, record } = event {
            let failed: Vec<String> = record.checks.iter().filter(|c| c.level == Level::Critical).map(|c| c.name.clone()).collect();
            self.set(&step.id, failed);
        }
    }
}

/// Whether nobody at a terminal drives the walk alone: no terminal, or answers given in advance.
fn non_interactive(operator: &OperatorArgs) -> bool {
    operator.answers.is_some() || operator.follow_suggestions || !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal())
}

/// The exit status of `run` and `resume`: as [`exit_code`], and for a non-interactive run that
/// finished with a check failed at critical level, 4, so automation cannot take it for success
/// (a person at the terminal saw the check).
pub(crate) fn exit_status(end: &RunEnd, critical: &CriticalChecks, operator: &OperatorArgs) -> u8 {
    if *end == RunEnd::Finished && !critical.0.is_empty() && non_interactive(operator) {
        let failed: Vec<String> = critical.0.iter().map(|(step, checks)| format!("{step} ({})", checks.join(", "))).collect();
        eprintln!("finished, but a check failed at critical level: {}", failed.join("; "));
        return exit::CRITICAL_CHECK;
    }
    exit_code(end)
}

/// Reads and compiles a runbook; errors are printed and become exit code 1.
pub(crate) fn load(file: &Path, color: ColorChoice) -> Result<Result<Compiled, u8>> {
    let compiled = files::compile(file)?;
    if compiled.has_errors() {
        let c = style::stderr_color(color);
        for d in compiled.diagnostics.iter().filter(|d| d.is_error()) {
            eprintln!("{}", d.render(&compiled.source, c));
        }
        eprintln!("error: `{}` has errors; fix them (see `runbook check`) first", file.display());
        return Ok(Err(exit::ERRORS));
    }
    if compiled.graph.entry_points.is_empty() {
        anyhow::bail!("`{}` has no steps", file.display());
    }
    Ok(Ok(compiled))
}

pub(crate) fn entry(graph: &Graph, wanted: Option<&str>) -> Result<Option<usize>> {
    Ok(match wanted {
        Some(e) => Some(find_entry(graph, e).with_context(|| {
            let ids: Vec<&str> = graph.entry_points.iter().map(|e| e.id.as_str()).collect();
            format!("no entry point `{e}`; the runbook has: {}", ids.join(", "))
        })?),
        // One problem: nothing to choose.
        None if graph.entry_points.len() == 1 => Some(0),
        None => None,
    })
}

pub(crate) fn reporter(output: OutputFormat, color: ColorChoice, rehearsal: bool) -> Box<dyn EventSink> {
    match output {
        OutputFormat::Json => Box::new(JsonReporter::new()),
        OutputFormat::Terminal => {
            let color = style::use_color(color, std::io::stdout().is_terminal());
            Box::new(TerminalReporter::new(color, std::io::stderr().is_terminal() && !rehearsal, rehearsal))
        }
    }
}

/// Where a walk starts: an entry point (or the picker), or a resumed session.
pub(crate) enum Start {
    Entry(Option<usize>),
    Resume(usize, Box<runbook_engine::ResumePoint>),
}

/// One walk from `start`: the terminal answers when there is one and no answers were given;
/// otherwise the answers (with the terminal, if any, for what they leave open).
#[allow(clippy::too_many_arguments)]
pub(crate) fn walk(
    graph: &Graph,
    config: Config,
    executor: &mut dyn Executor,
    answers: Answers,
    answers_given: bool,
    follow_suggestions: bool,
    start: Start,
    sink: &mut dyn EventSink,
) -> Result<RunEnd> {
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let fallback: Option<Box<dyn Operator>> = if interactive { Some(Box::new(TerminalOperator::new())) } else { None };
    let mut operator: Box<dyn Operator> = if !answers_given && interactive && !follow_suggestions {
        Box::new(TerminalOperator::new())
    } else {
        Box::new(AnswersOperator::new(answers, fallback, follow_suggestions))
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let mut interp = Interpreter::new(graph, config, executor, operator.as_mut(), sink).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(match start {
            Start::Entry(entry) => interp.run(entry).await,
            Start::Resume(entry, point) => interp.resume(entry, *point).await,
        })
    })
}

pub(crate) fn exit_code(end: &RunEnd) -> u8 {
    match end {
        RunEnd::Finished => exit::OK,
        RunEnd::Aborted => exit::ERRORS,
        RunEnd::NeedsAnswer { step, question, options } => {
            eprintln!("stopped at `{step}`: {question}");
            if !options.is_empty() {
                eprintln!("options:");
                for o in options {
                    eprintln!("  - {o}");
                }
            }
            eprintln!("answer it with --answers FILE (or run in a terminal)");
            exit::NEEDS_ANSWER
        }
    }
}

/// Connections, targets and parameters from flags, the environment and the front matter.
pub(crate) fn config(args: &SystemArgs, graph: &Graph) -> Result<Config> {
    let mut config = Config::default();
    let environment = match &args.environment {
        Some(name) => Some(graph.environments.iter().find(|e| &e.name == name).with_context(|| {
            let names: Vec<&str> = graph.environments.iter().map(|e| e.name.as_str()).collect();
            format!(
                "no environment `{name}` in the front matter (has: {})",
                if names.is_empty() { "none".to_owned() } else { names.join(", ") }
            )
        })?),
        None => None,
    };
    // `--db NAME=URL` names a connection; a bare `--db URL` is the default for every database
    // connection the flags do not name.
    let mut named: Vec<(String, String)> = Vec::new();
    for db in &args.databases {
        match db.split_once('=') {
            Some((name, url)) if !name.contains("://") && !name.is_empty() => named.push((name.to_owned(), url.to_owned())),
            _ => config.default_database = Some(db.clone()),
        }
    }
    // Each connection: the flag naming it, the bare --db, the environment block, the variable
    // named by `env:`, then the front matter's `url`.
    for c in graph.connections.iter().filter(|c| c.kind != "http") {
        let from_flag = named.iter().rev().find(|(k, _)| k == &c.name).map(|(_, v)| v.clone());
        let from_env_block = environment.and_then(|e| e.connections.iter().find(|(k, _)| k == &c.name)).map(|(_, v)| v.clone());
        let from_var = c.env.as_deref().and_then(|v| std::env::var(v).ok()).filter(|v| !v.is_empty());
        if let Some(url) = from_flag.or_else(|| config.default_database.clone()).or(from_env_block).or(from_var).or_else(|| c.url.clone()) {
            config.databases.insert(c.name.clone(), url);
        }
    }
    for (name, url) in named {
        config.databases.entry(name).or_insert(url);
    }
    if config.default_database.is_none() && config.databases.is_empty() {
        config.default_database = std::env::var("DATABASE_URL").ok().filter(|v| !v.is_empty()).or_else(|| {
            // sqlx reads PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE itself.
            ["PGHOST", "PGDATABASE", "PGUSER", "PGPORT", "PGSERVICE"]
                .iter()
                .any(|v| std::env::var_os(v).is_some())
                .then(|| "postgres://".to_owned())
        });
    }
    if let Some(e) = environment {
        config.targets.extend(e.targets.iter().cloned());
    }
    for t in &args.targets {
        let (host, url) = t.split_once('=').with_context(|| format!("--target `{t}`: expected HOST=URL"))?;
        // Flags win over the environment's targets: put them first.
        config.targets.insert(0, (host.to_owned(), url.to_owned()));
    }
    for p in &args.params {
        let (k, v) = p.split_once('=').with_context(|| format!("--param `{p}`: expected NAME=VALUE"))?;
        config.params.push((k.to_owned(), v.to_owned()));
    }
    Ok(config)
}

/// `-v`/`RUST_LOG` tracing to stderr or `--log-file`, never mixed into stdout.
pub(crate) fn setup_tracing(verbose: u8, log_file: Option<&Path>) -> Result<()> {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 => "warn",
        1 => "info,sqlx=warn",
        _ => "debug,sqlx=info",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    match log_file {
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("cannot open log file `{}`", path.display()))?;
            let _ = builder.with_ansi(false).with_writer(std::sync::Mutex::new(file)).try_init();
        }
        None => {
            let _ = builder.with_ansi(std::io::stderr().is_terminal()).with_writer(std::io::stderr).try_init();
        }
    }
    Ok(())
}
