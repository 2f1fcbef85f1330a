//! Where a value lands in a shell step, and who parses it there.
//!
//! bash itself never parses a value: the engine passes it in the environment and writes a quoted
//! reference. But a reference inside `bash -c "…"`, `psql -c "…"`, `ssh host '…'`, an awk
//! program or a here-document is expanded by bash and then read as *code* by another program.
//! This module finds those places, and the quoting around each position, so the engine can quote
//! each reference correctly and refuse values that would become code (see `docs/format.md`,
//! "Values are data").

/// How bash sees a position of the code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quoting {
    /// Outside quotes: an expansion here is split into words and globbed unless quoted.
    None,
    Single,
    Double,
    /// The body of a here-document; `expands` is false for a quoted delimiter (`<<'EOF'`).
    HereDoc {
        expands: bool,
    },
}

/// What happens to a value written at one position of a shell step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueSite {
    pub quoting: Quoting,
    /// The program that reads the text around the position as code after bash expanded it
    /// (`psql -c`, `bash -c`, `ssh` …), when there is one.
    pub code_for: Option<String>,
    /// The position is inside a URL (a word holding `scheme://` before it).
    pub url: Option<UrlPart>,
}

/// Which part of a URL a position is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UrlPart {
    /// Between `://` and the first `/`: user, host and port.
    Authority,
    Path,
    /// After `?` or `#`.
    Query,
}

/// The site of each position (byte offsets into `code`).
pub fn value_sites(code: &str, positions: &[usize]) -> Vec<ValueSite> {
    let found = analysed(code);
    positions
        .iter()
        .map(|&pos| {
            // How bash reads the text *before* the character at `pos`: a quote starting at
            // `pos` (a `'USER_ID'` placeholder with its quotes) is not yet open. Regions nest,
            // so the innermost is the one that starts last.
            let quoting = found
                .regions
                .iter()
                .filter(|(s, e, _)| *s < pos && pos < *e)
                .max_by_key(|(s, _, _)| *s)
                .map_or(Quoting::None, |(_, _, q)| *q);
            let code_for =
                found.code.iter().filter(|(s, e, _)| *s <= pos && pos < *e).max_by_key(|(s, _, _)| *s).map(|(_, _, l)| l.clone());
            let url = found.urls.iter().find(|(s, e)| *s <= pos && pos < *e).and_then(|(s, _)| code.get(*s..pos)).and_then(url_part);
            ValueSite { quoting, code_for, url }
        })
        .collect()
}

/// Shell variables that some program reads as code (`X=<v>; bash -c "echo $X"` reads `X`),
/// with that program's name: a value the step hands over under its own name
/// (`${WAIT:-0}`) must be checked like a placeholder there.
pub fn variables_read_as_code(code: &str) -> Vec<(String, String)> {
    let found = analysed(code);
    let mut out: Vec<(String, String)> = Vec::new();
    for (s, e, label) in &found.code {
        for var in variables_in(&code[*s..*e]) {
            if !out.iter().any(|(v, _)| *v == var) {
                out.push((var, label.clone()));
            }
        }
    }
    out
}

fn analysed(code: &str) -> Found {
    let mut found = Found::default();
    analyze(code, 0, code.len(), &mut found);
    // A variable assigned in the step and read inside nested code carries its value there: the
    // assignment's value is read as code too (`NAME=<name>` then `ssh host "grep $NAME …"`),
    // and so on along a chain of assignments.
    let mut i = 0;
    while i < found.code.len() {
        let (s, e, label) = found.code[i].clone();
        for var in variables_in(&code[s..e]) {
            for (name, as_, ae) in &found.assignments {
                if *name == var && !found.code.iter().any(|(cs, ce, _)| cs == as_ && ce == ae) {
                    found.code.push((*as_, *ae, label.clone()));
                }
            }
        }
        i += 1;
    }
    found
}

