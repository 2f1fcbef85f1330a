//! Blast radius: an `UPDATE`, `DELETE` or `TRUNCATE` turned into the `SELECT count(*)` that
//! counts the rows it would touch, on the statement's syntax tree (sqlparser), never on its text.
//!
//! `DELETE FROM t USING u WHERE c` and `UPDATE t SET … FROM u WHERE c` touch each row of `t` at
//! most once however many rows of `u` match, so the join becomes `EXISTS (SELECT 1 FROM u WHERE
//! c)` over `t`, not a count of the join. A `WITH` in front is kept. Bound parameters (`$1`,
//! `?1`) stay parameters; those the rewrite drops (the `SET` values) are renumbered away, and
//! [`CountQuery::params`] says which original parameter each remaining one is.
//!
//! Pure: the engine runs the count in a read-only transaction (`runbook-engine`'s
//! `exec::blast_radius`).

use sqlparser::ast::{
    Expr, FromTable, ObjectName, ObjectNamePart, Query, SetExpr, Statement, TableFactor, TableWithJoins, UpdateTableFromKind,
};
use sqlparser::dialect::{Dialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

/// Which SQL the statement is written in (the parameter style follows it: `$1` or `?1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlFlavor {
    Postgres,
    Sqlite,
}

/// What the write does to the rows it touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Delete,
    Update,
    Truncate,
}

impl Verb {
    /// `deletes 1 row of login_attempts`.
    pub fn describe(self, rows: i64, table: &str) -> String {
        let rows_word = if rows == 1 { "row" } else { "rows" };
        match self {
            Verb::Delete => format!("deletes {rows} {rows_word} of {table}"),
            Verb::Update => format!("updates {rows} {rows_word} of {table}"),
            Verb::Truncate => format!("empties {table} ({rows} {rows_word})"),
        }
    }
}

/// The count query for one write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountQuery {
    /// `SELECT count(*) FROM …` with parameters numbered from 1.
    pub text: String,
    /// For each parameter of `text` (`$1`, `$2`, …), the number of the original statement's
    /// parameter it stands for.
    pub params: Vec<usize>,
    /// The table whose rows are touched (as written, without schema).
    pub table: String,
    pub verb: Verb,
}

/// The blast radius of one statement: `None` when it touches no existing rows by a filter
/// (a `SELECT`, an `INSERT`, `BEGIN`…), else the count query or why there is none.
pub fn count_query(sql: &str, flavor: SqlFlavor) -> Option<Result<CountQuery, String>> {
    let dialect: &dyn Dialect = match flavor {
        SqlFlavor::Postgres => &PostgreSqlDialect {},
        SqlFlavor::Sqlite => &SQLiteDialect {},
    };
    let statements = match Parser::parse_sql(dialect, sql) {
        Ok(s) => s,
        Err(_) => return Some(Err("the statement does not parse".into())),
    };
    let [statement] = statements.as_slice() else {
        return Some(Err("more than one statement".into()));
    };
    let (with, write) = match statement {
        Statement::Query(q) => match q.body.as_ref() {
            SetExpr::Delete(s) | SetExpr::Update(s) => (q.with.clone(), s),
            _ => return None,
        },
        other => (None, other),
    };
    let counted = match write {
        Statement::Delete(d) => {
            if !d.tables.is_empty() {
                return Some(Err("a multi-table DELETE".into()));
            }
            if d.limit.is_some() || !d.order_by.is_empty() {
                return Some(Err("a DELETE with LIMIT".into()));
            }
            let from = match &d.from {
                FromTable::WithFromKeyword(t) | FromTable::WithoutKeyword(t) => t,
            };
            let [target] = from.as_slice() else {
                return Some(Err("a DELETE from several tables".into()));
            };
            target_rows(target, d.using.as_deref(), d.selection.as_ref(), Verb::Delete)
        }
        Statement::Update(u) => {
            if u.limit.is_some() || !u.order_by.is_empty() {
                return Some(Err("an UPDATE with LIMIT".into()));
            }
            let joined = u.from.as_ref().map(|f| match f {
                UpdateTableFromKind::BeforeSet(t) | UpdateTableFromKind::AfterSet(t) => t.as_slice(),
            });
            target_rows(&u.table, joined, u.selection.as_ref(), Verb::Update)
        }
        Statement::Truncate(t) => {
            let [target] = t.table_names.as_slice() else {
                return Some(Err("a TRUNCATE of several tables".into()));
            };
            let table = match table_named(dialect, target.name.clone()) {
                Ok(t) => t,
                Err(e) => return Some(Err(e)),
            };
            target_rows(&table, None, None, Verb::Truncate)
        }
        _ => return None,
    };
    Some(counted.and_then(|(from, selection, table, verb)| {
        let query = select(dialect, "SELECT count(*) FROM t", vec![from], selection, with)?;
        let (text, params) = renumber(&query.to_string(), dialect)?;
        Ok(CountQuery { text, params, table, verb })
    }))
}

type Counted = (TableWithJoins, Option<Expr>, String, Verb);

