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

    /// Refuse runbook files larger than this (bytes, or 512KiB, 64MiB, 1GiB).
    #[arg(long, global = true, value_name = "SIZE", default_value = "16MiB", value_parser = crate::files::parse_size)]
    pub max_file_size: u64,

    /// Keep sessions in a shared PostgreSQL store (`postgres://…`) instead of the journal files
    /// on this machine; RUNBOOK_SESSIONS_URL sets it too (and keeps a password out of `ps`).
    #[arg(long, global = true, value_name = "URL")]
    pub sessions: Option<String>,

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
    /// Run a runbook against real systems: pick a problem, run each diagnosis step, see the
    /// results and choose the resolution.
    ///
    /// Read steps run in read-only transactions; write steps ask for confirmation and
    /// destructive steps for a typed word. Exit status: 0 finished, 1 aborted or failed to
    /// start, 2 usage error, 3 stopped at a question nobody answered (non-interactive runs),
    /// 4 finished but a check failed at critical level (non-interactive runs), 5 another driver
    /// took the session over (see `resume --take-over`).
    Run(RunArgs),
    /// Rehearse a runbook: the same guided walk as `run`, with results from scenario fixtures
    /// (or from you) instead of real systems. Nothing runs and nothing is contacted.
    ///
    /// Exit status: 0 every scenario followed its path, 1 a scenario strayed or the runbook has
    /// errors, 2 usage error, 3 stopped at a question nobody answered.
    Rehearse(RehearseArgs),
    /// List recorded sessions, newest first: id, state, runbook, entry point, driver, last step,
    /// age.
    Sessions(SessionsArgs),
    /// Continue an interrupted session from its last completed step, here or on another
    /// machine sharing the store.
    ///
    /// A step that was running when the session died is not run again silently: the operator
    /// chooses to run it again, mark it done or skip it (`in_flight:` in --answers). One driver
    /// at a time: while another driver's lease is live, resume is refused (exit 5) naming the
    /// driver and when the lease expires; after it expired, or the driver handed over, resume
    /// takes over, and the journal records who took over from whom. Exit status as for `run`;
    /// 1 also when the journal fails `transcript verify`.
    Resume(ResumeArgs),
    /// Release a session this user drives (a stopped or stuck process), so that anyone may
    /// resume it without taking it over. A run hands over by itself when it stops.
    Handover(HandoverArgs),
    /// Print a session's events as they are written, until the session ends (Ctrl-C stops).
    Follow(FollowArgs),
    /// Render runbooks (and session transcripts) as a static HTML site: an index, a page per
    /// runbook with its prose, a card per step and the step graph drawn as SVG.
    Render(RenderArgs),
    /// A session as an incident timeline (Markdown, HTML, JSON); `transcript verify ID` checks
    /// that no event was changed or removed.
    Transcript(TranscriptArgs),
    /// Serve the sessions as live web pages: an index, and per session its step graph with the
    /// path taken and each step's result, updated as the driver runs. Followers only read.
    ///
    /// Listens on loopback by default; any other address needs a token (RUNBOOK_SERVE_TOKEN or
    /// --token) that every request must carry. Exit status: 0 stopped with Ctrl-C, 2 usage error
    /// or the address cannot be bound.
    Serve(ServeArgs),
    /// Print a shell completion script: `runbook completions bash > ~/.local/share/bash-completion/completions/runbook`.
    Completions(CompletionsArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on; port 0 picks a free one (the address is printed on stderr).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:7700")]
    pub listen: std::net::SocketAddr,

    /// Require this token on every request (`Authorization: Bearer TOKEN`, or `?token=TOKEN`
    /// once in a browser). Prefer RUNBOOK_SERVE_TOKEN: other users can read a command line.
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,

    /// Where session journals are, without a shared store (default: $XDG_STATE_HOME/runbook/sessions).
    #[arg(long, value_name = "DIR")]
    pub journal_dir: Option<PathBuf>,

    /// How often a followed session is asked for new events, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 100, value_parser = clap::value_parser!(u64).range(10..=10_000))]
    pub poll_ms: u64,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: CompletionShell,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The runbook file.
    pub file: PathBuf,

    /// Start at this entry point (its id, title, number or heading anchor) instead of choosing from a list.
    #[arg(long, short)]
    pub entry: Option<String>,

    #[command(flatten)]
    pub systems: SystemArgs,

    #[command(flatten)]
    pub operator: OperatorArgs,

    /// Write what this run saw as a rehearsal scenario in DIR (secrets redacted).
    #[arg(long, value_name = "DIR")]
    pub record: Option<PathBuf>,

    /// Where session journals go (default: $XDG_STATE_HOME/runbook/sessions).
    #[arg(long, value_name = "DIR")]
    pub journal_dir: Option<PathBuf>,

    /// Rows shown per SQL result (the total is always counted).
    #[arg(long, default_value_t = 20)]
    pub max_rows: usize,

    /// Default step timeout in seconds (a step's `timeout:` wins).
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,

    /// Log engine details to stderr (-v, -vv) or set RUST_LOG.
    #[arg(long, short, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Write logs to this file instead of stderr.
    #[arg(long, value_name = "FILE")]
    pub log_file: Option<PathBuf>,
}