/// Names of the variables a text expands: `$NAME`, `${NAME}`, `${NAME:-…}`.
fn variables_in(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' {
            let start = if b.get(i + 1) == Some(&b'{') { i + 2 } else { i + 1 };
            let mut end = start;
            while end < b.len() && (b[end].is_ascii_alphanumeric() || b[end] == b'_') {
                end += 1;
            }
            if end > start && !b[start].is_ascii_digit() {
                out.push(text[start..end].to_owned());
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

#[derive(Default)]
struct Found {
    /// Variables the code assigns (`NAME=…`, `export NAME=…`): name and the word's range.
    assignments: Vec<(String, usize, usize)>,
    /// Quoted regions, here-document bodies, and `$(…)` bodies (unquoted again inside).
    regions: Vec<(usize, usize, Quoting)>,
    /// Byte ranges another program reads as code, with its name.
    code: Vec<(usize, usize, String)>,
    /// Words that hold a URL.
    urls: Vec<(usize, usize)>,
    psql: Vec<PsqlCommand>,
}

/// `psql … -c SQL` or `psql … <<EOF` run by this bash itself (not through `sudo`, `ssh` or
/// `kubectl exec`): its SQL can take values the bound way, as psql variables (`-v name=value`,
/// `:'name'`). psql interpolates variables in what it reads, not in `-c`, so `-c` SQL is read
/// from a file instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PsqlCommand {
    /// Right after the `psql` word: where options can be added.
    pub psql_end: usize,
    /// The `-c` (or `--command`) word; `None` for SQL in a here-document.
    pub flag: Option<(usize, usize)>,
    /// The SQL: the word after `-c` (quotes included), or the here-document's body.
    pub sql: (usize, usize),
}

/// The `psql` commands of a shell step whose SQL can take values bound.
pub fn psql_commands(code: &str) -> Vec<PsqlCommand> {
    analysed(code).psql
}

/// The part of a URL that `before` (the raw text of its word up to a position) ends in.
fn url_part(before: &str) -> Option<UrlPart> {
    let after_scheme = &before[before.find("://")? + 3..];
    match after_scheme.find('/') {
        None => Some(UrlPart::Authority),
        Some(slash) if after_scheme[slash..].contains(['?', '#']) => Some(UrlPart::Query),
        Some(_) => Some(UrlPart::Path),
    }
}

#[derive(Debug)]
struct Word {
    start: usize,
    end: usize,
    /// The word as the program receives it (quotes removed), for recognising commands.
    text: String,
}

#[derive(Debug)]
enum Piece {
    Word(Word),
    /// A command separator: `|`, `&&`, `;`, newline …
    Separator,
    /// A redirection: the next word is a file name.
    Redirect,
    /// `<<<`: the next word is the command's standard input.
    HereString,
}

/// Lexes `code[from..to]`, records quoting, and finds the code arguments of each command.
/// Command substitutions are analysed recursively: they are commands of their own.
fn analyze(code: &str, from: usize, to: usize, found: &mut Found) {
    let b = code.as_bytes();
    let mut pieces: Vec<Piece> = Vec::new();
    let mut word: Option<Word> = None;
    // Here-documents announced on the current line: (delimiter, strip tabs, quoted, the end of
    // the `psql` word when psql reads it).
    let mut pending: Vec<(String, bool, bool, Option<usize>)> = Vec::new();
    let mut i = from;
    fn push(word: &mut Option<Word>, at: usize, text: &str) {
        let w = word.get_or_insert(Word { start: at, end: at, text: String::new() });
        w.text.push_str(text);
    }
    fn flush(word: &mut Option<Word>, pieces: &mut Vec<Piece>, end: usize) {
        if let Some(mut w) = word.take() {
            w.end = end;
            pieces.push(Piece::Word(w));
        }
    }
    while i < to {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\r' => {
                flush(&mut word, &mut pieces, i);
                i += 1;
            }
            b'\n' => {
                flush(&mut word, &mut pieces, i);
                pieces.push(Piece::Separator);
                i += 1;
                i = here_doc_bodies(code, i, to, std::mem::take(&mut pending), found);
            }
            b'#' if word.is_none() => {
                i = code[i..to].find('\n').map_or(to, |n| i + n);
            }
            b'\'' => {
                let close = code[i + 1..to].find('\'').map_or(to, |n| i + 1 + n);
                push(&mut word, i, &code[i + 1..close]);
                found.regions.push((i, (close + 1).min(to), Quoting::Single));
                i = (close + 1).min(to);
            }
            b'"' => {
                let start = i;
                let text;
                (i, text) = double_quoted(code, start, to, found);
                push(&mut word, start, &text);
            }
            b'\\' => {
                let next = if i + 1 < to { char_at(code, i + 1) } else { "" };
                // `\`-newline joins lines and is removed.
                if next != "\n" {
                    push(&mut word, i, next);
                }
                i += 1 + next.len();
            }
            b'$' if b.get(i + 1) == Some(&b'(') => {
                let close = closing_paren(code, i + 1, to);
                analyze_substitution(code, i + 2, close, found);
                push(&mut word, i, &code[i..(close + 1).min(to)]);
                i = (close + 1).min(to);
            }
            b'`' => {
                let close = code[i + 1..to].find('`').map_or(to, |n| i + 1 + n);
                analyze_substitution(code, i + 1, close, found);
                push(&mut word, i, &code[i..(close + 1).min(to)]);
                i = (close + 1).min(to);
            }
            b'{' if b.get(i + 1) == Some(&b'{') && code[i..to].contains("}}") => {
                // `{{ name }}` is one word even with spaces inside.
                let close = code[i..to].find("}}").map_or(to, |n| i + n + 2);
                push(&mut word, i, &code[i..close]);
                i = close;
            }
            b'<' if angle_placeholder(&code[i..to]).is_some() => {
                let len = angle_placeholder(&code[i..to]).unwrap_or(1);
                push(&mut word, i, &code[i..i + len]);
                i += len;
            }
            b'<' if code[i..to].starts_with("<<<") => {
                flush(&mut word, &mut pieces, i);
                pieces.push(Piece::HereString);
                i += 3;
            }
            b'<' if code[i..to].starts_with("<<") => {
                flush(&mut word, &mut pieces, i);
                let (next, delimiter) = here_doc_delimiter(code, i + 2, to);
                i = next;
                if let Some((delim, strip, quoted)) = delimiter {
                    pending.push((delim, strip, quoted, psql_reading(&pieces)));
                }
            }
            b'<' | b'>' => {
                // `2>`: the descriptor number is part of the redirection, not a word.
                if i > from && b[i - 1].is_ascii_digit() && word.as_ref().is_some_and(|w| w.text.chars().all(|d| d.is_ascii_digit())) {
                    word = None;
                } else {
                    flush(&mut word, &mut pieces, i);
                }
                while i < to && matches!(b[i], b'<' | b'>' | b'&' | b'|') {
                    i += 1;
                }
                // `2>&1` names no file.
                if i < to && b[i].is_ascii_digit() && b[i - 1] == b'&' {
                    while i < to && b[i].is_ascii_digit() {
                        i += 1;
                    }
                } else {
                    pieces.push(Piece::Redirect);
                }
            }
            b'|' | b'&' | b';' | b'(' | b')' => {
                flush(&mut word, &mut pieces, i);
                pieces.push(Piece::Separator);
                i += 1;
            }
            _ => {
                let ch = char_at(code, i);
                push(&mut word, i, ch);
                i += ch.len();
            }
        }
    }
    flush(&mut word, &mut pieces, to);
    commands(&pieces, found);
}

