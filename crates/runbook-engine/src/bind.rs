//! Turning a step and its parameter values into what runs, without ever splicing a value into
//! code: SQL placeholders become driver parameters, shell placeholders become quoted references
//! to environment variables, URL values are percent-encoded.

use crate::result::{ErrorKind, StepError};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use runbook_core::model::{HttpRequest, Placeholder, PlaceholderStyle, Step, StepKind};
use runbook_core::value_site::{PsqlCommand, Quoting, UrlPart, psql_commands, value_sites, variables_read_as_code};
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

/// Environment variable that carries a parameter's value percent-encoded, for a placeholder
/// inside a URL of a shell step (`curl -o out "https://…/users/<id>"`).
pub fn url_env_name(param: &str) -> String {
    env_name(param).replacen("RUNBOOK_PARAM_", "RUNBOOK_URL_PARAM_", 1)
}

/// The environment a shell step's bound code reads: each value raw, or percent-encoded as one
/// URL component where its placeholder sits inside a URL.
pub fn shell_env(step: &Step, values: &HashMap<String, String>) -> Vec<(String, String)> {
    let placeholders = sorted(&step.placeholders);
    let positions: Vec<usize> = placeholders.iter().map(|p| p.start).collect();
    let psql = bound_psql(step);
    let mut env: Vec<(String, String)> = Vec::new();
    for (p, site) in placeholders.iter().zip(value_sites(&step.code, &positions)) {
        let Some(value) = values.get(&p.name) else { continue };
        let in_psql = psql.iter().any(|(c, _)| c.sql.0 <= p.start && p.end <= c.sql.1);
        let var = match site.url {
            Some(_) if !in_psql => (url_env_name(&p.name), utf8_percent_encode(value, URL_VALUE).to_string()),
            _ => (env_name(&p.name), value.clone()),
        };
        if !env.contains(&var) {
            env.push(var);
        }
    }
    env
}

/// A shell step's code with placeholders replaced by quoted variable references; the values
/// travel in the environment, so bash never parses a value. Each reference is written for the
/// quoting around it, so an expansion is never split into words or globbed: `"${V}"` outside
/// quotes, `${V}` inside double quotes and here-documents (which neither split nor glob).
pub fn bind_shell(step: &Step) -> (String, Vec<String>) {
    let code = &step.code;
    let mut names: Vec<String> = Vec::new();
    let placeholders = sorted(&step.placeholders);
    let positions: Vec<usize> = placeholders.iter().map(|p| p.start).collect();
    let sites = value_sites(code, &positions);
    let psql = bound_psql(step);
    // Replacements by byte range, applied in order; an insertion is an empty range.
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    for (p, site) in placeholders.iter().zip(&sites) {
        if p.end > code.len() {
            continue;
        }
        if !names.contains(&p.name) {
            names.push(p.name.clone());
        }
        if psql.iter().any(|(c, _)| c.sql.0 <= p.start && p.end <= c.sql.1) {
            edits.push(psql_reference(code, p, site.quoting));
            continue;
        }
        let var = if site.url.is_some() { url_env_name(&p.name) } else { env_name(&p.name) };
        let quoted_style = p.style == PlaceholderStyle::Quoted;
        let reference = match (site.quoting, p.style) {
            // `'$VAR'` is for a nested program (`bash -c '… $VAR'`), which reads the variable
            // from the environment it inherits.
            (Quoting::Single, PlaceholderStyle::ShellVar) => format!("${{{var}}}"),
            (Quoting::Single, _) => format!("'\"${{{var}}}\"'"),
            // `'USER_ID'` inside a string or here-document keeps its quotes for the program
            // that reads it; they are literal to bash there.
            (Quoting::Double | Quoting::HereDoc { .. }, _) if quoted_style => format!("'${{{var}}}'"),
            (Quoting::Double | Quoting::HereDoc { .. }, _) => format!("${{{var}}}"),
            (Quoting::None, _) => format!("\"${{{var}}}\""),
        };
        edits.push((p.start, p.end, reference));
    }
    // `psql … -c SQL` → `psql … -v ON_ERROR_STOP=1 -v "runbook_x=${RUNBOOK_PARAM_X}" -f <(printf '%s\n' SQL)`:
    // psql quotes each value itself where the SQL says `:'runbook_x'`.
    // A here-document keeps its form; the variables are added after `psql`.
    for (command, vars) in &psql {
        let bound: Vec<String> = vars.iter().map(|n| format!("-v \"{}=${{{}}}\"", psql_variable(n), env_name(n))).collect();
        match command.flag {
            Some(flag) => {
                edits.push((flag.0, flag.1, format!("-v ON_ERROR_STOP=1 {} -f", bound.join(" "))));
                edits.push((command.sql.0, command.sql.0, "<(printf '%s\\n' ".to_owned()));
                edits.push((command.sql.1, command.sql.1, ")".to_owned()));
            }
            None => edits.push((command.psql_end, command.psql_end, format!(" {}", bound.join(" ")))),
        }
    }
    edits.sort_by_key(|(start, end, _)| (*start, *end));
    let mut out = String::with_capacity(code.len() + 64);
    let mut at = 0;
    for (start, end, text) in edits {
        if start < at || end > code.len() {
            continue;
        }
        out.push_str(&code[at..start]);
        out.push_str(&text);
        at = end;
    }
    out.push_str(&code[at..]);
    (out, names)
}

