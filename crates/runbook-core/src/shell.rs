//! Reading shell blocks as a person would: `$ ` prompts stripped, lines without a prompt kept as
//! output, `\` continuations joined, comments set apart; then words split as the shell would and
//! curl command lines turned into HTTP requests (executed natively later, never by curl).

use crate::model::HttpRequest;

/// One command (possibly continued over several lines) found in a shell block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandLine {
    /// The command with its prompt removed; continuation lines are kept as written.
    pub text: String,
    /// `(offset in text, offset in block)` pieces.
    pub pieces: Vec<(usize, usize)>,
    /// Line index in the block where the command starts.
    pub first_line: usize,
}

/// How many lines one command may run over (continuations, an unclosed quote).
const MAX_JOINED_LINES: usize = 200;

impl CommandLine {
    /// Adds the next line of the block (`(offset, text)`) and returns it, `\r` trimmed.
    fn append<'a>(&mut self, (offset, line): (usize, &'a str)) -> &'a str {
        let line = line.trim_end_matches('\r');
        self.text.push('\n');
        self.pieces.push((self.text.len(), offset));
        self.text.push_str(line);
        line
    }
}

/// A shell block read line by line.
#[derive(Debug, Default)]
pub struct ShellBlock {
    pub commands: Vec<CommandLine>,
    /// Comment lines (`# …`), in order, with their line index.
    pub comments: Vec<(usize, String)>,
    /// Lines shown as output of a prompted command.
    pub output: Vec<String>,
    pub had_prompts: bool,
}

pub fn read_block(text: &str) -> ShellBlock {
    read_session(text, &|_| false)
}

/// Reads a terminal session (`console` blocks): there `# systemctl reboot` is root's prompt,
/// not a comment, when `is_command` knows the line after it as a command.
pub fn read_session(text: &str, is_command: &dyn Fn(&str) -> bool) -> ShellBlock {
    let mut out = ShellBlock::default();
    let lines: Vec<(usize, &str)> = line_offsets(text).collect();
    fn root_or_prompt<'a>(line: &'a str, is_command: &dyn Fn(&str) -> bool) -> Option<&'a str> {
        strip_prompt(line).or_else(|| {
            let rest = line.trim_start().strip_prefix("# ")?;
            // `# kill the stuck one` is a note about a command, not root typing it.
            let prose = rest.split_whitespace().skip(1).any(|w| {
                matches!(
                    w,
                    "the"
                        | "a"
                        | "an"
                        | "to"
                        | "of"
                        | "and"
                        | "if"
                        | "this"
                        | "that"
                        | "it"
                        | "is"
                        | "are"
                        | "for"
                        | "with"
                        | "on"
                        | "we"
                        | "you"
                )
            });
            (!prose && is_command(rest)).then_some(rest)
        })
    }
    let prompt_of = |line| root_or_prompt(line, is_command);
    out.had_prompts = lines.iter().any(|(_, l)| prompt_of(l).is_some());
    let mut i = 0;
    while i < lines.len() {
        let (offset, raw) = lines[i];
        let line = raw.trim_end_matches('\r');
        let (body, body_offset) = if out.had_prompts {
            match prompt_of(line) {
                Some(rest) => (rest, offset + (line.len() - rest.len())),
                None => {
                    if !line.trim().is_empty() {
                        out.output.push(line.to_owned());
                    }
                    i += 1;
                    continue;
                }
            }
        } else {
            (line, offset)
        };
        let trimmed = body.trim_start();
        if trimmed.is_empty() {
            i += 1;
            continue;
        }
        if trimmed.starts_with('#') {
            out.comments.push((i, trimmed.trim_start_matches('#').trim().to_owned()));
            i += 1;
            continue;
        }
        let lead = body.len() - trimmed.len();
        let mut cmd = CommandLine { text: String::new(), pieces: vec![(0, body_offset + lead)], first_line: i };
        cmd.text.push_str(trimmed);
        // Continuation lines are rescanned as the command grows: a bound keeps a block with an
        // unclosed quote linear.
        let mut open = continues(&cmd.text);
        let mut joined = 0;
        while open && i + 1 < lines.len() && joined < MAX_JOINED_LINES {
            i += 1;
            joined += 1;
            cmd.append(lines[i]);
            open = continues(&cmd.text);
        }
        // A here-document's lines, up to its terminator, are part of the command (in a
        // transcript they carry the `> ` continuation prompt).
        if let Some((word, dash)) = heredoc(&cmd.text) {
            while i + 1 < lines.len() {
                i += 1;
                let next = cmd.append(lines[i]);
                let next = next.strip_prefix("> ").unwrap_or(next);
                let end = if dash { next.trim_start_matches('\t') } else { next };
                if end == word {
                    break;
                }
            }
        }
        out.commands.push(cmd);
        i += 1;
    }
    out
}

