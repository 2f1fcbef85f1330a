#![allow(clippy::unwrap_used)]
use super::*;
use crate::follow::fragments;
use futures_util::StreamExt;
use runbook_engine::journal::{Broken, SessionHeader, Verified};
use runbook_engine::journal::{JournalEvent, Timestamp};
use runbook_engine::store::{Driver, SessionLog, SessionSummary};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A session in memory that counts how often it is read.
#[derive(Default)]
struct Memory {
    lines: Mutex<Vec<Line>>,
    reads: AtomicUsize,
}

impl Memory {
    fn push(&self, step: &str) {
        let mut lines = self.lines.lock().unwrap();
        let seq = lines.len() as u64 + 1;
        let event = JournalEvent::StepRunning { step: step.to_owned() };
        lines.push(Line { seq, ts: Timestamp::now(), prev: String::new(), hash: String::new(), event });
    }
}

impl SessionStore for Memory {
    fn create(&self, _: &SessionHeader, _: &str, _: &Driver) -> Result<Box<dyn SessionLog>, StoreError> {
        Err(StoreError::NotDrivable("read only".into()))
    }
    fn reopen(&self, _: &str, _: &Driver, _: bool) -> Result<Box<dyn SessionLog>, StoreError> {
        Err(StoreError::NotDrivable("read only".into()))
    }
    fn find(&self, id: &str) -> Result<String, StoreError> {
        Ok(id.to_owned())
    }
    fn list(&self) -> Result<Vec<SessionSummary>, StoreError> {
        Ok(Vec::new())
    }
    fn events(&self, _id: &str, after: u64) -> Result<Vec<Line>, StoreError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        Ok(self.lines.lock().unwrap().iter().filter(|l| l.seq > after).cloned().collect())
    }
    fn runbook_text(&self, _id: &str) -> Result<Option<String>, StoreError> {
        Ok(None)
    }
    fn verify(&self, _id: &str) -> Result<Result<Verified, Broken>, StoreError> {
        Err(StoreError::NotDrivable("not kept".into()))
    }
    fn release(&self, _id: &str, _: &Driver) -> Result<bool, StoreError> {
        Ok(false)
    }
    fn describe(&self) -> String {
        "memory".into()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn one_poller_feeds_every_follower_each_line_once_in_order() {
    let memory = Arc::new(Memory::default());
    for i in 0..3 {
        memory.push(&format!("before-{i}"));
    }
    let hub = Hub::new(memory.clone(), Duration::from_millis(20));
    // Three followers: one from the start, one after line 2, one after line 3 (a page loaded now).
    let mut followers: Vec<_> = [0u64, 2, 3].into_iter().map(|after| Box::pin(fragments(Arc::clone(&hub), "s".into(), after))).collect();
    assert_eq!(hub.pollers(), 1, "one poller for one session");
    let writer = {
        let memory = memory.clone();
        tokio::spawn(async move {
            for i in 0..20 {
                memory.push(&format!("step-{i}"));
                tokio::time::sleep(Duration::from_millis(if i % 5 == 0 { 45 } else { 3 })).await;
            }
        })
    };
    for (k, start) in [(0usize, 0u64), (1, 2), (2, 3)] {
        let want: Vec<u64> = ((start + 1)..=23).collect();
        let got: Vec<u64> = tokio::time::timeout(Duration::from_secs(5), (&mut followers[k]).take(want.len()).collect::<Vec<_>>())
            .await
            .unwrap()
            .into_iter()
            .map(|f| f.seq)
            .collect();
        assert_eq!(got, want, "follower {k}");
    }
    writer.await.unwrap();
    // Every poll is one read however many follow: far fewer reads than lines × followers.
    assert!(memory.reads.load(Ordering::SeqCst) < 60, "{} reads", memory.reads.load(Ordering::SeqCst));
    drop(followers);
    // The poller ends once nobody follows.
    tokio::time::timeout(Duration::from_secs(2), async {
        while hub.pollers() > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap();
}
