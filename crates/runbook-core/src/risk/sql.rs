//! SQL by statement type (sqlparser, not a regex): what a statement, or a function it calls,
//! does to the server.

use super::*;
use sqlparser::ast::{Query, SetExpr, Statement};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

/// Functions that change server state even inside a SELECT.
pub(super) const MUTATING_FUNCTIONS: &[(&str, Risk)] = &[
    ("pg_terminate_backend", Risk::Destructive),
    ("pg_drop_replication_slot", Risk::Destructive),
    ("lo_unlink", Risk::Destructive),
    ("pg_cancel_backend", Risk::Write),
    // Releases a lock another session took: it goes on without it.
    ("pg_advisory_unlock", Risk::Write),
    ("pg_reload_conf", Risk::Write),
    ("pg_switch_wal", Risk::Write),
    ("pg_stat_reset", Risk::Write),
    ("pg_stat_statements_reset", Risk::Write),
    ("pg_create_restore_point", Risk::Write),
    ("pg_rotate_logfile", Risk::Write),
    ("setval", Risk::Write),
    // Assigns a transaction id: the wraparound counter moves.
    ("txid_current", Risk::Write),
    ("nextval", Risk::Write),
    ("dblink_exec", Risk::Write),
    ("pg_create_physical_replication_slot", Risk::Write),
    ("pg_create_logical_replication_slot", Risk::Write),
    ("pg_promote", Risk::Write),
    ("pg_wal_replay_pause", Risk::Write),
    ("pg_wal_replay_resume", Risk::Write),
    ("pg_xlog_replay_pause", Risk::Write),
    ("pg_xlog_replay_resume", Risk::Write),
];

/// An application's own functions named for what they change: `SELECT cleanup_expired_rate_limits()`
/// is not a read, whatever the `SELECT` says.
pub(super) const MUTATING_PREFIXES: &[(&str, Risk)] = &[
    ("cleanup_", Risk::Write),
    ("clean_", Risk::Write),
    ("reset_", Risk::Write),
    ("update_", Risk::Write),
    ("insert_", Risk::Write),
    ("create_", Risk::Write),
    ("refresh_", Risk::Write),
    ("archive_", Risk::Write),
    ("sync_", Risk::Write),
    ("expire_", Risk::Write),
    ("invalidate_", Risk::Write),
    ("rotate_", Risk::Write),
    ("cancel_", Risk::Write),
    ("clear_", Risk::Write),
    ("set_", Risk::Write),
    ("grant_", Risk::Write),
    ("revoke_", Risk::Write),
    ("disable_", Risk::Write),
    ("enable_", Risk::Write),
    ("process_", Risk::Write),
    ("trigger_", Risk::Write),
    ("send_", Risk::Write),
    ("delete_", Risk::Destructive),
    ("purge_", Risk::Destructive),
    ("drop_", Risk::Destructive),
    ("truncate_", Risk::Destructive),
    ("remove_", Risk::Destructive),
];

/// Classifies SQL text. Placeholders must already be replaced by something parseable.
pub fn classify_sql(sql: &str) -> Classified {
    // psql meta-commands (`\x`, `\dt+`) are client-side and read-only.
    let cleaned: String = sql.lines().filter(|l| !l.trim_start().starts_with('\\')).collect::<Vec<_>>().join("\n");
    if cleaned.trim().is_empty() {
        return classified(Risk::Read, "psql meta-command");
    }
    // Tokenizing again is only worth it when a mutating function may be named.
    let lower = cleaned.to_ascii_lowercase();
    let by_functions =
        if MUTATING_FUNCTIONS.iter().any(|(f, _)| lower.contains(f)) || MUTATING_PREFIXES.iter().any(|(p, _)| lower.contains(p)) {
            classify_functions(&cleaned)
        } else {
            None
        };
    match Parser::parse_sql(&PostgreSqlDialect {}, &cleaned) {
        Ok(statements) if !statements.is_empty() => {
            let mut out = classified(Risk::Read, "no statement");
            for (i, s) in statements.iter().enumerate() {
                let c = classify_statement(s);
                out = if i == 0 { c } else { max(out, c) };
            }
            match by_functions {
                Some(f) => max(out, f),
                None => out,
            }
        }
        _ => {
            let by_keyword = classify_sql_keywords(&cleaned);
            match by_functions {
                Some(f) => max(by_keyword, f),
                None => by_keyword,
            }
        }
    }
}