fn line_offsets(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut offset = 0;
    text.split_inclusive('\n').map(move |l| {
        let start = offset;
        offset += l.len();
        (start, l.strip_suffix('\n').unwrap_or(l))
    })
}

/// Whether a command is continued on the next line: trailing `\`, a trailing pipe or `&&`,
/// or an unclosed quote.
fn continues(cmd: &str) -> bool {
    let t = cmd.trim_end();
    if t.ends_with('\\') || t.ends_with('|') || t.ends_with("&&") || t.ends_with("||") {
        return true;
    }
    let mut single = false;
    let mut double = false;
    let mut escaped = false;
    let mut prev = ' ';
    // Open `$(` command substitutions: `ROUTE=$(oc get routes` goes on on the next line.
    let mut depth = 0usize;
    for c in cmd.chars() {
        if escaped {
            escaped = false;
            prev = c;
            continue;
        }
        match c {
            '\\' if !single => escaped = true,
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '(' if !single && prev == '$' => depth += 1,
            ')' if !single && depth > 0 => depth -= 1,
            // An apostrophe in a trailing comment (`# there's space`) opens nothing.
            '#' if !single && !double && prev.is_whitespace() => {
                return false;
            }
            '\n' if !single && !double => {}
            _ => {}
        }
        prev = c;
    }
    single || double || depth > 0
}