/// The bodies of the here-documents announced on the line that ended at `i`: each a region
/// (quoted or expanding) read by the program before it (by psql as SQL). Returns where the
/// code after them starts.
fn here_doc_bodies(code: &str, mut i: usize, to: usize, pending: Vec<(String, bool, bool, Option<usize>)>, found: &mut Found) -> usize {
    for (delim, strip, quoted, psql_end) in pending {
        let body_start = i;
        let mut body_end = to;
        let mut next = to;
        while i < to {
            let line_end = code[i..to].find('\n').map_or(to, |n| i + n);
            let line = &code[i..line_end];
            let line = if strip { line.trim_start_matches('\t') } else { line };
            if line.trim_end_matches('\r') == delim {
                body_end = i;
                next = (line_end + 1).min(to);
                break;
            }
            i = (line_end + 1).min(to);
            if line_end == to {
                break;
            }
        }
        // From the newline before the body, so a value at the start of its first
        // line is inside it (regions hold positions after their first byte).
        found.regions.push((body_start - 1, body_end, Quoting::HereDoc { expands: !quoted }));
        found.code.push((body_start, body_end, "the program reading the here-document".into()));
        if let Some(psql_end) = psql_end {
            found.psql.push(PsqlCommand { psql_end, flag: None, sql: (body_start, body_end) });
        }
        i = next;
    }
    i
}

/// A double-quoted string from the `"` at `start`: where it ends and its text as the shell
/// reads it; the substitutions inside are analysed too.
fn double_quoted(code: &str, start: usize, to: usize, found: &mut Found) -> (usize, String) {
    let b = code.as_bytes();
    let mut i = start;
    let mut text = String::new();
    i += 1;
    while i < to && b[i] != b'"' {
        match b[i] {
            b'\\' if i + 1 < to => {
                if matches!(b[i + 1], b'"' | b'\\' | b'$' | b'`') {
                    text.push(b[i + 1] as char);
                } else if b[i + 1] != b'\n' {
                    text.push('\\');
                    text.push_str(char_at(code, i + 1));
                }
                i += 1 + char_at(code, i + 1).len();
            }
            b'$' if b.get(i + 1) == Some(&b'(') => {
                let close = closing_paren(code, i + 1, to);
                analyze_substitution(code, i + 2, close, found);
                text.push_str(&code[i..(close + 1).min(to)]);
                i = (close + 1).min(to);
            }
            b'`' => {
                let close = code[i + 1..to].find('`').map_or(to, |n| i + 1 + n);
                analyze_substitution(code, i + 1, close, found);
                text.push_str(&code[i..(close + 1).min(to)]);
                i = (close + 1).min(to);
            }
            _ => {
                let ch = char_at(code, i);
                text.push_str(ch);
                i += ch.len();
            }
        }
    }
    i = (i + 1).min(to);
    found.regions.push((start, i, Quoting::Double));
    (i, text)
}

