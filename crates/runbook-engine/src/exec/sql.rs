//! SQL steps against PostgreSQL and SQLite (sqlx). Parameters are bound, never spliced; read
//! steps run in a read-only transaction that is rolled back; rows are streamed, so a query that
//! returns a million rows keeps only the first few in memory.

use crate::bind::Dialect;
use crate::result::{ErrorKind, SqlResult, StepError};
use futures_util::TryStreamExt;
use runbook_core::model::{Placeholder, Step};
use serde_json::{Map, Value};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions, SqliteRow};
use sqlx::{AssertSqlSafe, Column, Connection, Either, Executor, Row, SqlSafeStr, Statement, TypeInfo, ValueRef};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// An open database, by URL scheme.
#[derive(Clone)]
pub enum Database {
    Postgres(Arc<PgSession>),
    Sqlite(sqlx::SqlitePool),
}

/// The one PostgreSQL connection of a session, opened on the first step and kept. Owning the
/// connection (rather than borrowing one from a pool for each step) saves the pool's liveness
/// pings on acquire and on release, two round trips per step; a broken connection is dropped
/// and the next step opens a new one.
pub struct PgSession {
    pub(crate) options: PgConnectOptions,
    /// `None` until the first step, and again after an I/O error. The lock is held from a
    /// step's first round trip until its transaction has ended, which for read steps happens
    /// after the step has returned (see [`end_in_background`]).
    pub(crate) connection: Arc<tokio::sync::Mutex<Option<PgConnection>>>,
}

impl Database {
    /// Nothing connects until the first step runs.
    pub fn open(url: &str) -> Result<Database, StepError> {
        let bad = |e: sqlx::Error| StepError::new(ErrorKind::Connection, format!("invalid database URL: {e}"));
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // The statement cache stays on (sqlx's default): a statement run again is bound and
            // executed without being parsed and described again.
            let options = PgConnectOptions::from_str(url).map_err(bad)?.application_name("runbook");
            Ok(Database::Postgres(Arc::new(PgSession { options, connection: Arc::default() })))
        } else if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url).map_err(bad)?;
            Ok(Database::Sqlite(
                SqlitePoolOptions::new().max_connections(1).acquire_timeout(Duration::from_secs(10)).connect_lazy_with(opts),
            ))
        } else {
            Err(StepError::new(
                ErrorKind::Connection,
                format!("unsupported database URL `{}`: use postgres://… or sqlite://…", redact_url(url)),
            ))
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Database::Postgres(_) => Dialect::Postgres,
            Database::Sqlite(_) => Dialect::Sqlite,
        }
    }
}

/// A URL with its password replaced, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// How a SQL step runs.
pub struct SqlRun<'a> {
    pub step: &'a Step,
    pub values: &'a HashMap<String, String>,
    pub read_only: bool,
    pub max_rows: usize,
    pub timeout: Duration,
}

/// One statement of a step with its own parameter numbering.
pub(crate) struct Statement_ {
    pub(crate) text: String,
    pub(crate) names: Vec<String>,
}

pub(crate) fn statements(step: &Step, dialect: Dialect) -> Vec<Statement_> {
    let mut out = Vec::new();
    for range in runbook_core::sqltext::split_statements(&step.code) {
        let code = &step.code[range.clone()];
        // psql's `\x` and friends are client commands, not SQL.
        let code: String = code.lines().filter(|l| !l.trim_start().starts_with('\\')).collect::<Vec<_>>().join("\n");
        if code.trim().is_empty() {
            continue;
        }
        let shift = range.start;
        let placeholders: Vec<Placeholder> = step
            .placeholders
            .iter()
            .filter(|p| p.start >= range.start && p.end <= range.end)
            .map(|p| Placeholder { start: p.start - shift, end: p.end - shift, ..p.clone() })
            .collect();
        // Meta-command lines were removed above; only keep placeholders that still line up.
        let fake = Step { code: step.code[range].to_owned(), placeholders, ..step.clone() };
        let bound = crate::bind::bind_sql(&fake, dialect);
        let text: String = bound.text.lines().filter(|l| !l.trim_start().starts_with('\\')).collect::<Vec<_>>().join("\n");
        out.push(Statement_ { text, names: bound.names });
    }
    out
}

