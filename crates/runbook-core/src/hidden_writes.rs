//! Writes hidden inside commands that look like readers: an awk program that calls `system()`
//! or prints to a file, a sed script with `w` or `e`, a command the shell substitutes
//! (`` `…` ``, `$(…)`, `<(…)`, `>(…)`) before the reader even starts. The outer command
//! (`awk`, `sed -n`, `echo`, `cat`) says "read"; the code inside it decides. Code that cannot
//! be read here counts as a write, never as a read.

use crate::model::Risk;
use crate::risk::Classified;
use std::cell::Cell;

fn write(reason: impl Into<String>) -> Classified {
    Classified { risk: Risk::Write, reason: reason.into() }
}

/// How deep commands may nest (`$(… $(… $(…)))`, `bash -c "ssh h '…'"`) before the rest is
/// classified as a write without being read: a runbook is untrusted input, and each level is a
/// recursive call.
const MAX_NESTING: usize = 24;

thread_local! {
    static NESTING: Cell<usize> = const { Cell::new(0) };
}

/// One level of nested classification; dropping it leaves the level.
pub(crate) struct Nested(());

impl Drop for Nested {
    fn drop(&mut self) {
        NESTING.with(|n| n.set(n.get().saturating_sub(1)));
    }
}

/// Enters one more level of nesting, or `None` when commands nest too deep to read.
pub(crate) fn enter_nested() -> Option<Nested> {
    NESTING.with(|n| {
        if n.get() >= MAX_NESTING {
            return None;
        }
        n.set(n.get() + 1);
        Some(Nested(()))
    })
}

/// How a command is substituted: it shapes the reason given for its risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Substitution {
    /// `$(cmd)`
    Dollar,
    /// `` `cmd` ``
    Backtick,
    /// `<(cmd)` or `>(cmd)`
    Process,
}

impl Substitution {
    pub fn describe(self) -> &'static str {
        match self {
            Substitution::Dollar => "in `$(…)`",
            Substitution::Backtick => "in backticks",
            Substitution::Process => "in a process substitution",
        }
    }
}

/// The commands the shell runs while it expands a command line: `$(…)` and backticks (also
/// inside double quotes and redirection targets) and process substitutions `<(…)`/`>(…)`.
/// Single-quoted text is literal and skipped, except in a here-document, where quotes mean
/// nothing and `$(…)` runs: there every substitution counts. Nested ones are found when the
/// inner command is classified in turn.
pub fn substituted_commands(cmd: &str) -> Vec<(Substitution, &str)> {
    let mut out = scan(cmd, true);
    // `cat <<EOF … $(rm x) … EOF`: an apostrophe in the document must not hide what follows.
    if let Some(at) = cmd.find("<<").filter(|&i| !cmd[i + 2..].starts_with('<'))
        && let Some(nl) = cmd[at..].find('\n')
    {
        out.extend(scan(&cmd[at + nl..], false));
    }
    out
}

fn scan(cmd: &str, quotes: bool) -> Vec<(Substitution, &str)> {
    let b = cmd.as_bytes();
    let mut out = Vec::new();
    let mut double = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                i += 2;
                continue;
            }
            b'\'' if quotes && !double => {
                i = skip_single_quoted(b, i + 1, false);
                continue;
            }
            // `$'it\'s'`: ANSI-C quoting, where `\'` does not close the string.
            b'$' if quotes && !double && b.get(i + 1) == Some(&b'\'') => {
                i = skip_single_quoted(b, i + 2, true);
                continue;
            }
            b'"' if quotes => double = !double,
            // A comment runs to the end of the line: its apostrophes open no quote that could
            // hide the next line's `$(…)` (`ls # it's` / `echo $(rm x) # '`). In a
            // here-document (`quotes` off) `#` is text and the scan goes on.
            b'#' if quotes && !double && (i == 0 || b"\n\t ;&|()<>".contains(&b[i - 1])) => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'`' => {
                let end = closing_backtick(b, i + 1);
                out.push((Substitution::Backtick, &cmd[i + 1..end]));
                i = end + 1;
                continue;
            }
            // `$((1 + 2))` is arithmetic: only what is substituted inside it runs, and the scan
            // goes on through it.
            b'$' if b.get(i + 1) == Some(&b'(') && b.get(i + 2) == Some(&b'(') => {
                i += 3;
                continue;
            }
            b'$' if b.get(i + 1) == Some(&b'(') => {
                let end = closing_paren(b, i + 2);
                out.push((Substitution::Dollar, &cmd[i + 2..end]));
                i = end + 1;
                continue;
            }
            b'<' | b'>' if !double && b.get(i + 1) == Some(&b'(') => {
                let end = closing_paren(b, i + 2);
                out.push((Substitution::Process, &cmd[i + 2..end]));
                i = end + 1;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// The index after the closing `'` (or the end of the text).
fn skip_single_quoted(b: &[u8], mut i: usize, escapes: bool) -> usize {
    while i < b.len() {
        match b[i] {
            b'\\' if escapes => i += 1,
            b'\'' => return i + 1,
            _ => {}
        }
        i += 1;
    }
    b.len()
}

/// The index of the closing backtick, or the end of the text when it is missing (the rest
/// is then classified as the substituted command: nothing is left unread).
fn closing_backtick(b: &[u8], mut i: usize) -> usize {
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'`' => return i,
            _ => {}
        }
        i += 1;
    }
    b.len()
}