/// The terminator of a here-document the command opens (`cat > f <<EOF`, `<<-'END'`), and
/// whether its lines may be indented with tabs.
fn heredoc(cmd: &str) -> Option<(String, bool)> {
    let at = cmd.find("<<").filter(|&i| !cmd[i + 2..].starts_with('<'))?;
    let rest = &cmd[at + 2..];
    let (rest, dash) = match rest.strip_prefix('-') {
        Some(r) => (r, true),
        None => (rest, false),
    };
    let word: String =
        rest.trim_start().trim_start_matches(['\'', '"']).chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    // `$((1 << 20))` shifts bits: a terminator starts with a letter.
    (word.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') && !cmd[..at].contains("$((")).then_some((word, dash))
}

/// `$ cmd`, `user@host:~$ cmd`, `host:/dir# cmd`, `% cmd` → `cmd`.
pub fn strip_prompt(line: &str) -> Option<&str> {
    let t = line.trim_start();
    for p in ["$ ", "% ", "> "] {
        if let Some(rest) = t.strip_prefix(p) {
            // `> ` is only a prompt when followed by something command-like.
            if p != "> " || rest.starts_with(|c: char| c.is_ascii_lowercase()) {
                return Some(rest);
            }
        }
    }
    if t == "$" {
        return Some("");
    }
    // PowerShell: `PS C:\Users\ops> Get-Service`, `PS> …`.
    if let Some(rest) = t.strip_prefix("PS ").or_else(|| t.strip_prefix("PS>").map(|r| r.trim_start()))
        && let Some(gt) =
            rest.find("> ").filter(|&i| !rest[..i].contains(' ')).map(|i| i + 2).or(if t.starts_with("PS>") { Some(0) } else { None })
    {
        return Some(rest[gt..].trim_start());
    }
    // `[user@host ~]$ cmd`, `[root@db1 data]# cmd`: the bracket holds a space.
    if t.starts_with('[')
        && let Some(close) = t.find("]$ ").or_else(|| t.find("]# "))
        && !t[..close].contains(['\n', '`'])
        && t[1..close].contains('@')
    {
        return Some(t[close + 3..].trim_start());
    }
    let end = t.find(|c: char| c.is_whitespace())?;
    let prefix = &t[..end];
    let last = prefix.chars().last()?;
    // psql and pgbouncer: `dbname=# `, `dbname=> `, and the continuation prompts `dbname-# `,
    // `dbname(# ` (inside parentheses), `dbname'# ` (inside a string).
    if is_psql_prompt(prefix) {
        return Some(t[end..].trim_start());
    }
    let is_prompt = matches!(last, '$' | '#' | '%' | '>')
        && prefix.len() > 1
        && (prefix.contains('@') || prefix.contains(':') || prefix.starts_with('[') || prefix.starts_with('('))
        && !prefix.contains("://");
    // `sh-5.1# cmd`, `bash-4.4$ cmd`: a shell's own prompt (in `oc debug` sessions).
    let shell_version = matches!(last, '$' | '#')
        && prefix[..prefix.len() - 1].split_once('-').is_some_and(|(sh, v)| {
            matches!(sh, "sh" | "bash" | "zsh" | "ksh") && !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.')
        });
    if is_prompt || shell_version {
        return Some(t[end..].trim_start());
    }
    // `patroni-01-db-gstg $ cmd`, `workstation     $ cmd`: a host name, then the prompt sign.
    let host = prefix;
    let after = t[end..].trim_start();
    if let Some(rest) = after.strip_prefix("$ ").or_else(|| after.strip_prefix("% ")) {
        let hostlike = host.len() > 2 && host.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-._".contains(c));
        let rest = rest.trim_start();
        if hostlike && rest.starts_with(|c: char| c.is_ascii_lowercase() || "./~".contains(c)) {
            return Some(rest);
        }
    }
    None
}

/// `app=#`, `app=>`, `app-#`, `app(#`: a psql prompt, as the first word of a line.
pub fn is_psql_prompt(word: &str) -> bool {
    let b = word.as_bytes();
    b.len() > 2
        && matches!(b[b.len() - 1], b'#' | b'>')
        && matches!(b[b.len() - 2], b'=' | b'-' | b'(' | b'\'' | b'"')
        && word[..word.len() - 2].chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
}

/// A word of a shell command line, with its quotes removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Word(String),
    /// `|`, `||`, `&&`, `;`, `&`, `>`, `>>`, `<`, `2>` …
    Op(String),
}

