//! The writing end of a session in PostgreSQL: appends each event in its own transaction and
//! waits for the commit (a step does not start before the event ahead of it is stored), renews
//! the lease in the background, and hands it over at the end.

use super::lease::{self, Driver, Renewer};
use super::pg_client::{PgClient, db, redact_url};
use super::pg_sql::{EventRow, head_is, insert_event, refused};
use super::{SessionLog, StoreError};
use crate::events::{Event, EventSink};
use crate::journal::{Journal, JournalEvent};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct PgLog {
    client: Arc<PgClient>,
    id: String,
    location: String,
    driver: Driver,
    seq: u64,
    prev: String,
    error: Option<String>,
    lost_to: Option<String>,
    renewer: Option<Renewer>,
    /// Whether letting go needs a `hand_over` record: not when this driver wrote nothing, nor
    /// right after the walk's `end` (which says the driver stopped).
    wrote: bool,
}

impl PgLog {
    pub(super) fn start(client: Arc<PgClient>, url: &str, id: &str, driver: &Driver, seq: u64, prev: String, wrote: bool) -> PgLog {
        let renewing = Arc::clone(&client);
        let (sid, me) = (id.to_owned(), driver.clone());
        let renewer = Renewer::start(lease::lease_length() / 3, move || renew(&renewing, &sid, &me));
        PgLog {
            client,
            id: id.to_owned(),
            location: format!("{}#{id}", redact_url(url)),
            driver: driver.clone(),
            seq,
            prev,
            error: None,
            lost_to: None,
            renewer: Some(renewer),
            wrote,
        }
    }
}

/// Moves the lease's expiry on, if this driver still holds it.
fn renew(client: &PgClient, id: &str, me: &Driver) -> Result<(), StoreError> {
    let (sid, me) = (id.to_owned(), me.clone());
    client.call(move |pool| async move {
        let done = sqlx::query(
            "UPDATE runbook_session_leases SET expires = now() + make_interval(secs => $5)
             WHERE session_id = $1 AND holder = $2 AND host = $3 AND pid = $4",
        )
        .bind(&sid)
        .bind(&me.holder)
        .bind(&me.host)
        .bind(i64::from(me.pid))
        .bind(lease::lease_length().as_secs_f64())
        .execute(&pool)
        .await
        .map_err(db)?;
        if done.rows_affected() == 1 {
            return Ok(());
        }
        let mut conn = pool.acquire().await.map_err(db)?;
        Err(refused(&mut conn, &sid, &me).await)
    })
}

impl PgLog {
    /// Appends one event; `durable`: on disk before returning (see `EventRow::durable`).
    fn write(&mut self, event: &JournalEvent, durable: bool) -> std::io::Result<()> {
        if let Some(by) = self.lost_to() {
            return Err(std::io::Error::other(StoreError::LeaseLost { by }));
        }
        let mut row = EventRow::of(event, self.seq + 1, &self.prev)?;
        row.durable = durable;
        let row = Arc::new(row);
        let ends = matches!(event, JournalEvent::End { .. });
        // The next step waits for this event: a store that does not answer is tried again
        // until the lease would have run out, and then this driver has lost it anyway.
        let deadline = Instant::now() + lease::lease_length();
        let mut pause = Duration::from_millis(100);
        let written = loop {
            let (sid, me, row) = (self.id.clone(), self.driver.clone(), Arc::clone(&row));
            let tried = self.client.call(move |pool| async move {
                let mut conn = pool.acquire().await.map_err(db)?;
                if insert_event(&mut conn, &sid, &me, &row).await.map_err(db)? {
                    return Ok(());
                }
                // A try whose commit went through but whose answer was lost finds its row there.
                if head_is(&mut conn, &sid, row.seq, &row.hash).await.map_err(db)? {
                    return Ok(());
                }
                Err(refused(&mut conn, &sid, &me).await)
            });
            match tried {
                Err(StoreError::Database(e)) if Instant::now() + pause < deadline => {
                    tracing::warn!("session store write failed, trying again: {e}");
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_secs(2));
                }
                Err(StoreError::Database(e)) => {
                    let secs = lease::lease_length().as_secs_f64();
                    break Err(StoreError::LeaseLost {
                        by: format!("nobody yet: the store did not answer for {secs:.0} s, the lease's length ({e})"),
                    });
                }
                other => break other,
            }
        };
        match written {
            Ok(()) => {
                self.wrote = !ends;
                (self.seq, self.prev) = (row.seq, row.hash.clone());
                Ok(())
            }
            Err(StoreError::LeaseLost { by }) => {
                self.lost_to = Some(by.clone());
                Err(std::io::Error::other(StoreError::LeaseLost { by }))
            }
            Err(e) => Err(std::io::Error::other(e)),
        }
    }
}

impl EventSink for PgLog {
    fn event(&mut self, event: &Event<'_>) {
        // The same events as a journal file, made the same way.
        let durable = crate::journal::is_barrier(event);
        let Some(event) = Journal::journal_event(event) else { return };
        if let Err(e) = self.write(&event, durable) {
            // A lost lease is said once, by whoever stops the driver.
            if self.lost_to.is_none() {
                tracing::error!("session store write failed: {e}");
            }
            self.error.get_or_insert(e.to_string());
        }
    }
}

impl SessionLog for PgLog {
    fn id(&self) -> &str {
        &self.id
    }

    fn append(&mut self, event: &JournalEvent) -> std::io::Result<()> {
        self.write(event, true)
    }

    fn hand_over(&mut self) -> std::io::Result<()> {
        let Some(renewer) = self.renewer.take() else { return Ok(()) };
        drop(renewer);
        if self.lost_to().is_some() {
            return Ok(());
        }
        if self.wrote {
            self.append(&lease::hand_over_event(&self.driver, "the driver stopped"))?;
        }
        let (sid, me) = (self.id.clone(), self.driver.clone());
        self.client
            .call(move |pool| async move {
                sqlx::query("DELETE FROM runbook_session_leases WHERE session_id = $1 AND holder = $2 AND host = $3 AND pid = $4")
                    .bind(&sid)
                    .bind(&me.holder)
                    .bind(&me.host)
                    .bind(i64::from(me.pid))
                    .execute(&pool)
                    .await
                    .map_err(db)
            })
            .map_err(std::io::Error::other)?;
        Ok(())
    }

    fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    fn location(&self) -> String {
        self.location.clone()
    }

    fn lost_to(&self) -> Option<String> {
        self.lost_to.clone().or_else(|| self.renewer.as_ref().and_then(Renewer::lost_to))
    }
}