/// The index of the `)` closing a substitution opened just before `i`, skipping quoted text
/// and nested parentheses; the end of the text when it is missing.
fn closing_paren(b: &[u8], mut i: usize) -> usize {
    let mut depth = 1usize;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'\'' => {
                i = skip_single_quoted(b, i + 1, false);
                continue;
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

/// The risk of the code or mode given to a command that otherwise reads (`awk`, `sed`,
/// `find`, `sort`, `date`…), or `None` when this command carries none.
pub fn embedded_risk(base: &str, args: &[&str]) -> Option<Classified> {
    let has = |flags: &[&str]| {
        args.iter().any(|a| flags.contains(a) || flags.iter().any(|f| f.starts_with("--") && a.starts_with(&format!("{f}="))))
    };
    let operands = || args.iter().filter(|a| !a.starts_with('-') || **a == "-").count();
    match base {
        "awk" | "gawk" | "mawk" | "nawk" | "busybox-awk" => Some(awk(base, args)),
        "sed" | "gsed" => Some(sed(base, args)),
        "find" if has(&["-fprint", "-fprint0", "-fprintf", "-fls"]) => Some(write("`find -fprint` writes a file")),
        "split" | "csplit" => Some(write(format!("`{base}` writes files"))),
        "sort" | "shuf" | "iconv" if has(&["-o", "--output"]) || args.iter().any(|a| a.starts_with("-o") && a.len() > 2) => {
            Some(write(format!("`{base} -o` writes a file")))
        }
        "uniq" | "xxd" if operands() >= 2 => Some(write(format!("`{base}` writes its second operand"))),
        "date" if has(&["-s", "--set"]) => Some(write("`date -s` sets the clock")),
        "hostname" if operands() > 0 || has(&["-F", "--file", "-b", "--boot"]) => Some(write("`hostname` sets the host name")),
        "yq" if has(&["-i", "--inplace"]) => Some(write("`yq -i` edits a file in place")),
        "dmesg" if has(&["-c", "-C", "--clear", "--read-clear", "-n", "--console-level", "-D", "--console-off", "-E", "--console-on"]) => {
            Some(write("`dmesg` clears the buffer or changes the console level"))
        }
        "openssl" if has(&["-out", "-keyout"]) => Some(write("`openssl -out` writes a file")),
        "less" if has(&["-o", "-O", "--log-file", "--LOG-FILE"]) => Some(write("`less -o` writes a log file")),
        "file" if has(&["-C", "--compile"]) => Some(write("`file -C` writes a magic file")),
        _ => None,
    }
}

/// An awk program: `system()`, a pipe (`print | "cmd"`, `"cmd" | getline`, gawk's `|&`) and
/// output redirected to a file (`print > "f"`) run or write; programs read from a file or
/// extensions loaded are not read here.
fn awk(base: &str, args: &[&str]) -> Classified {
    let mut programs: Vec<&str> = Vec::new();
    let mut i = 0;
    while let Some(&a) = args.get(i) {
        match a {
            "--" => {
                i += 1;
                break;
            }
            "-F" | "-v" | "--assign" | "--field-separator" => i += 2,
            "-W" => {
                // mawk `-W exec file`: the program comes from a file.
                if args.get(i + 1).is_some_and(|v| v.starts_with('e')) {
                    return write(format!("`{base} -W exec` runs a program not read here"));
                }
                i += 2;
            }
            "-e" | "--source" => {
                programs.extend(args.get(i + 1));
                i += 2;
            }
            _ if a.starts_with("--source=") => {
                programs.push(&a["--source=".len()..]);
                i += 1;
            }
            _ if a.starts_with("-f")
                || a.starts_with("--file")
                || a.starts_with("-E")
                || a.starts_with("--exec")
                || a.starts_with("-i")
                || a.starts_with("--include")
                || a.starts_with("-l")
                || a.starts_with("--load") =>
            {
                return write(format!("`{base} {a}` runs a program not read here"));
            }
            _ if a.starts_with('-') && a.len() > 1 => i += 1,
            _ => break,
        }
    }
    if programs.is_empty() {
        match args.get(i) {
            Some(p) => programs.push(p),
            None => return write(format!("`{base}` without a program")),
        }
    }
    for p in programs {
        if let Some(why) = awk_program_writes(p) {
            return write(format!("`{base}` program {why}"));
        }
    }
    Classified { risk: Risk::Read, reason: "read-only command".into() }
}

/// Whether an awk program runs commands or writes files, as the reason, or why it could not
/// be read. A small lexer: strings and regular expressions are skipped, so `/a|b/` is no
/// pipe and `"x > y"` no redirection; `>` is a redirection inside a `print` statement outside
/// parentheses (as awk reads it), a comparison elsewhere.
fn awk_program_writes(program: &str) -> Option<String> {
    let b = program.as_bytes();
    let mut i = 0;
    // Whether the last token ends a value: then `/` divides; otherwise it opens a regex.
    let mut after_value = false;
    let mut depth = 0usize;
    let mut print_depth: Option<usize> = None;
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\r' => {}
            b'\n' | b';' | b'{' | b'}' => {
                print_depth = None;
                after_value = false;
            }
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'\\' => i += 1,
            b'"' => {
                let Some(end) = awk_string_end(b, i) else { return Some("is not understood here (a string is not closed)".into()) };
                i = end;
                after_value = true;
                continue;
            }
            b'/' if after_value => after_value = false,
            b'/' => {
                let Some(end) = awk_regex_end(b, i) else { return Some("is not understood here (a regex is not closed)".into()) };
                i = end;
                after_value = true;
                continue;
            }
            b'(' | b'[' => {
                depth += 1;
                after_value = false;
            }
            b')' | b']' => {
                depth = depth.saturating_sub(1);
                after_value = true;
            }
            b'|' if b.get(i + 1) == Some(&b'|') => {
                i += 1;
                after_value = false;
            }
            b'|' => return Some("runs a command through a pipe".into()),
            b'>' if print_depth == Some(depth) => {
                let mut j = i + 1 + usize::from(b.get(i + 1) == Some(&b'>'));
                while b.get(j).is_some_and(|c| *c == b' ' || *c == b'\t') {
                    j += 1;
                }
                let target = b.get(j).filter(|c| **c == b'"').and_then(|_| awk_string_end(b, j).map(|end| &program[j + 1..end - 1]));
                if !matches!(target, Some("/dev/stderr" | "/dev/stdout" | "/dev/null")) {
                    return Some("prints to a file".into());
                }
                after_value = false;
            }
            // gawk `@load "inplace"`, `@include "x.awk"`, `@f()` indirect calls.
            b'@' => return Some("loads code not read here (`@`)".into()),
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                let word = &program[start..i];
                match word {
                    "system" => return Some("calls `system()`".into()),
                    "print" | "printf" => {
                        print_depth = Some(depth);
                        after_value = false;
                    }
                    // After these a regex may follow: `return /x/`, `$0 ~ /x/ in …`.
                    "return" | "in" | "case" | "else" | "do" | "getline" => after_value = false,
                    _ => after_value = true,
                }
                continue;
            }
            c if c.is_ascii_digit() || c == b'.' => after_value = true,
            _ => after_value = false,
        }
        i += 1;
    }
    None
}

