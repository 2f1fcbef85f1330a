use crate::answers::{Answers, AnswersOperator, find_entry};
use crate::cli::{ColorChoice, OutputFormat, RunArgs};
use crate::report::{JsonReporter, TerminalReporter};
use crate::terminal::TerminalOperator;
use crate::{exit, files, style};
use anyhow::{Context, Result, bail};
use runbook_core::Graph;
use runbook_engine::events::EventSink;
use runbook_engine::operator::Operator;
use runbook_engine::{Config, Interpreter, RunEnd};
use std::io::IsTerminal;
use std::time::Duration;

pub fn run(args: &RunArgs, color: ColorChoice) -> Result<u8> {
    let _log = setup_tracing(args)?;
    let compiled = files::compile(&args.file)?;
    if compiled.has_errors() {
        let c = style::stderr_color(color);
        for d in compiled.diagnostics.iter().filter(|d| d.is_error()) {
            eprintln!("{}", d.render(&compiled.source, c));
        }
        eprintln!("error: `{}` has errors; fix them (see `runbook check`) before running it", args.file.display());
        return Ok(exit::ERRORS);
    }
    let graph = &compiled.graph;
    if graph.entry_points.is_empty() {
        bail!("`{}` has no steps to run", args.file.display());
    }
    let config = config(args, graph)?;
    let answers = match &args.answers {
        Some(path) => Answers::load(path)?,
        None => Answers::default(),
    };
    let entry_wanted = args.entry.clone().or_else(|| answers.entry.clone());
    let entry = match &entry_wanted {
        Some(e) => Some(find_entry(graph, e).with_context(|| {
            let ids: Vec<&str> = graph.entry_points.iter().map(|e| e.id.as_str()).collect();
            format!("no entry point `{e}`; the runbook has: {}", ids.join(", "))
        })?),
        // One problem: nothing to choose.
        None if graph.entry_points.len() == 1 => Some(0),
        None => None,
    };
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let fallback: Option<Box<dyn Operator>> = if interactive { Some(Box::new(TerminalOperator::new())) } else { None };
    let mut operator: Box<dyn Operator> = if args.answers.is_none() && interactive && !args.follow_suggestions {
        Box::new(TerminalOperator::new())
    } else {
        Box::new(AnswersOperator::new(answers, fallback, args.follow_suggestions))
    };
    let mut reporter: Box<dyn EventSink> = match args.output {
        OutputFormat::Json => Box::new(JsonReporter::new()),
        OutputFormat::Terminal => {
            let color = style::use_color(color, std::io::stdout().is_terminal());
            Box::new(TerminalReporter::new(color, std::io::stderr().is_terminal()))
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the async runtime")?;
    let end = runtime.block_on(async {
        let mut interp = Interpreter::new(graph, config, operator.as_mut(), reporter.as_mut()).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok::<RunEnd, anyhow::Error>(interp.run(entry).await)
    })?;
    Ok(match end {
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
    })
}

/// Connections, targets and parameters from flags, the environment and the front matter.
fn config(args: &RunArgs, graph: &Graph) -> Result<Config> {
    let mut config = Config {
        allow_writes: args.yes,
        allow_destructive: args.allow_destructive,
        max_rows: args.max_rows.max(1),
        default_timeout: Duration::from_secs(args.timeout.max(1)),
        ..Config::default()
    };
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
fn setup_tracing(args: &RunArgs) -> Result<Option<()>> {
    use tracing_subscriber::EnvFilter;
    let default = match args.verbose {
        0 => "warn",
        1 => "info,sqlx=warn",
        _ => "debug,sqlx=info",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    match &args.log_file {
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
    Ok(Some(()))
}
