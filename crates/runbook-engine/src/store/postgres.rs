//! The shared store: sessions in PostgreSQL, so a team sees one incident's session from several
//! machines. Tables (see `migrations/`): `runbook_sessions` (header, runbook text, head, the
//! columns `runbook sessions` shows), `runbook_session_events` (one row per journal line,
//! byte for byte) and `runbook_session_leases` (who drives, until when).
//!
//! Each event is one statement, so one transaction: it renews the writer's lease, moves the
//! session's head from the event before to this one, and inserts the row, or does nothing at
//! all when the writer no longer holds the lease or the head moved under it. A driver that
//! lost its lease therefore never writes a fork, and deleting the last rows is found by
//! `verify` because the head still names them. Times are the database's, so the machines'
//! clocks need not agree on when a lease expires.

use super::lease::{self, Claim, Driver, Lease};
pub use super::pg_client::redact_url;
use super::pg_client::{PgClient, db};
use super::pg_log::PgLog;
use super::pg_sql::{EventRow, as_i64, head_of, insert_event, lease_of, take_lease};
use super::{SessionLog, SessionState, SessionStore, SessionSummary, StoreError};
use crate::journal::chain;
use crate::journal::{Broken, GENESIS, Head, JournalEvent, Line, Mode, SessionHeader, Timestamp, Verified};
use sqlx::Row;
use std::sync::Arc;

/// A row's sequence number and text (the head's hash, an event's line).
type SeqText = (i64, String);

pub struct PgStore {
    client: Arc<PgClient>,
    url: String,
}

impl PgStore {
    /// A store for one driver or reader: one connection, which its events and its lease's
    /// renewals take turns on (twenty drivers are twenty connections, not eighty).
    pub fn connect(url: &str) -> Result<PgStore, StoreError> {
        PgStore::connect_with(url, 1)
    }

    /// A store for a server that reads many sessions at once: up to `connections`.
    pub fn connect_with(url: &str, connections: u32) -> Result<PgStore, StoreError> {
        Ok(PgStore { client: Arc::new(PgClient::connect(url, connections)?), url: url.to_owned() })
    }

    fn not_found(&self, id: &str) -> StoreError {
        StoreError::NotFound { id: id.to_owned(), place: redact_url(&self.url) }
    }
}

impl SessionStore for PgStore {
    fn create(&self, header: &SessionHeader, runbook_text: &str, driver: &Driver) -> Result<Box<dyn SessionLog>, StoreError> {
        let (id, me, text) = (header.id.clone(), driver.clone(), runbook_text.to_owned());
        let header_json = serde_json::to_string(header).map_err(|e| StoreError::Io(e.into()))?;
        let first = EventRow::of(&JournalEvent::Session(header.clone()), 1, GENESIS)?;
        let (mode, runbook) = (header.mode.as_str().to_owned(), header.runbook.clone());
        let (seq, prev) = (first.seq, first.hash.clone());
        self.client.call(move |pool| async move {
            let mut tx = pool.begin().await.map_err(db)?;
            sqlx::query(
                "INSERT INTO runbook_sessions (id, header, mode, runbook, runbook_text, head_hash) VALUES ($1, $2::jsonb, $3, $4, $5, $6)",
            )
            .bind(&id)
            .bind(&header_json)
            .bind(&mode)
            .bind(&runbook)
            .bind(&text)
            .bind(GENESIS)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
            take_lease(&mut tx, &id, &me).await.map_err(db)?;
            if !insert_event(&mut tx, &id, &me, &first).await.map_err(db)? {
                return Err(StoreError::Database(format!("session {id}: its first event was refused")));
            }
            tx.commit().await.map_err(db)
        })?;
        Ok(Box::new(PgLog::start(Arc::clone(&self.client), &self.url, &header.id, driver, seq, prev, true)))
    }

