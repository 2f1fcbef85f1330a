//! `runbook completions bash|zsh|fish`: a completion script generated from the same clap
//! definitions that parse the command line, so it never falls behind a new flag.

use crate::cli::{Cli, CompletionShell, CompletionsArgs};
use anyhow::Result;
use clap::CommandFactory;
use clap_complete::Shell;

pub fn run(args: &CompletionsArgs) -> Result<u8> {
    let shell = match args.shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
    };
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "runbook", &mut std::io::stdout());
    Ok(crate::exit::OK)
}