/// Splits a command line into words and operators (POSIX quoting, `\`-newline as space).
pub fn tokenize(cmd: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = cmd.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    word.push(c);
                }
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => match chars.peek() {
                            Some(&n @ ('"' | '\\' | '$' | '`')) => {
                                word.push(n);
                                chars.next();
                            }
                            Some('\n') => {
                                chars.next();
                            }
                            _ => word.push('\\'),
                        },
                        _ => word.push(c),
                    }
                }
            }
            '\\' => match chars.next() {
                Some('\n') | None => {}
                Some(n) => {
                    in_word = true;
                    word.push(n);
                }
            },
            '\n' => {
                flush(&mut out, &mut word, &mut in_word);
                if !matches!(out.last(), Some(Token::Op(_)) | None) {
                    out.push(Token::Op(";".into()));
                }
            }
            c if c.is_whitespace() => flush(&mut out, &mut word, &mut in_word),
            '<' if is_angle_placeholder(&mut chars.clone()) => {
                in_word = true;
                word.push('<');
                for c in chars.by_ref() {
                    word.push(c);
                    if c == '>' {
                        break;
                    }
                }
            }
            '{' if chars.peek() == Some(&'{') => {
                // `{{ name }}` is one word even with spaces inside.
                in_word = true;
                word.push('{');
                let mut last = ' ';
                for c in chars.by_ref() {
                    word.push(c);
                    if c == '}' && last == '}' {
                        break;
                    }
                    last = c;
                }
            }
            '$' if chars.peek() == Some(&'(') => {
                // `$(…)` command substitution stays part of the word.
                in_word = true;
                word.push('$');
                let mut depth = 0;
                for c in chars.by_ref() {
                    word.push(c);
                    match c {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
            }
            '`' => {
                in_word = true;
                word.push('`');
                for c in chars.by_ref() {
                    word.push(c);
                    if c == '`' {
                        break;
                    }
                }
            }
            '|' | '&' | ';' | '>' | '<' => {
                // `2>` and `2>&1`: the fd digit belongs to the operator.
                let mut op = String::new();
                if matches!(c, '>' | '<') && in_word && word.chars().all(|d| d.is_ascii_digit()) && !word.is_empty() {
                    op.push_str(&word);
                    word.clear();
                    in_word = false;
                } else {
                    flush(&mut out, &mut word, &mut in_word);
                }
                op.push(c);
                while let Some(&n) = chars.peek() {
                    if (n == c && matches!(c, '|' | '&' | '>')) || (c == '>' && n == '&') || (op.ends_with("&") && n.is_ascii_digit()) {
                        op.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(Token::Op(op));
            }
            '#' if !in_word => {
                // A comment runs to the end of the line, which still ends the command.
                for c in chars.by_ref() {
                    if c == '\n' {
                        if !matches!(out.last(), Some(Token::Op(_)) | None) {
                            out.push(Token::Op(";".into()));
                        }
                        break;
                    }
                }
            }
            _ => {
                in_word = true;
                word.push(c);
            }
        }
    }
    flush(&mut out, &mut word, &mut in_word);
    out
}

/// After a `<`: `name>` with no spaces is a placeholder, not a redirection.
fn is_angle_placeholder(rest: &mut std::iter::Peekable<std::str::Chars<'_>>) -> bool {
    let mut n = 0;
    for c in rest.by_ref() {
        match c {
            '>' => return n > 0,
            // `<statefulset|deployment>`: alternatives, not a pipe.
            c if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ' ' | '|' | '/') => {
                if n == 0 && !c.is_ascii_alphabetic() {
                    return false;
                }
                n += 1;
                if n > 60 {
                    return false;
                }
            }
            _ => return false,
        }
    }
    false
}

fn flush(out: &mut Vec<Token>, word: &mut String, in_word: &mut bool) {
    if *in_word {
        out.push(Token::Word(std::mem::take(word)));
        *in_word = false;
    }
}

/// The simple commands of a pipeline/list: words between operators.
pub fn simple_commands(tokens: &[Token]) -> Vec<(Vec<&str>, Option<&str>)> {
    let mut out = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let mut skip_next = false;
    for t in tokens {
        match t {
            Token::Word(w) => {
                if skip_next {
                    skip_next = false;
                } else {
                    current.push(w);
                }
            }
            // `> file` and `>& file` name a file; `2>&1` is complete by itself.
            Token::Op(op) if op.contains('>') || op.contains('<') => {
                skip_next = !(op.contains('&') && op.ends_with(|c: char| c.is_ascii_digit()));
            }
            Token::Op(op) => {
                out.push((std::mem::take(&mut current), Some(op.as_str())));
            }
        }
    }
    if !current.is_empty() {
        out.push((current, None));
    }
    out.retain(|(words, _)| !words.is_empty());
    out
}

