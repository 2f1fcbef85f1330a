//! Turning a step and its parameter values into what runs, without ever splicing a value into
//! code: SQL placeholders become driver parameters, shell placeholders become quoted references
//! to environment variables, URL values are percent-encoded.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use runbook_core::model::{HttpRequest, Placeholder, PlaceholderStyle, Step};
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    Sqlite,
}

/// SQL with `$n` / `?n` in place of each placeholder, and the values to bind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundSql {
    pub text: String,
    /// Parameter names in bind order (`$1` is `names[0]`); a name used twice appears twice.
    pub names: Vec<String>,
}

pub fn bind_sql(step: &Step, dialect: Dialect) -> BoundSql {
    let mut text = String::with_capacity(step.code.len());
    let mut names: Vec<String> = Vec::new();
    let mut at = 0;
    for p in sorted(&step.placeholders) {
        if p.start < at {
            continue;
        }
        text.push_str(&step.code[at..p.start]);
        // Each occurrence is its own parameter: the server infers a type per position, so
        // `'login:' || $1` (text) and `user_id = $2` (uuid) can carry the same value.
        names.push(p.name.clone());
        let n = names.len();
        match dialect {
            Dialect::Postgres => text.push_str(&format!("${n}")),
            Dialect::Sqlite => text.push_str(&format!("?{n}")),
        }
        at = p.end;
    }
    text.push_str(&step.code[at..]);
    BoundSql { text, names }
}

fn sorted(placeholders: &[Placeholder]) -> Vec<&Placeholder> {
    let mut v: Vec<&Placeholder> = placeholders.iter().collect();
    v.sort_by_key(|p| p.start);
    v
}

/// Environment variable that carries a parameter into a shell step.
pub fn env_name(param: &str) -> String {
    let clean: String = param.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect();
    format!("RUNBOOK_PARAM_{clean}")
}