/// The index after the closing quote of the string opening at `i`; `None` when it is not
/// closed on its line (awk would reject the program; it is not read here either).
fn awk_string_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 1,
            b'"' => return Some(j + 1),
            b'\n' => return None,
            _ => {}
        }
        j += 1;
    }
    None
}

/// The index after the closing `/` of the regex opening at `i` (`[/]` inside brackets does
/// not close it); `None` when it does not close on its line.
fn awk_regex_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    let mut bracket = false;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 1,
            b'[' if !bracket => {
                bracket = true;
                // `[]…]` and `[^]…]`: a leading `]` is a member, not the end.
                if b.get(j + 1) == Some(&b'^') {
                    j += 1;
                }
                if b.get(j + 1) == Some(&b']') {
                    j += 1;
                }
            }
            b']' if bracket => bracket = false,
            b'/' if !bracket => return Some(j + 1),
            b'\n' => return None,
            _ => {}
        }
        j += 1;
    }
    None
}

/// sed: `-i` edits in place, `-f` runs a script not read here, and the script itself may
/// write (`w file`, `s/…/…/w file`) or run commands (`e`, `s/…/…/e`).
fn sed(base: &str, args: &[&str]) -> Classified {
    let mut scripts: Vec<&str> = Vec::new();
    let mut i = 0;
    while let Some(&a) = args.get(i) {
        if a == "--" {
            i += 1;
            break;
        }
        if a == "--expression" {
            scripts.extend(args.get(i + 1));
            i += 2;
            continue;
        }
        if let Some(s) = a.strip_prefix("--expression=") {
            scripts.push(s);
        } else if a.starts_with("--in-place") {
            return write(format!("`{base} -i` edits a file in place"));
        } else if a == "--file" || a.starts_with("--file=") {
            return write(format!("`{base} -f` runs a script not read here"));
        } else if a == "--line-length" {
            i += 1;
        } else if a.starts_with("--") {
            // --quiet, --regexp-extended, --posix, --sandbox, --null-data…
        } else if let Some(flags) = a.strip_prefix('-').filter(|f| !f.is_empty()) {
            // A bundle of short flags: `-ne 'p'`, `-Ei`, `-e's/a/b/'`.
            for (at, f) in flags.char_indices() {
                match f {
                    'i' => return write(format!("`{base} -i` edits a file in place")),
                    'f' => return write(format!("`{base} -f` runs a script not read here")),
                    'e' | 'l' => {
                        let rest = &flags[at + 1..];
                        let value = if rest.is_empty() {
                            i += 1;
                            args.get(i).copied()
                        } else {
                            Some(rest)
                        };
                        if f == 'e' {
                            scripts.extend(value);
                        }
                        break;
                    }
                    _ => {}
                }
            }
        } else {
            break;
        }
        i += 1;
    }
    if scripts.is_empty() {
        match args.get(i) {
            Some(s) => scripts.push(s),
            None => return write(format!("`{base}` without a script")),
        }
    }
    for s in scripts {
        if let Some(why) = sed_script_writes(s) {
            return write(format!("`{base}` script {why}"));
        }
    }
    Classified { risk: Risk::Read, reason: "read-only command".into() }
}