/// The delimiter of a here-document after `<<` (at `i`): (where the word ends, and the
/// delimiter with whether tabs are stripped (`<<-`) and whether it was quoted).
fn here_doc_delimiter(code: &str, mut i: usize, to: usize) -> (usize, Option<(String, bool, bool)>) {
    let b = code.as_bytes();
    let strip = b.get(i) == Some(&b'-');
    if strip {
        i += 1;
    }
    while i < to && matches!(b[i], b' ' | b'\t') {
        i += 1;
    }
    let start = i;
    while i < to && !matches!(b[i], b' ' | b'\t' | b'\n' | b';' | b'|' | b'&' | b'<' | b'>' | b')') {
        i += 1;
    }
    let raw = &code[start..i];
    let quoted = raw.contains(['\'', '"', '\\']);
    let delim: String = raw.chars().filter(|c| !matches!(c, '\'' | '"' | '\\')).collect();
    (i, (!delim.is_empty()).then_some((delim, strip, quoted)))
}

/// The end of the `psql` word when the command being lexed (the pieces since the last
/// separator) is psql itself, after any variable assignments.
fn psql_reading(pieces: &[Piece]) -> Option<usize> {
    let since = pieces.iter().rposition(|p| matches!(p, Piece::Separator)).map_or(0, |k| k + 1);
    let mut after_redirect = false;
    for p in &pieces[since..] {
        match p {
            Piece::Word(_) if after_redirect => after_redirect = false,
            Piece::Word(w) if w.text.split_once('=').is_some_and(|(name, _)| is_name(name)) => {}
            Piece::Word(w) => return (program(&w.text) == "psql").then_some(w.end),
            Piece::Redirect | Piece::HereString => after_redirect = true,
            Piece::Separator => {}
        }
    }
    None
}

fn analyze_substitution(code: &str, from: usize, to: usize, found: &mut Found) {
    if from < to {
        // From the `(` (or backtick), so a value right at the start is inside.
        found.regions.push((from - 1, to, Quoting::None));
        analyze(code, from, to, found);
    }
}

/// The character starting at byte `i` (which is on a boundary: the lexer only stops on ASCII).
fn char_at(code: &str, i: usize) -> &str {
    let len = code[i..].chars().next().map_or(0, char::len_utf8);
    &code[i..i + len]
}

/// The `)` closing the `(` at `open`, skipping quoted text and nested parentheses.
fn closing_paren(code: &str, open: usize, to: usize) -> usize {
    let b = code.as_bytes();
    let mut depth = 0;
    let mut i = open;
    while i < to {
        match b[i] {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            b'\'' => i = code[i + 1..to].find('\'').map_or(to, |n| i + 1 + n),
            b'"' => {
                i += 1;
                while i < to && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'\\' => i += 1,
            _ => {}
        }
        i += 1;
    }
    to
}

/// `<name>` with no spaces: a placeholder, not a redirection. Its length in bytes.
fn angle_placeholder(rest: &str) -> Option<usize> {
    let inner = rest.strip_prefix('<')?;
    let close = inner.find('>')?;
    let name = &inner[..close];
    let ok = name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.len() <= 60
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ' ' | '|' | '/'));
    ok.then_some(close + 2)
}

/// Groups pieces into simple commands and records the words each one hands to an interpreter.
fn commands(pieces: &[Piece], found: &mut Found) {
    let mut words: Vec<&Word> = Vec::new();
    let mut next_is_file = false;
    let mut next_is_stdin = false;
    let finish = |words: &mut Vec<&Word>, found: &mut Found| {
        let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        let mut command = 0;
        for w in words.iter().filter(|w| !matches!(w.text.as_str(), "export" | "local" | "readonly" | "declare" | "typeset")) {
            match w.text.split_once('=') {
                Some((name, _)) if is_name(name) => {
                    found.assignments.push((name.to_owned(), w.start, w.end));
                    command += 1;
                }
                // Assignments come first; the first other word is the command.
                _ => break,
            }
        }
        if texts.get(command).is_some_and(|w| program(w) == "psql") {
            for k in command + 1..words.len().saturating_sub(1) {
                if matches!(texts[k], "-c" | "--command") {
                    found.psql.push(PsqlCommand {
                        psql_end: words[command].end,
                        flag: Some((words[k].start, words[k].end)),
                        sql: (words[k + 1].start, words[k + 1].end),
                    });
                }
            }
        }
        for (k, label) in code_arguments(&texts) {
            found.code.push((words[k].start, words[k].end, label));
        }
        words.clear();
    };
    for p in pieces {
        match p {
            Piece::Word(_) if next_is_file => next_is_file = false,
            Piece::Word(w) if next_is_stdin => {
                next_is_stdin = false;
                found.code.push((w.start, w.end, "the program reading the here-string".into()));
            }
            Piece::Word(w) => {
                if w.text.contains("://") {
                    found.urls.push((w.start, w.end));
                }
                words.push(w);
            }
            Piece::Redirect => next_is_file = true,
            Piece::HereString => next_is_stdin = true,
            Piece::Separator => finish(&mut words, found),
        }
    }
    finish(&mut words, found);
}

