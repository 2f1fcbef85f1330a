//! Placeholders authors leave for the operator: `'USER_ID'`, `YOUR_TOKEN`, `<namespace>`,
//! `[host]`, `$VAR`, psql `:var`, `{{ name }}`. Each becomes a parameter; when the step runs the
//! value is bound (SQL), quoted (shell) or encoded (URL), never spliced.

use crate::model::{Placeholder, PlaceholderStyle};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CodeKind {
    Sql,
    Shell,
}

crate::word_set!(
    /// Quoted names that are placeholders even without an underscore.
    QUOTED_WORDS = [
    "EMAIL",
    "USERNAME",
    "USER",
    "HOSTNAME",
    "HOST",
    "TOKEN",
    "UUID",
    "ID",
    "DOMAIN",
    "PASSWORD",
    "NAMESPACE",
    "ORG",
    "ORGANIZATION",
    "TENANT",
    "PROJECT",
    "DATABASE",
    "SCHEMA",
    "TABLE",
    "TIMESTAMP",
    "DATE",
    "VALUE",
    "NAME",
    "PID",
    "CHANGEME",
]);

crate::word_set!(
    /// Environment variables that are always set; `$HOME` is not a placeholder.
    AMBIENT_VARS = [
    "HOME",
    "PATH",
    "USER",
    "PWD",
    "OLDPWD",
    "SHELL",
    "HOSTNAME",
    "RANDOM",
    "TMPDIR",
    "LANG",
    "TERM",
    "EDITOR",
    "PAGER",
    "UID",
    "EUID",
    "PPID",
    "SECONDS",
    "LINENO",
    "IFS",
    "PS1",
    "LOGNAME",
    "BASH_SOURCE",
    "FUNCNAME",
    "OSTYPE",
    "HOSTTYPE",
]);

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn ident_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && is_ident(b[i]) {
        i += 1;
    }
    i
}

fn is_upper_name(s: &str) -> bool {
    s.len() >= 2
        && s.as_bytes()[0].is_ascii_uppercase()
        && s.bytes().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
        && (s.contains('_') || QUOTED_WORDS.contains(s))
        && names_a_value(s)
}

crate::word_set!(
    /// Words that name what an operator supplies: `USER_ID`, `TABLE_NAME`, `MASTER_IP`.
    SUPPLIED = [
    "ID", "IDS", "UUID", "GUID", "NAME", "NAMES", "EMAIL", "MAIL", "HOST", "HOSTNAME", "FQDN", "TOKEN", "KEY", "USER",
    "USERNAME", "LOGIN", "PASSWORD", "PASS", "PASSWD", "SECRET", "DATE", "TIME", "TIMESTAMP", "TS", "VALUE", "NUMBER",
    "NUM", "NO", "SLUG", "URL", "URI", "IP", "ADDR", "ADDRESS", "PORT", "PATH", "DIR", "FILE", "FILENAME", "DB",
    "DATABASE", "TABLE", "SCHEMA", "NAMESPACE", "NS", "POD", "NODE", "CLUSTER", "PROJECT", "ORG", "ORGANIZATION",
    "TENANT", "ACCOUNT", "REGION", "ZONE", "BUCKET", "QUEUE", "TOPIC", "ROLE", "GROUP", "SERVICE", "INSTANCE",
    "VERSION", "PID", "REF", "SHA", "HASH", "COMMIT", "BRANCH", "TAG", "ENV", "ENVIRONMENT", "DOMAIN", "CHANNEL",
    "SERVER", "REPLICA", "PRIMARY", "MEMBER", "SLOT", "INDEX", "COLUMN", "RELATION", "JOB", "TASK", "DEPLOYMENT",
    "CONTAINER", "VOLUME", "DISK", "DEVICE", "ISSUE", "TICKET", "INCIDENT", "CUSTOMER", "CLIENT", "PATIENT",
    "SESSION", "ORDER", "INVOICE", "PHONE", "WORKSPACE", "TEAM", "REPO", "REPOSITORY", "PIPELINE", "RUNNER",
    "AMOUNT", "COUNT", "LIMIT", "SIZE", "THRESHOLD", "DURATION", "INTERVAL", "CODE", "PREFIX", "SUFFIX", "LABEL",
    "SELECTOR", "CONTEXT", "SUBSCRIPTION", "STACK", "APP", "APPLICATION", "CHANGEME", "PLACEHOLDER", "HERE",
]);

