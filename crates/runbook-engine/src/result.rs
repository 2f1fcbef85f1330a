//! Typed step results: what a step produced, as data. The terminal, the JSON event stream and
//! the journal all render the same values.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Outcome {
    Sql(SqlResult),
    Http(HttpResult),
    Shell(ShellResult),
    Manual(ManualResult),
    Decision,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SqlResult {
    pub columns: Vec<String>,
    /// The first rows (at most the display limit), each column → typed value.
    pub rows: Vec<Map<String, Value>>,
    /// Rows returned in total (streamed, not held), or rows affected by a write.
    pub row_count: u64,
    /// More rows were returned than kept.
    pub truncated: bool,
    /// Statements executed (a step may hold several).
    pub statements: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct HttpResult {
    pub method: String,
    pub url: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The body as text (cut at a size limit).
    pub body: String,
    /// The body parsed as JSON, when it is JSON.
    pub json: Option<Value>,
    /// The `| jq FILTER` output (several outputs become an array).
    pub filtered: Option<Value>,
    pub elapsed_ms: u64,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ShellResult {
    pub exit_code: i32,
    pub stdout: String,
    pub stderr: String,
    /// Variables the script set that later steps read (`TOKEN=$(…)`), as bash saw them at exit.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub vars: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ManualResult {
    pub done: bool,
    pub note: Option<String>,
}

/// Why a step did not produce a result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepError {
    pub kind: ErrorKind,
    pub message: String,
    /// Byte position in the executed statement, when the database gave one.
    pub position: Option<usize>,
    /// The statement the position refers to.
    pub statement: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    Connection,
    Timeout,
    Database,
    Http,
    Shell,
    Parameter,
    Refused,
    Unsupported,
    /// A rehearsal has no recorded outcome for the step.
    NoFixture,
}

impl StepError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        StepError { kind, message: message.into(), position: None, statement: None }
    }
}

impl std::fmt::Display for StepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// One evaluated check from `expect:`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub name: String,
    pub level: runbook_core::annotation::Level,
    /// The value the check looked at (the number for thresholds, the condition for `that`).
    pub actual: Value,
    pub expected: String,
}

/// Everything that happened when one step ran.
#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    pub step: String,
    pub outcome: Result<Outcome, StepError>,
    pub checks: Vec<CheckResult>,
    pub captures: Vec<(String, Value)>,
    pub elapsed_ms: u64,
}

impl Outcome {
    /// The values expressions see: `rows`, `status`, `json`, `exit_code`…
    pub fn context(&self) -> Map<String, Value> {
        let mut m = Map::new();
        match self {
            Outcome::Sql(r) => {
                m.insert("rows".into(), Value::Array(r.rows.iter().cloned().map(Value::Object).collect()));
                m.insert("row_count".into(), r.row_count.into());
                m.insert("columns".into(), r.columns.clone().into());
            }
            Outcome::Http(r) => {
                m.insert("status".into(), r.status.into());
                let headers: Map<String, Value> =
                    r.headers.iter().map(|(k, v)| (k.to_ascii_lowercase(), Value::String(v.clone()))).collect();
                m.insert("headers".into(), Value::Object(headers));
                m.insert("body".into(), r.body.clone().into());
                m.insert("json".into(), r.filtered.clone().or_else(|| r.json.clone()).unwrap_or(Value::Null));
                m.insert("elapsed_ms".into(), r.elapsed_ms.into());
            }
            Outcome::Shell(r) => {
                m.insert("exit_code".into(), r.exit_code.into());
                m.insert("stdout".into(), r.stdout.clone().into());
                m.insert("stderr".into(), r.stderr.clone().into());
                m.insert("vars".into(), Value::Object(r.vars.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect()));
            }
            Outcome::Manual(r) => {
                m.insert("done".into(), r.done.into());
                m.insert("note".into(), r.note.clone().into());
            }
            Outcome::Decision => {}
        }
        m
    }
}

/// What a secret value is shown as, wherever it would have been.
pub const SECRET_MASK: &str = "••••••";