fn is_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The program a word names: the last path component, versions dropped (`python3.11`).
fn program(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// Indices of the words of one simple command that some program reads as code, with that
/// program's name. Every word is tried as a command name, so wrappers (`sudo`, `timeout 5`,
/// `kubectl exec pod --`, `docker exec c`, `xargs`, `find -exec`) are looked through without
/// knowing each one; a false match only makes the check stricter.
fn code_arguments(words: &[&str]) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let name = program(w);
        let rest = &words[i + 1..];
        let (found, label): (Vec<usize>, String) = match name {
            "bash" | "sh" | "zsh" | "dash" | "ksh" | "ash" | "mksh" | "fish" | "busybox" => (shell_code(rest), format!("`{name} -c`")),
            "su" | "runuser" | "script" | "flock" => (flag_values(rest, &["-c", "--command"]), format!("`{name} -c`")),
            "eval" => ((0..rest.len()).collect(), "`eval`".into()),
            "trap" => ((0..rest.len().min(1)).collect(), "`trap`".into()),
            "ssh" => (ssh_command(rest), "the remote shell of `ssh`".into()),
            "watch" => (watch_command(rest), "`watch` (it runs `sh -c`)".into()),
            n if n == "psql" || n.ends_with("-psql") => (flag_values(rest, &["-c", "--command"]), format!("`{n} -c`")),
            "rails" | "gitlab-rails" => (rails_runner(rest), format!("`{name} runner`")),
            "mysql" | "mariadb" => (flag_values(rest, &["-e", "--execute"]), format!("`{name} -e`")),
            "sqlite3" | "sqlite" => (sqlite_code(rest), format!("`{name}`")),
            "perl" | "ruby" => (cluster_values(rest, &['e', 'E']), format!("`{name} -e`")),
            "node" | "nodejs" | "bun" => (flag_values(rest, &["-e", "--eval", "-p", "--print"]), format!("`{name} -e`")),
            "php" => (flag_values(rest, &["-r", "--run"]), "`php -r`".into()),
            "mongo" | "mongosh" => (flag_values(rest, &["--eval"]), format!("`{name} --eval`")),
            "cqlsh" => (flag_values(rest, &["-e", "--execute"]), "`cqlsh -e`".into()),
            "clickhouse-client" | "clickhouse" => (flag_values(rest, &["-q", "--query"]), format!("`{name} --query`")),
            "influx" => (flag_values(rest, &["-execute", "--execute"]), "`influx -execute`".into()),
            "osascript" => (flag_values(rest, &["-e"]), "`osascript -e`".into()),
            "gcloud" => (flag_values(rest, &["--command"]), "the remote shell of `gcloud … ssh --command`".into()),
            "awk" | "gawk" | "mawk" | "nawk" => {
                (first_operand(rest, &["-F", "-v", "-f", "-e", "--source", "--file"], &["-f", "--file"]), format!("the {name} program"))
            }
            "sed" | "gsed" => (sed_script(rest), "the sed script".into()),
            "jq" | "gojq" | "jaq" | "yq" => (jq_filter(rest), format!("the {name} filter")),
            "redis-cli" => (redis_script(rest), "the Lua script of `redis-cli EVAL`".into()),
            n if n.eq_ignore_ascii_case("pwsh") || n.eq_ignore_ascii_case("powershell") || n.eq_ignore_ascii_case("powershell.exe") => {
                (after_flag(rest, &["-command", "-c", "-encodedcommand", "-ec"]), format!("`{name} -Command`"))
            }
            n if n.eq_ignore_ascii_case("cmd") || n.eq_ignore_ascii_case("cmd.exe") => (after_flag(rest, &["/c", "/k"]), "`cmd /c`".into()),
            n if n.starts_with("python") || n.starts_with("pypy") => (cluster_values(rest, &['c']), format!("`{name} -c`")),
            _ => continue,
        };
        out.extend(found.into_iter().map(|k| (i + 1 + k, label.clone())));
    }
    out
}

/// `bash [options] -c CODE [name [args…]]`: CODE is the first operand when any short option
/// cluster holds `c` (`-c`, `-lc`, `-ec`).
fn shell_code(rest: &[&str]) -> Vec<usize> {
    let mut has_c = false;
    let mut j = 0;
    while j < rest.len() {
        let w = rest[j];
        if w == "--" {
            j += 1;
            break;
        }
        if matches!(w, "-o" | "+o" | "-O" | "+O" | "--rcfile" | "--init-file") {
            j += 2;
            continue;
        }
        if w.starts_with("--") {
            j += 1;
            continue;
        }
        if (w.starts_with('-') || w.starts_with('+')) && w.len() > 1 {
            has_c |= w.starts_with('-') && w.contains('c');
            j += 1;
            continue;
        }
        break;
    }
    if has_c && j < rest.len() { vec![j] } else { Vec::new() }
}