/// An upper-case name that names what the operator supplies (`USER_ID`, `YOUR_TOKEN`,
/// `NEW_HOST`), not a value of the data (`'PHI_ACCESS'` compared with an `action_type`
/// column, `'PAST_DUE'` as a status).
fn names_a_value(s: &str) -> bool {
    let mut parts = s.split('_').filter(|p| !p.is_empty());
    let first = parts.clone().next().unwrap_or("");
    QUOTED_WORDS.contains(s)
        || matches!(first, "YOUR" | "MY" | "NEW" | "OLD" | "TARGET" | "SOME" | "OTHER" | "THE" | "A" | "AN")
        || parts.any(|p| SUPPLIED.contains(p.trim_end_matches(|c: char| c.is_ascii_digit())))
}

/// Finds placeholders in `code`. `assigned` names variables set earlier (not placeholders).
pub fn find(code: &str, kind: CodeKind, assigned: &[String]) -> Vec<Placeholder> {
    let mut local_assigned: Vec<String> = Vec::new();
    if kind == CodeKind::Shell {
        collect_assignments(code, &mut local_assigned);
    }
    let is_assigned = |name: &str| assigned.iter().chain(local_assigned.iter()).any(|a| a == name);
    // Go templates (`{{ $labels.x }}`, `{{.metadata.name}}…{{end}}`) are not ours: when the
    // code uses them, no `{{ … }}` is a placeholder.
    let go_template =
        code.contains("{{.") || code.contains("{{ .") || code.contains("{{$") || code.contains("{{ $") || code.contains("{{-");
    let mut scan = Scan { code, kind, out: Vec::new(), i: 0, quote: None, x_count: 0 };
    while scan.i < code.len() {
        if scan.template(go_template) {
            continue;
        }
        let c = code.as_bytes()[scan.i];
        match scan.quote {
            Some(q) => {
                if !scan.in_quotes(q, c, &is_assigned) {
                    break;
                }
            }
            None => scan.outside_quotes(c, &is_assigned),
        }
    }
    let mut out = scan.out;
    url_passwords(code, &mut out);
    out.sort_by_key(|p| p.start);
    out
}

/// The scan of one piece of code: where it is, in which quotes, and what it found.
struct Scan<'a> {
    code: &'a str,
    kind: CodeKind,
    out: Vec<Placeholder>,
    i: usize,
    quote: Option<u8>,
    /// How many `xxx` were seen (see `bare_at`).
    x_count: usize,
}