/// A shell step's code with placeholders replaced by quoted variable references; the values
/// travel in the environment, so no value is ever parsed as shell code.
pub fn bind_shell(step: &Step) -> (String, Vec<String>) {
    let code = &step.code;
    let mut out = String::with_capacity(code.len() + 16);
    let mut names: Vec<String> = Vec::new();
    let mut at = 0;
    for p in sorted(&step.placeholders) {
        if p.start < at {
            continue;
        }
        out.push_str(&code[at..p.start]);
        if !names.contains(&p.name) {
            names.push(p.name.clone());
        }
        let var = env_name(&p.name);
        // `$VAR` written by the author keeps its own quoting; the variable is simply set.
        let reference = match (p.style, quote_state(code, p.start)) {
            (PlaceholderStyle::ShellVar, _) => format!("${{{var}}}"),
            (_, Quote::Single) => format!("'\"${{{var}}}\"'"),
            (_, Quote::Double) => format!("${{{var}}}"),
            (_, Quote::None) => format!("\"${{{var}}}\""),
        };
        out.push_str(&reference);
        at = p.end;
    }
    out.push_str(&code[at..]);
    // Variables the author wrote as `$VAR` are also exported under their own name, so a
    // command like `curl -H "Authorization: Bearer $TOKEN"` sees them.
    (out, names)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Quote {
    None,
    Single,
    Double,
}

fn quote_state(code: &str, upto: usize) -> Quote {
    let mut q = Quote::None;
    let mut escaped = false;
    for c in code[..upto].chars() {
        if escaped {
            escaped = false;
            continue;
        }
        q = match (q, c) {
            (Quote::None, '\\') | (Quote::Double, '\\') => {
                escaped = true;
                q
            }
            (Quote::None, '\'') => Quote::Single,
            (Quote::Single, '\'') => Quote::None,
            (Quote::None, '"') => Quote::Double,
            (Quote::Double, '"') => Quote::None,
            (q, _) => q,
        };
    }
    q
}

/// Characters left as they are in a URL value: RFC 3986 unreserved.
const URL_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// The step's HTTP request with parameter values in place: percent-encoded in the URL,
/// JSON-escaped in a JSON body, and refused in a header when they hold a line break.
pub fn bind_http(step: &Step, values: &HashMap<String, String>) -> Result<HttpRequest, String> {
    let mut req = step.http.clone().ok_or_else(|| "this step has no HTTP request".to_owned())?;
    for p in &step.placeholders {
        let literal = &step.code[p.start..p.end];
        let Some(value) = values.get(&p.name) else { continue };
        let encoded = utf8_percent_encode(value, URL_VALUE).to_string();
        req.url = req.url.replace(literal, &encoded);
        for (_, v) in req.headers.iter_mut() {
            if v.contains(literal) {
                if value.contains(['\r', '\n']) {
                    return Err(format!("the value of {} holds a line break and cannot go into a header", p.name));
                }
                *v = v.replace(literal, value);
            }
        }
        if let Some(body) = req.body.as_mut()
            && body.contains(literal)
        {
            let looks_json = body.trim_start().starts_with(['{', '[']);
            let v = if looks_json {
                let quoted = serde_json::to_string(value).unwrap_or_default();
                quoted[1..quoted.len() - 1].to_owned()
            } else {
                utf8_percent_encode(value, URL_VALUE).to_string()
            };
            *body = body.replace(literal, &v);
        }
        if let Some(auth) = req.basic_auth.as_mut() {
            *auth = auth.replace(literal, value);
        }
    }
    Ok(req)
}

/// Points a URL written for one host at another base (`--target app.example.com=http://127.0.0.1:8080`).
pub fn retarget(url: &str, targets: &[(String, String)]) -> String {
    let Some((scheme_end, rest)) = url.find("://").map(|i| (i + 3, &url[i + 3..])) else { return url.to_owned() };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let host = authority.rsplit('@').next().unwrap_or(authority);
    let host_only = host.split(':').next().unwrap_or(host);
    for (from, to) in targets {
        let from = from.trim_start_matches("https://").trim_start_matches("http://").trim_end_matches('/');
        if from.eq_ignore_ascii_case(host) || from.eq_ignore_ascii_case(host_only) {
            let _ = scheme_end;
            return format!("{}{}", to.trim_end_matches('/'), &rest[authority_end..]);
        }
    }
    url.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(code: &str, kind: runbook_core::StepKind) -> Step {
        let md = match kind {
            runbook_core::StepKind::Sql => format!("# T\n\n```sql\n{code}\n```\n"),
            _ => format!("# T\n\n```bash\n{code}\n```\n"),
        };
        let c = runbook_core::compile(runbook_core::Source::new("t.md", md));
        c.graph.steps.into_iter().next().expect("one step")
    }

    #[test]
    fn sql_placeholders_become_parameters() {
        let s = step("DELETE FROM login_attempts WHERE user_id = 'USER_ID' AND ip = <ip> OR u2 = 'USER_ID';", runbook_core::StepKind::Sql);
        let b = bind_sql(&s, Dialect::Postgres);
        assert_eq!(b.text, "DELETE FROM login_attempts WHERE user_id = $1 AND ip = $2 OR u2 = $3;");
        assert_eq!(b.names, ["USER_ID", "IP", "USER_ID"]);
        assert_eq!(bind_sql(&s, Dialect::Sqlite).text, "DELETE FROM login_attempts WHERE user_id = ?1 AND ip = ?2 OR u2 = ?3;");
    }

    #[test]
    fn shell_placeholders_become_quoted_variables() {
        let s = step("kubectl -n <namespace> logs $POD | grep '<pattern>'", runbook_core::StepKind::Shell);
        let (code, names) = bind_shell(&s);
        assert_eq!(code, "kubectl -n \"${RUNBOOK_PARAM_NAMESPACE}\" logs ${RUNBOOK_PARAM_POD} | grep ''\"${RUNBOOK_PARAM_PATTERN}\"''");
        assert_eq!(names, ["NAMESPACE", "POD", "PATTERN"]);
    }

    #[test]
    fn urls_are_encoded_and_retargeted() {
        let s = step("curl -s https://app.example.com/admin/users/<user_id>/unlock", runbook_core::StepKind::Http);
        let values = HashMap::from([("USER_ID".to_owned(), "../../etc/passwd".to_owned())]);
        let req = bind_http(&s, &values).unwrap();
        assert_eq!(req.url, "https://app.example.com/admin/users/..%2F..%2Fetc%2Fpasswd/unlock");
        let t = vec![("app.example.com".to_owned(), "http://127.0.0.1:8080".to_owned())];
        assert_eq!(retarget(&req.url, &t), "http://127.0.0.1:8080/admin/users/..%2F..%2Fetc%2Fpasswd/unlock");
        assert_eq!(retarget("https://other.example.com/x", &t), "https://other.example.com/x");
    }
}
