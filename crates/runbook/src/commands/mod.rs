mod check;
mod completions;
mod graph;
mod rehearse;
mod render;
mod run;
mod serve;
mod session;
mod session_files;

use crate::cli::{Cli, Command};
use anyhow::Result;

pub fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Check(args) => check::run(&args, cli.color),
        Command::Graph(args) => graph::run(&args, cli.color),
        Command::Run(args) => run::run(&args, cli.color),
        Command::Rehearse(args) => rehearse::run(&args, cli.color),
        Command::Sessions(args) => session::list(&args),
        Command::Resume(args) => session::resume(&args, cli.color),
        Command::Transcript(args) => session::transcript(&args),
        Command::Render(args) => render::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Completions(args) => completions::run(&args),
    }
}