/// The values of `-c CODE`, `--command CODE` and `--command=CODE` (the whole word then).
fn flag_values(rest: &[&str], flags: &[&str]) -> Vec<usize> {
    let mut out = Vec::new();
    for (j, w) in rest.iter().enumerate() {
        if flags.contains(w) && j + 1 < rest.len() {
            out.push(j + 1);
        } else if flags.iter().any(|f| f.starts_with("--") && w.starts_with(f) && w[f.len()..].starts_with('=')) {
            out.push(j);
        } else if flags.iter().any(|f| f.len() == 2 && !f.starts_with("--") && w.starts_with(f) && w.len() > 2 && !w.starts_with("--")) {
            // `-cSELECT 1`: the value glued to a short flag.
            out.push(j);
        }
    }
    out
}

/// `perl -ne CODE`, `python -Ic CODE`: a short option cluster ending with one of `letters`.
fn cluster_values(rest: &[&str], letters: &[char]) -> Vec<usize> {
    let mut out = Vec::new();
    for (j, w) in rest.iter().enumerate() {
        if w.starts_with('-') && !w.starts_with("--") && w.len() > 1 && w.ends_with(letters) && j + 1 < rest.len() {
            out.push(j + 1);
        }
    }
    out
}

/// Everything after a flag (`pwsh -Command …`, `cmd /c …`), compared without case.
fn after_flag(rest: &[&str], flags: &[&str]) -> Vec<usize> {
    match rest.iter().position(|w| flags.iter().any(|f| w.eq_ignore_ascii_case(f))) {
        Some(j) => (j + 1..rest.len()).collect(),
        None => Vec::new(),
    }
}

/// `ssh [options] host command…`: the remote shell parses every word after the host.
fn ssh_command(rest: &[&str]) -> Vec<usize> {
    const WITH_VALUE: &[&str] = &[
        "-b", "-c", "-D", "-E", "-e", "-F", "-I", "-i", "-J", "-L", "-l", "-m", "-O", "-o", "-p", "-Q", "-R", "-S", "-W", "-w", "-B", "-P",
    ];
    let mut j = 0;
    while j < rest.len() && rest[j].starts_with('-') {
        j += if WITH_VALUE.contains(&rest[j]) { 2 } else { 1 };
    }
    (j + 1..rest.len()).collect()
}

/// `watch [options] command…` joins the words and runs them with `sh -c` (not with `-x`).
fn watch_command(rest: &[&str]) -> Vec<usize> {
    if rest.iter().any(|w| matches!(*w, "-x" | "--exec")) {
        return Vec::new();
    }
    let mut j = 0;
    while j < rest.len() && rest[j].starts_with('-') {
        j += if matches!(rest[j], "-n" | "--interval") { 2 } else { 1 };
    }
    (j..rest.len()).collect()
}

/// `sqlite3 [options] DB SQL…` and `-cmd SQL`.
fn sqlite_code(rest: &[&str]) -> Vec<usize> {
    const WITH_VALUE: &[&str] =
        &["-separator", "-nullvalue", "-newline", "-init", "-vfs", "-lookaside", "-pagecache", "-mmap", "-maxsize", "-heap"];
    let mut out = flag_values(rest, &["-cmd"]);
    let mut operands = 0;
    let mut j = 0;
    while j < rest.len() {
        let w = rest[j];
        if w == "-cmd" || WITH_VALUE.contains(&w) {
            j += 2;
            continue;
        }
        if w.starts_with('-') {
            j += 1;
            continue;
        }
        if operands > 0 {
            out.push(j);
        }
        operands += 1;
        j += 1;
    }
    out
}

/// The first operand (awk's program), unless the program comes from a file (`-f`).
fn first_operand(rest: &[&str], with_value: &[&str], from_file: &[&str]) -> Vec<usize> {
    let mut out = flag_values(rest, &["-e", "--source"]);
    if rest.iter().any(|w| from_file.contains(w)) || !out.is_empty() {
        return out;
    }
    let mut j = 0;
    while j < rest.len() {
        let w = rest[j];
        if w == "--" {
            j += 1;
            break;
        }
        if with_value.contains(&w) {
            j += 2;
            continue;
        }
        if w.starts_with('-') && w.len() > 1 {
            j += 1;
            continue;
        }
        break;
    }
    if j < rest.len() {
        out.push(j);
    }
    out
}