/// The rows of `target` that `selection` (over `target` and the `joined` tables) matches.
fn target_rows(
    target: &TableWithJoins,
    joined: Option<&[TableWithJoins]>,
    selection: Option<&Expr>,
    verb: Verb,
) -> Result<Counted, String> {
    if !target.joins.is_empty() {
        return Err("a write through a JOIN".into());
    }
    let table = match &target.relation {
        TableFactor::Table { name, .. } => match name.0.last() {
            Some(ObjectNamePart::Identifier(ident)) => ident.value.clone(),
            _ => return Err("a write to a computed table name".into()),
        },
        _ => return Err("a write to something other than a table".into()),
    };
    let selection = match joined {
        Some(joined) if !joined.is_empty() => {
            let dialect = PostgreSqlDialect {};
            let inner = select(&dialect, "SELECT 1 FROM t", joined.to_vec(), selection.cloned(), None)?;
            Some(Expr::Exists { subquery: Box::new(inner), negated: false })
        }
        _ => selection.cloned(),
    };
    Ok((target.clone(), selection, table, verb))
}

/// `template` (a one-table `SELECT`) with its `FROM`, `WHERE` and `WITH` replaced.
fn select(
    dialect: &dyn Dialect,
    template: &str,
    from: Vec<TableWithJoins>,
    selection: Option<Expr>,
    with: Option<sqlparser::ast::With>,
) -> Result<Query, String> {
    let parsed = Parser::parse_sql(dialect, template).map_err(|e| e.to_string())?;
    let Some(Statement::Query(mut query)) = parsed.into_iter().next() else {
        return Err("internal: the template is not a query".into());
    };
    let SetExpr::Select(select) = query.body.as_mut() else {
        return Err("internal: the template is not a SELECT".into());
    };
    select.from = from;
    select.selection = selection;
    query.with = with;
    Ok(*query)
}

/// `SELECT … FROM name`'s `FROM` item, taken from a parsed template and renamed.
fn table_named(dialect: &dyn Dialect, name: ObjectName) -> Result<TableWithJoins, String> {
    let parsed = Parser::parse_sql(dialect, "SELECT 1 FROM t").map_err(|e| e.to_string())?;
    let Some(Statement::Query(query)) = parsed.into_iter().next() else {
        return Err("internal: the template is not a query".into());
    };
    let SetExpr::Select(select) = *query.body else {
        return Err("internal: the template is not a SELECT".into());
    };
    let Some(mut from) = select.from.into_iter().next() else {
        return Err("internal: the template has no FROM".into());
    };
    if let TableFactor::Table { name: n, .. } = &mut from.relation {
        *n = name;
    }
    Ok(from)
}

/// Renumbers the parameters left in `text` from 1, in order of first appearance (`$3` becomes
/// `$1` when the `SET` held `$1` and `$2`); returns the text and the original numbers.
fn renumber(text: &str, dialect: &dyn Dialect) -> Result<(String, Vec<usize>), String> {
    let tokens = Tokenizer::new(dialect, text).tokenize().map_err(|e| e.to_string())?;
    let mut params: Vec<usize> = Vec::new();
    let mut out = String::with_capacity(text.len());
    for token in tokens {
        match &token {
            Token::Placeholder(p) => {
                let (sigil, digits) = p.split_at(1);
                let Ok(original) = digits.parse::<usize>() else {
                    return Err(format!("a parameter `{p}` without a number"));
                };
                let n = match params.iter().position(|&o| o == original) {
                    Some(i) => i + 1,
                    None => {
                        params.push(original);
                        params.len()
                    }
                };
                out.push_str(&format!("{sigil}{n}"));
            }
            other => out.push_str(&other.to_string()),
        }
    }
    Ok((out, params))
}