/// Whether a sed script writes a file or runs a command, as the reason, or why it could not
/// be read: commands are read one by one (address, command letter, its arguments), and a
/// letter not known here stops the reading.
fn sed_script_writes(script: &str) -> Option<String> {
    let b = script.as_bytes();
    let mut i = 0;
    let not_understood = || Some("is not understood here".to_owned());
    let to_line_end = |mut i: usize| {
        while i < b.len() && b[i] != b'\n' {
            i += 1;
        }
        i
    };
    let to_command_end = |mut i: usize| {
        while i < b.len() && !matches!(b[i], b'\n' | b';' | b'}') {
            i += 1;
        }
        i
    };
    loop {
        while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\r' | b'\n' | b';' | b'}') {
            i += 1;
        }
        if i >= b.len() {
            return None;
        }
        i = match sed_address(b, i) {
            Some(i) => i,
            None => return not_understood(),
        };
        while i < b.len() && matches!(b[i], b' ' | b'\t' | b'!') {
            i += 1;
        }
        let Some(&command) = b.get(i) else { return not_understood() };
        i += 1;
        match command {
            b'{' | b'=' | b'd' | b'D' | b'g' | b'G' | b'h' | b'H' | b'n' | b'N' | b'p' | b'P' | b'x' | b'z' | b'F' => {}
            b'#' | b':' => i = to_line_end(i),
            b'b' | b't' | b'T' | b'q' | b'Q' | b'l' | b'L' | b'v' => i = to_command_end(i),
            // Text to add, or a file to read: the rest of the line (and `\`-continued lines).
            b'a' | b'i' | b'c' | b'r' | b'R' => loop {
                i = to_line_end(i);
                if i > 0 && b[i - 1] == b'\\' && i < b.len() {
                    i += 1;
                    continue;
                }
                break;
            },
            b'w' | b'W' => return Some("writes a file (`w`)".into()),
            b'e' => return Some("runs a command (`e`)".into()),
            b's' | b'y' => {
                let Some(&delim) = b.get(i).filter(|d| !matches!(d, b'\n' | b'\\')) else { return not_understood() };
                for _ in 0..2 {
                    i = match sed_delimited_end(b, i + 1, delim) {
                        Some(end) => end,
                        None => return not_understood(),
                    };
                }
                i += 1;
                if command == b's' {
                    while let Some(&f) = b.get(i) {
                        match f {
                            b'w' => return Some("writes a file (`s///w`)".into()),
                            b'e' => return Some("runs a command (`s///e`)".into()),
                            b'g' | b'p' | b'i' | b'I' | b'm' | b'M' | b'0'..=b'9' => i += 1,
                            b' ' | b'\t' | b'\r' | b'\n' | b';' | b'}' => break,
                            _ => return not_understood(),
                        }
                    }
                }
            }
            _ => return not_understood(),
        }
    }
}

