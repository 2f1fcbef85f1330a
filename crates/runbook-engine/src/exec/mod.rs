//! Live executors. Each takes what to run and returns a typed result or a `StepError`.

pub mod blast_radius;
pub mod http;
pub mod shell;
pub mod sql;

use crate::result::{ErrorKind, Outcome, StepError};
use runbook_core::model::{HttpRequest, Step};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// What a step runs, values already bound.
#[derive(Debug, Clone)]
pub enum Request {
    Sql {
        connection: String,
        url: String,
        values: HashMap<String, String>,
        read_only: bool,
        max_rows: usize,
        timeout: Duration,
    },
    Http {
        request: HttpRequest,
        timeout: Duration,
    },
    /// `export`: variables whose values at exit later steps need (see [`shell::run`]).
    Shell {
        code: String,
        env: Vec<(String, String)>,
        export: Vec<String>,
        timeout: Duration,
    },
}

pub type StepFuture<'a> = Pin<Box<dyn Future<Output = Result<Outcome, StepError>> + 'a>>;

pub type CountFuture<'a> = Pin<Box<dyn Future<Output = Result<i64, StepError>> + 'a>>;

/// Runs requests. `Live` reaches real systems; a rehearsal executor answers from fixtures and
/// has no way to reach anything.
pub trait Executor {
    fn execute<'a>(&'a mut self, step: &'a Step, request: Request) -> StepFuture<'a>;

    /// The rows a write would touch, counted read-only (see [`blast_radius`]). Executors that
    /// reach nothing cannot count.
    fn count<'a>(&'a mut self, _request: blast_radius::CountRequest) -> CountFuture<'a> {
        Box::pin(async { Err(StepError::new(ErrorKind::Unsupported, "nothing is counted here")) })
    }
}

/// The live executors: sqlx pools (opened lazily, one per connection), reqwest clients (built
/// lazily, kept with their connection pools for the session), bash.
#[derive(Default)]
pub struct Live {
    databases: HashMap<String, sql::Database>,
    http: http::Clients,
}

impl Live {
    fn database(&mut self, connection: &str, url: &str) -> Result<sql::Database, StepError> {
        if let Some(db) = self.databases.get(connection) {
            return Ok(db.clone());
        }
        let db = sql::Database::open(url)?;
        self.databases.insert(connection.to_owned(), db.clone());
        Ok(db)
    }
}

impl Executor for Live {
    fn count<'a>(&'a mut self, request: blast_radius::CountRequest) -> CountFuture<'a> {
        Box::pin(async move {
            let db = self.database(&request.connection, &request.url)?;
            blast_radius::count(&db, &request).await
        })
    }

    fn execute<'a>(&'a mut self, step: &'a Step, request: Request) -> StepFuture<'a> {
        Box::pin(async move {
            match request {
                Request::Sql { connection, url, values, read_only, max_rows, timeout } => {
                    let db = match self.databases.get(&connection) {
                        Some(db) => db.clone(),
                        None => {
                            let db = sql::Database::open(&url)?;
                            self.databases.insert(connection, db.clone());
                            db
                        }
                    };
                    sql::run(&db, sql::SqlRun { step, values: &values, read_only, max_rows, timeout }).await.map(Outcome::Sql)
                }
                Request::Http { request, timeout } => http::run(&mut self.http, &request, timeout).await.map(Outcome::Http),
                Request::Shell { code, env, export, timeout } => shell::run(&code, &env, &export, timeout).await.map(Outcome::Shell),
            }
        })
    }
}

/// An executor that refuses everything; for graphs with only manual steps and for tests.
pub struct Nothing;

impl Executor for Nothing {
    fn execute<'a>(&'a mut self, _step: &'a Step, _request: Request) -> StepFuture<'a> {
        Box::pin(async { Err(StepError::new(ErrorKind::Unsupported, "nothing can run here")) })
    }
}