/// sed's script: the `-e`/`--expression` values, else the first operand (none with `-f`).
fn sed_script(rest: &[&str]) -> Vec<usize> {
    let out = flag_values(rest, &["-e", "--expression"]);
    if !out.is_empty() || rest.iter().any(|w| matches!(*w, "-f" | "--file") || w.starts_with("--file=")) {
        return out;
    }
    first_operand(rest, &["-l", "--line-length"], &[])
}

/// jq's filter: the first operand; `--arg name value` and friends carry data, not code.
fn jq_filter(rest: &[&str]) -> Vec<usize> {
    let mut j = 0;
    while j < rest.len() {
        let w = rest[j];
        if matches!(w, "-f" | "--from-file") {
            return Vec::new();
        }
        if matches!(w, "--arg" | "--argjson" | "--slurpfile" | "--rawfile") {
            j += 3;
            continue;
        }
        if matches!(w, "--indent" | "-L") {
            j += 2;
            continue;
        }
        if w.starts_with('-') && w.len() > 1 {
            j += 1;
            continue;
        }
        return vec![j];
    }
    Vec::new()
}

/// `rails runner CODE` (`gitlab-rails runner`): Ruby.
fn rails_runner(rest: &[&str]) -> Vec<usize> {
    let Some(mut j) = rest.iter().position(|w| matches!(*w, "runner" | "r")).map(|j| j + 1) else { return Vec::new() };
    while j < rest.len() && rest[j].starts_with('-') {
        j += if matches!(rest[j], "-e" | "--environment") { 2 } else { 1 };
    }
    if j < rest.len() { vec![j] } else { Vec::new() }
}

