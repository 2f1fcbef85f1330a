//! `runbook serve`: the sessions of the store as live web pages (see the `runbook-serve` crate).

use crate::cli::ServeArgs;
use crate::exit;
use anyhow::{Context, Result};
use std::sync::Arc;
use std::time::Duration;

/// The variable holding the token, so it stays off the command line.
pub const TOKEN_VAR: &str = "RUNBOOK_SERVE_TOKEN";

/// How many PostgreSQL connections the server reads with: the pollers of the followed sessions
/// and the pages share them.
const STORE_CONNECTIONS: u32 = 8;

pub fn run(args: &ServeArgs, sessions: Option<&str>) -> Result<u8> {
    let token = args.token.clone().or_else(|| std::env::var(TOKEN_VAR).ok().filter(|t| !t.is_empty()));
    let store = runbook_engine::store::open_with(sessions, args.journal_dir.as_deref(), STORE_CONNECTIONS)?;
    let config =
        runbook_serve::Config { listen: args.listen, token, poll_interval: Duration::from_millis(args.poll_ms), store: store.describe() };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let server = match runbook_serve::bind(config, Arc::from(store)).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: cannot serve on {}: {e}", args.listen);
                return Ok(exit::USAGE);
            }
        };
        let addr = server.local_addr().context("the bound address")?;
        eprintln!("serving sessions on http://{addr}/ (Ctrl-C stops)");
        server
            .run(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .context("the server stopped")?;
        Ok(exit::OK)
    })
}
