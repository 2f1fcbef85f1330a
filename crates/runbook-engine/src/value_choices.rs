//! Values from results: a placeholder named like a column of an earlier result (`USER_ID` ↔
//! `user_id`) is offered the values that column held, each with the rest of its row as context.
//! Only offered: a person picks one (or types another), and the value then goes through the same
//! rules as a typed one (pattern, binding, the code-site checks), since a value read from a
//! database row is data someone else wrote.

use crate::result::SqlResult;
use serde_json::Value;

/// At most this many values are offered for one parameter.
const MAX_CHOICES: usize = 10;

/// One value found in an earlier result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueChoice {
    pub value: String,
    /// The row's other columns, `attempt_count=5, locked_until=…`, for the operator to tell
    /// values apart.
    pub context: String,
    /// Where it came from: `users-diagnosis-2 row 1, column user_id`.
    pub source: String,
}

/// `USER_ID`, `user_id`, `userId`, `user-id` are one name.
fn normalise(name: &str) -> String {
    name.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// Values for parameter `name` from `results` (step id and result, in the order they ran).
pub fn value_choices<'a>(name: &str, results: impl IntoIterator<Item = (&'a str, &'a SqlResult)>) -> Vec<ValueChoice> {
    let wanted = normalise(name);
    let mut out: Vec<ValueChoice> = Vec::new();
    for (step, result) in results {
        let Some(column) = result.columns.iter().find(|c| normalise(c) == wanted) else { continue };
        for (n, row) in result.rows.iter().enumerate() {
            let value = match row.get(column) {
                None | Some(Value::Null) => continue,
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
            };
            // Control characters would rewrite the operator's terminal: not offered at all.
            if value.is_empty() || value.chars().any(char::is_control) || out.iter().any(|c| c.value == value) {
                continue;
            }
            let context = result
                .columns
                .iter()
                .filter(|c| *c != column)
                .map(|c| format!("{c}={}", printable(row.get(c).unwrap_or(&Value::Null))))
                .collect::<Vec<_>>()
                .join(", ");
            out.push(ValueChoice { value, context, source: format!("{step} row {}, column {column}", n + 1) });
            if out.len() == MAX_CHOICES {
                return out;
            }
        }
    }
    out
}

/// A cell for display: short, and with control characters escaped.
fn printable(v: &Value) -> String {
    let text = match v {
        Value::Null => "NULL".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let escaped: String =
        text.chars().flat_map(|c| if c.is_control() { c.escape_default().collect::<Vec<_>>() } else { vec![c] }).collect();
    if escaped.chars().count() > 40 { format!("{}…", escaped.chars().take(39).collect::<String>()) } else { escaped }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn result(columns: &[&str], rows: Vec<Value>) -> SqlResult {
        SqlResult {
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
            rows: rows.into_iter().map(|r| r.as_object().cloned().unwrap_or_default()).collect(),
            row_count: 0,
            truncated: false,
            statements: 1,
        }
    }

    #[test]
    fn a_placeholder_meets_the_column_of_its_name() {
        let r = result(
            &["user_id", "attempt_count"],
            vec![json!({"user_id": "u-locked-42", "attempt_count": 5}), json!({"user_id": null, "attempt_count": 1})],
        );
        let c = value_choices("USER_ID", [("diag-2", &r)]);
        assert_eq!(
            c,
            [ValueChoice { value: "u-locked-42".into(), context: "attempt_count=5".into(), source: "diag-2 row 1, column user_id".into() }]
        );
        assert!(value_choices("EMAIL", [("diag-2", &r)]).is_empty());
    }

    #[test]
    fn values_are_offered_once_across_results_and_numbers_as_text() {
        let a = result(&["userId"], vec![json!({"userId": 7}), json!({"userId": 7})]);
        let b = result(&["user_id"], vec![json!({"user_id": 7}), json!({"user_id": 8})]);
        let c = value_choices("user-id", [("a", &a), ("b", &b)]);
        assert_eq!(c.iter().map(|c| c.value.as_str()).collect::<Vec<_>>(), ["7", "8"]);
        assert_eq!(c[1].source, "b row 2, column user_id");
    }

    #[test]
    fn values_with_control_characters_are_not_offered_and_context_is_escaped() {
        let r = result(
            &["user_id", "note"],
            vec![json!({"user_id": "evil\u{1b}[2J", "note": "x"}), json!({"user_id": "ok", "note": "a\u{1b}]0;title\u{7}"})],
        );
        let c = value_choices("USER_ID", [("s", &r)]);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].value, "ok");
        assert!(!c[0].context.chars().any(char::is_control), "{:?}", c[0].context);
    }
}
