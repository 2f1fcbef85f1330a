//! The word an operator types to run a destructive step: tied to what the step does (the table
//! a statement writes, the resource a request changes, the command a shell line runs), so that
//! typing it is a moment of reading what is about to happen. Never a generated step id.

use crate::blast_radius::{SqlFlavor, written_table};
use crate::model::{Step, StepKind};

/// Used when the step names nothing better (a statement with no single table, a bare URL).
const FALLBACK: &str = "confirm";

/// The confirmation word for `step` when its author did not write one.
pub fn confirm_word(step: &Step) -> String {
    let word = match step.kind {
        StepKind::Sql => sql_word(&step.code),
        StepKind::Http => step.http.as_ref().and_then(|h| resource(&h.url)),
        StepKind::Shell => command_name(&step.code),
        StepKind::Manual | StepKind::Decision => None,
    };
    word.filter(|w| !w.is_empty()).unwrap_or_else(|| FALLBACK.to_owned())
}

/// The first table a statement of `code` writes.
fn sql_word(code: &str) -> Option<String> {
    crate::sqltext::split_statements(code).into_iter().find_map(|range| written_table(&code[range], SqlFlavor::Postgres))
}

/// The last path segment of a URL that is a name, not a placeholder or an id:
/// `DELETE /api/v1/sessions/{id}` → `sessions`.
fn resource(url: &str) -> Option<String> {
    let path = url.split_once("://").map_or(url, |(_, rest)| rest.split_once('/').map_or("", |(_, p)| p));
    let path = path.split(['?', '#']).next().unwrap_or("");
    path.split('/')
        .rfind(|s| {
            !s.is_empty()
                && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                && s.chars().any(|c| c.is_ascii_lowercase())
                && !s.chars().any(|c| c.is_ascii_digit())
        })
        .map(str::to_owned)
}

/// The program a shell line runs, past `sudo`, `env` and `VAR=value` prefixes and comments.
fn command_name(code: &str) -> Option<String> {
    let line = code.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#'))?;
    let line = line.strip_prefix("$ ").unwrap_or(line);
    line.split_whitespace()
        .find(|w| !matches!(*w, "sudo" | "env" | "exec" | "time" | "nohup") && !w.contains('=') && !w.starts_with('-'))
        .map(|w| w.rsplit('/').next().unwrap_or(w).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_is_confirmed_by_its_table() {
        assert_eq!(sql_word("DELETE FROM login_attempts WHERE user_id = 'USER_ID';").as_deref(), Some("login_attempts"));
        assert_eq!(sql_word("BEGIN;\nUPDATE users SET locked_until = NULL WHERE id = 1;\nCOMMIT;").as_deref(), Some("users"));
        assert_eq!(sql_word("DROP TABLE users;"), None);
    }

    #[test]
    fn a_request_is_confirmed_by_its_resource() {
        assert_eq!(resource("https://api.example.com/v1/sessions/{id}").as_deref(), Some("sessions"));
        assert_eq!(resource("https://api.example.com/admin/cache?all=1").as_deref(), Some("cache"));
        assert_eq!(resource("https://api.example.com/"), None);
    }

    #[test]
    fn a_command_is_confirmed_by_its_name() {
        assert_eq!(command_name("# wipe it\nsudo rm -rf /var/cache/app").as_deref(), Some("rm"));
        assert_eq!(command_name("KUBECONFIG=x kubectl delete pod web-1").as_deref(), Some("kubectl"));
        assert_eq!(command_name("$ /usr/bin/systemctl restart nginx").as_deref(), Some("systemctl"));
    }
}