/// The `psql -c SQL` commands of a step whose SQL holds placeholders, with those parameters:
/// they take their values as psql variables, bound, whatever the values hold.
fn bound_psql(step: &Step) -> Vec<(PsqlCommand, Vec<String>)> {
    let mut out = Vec::new();
    for command in psql_commands(&step.code) {
        let mut vars: Vec<String> = Vec::new();
        for p in step.placeholders.iter().filter(|p| command.sql.0 <= p.start && p.end <= command.sql.1) {
            if !vars.contains(&p.name) {
                vars.push(p.name.clone());
            }
        }
        if !vars.is_empty() {
            out.push((command, vars));
        }
    }
    out
}

/// The psql variable that carries a parameter (letters, digits and `_` only).
fn psql_variable(param: &str) -> String {
    let clean: String = param.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    format!("runbook_{clean}")
}

/// `:'runbook_x'` (psql's quoted interpolation) in place of a placeholder of a `psql -c` SQL,
/// written so bash hands it to psql unchanged. SQL quotes around the placeholder
/// (`'<email>'`, or the quotes of `'EMAIL'`) are replaced too: psql adds its own.
fn psql_reference(code: &str, p: &Placeholder, quoting: Quoting) -> (usize, usize, String) {
    let var = psql_variable(&p.name);
    let sql_quoted = matches!(quoting, Quoting::Double | Quoting::HereDoc { .. })
        && p.start > 0
        && code.as_bytes().get(p.start - 1) == Some(&b'\'')
        && code.as_bytes().get(p.end) == Some(&b'\'');
    let (start, end) = if sql_quoted { (p.start - 1, p.end + 1) } else { (p.start, p.end) };
    let text = match quoting {
        Quoting::Single => format!(":'\\''{var}'\\''"),
        Quoting::None => format!("\":'{var}'\""),
        Quoting::Double | Quoting::HereDoc { .. } => format!(":'{var}'"),
    };
    (start, end, text)
}

/// Letters, digits and `._:@/-`: what a value may hold where another program reads it as code,
/// unless its parameter has a `pattern:` of its own.
pub const CODE_SAFE_PATTERN: &str = "[A-Za-z0-9._:@/-]*";

/// Characters that are code to some interpreter; never allowed where a value is read as code,
/// whatever the parameter's pattern allows (`'` ends a SQL string, `$(` runs a command…).
const CODE_CHARACTERS: &[char] =
    &['\'', '"', '`', '$', '\\', ';', '|', '&', '<', '>', '(', ')', '{', '}', '[', ']', '*', '?', '!', '#', '~', '%', '\n', '\r', '\0'];