    fn reopen(&self, id: &str, driver: &Driver, take_over: bool) -> Result<Box<dyn SessionLog>, StoreError> {
        let (sid, me) = (id.to_owned(), driver.clone());
        let missing = self.not_found(id);
        let (seq, prev) = self.client.call(move |pool| async move {
            let mut tx = pool.begin().await.map_err(db)?;
            let Some(head) = head_of(&mut tx, &sid).await.map_err(db)? else { return Err(missing) };
            let (current, now) = lease_of(&mut tx, &sid, true).await.map_err(db)?;
            let claim = lease::claim(current.as_ref(), &me, now, take_over)?;
            take_lease(&mut tx, &sid, &me).await.map_err(db)?;
            let (mut seq, mut prev) = (head.seq, head.hash);
            if let Claim::TakeOver(event) = claim {
                let row = EventRow::of(&event, seq + 1, &prev)?;
                if !insert_event(&mut tx, &sid, &me, &row).await.map_err(db)? {
                    return Err(StoreError::Database(format!("session {sid}: the take-over could not be recorded")));
                }
                (seq, prev) = (row.seq, row.hash);
            }
            tx.commit().await.map_err(db)?;
            Ok((seq, prev))
        })?;
        Ok(Box::new(PgLog::start(Arc::clone(&self.client), &self.url, id, driver, seq, prev, false)))
    }

