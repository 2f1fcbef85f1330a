//! The default store: one journal file per session in a directory on this machine
//! (`ID.jsonl` with its head record `ID.head`), the runbook's text beside it
//! (`ID.md`), and `ID.lock`: an advisory lock its driver holds while driving, with the
//! driver's name inside. The operating system drops the lock when the driver's process ends,
//! however it ends, so a lock that can be taken means nobody drives.

use super::lease::{self, Driver, Lease};
use super::{SessionLog, SessionStore, StoreError, summary};
use crate::events::{Event, EventSink};
use crate::journal::{self, Broken, Journal, JournalEvent, Line, SessionHeader, TornLine, Verified};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

pub struct FileStore {
    dir: PathBuf,
}

impl FileStore {
    pub fn new(dir: PathBuf) -> FileStore {
        FileStore { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn journal(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.jsonl"))
    }

    fn existing(&self, id: &str) -> Result<PathBuf, StoreError> {
        let path = self.journal(id);
        if path.is_file() { Ok(path) } else { Err(StoreError::NotFound { id: id.to_owned(), place: format!("`{}`", self.dir.display()) }) }
    }
}

/// What `ID.lock` says while it is held.
#[derive(Serialize, Deserialize)]
struct Holder {
    holder: String,
    host: String,
    pid: u32,
}

/// The lock on a session's journal, held while this process drives it.
struct Lock {
    file: File,
}

impl Lock {
    /// Takes the lock, or says who holds it. `Ok((lock, previous))`: `previous` is a driver
    /// whose process ended without handing over.
    fn take(journal: &Path) -> Result<(Lock, Option<Lease>), StoreError> {
        let path = journal.with_extension("lock");
        let mut file = OpenOptions::new().create(true).truncate(false).read(true).write(true).open(&path)?;
        let mut text = String::new();
        let held = match file.try_lock() {
            Ok(()) => false,
            Err(std::fs::TryLockError::WouldBlock) => true,
            Err(std::fs::TryLockError::Error(e)) => return Err(e.into()),
        };
        file.read_to_string(&mut text)?;
        let named =
            serde_json::from_str::<Holder>(text.trim()).ok().map(|h| Lease { holder: h.holder, host: h.host, pid: h.pid, expires: None });
        if held {
            return Err(named
                .unwrap_or_else(|| Lease { holder: "another process".into(), host: "this machine".into(), pid: 0, expires: None })
                .refusal());
        }
        Ok((Lock { file }, named))
    }

    fn name(&mut self, driver: Option<&Driver>) -> std::io::Result<()> {
        let text = match driver {
            Some(d) => serde_json::to_string(&Holder { holder: d.holder.clone(), host: d.host.clone(), pid: d.pid })?,
            None => String::new(),
        };
        self.file.set_len(0)?;
        self.file.seek(SeekFrom::Start(0))?;
        self.file.write_all(text.as_bytes())?;
        self.file.sync_data()
    }
}

impl SessionStore for FileStore {
    fn create(&self, header: &SessionHeader, runbook_text: &str, driver: &Driver) -> Result<Box<dyn SessionLog>, StoreError> {
        let mut journal = Journal::create(&self.dir, &header.id)?;
        let (mut lock, _) = Lock::take(&journal.path)?;
        lock.name(Some(driver))?;
        std::fs::write(journal.path.with_extension("md"), runbook_text)?;
        journal.append(&JournalEvent::Session(header.clone()))?;
        Ok(Box::new(FileLog { id: header.id.clone(), journal, lock: Some(lock), driver: driver.clone(), wrote: true }))
    }

    fn reopen(&self, id: &str, driver: &Driver, take_over: bool) -> Result<Box<dyn SessionLog>, StoreError> {
        let path = self.existing(id)?;
        let (mut lock, previous) = match Lock::take(&path) {
            Ok(taken) => taken,
            Err(StoreError::Leased { holder, host, pid, .. }) if take_over => {
                return Err(StoreError::NotDrivable(format!(
                    "{holder} (pid {pid} on {host}) drives this session from a local journal, whose lock cannot be taken from a \
                     running process: stop it (it hands over as it stops), then resume"
                )));
            }
            Err(e) => return Err(e),
        };
        let mut journal = Journal::reopen(&path)?;
        if let Some(previous) = previous.filter(|p| p.holder != driver.holder || p.pid != driver.pid) {
            let to = Lease::of(driver, None).who();
            journal.append(&JournalEvent::TakeOver {
                from: previous.who(),
                to,
                reason: "its process ended without handing over".into(),
            })?;
        }
        lock.name(Some(driver))?;
        Ok(Box::new(FileLog { id: id.to_owned(), journal, lock: Some(lock), driver: driver.clone(), wrote: false }))
    }

    fn find(&self, id_or_prefix: &str) -> Result<String, StoreError> {
        if self.journal(id_or_prefix).is_file() {
            return Ok(id_or_prefix.to_owned());
        }
        let place = format!("`{}`", self.dir.display());
        let ids: Vec<String> = ids(&self.dir).into_iter().filter(|id| id.starts_with(id_or_prefix)).collect();
        match ids.len() {
            1 => Ok(ids[0].clone()),
            0 => Err(StoreError::NotFound { id: id_or_prefix.to_owned(), place }),
            n => Err(StoreError::Ambiguous { prefix: id_or_prefix.to_owned(), matches: n }),
        }
    }

    fn list(&self) -> Result<Vec<super::SessionSummary>, StoreError> {
        let mut ids = ids(&self.dir);
        ids.sort_by(|a, b| b.cmp(a));
        Ok(ids
            .iter()
            .map(|id| {
                let path = self.journal(id);
                let mut s = summary::of(id, &journal::read(&path).unwrap_or_default());
                // Only a session that was ever driven has a lock to look at.
                let locked = path.with_extension("lock").is_file().then(|| Lock::take(&path).map(drop));
                if let Some(Err(StoreError::Leased { holder, host, pid, expires })) = locked {
                    s.driver = Some(Lease { holder, host, pid, expires });
                    s.state = super::SessionState::Running;
                }
                s
            })
            .collect())
    }

    fn events(&self, id: &str, after: u64) -> Result<Vec<Line>, StoreError> {
        Ok(journal::read(&self.existing(id)?)?.into_iter().filter(|l| l.seq > after).collect())
    }

    fn runbook_text(&self, id: &str) -> Result<Option<String>, StoreError> {
        match std::fs::read_to_string(self.existing(id)?.with_extension("md")) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn verify(&self, id: &str) -> Result<Result<Verified, Broken>, StoreError> {
        Ok(journal::verify(&self.existing(id)?)?)
    }

    fn release(&self, id: &str, driver: &Driver) -> Result<bool, StoreError> {
        let path = self.existing(id)?;
        let (mut lock, previous) = Lock::take(&path)?;
        let Some(previous) = previous.filter(|p| p.holder == driver.holder) else { return Ok(false) };
        let mut journal = Journal::reopen(&path)?;
        journal.append(&JournalEvent::HandOver { from: previous.who(), note: format!("released by {}", Lease::of(driver, None).who()) })?;
        lock.name(None)?;
        Ok(true)
    }

    fn describe(&self) -> String {
        format!("`{}`", self.dir.display())
    }
}

/// The ids of the journals in a directory (none when it does not exist).
fn ids(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect()
}

/// A session being driven from this machine.
pub struct FileLog {
    id: String,
    journal: Journal,
    lock: Option<Lock>,
    driver: Driver,
    /// Whether letting go needs a `hand_over` record: not when this driver wrote nothing, nor
    /// right after the walk's `end` (which says the driver stopped).
    wrote: bool,
}

impl FileLog {
    /// The journal file, for messages and the walk summary.
    pub fn path(&self) -> &Path {
        &self.journal.path
    }
}

impl EventSink for FileLog {
    fn event(&mut self, event: &Event<'_>) {
        self.wrote = !matches!(event, Event::SessionFinished { .. });
        self.journal.event(event);
    }
}

impl SessionLog for FileLog {
    fn id(&self) -> &str {
        &self.id
    }

    fn append(&mut self, event: &JournalEvent) -> std::io::Result<()> {
        self.wrote = !matches!(event, JournalEvent::End { .. });
        self.journal.append(event)
    }

    fn hand_over(&mut self) -> std::io::Result<()> {
        let Some(mut lock) = self.lock.take() else { return Ok(()) };
        if self.wrote {
            self.journal.append(&lease::hand_over_event(&self.driver, "the driver stopped"))?;
        }
        // Unnamed, then unlocked (on drop): a reader never sees a lock free but named.
        lock.name(None)
    }

    fn error(&self) -> Option<&str> {
        self.journal.error.as_deref()
    }

    fn location(&self) -> String {
        self.journal.path.display().to_string()
    }

    fn cut_torn_line(&self) -> Option<TornLine> {
        self.journal.cut_torn_line.as_ref().map(|t| TornLine { line: t.line, bytes: t.bytes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Mode;

    fn store(name: &str) -> FileStore {
        let dir = std::env::temp_dir().join(format!("rb-file-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        FileStore::new(dir)
    }

    fn header(id: &str) -> SessionHeader {
        SessionHeader {
            id: id.into(),
            mode: Mode::Run,
            runbook: "/r.md".into(),
            runbook_sha256: "ab".into(),
            operator: "alice@a".into(),
            version: "0".into(),
            environment: None,
        }
    }

    fn driver(name: &str, pid: u32) -> Driver {
        Driver { holder: format!("{name}@{name}"), host: name.into(), pid }
    }

    fn types(store: &FileStore, id: &str) -> Vec<String> {
        let lines = store.events(id, 0).expect("events");
        lines.iter().map(|l| serde_json::to_value(&l.event).expect("json")["type"].as_str().unwrap_or("").to_owned()).collect()
    }

    #[test]
    fn a_second_driver_is_refused_while_the_lock_is_held() {
        let s = store("held");
        let log = s.create(&header("s1"), "# R\n", &driver("alice", 1)).expect("create");
        let Err(StoreError::Leased { holder, pid, expires, .. }) = s.reopen("s1", &driver("bob", 2), false) else { panic!("not refused") };
        assert_eq!((holder.as_str(), pid, expires), ("alice@alice", 1, None));
        // Not even by force: a running process's lock cannot be taken.
        assert!(matches!(s.reopen("s1", &driver("bob", 2), true), Err(StoreError::NotDrivable(_))));
        assert_eq!(s.list().expect("list")[0].state, crate::store::SessionState::Running);
        drop(log);
        let _ = std::fs::remove_dir_all(s.dir());
    }

    #[test]
    fn a_driver_gone_without_a_word_is_taken_over_and_a_hand_over_is_not() {
        let s = store("gone");
        let mut log = s.create(&header("s1"), "# R\n", &driver("alice", 1)).expect("create");
        log.append(&JournalEvent::StepRunning { step: "a".into() }).expect("append");
        // Dropped without handing over: the lock goes, the name inside stays.
        drop(log);
        let mut bob = s.reopen("s1", &driver("bob", 2), false).expect("taken over");
        assert_eq!(types(&s, "s1"), ["session", "step_running", "take_over"]);
        bob.append(&JournalEvent::StepRunning { step: "b".into() }).expect("append");
        bob.hand_over().expect("hand over");
        drop(bob);
        let carol = s.reopen("s1", &driver("carol", 3), false).expect("free");
        assert_eq!(types(&s, "s1"), ["session", "step_running", "take_over", "step_running", "hand_over"]);
        assert_eq!(s.verify("s1").expect("verify").map(|v| v.events), Ok(5));
        assert_eq!(s.runbook_text("s1").expect("text").as_deref(), Some("# R\n"));
        drop(carol);
        let _ = std::fs::remove_dir_all(s.dir());
    }

    #[test]
    fn sessions_are_found_by_a_unique_prefix() {
        let s = store("find");
        for id in ["20261130-a1", "20261130-a2", "20261130-b1"] {
            s.create(&header(id), "", &driver("alice", 1)).expect("create").hand_over().expect("hand over");
        }
        assert_eq!(s.find("20261130-b").expect("unique"), "20261130-b1");
        assert!(matches!(s.find("20261130-a"), Err(StoreError::Ambiguous { matches: 2, .. })));
        assert!(matches!(s.find("nope"), Err(StoreError::NotFound { .. })));
        assert_eq!(
            s.list().expect("list").iter().map(|l| l.id.as_str()).collect::<Vec<_>>(),
            ["20261130-b1", "20261130-a2", "20261130-a1"]
        );
        let _ = std::fs::remove_dir_all(s.dir());
    }
}
