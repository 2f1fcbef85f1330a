mod check;
mod completions;
mod follow;
mod graph;
mod rehearse;
mod render;
mod run;
mod serve;
mod session;
mod session_store;

use crate::cli::{Cli, Command};
use anyhow::Result;

pub fn run(cli: Cli) -> Result<u8> {
    let sessions = cli.sessions.as_deref();
    match cli.command {
        Command::Check(args) => check::run(&args, cli.color),
        Command::Graph(args) => graph::run(&args, cli.color),
        Command::Run(args) => run::run(&args, sessions, cli.color),
        Command::Rehearse(args) => rehearse::run(&args, sessions, cli.color),
        Command::Sessions(args) => session::list(&args, sessions),
        Command::Resume(args) => session::resume(&args, sessions, cli.color),
        Command::Handover(args) => session::handover(&args, sessions),
        Command::Follow(args) => follow::run(&args, sessions),
        Command::Transcript(args) => session::transcript(&args, sessions),
        Command::Render(args) => render::run(&args),
        Command::Serve(args) => serve::run(&args, sessions),
        Command::Completions(args) => completions::run(&args),
    }
}