/// The word an operator types to confirm a write: the table it touches (`login_attempts`), so
/// the word says what is about to change. `None` when no single table is written.
pub fn written_table(sql: &str, flavor: SqlFlavor) -> Option<String> {
    match count_query(sql, flavor)? {
        Ok(q) => Some(q.table),
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pg(sql: &str) -> CountQuery {
        count_query(sql, SqlFlavor::Postgres).expect("a write").expect("a count query")
    }

    fn cannot(sql: &str) -> String {
        count_query(sql, SqlFlavor::Postgres).expect("a write").expect_err("no count query")
    }

    #[test]
    fn a_delete_with_a_where_counts_the_same_rows() {
        let q = pg("DELETE FROM login_attempts WHERE user_id = $1");
        assert_eq!(q.text, "SELECT count(*) FROM login_attempts WHERE user_id = $1");
        assert_eq!(q.params, [1]);
        assert_eq!(q.table, "login_attempts");
        assert_eq!(q.verb, Verb::Delete);
        assert_eq!(q.verb.describe(1, &q.table), "deletes 1 row of login_attempts");
    }

    #[test]
    fn a_delete_without_where_counts_the_whole_table() {
        let q = pg("DELETE FROM sessions");
        assert_eq!(q.text, "SELECT count(*) FROM sessions");
        assert_eq!(q.verb.describe(3, &q.table), "deletes 3 rows of sessions");
    }

    #[test]
    fn an_update_drops_its_set_values_and_renumbers_the_rest() {
        let q = pg("UPDATE users SET locked_until = NULL, note = $1 WHERE id = $2 AND tenant = $3");
        assert_eq!(q.text, "SELECT count(*) FROM users WHERE id = $1 AND tenant = $2");
        assert_eq!(q.params, [2, 3]);
        assert_eq!(q.verb, Verb::Update);
    }

    #[test]
    fn a_repeated_parameter_stays_one_parameter() {
        let q = pg("UPDATE t SET a = $1 WHERE b = $2 OR c = $2");
        assert_eq!(q.text, "SELECT count(*) FROM t WHERE b = $1 OR c = $1");
        assert_eq!(q.params, [2]);
    }

    #[test]
    fn delete_using_counts_target_rows_once_through_exists() {
        let q = pg("DELETE FROM orders o USING customers c WHERE o.customer_id = c.id AND c.banned");
        assert_eq!(
            q.text,
            "SELECT count(*) FROM orders o WHERE EXISTS (SELECT 1 FROM customers c WHERE o.customer_id = c.id AND c.banned)"
        );
        assert_eq!(q.table, "orders");
    }

    #[test]
    fn update_from_counts_target_rows_once_through_exists() {
        let q = pg("UPDATE accounts a SET balance = 0 FROM closures c WHERE c.account_id = a.id AND c.day = $1");
        assert_eq!(
            q.text,
            "SELECT count(*) FROM accounts a WHERE EXISTS (SELECT 1 FROM closures c WHERE c.account_id = a.id AND c.day = $1)"
        );
        assert_eq!(q.params, [1]);
    }

    #[test]
    fn a_cte_in_front_is_kept() {
        let q = pg(
            "WITH stale AS (SELECT id FROM sessions WHERE seen < now() - interval '1 day') DELETE FROM sessions WHERE id IN (SELECT id FROM stale)",
        );
        assert_eq!(
            q.text,
            "WITH stale AS (SELECT id FROM sessions WHERE seen < now() - INTERVAL '1 day') SELECT count(*) FROM sessions WHERE id IN (SELECT id FROM stale)"
        );
    }

    #[test]
    fn subqueries_and_schemas_are_kept() {
        let q = pg("DELETE FROM public.tokens WHERE user_id IN (SELECT id FROM users WHERE email = $1) AND expires_at < now()");
        assert_eq!(
            q.text,
            "SELECT count(*) FROM public.tokens WHERE user_id IN (SELECT id FROM users WHERE email = $1) AND expires_at < now()"
        );
        assert_eq!(q.table, "tokens");
    }

    #[test]
    fn returning_is_dropped() {
        let q = pg("UPDATE jobs SET state = 'queued' WHERE state = 'stuck' RETURNING id");
        assert_eq!(q.text, "SELECT count(*) FROM jobs WHERE state = 'stuck'");
    }

    #[test]
    fn truncate_counts_the_table() {
        let q = pg("TRUNCATE TABLE audit_log");
        assert_eq!(q.text, "SELECT count(*) FROM audit_log");
        assert_eq!(q.verb.describe(2, &q.table), "empties audit_log (2 rows)");
    }

    #[test]
    fn quoted_table_names_are_named_without_quotes() {
        let q = pg(r#"DELETE FROM "Login Attempts" WHERE id = 1"#);
        assert_eq!(q.text, r#"SELECT count(*) FROM "Login Attempts" WHERE id = 1"#);
        assert_eq!(q.table, "Login Attempts");
    }

    #[test]
    fn sqlite_parameters_are_renumbered_too() {
        let q = count_query("UPDATE t SET a = ?1 WHERE id = ?2", SqlFlavor::Sqlite).unwrap().unwrap();
        assert_eq!(q.text, "SELECT count(*) FROM t WHERE id = ?1");
        assert_eq!(q.params, [2]);
    }

    #[test]
    fn statements_it_cannot_rewrite_say_why() {
        assert_eq!(cannot("DELETE FROM a, b WHERE a.id = b.id"), "a DELETE from several tables");
        assert_eq!(cannot("TRUNCATE a, b"), "a TRUNCATE of several tables");
        assert_eq!(cannot("DELETE FROM login_attempts WHERE"), "the statement does not parse");
        assert_eq!(count_query("DELETE FROM t WHERE id = 1 LIMIT 5", SqlFlavor::Sqlite).unwrap().unwrap_err(), "a DELETE with LIMIT");
    }

    #[test]
    fn reads_and_inserts_have_no_blast_radius() {
        assert!(count_query("SELECT * FROM t", SqlFlavor::Postgres).is_none());
        assert!(count_query("INSERT INTO t VALUES (1)", SqlFlavor::Postgres).is_none());
        assert!(count_query("BEGIN", SqlFlavor::Postgres).is_none());
    }

    #[test]
    fn the_written_table_is_the_confirmation_word() {
        assert_eq!(written_table("DELETE FROM login_attempts WHERE user_id = $1", SqlFlavor::Postgres).as_deref(), Some("login_attempts"));
        assert_eq!(written_table("SELECT 1", SqlFlavor::Postgres), None);
    }
}