/// The command name after `sudo -u USER`, `env X=Y`, `time`, `nohup`, shell keywords (`do`,
/// `then`) and variable assignments.
pub fn command_name<'a>(words: &[&'a str]) -> Option<(usize, &'a str)> {
    let mut i = 0;
    // The wrapper whose options are being skipped, so `sudo -u postgres psql` finds `psql`.
    let mut wrapper = "";
    while i < words.len() {
        let w = words[i];
        let is_assignment =
            w.split_once('=').is_some_and(|(k, _)| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        if matches!(w, "sudo" | "env" | "time" | "nohup" | "exec" | "command" | "nice" | "doas") {
            wrapper = w;
            i += 1;
            continue;
        }
        if matches!(w, "do" | "then" | "else" | "elif" | "if" | "while" | "until" | "!" | "{" | "(") || is_assignment {
            i += 1;
            continue;
        }
        if w.starts_with('-') && i > 0 {
            let takes_value = match wrapper {
                "sudo" | "doas" => matches!(w, "-u" | "-g" | "-U" | "-C" | "-D" | "-h" | "-p" | "-r" | "-t" | "-T"),
                "env" => matches!(w, "-u" | "-C" | "-S"),
                "nice" => w == "-n",
                _ => false,
            };
            i += if takes_value { 2 } else { 1 };
            continue;
        }
        return Some((i, w));
    }
    None
}

/// Parses a curl command line (with an optional `| jq FILTER`) into a request.
/// Returns `None` when the line does not start with curl.
pub fn parse_curl(cmd: &str) -> Option<HttpRequest> {
    // `curl … --data-binary @- <<'EOF'` … `EOF`: the here-document is the body.
    let (cmd, stdin) = split_heredoc(cmd).map_or((cmd.to_owned(), None), |(c, b)| (c, Some(b)));
    let mut req = parse_curl_line(&cmd)?;
    if let (Some("@-"), Some(body)) = (req.body.as_deref(), stdin) {
        req.body = Some(body);
    }
    Some(req)
}

/// A command with a here-document, as (the command without it, the document's text); `None`
/// when there is none or something follows its terminator.
fn split_heredoc(cmd: &str) -> Option<(String, String)> {
    let (word, dash) = heredoc(cmd)?;
    let at = cmd.find("<<")?;
    let line_end = cmd[at..].find('\n').map(|i| at + i)?;
    // The marker itself: `<<`, `-`, quotes and the word.
    let marker_end = at + 2 + cmd[at + 2..line_end].find(word.as_str())? + word.len();
    let marker_end = marker_end + cmd[marker_end..line_end].chars().take_while(|c| matches!(c, '\'' | '"')).count();
    let command = format!("{}{}", &cmd[..at], &cmd[marker_end..line_end]);
    let mut body = Vec::new();
    let mut lines = cmd[line_end + 1..].lines();
    for line in lines.by_ref() {
        let end = if dash { line.trim_start_matches('\t') } else { line };
        if end == word {
            break;
        }
        body.push(line);
    }
    lines.next().is_none().then(|| (command.trim_end().to_owned(), body.join("\n")))
}

fn parse_curl_line(cmd: &str) -> Option<HttpRequest> {
    let tokens = tokenize(cmd);
    let commands = simple_commands(&tokens);
    let (words, _) = commands.first()?;
    let (at, name) = command_name(words)?;
    if name != "curl" {
        return None;
    }
    let mut req = curl_request(&words[at + 1..]);
    // Not a request at all (`curl AND "x"` in a log query), or a download run by an
    // interpreter (`curl … | bash`): a shell step.
    let placeholder_url = (req.url.starts_with('<') && req.url.ends_with('>')) || req.url.starts_with('$') || req.url.starts_with("{{");
    if req.url.is_empty() || !(req.url.contains('/') || req.url.contains('.') || placeholder_url) {
        return None;
    }
    if commands.iter().skip(1).any(|(w, _)| {
        command_name(w).is_some_and(|(_, n)| matches!(n, "bash" | "sh" | "zsh" | "python" | "python3" | "perl" | "ruby" | "node"))
    }) {
        return None;
    }
    let substituted = |v: &str| v.contains("$(") || v.contains('`');
    if substituted(&req.url) {
        req.shell_reason.get_or_insert("the URL is built by the shell".into());
    }
    // `-H "Authorization: Bearer $(oc whoami -t)"`: only the shell can fill that in.
    if req.headers.iter().any(|(_, v)| substituted(v)) || req.body.as_deref().is_some_and(substituted) {
        req.shell_reason.get_or_insert("a header or the body is built by the shell".into());
    }
    // `curl … | jq FILTER` runs natively; a longer pipeline or list runs through bash.
    if let Some((jq_words, _)) = commands.get(1).filter(|(w, _)| w.first() == Some(&"jq")).filter(|_| commands[0].1 == Some("|")) {
        let filter = jq_words[1..].iter().find(|w| !w.starts_with('-')).copied().unwrap_or(".");
        req.jq = Some(filter.to_owned());
        req.ignored_flags.extend(jq_words[1..].iter().filter(|w| w.starts_with('-')).map(|w| format!("jq {w}")));
    }
    let native_len = if req.jq.is_some() { 2 } else { 1 };
    if commands.len() > native_len || commands.first().is_some_and(|(_, op)| op.is_some_and(|o| o != "|")) {
        req.shell_reason.get_or_insert("the command line goes on after the request".into());
    }
    Some(req)
}

/// The request curl's arguments describe: method, URL, headers, body and the flags a native
/// request ignores or cannot honour (`shell_reason`).
fn curl_request(args: &[&str]) -> HttpRequest {
    let mut req = HttpRequest {
        method: String::new(),
        url: String::new(),
        headers: Vec::new(),
        body: None,
        basic_auth: None,
        insecure: false,
        follow_redirects: false,
        max_time_ms: None,
        jq: None,
        ignored_flags: Vec::new(),
        shell_reason: None,
    };
    let mut i = 0;
    let mut get_with_data = false;
    while i < args.len() {
        let a = args[i];
        let mut value = || {
            i += 1;
            args.get(i).map(|s| s.to_string())
        };
        match a {
            "-X" | "--request" => req.method = value().unwrap_or_default().to_ascii_uppercase(),
            "-H" | "--header" => {
                if let Some(h) = value()
                    && let Some((k, v)) = h.split_once(':')
                {
                    req.headers.push((k.trim().to_owned(), v.trim().to_owned()));
                }
            }
            "-d" | "--data" | "--data-raw" | "--data-binary" | "--data-ascii" | "--data-urlencode" | "--json" => {
                let body = value().unwrap_or_default();
                if a == "--json" {
                    req.headers.push(("Content-Type".into(), "application/json".into()));
                    req.headers.push(("Accept".into(), "application/json".into()));
                }
                req.body = Some(match req.body.take() {
                    Some(prev) => format!("{prev}&{body}"),
                    None => body,
                });
            }
            "-u" | "--user" => req.basic_auth = value(),
            "-k" | "--insecure" => req.insecure = true,
            "-L" | "--location" => req.follow_redirects = true,
            "-I" | "--head" => req.method = "HEAD".into(),
            "-G" | "--get" => get_with_data = true,
            "-m" | "--max-time" => {
                req.max_time_ms = value().and_then(|v| v.parse::<f64>().ok()).map(|s| (s * 1000.0) as u64);
            }
            "-A" | "--user-agent" => {
                if let Some(v) = value() {
                    req.headers.push(("User-Agent".into(), v));
                }
            }
            "-b" | "--cookie" => {
                if let Some(v) = value() {
                    req.headers.push(("Cookie".into(), v));
                }
            }
            "--url" => req.url = value().unwrap_or_default(),
            // Presentation only: the response is shown anyway.
            "-w" | "--write-out" | "--connect-timeout" | "--retry" | "-e" | "--referer" => {
                let v = value().unwrap_or_default();
                req.ignored_flags.push(format!("{a} {v}"));
            }
            // What a native request cannot do (write a file, go through a proxy or socket,
            // present a client certificate): the line stays a shell step and curl runs it.
            "-o" | "--output" | "-O" | "--remote-name" | "-x" | "--proxy" | "--socks5" | "--socks5-hostname" | "--unix-socket"
            | "--cert" | "--key" | "--cacert" | "--resolve" | "-K" | "--config" | "-T" | "--upload-file" | "-F" | "--form" => {
                let v = if matches!(a, "-O" | "--remote-name") { String::new() } else { value().unwrap_or_default() };
                req.shell_reason.get_or_insert(format!("`{a} {v}` needs curl itself").replace("  ", " "));
            }
            _ if a.starts_with("-X") && a.len() > 2 => req.method = a[2..].to_ascii_uppercase(),
            _ if a.starts_with("-H") && a.len() > 2 => {
                if let Some((k, v)) = a[2..].split_once(':') {
                    req.headers.push((k.trim().to_owned(), v.trim().to_owned()));
                }
            }
            _ if a.starts_with("--") => long_flag(&mut req, a),
            _ if a.starts_with('-') && a.len() > 1 => bundled_short_flags(&mut req, a, &mut get_with_data),
            _ => {
                if req.url.is_empty() {
                    req.url = a.to_owned();
                } else {
                    req.ignored_flags.push(a.to_owned());
                }
            }
        }
        i += 1;
    }
    if get_with_data && let Some(body) = req.body.take() {
        let sep = if req.url.contains('?') { '&' } else { '?' };
        req.url = format!("{}{sep}{body}", req.url);
    }
    if req.method.is_empty() {
        req.method = if req.body.is_some() { "POST".into() } else { "GET".into() };
    }
    req
}

/// `--flag=value`: the method, a header or the body; any other is ignored.
fn long_flag(req: &mut HttpRequest, a: &str) {
    if let Some((flag, v)) = a.split_once('=') {
        match flag {
            "--request" => req.method = v.to_ascii_uppercase(),
            "--header" => {
                if let Some((k, val)) = v.split_once(':') {
                    req.headers.push((k.trim().to_owned(), val.trim().to_owned()));
                }
            }
            "--data" | "--data-raw" => req.body = Some(v.to_owned()),
            _ => req.ignored_flags.push(a.to_owned()),
        }
    } else {
        req.ignored_flags.push(a.to_owned());
    }
}

/// Bundled short flags such as `-sSfL`.
fn bundled_short_flags(req: &mut HttpRequest, a: &str, get_with_data: &mut bool) {
    for f in a[1..].chars() {
        match f {
            'k' => req.insecure = true,
            'L' => req.follow_redirects = true,
            'I' => req.method = "HEAD".into(),
            'G' => *get_with_data = true,
            _ => req.ignored_flags.push(format!("-{f}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heredocs_and_open_substitutions_continue() {
        let b = read_block("cat > /etc/app.yml <<EOF\ndb:\n  password: xxx\nEOF\necho done\n");
        assert_eq!(b.commands.len(), 2);
        assert_eq!(b.commands[0].text, "cat > /etc/app.yml <<EOF\ndb:\n  password: xxx\nEOF");
        let b = read_block("ROUTE=$(oc get routes/am\n--no-headers | awk '{print $2}')\necho $ROUTE\n");
        assert_eq!(b.commands.len(), 2);
        assert!(b.commands[0].text.ends_with("$2}')"));
        // A substitution inside double quotes closes too; arithmetic `<<` is no here-document.
        assert_eq!(read_block("NOW=\"$(date)\"\necho $NOW\n").commands.len(), 2);
        assert_eq!(read_block("echo $((1 << 20))\necho done\n").commands.len(), 2);
    }

    #[test]
    fn shell_and_host_prompts() {
        assert_eq!(strip_prompt("sh-5.1# cat /etc/hosts"), Some("cat /etc/hosts"));
        assert_eq!(strip_prompt("bash-4.4$ ls"), Some("ls"));
        assert_eq!(strip_prompt("workstation        $ knife ssh x"), Some("knife ssh x"));
        assert_eq!(strip_prompt("patroni-01-db-gstg $ sudo gitlab-ctl status"), Some("sudo gitlab-ctl status"));
        assert_eq!(strip_prompt("The total $ 5 was"), None);
        assert_eq!(strip_prompt("[kafka@broker-1 ~]$ df -h /data"), Some("df -h /data"));
        assert_eq!(strip_prompt("PS C:\\Users\\ops> Get-Service kubelet"), Some("Get-Service kubelet"));
        let b = read_session("# systemctl reboot\n# a comment\n# kill the stuck one\n", &|l| {
            l.starts_with("systemctl ") || l.starts_with("kill ")
        });
        assert_eq!(b.commands.len(), 1);
        assert_eq!(b.commands[0].text, "systemctl reboot");
    }

    #[test]
    fn prompts_and_output() {
        let b = read_block("$ kubectl get pods\nNAME   READY\nweb-1  1/1\nuser@host:~$ echo hi\nhi\n");
        let cmds: Vec<_> = b.commands.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(cmds, ["kubectl get pods", "echo hi"]);
        assert_eq!(b.output, ["NAME   READY", "web-1  1/1", "hi"]);
    }

    #[test]
    fn other_prompts() {
        assert_eq!(strip_prompt("gitlabhq_production=# SELECT 1;"), Some("SELECT 1;"));
        assert_eq!(strip_prompt("pgbouncer=# SHOW POOLS;"), Some("SHOW POOLS;"));
        assert_eq!(strip_prompt("patroni-01-db-gstg $ gitlab-patronictl list"), Some("gitlab-patronictl list"));
        assert_eq!(strip_prompt("a = b"), None);
        assert_eq!(strip_prompt("total $ 5"), None);
    }

    #[test]
    fn continuations_join() {
        let b = read_block("curl -s \\\n  -X POST https://x/y \\\n  -d '{\"a\":1}'\n# done\n");
        assert_eq!(b.commands.len(), 1);
        assert_eq!(b.comments, [(3, "done".to_owned())]);
        let req = parse_curl(&b.commands[0].text).unwrap();
        assert_eq!(req.method, "POST");
        assert_eq!(req.url, "https://x/y");
        assert_eq!(req.body.as_deref(), Some("{\"a\":1}"));
    }

    #[test]
    fn curl_with_headers_and_jq() {
        let req = parse_curl(r#"curl -sS -H "Authorization: Bearer $TOKEN" 'https://api/x?a=1' | jq '.items[] | .id'"#).unwrap();
        assert_eq!(req.method, "GET");
        assert_eq!(req.url, "https://api/x?a=1");
        assert_eq!(req.headers, [("Authorization".to_owned(), "Bearer $TOKEN".to_owned())]);
        assert_eq!(req.jq.as_deref(), Some(".items[] | .id"));
        assert_eq!(req.ignored_flags, ["-s", "-S"]);
        assert_eq!(parse_curl("curl -XDELETE http://h/i").unwrap().method, "DELETE");
        assert!(parse_curl("kubectl get pods").is_none());
        let req = parse_curl(r#"curl -k -H "Authorization: Bearer $(oc whoami -t)" https://prom/api/v1/targets"#).unwrap();
        assert_eq!(req.shell_reason.as_deref(), Some("a header or the body is built by the shell"));
        let req = parse_curl("curl -s -X POST https://es/_reindex --data-binary @- <<'EOF'\n{\"a\": 1}\nEOF").unwrap();
        assert_eq!(req.body.as_deref(), Some("{\"a\": 1}"));
        assert_eq!(req.shell_reason, None);
    }

    #[test]
    fn tokens_and_commands() {
        let t = tokenize("sudo rm -rf /tmp/x 2>/dev/null && echo 'a b' | wc -l");
        let cmds = simple_commands(&t);
        assert_eq!(cmds[0].0, ["sudo", "rm", "-rf", "/tmp/x"]);
        assert_eq!(cmds[1].0, ["echo", "a b"]);
        assert_eq!(command_name(&cmds[0].0), Some((1, "rm")));
    }
}
