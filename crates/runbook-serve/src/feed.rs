//! One poller per followed session, fanning out to all its followers: the first follower of a
//! session starts a task that asks the store for new events every poll interval, renders each
//! new line once, keeps it and broadcasts it; the task ends when the last follower has gone.
//! Fifty people watching one incident cost the store one query per interval, and the server
//! one rendering per line: a follower joining late, or one that fell behind, reads the lines
//! it missed from the feed's rendered history, not from the store.

use crate::fragment::{self, Encoded};
use runbook_engine::journal::Line;
use runbook_engine::store::{SessionStore, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;
use tokio::sync::{broadcast, watch};

/// How many rendered lines a slow follower may fall behind before it reads the gap from the
/// feed's history.
const BACKLOG: usize = 1024;

/// One followed session: its rendered lines so far and the channel new ones go out on.
pub struct Feed {
    tx: broadcast::Sender<Arc<Encoded>>,
    history: RwLock<Vec<Arc<Encoded>>>,
    /// False until the poller's first read: before it, the history is not the session's.
    ready: watch::Sender<bool>,
}

impl Feed {
    /// The lines after `after`, once the feed has read the session.
    pub async fn since(&self, after: u64) -> Vec<Arc<Encoded>> {
        let mut ready = self.ready.subscribe();
        // An error means the poller ended (nobody followed): the history is what it had.
        let _ = ready.wait_for(|r| *r).await;
        let history = self.history.read().unwrap_or_else(PoisonError::into_inner);
        // Lines are kept in order from seq 1, so seq k sits at k - 1.
        let from = usize::try_from(after).unwrap_or(usize::MAX).min(history.len());
        history[from..].to_vec()
    }
}

pub struct Hub {
    sessions: Arc<dyn SessionStore>,
    feeds: Mutex<HashMap<String, Arc<Feed>>>,
    interval: Duration,
}

impl Hub {
    pub fn new(sessions: Arc<dyn SessionStore>, interval: Duration) -> Arc<Hub> {
        Arc::new(Hub { sessions, feeds: Mutex::new(HashMap::new()), interval })
    }

    /// Session `id`'s feed and its new lines from now on; starts its poller if none runs.
    pub fn subscribe(self: &Arc<Self>, id: &str) -> (Arc<Feed>, broadcast::Receiver<Arc<Encoded>>) {
        let mut feeds = self.feeds.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(feed) = feeds.get(id) {
            return (Arc::clone(feed), feed.tx.subscribe());
        }
        let (tx, rx) = broadcast::channel(BACKLOG);
        let feed = Arc::new(Feed { tx, history: RwLock::new(Vec::new()), ready: watch::Sender::new(false) });
        feeds.insert(id.to_owned(), Arc::clone(&feed));
        tokio::spawn(Arc::clone(self).poll(id.to_owned(), Arc::clone(&feed)));
        (feed, rx)
    }

    /// How many sessions are polled now.
    #[cfg(test)]
    pub fn pollers(&self) -> usize {
        self.feeds.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// The lines of `id` after `after`, read and rendered on the blocking pool (rendering a
    /// large backlog would hold up every stream on the server's thread).
    async fn rendered(&self, id: &str, after: u64) -> Result<Vec<Arc<Encoded>>, StoreError> {
        let (sessions, id) = (Arc::clone(&self.sessions), id.to_owned());
        tokio::task::spawn_blocking(move || {
            let lines: Vec<Line> = sessions.events(&id, after)?;
            Ok(lines.iter().map(|l| Arc::new(Encoded::from(&fragment::render(l)))).collect())
        })
        .await
        .unwrap_or_else(|e| Err(StoreError::Io(std::io::Error::other(format!("the store read failed: {e}")))))
    }

    /// Ends (and forgets the feed) when nobody follows; the check and the removal happen under
    /// the lock `subscribe` takes, so a follower never joins a feed that is ending.
    fn nobody_follows(&self, id: &str, feed: &Feed) -> bool {
        let mut feeds = self.feeds.lock().unwrap_or_else(PoisonError::into_inner);
        if feed.tx.receiver_count() == 0 {
            feeds.remove(id);
            return true;
        }
        false
    }

    async fn poll(self: Arc<Self>, id: String, feed: Arc<Feed>) {
        let mut after = 0;
        loop {
            if self.nobody_follows(&id, &feed) {
                // Followers still waiting for the first read get the (empty) history.
                feed.ready.send_replace(true);
                return;
            }
            match self.rendered(&id, after).await {
                Ok(new) => {
                    // A store answers lines after `after` in order; anything else is not kept,
                    // so the history stays seq 1, 2, 3… and `since` can index it.
                    let mut history = feed.history.write().unwrap_or_else(PoisonError::into_inner);
                    let mut sent = Vec::new();
                    for f in new {
                        if f.seq != history.len() as u64 + 1 {
                            tracing::warn!("session {id}: event {} where {} was expected", f.seq, history.len() + 1);
                            break;
                        }
                        after = f.seq;
                        history.push(Arc::clone(&f));
                        sent.push(f);
                    }
                    drop(history);
                    let first = !*feed.ready.borrow();
                    feed.ready.send_replace(true);
                    // The first read is the backlog: followers take it from the history.
                    if !first {
                        for f in sent {
                            // No receiver left is not an error: the next round ends the task.
                            let _ = feed.tx.send(f);
                        }
                    }
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
