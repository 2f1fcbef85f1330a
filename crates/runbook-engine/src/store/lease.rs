//! One driver at a time: the lease a driver holds on a session while it drives it.
//!
//! A lease names its holder (`user@host`), host and pid and, in a shared store, when it expires
//! unless renewed (a background [`Renewer`] renews it every third of its length while the driver
//! lives). Another driver may take the session when the lease is gone (handed over), has
//! expired (the driver died or lost its network), or, asked and confirmed, by force; the
//! journal then records who took over from whom. The decision is [`claim`], kept apart from
//! the stores so it is tested on its own.

use super::StoreError;
use crate::journal::{JournalEvent, Timestamp};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The variable that sets a lease's length in seconds (tests shorten it).
pub const LEASE_SECONDS_VAR: &str = "RUNBOOK_LEASE_SECONDS";
const DEFAULT_LEASE: Duration = Duration::from_secs(15);

/// Who drives: the process asking for a session's lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Driver {
    /// `user@host`.
    pub holder: String,
    pub host: String,
    pub pid: u32,
}

impl Driver {
    /// This process, as `user@host`.
    pub fn current() -> Driver {
        let user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "unknown".into());
        let host = std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_owned())
            .ok()
            .filter(|h| !h.is_empty())
            .or_else(|| std::env::var("HOSTNAME").ok())
            .unwrap_or_else(|| "localhost".into());
        Driver { holder: format!("{user}@{host}"), host, pid: std::process::id() }
    }
}

/// A lease as a store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub holder: String,
    pub host: String,
    pub pid: u32,
    /// `None`: held while the process lives (a lock on a local file).
    pub expires: Option<Timestamp>,
}

impl Lease {
    pub fn of(driver: &Driver, expires: Option<Timestamp>) -> Lease {
        Lease { holder: driver.holder.clone(), host: driver.host.clone(), pid: driver.pid, expires }
    }

    pub fn is_live(&self, now: Timestamp) -> bool {
        self.expires.is_none_or(|t| t > now)
    }

    fn is_held_by(&self, driver: &Driver) -> bool {
        self.holder == driver.holder && self.host == driver.host && self.pid == driver.pid
    }

    /// `alice@laptop (pid 42)`, as the journal names a driver.
    pub fn who(&self) -> String {
        format!("{} (pid {})", self.holder, self.pid)
    }

    pub fn refusal(&self) -> StoreError {
        StoreError::Leased { holder: self.holder.clone(), host: self.host.clone(), pid: self.pid, expires: self.expires }
    }
}

/// How long a lease lasts unless renewed: `RUNBOOK_LEASE_SECONDS`, else 15 s.
pub fn lease_length() -> Duration {
    std::env::var(LEASE_SECONDS_VAR)
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .map_or(DEFAULT_LEASE, Duration::from_secs_f64)
}

/// When a lease taken or renewed now ends.
pub fn expiry(now: Timestamp, length: Duration) -> Timestamp {
    Timestamp::from_millis(now.millis().saturating_add(u64::try_from(length.as_millis()).unwrap_or(u64::MAX)))
}

/// What taking a session's lease means.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// Nobody held it (never driven, or handed over): nothing to record.
    Free,
    /// This very process holds it already.
    Mine,
    /// Someone else held it; the event to record before anything else.
    TakeOver(Box<JournalEvent>),
}

/// Whether `me` may take a session whose lease is `current` at `now`.
pub fn claim(current: Option<&Lease>, me: &Driver, now: Timestamp, take_over: bool) -> Result<Claim, StoreError> {
    let Some(lease) = current else { return Ok(Claim::Free) };
    if lease.is_held_by(me) {
        return Ok(Claim::Mine);
    }
    let reason = if !lease.is_live(now) {
        match lease.expires {
            Some(t) => format!("its lease expired at {t}"),
            None => "its process ended".to_owned(),
        }
    } else if take_over {
        "taken over by force while its lease was live".to_owned()
    } else {
        return Err(lease.refusal());
    };
    Ok(Claim::TakeOver(Box::new(JournalEvent::TakeOver { from: lease.who(), to: Lease::of(me, None).who(), reason })))
}

/// The hand-over a driver records as it lets go.
pub fn hand_over_event(me: &Driver, note: &str) -> JournalEvent {
    JournalEvent::HandOver { from: Lease::of(me, None).who(), note: note.to_owned() }
}

/// Renews a lease in the background until dropped. A renewal that fails because the lease was
/// taken is kept in `lost`, so the driver stops at its next write with a clear message.
pub struct Renewer {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
    lost: Arc<Mutex<Option<String>>>,
}