pub(crate) fn db_error(e: sqlx::Error, statement: &str) -> StepError {
    match e {
        sqlx::Error::Database(db) => {
            let position = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>().and_then(|p| match p.position() {
                Some(sqlx::postgres::PgErrorPosition::Original(n)) => Some(n),
                _ => None,
            });
            // Postgres counts characters from 1; turn it into a byte offset.
            let position = position.and_then(|n| statement.char_indices().nth(n.saturating_sub(1)).map(|(i, _)| i));
            StepError { kind: ErrorKind::Database, message: db.message().to_owned(), position, statement: Some(statement.to_owned()) }
        }
        sqlx::Error::PoolTimedOut => StepError::new(ErrorKind::Connection, "could not connect to the database within 10 s"),
        sqlx::Error::Io(io) => StepError::new(ErrorKind::Connection, format!("cannot reach the database: {io}")),
        sqlx::Error::Tls(t) => StepError::new(ErrorKind::Connection, format!("TLS error: {t}")),
        other => StepError::new(ErrorKind::Database, other.to_string()),
    }
}

fn missing(name: &str) -> StepError {
    StepError::new(ErrorKind::Parameter, format!("no value for parameter {name}"))
}

pub async fn run(db: &Database, run: SqlRun<'_>) -> Result<SqlResult, StepError> {
    let timeout = run.timeout;
    let work = async {
        match db {
            Database::Postgres(session) => run_pg(session, &run).await,
            Database::Sqlite(pool) => run_sqlite(pool, &run).await,
        }
    };
    match tokio::time::timeout(timeout + Duration::from_millis(500), work).await {
        Ok(r) => r,
        Err(_) => Err(StepError::new(ErrorKind::Timeout, format!("the query did not finish within {} ms", timeout.as_millis()))),
    }
}

/// Statements that cannot run inside a transaction block.
fn needs_autocommit(text: &str) -> bool {
    let upper = text.trim_start().to_ascii_uppercase();
    upper.starts_with("VACUUM")
        || upper.contains("CONCURRENTLY")
        || upper.starts_with("CREATE DATABASE")
        || upper.starts_with("DROP DATABASE")
}

/// How long opening a connection may take (the pool's acquire timeout before).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) async fn connect(options: &PgConnectOptions) -> Result<PgConnection, StepError> {
    match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(options)).await {
        Ok(r) => r.map_err(|e| db_error(e, "")),
        Err(_) => Err(StepError::new(ErrorKind::Connection, "could not connect to the database within 10 s")),
    }
}

/// Whether an error means the connection is gone (and must not be used again).
fn is_broken(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::Protocol(_) | sqlx::Error::WorkerCrashed)
}