pub(super) fn classify_statement(s: &Statement) -> Classified {
    use Statement as S;
    match s {
        S::Query(q) => classify_query(q),
        S::Explain { analyze, statement, .. } => {
            if *analyze {
                // EXPLAIN ANALYZE executes the statement.
                let inner = classify_statement(statement);
                classified(inner.risk, format!("EXPLAIN ANALYZE of {}", inner.reason))
            } else {
                classified(Risk::Read, "EXPLAIN")
            }
        }
        S::Insert(_) => classified(Risk::Write, "INSERT statement"),
        S::Update(_) => classified(Risk::Write, "UPDATE statement"),
        S::Merge(_) => classified(Risk::Write, "MERGE statement"),
        S::Copy { .. } => classified(Risk::Write, "COPY statement"),
        S::Delete(_) => classified(Risk::Destructive, "DELETE statement"),
        S::Truncate(_) => classified(Risk::Destructive, "TRUNCATE statement"),
        S::Drop { .. }
        | S::DropFunction(_)
        | S::DropDomain(_)
        | S::DropProcedure { .. }
        | S::DropPolicy(_)
        | S::DropTrigger(_)
        | S::DropExtension(_)
        | S::DropSecret { .. } => classified(Risk::Destructive, "DROP statement"),
        // An ALTER that drops something, or changes a column's type, can lose data; adding a
        // column, renaming an index or changing a role loses nothing.
        S::AlterTable(_) | S::AlterType(_) if alter_loses_data(&s.to_string()) => classified(Risk::Destructive, "ALTER … DROP statement"),
        S::AlterTable(_)
        | S::AlterIndex { .. }
        | S::AlterView { .. }
        | S::AlterRole { .. }
        | S::AlterSchema(_)
        | S::AlterType(_)
        | S::AlterUser(_)
        | S::AlterPolicy(_) => classified(Risk::Write, "ALTER statement"),
        S::Kill { .. } => classified(Risk::Destructive, "KILL statement"),
        S::ShowFunctions { .. }
        | S::ShowVariable { .. }
        | S::ShowStatus { .. }
        | S::ShowVariables { .. }
        | S::ShowCreate { .. }
        | S::ShowColumns { .. }
        | S::ShowDatabases { .. }
        | S::ShowSchemas { .. }
        | S::ShowTables { .. }
        | S::ShowViews { .. }
        | S::ShowCollation { .. }
        | S::ExplainTable { .. }
        | S::Pragma { .. } => classified(Risk::Read, "SHOW statement"),
        S::Set(_) | S::StartTransaction { .. } | S::Commit { .. } | S::Rollback { .. } | S::Savepoint { .. } => {
            classified(Risk::Read, "session or transaction control")
        }
        S::Declare { .. } | S::Fetch { .. } | S::Close { .. } | S::Discard { .. } => classified(Risk::Read, "cursor"),
        other => {
            let text = other.to_string();
            let keyword: String = text.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
            classified(Risk::Write, format!("{} statement", keyword.to_ascii_uppercase()))
        }
    }
}

/// `ALTER TABLE … DROP COLUMN`, `… ALTER COLUMN x TYPE …`: an ALTER that can lose data.
pub(super) fn alter_loses_data(sql: &str) -> bool {
    let upper = sql.to_ascii_uppercase();
    upper.contains(" DROP ") || upper.contains(" TYPE ") || upper.contains("TRUNCATE")
}

pub(super) fn classify_query(q: &Query) -> Classified {
    let mut out = classify_set_expr(&q.body);
    if let Some(with) = &q.with {
        for cte in &with.cte_tables {
            let c = classify_query(&cte.query);
            if c.risk > Risk::Read {
                out = max(out, classified(c.risk, format!("{} in a WITH clause", c.reason)));
            }
        }
    }
    out
}

pub(super) fn classify_set_expr(e: &SetExpr) -> Classified {
    match e {
        SetExpr::Insert(_) => classified(Risk::Write, "INSERT statement"),
        SetExpr::Update(_) | SetExpr::Merge(_) => classified(Risk::Write, "UPDATE statement"),
        SetExpr::Delete(_) => classified(Risk::Destructive, "DELETE statement"),
        SetExpr::Query(q) => classify_query(q),
        SetExpr::SetOperation { left, right, .. } => max(classify_set_expr(left), classify_set_expr(right)),
        _ => classified(Risk::Read, "SELECT statement"),
    }
}

pub(super) fn classify_functions(sql: &str) -> Option<Classified> {
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize().ok()?;
    let mut out: Option<Classified> = None;
    let significant: Vec<&Token> = tokens.iter().filter(|t| !matches!(t, Token::Whitespace(_))).collect();
    for pair in significant.windows(2) {
        if let (Token::Word(w), Token::LParen) = (pair[0], pair[1]) {
            let name = w.value.to_ascii_lowercase();
            let known = MUTATING_FUNCTIONS.iter().find(|(f, _)| *f == name).map(|(_, r)| *r);
            if let Some(risk) = known.or_else(|| MUTATING_PREFIXES.iter().find(|(p, _)| name.starts_with(p)).map(|(_, r)| *r)) {
                let c = classified(risk, format!("calls {name}()"));
                out = Some(match out {
                    Some(prev) => max(prev, c),
                    None => c,
                });
            }
        }
    }
    out
}