/// `redis-cli … EVAL SCRIPT numkeys …`.
fn redis_script(rest: &[&str]) -> Vec<usize> {
    match rest.iter().position(|w| w.eq_ignore_ascii_case("eval")) {
        Some(j) if j + 1 < rest.len() => vec![j + 1],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The site of the first occurrence of `marker` in `code`.
    fn site(code: &str, marker: &str) -> ValueSite {
        let pos = code.find(marker).expect("marker present");
        value_sites(code, &[pos]).remove(0)
    }

    fn reader(code: &str, marker: &str) -> Option<String> {
        site(code, marker).code_for
    }

    #[test]
    fn nested_interpreters_are_found() {
        assert_eq!(reader(r#"psql "$DB" -c "SELECT * FROM users WHERE email = 'VALUE'""#, "VALUE").as_deref(), Some("`psql -c`"));
        assert_eq!(reader(r#"bash -c "echo hello <value>""#, "<value>").as_deref(), Some("`bash -c`"));
        assert_eq!(reader(r#"sudo -u postgres sh -lc 'ls <dir>'"#, "<dir>").as_deref(), Some("`sh -c`"));
        assert_eq!(reader(r#"ssh -p 22 web-1 "tail -n 5 /var/log/<file>""#, "<file>").as_deref(), Some("the remote shell of `ssh`"));
        assert_eq!(reader(r#"ssh web-1 ls <dir>"#, "<dir>").as_deref(), Some("the remote shell of `ssh`"));
        assert_eq!(reader(r#"kubectl exec -n web pod-0 -- sh -c "cat /tmp/<f>""#, "<f>").as_deref(), Some("`sh -c`"));
        assert_eq!(reader(r#"mysql -u root -e "SELECT 'VALUE'""#, "VALUE").as_deref(), Some("`mysql -e`"));
        assert_eq!(reader(r#"python3 -c "print('<x>')""#, "<x>").as_deref(), Some("`python3 -c`"));
        assert_eq!(reader(r#"awk '/<pat>/ {print $1}' f"#, "<pat>").as_deref(), Some("the awk program"));
        assert_eq!(reader(r#"jq --arg e x '.[] | select(.e == "<e>")' f"#, "<e>").as_deref(), Some("the jq filter"));
        assert_eq!(reader(r#"watch -n 5 "kubectl get pod <pod>""#, "<pod>").as_deref(), Some("`watch` (it runs `sh -c`)"));
        assert_eq!(reader("X=$(bash -c \"echo <v>\")", "<v>").as_deref(), Some("`bash -c`"));
        assert_eq!(reader("sudo gitlab-psql -c \"SELECT '<v>'\"", "<v>").as_deref(), Some("`gitlab-psql -c`"));
        assert_eq!(
            reader("sudo gitlab-rails runner -e production \"User.find_by(username: '<user>')\"", "<user>").as_deref(),
            Some("`gitlab-rails runner`")
        );
        assert_eq!(reader("psql <<SQL\nSELECT '<v>';\nSQL\necho done", "<v>").as_deref(), Some("the program reading the here-document"));
        assert_eq!(reader("psql <<< \"SELECT '<v>'\"", "<v>").as_deref(), Some("the program reading the here-string"));
    }

    #[test]
    fn values_reach_nested_code_through_variables() {
        let code = "NAME=<name>\nOTHER=\"x-$NAME\"\nexport SAFE=<safe>\nssh db-1 \"grep $OTHER /var/log/app.log\"\necho \"$SAFE\"";
        assert_eq!(reader(code, "<name>").as_deref(), Some("the remote shell of `ssh`"));
        assert_eq!(reader(code, "<safe>"), None);
        let vars = variables_read_as_code("bash -c \"sleep ${WAIT:-0}; echo $GREETING\"");
        let names: Vec<&str> = vars.iter().map(|(v, _)| v.as_str()).collect();
        assert_eq!(names, ["WAIT", "GREETING"]);
    }

    #[test]
    fn plain_arguments_are_data() {
        assert_eq!(reader(r#"kubectl -n <ns> logs <pod> | grep '<pattern>'"#, "<pod>"), None);
        assert_eq!(reader(r#"kubectl exec -n web pod-0 -- cat /tmp/<f>"#, "<f>"), None);
        assert_eq!(reader(r#"psql "$DB" -v email=<e> -f check.sql"#, "<e>"), None);
        assert_eq!(reader(r#"bash ./drain.sh <node>"#, "<node>"), None);
        assert_eq!(reader(r#"bash -c 'echo "$1"' _ <v>"#, "<v>"), None, "an argument after the code is data");
        assert_eq!(reader(r#"jq --arg e <e> '.[] | select(.e == $e)' f"#, "<e>"), None);
        assert_eq!(reader("echo ok > /tmp/<f>", "<f>"), None);
        assert_eq!(reader("psql <<'SQL'\nSELECT 1;\nSQL\nls <dir>", "<dir>"), None, "the here-document ended");
    }

    #[test]
    fn urls_are_found_by_part() {
        let code = r#"curl -o out "https://<host>/api/users/$USER_ID/unlock?next=<next>" <file>"#;
        assert_eq!(site(code, "<host>").url, Some(UrlPart::Authority));
        assert_eq!(site(code, "$USER_ID").url, Some(UrlPart::Path));
        assert_eq!(site(code, "<next>").url, Some(UrlPart::Query));
        assert_eq!(site(code, "<file>").url, None);
    }

    #[test]
    fn local_psql_commands_are_found() {
        let code = r#"psql "$DB" -X -c "SELECT '<v>'" -c 'SELECT 2'; sudo -u postgres psql -c "SELECT '<w>'"; ssh db psql -c x"#;
        let found = psql_commands(code);
        let texts: Vec<(Option<&str>, &str)> = found.iter().map(|p| (p.flag.map(|f| &code[f.0..f.1]), &code[p.sql.0..p.sql.1])).collect();
        assert_eq!(texts, [(Some("-c"), "\"SELECT '<v>'\""), (Some("-c"), "'SELECT 2'")]);
        let code = "PGOPTIONS=x psql \"$DB\" -X <<SQL\nSELECT '<v>';\nSQL\nsudo psql <<SQL\nSELECT 1;\nSQL\n";
        let found = psql_commands(code);
        assert_eq!(found.len(), 1);
        assert_eq!(&code[..found[0].psql_end], "PGOPTIONS=x psql");
        assert_eq!(found[0].flag, None);
        assert_eq!(&code[found[0].sql.0..found[0].sql.1], "SELECT '<v>';\n");
    }

    #[test]
    fn quoting_is_tracked() {
        assert_eq!(site("ls $DIR", "$DIR").quoting, Quoting::None);
        assert_eq!(site("ls \"a $DIR\"", "$DIR").quoting, Quoting::Double);
        assert_eq!(site("ls 'a $DIR'", "$DIR").quoting, Quoting::Single);
        assert_eq!(site("echo \"$(ls $DIR)\"", "$DIR").quoting, Quoting::None, "a substitution is unquoted again");
        assert_eq!(site("cat <<EOF\n$DIR\nEOF", "$DIR").quoting, Quoting::HereDoc { expands: true });
        assert_eq!(site("cat <<'EOF'\n$DIR\nEOF", "$DIR").quoting, Quoting::HereDoc { expands: false });
        assert_eq!(site("echo \"it's\" $DIR", "$DIR").quoting, Quoting::None);
        assert_eq!(site("echo # it's\nls $DIR", "$DIR").quoting, Quoting::None, "a quote in a comment opens nothing");
    }

    #[test]
    fn any_input_is_analysed_without_panicking() {
        for code in ["\"", "'", "$(", "`", "<<", "<<'", "a <<EOF", "{{", "<a", "\\", "é\"ü$(ä", "2>&", "<<<"] {
            let positions: Vec<usize> = (0..=code.len()).filter(|i| code.is_char_boundary(*i)).collect();
            let _ = value_sites(code, &positions);
        }
    }
}