/// A step's work on PostgreSQL, in as few round trips as the protocol allows here: the
/// transaction is opened and its timeout set in one simple-query batch; each statement is
/// then prepared (answered from the statement cache when it ran before: no round trip) and
/// executed (one round trip); a read step's `ROLLBACK` leaves after the step has returned.
///
/// The connection is taken out of the session while the step uses it and put back only once
/// its transaction has ended: if the step is abandoned half-way (its timeout), the connection
/// is dropped with the future, which ends the transaction on the server.
async fn run_pg(session: &PgSession, run: &SqlRun<'_>) -> Result<SqlResult, StepError> {
    let stmts = statements(run.step, Dialect::Postgres);
    let mut slot = session.connection.clone().lock_owned().await;
    let autocommit = !run.read_only && stmts.iter().any(|s| needs_autocommit(&s.text));
    let ms = run.timeout.as_millis();
    // Only a number is formatted into this text.
    let (begin, label) = match (autocommit, run.read_only) {
        (true, _) => (format!("SET statement_timeout = {ms}"), "SET statement_timeout"),
        (false, true) => (format!("BEGIN READ ONLY; SET LOCAL statement_timeout = {ms}"), "BEGIN READ ONLY"),
        (false, false) => (format!("BEGIN; SET LOCAL statement_timeout = {ms}"), "BEGIN"),
    };
    // A kept connection may have been closed by the server while the operator was thinking:
    // nothing has run yet then, and the step starts again, once, on a new connection.
    let mut conn = match slot.take() {
        Some(mut kept) => match kept.execute(AssertSqlSafe(begin.clone())).await {
            Ok(_) => kept,
            Err(e) if is_broken(&e) => start(&session.options, &begin, label).await?,
            Err(e) => {
                *slot = Some(kept);
                return Err(db_error(e, label));
            }
        },
        None => start(&session.options, &begin, label).await?,
    };
    let mut result = SqlResult::default();
    let outcome = async {
        for st in &stmts {
            let values: Vec<&String> = st.names.iter().map(|n| run.values.get(n).ok_or_else(|| missing(n))).collect::<Result<_, _>>()?;
            // Preparing first tells the result columns (even for zero rows) and what type each
            // parameter has; the text value is then cast to it, so `user_id = $1` works for
            // uuid and integer columns without splicing anything.
            let prepared = (&mut conn).prepare(AssertSqlSafe(st.text.clone()).into_sql_str()).await.map_err(|e| db_error(e, &st.text))?;
            let types: Vec<String> = match prepared.parameters() {
                Some(Either::Left(types)) => types.iter().map(|t| t.name().to_owned()).collect(),
                _ => Vec::new(),
            };
            let columns: Vec<String> = prepared.columns().iter().map(|c| c.name().to_owned()).collect();
            let text = if st.names.is_empty() { st.text.clone() } else { with_casts(&st.text, &types) };
            let mut q = sqlx::query(AssertSqlSafe(text.clone()));
            for v in &values {
                q = q.bind(v.as_str());
            }
            let stream = (&mut conn).fetch_many(q);
            drain(stream, &text, columns, run.max_rows, pg_row, |d| d.rows_affected(), &mut result).await?;
        }
        Ok::<(), StepError>(())
    }
    .await;
    if autocommit {
        *slot = Some(conn);
        return outcome.map(|_| result);
    }
    if outcome.is_ok() && !run.read_only {
        // A write's result is its commit's result: wait for it.
        return match conn.execute("COMMIT").await {
            Ok(_) => {
                *slot = Some(conn);
                Ok(result)
            }
            Err(e) => {
                if !is_broken(&e) {
                    *slot = Some(conn);
                }
                Err(db_error(e, "COMMIT"))
            }
        };
    }
    roll_back_in_background(slot, conn).await;
    outcome.map(|_| result)
}

/// Opens a connection and starts the step's transaction on it.
async fn start(options: &PgConnectOptions, begin: &str, label: &str) -> Result<PgConnection, StepError> {
    let mut conn = connect(options).await?;
    conn.execute(AssertSqlSafe(begin.to_owned())).await.map_err(|e| db_error(e, label))?;
    Ok(conn)
}

/// Rolls the step's transaction back without making the step wait for the answer: a task
/// holds the session's lock until the server has answered, so the `ROLLBACK` travels while the
/// journal is written and the next step finds the connection idle. If it fails, the
/// connection is dropped, which ends the transaction on the server as well.
async fn roll_back_in_background(mut slot: tokio::sync::OwnedMutexGuard<Option<PgConnection>>, mut conn: PgConnection) {
    tokio::spawn(async move {
        if conn.execute("ROLLBACK").await.is_ok() {
            *slot = Some(conn);
        }
    });
    // Let the task send the ROLLBACK now (a current-thread runtime runs it before this one
    // resumes); it then waits for the answer while the step returns.
    tokio::task::yield_now().await;
}

/// Reads one statement's results: the first `max_rows` rows converted and kept, every row
/// counted (streamed through, never held), or the rows a write affected.
async fn drain<Q, R>(
    mut stream: futures_util::stream::BoxStream<'_, Result<Either<Q, R>, sqlx::Error>>,
    text: &str,
    columns: Vec<String>,
    max_rows: usize,
    convert: fn(&R) -> Map<String, Value>,
    affected: fn(&Q) -> u64,
    result: &mut SqlResult,
) -> Result<(), StepError> {
    result.columns = columns;
    result.rows.clear();
    result.row_count = 0;
    result.truncated = false;
    while let Some(item) = stream.try_next().await.map_err(|e| db_error(e, text))? {
        match item {
            Either::Left(done) if result.columns.is_empty() => result.row_count += affected(&done),
            Either::Left(_) => {}
            Either::Right(row) => {
                if result.rows.len() < max_rows {
                    result.rows.push(convert(&row));
                } else {
                    result.truncated = true;
                }
                result.row_count += 1;
            }
        }
    }
    result.statements += 1;
    Ok(())
}