/// Replaces every secret value inside a string with the mask, in every form it can take on
/// its way out: raw, percent-encoded (`%20` and `+` for spaces, either hex case), JSON-escaped,
/// and base64 (inside `Authorization: Basic`).
pub fn redact_text(text: &str, secrets: &[String]) -> String {
    let mut forms: Vec<String> = secrets.iter().filter(|s| s.len() >= 3).flat_map(|s| secret_forms(s)).collect();
    // Longest first: the raw secret may sit inside one of its encodings.
    forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    forms.dedup();
    let mut out = text.to_owned();
    for f in &forms {
        if out.contains(f.as_str()) {
            out = out.replace(f.as_str(), SECRET_MASK);
        }
    }
    out
}

/// The texts a secret can turn into in a URL, a form or JSON body, a header or a JSON log.
pub fn secret_forms(secret: &str) -> Vec<String> {
    use percent_encoding::{AsciiSet, CONTROLS, NON_ALPHANUMERIC, utf8_percent_encode};
    /// Everything but RFC 3986 unreserved characters: how values are bound into URLs.
    const STRICT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
    /// Only what a URL cannot hold raw: how browsers and URL libraries encode paths.
    const LOOSE: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'#').add(b'<').add(b'>').add(b'?').add(b'`').add(b'{').add(b'}').add(b'%');
    let mut forms = vec![secret.to_owned()];
    for set in [STRICT, LOOSE] {
        let encoded = utf8_percent_encode(secret, set).to_string();
        forms.push(encoded.replace("%20", "+"));
        forms.push(lower_hex(&encoded));
        forms.push(encoded);
    }
    if let Ok(json) = serde_json::to_string(secret) {
        let inner = json.get(1..json.len().saturating_sub(1)).unwrap_or_default().to_owned();
        forms.push(inner.replace('/', "\\/"));
        // Python's json.dumps and others write non-ASCII as \uXXXX.
        let ascii: String = inner
            .chars()
            .map(|c| if c.is_ascii() { c.to_string() } else { c.encode_utf16(&mut [0; 2]).iter().map(|u| format!("\\u{u:04x}")).collect() })
            .collect();
        forms.push(ascii);
        forms.push(inner);
    }
    forms.extend(base64_forms(secret.as_bytes()));
    forms.retain(|f| f.len() >= 3);
    forms
}

fn lower_hex(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut rest = encoded;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let hex = rest.get(i + 1..i + 3).unwrap_or_default();
        out.push('%');
        out.push_str(&hex.to_ascii_lowercase());
        rest = &rest[(i + 1 + hex.len()).min(rest.len())..];
    }
    out.push_str(rest);
    out
}

/// A secret inside a longer base64 text (`user:password` in `Authorization: Basic`) is encoded
/// differently depending on where it starts modulo 3. For each start, the characters that depend
/// only on the secret's bytes are a fixed run: masking it hides the secret, whatever surrounds
/// it. Standard and URL-safe alphabets; the whole padded encoding too.
fn base64_forms(secret: &[u8]) -> Vec<String> {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let mut out = vec![STANDARD.encode(secret)];
    for offset in 0..3usize {
        let mut bytes = vec![0u8; offset];
        bytes.extend_from_slice(secret);
        // Only whole 3-byte groups: the last partial group depends on what follows.
        let whole = bytes.len() / 3 * 3;
        // The first `offset` bytes are not the secret's: skip the characters they reach.
        let skip = (offset * 8).div_ceil(6);
        for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
            let encoded = engine.encode(&bytes[..whole]);
            if let Some(core) = encoded.get(skip..).filter(|c| c.len() >= 4) {
                out.push(core.to_owned());
            }
        }
    }
    out
}

fn redact_value(v: &Value, secrets: &[String]) -> Value {
    match v {
        Value::String(s) => Value::String(redact_text(s, secrets)),
        Value::Array(a) => Value::Array(a.iter().map(|x| redact_value(x, secrets)).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, x)| (k.clone(), redact_value(x, secrets))).collect()),
        other => other.clone(),
    }
}

