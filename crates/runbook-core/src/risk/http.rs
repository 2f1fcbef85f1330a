//! HTTP by method: what a request does to the server it is sent to.

use super::*;

/// An HTTP request: by method, and a write whose path says it deletes (`POST /_delete_by_query`,
/// `…/purge`, `…?forget=`) is destructive.
pub fn classify_http(method: &str, url: &str) -> Classified {
    let by_method = classify_http_method(method);
    let path = url.split_once("://").map_or(url, |(_, rest)| rest.split_once('/').map_or("", |(_, p)| p)).to_ascii_lowercase();
    let deletes = ["delete", "purge", "forget", "wipe", "truncate", "drop"].iter().find(|w| path.contains(*w));
    match deletes {
        Some(w) if by_method.risk == Risk::Write => classified(Risk::Destructive, format!("HTTP {method} to a path that says `{w}`")),
        _ => by_method,
    }
}

pub fn classify_http_method(method: &str) -> Classified {
    match method.to_ascii_uppercase().as_str() {
        "GET" | "HEAD" | "OPTIONS" => classified(Risk::Read, format!("HTTP {method}")),
        "DELETE" => classified(Risk::Destructive, "HTTP DELETE"),
        m => classified(Risk::Write, format!("HTTP {m}")),
    }
}
