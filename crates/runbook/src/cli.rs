use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Executable runbooks: check, graph, run, rehearse and render the Markdown runbooks your
/// team already has.
#[derive(Debug, Parser)]
#[command(name = "runbook", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// When to use colours: auto (a terminal and no NO_COLOR), always or never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint runbooks: YAML, branch targets, ids, reachability, placeholders, risky steps.
    ///
    /// Exit status: 0 when no errors were found (warnings allowed), 1 when errors were found,
    /// 2 on usage or I/O errors.
    Check(CheckArgs),
    /// Print a runbook's step graph as JSON (a stable contract), Graphviz dot or Mermaid.
    Graph(GraphArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Runbook files or directories (searched for *.md).
    #[arg(required = true, value_name = "FILE|DIR")]
    pub paths: Vec<PathBuf>,

    /// Print per-file counts (problems, steps by kind and risk, params, branches, diagnostics)
    /// instead of each diagnostic.
    #[arg(long)]
    pub summary: bool,

    /// Output format for diagnostics.
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    pub format: CheckFormat,

    /// Treat warnings as errors (exit 1).
    #[arg(long)]
    pub deny_warnings: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum CheckFormat {
    Human,
    Json,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// The runbook file.
    pub file: PathBuf,

    /// Output format.
    #[arg(long, short, value_enum, default_value_t = GraphFormat::Json)]
    pub format: GraphFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum GraphFormat {
    Json,
    Dot,
    Mermaid,
}
