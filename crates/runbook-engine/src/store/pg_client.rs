//! The PostgreSQL store's connection: a pool living on a thread of its own, with its own tokio
//! runtime, answering calls over a channel.
//!
//! The store's callers are synchronous (the interpreter's event sink) and often already inside
//! a runtime (`run` drives the interpreter with `block_on` on a current-thread runtime, `serve`
//! from `spawn_blocking`): blocking on a future there would panic or stall. A call here blocks
//! only on a channel, which is allowed anywhere, while the future runs on the store's thread.

use super::StoreError;
use sqlx::PgPool;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::PgPoolOptions;
use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

type Job = Box<dyn FnOnce(PgPool) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// The migrations shipped in the binary, applied on connect. Their own bookkeeping table, so
/// that a database whose application also uses sqlx migrations is left alone.
fn migrator() -> Migrator {
    let sql = sqlx::SqlStr::from_static(include_str!("../../migrations/20261130000001_sessions.sql"));
    let mut m =
        Migrator::with_migrations(vec![Migration::new(20261130000001, Cow::Borrowed("sessions"), MigrationType::Simple, sql, false)]);
    m.dangerous_set_table_name("runbook_migrations");
    m.set_ignore_missing(true);
    m
}

pub struct PgClient {
    jobs: UnboundedSender<Job>,
}

impl PgClient {
    /// Connects (up to `connections` at once), applies the migrations, and keeps the pool on
    /// its thread until the client is dropped.
    pub fn connect(url: &str, connections: u32) -> Result<PgClient, StoreError> {
        let (jobs, mut incoming) = unbounded_channel::<Job>();
        let (ready, is_ready) = std::sync::mpsc::channel::<Result<(), StoreError>>();
        let url = url.to_owned();
        std::thread::Builder::new()
            .name("runbook-sessions".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = ready.send(Err(StoreError::Io(e)));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let pool = match PgPoolOptions::new()
                        .max_connections(connections.max(1))
                        .acquire_timeout(Duration::from_secs(10))
                        .connect(&url)
                        .await
                    {
                        Ok(p) => p,
                        Err(e) => {
                            let _ = ready.send(Err(StoreError::Database(format!("cannot connect: {e}"))));
                            return;
                        }
                    };
                    if let Err(e) = migrator().run(&pool).await {
                        let _ = ready.send(Err(StoreError::Database(format!("cannot create the schema: {e}"))));
                        return;
                    }
                    let _ = ready.send(Ok(()));
                    while let Some(job) = incoming.recv().await {
                        tokio::spawn(job(pool.clone()));
                    }
                    pool.close().await;
                });
            })
            .map_err(StoreError::Io)?;
        is_ready.recv().map_err(|_| StoreError::Database("the session store's thread ended".into()))??;
        Ok(PgClient { jobs })
    }

    /// Runs `work` on the store's thread and waits for its answer.
    pub fn call<T, F, Fut>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(PgPool) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        let (answer, answered) = std::sync::mpsc::sync_channel(1);
        let job: Job = Box::new(move |pool| {
            Box::pin(async move {
                let _ = answer.send(work(pool).await);
            })
        });
        self.jobs.send(job).map_err(|_| StoreError::Database("the session store's thread ended".into()))?;
        answered.recv().map_err(|_| StoreError::Database("the session store's thread ended".into()))?
    }
}

/// A database error as the store reports it.
pub fn db(e: sqlx::Error) -> StoreError {
    StoreError::Database(e.to_string())
}

/// A URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}
