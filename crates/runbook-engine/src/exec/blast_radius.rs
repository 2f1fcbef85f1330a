//! Counting the rows a write would touch before it runs: the `SELECT count(*)` from
//! [`runbook_core::blast_radius`] in a read-only transaction that is rolled back, with the same
//! bound values as the write. The write itself never runs here.

use super::sql::{Database, PgSession, connect, db_error, with_casts};
use crate::result::{ErrorKind, StepError};
use sqlx::{AssertSqlSafe, Either, Executor, SqlSafeStr, Statement, TypeInfo};
use std::time::Duration;

/// One count query, values in parameter order.
#[derive(Debug, Clone)]
pub struct CountRequest {
    pub connection: String,
    pub url: String,
    pub text: String,
    pub values: Vec<String>,
    pub timeout: Duration,
}

pub async fn count(db: &Database, request: &CountRequest) -> Result<i64, StepError> {
    let work = async {
        match db {
            Database::Postgres(pool) => count_pg(pool, request).await,
            Database::Sqlite(pool) => count_sqlite(pool, request).await,
        }
    };
    match tokio::time::timeout(request.timeout + Duration::from_millis(500), work).await {
        Ok(r) => r,
        Err(_) => Err(StepError::new(ErrorKind::Timeout, format!("the count did not finish within {} ms", request.timeout.as_millis()))),
    }
}

/// On the session's one connection (see [`PgSession`]), in a read-only transaction that is
/// always rolled back before the connection is put back.
async fn count_pg(session: &PgSession, request: &CountRequest) -> Result<i64, StepError> {
    let mut slot = session.connection.clone().lock_owned().await;
    let mut conn = match slot.take() {
        Some(kept) => kept,
        None => connect(&session.options).await?,
    };
    let ms = request.timeout.as_millis();
    // Only a number is formatted into this text.
    let begin = format!("BEGIN READ ONLY; SET LOCAL statement_timeout = {ms}");
    conn.execute(AssertSqlSafe(begin)).await.map_err(|e| db_error(e, "BEGIN READ ONLY"))?;
    let outcome = async {
        // The same casts as the write gets (`user_id = $1` on a uuid column).
        let prepared =
            (&mut conn).prepare(AssertSqlSafe(request.text.clone()).into_sql_str()).await.map_err(|e| db_error(e, &request.text))?;
        let types: Vec<String> = match prepared.parameters() {
            Some(Either::Left(types)) => types.iter().map(|t| t.name().to_owned()).collect(),
            _ => Vec::new(),
        };
        let text = with_casts(&request.text, &types);
        let mut q = sqlx::query_scalar::<_, i64>(AssertSqlSafe(text.clone()));
        for v in &request.values {
            q = q.bind(v.as_str());
        }
        q.fetch_one(&mut conn).await.map_err(|e| db_error(e, &text))
    }
    .await;
    // A connection whose rollback failed is dropped, which ends the transaction too.
    if conn.execute("ROLLBACK").await.is_ok() {
        *slot = Some(conn);
    }
    outcome
}

async fn count_sqlite(pool: &sqlx::SqlitePool, request: &CountRequest) -> Result<i64, StepError> {
    let mut conn = pool.acquire().await.map_err(|e| db_error(e, ""))?;
    conn.execute("BEGIN").await.map_err(|e| db_error(e, "BEGIN"))?;
    let outcome = async {
        // SQLite has no read-only transaction; a connection-wide switch, undone below.
        conn.execute("PRAGMA query_only = ON").await.map_err(|e| db_error(e, "PRAGMA query_only"))?;
        let mut q = sqlx::query_scalar::<_, i64>(AssertSqlSafe(request.text.clone()));
        for v in &request.values {
            q = q.bind(v.as_str());
        }
        q.fetch_one(&mut *conn).await.map_err(|e| db_error(e, &request.text))
    }
    .await;
    conn.execute("ROLLBACK").await.map_err(|e| db_error(e, "ROLLBACK"))?;
    conn.execute("PRAGMA query_only = OFF").await.map_err(|e| db_error(e, "PRAGMA query_only"))?;
    outcome
}
