//! Sessions as journal files in one directory (`runbook run --journal-dir`, the default store).

use crate::sessions::{Sessions, SourceError, Summary};
use crate::summary::summarize;
use runbook_engine::journal::{self, JournalEvent, Line};
use std::path::PathBuf;

pub struct JournalDir {
    pub dir: PathBuf,
}

impl JournalDir {
    fn path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.jsonl"))
    }

    fn ids(&self) -> Result<Vec<String>, SourceError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(SourceError::Unavailable(format!("{}: {e}", self.dir.display()))),
        };
        let mut ids: Vec<String> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
            .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .filter(|id| crate::sessions::plausible_id(id))
            .collect();
        ids.sort();
        Ok(ids)
    }

    fn read(&self, id: &str) -> Result<Vec<Line>, SourceError> {
        journal::read(&self.path(id)).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => SourceError::NotFound(format!("no session `{id}`")),
            _ => SourceError::Unavailable(e.to_string()),
        })
    }
}

impl Sessions for JournalDir {
    fn list(&self) -> Result<Vec<Summary>, SourceError> {
        // A journal unreadable now (being written, damaged) is left out of the index, not an error.
        Ok(self.ids()?.into_iter().filter_map(|id| self.read(&id).ok().map(|lines| summarize(&id, &lines))).collect())
    }

    fn find(&self, id_or_prefix: &str) -> Result<String, SourceError> {
        if !crate::sessions::plausible_id(id_or_prefix) {
            return Err(SourceError::NotFound(format!("no session `{id_or_prefix}`")));
        }
        let ids = self.ids()?;
        if ids.iter().any(|i| i == id_or_prefix) {
            return Ok(id_or_prefix.to_owned());
        }
        let matching: Vec<&String> = ids.iter().filter(|i| i.starts_with(id_or_prefix)).collect();
        match matching.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(SourceError::NotFound(format!("no session `{id_or_prefix}`"))),
            many => Err(SourceError::Ambiguous(format!("`{id_or_prefix}` matches {} sessions", many.len()))),
        }
    }

    fn events(&self, id: &str, after: u64) -> Result<Vec<Line>, SourceError> {
        Ok(self.read(id)?.into_iter().filter(|l| l.seq > after).collect())
    }

    fn runbook_text(&self, id: &str) -> Result<Option<String>, SourceError> {
        let lines = self.read(id)?;
        let path = lines.iter().find_map(|l| match &l.event {
            JournalEvent::Session(h) => Some(h.runbook.clone()),
            _ => None,
        });
        Ok(path.and_then(|p| std::fs::read_to_string(p).ok()))
    }
}