/// The index after an optional address (`12`, `$`, `/re/I`, `\%re%`, `1~2`, `addr,+3`).
fn sed_address(b: &[u8], mut i: usize) -> Option<usize> {
    for part in 0..2 {
        if part == 1 {
            if b.get(i) != Some(&b',') {
                break;
            }
            i += 1;
            while b.get(i) == Some(&b' ') {
                i += 1;
            }
        }
        match b.get(i) {
            Some(b'/') => i = sed_delimited_end(b, i + 1, b'/')? + 1,
            Some(b'\\') => {
                let delim = *b.get(i + 1)?;
                i = sed_delimited_end(b, i + 2, delim)? + 1;
            }
            Some(b'$') => i += 1,
            Some(b'+' | b'~' | b'0'..=b'9') => {
                i += 1;
                while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'~') {
                    i += 1;
                }
            }
            _ => break,
        }
        while b.get(i).is_some_and(|c| matches!(c, b'I' | b'M')) {
            i += 1;
        }
    }
    Some(i)
}

/// The index of the unescaped `delim` ending a regex or replacement that starts at `i`.
fn sed_delimited_end(b: &[u8], mut i: usize, delim: u8) -> Option<usize> {
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            c if c == delim => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use crate::model::Risk;
    use crate::risk::classify_shell;
    use crate::testing::shell_risk as sh;

    #[test]
    fn awk_programs_that_run_or_write() {
        sh(r#"awk 'BEGIN{system("touch f")}'"#, Risk::Write);
        sh(r#"awk '{print > "f"}' app.log"#, Risk::Write);
        sh(r#"awk '{print $1 >> "/tmp/ips"}' access.log"#, Risk::Write);
        sh(r#"gawk '{printf("%s\n", $1) > "out"}' x"#, Risk::Write);
        sh(r#"awk '{print | "sh"}' cmds"#, Risk::Write);
        sh(r#"awk 'BEGIN { "date" | getline d; print d }'"#, Risk::Write);
        sh(r#"gawk '{ print |& "cat" }'"#, Risk::Write);
        sh("awk -f fix.awk data", Risk::Write);
        sh("gawk -i inplace '{sub(/a/, \"b\")} 1' f", Risk::Write);
        sh("awk '@load \"filefuncs\"; BEGIN{}'", Risk::Write);
        // An unclosed string is not read: a write.
        sh("awk '{print \"x}'", Risk::Write);
    }

    #[test]
    fn awk_programs_that_only_read() {
        sh("awk '{print $2}' access.log", Risk::Read);
        sh("awk '$3 > 100 {print $1}' access.log", Risk::Read);
        sh("awk '/error|warn/ {n++} END {print n}' app.log", Risk::Read);
        sh("awk -F: '$3 >= 1000 || $1 == \"root\" {print $1}' /etc/passwd", Risk::Read);
        sh("awk '{print ($2 > 5 ? \"big\" : \"small\")}' f", Risk::Read);
        sh("awk '{print \"a > b | c\"}' f", Risk::Read);
        sh("awk '{ total += $2 / 1024 } END { print total }' f", Risk::Read);
        sh("awk '{print $(NF-1)}' f", Risk::Read);
        sh("awk '$0 ~ /[/]x/' f", Risk::Read);
        sh(r#"awk '{print "bad line" > "/dev/stderr"}' f"#, Risk::Read);
        sh("ps aux | awk '$3 > 50'", Risk::Read);
    }

    #[test]
    fn sed_scripts_that_write_or_run() {
        sh("sed -n 'w f' app.log", Risk::Write);
        sh("sed -n '/ERROR/w errors.txt' app.log", Risk::Write);
        sh("sed 's/a/b/w changed' f", Risk::Write);
        sh("sed 's/.*/date/e' f", Risk::Write);
        sh("sed '1e touch f' x", Risk::Write);
        sh("sed -e p -e 'W out' f", Risk::Write);
        sh("sed --expression='w out' f", Risk::Write);
        sh("sed -f fix.sed f", Risk::Write);
        sh("sed -i.bak 's/a/b/' f", Risk::Write);
        sh("sed --in-place 's/a/b/' f", Risk::Write);
        sh("sed -n 's/a/b/pw f' x", Risk::Write);
        sh("sed 'k' f", Risk::Write);
    }

    #[test]
    fn sed_scripts_that_only_read() {
        sh("sed -n '10,20p' app.log", Risk::Read);
        sh("sed 's/password=.*/password=***/g' app.conf", Risk::Read);
        sh("sed -n '/start/,/end/{/x/d;p}' f", Risk::Read);
        sh("sed -E 's#/var/(log|lib)#X#2' f", Risk::Read);
        sh("sed '$!N;s/\\n/ /' f", Risk::Read);
        sh("sed -ne 's/^x//p' f", Risk::Read);
        sh("sed '1i header' f", Risk::Read);
        sh("kubectl get pods | sed 1d", Risk::Read);
        sh("sed 'y/abc/xyz/' f", Risk::Read);
    }

    #[test]
    fn substituted_commands_count() {
        sh("echo `rm -f f`", Risk::Destructive);
        sh("echo \"today: `date`\"", Risk::Read);
        sh("echo \"$(rm -f f)\"", Risk::Destructive);
        sh("cat <(rm -f f)", Risk::Destructive);
        sh("diff <(ls a) <(ls b)", Risk::Read);
        sh("ls | tee >(touch f)", Risk::Write);
        sh("echo hi > $(rm -rf /x)", Risk::Destructive);
        sh("echo $((1 + $(rm -f f)))", Risk::Destructive);
        sh("echo $(echo $(echo `rm f`))", Risk::Destructive);
        // Single quotes keep text literal…
        sh("echo '$(rm -f f)'", Risk::Read);
        // …but not an escaped quote in ANSI-C quoting, nor any quote in a here-document.
        sh("echo $'it\\'s' $(rm -f f)", Risk::Destructive);
        sh("cat <<EOF\nit's\n$(rm -f f)\n'\nEOF", Risk::Destructive);
        // A comment's apostrophe hides nothing on the next line; `$#` and `${#x}` are no comments.
        sh("ls # it's here\necho $(rm -rf /x) # '", Risk::Destructive);
        sh("echo $# ${#x} $(rm -f f)", Risk::Destructive);
        sh("ls # see `man ls`", Risk::Read);
        // An unclosed substitution is read to the end.
        sh("echo $(rm -f f", Risk::Destructive);
    }

    #[test]
    fn readers_with_a_writing_mode() {
        sh("find /tmp -name x -delete", Risk::Destructive);
        sh("find / -name '*.log' -fprint /tmp/list", Risk::Write);
        sh("sort -o out.txt in.txt", Risk::Write);
        sh("uniq in.txt out.txt", Risk::Write);
        sh("uniq -c in.txt", Risk::Read);
        sh("date -s '2020-01-01'", Risk::Write);
        sh("date +%s", Risk::Read);
        sh("split -l 100 big.log", Risk::Write);
        sh("hostname db2", Risk::Write);
        sh("hostname -f", Risk::Read);
        sh("dmesg -c", Risk::Write);
        sh("dmesg -T | tail", Risk::Read);
        sh("yq -i '.a = 1' f.yaml", Risk::Write);
    }

    #[test]
    fn deep_nesting_is_a_write_not_a_crash() {
        let deep = format!("echo {}x{}", "$(".repeat(5000), ")".repeat(5000));
        assert!(classify_shell(&deep).risk >= Risk::Write);
        let deep_backticks = format!("echo {}", "\\`".repeat(5000));
        let _ = classify_shell(&deep_backticks);
    }
}