impl Scan<'_> {
    fn push(&mut self, name: String, start: usize, end: usize, style: PlaceholderStyle) {
        self.out.push(Placeholder { name, start, end, style });
    }

    /// `{{ name }}`: our own template syntax, recognised everywhere, even in strings. True
    /// when the scan moved past one.
    fn template(&mut self, go_template: bool) -> bool {
        let (code, b) = (self.code, self.code.as_bytes());
        let c = b[self.i];
        if c == b'{'
            && b.get(self.i + 1) == Some(&b'{')
            && let Some(close) = code[self.i + 2..].find("}}")
        {
            let inner = code[self.i + 2..self.i + 2 + close].trim();
            if !inner.is_empty()
                && !go_template
                && inner.bytes().all(is_ident)
                && is_ident_start(inner.as_bytes()[0])
                && !matches!(inner, "end" | "else" | "if" | "range" | "with" | "define" | "template" | "block")
            {
                self.push(inner.to_owned(), self.i, self.i + 2 + close + 2, PlaceholderStyle::Template);
            }
            self.i += 2 + close + 2;
            return true;
        }
        false
    }

    /// One byte inside quotes `q`; false when the code ends in the middle of an escape.
    fn in_quotes(&mut self, q: u8, c: u8, is_assigned: &dyn Fn(&str) -> bool) -> bool {
        let (code, b, kind) = (self.code, self.code.as_bytes(), self.kind);
        if c == q {
            self.quote = None;
        } else if c == b'\\' && q == b'"' {
            self.i += 1;
            // A `\` ending the code escapes nothing (`echo "\` as the block's last line).
            if self.i >= b.len() {
                return false;
            }
        } else if q == b'"' && kind == CodeKind::Shell && c == b'$' {
            self.i = shell_var(code, self.i, is_assigned, &mut self.out);
            return true;
        }
        // A quoted upper-case name inside the other kind of quotes: `'{"id": "DELIVERY_ID"}'`
        // (a JSON body), `psql -c "DELETE … WHERE id = 'ENDPOINT_ID'"` (SQL in a shell
        // string). The inner quotes stay: only the name is replaced.
        let inner_quote = match q {
            b'\'' => Some(b'"'),
            b'"' if kind == CodeKind::Shell => Some(b'\''),
            _ => None,
        };
        if inner_quote == Some(c)
            && let Some(close) = code[self.i + 1..].find(['"', '\'']).map(|e| self.i + 1 + e).filter(|&e| b[e] == c)
        {
            let inner = &code[self.i + 1..close];
            if is_upper_name(inner) {
                self.push(inner.to_owned(), self.i + 1, close, PlaceholderStyle::Bare);
                self.i = close + 1;
                return true;
            }
        }
        // `'<pattern>'`: the author still means a placeholder inside quotes.
        if self.quote.is_some()
            && c == b'<'
            && let Some((name, end)) = angle(code, self.i)
        {
            self.push(name, self.i, end, PlaceholderStyle::Angle);
            self.i = end;
            return true;
        }
        if self.quote.is_some()
            && c != q
            && let Some(n) = bare_at(code, self.i, &mut self.x_count, &mut self.out)
        {
            self.i = n;
            return true;
        }
        self.i += 1;
        true
    }

    /// One byte outside quotes: a quote opening (or a quoted name), a comment, a variable, a
    /// `:name`, an `<angle>` or `[bracket]` placeholder, or a bare name.
    fn outside_quotes(&mut self, c: u8, is_assigned: &dyn Fn(&str) -> bool) {
        let (code, b, kind) = (self.code, self.code.as_bytes(), self.kind);
        match c {
            b'\'' | b'"' => {
                // A whole quoted literal that is an upper-case name is a placeholder.
                let end = code[self.i + 1..].find(c as char).map(|e| self.i + 1 + e);
                if let Some(end) = end {
                    let inner = &code[self.i + 1..end];
                    let double_ok = c == b'\'' || kind == CodeKind::Shell;
                    if double_ok && is_upper_name(inner) {
                        let preceded_by_colon = self.i > 0 && b[self.i - 1] == b':' && kind == CodeKind::Sql;
                        let start = if preceded_by_colon { self.i - 1 } else { self.i };
                        let style = if preceded_by_colon { PlaceholderStyle::Psql } else { PlaceholderStyle::Quoted };
                        self.push(inner.to_owned(), start, end + 1, style);
                        self.i = end + 1;
                        return;
                    }
                    if kind == CodeKind::Sql && self.i > 0 && b[self.i - 1] == b':' && !inner.is_empty() && inner.bytes().all(is_ident) {
                        self.push(inner.to_owned(), self.i - 1, end + 1, PlaceholderStyle::Psql);
                        self.i = end + 1;
                        return;
                    }
                }
                // Single quotes in shell are literal: no `$VAR` inside.
                self.quote = Some(c);
                self.i += 1;
            }
            b'-' if kind == CodeKind::Sql && b.get(self.i + 1) == Some(&b'-') => {
                // SQL comment to end of line.
                self.i = code[self.i..].find('\n').map_or(b.len(), |e| self.i + e);
            }
            b'#' if kind == CodeKind::Shell && (self.i == 0 || b[self.i - 1].is_ascii_whitespace()) => {
                self.i = code[self.i..].find('\n').map_or(b.len(), |e| self.i + e);
            }
            b'$' if kind == CodeKind::Shell => self.i = shell_var(code, self.i, is_assigned, &mut self.out),
            b':' if kind == CodeKind::Sql => {
                let prev_colon = self.i > 0 && b[self.i - 1] == b':';
                let next = b.get(self.i + 1).copied();
                if !prev_colon
                    && next.is_some_and(is_ident_start)
                    && !(self.i > 0 && is_ident(b[self.i - 1]) && b[self.i - 1].is_ascii_digit())
                {
                    let end = ident_end(b, self.i + 1);
                    self.push(code[self.i + 1..end].to_owned(), self.i, end, PlaceholderStyle::Psql);
                    self.i = end;
                } else {
                    self.i += if next == Some(b':') { 2 } else { 1 };
                }
            }
            b'<' => {
                if let Some((name, end)) = angle(code, self.i) {
                    self.push(name, self.i, end, PlaceholderStyle::Angle);
                    self.i = end;
                } else {
                    self.i += 1;
                }
            }
            b'[' if kind == CodeKind::Shell => {
                if let Some((name, end)) = bracket(code, self.i) {
                    self.push(name, self.i, end, PlaceholderStyle::Bracket);
                    self.i = end;
                } else {
                    self.i += 1;
                }
            }
            _ => {
                if let Some(n) = bare_at(code, self.i, &mut self.x_count, &mut self.out) {
                    self.i = n;
                } else {
                    self.i += 1;
                }
            }
        }
    }
}

