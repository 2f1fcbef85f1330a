//! The `runbook` binary: subcommands, terminal output and exit codes.
//!
//! Exit codes: 0 success (warnings allowed), 1 the runbook has errors, 2 usage or I/O error.

mod cli;
mod commands;
mod files;
mod record;
mod report;
mod style;
mod terminal;
mod walk_summary;

use clap::Parser;
use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit codes shared by every subcommand.
pub mod exit {
    pub const OK: u8 = 0;
    pub const ERRORS: u8 = 1;
    pub const USAGE: u8 = 2;
    /// A run stopped at a question nobody answered.
    pub const NEEDS_ANSWER: u8 = 3;
    /// A non-interactive run finished, but a check failed at critical level.
    pub const CRITICAL_CHECK: u8 = 4;
    /// Another driver holds the session (`resume`), or took it from this one (`run`, `resume`).
    pub const LEASED: u8 = 5;
}

fn main() -> ExitCode {
    let args = match cli::Cli::try_parse() {
        Ok(args) => args,
        Err(e) => {
            let code = if e.use_stderr() { exit::USAGE } else { exit::OK };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    files::set_max_file_size(args.max_file_size);
    match commands::run(args) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit::USAGE)
        }
    }
}
