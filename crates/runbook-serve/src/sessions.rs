//! How the server uses the session store: its errors as HTTP statuses, and which ids it lets
//! through to the store.

use axum::http::StatusCode;
use runbook_engine::store::StoreError;

/// The status of a failed store read: an unknown session is a 404, the store failing a 503.
pub fn status(e: &StoreError) -> StatusCode {
    match e {
        StoreError::NotFound { .. } | StoreError::Ambiguous { .. } => StatusCode::NOT_FOUND,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// A session id as the server accepts it in a URL: letters, digits, `-` and `_`. Anything else
/// (`/`, `..`, `%`) never reaches a store that builds a file path from it.
pub fn plausible_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::plausible_id;

    #[test]
    fn only_plain_ids_reach_the_store() {
        assert!(plausible_id("20261130-062520-a1b2c3"));
        for bad in ["", "../etc/passwd", "a/b", "a%2fb", "a.b", "a b", &"x".repeat(129)] {
            assert!(!plausible_id(bad), "{bad}");
        }
    }
}