impl StepRecord {
    /// A copy safe to show or store: secret values masked wherever they appear.
    pub fn redacted(&self, secrets: &[String]) -> StepRecord {
        if secrets.is_empty() {
            return self.clone();
        }
        let r = |s: &str| redact_text(s, secrets);
        let v = |x: &Value| redact_value(x, secrets);
        let outcome = match &self.outcome {
            Ok(Outcome::Sql(s)) => Ok(Outcome::Sql(SqlResult {
                rows: s.rows.iter().map(|row| row.iter().map(|(k, x)| (k.clone(), v(x))).collect()).collect(),
                ..s.clone()
            })),
            Ok(Outcome::Http(h)) => Ok(Outcome::Http(HttpResult {
                url: r(&h.url),
                headers: h.headers.iter().map(|(k, x)| (k.clone(), r(x))).collect(),
                body: r(&h.body),
                json: h.json.as_ref().map(v),
                filtered: h.filtered.as_ref().map(v),
                ..h.clone()
            })),
            Ok(Outcome::Shell(s)) => Ok(Outcome::Shell(ShellResult {
                exit_code: s.exit_code,
                stdout: r(&s.stdout),
                stderr: r(&s.stderr),
                vars: s.vars.iter().map(|(k, x)| (k.clone(), r(x))).collect(),
            })),
            Ok(Outcome::Manual(m)) => Ok(Outcome::Manual(ManualResult { note: m.note.as_deref().map(r), ..m.clone() })),
            Ok(Outcome::Decision) => Ok(Outcome::Decision),
            Err(e) => Err(StepError { message: r(&e.message), statement: e.statement.as_deref().map(r), ..e.clone() }),
        };
        StepRecord {
            step: self.step.clone(),
            outcome,
            checks: self.checks.iter().map(|c| CheckResult { actual: v(&c.actual), ..c.clone() }).collect(),
            captures: self.captures.iter().map(|(k, x)| (k.clone(), v(x))).collect(),
            elapsed_ms: self.elapsed_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

    const MASK: &str = SECRET_MASK;

    #[test]
    fn secrets_are_masked_in_every_encoding() {
        let secrets = vec!["p@ss w0rd/+x".to_owned(), "cap/QWE+4321".to_owned(), "é\"lan".to_owned()];
        let cases = [
            "https://h/api?p=p%40ss%20w0rd%2F%2Bx&t=cap%2FQWE%2B4321",
            "form: password=p%40ss+w0rd%2F%2Bx",
            "lower: p%40ss%20w0rd%2f%2bx",
            "loose: /login/p@ss%20w0rd/+x",
            r#"{"password": "p@ss w0rd\/+x", "name": "\u00e9\"lan", "raw": "é\"lan"}"#,
        ];
        for text in cases {
            let out = redact_text(text, &secrets);
            for leak in ["p@ss", "w0rd", "%40ss", "QWE", "lan"] {
                assert!(!out.contains(leak), "{leak} left in {out}");
            }
            assert!(out.contains(MASK), "{out}");
        }
    }

    #[test]
    fn base64_is_masked_wherever_the_secret_starts() {
        let secret = "p@ss w0rd/+x".to_owned();
        for user in ["", "a", "ab", "abc", "admin"] {
            let header = format!("Authorization: Basic {}", STANDARD.encode(format!("{user}:{secret}")));
            let out = redact_text(&header, std::slice::from_ref(&secret));
            assert!(out.contains(MASK), "{user}: {out}");
            assert!(!out.contains(&STANDARD.encode(format!("{user}:{secret}"))), "{out}");
        }
        let alone = STANDARD.encode(&secret);
        assert_eq!(redact_text(&alone, std::slice::from_ref(&secret)), MASK);
    }

    #[test]
    fn short_or_no_secrets_leave_text_alone() {
        assert_eq!(redact_text("a=ab", &["ab".to_owned()]), "a=ab");
        assert_eq!(redact_text("nothing here", &["s3cret".to_owned()]), "nothing here");
    }
}
