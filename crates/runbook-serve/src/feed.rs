//! One poller per followed session, fanning out to all its followers: the first follower of a
//! session starts a task that asks the store for new events every poll interval, renders each
//! new line once and broadcasts it; the task ends when the last follower has gone. Fifty people
//! watching one incident cost the store one query per interval, not fifty.

use crate::fragment::{self, Fragment};
use runbook_engine::store::{SessionStore, StoreError};
use runbook_engine::journal::Line;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::broadcast;

/// How many rendered lines a slow follower may fall behind before it reads the gap from the
/// store itself.
const BACKLOG: usize = 1024;

pub struct Hub {
    sessions: Arc<dyn SessionStore>,
    feeds: Mutex<HashMap<String, broadcast::Sender<Arc<Fragment>>>>,
    interval: Duration,
}

impl Hub {
    pub fn new(sessions: Arc<dyn SessionStore>, interval: Duration) -> Arc<Hub> {
        Arc::new(Hub { sessions, feeds: Mutex::new(HashMap::new()), interval })
    }

    /// New lines of session `id` from now on; starts its poller if none runs.
    pub fn subscribe(self: &Arc<Self>, id: &str) -> broadcast::Receiver<Arc<Fragment>> {
        let mut feeds = self.feeds.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(tx) = feeds.get(id) {
            return tx.subscribe();
        }
        let (tx, rx) = broadcast::channel(BACKLOG);
        feeds.insert(id.to_owned(), tx.clone());
        tokio::spawn(Arc::clone(self).poll(id.to_owned(), tx));
        rx
    }

    /// How many sessions are polled now.
    #[cfg(test)]
    pub fn pollers(&self) -> usize {
        self.feeds.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// The lines of `id` after `after`, read on the blocking pool.
    pub async fn events(&self, id: &str, after: u64) -> Result<Vec<Line>, StoreError> {
        let (sessions, id) = (Arc::clone(&self.sessions), id.to_owned());
        tokio::task::spawn_blocking(move || sessions.events(&id, after))
            .await
            .unwrap_or_else(|e| Err(StoreError::Io(std::io::Error::other(format!("the store read failed: {e}")))))
    }

    /// Ends (and forgets the feed) when nobody follows; the check and the removal happen under
    /// the lock `subscribe` takes, so a follower never joins a feed that is ending.
    fn nobody_follows(&self, id: &str, tx: &broadcast::Sender<Arc<Fragment>>) -> bool {
        let mut feeds = self.feeds.lock().unwrap_or_else(PoisonError::into_inner);
        if tx.receiver_count() == 0 {
            feeds.remove(id);
            return true;
        }
        false
    }

    async fn poll(self: Arc<Self>, id: String, tx: broadcast::Sender<Arc<Fragment>>) {
        // The first read only finds where the session is: followers read what came before
        // themselves, and whatever was written between their read and this one arrives as a
        // gap they fill (see `follow`).
        let mut after: Option<u64> = None;
        loop {
            if self.nobody_follows(&id, &tx) {
                return;
            }
            match self.events(&id, after.unwrap_or(0)).await {
                Ok(lines) => {
                    let Some(last) = lines.last().map(|l| l.seq) else {
                        after.get_or_insert(0);
                        tokio::time::sleep(self.interval).await;
                        continue;
                    };
                    if after.is_some() {
                        for line in &lines {
                            // No receiver left is not an error: the next round ends the task.
                            let _ = tx.send(Arc::new(fragment::render(line)));
                        }
                    }
                    after = Some(last);
                }
                Err(e) => tracing::warn!("polling session {id}: {e}"),
            }
            tokio::time::sleep(self.interval).await;
        }
    }
}

#[cfg(test)]
#[path = "feed_tests.rs"]
mod tests;