/// Refuses the step when a value would be parsed as code: a placeholder inside `psql -c "…"`,
/// `bash -c "…"`, `ssh host '…'`, an awk program, a here-document… needs a value that matches
/// its parameter's pattern (else [`CODE_SAFE_PATTERN`]) and holds none of the characters that
/// are code to an interpreter, nor `--` (a SQL comment), nor any control character.
/// `pattern_of` gives a parameter's pattern; a secret's characters stay out of the message.
pub fn refuse_code_values(
    step: &Step,
    values: &HashMap<String, String>,
    pattern_of: &dyn Fn(&str) -> Option<String>,
    is_secret: &dyn Fn(&str) -> bool,
) -> Result<(), StepError> {
    let shell_code = match step.kind {
        StepKind::Shell => true,
        StepKind::Http => step.http.as_ref().is_some_and(|h| h.shell_reason.is_some()),
        _ => false,
    };
    if !shell_code {
        return Ok(());
    }
    let placeholders = sorted(&step.placeholders);
    let positions: Vec<usize> = placeholders.iter().map(|p| p.start).collect();
    let sites = value_sites(&step.code, &positions);
    let psql = bound_psql(step);
    for (p, site) in placeholders.iter().zip(&sites) {
        let Some(value) = values.get(&p.name) else { continue };
        // The environment cannot carry a NUL: refuse it here, by name, not as a failed spawn.
        if value.contains('\0') {
            return Err(StepError::new(
                ErrorKind::Parameter,
                format!("refused to run: the value of {} holds a NUL byte, which no program can receive", p.name),
            ));
        }
        if site.url == Some(UrlPart::Path) && matches!(value.as_str(), "." | "..") {
            return Err(StepError::new(
                ErrorKind::Parameter,
                format!("refused to run: the value of {} is `{value}`, which in a URL path would leave the path the runbook wrote", p.name),
            ));
        }
        let Some(reader) = &site.code_for else { continue };
        // Bound as a psql variable: psql quotes it, any value is data.
        if psql.iter().any(|(c, _)| c.sql.0 <= p.start && p.end <= c.sql.1) {
            continue;
        }
        check_code_value(&p.name, value, reader, pattern_of(&p.name), is_secret(&p.name))?;
    }
    // Parameters the step hands over under their own names (`${WAIT:-0}`, declared in `params:`)
    // and read inside nested code: the same rule.
    for (var, reader) in variables_read_as_code(&step.code) {
        if placeholders.iter().any(|p| p.name == var) || !step.params.contains(&var) {
            continue;
        }
        if let Some(value) = values.get(&var) {
            check_code_value(&var, value, &reader, pattern_of(&var), is_secret(&var))?;
        }
    }
    Ok(())
}

/// The rule for one value that `reader` parses as code.
fn check_code_value(name: &str, value: &str, reader: &str, pattern: Option<String>, secret: bool) -> Result<(), StepError> {
    // A rehearsal's stand-in for a secret nobody gave is never sent anywhere.
    if value == crate::events::SECRET_MASK {
        return Ok(());
    }
    let why = match value.chars().find(|c| CODE_CHARACTERS.contains(c) || c.is_control()) {
        Some(c) => Some(describe(c)),
        None if value.contains("--") => Some("`--`".to_owned()),
        None => match &pattern {
            // CODE_SAFE_PATTERN, without compiling it for every value.
            None => value.chars().find(|c| !code_safe(*c)).map(describe),
            Some(pat) => {
                let re = regex::Regex::new(&format!("^(?:{pat})$"))
                    .map_err(|e| StepError::new(ErrorKind::Parameter, format!("the pattern of {name} is invalid: {e}")))?;
                (!re.is_match(value)).then(|| "characters its pattern does not allow".to_owned())
            }
        },
    };
    let Some(why) = why else { return Ok(()) };
    let why = if secret { "characters that are not allowed there".to_owned() } else { why };
    let allowed = match &pattern {
        Some(pat) => format!("a value matching its pattern `{pat}`, with no quotes, `$`, `;`, brackets or line breaks,"),
        None => "letters, digits and `._:@/-` (or what the parameter's `pattern:` allows)".to_owned(),
    };
    Err(StepError::new(
        ErrorKind::Parameter,
        format!("refused to run: the value of {name} would be read as code by {reader} and it holds {why}; only {allowed} can go there"),
    ))
}

