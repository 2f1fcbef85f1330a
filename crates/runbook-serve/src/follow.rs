//! One follower's event stream: the lines after the one it last saw (its `Last-Event-ID` on a
//! reconnect), then each new line from the session's feed, in order, each exactly once. A line
//! the feed skipped for this follower (it joined between two polls, or fell more than the
//! feed's backlog behind) is taken from the feed's history before anything after it is sent.

use crate::feed::{Feed, Hub};
use crate::fragment::Encoded;
use axum::response::sse::Event;
use futures_util::{Stream, StreamExt};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::{Receiver, error::RecvError};

struct Follower {
    feed: Arc<Feed>,
    rx: Receiver<Arc<Encoded>>,
    /// The last seq sent.
    last: u64,
    queue: VecDeque<Arc<Encoded>>,
    started: bool,
}

impl Follower {
    /// Queues every line after `last` from the feed's history.
    async fn fill(&mut self) {
        self.queue.extend(self.feed.since(self.last).await);
    }

    async fn next(&mut self) -> Option<Arc<Encoded>> {
        if !self.started {
            self.started = true;
            self.fill().await;
        }
        loop {
            if let Some(f) = self.queue.pop_front() {
                if f.seq <= self.last {
                    continue;
                }
                self.last = f.seq;
                return Some(f);
            }
            match self.rx.recv().await {
                Ok(f) if f.seq > self.last + 1 => {
                    self.fill().await;
                    self.queue.push_back(f);
                }
                Ok(f) => self.queue.push_back(f),
                Err(RecvError::Lagged(_)) => {
                    self.fill().await;
                }
                Err(RecvError::Closed) => return None,
            }
        }
    }
}

/// The SSE event of one line: `id:` its seq, `event: line`, the fragment as JSON.
pub fn event(f: &Encoded) -> Event {
    Event::default().id(f.seq.to_string()).event("line").data(&f.data)
}

/// Session `id`'s lines after `after`, rendered.
pub fn fragments(hub: Arc<Hub>, id: String, after: u64) -> impl Stream<Item = Arc<Encoded>> {
    let (feed, rx) = hub.subscribe(&id);
    let follower = Follower { feed, rx, last: after, queue: VecDeque::new(), started: false };
    futures_util::stream::unfold(follower, |mut f| async move { f.next().await.map(|next| (next, f)) })
}

/// The SSE stream of session `id`'s lines after `after`.
pub fn follow(hub: Arc<Hub>, id: String, after: u64) -> impl Stream<Item = Result<Event, Infallible>> {
    let mut first = true;
    fragments(hub, id, after).map(move |f| {
        let mut e = event(&f);
        if std::mem::take(&mut first) {
            // A dropped connection is retried quickly: followers want the next step soon.
            e = e.retry(Duration::from_millis(500));
        }
        Ok(e)
    })
}