impl Renewer {
    pub fn start(every: Duration, renew: impl Fn() -> Result<(), StoreError> + Send + 'static) -> Renewer {
        let (stop, stopped) = mpsc::channel::<()>();
        let lost = Arc::new(Mutex::new(None));
        let lost_here = Arc::clone(&lost);
        let thread = std::thread::Builder::new()
            .name("runbook-lease".into())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                    match renew() {
                        Ok(()) => {}
                        Err(StoreError::LeaseLost { by }) => {
                            if let Ok(mut l) = lost_here.lock() {
                                *l = Some(by);
                            }
                            return;
                        }
                        // A network hiccup: the lease may still be renewed before it expires.
                        Err(e) => tracing::warn!("renewing the session's lease failed: {e}"),
                    }
                }
            })
            .ok();
        Renewer { stop: Some(stop), thread, lost }
    }

    /// Who took the lease, once a renewal found it gone.
    pub fn lost_to(&self) -> Option<String> {
        self.lost.lock().ok().and_then(|l| l.clone())
    }
}

impl Drop for Renewer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn driver(name: &str, pid: u32) -> Driver {
        Driver { holder: format!("{name}@{name}-laptop"), host: format!("{name}-laptop"), pid }
    }

    fn lease_until(d: &Driver, millis: u64) -> Lease {
        Lease::of(d, Some(Timestamp::from_millis(millis)))
    }

    #[test]
    fn a_free_session_is_taken_without_a_record() {
        assert_eq!(claim(None, &driver("bob", 2), Timestamp::from_millis(5), false).expect("free"), Claim::Free);
    }

    #[test]
    fn a_live_lease_refuses_another_driver_and_names_the_holder() {
        let alice = lease_until(&driver("alice", 1), 10_000);
        let err = claim(Some(&alice), &driver("bob", 2), Timestamp::from_millis(9_999), false).expect_err("live");
        let text = err.to_string();
        assert!(text.contains("alice@alice-laptop") && text.contains("pid 1") && text.contains("alice-laptop"), "{text}");
        assert!(text.contains("1970-01-01T00:00:10.000Z"), "{text}");
        assert!(matches!(err, StoreError::Leased { .. }));
    }

    #[test]
    fn an_expired_lease_is_taken_over_and_recorded() {
        let alice = lease_until(&driver("alice", 1), 10_000);
        let Claim::TakeOver(event) = claim(Some(&alice), &driver("bob", 2), Timestamp::from_millis(10_000), false).expect("expired") else {
            panic!("not a take-over")
        };
        let JournalEvent::TakeOver { from, to, reason } = *event else { panic!("not a take-over event") };
        assert_eq!((from.as_str(), to.as_str()), ("alice@alice-laptop (pid 1)", "bob@bob-laptop (pid 2)"));
        assert!(reason.contains("expired"), "{reason}");
    }

    #[test]
    fn a_live_lease_is_taken_by_force_only_when_asked() {
        let alice = lease_until(&driver("alice", 1), 10_000);
        let claimed = claim(Some(&alice), &driver("bob", 2), Timestamp::from_millis(1), true).expect("forced");
        let Claim::TakeOver(event) = claimed else { panic!("not a take-over") };
        assert!(matches!(*event, JournalEvent::TakeOver { ref reason, .. } if reason.contains("by force")));
    }

    #[test]
    fn the_same_process_keeps_its_own_lease_and_another_pid_is_another_driver() {
        let me = driver("alice", 1);
        assert_eq!(claim(Some(&lease_until(&me, 10)), &me, Timestamp::from_millis(5), false).expect("mine"), Claim::Mine);
        assert!(claim(Some(&lease_until(&me, 10)), &driver("alice", 7), Timestamp::from_millis(5), false).is_err());
    }

    #[test]
    fn a_process_lock_is_live_until_released() {
        let held = Lease::of(&driver("alice", 1), None);
        assert!(held.is_live(Timestamp::from_millis(u64::MAX)));
        assert!(claim(Some(&held), &driver("bob", 2), Timestamp::now(), false).is_err());
    }

    #[test]
    fn the_lease_length_comes_from_the_environment_or_defaults() {
        // Read only: the tests of this binary share one environment.
        let length = lease_length();
        assert!(length > Duration::ZERO);
        assert_eq!(expiry(Timestamp::from_millis(1_000), Duration::from_millis(1_500)), Timestamp::from_millis(2_500));
    }

    #[test]
    fn the_renewer_renews_until_dropped_and_remembers_a_lost_lease() {
        let count = Arc::new(Mutex::new(0u32));
        let c = Arc::clone(&count);
        let renewer = Renewer::start(Duration::from_millis(10), move || {
            let mut n = c.lock().map_err(|_| StoreError::Database("poisoned".into()))?;
            *n += 1;
            if *n == 3 { Err(StoreError::LeaseLost { by: "bob@b (pid 2)".into() }) } else { Ok(()) }
        });
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while renewer.lost_to().is_none() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(renewer.lost_to().as_deref(), Some("bob@b (pid 2)"));
        drop(renewer);
        assert_eq!(*count.lock().expect("count"), 3, "renewals stop once the lease is lost");
    }
}