/// `postgresql://synapse:PASSWORD@db/synapse`: an upper-case password in a URL.
fn url_passwords(code: &str, out: &mut Vec<Placeholder>) {
    let mut from = 0;
    while let Some(at) = code[from..].find("://").map(|i| from + i + 3) {
        from = at;
        let authority = &code[at..code[at..].find(['/', ' ', '\n', '"', '\'']).map_or(code.len(), |e| at + e)];
        if let Some((user, _)) = authority.split_once('@')
            && let Some((_, pass)) = user.split_once(':')
            && is_upper_name(pass)
        {
            let start = at + user.len() - pass.len();
            if !out.iter().any(|p| p.start < start + pass.len() && start < p.end) {
                out.push(Placeholder { name: pass.to_owned(), start, end: start + pass.len(), style: PlaceholderStyle::Bare });
            }
        }
    }
}

/// `YOUR_*`, `CHANGEME`, `xxx` at a word boundary starting at `i`.
fn bare_at(code: &str, i: usize, x_count: &mut usize, out: &mut Vec<Placeholder>) -> Option<usize> {
    let b = code.as_bytes();
    if i > 0 && (is_ident(b[i - 1]) || b[i - 1] == b'-' || b[i - 1] == b'.') {
        return None;
    }
    if !is_ident_start(b[i]) {
        return None;
    }
    let mut end = ident_end(b, i);
    // `your-project-id` style, lower case with dashes.
    while end < b.len() && b[end] == b'-' && b.get(end + 1).is_some_and(|c| c.is_ascii_alphanumeric()) {
        end = ident_end(b, end + 1);
        while end < b.len() && b[end].is_ascii_alphanumeric() {
            end += 1;
        }
    }
    let word = &code[i..end];
    let upper = word.to_ascii_uppercase();
    if (upper.starts_with("YOUR_") || upper.starts_with("YOUR-")) && word.len() > 5 {
        out.push(Placeholder { name: upper.replace('-', "_"), start: i, end, style: PlaceholderStyle::Bare });
        return Some(end);
    }
    // `backup-YYYY-MM-DD-HH-mm-ss`: a name with a date to fill in.
    if upper.contains("YYYY") && word.len() > 4 {
        out.push(Placeholder { name: normalize(word), start: i, end, style: PlaceholderStyle::Bare });
        return Some(end);
    }
    // `slaveof MASTER_IP 6379`, `failover CLUSTER_NAME`: a whole word of a command in upper
    // case that names what the operator supplies. (Not `$VAR`, an assignment, or a flag.)
    if word.contains('_')
        && is_upper_name(word)
        && b.get(end).is_none_or(|c| matches!(c, b' ' | b'\n' | b'\t' | b';' | b')' | b'/' | b':' | b','))
        && !(i > 0 && b[i - 1] == b'$')
        // `for MASTER_POD in …`, `read TOKEN_NAME`: a variable the command sets.
        && !code[..i].trim_end().rsplit([' ', ';', '\n', '(']).next().is_some_and(|w| matches!(w, "for" | "read" | "export" | "local" | "declare" | "unset"))
        && !(i >= 2 && b[i - 1] == b'=' )
    {
        out.push(Placeholder { name: word.to_owned(), start: i, end, style: PlaceholderStyle::Bare });
        return Some(end);
    }
    if upper == "CHANGEME" || upper == "CHANGE_ME" {
        out.push(Placeholder { name: "CHANGEME".into(), start: i, end, style: PlaceholderStyle::Bare });
        return Some(end);
    }
    if word.len() >= 3 && word.bytes().all(|c| c == b'x' || c == b'X') {
        *x_count += 1;
        let name = if *x_count == 1 { "XXX".to_owned() } else { format!("XXX_{x_count}") };
        out.push(Placeholder { name, start: i, end, style: PlaceholderStyle::Bare });
        return Some(end);
    }
    Some(end)
}