/// What the operator decided in advance, answers and permissions, and how the walk reports to
/// them (for `run` and `resume`).
#[derive(Debug, Args, Clone, Default)]
pub struct OperatorArgs {
    /// Output: `terminal` (default) or `json` (one event per line, for other tools).
    #[arg(long, value_enum, default_value_t = OutputFormat::Terminal)]
    pub output: OutputFormat,

    /// Answers for a non-interactive run (YAML: entry, params, decisions, confirm, manual).
    #[arg(long, value_name = "FILE")]
    pub answers: Option<PathBuf>,

    /// Run write steps without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Run destructive steps without the typed confirmation (implies --yes).
    #[arg(long)]
    pub allow_destructive: bool,

    /// Times one step may be run again (retry, run again) before the menu stops offering it.
    #[arg(long, default_value_t = runbook_engine::DEFAULT_MAX_RETRIES, value_name = "N")]
    pub max_retries: u32,

    /// Take the suggested branch at a decision nobody answered (non-interactive runs).
    #[arg(long)]
    pub follow_suggestions: bool,
}

/// Where the systems are: databases, environment, HTTP targets, parameter values.
#[derive(Debug, Args, Clone, Default)]
pub struct SystemArgs {
    /// Database for SQL steps: `URL` for the default, `NAME=URL` for a named connection
    /// (postgres://… or sqlite://…). Defaults: DATABASE_URL, then the libpq PG* variables.
    #[arg(long = "db", value_name = "[NAME=]URL")]
    pub databases: Vec<String>,

    /// Use an environment from the front matter (its connection URLs and host targets).
    #[arg(long = "env", value_name = "NAME")]
    pub environment: Option<String>,

    /// Send HTTP steps written for HOST to another base URL, e.g.
    /// `--target app.example.com=http://127.0.0.1:8080`.
    #[arg(long = "target", value_name = "HOST=URL")]
    pub targets: Vec<String>,