    fn find(&self, id_or_prefix: &str) -> Result<String, StoreError> {
        let prefix = id_or_prefix.to_owned();
        let ids: Vec<String> = self.client.call(move |pool| async move {
            // An exact id first; a prefix only when no id equals it.
            let like = format!("{}%", prefix.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
            sqlx::query_scalar("SELECT id FROM runbook_sessions WHERE id = $1 OR (id LIKE $2 AND NOT EXISTS (SELECT 1 FROM runbook_sessions WHERE id = $1)) LIMIT 3")
                .bind(&prefix)
                .bind(&like)
                .fetch_all(&pool)
                .await
                .map_err(db)
        })?;
        match ids.len() {
            1 => Ok(ids[0].clone()),
            0 => Err(self.not_found(id_or_prefix)),
            n => Err(StoreError::Ambiguous { prefix: id_or_prefix.to_owned(), matches: n }),
        }
    }

    fn list(&self) -> Result<Vec<SessionSummary>, StoreError> {
        self.client.call(|pool| async move {
            let rows = sqlx::query(
                "SELECT s.id, s.mode, s.runbook, s.runbook_title, s.entry, s.last_step, s.end_status, s.head_seq,
                        (extract(epoch FROM s.created) * 1000)::bigint AS created, (extract(epoch FROM s.updated) * 1000)::bigint AS updated,
                        l.holder, l.host, l.pid, (extract(epoch FROM l.expires) * 1000)::bigint AS expires, l.expires > now() AS live
                 FROM runbook_sessions s LEFT JOIN runbook_session_leases l ON l.session_id = s.id
                 ORDER BY s.created DESC, s.id DESC",
            )
            .fetch_all(&pool)
            .await
            .map_err(db)?;
            Ok(rows.iter().map(summary_row).collect())
        })
    }

    fn events(&self, id: &str, after: u64) -> Result<Vec<Line>, StoreError> {
        let sid = id.to_owned();
        let lines: Vec<(i64, String)> = self.client.call(move |pool| async move {
            sqlx::query_as("SELECT seq, line FROM runbook_session_events WHERE session_id = $1 AND seq > $2 ORDER BY seq")
                .bind(&sid)
                .bind(as_i64(after))
                .fetch_all(&pool)
                .await
                .map_err(db)
        })?;
        lines
            .iter()
            .map(|(seq, line)| {
                serde_json::from_str(line).map_err(|e| StoreError::Database(format!("session {id}, event {seq}: not a journal event: {e}")))
            })
            .collect()
    }

    fn runbook_text(&self, id: &str) -> Result<Option<String>, StoreError> {
        let sid = id.to_owned();
        let row: Option<Option<String>> = self.client.call(move |pool| async move {
            sqlx::query_scalar("SELECT runbook_text FROM runbook_sessions WHERE id = $1").bind(&sid).fetch_optional(&pool).await.map_err(db)
        })?;
        row.ok_or_else(|| self.not_found(id))
    }

    fn verify(&self, id: &str) -> Result<Result<Verified, Broken>, StoreError> {
        let sid = id.to_owned();
        let (head, lines): (Option<SeqText>, Vec<SeqText>) = self.client.call(move |pool| async move {
            // One snapshot for the head and the rows, so a driver appending meanwhile is no cut.
            let mut tx = pool.begin().await.map_err(db)?;
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").execute(&mut *tx).await.map_err(db)?;
            let head = sqlx::query_as("SELECT head_seq, head_hash FROM runbook_sessions WHERE id = $1")
                .bind(&sid)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
            let lines = sqlx::query_as("SELECT seq, line FROM runbook_session_events WHERE session_id = $1 ORDER BY seq")
                .bind(&sid)
                .fetch_all(&mut *tx)
                .await
                .map_err(db)?;
            tx.commit().await.map_err(db)?;
            Ok((head, lines))
        })?;
        let Some((head_seq, head_hash)) = head else { return Err(self.not_found(id)) };
        // A row is known by its sequence number; the chain finds a gap as a broken link.
        let numbered = lines.iter().map(|(seq, line)| (usize::try_from(*seq).unwrap_or(0), line.as_bytes()));
        let chain = match chain::check_chain(numbered) {
            Ok(c) => c,
            Err(b) => return Ok(Err(b)),
        };
        let head = Head { seq: u64::try_from(head_seq).unwrap_or(0), hash: head_hash };
        // The head moves in the same transaction as its row: it is never one behind.
        let end = chain.last_line + 1;
        Ok(match chain::check_head(&chain, &head, end) {
            Ok(false) => Ok(Verified { events: chain.events, torn: None, head_behind: false }),
            Ok(true) => Err(Broken {
                line: end - 1,
                problem: format!("event {} is past the session's head: it was added by something else", end - 1),
            }),
            Err(b) => Err(b),
        })
    }

    fn release(&self, id: &str, driver: &Driver) -> Result<bool, StoreError> {
        let (sid, me) = (id.to_owned(), driver.clone());
        let missing = self.not_found(id);
        self.client.call(move |pool| async move {
            let mut tx = pool.begin().await.map_err(db)?;
            let Some(head) = head_of(&mut tx, &sid).await.map_err(db)? else { return Err(missing) };
            let (current, _) = lease_of(&mut tx, &sid, true).await.map_err(db)?;
            let Some(held) = current.filter(|l| l.holder == me.holder) else { return Ok(false) };
            // Written in the holder's name (the lease is theirs), then the lease goes.
            let holder = Driver { holder: held.holder.clone(), host: held.host.clone(), pid: held.pid };
            let event = JournalEvent::HandOver { from: held.who(), note: format!("released by {}", Lease::of(&me, None).who()) };
            let row = EventRow::of(&event, head.seq + 1, &head.hash)?;
            if !insert_event(&mut tx, &sid, &holder, &row).await.map_err(db)? {
                return Err(StoreError::Database(format!("session {sid}: the hand-over could not be recorded")));
            }
            sqlx::query("DELETE FROM runbook_session_leases WHERE session_id = $1").bind(&sid).execute(&mut *tx).await.map_err(db)?;
            tx.commit().await.map_err(db)?;
            Ok(true)
        })
    }

    fn describe(&self) -> String {
        redact_url(&self.url)
    }
}

fn summary_row(r: &sqlx::postgres::PgRow) -> SessionSummary {
    let millis =
        |name: &str| r.try_get::<Option<i64>, _>(name).ok().flatten().and_then(|m| u64::try_from(m).ok()).map(Timestamp::from_millis);
    let text = |name: &str| r.try_get::<Option<String>, _>(name).ok().flatten();
    let live = r.try_get::<Option<bool>, _>("live").ok().flatten().unwrap_or(false);
    let driver = text("holder").filter(|_| live).map(|holder| Lease {
        holder,
        host: text("host").unwrap_or_default(),
        pid: r.try_get::<Option<i64>, _>("pid").ok().flatten().and_then(|p| u32::try_from(p).ok()).unwrap_or(0),
        expires: millis("expires"),
    });
    let ended = text("end_status").and_then(|s| serde_json::from_value(serde_json::Value::String(s)).ok());
    let state = match (&driver, ended) {
        (Some(_), _) => SessionState::Running,
        (None, Some(status)) => SessionState::Ended(status),
        (None, None) => SessionState::Interrupted,
    };
    SessionSummary {
        id: text("id").unwrap_or_default(),
        mode: text("mode").as_deref().map(|m| if m == "rehearse" { Mode::Rehearse } else { Mode::Run }),
        runbook: text("runbook"),
        runbook_title: text("runbook_title"),
        entry: text("entry"),
        state,
        driver,
        last_step: text("last_step"),
        started: millis("created"),
        updated: millis("updated"),
        events: r.try_get::<i64, _>("head_seq").ok().and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
    }
}
