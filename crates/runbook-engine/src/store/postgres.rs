//! The shared store: sessions in PostgreSQL (work in progress: connecting is refused for now).

use super::lease::Driver;
use super::{SessionLog, SessionStore, SessionSummary, StoreError};
use crate::journal::{Broken, Line, SessionHeader, Verified};

pub struct PgStore {
    url: String,
}

/// A URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

fn pending() -> StoreError {
    StoreError::Config("the PostgreSQL session store is not built yet".into())
}

impl PgStore {
    pub fn connect(url: &str) -> Result<PgStore, StoreError> {
        let _ = PgStore { url: url.to_owned() };
        Err(pending())
    }
}

impl SessionStore for PgStore {
    fn create(&self, _: &SessionHeader, _: &str, _: &Driver) -> Result<Box<dyn SessionLog>, StoreError> {
        Err(pending())
    }
    fn reopen(&self, _: &str, _: &Driver, _: bool) -> Result<Box<dyn SessionLog>, StoreError> {
        Err(pending())
    }
    fn find(&self, _: &str) -> Result<String, StoreError> {
        Err(pending())
    }
    fn list(&self) -> Result<Vec<SessionSummary>, StoreError> {
        Err(pending())
    }
    fn events(&self, _: &str, _: u64) -> Result<Vec<Line>, StoreError> {
        Err(pending())
    }
    fn runbook_text(&self, _: &str) -> Result<Option<String>, StoreError> {
        Err(pending())
    }
    fn verify(&self, _: &str) -> Result<Result<Verified, Broken>, StoreError> {
        Err(pending())
    }
    fn release(&self, _: &str, _: &Driver) -> Result<bool, StoreError> {
        Err(pending())
    }
    fn describe(&self) -> String {
        redact_url(&self.url)
    }
}