    /// A parameter value (repeatable). Parameters named like secrets stay out of the output.
    #[arg(long = "param", short = 'p', value_name = "NAME=VALUE")]
    pub params: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RehearseArgs {
    /// The runbook file.
    pub file: PathBuf,

    /// A scenario file: step outcomes, answers and the path it expects.
    #[arg(long, value_name = "FILE", conflicts_with = "scenarios")]
    pub scenario: Option<PathBuf>,

    /// Run every scenario (*.yaml) in DIR without prompts.
    #[arg(long, value_name = "DIR")]
    pub scenarios: Option<PathBuf>,

    /// With --scenarios: report which steps and branches the scenarios exercised and which
    /// never were. Exit 1 when a scenario does not follow its expected path.
    #[arg(long, requires = "scenarios")]
    pub coverage: bool,

    /// Start at this entry point (its id, title, number or heading anchor).
    #[arg(long, short)]
    pub entry: Option<String>,

    #[command(flatten)]
    pub systems: SystemArgs,

    /// Output: `terminal` (default) or `json`.
    #[arg(long, value_enum, default_value_t = OutputFormat::Terminal)]
    pub output: OutputFormat,

    /// Rows shown per SQL result.
    #[arg(long, default_value_t = 20)]
    pub max_rows: usize,

    /// Where session journals go (default: $XDG_STATE_HOME/runbook/sessions).
    #[arg(long, value_name = "DIR")]
    pub journal_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SessionsArgs {
    /// Where session journals are (default: $XDG_STATE_HOME/runbook/sessions).
    #[arg(long, value_name = "DIR")]
    pub journal_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// The session id (or a unique prefix), as `runbook sessions` lists it.
    pub id: String,

    #[arg(long, value_name = "DIR")]
    pub journal_dir: Option<PathBuf>,

    /// Take the session from a driver whose lease is still live (it may be stuck or gone
    /// without a word). Asks first; without a terminal, needs --yes. That driver stops at its
    /// next step.
    #[arg(long)]
    pub take_over: bool,

    /// Diagnosis results older than this are run again before a decision uses them
    /// (e.g. 15m, 90s).
    #[arg(long, default_value = "15m", value_name = "DURATION")]
    pub fresh_for: String,

    #[command(flatten)]
    pub systems: SystemArgs,

    #[command(flatten)]
    pub operator: OperatorArgs,
}

#[derive(Debug, Args)]
pub struct HandoverArgs {
    /// The session id (or a unique prefix).
    pub id: String,

    /// Where session journals are (default: $XDG_STATE_HOME/runbook/sessions; not with --sessions).
    #[arg(long, value_name = "DIR")]
    pub journal_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct FollowArgs {
    /// The session id (or a unique prefix).
    pub id: String,

    /// Where session journals are (default: $XDG_STATE_HOME/runbook/sessions; not with --sessions).
    #[arg(long, value_name = "DIR")]
    pub journal_dir: Option<PathBuf>,

    /// Output: `terminal` (default, one line per event) or `json` (the journal lines).
    #[arg(long, value_enum, default_value_t = OutputFormat::Terminal)]
    pub output: OutputFormat,

    /// Print the events so far and exit instead of waiting for more.
    #[arg(long)]
    pub no_wait: bool,
}

#[derive(Debug, Args)]
pub struct TranscriptArgs {
    /// A session id, or `verify` followed by a session id to check its hash chain.
    #[arg(value_name = "ID|verify")]
    pub id: String,

    /// With `verify`: the session id.
    #[arg(value_name = "ID")]
    pub verify_id: Option<String>,

    #[arg(long, value_enum, default_value_t = TranscriptFormat::Md)]
    pub format: TranscriptFormat,

    /// Write to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    #[arg(long, value_name = "DIR")]
    pub journal_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Runbook files or directories (searched for *.md).
    #[arg(required = true, value_name = "FILE|DIR")]
    pub paths: Vec<PathBuf>,

    /// The output directory (created).
    #[arg(long, short, value_name = "DIR")]
    pub output: PathBuf,

    /// Also render every session journal in the journal directory as a transcript page.
    #[arg(long)]
    pub transcripts: bool,

    #[arg(long, value_name = "DIR")]
    pub journal_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum TranscriptFormat {
    Md,
    Html,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum OutputFormat {
    #[default]
    Terminal,
    Json,
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
    /// The heading tree with each section's role (group, problem, procedure, diagnosis,
    /// resolution, option, step…) and why it got it, by line number.
    Outline,
}