fn shell_var(code: &str, i: usize, is_assigned: &dyn Fn(&str) -> bool, out: &mut Vec<Placeholder>) -> usize {
    let b = code.as_bytes();
    let (name_start, name_end, end) = if b.get(i + 1) == Some(&b'{') {
        let start = i + 2;
        let name_end = ident_end(b, start);
        // `${VAR}` only; `${VAR:-default}` and `${#arr}` have a value or are not ours.
        if name_end == start || b.get(name_end) != Some(&b'}') {
            return i + 1;
        }
        (start, name_end, name_end + 1)
    } else {
        let start = i + 1;
        if !b.get(start).copied().is_some_and(is_ident_start) {
            return i + 1;
        }
        let name_end = ident_end(b, start);
        (start, name_end, name_end)
    };
    let name = &code[name_start..name_end];
    if !AMBIENT_VARS.contains(name) && !is_assigned(name) {
        out.push(Placeholder { name: name.to_owned(), start: i, end, style: PlaceholderStyle::ShellVar });
    }
    end
}

fn angle(code: &str, i: usize) -> Option<(String, usize)> {
    let b = code.as_bytes();
    // (`ingester-<n>`: glued to a name is still a placeholder.)
    if b.get(i + 1) == Some(&b'<') || (i > 0 && b[i - 1] == b'<') {
        return None;
    }
    let start = i + 1;
    let first = *b.get(start)?;
    if !first.is_ascii_alphabetic() {
        return None;
    }
    let mut end = start;
    while end < b.len() && (is_ident(b[end]) || matches!(b[end], b'-' | b'.' | b' ')) {
        end += 1;
    }
    if b.get(end) != Some(&b'>') || end - start > 60 {
        return None;
    }
    let inner = code[start..end].trim();
    if inner.is_empty() || inner.ends_with('-') || inner.contains("  ") {
        return None;
    }
    // `<br>`-like HTML and `a < b > c` comparisons are not placeholders.
    if matches!(inner, "br" | "p" | "b" | "i" | "pre" | "code" | "div" | "span") || code[start..end].starts_with(' ') {
        return None;
    }
    Some((normalize(inner), end + 1))
}

fn bracket(code: &str, i: usize) -> Option<(String, usize)> {
    let b = code.as_bytes();
    if i > 0 && (is_ident(b[i - 1]) || matches!(b[i - 1], b'.' | b'[' | b']' | b'$' | b'}' | b')')) {
        return None;
    }
    let start = i + 1;
    if !b.get(start)?.is_ascii_lowercase() {
        return None;
    }
    let mut end = start;
    while end < b.len() && (b[end].is_ascii_lowercase() || b[end].is_ascii_digit() || matches!(b[end], b'-' | b'_')) {
        end += 1;
    }
    if b.get(end) != Some(&b']') || b.get(end + 1) == Some(&b']') || end - start < 2 {
        return None;
    }
    Some((normalize(&code[start..end]), end + 1))
}

/// `pod-name` → `POD_NAME`, so the same placeholder written two ways is one parameter.
pub fn normalize(name: &str) -> String {
    name.trim().chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect()
}