fn code_safe(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._:@/-".contains(c)
}

fn describe(c: char) -> String {
    match c {
        '\n' => "a line break".to_owned(),
        '\r' => "a carriage return".to_owned(),
        '\0' => "a NUL byte".to_owned(),
        ' ' => "a space".to_owned(),
        c if c.is_control() => format!("the control character U+{:04X}", c as u32),
        c if c.is_ascii() => format!("`{c}`"),
        c => format!("the character U+{:04X}", c as u32),
    }
}

/// Characters left as they are in a URL value: RFC 3986 unreserved.
const URL_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// The step's HTTP request with parameter values in place: percent-encoded in the URL (each
/// value one path segment; `.` and `..` refused in the path, where they would walk up),
/// JSON-escaped in a JSON body, and refused in a header when they hold a line break. Every field
/// is filled in one pass, so a value is never read again as a placeholder (`{{ B }}` as a value
/// stays `{{ B }}`).
pub fn bind_http(step: &Step, values: &HashMap<String, String>) -> Result<HttpRequest, String> {
    let mut req = step.http.as_deref().cloned().ok_or_else(|| "this step has no HTTP request".to_owned())?;
    // Longest literal first, so `<user_id>` is not taken for a shorter placeholder inside it.
    let mut literals: Vec<(&str, &str, &str)> = Vec::new();
    for p in &step.placeholders {
        let (Some(literal), Some(value)) = (step.code.get(p.start..p.end), values.get(&p.name)) else { continue };
        if !literal.is_empty() && !literals.iter().any(|(l, _, _)| *l == literal) {
            literals.push((literal, p.name.as_str(), value.as_str()));
        }
    }
    literals.sort_by_key(|(l, _, _)| std::cmp::Reverse(l.len()));

    let (url, inserted) = substitute(&req.url, &literals, &mut |_, value| Ok(utf8_percent_encode(value, URL_VALUE).to_string()))?;
    refuse_dot_segments(&url, &inserted)?;
    req.url = url;
    for (_, v) in req.headers.iter_mut() {
        *v = substitute(v, &literals, &mut |name, value| {
            if value.contains(['\r', '\n', '\0']) {
                Err(format!("the value of {name} holds a line break or NUL and cannot go into a header"))
            } else {
                Ok(value.to_owned())
            }
        })?
        .0;
    }
    if let Some(body) = req.body.as_mut() {
        let looks_json = body.trim_start().starts_with(['{', '[']);
        *body = substitute(body, &literals, &mut |_, value| {
            Ok(if looks_json {
                let quoted = serde_json::to_string(value).unwrap_or_default();
                quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or_default().to_owned()
            } else {
                utf8_percent_encode(value, URL_VALUE).to_string()
            })
        })?
        .0;
    }
    if let Some(auth) = req.basic_auth.as_mut() {
        *auth = substitute(auth, &literals, &mut |_, value| Ok(value.to_owned()))?.0;
    }
    Ok(req)
}

/// Where a value was written into a text: its byte range and the parameter's name.
type Inserted = Vec<(usize, usize, String)>;

/// Replaces placeholder literals (`(literal, name, value)`) in one left-to-right pass.
fn substitute(
    text: &str,
    literals: &[(&str, &str, &str)],
    encode: &mut dyn FnMut(&str, &str) -> Result<String, String>,
) -> Result<(String, Inserted), String> {
    let mut out = String::with_capacity(text.len());
    let mut inserted = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        if let Some((literal, name, value)) = literals.iter().find(|(l, _, _)| rest.starts_with(l)) {
            let encoded = encode(name, value)?;
            inserted.push((out.len(), out.len() + encoded.len(), (*name).to_owned()));
            out.push_str(&encoded);
            i += literal.len();
        } else {
            let c = rest.chars().next().map_or(1, char::len_utf8);
            out.push_str(&rest[..c]);
            i += c;
        }
    }
    Ok((out, inserted))
}