/// Fallback when the SQL does not parse (dialect extensions, fragments): the leading keyword of
/// each statement, from sqlparser's tokenizer so strings and comments are skipped.
pub fn classify_sql_keywords(sql: &str) -> Classified {
    let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize() else {
        return classified(Risk::Write, "SQL that could not be read; treated as a write");
    };
    let mut out = classified(Risk::Read, "SELECT statement");
    let mut at_start = true;
    let mut seen_any = false;
    for t in &tokens {
        match t {
            Token::SemiColon => at_start = true,
            Token::Whitespace(_) => {}
            Token::Word(w) => {
                let kw = w.value.to_ascii_uppercase();
                let c = match kw.as_str() {
                    "DELETE" | "DROP" | "TRUNCATE" => Some(classified(Risk::Destructive, format!("{kw} statement"))),
                    // `ALTER SYSTEM SET …`, `ALTER GROUP … ADD USER`: settings and grants.
                    "ALTER" if !alter_loses_data(sql) => Some(classified(Risk::Write, "ALTER statement")),
                    "ALTER" => Some(classified(Risk::Destructive, "ALTER … DROP statement")),
                    "INSERT" | "UPDATE" | "MERGE" | "CREATE" | "GRANT" | "REVOKE" | "VACUUM" | "REINDEX" | "CLUSTER" | "COPY" | "CALL"
                    | "DO" | "REFRESH" | "LOCK" | "COMMENT" | "ANALYZE" => Some(classified(Risk::Write, format!("{kw} statement"))),
                    _ => None,
                };
                // DML keywords inside a WITH are as risky as at the start.
                if let Some(c) = c.filter(|c| {
                    at_start || c.reason.starts_with("DELETE") || c.reason.starts_with("INSERT") || c.reason.starts_with("UPDATE")
                }) {
                    out = max(out, c);
                }
                if at_start
                    && !matches!(kw.as_str(), "SELECT" | "WITH" | "SHOW" | "EXPLAIN" | "SET" | "BEGIN" | "COMMIT" | "VALUES" | "TABLE")
                    && !seen_any
                {
                    seen_any = true;
                }
                at_start = false;
            }
            _ => at_start = false,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn sql(text: &str, risk: Risk) {
        let c = classify_sql(text);
        assert_eq!(c.risk, risk, "{text}: {}", c.reason);
    }

    #[test]
    fn sql_statements() {
        sql("SELECT * FROM login_attempts WHERE user_id = 'USER_ID'", Risk::Read);
        sql("INSERT INTO t VALUES (1)", Risk::Write);
        sql("UPDATE profiles SET locked = false", Risk::Write);
        sql("DELETE FROM login_attempts WHERE user_id = 'USER_ID';", Risk::Destructive);
        sql("DROP TABLE x", Risk::Destructive);
        sql("TRUNCATE x", Risk::Destructive);
        sql("ALTER TABLE x ADD COLUMN y int", Risk::Write);
        sql("ALTER TABLE x DROP COLUMN y", Risk::Destructive);
        sql("ALTER SYSTEM SET max_wal_size TO '16GB';", Risk::Write);
        sql("ALTER INDEX i RENAME TO j", Risk::Write);
        sql("WITH d AS (DELETE FROM t RETURNING *) SELECT count(*) FROM d", Risk::Destructive);
        sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity", Risk::Destructive);
        sql("SELECT cleanup_expired_rate_limits();", Risk::Write);
        sql("SELECT purge_old_sessions(30)", Risk::Destructive);
        sql("SELECT pg_size_pretty(pg_database_size('postgres'));", Risk::Read);
        sql("EXPLAIN SELECT 1", Risk::Read);
        sql("EXPLAIN ANALYZE DELETE FROM t", Risk::Destructive);
        sql("\\x\nSELECT 1;", Risk::Read);
        sql("VACUUM ANALYZE invitations", Risk::Write);
        sql("SELECT 1; DELETE FROM t", Risk::Destructive);
        sql("SELECT 'DELETE FROM t'", Risk::Read);
        // Not parseable by sqlparser: keyword fallback still sees the DELETE.
        sql("DELETE FROM t WHERE x = ANY(%s) FROBNICATE", Risk::Destructive);
    }
}