/// `$1` → `CAST($1 AS uuid)` for parameters the server typed as something other than text.
pub(crate) fn with_casts(text: &str, types: &[String]) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
            let end = text[i + 1..].find(|c: char| !c.is_ascii_digit()).map_or(b.len(), |e| i + 1 + e);
            let n: usize = text[i + 1..end].parse().unwrap_or(0);
            match types.get(n.wrapping_sub(1)).map(|t| t.to_ascii_lowercase()) {
                Some(t)
                    if !matches!(t.as_str(), "text" | "varchar" | "unknown" | "bpchar" | "name" | "")
                        && t.chars().all(|c| c.is_ascii_alphanumeric() || "_[] ".contains(c)) =>
                {
                    out.push_str(&format!("CAST({} AS {t})", &text[i..end]));
                }
                _ => out.push_str(&text[i..end]),
            }
            i = end;
        } else {
            let c = text[i..].chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

fn pg_row(row: &PgRow) -> Map<String, Value> {
    let mut m = Map::new();
    for (i, col) in row.columns().iter().enumerate() {
        m.insert(col.name().to_owned(), pg_value(row, i, col.type_info().name()));
    }
    m
}

fn pg_value(row: &PgRow, i: usize, ty: &str) -> Value {
    if row.try_get_raw(i).is_ok_and(|v| v.is_null()) {
        return Value::Null;
    }
    macro_rules! get {
        ($t:ty) => {
            row.try_get::<$t, _>(i).ok()
        };
    }
    let v: Option<Value> = match ty {
        "BOOL" => get!(bool).map(Value::from),
        "INT2" => get!(i16).map(Value::from),
        "INT4" => get!(i32).map(Value::from),
        "INT8" => get!(i64).map(Value::from),
        "OID" => get!(sqlx::postgres::types::Oid).map(|o| Value::from(o.0)),
        "FLOAT4" => get!(f32).map(|f| Value::from(f as f64)),
        "FLOAT8" => get!(f64).map(Value::from),
        "NUMERIC" => {
            get!(sqlx::types::Decimal).map(|d| d.to_string().parse::<f64>().map(Value::from).unwrap_or_else(|_| Value::from(d.to_string())))
        }
        "UUID" => get!(sqlx::types::Uuid).map(|u| Value::from(u.to_string())),
        "TIMESTAMPTZ" => get!(sqlx::types::chrono::DateTime<sqlx::types::chrono::Utc>).map(|t| Value::from(t.to_rfc3339())),
        "TIMESTAMP" => get!(sqlx::types::chrono::NaiveDateTime).map(|t| Value::from(t.to_string())),
        "DATE" => get!(sqlx::types::chrono::NaiveDate).map(|t| Value::from(t.to_string())),
        "TIME" => get!(sqlx::types::chrono::NaiveTime).map(|t| Value::from(t.to_string())),
        "INTERVAL" => get!(sqlx::postgres::types::PgInterval).map(|iv| Value::from(format_interval(&iv))),
        "JSON" | "JSONB" => get!(sqlx::types::JsonValue),
        "INET" | "CIDR" => get!(sqlx::types::ipnet::IpNet)
            .map(|n| Value::from(if n.prefix_len() == n.max_prefix_len() { n.addr().to_string() } else { n.to_string() })),
        "TEXT[]" | "VARCHAR[]" | "NAME[]" => get!(Vec<String>).map(Value::from),
        "INT4[]" => get!(Vec<i32>).map(Value::from),
        "INT8[]" => get!(Vec<i64>).map(Value::from),
        "BYTEA" => get!(Vec<u8>).map(|b| Value::from(format!("\\x{}", b.iter().map(|x| format!("{x:02x}")).collect::<String>()))),
        _ => get!(String).map(Value::from),
    };
    v.unwrap_or_else(|| Value::from(format!("<{} value>", ty.to_ascii_lowercase())))
}

fn format_interval(iv: &sqlx::postgres::types::PgInterval) -> String {
    let total = iv.microseconds / 1_000_000;
    let (h, m, s) = (total / 3600, (total % 3600) / 60, total % 60);
    let mut parts = Vec::new();
    if iv.months != 0 {
        parts.push(format!("{} mons", iv.months));
    }
    if iv.days != 0 {
        parts.push(format!("{} days", iv.days));
    }
    parts.push(format!("{h:02}:{m:02}:{s:02}"));
    parts.join(" ")
}

async fn run_sqlite(pool: &sqlx::SqlitePool, run: &SqlRun<'_>) -> Result<SqlResult, StepError> {
    let stmts = statements(run.step, Dialect::Sqlite);
    let mut conn = pool.acquire().await.map_err(|e| db_error(e, ""))?;
    if run.read_only {
        conn.execute("PRAGMA query_only = ON").await.map_err(|e| db_error(e, "PRAGMA query_only"))?;
    }
    let autocommit = stmts.iter().any(|s| needs_autocommit(&s.text));
    if !autocommit {
        conn.execute("BEGIN").await.map_err(|e| db_error(e, "BEGIN"))?;
    }
    let mut result = SqlResult::default();
    let outcome = async {
        for st in &stmts {
            let columns: Vec<String> = match (&mut *conn).prepare(AssertSqlSafe(st.text.clone()).into_sql_str()).await {
                Ok(p) => p.columns().iter().map(|c| c.name().to_owned()).collect(),
                Err(e) => return Err(db_error(e, &st.text)),
            };
            let mut q = sqlx::query(AssertSqlSafe(st.text.clone()));
            for n in &st.names {
                q = q.bind(run.values.get(n).ok_or_else(|| missing(n))?.clone());
            }
            let stream = (&mut *conn).fetch_many(q);
            drain(stream, &st.text, columns, run.max_rows, sqlite_row, |d| d.rows_affected(), &mut result).await?;
        }
        Ok::<(), StepError>(())
    }
    .await;
    if !autocommit {
        let end = if outcome.is_ok() && !run.read_only { "COMMIT" } else { "ROLLBACK" };
        conn.execute(end).await.map_err(|e| db_error(e, end))?;
    }
    if run.read_only {
        conn.execute("PRAGMA query_only = OFF").await.map_err(|e| db_error(e, "PRAGMA query_only"))?;
    }
    outcome.map(|_| result)
}

fn sqlite_row(row: &SqliteRow) -> Map<String, Value> {
    let mut m = Map::new();
    for (i, col) in row.columns().iter().enumerate() {
        let raw = row.try_get_raw(i);
        let ty = raw.as_ref().map(|r| r.type_info().name().to_owned()).unwrap_or_default();
        let v = if raw.is_ok_and(|r| r.is_null()) {
            Value::Null
        } else {
            match ty.as_str() {
                "INTEGER" => row.try_get::<i64, _>(i).map(Value::from).unwrap_or(Value::Null),
                "REAL" => row.try_get::<f64, _>(i).map(Value::from).unwrap_or(Value::Null),
                "BOOLEAN" => row.try_get::<bool, _>(i).map(Value::from).unwrap_or(Value::Null),
                "BLOB" => row.try_get::<Vec<u8>, _>(i).map(|b| Value::from(format!("<{} bytes>", b.len()))).unwrap_or(Value::Null),
                _ => row.try_get::<String, _>(i).map(Value::from).unwrap_or(Value::Null),
            }
        };
        m.insert(col.name().to_owned(), v);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casts_only_typed_parameters() {
        assert_eq!(
            with_casts("SELECT * FROM t WHERE id = $1 AND name = $2", &["uuid".into(), "text".into()]),
            "SELECT * FROM t WHERE id = CAST($1 AS uuid) AND name = $2"
        );
        assert_eq!(with_casts("SELECT $1", &["int4; DROP".into()]), "SELECT $1");
    }

    #[test]
    fn urls_are_redacted() {
        assert_eq!(redact_url("postgres://app:s3cret@db:5432/x"), "postgres://app:***@db:5432/x");
        assert_eq!(redact_url("sqlite://x.db"), "sqlite://x.db");
    }
}