/// Names a shell block assigns before use: `X=1`, `export X=…`, `read X`, `for X in`.
pub fn collect_assignments(code: &str, out: &mut Vec<String>) {
    for line in code.lines() {
        let mut words = line.split_whitespace().peekable();
        while let Some(w) = words.next() {
            let w = w.trim_start_matches(['(', '{']);
            if let Some((k, _)) = w.split_once('=') {
                if !k.is_empty() && k.bytes().all(is_ident) && is_ident_start(k.as_bytes()[0]) {
                    out.push(k.to_owned());
                }
            } else if matches!(w, "read" | "for" | "local" | "declare") {
                for n in words.by_ref() {
                    if n.starts_with('-') {
                        continue;
                    }
                    let n = n.split('=').next().unwrap_or(n);
                    if !n.is_empty() && n.bytes().all(is_ident) {
                        out.push(n.to_owned());
                    }
                    if w == "for" || w != "read" {
                        break;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backslash_at_the_end_of_a_string_is_no_panic() {
        for code in ["\"\\", "echo \"\\", "echo \"a\\"] {
            let _ = find(code, CodeKind::Shell, &[]);
            let _ = find(code, CodeKind::Sql, &[]);
        }
    }

    fn names(code: &str, kind: CodeKind) -> Vec<String> {
        find(code, kind, &[]).into_iter().map(|p| p.name).collect()
    }

    #[test]
    fn password_in_a_url() {
        assert_eq!(names("psql postgresql://synapse:DB_PASSWORD@db.example.com/synapse", CodeKind::Shell), ["DB_PASSWORD"]);
        assert_eq!(names("curl https://admin:hunter2@api.example.com/", CodeKind::Shell), Vec::<String>::new());
    }

    #[test]
    fn sql_quoted_names_inside_a_shell_string() {
        assert_eq!(names("psql -c \"DELETE FROM endpoints WHERE id = 'ENDPOINT_ID';\"", CodeKind::Shell), ["ENDPOINT_ID"]);
        assert_eq!(names("psql -c \"SELECT 'ACTIVE'\"", CodeKind::Shell), Vec::<String>::new());
    }

    #[test]
    fn sql_placeholders() {
        assert_eq!(names("DELETE FROM login_attempts WHERE user_id = 'USER_ID';", CodeKind::Sql), ["USER_ID"]);
        assert_eq!(names("SELECT * FROM t WHERE status = 'ACTIVE'", CodeKind::Sql), Vec::<String>::new());
        assert_eq!(names("SELECT * FROM t WHERE id = :id AND x::text = :'name'", CodeKind::Sql), ["id", "name"]);
        assert_eq!(names("SELECT '12:30', now()::date", CodeKind::Sql), Vec::<String>::new());
        assert_eq!(names("SELECT * FROM <table_name> WHERE org = {{ org_id }}", CodeKind::Sql), ["TABLE_NAME", "org_id"]);
        assert_eq!(names("-- use 'USER_ID' here\nSELECT 1", CodeKind::Sql), Vec::<String>::new());
        // A value of the data, compared with a column, is a literal; what the operator
        // supplies is a placeholder.
        assert_eq!(names("SELECT * FROM audit_logs WHERE action_type = 'PHI_ACCESS'", CodeKind::Sql), Vec::<String>::new());
        assert_eq!(names("UPDATE s SET status = 'PAST_DUE' WHERE id = 'SESSION_ID'", CodeKind::Sql), ["SESSION_ID"]);
    }

    #[test]
    fn bare_names_and_dates() {
        assert_eq!(names("node rollback.js rollback backup-YYYY-MM-DD-HH-mm-ss", CodeKind::Shell), ["BACKUP_YYYY_MM_DD_HH_MM_SS"]);
        assert_eq!(names("redis-cli slaveof MASTER_IP 6379", CodeKind::Shell), ["MASTER_IP"]);
        assert_eq!(names("FOO_NAME=x cmd $HOME", CodeKind::Shell), Vec::<String>::new());
        assert_eq!(names("echo HELLO_WORLD", CodeKind::Shell), Vec::<String>::new());
    }

    #[test]
    fn shell_placeholders() {
        assert_eq!(names("kubectl -n <namespace> logs <pod-name>", CodeKind::Shell), ["NAMESPACE", "POD_NAME"]);
        assert_eq!(names("curl -H \"Authorization: Bearer $TOKEN\" https://[host]/x", CodeKind::Shell), ["TOKEN", "HOST"]);
        assert_eq!(names("X=1\necho $X $HOME '$LITERAL' ${Y}", CodeKind::Shell), ["Y"]);
        assert_eq!(names("echo {{ $labels.instance }} {{.metadata.name}}", CodeKind::Shell), Vec::<String>::new());
        assert_eq!(
            names("kubectl get pods -o go-template='{{range .items}}{{.metadata.name}}{{end}}'", CodeKind::Shell),
            Vec::<String>::new()
        );
        assert_eq!(names("curl -d '{\"delivery_id\": \"DELIVERY_ID\", \"force\": true}' x", CodeKind::Shell), ["DELIVERY_ID"]);
        assert_eq!(names("gcloud config set project YOUR_PROJECT_ID --token=xxx", CodeKind::Shell), ["YOUR_PROJECT_ID", "XXX"]);
        assert_eq!(names("jq '.items[] | .name' | awk '{print $1}'", CodeKind::Shell), Vec::<String>::new());
        assert_eq!(names("cat <<EOF\nx\nEOF", CodeKind::Shell), Vec::<String>::new());
        assert_eq!(names("for f in a b; do echo $f; done", CodeKind::Shell), Vec::<String>::new());
    }
}