/// A value that makes a whole path segment `.` or `..` would send the request elsewhere
/// (`/users/../unlock` is `/unlock`); URL parsers treat `%2e` like `.`, so encoding cannot help.
fn refuse_dot_segments(url: &str, inserted: &Inserted) -> Result<(), String> {
    let path_start = url.find("://").map_or(0, |s| url[s + 3..].find('/').map_or(url.len(), |p| s + 3 + p));
    let path_end = url[path_start..].find(['?', '#']).map_or(url.len(), |e| path_start + e);
    let mut seg_start = path_start;
    for segment in url[path_start..path_end].split('/') {
        let seg_end = seg_start + segment.len();
        let decoded = segment.replace("%2e", ".").replace("%2E", ".");
        if matches!(decoded.as_str(), "." | "..")
            && let Some((_, _, name)) = inserted.iter().find(|(s, e, _)| *s < seg_end.max(seg_start + 1) && *e > seg_start)
        {
            return Err(format!(
                "the value of {name} makes a URL path segment `{decoded}`, which would leave the path the runbook wrote; refused"
            ));
        }
        seg_start = seg_end + 1;
    }
    Ok(())
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
        // Annotated, so the whole block is one step whatever inference would split.
        let md = match kind {
            runbook_core::StepKind::Sql => format!("# T\n\n```sql\n{code}\n```\n\n```yaml step\nid: t\n```\n"),
            _ => format!("# T\n\n```bash\n{code}\n```\n\n```yaml step\nid: t\n```\n"),
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
        assert_eq!(code, "kubectl -n \"${RUNBOOK_PARAM_NAMESPACE}\" logs \"${RUNBOOK_PARAM_POD}\" | grep ''\"${RUNBOOK_PARAM_PATTERN}\"''");
        assert_eq!(names, ["NAMESPACE", "POD", "PATTERN"]);
    }

    #[test]
    fn shell_references_never_split_and_keep_nested_quotes() {
        let s = step(
            "ls $TARGET_DIR && echo \"in $TARGET_DIR\"\npsql -c \"SELECT 1 FROM users WHERE email = 'EMAIL'\"",
            runbook_core::StepKind::Shell,
        );
        let (code, _) = bind_shell(&s);
        assert_eq!(
            code,
            r#"ls "${RUNBOOK_PARAM_TARGET_DIR}" && echo "in ${RUNBOOK_PARAM_TARGET_DIR}"
psql -v ON_ERROR_STOP=1 -v "runbook_email=${RUNBOOK_PARAM_EMAIL}" -f <(printf '%s\n' "SELECT 1 FROM users WHERE email = :'runbook_email'")"#
        );
        let s = step("mysql <<SQL\nSELECT * FROM users WHERE email = 'EMAIL' AND id = $USER_ID;\nSQL", runbook_core::StepKind::Shell);
        assert_eq!(
            bind_shell(&s).0,
            "mysql <<SQL\nSELECT * FROM users WHERE email = '${RUNBOOK_PARAM_EMAIL}' AND id = ${RUNBOOK_PARAM_USER_ID};\nSQL"
        );
        // psql reads its here-document with variables: bound there, as with -c.
        let s = step("psql <<SQL\nSELECT * FROM users WHERE email = 'EMAIL' AND id = $USER_ID;\nSQL", runbook_core::StepKind::Shell);
        assert_eq!(
            bind_shell(&s).0,
            "psql -v \"runbook_email=${RUNBOOK_PARAM_EMAIL}\" -v \"runbook_user_id=${RUNBOOK_PARAM_USER_ID}\" <<SQL\nSELECT * FROM users WHERE email = :'runbook_email' AND id = :'runbook_user_id';\nSQL"
        );
    }

    fn refusal(code: &str, name: &str, value: &str, pattern: Option<&str>) -> Result<(), String> {
        let s = step(code, runbook_core::StepKind::Shell);
        let values = HashMap::from([(name.to_owned(), value.to_owned())]);
        let pattern = pattern.map(str::to_owned);
        refuse_code_values(&s, &values, &|_| pattern.clone(), &|n| n.contains("PASSWORD")).map_err(|e| e.message)
    }

    #[test]
    fn values_read_as_code_must_be_plain() {
        // psql run by the step's own bash takes any value bound (see psql_c_values_are_bound);
        // run through sudo, it gets the strict rule.
        assert!(refusal("psql -c \"SELECT 'VALUE'\"", "VALUE", "x'; DROP TABLE canary; --", None).is_ok());
        let psql = "sudo -u postgres psql -c \"SELECT * FROM users WHERE email = 'VALUE'\"";
        let e = refusal(psql, "VALUE", "x'; DROP TABLE canary; --", None).expect_err("refused");
        assert!(e.contains("VALUE") && e.contains("`psql -c`") && e.contains("`'`"), "{e}");
        assert!(refusal(psql, "VALUE", "jane@example.com", None).is_ok());
        assert!(refusal(psql, "VALUE", "1--", None).expect_err("a SQL comment").contains("`--`"));
        let e = refusal("bash -c \"echo hello <value>\"", "VALUE", "$(touch /tmp/pwned)", None).expect_err("refused");
        assert!(e.contains("`bash -c`") && e.contains("`$`"), "{e}");
        assert!(refusal("ssh web-1 \"ls <dir>\"", "DIR", "a\nrm -rf /", None).expect_err("refused").contains("line break"));
        // The parameter's own pattern decides which plain values are fine, never code characters.
        assert!(refusal(psql, "VALUE", "Jane Doe", Some("[A-Za-z ]+")).is_ok());
        assert!(refusal(psql, "VALUE", "Jane Doe", None).expect_err("a space").contains("a space"));
        assert!(refusal(psql, "VALUE", "O'Brien", Some(".+")).is_err());
        // A value that is only an argument is data, whatever it holds.
        assert!(refusal("grep -- <value> /var/log/app.log", "VALUE", "$(touch /tmp/pwned)'\"", None).is_ok());
        // A value reaching nested code through a variable of the step is read as code there.
        let via = "NAME=<value>\nssh db-1 \"grep $NAME /var/log/app.log\"";
        assert!(refusal(via, "VALUE", "x; reboot", None).expect_err("refused").contains("`ssh`"));
        assert!(refusal(via, "VALUE", "web-1", None).is_ok());
        // A secret's characters are not shown.
        let e = refusal("bash -c 'login <password>'", "PASSWORD", "s3cr'et", None).expect_err("refused");
        assert!(!e.contains("`'`") && !e.contains("s3cr"), "{e}");
    }

    #[test]
    fn own_name_parameters_read_as_code_are_checked() {
        let md = "# T\n\n```bash\nbash -c \"sleep ${WAIT:-0}\"\n```\n\n```yaml step\nparams:\n  WAIT: {prompt: Seconds}\n```\n";
        let s = runbook_core::compile(runbook_core::Source::new("t.md", md)).graph.steps.into_iter().next().expect("one step");
        assert!(s.params.contains(&"WAIT".to_owned()), "{:?}", s.params);
        let check = |v: &str| refuse_code_values(&s, &HashMap::from([("WAIT".to_owned(), v.to_owned())]), &|_| None, &|_| false);
        assert!(check("5").is_ok());
        assert!(check("5; reboot").expect_err("refused").message.contains("WAIT"));
    }

    #[test]
    fn values_are_bound_once_and_dot_segments_refused() {
        let code =
            "curl -s -H 'X-Who: {{ A_A }}' https://app.example.com/api/users/{{ A_A }}/notes -d '{\"note\": \"{{ A_A }} {{ B_B }}\"}'";
        let s = step(code, runbook_core::StepKind::Http);
        let values = HashMap::from([("A_A".to_owned(), "{{ B_B }}".to_owned()), ("B_B".to_owned(), "x".to_owned())]);
        let req = bind_http(&s, &values).unwrap();
        assert_eq!(req.url, "https://app.example.com/api/users/%7B%7B%20B_B%20%7D%7D/notes");
        assert_eq!(req.headers, [("X-Who".to_owned(), "{{ B_B }}".to_owned())]);
        assert_eq!(req.body.as_deref(), Some("{\"note\": \"{{ B_B }} x\"}"));
        let s = step("curl -s https://app.example.com/api/users/<user_id>/unlock?next=<next>", runbook_core::StepKind::Http);
        for bad in [".", ".."] {
            let values = HashMap::from([("USER_ID".to_owned(), bad.to_owned()), ("NEXT".to_owned(), "..".to_owned())]);
            let e = bind_http(&s, &values).expect_err("refused");
            assert!(e.contains("USER_ID"), "{e}");
        }
        let values = HashMap::from([("USER_ID".to_owned(), "...".to_owned()), ("NEXT".to_owned(), "..".to_owned())]);
        assert_eq!(bind_http(&s, &values).unwrap().url, "https://app.example.com/api/users/.../unlock?next=..");
    }

    #[test]
    fn psql_c_values_are_bound() {
        let bound = |code: &str| bind_shell(&step(code, runbook_core::StepKind::Shell)).0;
        assert_eq!(
            bound(r#"psql "$DB" -X -c "SELECT * FROM t WHERE a = 'VALUE' AND b = '<email>' AND c = <c>" -c 'SELECT <c>'"#),
            concat!(
                r#"psql "${RUNBOOK_PARAM_DB}" -X -v ON_ERROR_STOP=1 -v "runbook_value=${RUNBOOK_PARAM_VALUE}" -v "runbook_email=${RUNBOOK_PARAM_EMAIL}" "#,
                r#"-v "runbook_c=${RUNBOOK_PARAM_C}" -f <(printf '%s\n' "SELECT * FROM t WHERE a = :'runbook_value' AND b = :'runbook_email' AND c = :'runbook_c'") "#,
                r#"-v ON_ERROR_STOP=1 -v "runbook_c=${RUNBOOK_PARAM_C}" -f <(printf '%s\n' 'SELECT :'\''runbook_c'\''')"#
            )
        );
        // Not run by this bash (sudo closes the descriptor of <(…)): the strict rule instead.
        assert_eq!(bound(r#"sudo psql -c "SELECT 'VALUE'""#), r#"sudo psql -c "SELECT '${RUNBOOK_PARAM_VALUE}'""#);
    }

    #[test]
    fn urls_in_shell_steps_are_encoded_too() {
        let s =
            step("curl -s -o /tmp/out \"https://app.example.com/api/users/<user_id>/unlock?note=<note>\"", runbook_core::StepKind::Http);
        assert!(s.http.as_ref().is_some_and(|h| h.shell_reason.is_some()), "runs through bash");
        let (code, _) = bind_shell(&s);
        assert_eq!(
            code,
            "curl -s -o /tmp/out \"https://app.example.com/api/users/${RUNBOOK_URL_PARAM_USER_ID}/unlock?note=${RUNBOOK_URL_PARAM_NOTE}\""
        );
        let values = HashMap::from([("USER_ID".to_owned(), "../x y".to_owned()), ("NOTE".to_owned(), "..".to_owned())]);
        assert_eq!(
            shell_env(&s, &values),
            [("RUNBOOK_URL_PARAM_USER_ID".to_owned(), "..%2Fx%20y".to_owned()), ("RUNBOOK_URL_PARAM_NOTE".to_owned(), "..".to_owned())]
        );
        assert!(refuse_code_values(&s, &values, &|_| None, &|_| false).is_ok(), "`..` in the query stays");
        let values = HashMap::from([("USER_ID".to_owned(), "..".to_owned())]);
        let e = refuse_code_values(&s, &values, &|_| None, &|_| false).expect_err("refused");
        assert!(e.message.contains("USER_ID"), "{}", e.message);
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
