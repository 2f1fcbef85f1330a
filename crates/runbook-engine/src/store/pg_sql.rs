//! The statements of the PostgreSQL store, shared by the store (opening, taking over,
//! releasing) and the driver's log (appending, renewing): each event one row, appended only by
//! the lease's holder onto the head it left.

use super::StoreError;
use super::lease::{self, Driver, Lease};
use super::pg_client::db;
use crate::journal::chain::encode_line;
use crate::journal::{Head, JournalEvent, Timestamp};
use sqlx::{PgConnection, Row};

/// One event made a row, with what it changes in the session's summary columns.
pub(super) struct EventRow {
    pub seq: u64,
    pub prev: String,
    pub hash: String,
    pub line: String,
    title: Option<String>,
    entry: Option<String>,
    last_step: Option<String>,
    end_status: Option<String>,
    /// Driven again: not ended any more.
    reopened: bool,
    /// Committed to disk before the statement returns. Not for the events between barriers
    /// (see `journal::is_barrier`): those are committed at once but flushed by the server within
    /// its WAL writer's delay, as the journal files group their fsyncs. A killed driver loses
    /// none of them; a crashed server only the last read-only ones, in order, so the chain holds.
    pub durable: bool,
}

impl EventRow {
    pub fn of(event: &JournalEvent, seq: u64, prev: &str) -> std::io::Result<EventRow> {
        let (line, hash) = encode_line(event, seq, Timestamp::now(), prev)?;
        let (title, entry) = match event {
            JournalEvent::Entry { runbook_title, entry, .. } => (Some(runbook_title.clone()), Some(entry.clone())),
            _ => (None, None),
        };
        let end_status = match event {
            JournalEvent::End { status, .. } => Some(status.as_str().to_owned()),
            _ => None,
        };
        let reopened = matches!(event, JournalEvent::Resumed { .. } | JournalEvent::TakeOver { .. });
        Ok(EventRow {
            seq,
            prev: prev.to_owned(),
            hash,
            line,
            title,
            entry,
            last_step: event.step().map(str::to_owned),
            end_status,
            reopened,
            durable: true,
        })
    }
}

fn seconds(d: std::time::Duration) -> f64 {
    d.as_secs_f64()
}

pub(super) fn as_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Appends one row if `me` holds the lease and the head is the row's `prev`; renews the lease.
/// `Ok(false)`: neither held, nothing written.
pub(super) async fn insert_event(conn: &mut PgConnection, id: &str, me: &Driver, row: &EventRow) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "WITH commit_mode AS (SELECT set_config('synchronous_commit', $15, true)
        ), lease AS (
            UPDATE runbook_session_leases SET expires = now() + make_interval(secs => $5)
            WHERE session_id = $1 AND holder = $2 AND host = $3 AND pid = $4 RETURNING 1
        ), head AS (
            UPDATE runbook_sessions SET head_seq = $6, head_hash = $7, updated = now(),
                runbook_title = COALESCE($10, runbook_title), entry = COALESCE($11, entry),
                last_step = COALESCE($12, last_step),
                end_status = CASE WHEN $13 THEN NULL ELSE COALESCE($14, end_status) END
            WHERE id = $1 AND head_seq = $6 - 1 AND head_hash = $8 AND EXISTS (SELECT 1 FROM lease) RETURNING 1
        )
        INSERT INTO runbook_session_events (session_id, seq, line, prev, hash) SELECT $1, $6, $9, $8, $7 FROM head, commit_mode",
    )
    .bind(id)
    .bind(&me.holder)
    .bind(&me.host)
    .bind(i64::from(me.pid))
    .bind(seconds(lease::lease_length()))
    .bind(as_i64(row.seq))
    .bind(&row.hash)
    .bind(&row.prev)
    .bind(&row.line)
    .bind(&row.title)
    .bind(&row.entry)
    .bind(&row.last_step)
    .bind(row.reopened)
    .bind(&row.end_status)
    .bind(if row.durable { "on" } else { "off" })
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The session's lease and the database's clock, in milliseconds since the epoch.
pub(super) async fn lease_of(conn: &mut PgConnection, id: &str, lock: bool) -> Result<(Option<Lease>, Timestamp), sqlx::Error> {
    let sql = if lock {
        "SELECT holder, host, pid, (extract(epoch FROM expires) * 1000)::bigint AS expires FROM runbook_session_leases WHERE session_id = $1 FOR UPDATE"
    } else {
        "SELECT holder, host, pid, (extract(epoch FROM expires) * 1000)::bigint AS expires FROM runbook_session_leases WHERE session_id = $1"
    };
    let lease = sqlx::query(sql).bind(id).fetch_optional(&mut *conn).await?.map(|r| lease_row(&r));
    let now: i64 = sqlx::query_scalar("SELECT (extract(epoch FROM now()) * 1000)::bigint").fetch_one(&mut *conn).await?;
    Ok((lease, Timestamp::from_millis(u64::try_from(now).unwrap_or(0))))
}

pub(super) fn lease_row(r: &sqlx::postgres::PgRow) -> Lease {
    let millis = |v: Option<i64>| v.and_then(|m| u64::try_from(m).ok()).map(Timestamp::from_millis);
    Lease {
        holder: r.try_get("holder").unwrap_or_default(),
        host: r.try_get("host").unwrap_or_default(),
        pid: r.try_get::<i64, _>("pid").ok().and_then(|p| u32::try_from(p).ok()).unwrap_or(0),
        expires: millis(r.try_get("expires").ok()),
    }
}

/// Why an append did nothing: the lease went to someone else, or the head moved.
pub(super) async fn refused(conn: &mut PgConnection, id: &str, me: &Driver) -> StoreError {
    match lease_of(conn, id, false).await {
        Ok((Some(l), _)) if l.holder != me.holder || l.host != me.host || l.pid != me.pid => StoreError::LeaseLost { by: l.who() },
        Ok((None, _)) => StoreError::LeaseLost { by: "nobody (it was released)".into() },
        Ok(_) => StoreError::NotDrivable(format!("session {id}: its head moved under this driver; not writing a fork")),
        Err(e) => db(e),
    }
}

/// Whether the session's head is the event `seq` with `hash`.
pub(super) async fn head_is(conn: &mut PgConnection, id: &str, seq: u64, hash: &str) -> Result<bool, sqlx::Error> {
    let found: Option<bool> = sqlx::query_scalar("SELECT head_seq = $2 AND head_hash = $3 FROM runbook_sessions WHERE id = $1")
        .bind(id)
        .bind(as_i64(seq))
        .bind(hash)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(found == Some(true))
}

pub(super) async fn take_lease(conn: &mut PgConnection, id: &str, me: &Driver) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO runbook_session_leases (session_id, holder, host, pid, expires) VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))
         ON CONFLICT (session_id) DO UPDATE SET holder = $2, host = $3, pid = $4, expires = now() + make_interval(secs => $5)",
    )
    .bind(id)
    .bind(&me.holder)
    .bind(&me.host)
    .bind(i64::from(me.pid))
    .bind(seconds(lease::lease_length()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(super) async fn head_of(conn: &mut PgConnection, id: &str) -> Result<Option<Head>, sqlx::Error> {
    let row = sqlx::query("SELECT head_seq, head_hash FROM runbook_sessions WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|r| Head { seq: u64::try_from(r.get::<i64, _>("head_seq")).unwrap_or(0), hash: r.get("head_hash") }))
}
