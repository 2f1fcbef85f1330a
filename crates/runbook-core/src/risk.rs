//! Risk classes: SQL by statement type (sqlparser, not a regex), HTTP by method, shell by
//! command. When in doubt a step is classified as riskier, never as safer.

use crate::hidden_writes;
use crate::model::Risk;
use crate::shell;
use sqlparser::ast::{Query, SetExpr, Statement};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    pub risk: Risk,
    pub reason: String,
}

fn classified(risk: Risk, reason: impl Into<String>) -> Classified {
    Classified { risk, reason: reason.into() }
}

fn max(a: Classified, b: Classified) -> Classified {
    if b.risk > a.risk { b } else { a }
}

/// Functions that change server state even inside a SELECT.
const MUTATING_FUNCTIONS: &[(&str, Risk)] = &[
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
const MUTATING_PREFIXES: &[(&str, Risk)] = &[
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

fn classify_statement(s: &Statement) -> Classified {
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
fn alter_loses_data(sql: &str) -> bool {
    let upper = sql.to_ascii_uppercase();
    upper.contains(" DROP ") || upper.contains(" TYPE ") || upper.contains("TRUNCATE")
}

fn classify_query(q: &Query) -> Classified {
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

fn classify_set_expr(e: &SetExpr) -> Classified {
    match e {
        SetExpr::Insert(_) => classified(Risk::Write, "INSERT statement"),
        SetExpr::Update(_) | SetExpr::Merge(_) => classified(Risk::Write, "UPDATE statement"),
        SetExpr::Delete(_) => classified(Risk::Destructive, "DELETE statement"),
        SetExpr::Query(q) => classify_query(q),
        SetExpr::SetOperation { left, right, .. } => max(classify_set_expr(left), classify_set_expr(right)),
        _ => classified(Risk::Read, "SELECT statement"),
    }
}

fn classify_functions(sql: &str) -> Option<Classified> {
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

/// An HTTP request: by method, and a write whose path says it deletes (`POST /_delete_by_query`,
/// `…/purge`, `…?forget=`) is destructive.
pub fn classify_http(method: &str, url: &str) -> Classified {
    let by_method = classify_http_method(method);
    let path = url.split_once("://").map_or(url, |(_, rest)| rest.split_once('/').map_or("", |(_, p)| p)).to_ascii_lowercase();
    let deletes = ["delete", "purge", "forget", "wipe", "truncate", "drop"].iter().find(|w| path.contains(*w));
    match deletes {
        Some(w) if by_method.risk == Risk::Write => classified(Risk::Destructive, format!("HTTP {method} to a path that says `{w}`")),
        _ => by_method,
    }
}

pub fn classify_http_method(method: &str) -> Classified {
    match method.to_ascii_uppercase().as_str() {
        "GET" | "HEAD" | "OPTIONS" => classified(Risk::Read, format!("HTTP {method}")),
        "DELETE" => classified(Risk::Destructive, "HTTP DELETE"),
        m => classified(Risk::Write, format!("HTTP {m}")),
    }
}

crate::word_set!(
    /// Commands that only read, whatever their arguments say (`grep delete app.log` reads).
    READERS = [
    "grep",
    "egrep",
    "zgrep",
    "rg",
    "cat",
    "zcat",
    "less",
    "more",
    "tail",
    "head",
    "ls",
    "ll",
    "echo",
    "printf",
    "jq",
    "yq",
    "awk",
    "wc",
    "sort",
    "uniq",
    "cut",
    "ps",
    "top",
    "htop",
    "df",
    "du",
    "free",
    "uptime",
    "date",
    "dig",
    "nslookup",
    "host",
    "ping",
    "traceroute",
    "mtr",
    "netstat",
    "ss",
    "lsof",
    "stat",
    "file",
    "which",
    "whoami",
    "id",
    "hostname",
    "uname",
    "env",
    "printenv",
    "journalctl",
    "dmesg",
    "vmstat",
    "iostat",
    "sar",
    "watch",
    "tr",
    "column",
    "openssl",
    "nc",
    "telnet",
    "diff",
    "md5sum",
    "sha256sum",
    "base64",
    "xargs",
    "tee",
]);

crate::word_set!(
    DESTRUCTIVE_COMMANDS = [
        "rm", "rmdir", "kill", "pkill", "killall", "shred", "dd", "truncate", "reboot", "shutdown", "halt", "poweroff", "dropdb",
        "dropuser", "wipefs", "fdisk", "parted", "mkfs", "unlink", "lvremove", "vgremove", "pvremove", "del", "erase", "rd",
    ]
);

crate::word_set!(
    DESTRUCTIVE_VERBS = [
        "delete",
        // `apt-get autoremove`: packages go.
        "autoremove",
        "drop",
        "destroy",
        "terminate",
        "purge",
        "remove",
        "rm",
        "rmi",
        "uninstall",
        "evict",
        "wipe",
        "flushall",
        "flushdb",
        "del",
        "kill",
        "undo",
        "prune",
        "reset",
        "truncate",
        "force-delete",
        "reinit",
        "demote",
        // Windows: `az vmss reimage`.
        "reimage",
        "rb",
        "cleanup",
        "clean",
    ]
);

crate::word_set!(
    WRITE_COMMANDS = [
        "mv",
        "cp",
        "chmod",
        "chown",
        "ln",
        "mkdir",
        "touch",
        "install",
        "rsync",
        "scp",
        "crontab",
        "useradd",
        "usermod",
        "passwd",
        "createdb",
        "pg_restore",
        "vacuumdb",
        "reindexdb",
        "pg_repack",
    ]
);

crate::word_set!(
    WRITE_VERBS = [
        // A stopped, restarted or rolled-back service, a failed-over database, a drained node:
        // the state changes and comes back, nothing is lost.
        "stop",
        "restart",
        "reboot",
        "rollback",
        "roll-back",
        "failover",
        "switchover",
        "drain",
        "apply",
        "create",
        "patch",
        "scale",
        "edit",
        "label",
        "annotate",
        "cordon",
        "uncordon",
        "set",
        "update",
        "upgrade",
        "install",
        "enable",
        "disable",
        "start",
        "reload",
        "resume",
        "pause",
        "promote",
        "push",
        "commit",
        "put",
        "post",
        "insert",
        "add",
        "replace",
        "rollout",
        "taint",
        "expire",
        "reconfigure",
        "rotate",
        "resize",
        "sync",
        "import",
        "restore",
        "migrate",
        "config",
        "configure",
        "write",
        "mv",
        "cp",
        "exec",
        "run",
        "runner",
    ]
);

/// Classifies a shell command line (one command, possibly a pipeline).
pub fn classify_shell(cmd: &str) -> Classified {
    let Some(_level) = hidden_writes::enter_nested() else {
        return classified(Risk::Write, "commands nested too deep to read");
    };
    max(classify_shell_line(cmd), classify_substituted(cmd))
}

/// The commands the shell substitutes while expanding the line (`` `…` ``, `$(…)`, `<(…)`)
/// run before it, whatever the outer command is: `echo `rm -f f`` is destructive.
fn classify_substituted(cmd: &str) -> Classified {
    let mut out = classified(Risk::Read, "read-only command");
    for (how, inner) in hidden_writes::substituted_commands(cmd) {
        let c = classify_shell(inner);
        if c.risk > out.risk {
            out = classified(c.risk, format!("{}: {}", how.describe(), c.reason));
        }
    }
    out
}

fn classify_shell_line(cmd: &str) -> Classified {
    if cmd.contains("curl")
        && let Some(req) = shell::parse_curl(cmd)
        && req.shell_reason.is_none()
    {
        return classify_http(&req.method, &req.url);
    }
    let tokens = shell::tokenize(cmd);
    let mut out = classified(Risk::Read, "read-only command");
    for t in &tokens {
        if let shell::Token::Op(op) = t
            && (op.ends_with('>') || op.ends_with(">>"))
        {
            out = max(out, classified(Risk::Write, "redirects output to a file"));
        }
    }
    // `> /dev/null` is not a write.
    if cmd.contains(">/dev/null") || cmd.contains("> /dev/null") {
        let redirects = tokens.iter().filter(|t| matches!(t, shell::Token::Op(op) if op.contains('>') && !op.contains('&'))).count();
        let to_null = cmd.matches("/dev/null").count();
        if redirects <= to_null && out.reason == "redirects output to a file" {
            out = classified(Risk::Read, "read-only command");
        }
    }
    // `psql < restore.sql`: the file's statements run, unread here.
    let reads_file = tokens.iter().any(|t| matches!(t, shell::Token::Op(op) if op == "<"));
    let mut piped = false;
    for (words, op) in shell::simple_commands(&tokens) {
        if reads_file
            && shell::command_name(&words)
                .is_some_and(|(_, n)| matches!(n, "psql" | "gitlab-psql" | "mysql" | "sqlite3" | "redis-cli" | "mongo" | "mongosh"))
        {
            out = max(out, classified(Risk::Write, "runs statements from a file"));
        }
        out = max(out, classify_simple_command(&words));
        // `curl … | bash`: an interpreter reading a pipe runs code nobody has read.
        let interpreter = shell::command_name(&words)
            .is_some_and(|(_, n)| matches!(n, "bash" | "sh" | "zsh" | "python" | "python3" | "perl" | "ruby" | "node"));
        if piped && interpreter && words.len() <= 3 {
            out = max(out, classified(Risk::Write, "pipes into an interpreter"));
        }
        piped = op == Some("|");
    }
    out
}

crate::word_set!(
    /// Commands whose later words are subcommands (`gcloud --project p compute instances stop`).
    SUBCOMMAND_TOOLS = [
    "kubectl",
    "oc",
    "gcloud",
    "aws",
    "az",
    "helm",
    "systemctl",
    "service",
    "docker",
    "podman",
    "gitlab-ctl",
    "consul",
    "vault",
    "nomad",
    "terraform",
    "tf",
    "patronictl",
    "gitlab-patronictl",
    "gitlab-rake",
    "knife",
    "ceph",
    "rados",
    "rbd",
    "velero",
    "argocd",
    "supervisorctl",
    "sv",
    "etcdctl",
    "crictl",
    "virtctl",
    "openstack",
    "gsutil",
    "git",
    "apt",
    "apt-get",
    "yum",
    "dnf",
    "snap",
    "rabbitmqctl",
    "nodetool",
    "istioctl",
    "flux",
    "glab",
    "gh",
    "gitlab-rails",
    "ocm",
    "pip",
    "pip3",
    "gem",
    "npm",
    "bundle",
    "perf",
    "wal-g",
    "pgbackrest",
    "mc",
    "s3cmd",
    "rclone",
    "eksctl",
    "doctl",
    "minikube",
    "kind",
    "sentry-cli",
    "docker-machine",
    "amtool",
    "promtool",
]);

/// Destructive commands that become harmless with these flags.
fn is_dry_run(args: &[&str]) -> bool {
    args.iter().any(|a| a.starts_with("--dry-run") || *a == "--dryrun")
}

/// `git clean -n`, `rsync -n`: `-n` is a dry run for these.
fn is_short_dry_run(base: &str, args: &[&str]) -> bool {
    match base {
        "git" => args.first() == Some(&"clean") && args.iter().any(|a| a.starts_with('-') && !a.starts_with("--") && a.contains('n')),
        "rsync" => args.iter().any(|a| a.starts_with('-') && !a.starts_with("--") && a.contains('n')),
        // `gsutil -m rsync -n -r src dst`: rsync's `-n` lists what it would copy.
        "gsutil" => args
            .iter()
            .position(|a| *a == "rsync")
            .is_some_and(|at| args[at + 1..].iter().any(|a| a.starts_with('-') && !a.starts_with("--") && a.contains('n'))),
        _ => false,
    }
}

/// One command. What it substitutes (`POD=$(kubectl delete pod web-0 -o name)`) was read
/// with the whole line by [`classify_substituted`], once: reading it again here would double
/// the work at every level of nesting.
fn classify_simple_command(words: &[&str]) -> Classified {
    classify_command(words)
}

/// PowerShell's `Verb-Noun` cmdlets (`Remove-Item`, `Get-Service`): the verb says the risk.
fn powershell_cmdlet(name: &str) -> Option<Classified> {
    let (verb, noun) = name.split_once('-')?;
    let cased = |w: &str| w.starts_with(|c: char| c.is_ascii_uppercase()) && w.chars().all(|c| c.is_ascii_alphanumeric());
    if !cased(verb) || !cased(noun) {
        return None;
    }
    let risk = match verb.to_ascii_lowercase().as_str() {
        "remove" | "stop" | "restart" | "clear" | "uninstall" | "disable" | "unregister" | "reset" | "suspend" => Risk::Destructive,
        "get" | "select" | "measure" | "test" | "show" | "find" | "format" | "out" | "write" | "compare" | "convertto" | "convertfrom"
        | "where" | "sort" | "group" | "resolve" | "trace" | "wait" => Risk::Read,
        _ => Risk::Write,
    };
    Some(classified(risk, format!("`{name}` cmdlet")))
}

fn classify_command(words: &[&str]) -> Classified {
    let Some((at, name)) = shell::command_name(words) else {
        return classified(Risk::Read, "assignment");
    };
    let base = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
    let args = &words[at + 1..];
    if SHELL_SYNTAX.contains(&base) {
        return classified(Risk::Read, "shell syntax");
    }
    if let Some(c) = powershell_cmdlet(name) {
        return c;
    }
    // `--no-headers | awk …` on its own line: options of the line above, written without `\`.
    if base.starts_with('-') {
        return classified(Risk::Read, "options continuing the line above");
    }
    // `trap 'rm -rf $TMP' EXIT`: the command runs later, but it runs.
    if base == "trap" {
        return args.first().map_or(classified(Risk::Read, "shell syntax"), |cmd| classify_words(&[cmd]));
    }
    // Commands run elsewhere or by another program: `ssh host sudo rm x`, `bash -c '…'`,
    // `kubectl exec pod -- rm x`, `xargs rm`. The inner command decides.
    match base.as_str() {
        "ssh" => {
            // Options may follow the host (`ssh host -D 5000`); the command starts at the
            // second word that is neither an option nor an option's value.
            const VALUE_FLAGS: &[&str] =
                &["-b", "-c", "-D", "-E", "-e", "-F", "-I", "-i", "-J", "-L", "-l", "-m", "-O", "-o", "-p", "-Q", "-R", "-S", "-W", "-w"];
            let (mut i, mut host_seen) = (0, false);
            while let Some(a) = args.get(i) {
                if a.starts_with('-') {
                    i += if VALUE_FLAGS.contains(a) { 2 } else { 1 };
                } else if !host_seen {
                    host_seen = true;
                    i += 1;
                } else {
                    return classify_words(&args[i..]);
                }
            }
            return classified(Risk::Read, "opens an `ssh` session");
        }
        "knife" => {
            // `knife ssh QUERY COMMAND`: the query selects hosts, the command runs on them.
            if let Some(i) = args.iter().position(|a| *a == "ssh") {
                // Options may sit between the query and the command: `knife ssh Q -x ubuntu 'cmd'`.
                const VALUE_FLAGS: &[&str] =
                    &["-C", "-a", "-x", "-i", "-p", "-P", "-m", "-G", "--attribute", "--ssh-user", "--ssh-gateway"];
                let mut positional = Vec::new();
                let mut j = i + 1;
                while let Some(a) = args.get(j) {
                    if a.starts_with('-') {
                        j += if VALUE_FLAGS.contains(a) { 2 } else { 1 };
                    } else {
                        positional.push(*a);
                        j += 1;
                    }
                }
                if let Some(command) = positional.get(1) {
                    return classify_words(std::slice::from_ref(command));
                }
            }
        }
        "bash" | "sh" | "zsh" | "dash" | "su" => {
            if let Some(w) = args.windows(2).find(|w| w[0] == "-c") {
                return classify_words(&[w[1]]);
            }
            if matches!(args, [_, "-h" | "--help"]) {
                return classified(Risk::Read, format!("`{base}` script asked for help"));
            }
            if base != "su" && args.iter().any(|a| !a.starts_with('-')) {
                return classified(Risk::Write, format!("`{base}` runs a script"));
            }
            return classified(Risk::Read, format!("opens a `{base}` shell"));
        }
        "xargs" | "watch" | "timeout" | "flock" | "stdbuf" | "ionice" | "chroot" | "nsenter" | "unbuffer" | "strace" | "envdir" => {
            let value_flags: &[&str] = match base.as_str() {
                "xargs" => &["-I", "-n", "-P", "-L", "-d", "-E", "-s", "-a", "--max-args", "--max-procs", "--delimiter"],
                "watch" => &["-n", "--interval", "-d"],
                "timeout" => &["-s", "-k", "--signal", "--kill-after"],
                "strace" => &["-e", "-o", "-p", "-s"],
                "ionice" => &["-c", "-n"],
                "nsenter" => &["-t", "--target"],
                _ => &[],
            };
            let mut rest = after_options(args, value_flags);
            // `timeout 10 cmd`, `flock /tmp/lock cmd`, `chroot /host cmd`: one operand first.
            if matches!(base.as_str(), "timeout" | "flock" | "chroot" | "envdir") && !rest.is_empty() {
                rest = &rest[1..];
            }
            if !rest.is_empty() {
                return classify_words(rest);
            }
            return classified(Risk::Read, format!("`{base}` without a command"));
        }
        "kubectl" | "oc" | "docker" | "podman" | "crictl" | "nerdctl" => {
            // `kubectl exec pod -- df -h`: what runs in the container decides, not `exec`.
            if let Some(dash) = args.iter().position(|a| *a == "--")
                && args[..dash].iter().any(|a| matches!(*a, "exec" | "rsh" | "run" | "debug"))
                && !args[dash + 1..].is_empty()
            {
                let inner = classify_words(&args[dash + 1..]);
                return if args[..dash].iter().any(|a| matches!(*a, "run" | "debug")) {
                    max(inner, own_risk(&base, &args[..dash]))
                } else {
                    inner
                };
            }
        }
        _ => {}
    }
    let mut nested = classified(Risk::Read, "read-only command");
    // `knife` subcommands other than `ssh` may still quote a command.
    if base == "knife" {
        for a in args.iter().filter(|a| a.contains(' ')) {
            nested = max(nested, classify_shell(a));
        }
    }
    if let Some(dash) = args.iter().position(|a| *a == "--")
        && !args[dash + 1..].is_empty()
    {
        nested = max(nested, classify_simple_command(&args[dash + 1..]));
    }
    max(own_risk(&base, args), nested)
}

/// A command given as words, or as one quoted string (`watch 'kubectl get pods'`).
fn classify_words(words: &[&str]) -> Classified {
    match words {
        // `bash -c '$(reboot)'`: one word, but the shell substitutes in it.
        [one] if one.contains([' ', ';', '|', '&', '\n', '$', '`', '<', '>']) => classify_shell(one),
        _ => classify_simple_command(words),
    }
}

/// The words after a command's options; `value_flags` take the next word as their value.
fn after_options<'a, 'b>(args: &'a [&'b str], value_flags: &[&str]) -> &'a [&'b str] {
    let mut i = 0;
    while let Some(a) = args.get(i) {
        if *a == "--" {
            return &args[i + 1..];
        }
        if !a.starts_with('-') || *a == "-" {
            break;
        }
        i += if value_flags.contains(a) { 2 } else { 1 };
    }
    args.get(i..).unwrap_or(&[])
}

crate::word_set!(
    /// Shell keywords and builtins that run nothing by themselves.
    SHELL_SYNTAX = [
        "for", "case", "esac", "done", "fi", "in", "}", ")", ";;", "function", "select", "cd", "pwd", "export", "set", "unset", "alias",
        "true", "false", "test", "[", "[[", "sleep", "wait", "exit", "return", "read", "local", "declare", "typeset", "shift",
        "clear", "history", "man", "type", "hash", "umask", "ulimit", "break", "continue", "let", "pushd", "popd", "dirs", "jobs", "fg",
        "bg", "help", "#",
    ]
);

crate::word_set!(
    /// Subcommands that only look (`kubectl get`, `patronictl list`, `aws ec2 describe-instances`).
    READ_VERBS = [
        "get", "describe", "list", "ls", "show", "status", "logs", "log", "top", "version", "health", "healthcheck", "check", "info",
        "inspect", "explain", "view", "diff", "history", "cat", "tail", "query", "search", "find", "ps", "images", "stats", "events",
        "endpoints", "whoami", "can-i", "current-context", "get-contexts", "api-resources", "api-versions", "cluster-info", "plan",
        "validate", "verify", "lint", "dump", "df", "du", "tree", "members", "topology", "show-config", "lookup", "ping", "metrics",
        "summary", "report", "monitor", "tpstats", "cfstats", "ring", "is-active", "is-enabled", "is-failed", "list-units",
        "list-timers", "console", "help", "whereis", "shortlog", "blame", "grep", "output", "state", "graph", "tasks", "read",
        "alarm", "quorum_status", "mon_status", "count", "keys", "scan", "slowlog", "head", "stat", "watch", "proxy-status",
        "proxy-config", "analyze", "wait", "tail-logs", "backup-list", "port-forward", "dbconsole", "query_range", "perf", "node-logs", "catalog", "fsck",
        "rev-list", "rev-parse", "cat-file", "ls-tree", "ls-files", "count-objects", "freeze", "outdated", "record-info", "services",
        "nodes",
    ]
);

crate::word_set!(
    /// Commands that only read, though they look like something else or take a mode flag.
    READERS_MORE = [
        "lsblk", "blkid", "findmnt", "getent", "nproc", "lscpu", "lsmod", "lspci", "lsusb", "mpstat", "pidstat", "iotop", "iftop",
        "nethogs", "ltrace", "nmap", "ncat", "pg_isready", "pg_controldata", "pg_lsclusters", "pg_config", "pg_top", "pg_activity",
        "tree", "realpath", "readlink", "basename", "dirname", "seq", "strings", "hexdump", "xxd", "od", "bzcat", "xzcat", "zless",
        "zmore", "last", "w", "who", "getenforce", "sestatus", "systemd-analyze", "iperf", "iperf3", "arp", "nstat", "numastat",
        "smartctl", "nvidia-smi", "sensors", "pstree", "pgrep", "tput", "jo", "gron", "bc", "expr", "python-json", "vegeta", "ab",
        "hey", "k6", "tracepath", "whois", "getfacl", "namei", "groups", "locale", "ldd", "objdump", "readelf", "cmp", "comm", "join",
        "paste", "fold", "fmt", "nl", "rev", "tac", "shuf", "split", "csplit", "expand", "unexpand", "sum", "cksum", "sha1sum",
        "sha512sum", "b2sum", "iconv", "envsubst", "yes", "kubectx", "kubens", "stern", "k9s", "logcli",
        "jsonnet", "jb", "yamllint", "shellcheck", "dstat", "atop", "glances", "btop", "ioping", "fio-plot", "wireshark", "tshark",
        "pidof", "role", "slowlog", "dbsize", "info",
    ]
);

fn own_risk(base: &str, args: &[&str]) -> Classified {
    if is_dry_run(args) || is_short_dry_run(base, args) {
        return classified(Risk::Read, format!("`{base}` with --dry-run"));
    }
    // `oc adm prune images` only reports what it would remove until given `--confirm`.
    if matches!(base, "oc" | "kubectl")
        && args.contains(&"prune")
        && args.contains(&"adm")
        && !args.iter().any(|a| a.starts_with("--confirm"))
    {
        return classified(Risk::Read, format!("`{base} adm prune` without --confirm is a dry run"));
    }
    // A drain moves pods elsewhere; `--force` and `--delete-emptydir-data` delete the pods no
    // controller brings back, and their local data with them.
    if matches!(base, "kubectl" | "oc")
        && args.contains(&"drain")
        && args.iter().any(|a| matches!(*a, "--force" | "--delete-emptydir-data" | "--delete-local-data") || a.starts_with("--force="))
    {
        return classified(Risk::Destructive, format!("`{base} drain --force` deletes unmanaged pods"));
    }
    if base == "kill" || base == "pkill" || base == "killall" {
        // Signals that ask a process to report or reload are not destructive.
        let signal = args.iter().find(|a| a.starts_with('-') && a.len() > 1).map(|a| a.trim_start_matches('-').to_ascii_uppercase());
        return match signal.as_deref() {
            Some("TTIN" | "TTOU" | "USR1" | "USR2" | "HUP" | "SIGHUP" | "SIGUSR1" | "SIGUSR2" | "CONT" | "0" | "L" | "WINCH") => {
                classified(Risk::Write, format!("`{base}` sends a signal"))
            }
            // TERM (the default), INT, QUIT: the process shuts down cleanly and its supervisor
            // starts it again; KILL gives it no chance to finish what it was writing.
            None | Some("TERM" | "SIGTERM" | "15" | "INT" | "SIGINT" | "2" | "QUIT" | "SIGQUIT" | "3") => {
                classified(Risk::Write, format!("`{base}` asks the process to stop"))
            }
            _ => classified(Risk::Destructive, format!("`{base}` command")),
        };
    }
    // `prlimit -n -p PID` shows the limit; `prlimit --nofile=65536 -p PID` sets it.
    if base == "prlimit" && !args.iter().any(|a| a.contains('=')) {
        return classified(Risk::Read, "`prlimit` without a new value shows the limits");
    }
    // `sudo pgb-console` alone: a console opens; what is typed into it has its own risk.
    if base.ends_with("-console") && args.is_empty() {
        return classified(Risk::Read, format!("`{base}` opens a console"));
    }
    if base.starts_with("mkfs") || DESTRUCTIVE_COMMANDS.contains(base) {
        return classified(Risk::Destructive, format!("`{base}` command"));
    }
    // A curl line kept as shell (it writes a file, uses a proxy…): its method still counts.
    if base == "curl" {
        let method = args.windows(2).find(|w| w[0] == "-X" || w[0] == "--request").map(|w| w[1].to_ascii_uppercase()).or_else(|| {
            args.iter().find_map(|a| {
                a.strip_prefix("-X").or_else(|| a.strip_prefix("--request=")).filter(|m| !m.is_empty()).map(str::to_ascii_uppercase)
            })
        });
        let writes_data = args.iter().any(|a| a.starts_with("-d") || a.starts_with("--data") || *a == "-F" || *a == "--form" || *a == "-T");
        // `-o /dev/null` throws the body away: nothing is written.
        let writes_file = args.windows(2).any(|w| matches!(w[0], "-o" | "--output") && w[1] != "/dev/null")
            || args.iter().any(|a| matches!(*a, "-O" | "--remote-name"));
        return match method.as_deref() {
            Some("DELETE") => classified(Risk::Destructive, "HTTP DELETE"),
            Some("GET" | "HEAD" | "OPTIONS") | None if !writes_data && !writes_file => classified(Risk::Read, "HTTP GET"),
            None if writes_file && !writes_data => classified(Risk::Write, "`curl -o` writes a file"),
            Some(m) => classified(Risk::Write, format!("HTTP {m}")),
            None => classified(Risk::Write, "HTTP POST"),
        };
    }
    if base == "tee" && args.iter().any(|a| !a.starts_with('-')) {
        return classified(Risk::Write, "`tee` writes a file");
    }
    if base == "pg_restore" && args.iter().any(|a| *a == "-c" || *a == "--clean") {
        return classified(Risk::Destructive, "`pg_restore --clean` drops objects");
    }
    if base == "pg_dump" && args.iter().any(|a| *a == "-f" || a.starts_with("--file")) {
        return classified(Risk::Write, "`pg_dump` writes a file");
    }
    if matches!(base, "psql" | "sqlite3" | "gitlab-psql" | "mysql") {
        if let Some(sql) = args.windows(2).find(|w| w[0] == "-c" || w[0] == "--command" || w[0] == "-e").map(|w| w[1]) {
            let c = classify_sql(sql);
            return classified(c.risk, format!("{base} -c: {}", c.reason));
        }
        if args.iter().any(|a| matches!(*a, "-f" | "--file") || a.starts_with("--file=")) {
            return classified(Risk::Write, format!("`{base} -f` runs a SQL file nobody has read here"));
        }
        return classified(Risk::Read, format!("`{base}` session"));
    }
    if base == "redis-cli" {
        for a in args.iter().filter(|a| !a.starts_with('-')) {
            let v = a.to_ascii_lowercase();
            if matches!(v.as_str(), "flushall" | "flushdb" | "del" | "unlink" | "shutdown") {
                return classified(Risk::Destructive, format!("redis {}", v.to_ascii_uppercase()));
            }
            if matches!(v.as_str(), "set" | "config" | "expire" | "hset" | "lpush" | "rpush" | "sadd" | "debug" | "failover") {
                return classified(Risk::Write, format!("redis {}", v.to_ascii_uppercase()));
            }
        }
        return classified(Risk::Read, "redis read command");
    }
    // Code given to a reader (`awk 'BEGIN{system(…)}'`, `sed -n 'w f'`) and writing modes
    // of readers (`sort -o`): see `hidden_writes`.
    match (mode_dependent(base, args), hidden_writes::embedded_risk(base, args)) {
        (Some(a), Some(b)) => return max(a, b),
        (Some(c), None) | (None, Some(c)) => return c,
        (None, None) => {}
    }
    if READERS.contains(base) || READERS_MORE.contains(base) {
        return classified(Risk::Read, "read-only command");
    }
    // `rsync --delete`, `kafka-topics.sh --delete`: the flag says more than the tool.
    // (`docker run --rm` removes its own container when done: not a flag that deletes.)
    if let Some(f) = args
        .iter()
        .filter_map(|a| a.strip_prefix("--"))
        .map(|f| f.split('=').next().unwrap_or(f))
        .find(|f| *f != "rm" && DESTRUCTIVE_VERBS.contains(f))
    {
        return classified(Risk::Destructive, format!("`{base} --{f}`"));
    }
    if WRITE_COMMANDS.contains(base) {
        return classified(Risk::Write, format!("`{base}` command"));
    }
    // Subcommands: the words that are not flags (`kubectl -n x delete pod y`). Tools known to
    // take subcommands are read in full; others only in their first words.
    // Values of common flags (`--context prod`, `-n shop`) are not subcommands.
    let mut words: Vec<&str> = Vec::new();
    let mut skip = false;
    for a in args {
        if skip {
            skip = false;
            continue;
        }
        if matches!(
            *a,
            "-n" | "--namespace"
                | "--context"
                | "--cluster"
                | "--kubeconfig"
                | "-l"
                | "--selector"
                | "-o"
                | "--output"
                | "-c"
                | "--container"
                | "--project"
                | "--zone"
                | "--region"
                | "--profile"
                | "-p"
                | "-h"
                | "--host"
                | "--port"
                | "-a"
        ) {
            skip = true;
            continue;
        }
        if !a.starts_with('-') && !a.contains('=') && !a.contains('/') && !a.starts_with('$') && !a.starts_with('<') {
            words.push(a);
        }
    }
    let limit = if SUBCOMMAND_TOOLS.contains(base) { 6 } else { 2 };
    let mut out = classified(Risk::Read, "read-only command");
    let mut path: Vec<&str> = Vec::new();
    for a in words.iter().take(limit) {
        let lower = a.to_ascii_lowercase();
        let v = lower.trim_end_matches(['!', ';']);
        // `db:migrate`, `gitlab:cleanup:delete`: the last part is the verb.
        // `db:migrate`, `gitlab:cleanup:orphans`: any part may be the verb; `terminate-instances`,
        // `delete_queue`: so may the first part of a compound.
        let parts = || v.split(':').flat_map(|p| std::iter::once(p).chain(p.split(['-', '_']).take(1)));
        let verb = parts()
            .find(|p| DESTRUCTIVE_VERBS.contains(p))
            .or_else(|| parts().find(|p| WRITE_VERBS.contains(p)))
            .unwrap_or_else(|| v.rsplit(':').next().unwrap_or(v));
        path.push(a);
        // The reason is only spelled out for a verb that decides the risk.
        let what = |path: &[&str]| format!("`{base} {}`", path.join(" "));
        if base == "kubectl" || base == "oc" {
            if v == "rollout" || v == "adm" {
                continue;
            }
            if matches!(verb, "status" | "history") && path.len() >= 2 && path[path.len() - 2] == "rollout" {
                return classified(Risk::Read, what(&path));
            }
        }
        if DESTRUCTIVE_VERBS.contains(verb) {
            return classified(Risk::Destructive, what(&path));
        }
        if out.risk < Risk::Write && WRITE_VERBS.contains(verb) {
            out = classified(Risk::Write, what(&path));
        }
    }
    if args.iter().any(|a| a.eq_ignore_ascii_case("-XDELETE") || a.eq_ignore_ascii_case("--request=DELETE")) {
        return classified(Risk::Destructive, "HTTP DELETE");
    }
    if out.risk > Risk::Read {
        return out;
    }
    // Nothing says this command only reads: when in doubt, riskier. A tool with subcommands
    // reads when one of its first words is a read verb (`etcdctl endpoint status`); any other
    // command is unknown (`etcdctl defrag`, `./drain.sh`, `consul maint -enable`).
    let is_read_verb = |w: &&str| {
        let v = w.to_ascii_lowercase();
        let v = v.rsplit(':').next().unwrap_or(&v);
        READ_VERBS.contains(v) || v.split(['-', '_']).next().is_some_and(|first| READ_VERBS.contains(first))
    };
    if SUBCOMMAND_TOOLS.contains(base) && (words.is_empty() || words.iter().take(limit).any(is_read_verb)) {
        return out;
    }
    // Any other tool whose first words say it reads: `sentry queues list`, `./ctl.sh status`.
    if words.iter().take(3).any(is_read_verb) {
        return out;
    }
    // Tools that take their action as a flag: `kafka-topics.sh --describe`, `… --delete`.
    let flag_verbs: Vec<&str> = args.iter().filter_map(|a| a.strip_prefix("--")).map(|f| f.split('=').next().unwrap_or(f)).collect();
    if let Some(f) = flag_verbs.iter().find(|f| DESTRUCTIVE_VERBS.contains(f)) {
        return classified(Risk::Destructive, format!("`{base} --{f}`"));
    }
    if let Some(f) = flag_verbs.iter().find(|f| WRITE_VERBS.contains(f) || matches!(**f, "alter" | "execute" | "reset-offsets")) {
        return classified(Risk::Write, format!("`{base} --{f}`"));
    }
    if flag_verbs.iter().any(|f| READ_VERBS.contains(f)) {
        return out;
    }
    // `-h` alone asks for help; with other arguments it is often a host (`pg_basebackup -h db`).
    if args.iter().any(|a| matches!(*a, "--help" | "-help" | "--version" | "help" | "version")) || matches!(args, ["-h" | "-V"]) {
        return classified(Risk::Read, "help or version");
    }
    let what = match words.first() {
        Some(sub) if SUBCOMMAND_TOOLS.contains(base) => format!("`{base} {sub}`"),
        _ => format!("`{base}`"),
    };
    classified(Risk::Write, format!("{what} is not known to be read-only"))
}

/// Commands whose risk depends on a flag or an operand: `sysctl -w`, `iptables -F`, `sed -i`.
fn mode_dependent(base: &str, args: &[&str]) -> Option<Classified> {
    let has = |f: &[&str]| args.iter().any(|a| f.contains(a));
    let short_flag = |c: char| args.iter().any(|a| a.starts_with('-') && !a.starts_with("--") && a.contains(c));
    let write = |why: &str| Some(classified(Risk::Write, why.to_owned()));
    let read = || Some(classified(Risk::Read, "read-only command"));
    match base {
        "journalctl" => {
            if args.iter().any(|a| a.starts_with("--vacuum")) {
                Some(classified(Risk::Destructive, "`journalctl --vacuum` deletes journal files"))
            } else if has(&["--rotate", "--flush", "--sync"]) {
                write("`journalctl` rotates or flushes the journal")
            } else {
                read()
            }
        }
        "sysctl" => {
            if short_flag('w') || short_flag('p') || has(&["--system", "--load"]) || args.iter().any(|a| a.contains('=')) {
                write("`sysctl` changes a kernel setting")
            } else {
                read()
            }
        }
        "fuser" => {
            if short_flag('k') {
                Some(classified(Risk::Destructive, "`fuser -k` kills processes"))
            } else {
                read()
            }
        }
        "route" | "ethtool" | "conntrack" => {
            let flags = ["-s", "-K", "-G", "-L", "-F", "-D", "-U", "-I"];
            let changes = has(&["add", "del", "delete", "flush", "change"]) || args.iter().any(|a| flags.contains(a));
            if changes { write("changes network settings") } else { read() }
        }
        "hostnamectl" | "timedatectl" | "loginctl" => {
            let verb = args.iter().find(|a| !a.starts_with('-')).copied().unwrap_or("status");
            if verb.starts_with("terminate") || verb.starts_with("kill") {
                Some(classified(Risk::Destructive, format!("`{base} {verb}`")))
            } else if ["set", "enable", "disable", "lock"].iter().any(|p| verb.starts_with(p)) {
                write("changes a system setting")
            } else {
                read()
            }
        }
        "iptables" | "ip6tables" | "nft" => {
            if short_flag('L') || short_flag('S') || has(&["--list", "list", "--list-rules"]) {
                read()
            } else {
                write("changes firewall rules")
            }
        }
        "ip" => {
            if has(&["add", "del", "delete", "set", "flush", "change", "replace", "append"]) {
                write("`ip` changes network settings")
            } else {
                read()
            }
        }
        "mount" => {
            // `mount` and `mount -l` list; `mount -a` and `mount DEV DIR` mount.
            if args.iter().all(|a| matches!(*a, "-l" | "-v" | "--show-labels")) { read() } else { write("`mount` mounts a filesystem") }
        }
        "find" => {
            if has(&["-delete"]) {
                return Some(classified(Risk::Destructive, "`find -delete`"));
            }
            // Every `-exec … ;` runs: the riskiest decides.
            let mut out = classified(Risk::Read, "read-only command");
            let mut rest = args;
            while let Some(at) = rest.iter().position(|a| matches!(*a, "-exec" | "-execdir" | "-ok" | "-okdir")) {
                let command = &rest[at + 1..];
                let end = command.iter().position(|a| matches!(*a, ";" | "\\;" | "+")).unwrap_or(command.len());
                let inner = classify_simple_command(&command[..end]);
                if inner.risk > out.risk {
                    out = classified(inner.risk, format!("`find -exec` {}", inner.reason));
                }
                rest = command.get(end + 1..).unwrap_or(&[]);
            }
            Some(out)
        }
        "sed" => {
            // `-i`, `-Ei`, `-ni`, `--in-place`: edits the file.
            if short_flag('i') || args.iter().any(|a| a.starts_with("--in-place")) {
                write("`sed -i` edits a file in place")
            } else {
                read()
            }
        }
        // Redis commands typed at a `redis-cli` prompt.
        "config" if args.first().is_some_and(|a| a.eq_ignore_ascii_case("get")) => read(),
        "tar" => {
            if short_flag('t') || has(&["--list"]) {
                read()
            } else {
                write("`tar` writes files")
            }
        }
        "wget" => {
            if has(&["--spider", "-O-", "-qO-", "-O -"]) || args.windows(2).any(|w| w[0] == "-O" && w[1] == "-") {
                read()
            } else {
                write("`wget` downloads a file")
            }
        }
        "tcpdump" => {
            if short_flag('w') {
                write("`tcpdump -w` writes a file")
            } else {
                read()
            }
        }
        "vi" | "vim" | "nano" | "emacs" | "ed" | "visudo" | "crontab" if !has(&["-l"]) => write("edits a file"),
        "crontab" => read(),
        "sort" if has(&["-o"]) => write("`sort -o` writes a file"),
        _ => None,
    }
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
        sh("curl -s -o /dev/null -w '%{http_code}' https://h/health", Risk::Read);
        sh("sudo apt-get autoremove", Risk::Destructive);
        sh("kill -TERM 1827", Risk::Write);
        sh("kubectl drain node-1 --ignore-daemonsets --force", Risk::Destructive);
        sh("kill -9 1827", Risk::Destructive);
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

    #[track_caller]
    fn sh(text: &str, risk: Risk) {
        let c = classify_shell(text);
        assert_eq!(c.risk, risk, "{text}: {}", c.reason);
    }

    #[test]
    fn limits_shown_and_consoles_opened_are_reads() {
        sh("gsutil -m rsync -n -r gs://a gs://b", Risk::Read);
        sh("gsutil -m rsync -r gs://a gs://b", Risk::Write);
        sh("prlimit -n -p 4242", Risk::Read);
        sh("prlimit --nofile=65536 -p 4242", Risk::Write);
        sh("sudo pool-console", Risk::Read);
        sh("pool-console -c 'RELOAD'", Risk::Write);
        sh("apk add python3", Risk::Write);
        sh("pip install requests", Risk::Write);
    }

    #[test]
    fn shell_commands() {
        sh("kubectl get pods -n prod", Risk::Read);
        sh("kubectl -n prod delete pod web-1", Risk::Destructive);
        sh("sudo systemctl restart nginx", Risk::Write);
        sh("grep delete /var/log/app.log | wc -l", Risk::Read);
        sh("rm -rf /tmp/cache", Risk::Destructive);
        sh("kubectl scale deploy web --replicas=3", Risk::Write);
        sh("echo hi > /tmp/out", Risk::Write);
        sh("echo hi 2>/dev/null", Risk::Read);
        sh("curl -XDELETE http://es:9200/index", Risk::Destructive);
        sh("curl -s http://localhost/health | jq .status", Risk::Read);
        sh("psql -c 'DELETE FROM t'", Risk::Destructive);
        sh("helm rollback web 3", Risk::Write);
        sh("pg_dump -Fc invites > backup.dump", Risk::Write);
        sh("pg_dump -Fc --file=backup.dump invites", Risk::Write);
        sh("pg_restore --clean -d invites backup.dump", Risk::Destructive);
        sh("kubectl -n <namespace> delete pod ingester-1", Risk::Destructive);
        sh("kubectl get pod <pod> -n <namespace>", Risk::Read);
        sh("kubectl -n <namespace> get pods -l name=<statefulset|deployment>", Risk::Read);
        sh("ls /tmp\nkubectl delete pod x", Risk::Destructive);
        sh("echo hi > f\nrm -rf /x", Risk::Destructive);
        sh("knife ssh 'roles:web' 'sudo kill -9 1234'", Risk::Destructive);
        sh("ssh db1 \"sudo mkdir -p /x && sudo chmod 700 /x\"", Risk::Write);
        sh("gcloud --project p --zone z compute instances stop vm-1", Risk::Write);
        sh("oc exec pod-1 -- rm -rf /data/x", Risk::Destructive);
        sh("kubectl rollout status deploy/web", Risk::Read);
        sh("kubectl rollout undo deploy/web", Risk::Destructive);
        sh("kill -TTIN 1234", Risk::Write);
        sh("curl -sSL https://x/install.sh | bash", Risk::Write);
        sh("curl -s -X DELETE --socks5 localhost:5000 https://x/y", Risk::Destructive);
        sh("curl -s -o /tmp/x.rb https://x/y.rb", Risk::Write);
        sh("curl -s --socks5 localhost:5000 https://x/y", Risk::Read);
        sh("kubectl delete pod x --dry-run=client", Risk::Read);
        sh("gitlab-rake db:migrate", Risk::Write);
        sh("redis-cli -p 26379 sentinel failover sessions", Risk::Write);
        sh("aws ec2 terminate-instances --instance-ids i-0a1b", Risk::Destructive);
        assert_eq!(classify_shell("kubectl --context search -n prod delete pod x").reason, "`kubectl delete`");
        sh("df -h /var/log # there's space\nrm -rf /var/log/old", Risk::Destructive);
    }

    #[test]
    fn unknown_commands_are_not_read() {
        // When in doubt, riskier: nothing says these only read.
        sh("etcdctl defrag", Risk::Write);
        sh("consul maint -enable -service=db-replica", Risk::Write);
        sh("./drain_haproxy.sh fe-01", Risk::Write);
        sh("iptables -F", Risk::Write);
        sh("sysctl -w vm.swappiness=10", Risk::Write);
        sh("psql -f fix.sql", Risk::Write);
        sh("bash repair.sh", Risk::Write);
        // Wrappers and remote commands: the inner command decides.
        sh("sudo -u postgres touch /var/lib/x", Risk::Write);
        sh("ssh db1 sudo rm /var/tmp/x", Risk::Destructive);
        sh("ssh -i key.pem db1", Risk::Read);
        sh("podman images -q | xargs podman rmi", Risk::Destructive);
        sh("ls | xargs -I {} kubectl delete pod {}", Risk::Destructive);
        sh("for p in a b; do kubectl delete pod $p; done", Risk::Destructive);
        sh("watch -n 5 'kubectl get pods'", Risk::Read);
        sh("timeout 10 kubectl get pods", Risk::Read);
        sh("oc exec pod-1 -- df -h", Risk::Read);
        sh("kubectl exec -it pod-1 -- bash", Risk::Read);
        sh("find /var/log -name '*.gz' -exec rm {} \\;", Risk::Destructive);
        sh("find /var/log -name '*.gz'", Risk::Read);
        sh("knife ssh 'role:db AND env:prod' 'sudo gitlab-ctl status'", Risk::Read);
        // Known readers stay read.
        sh("etcdctl endpoint status --cluster -w table", Risk::Read);
        sh("patronictl list", Risk::Read);
        sh("aws ec2 describe-instances", Risk::Read);
        sh("sysctl -a | grep swappiness", Risk::Read);
        sh("iptables -nvL", Risk::Read);
        sh("lsblk", Risk::Read);
        sh("cd /var/log && ls", Risk::Read);
        sh("export PGHOST=db1", Risk::Read);
        sh("redis-cli info replication", Risk::Read);
        sh("systemctl status nginx", Risk::Read);
        sh("pg_basebackup -D /var/lib/postgresql/data -h db1 -R", Risk::Write);
        sh("pg_basebackup --help", Risk::Read);
        sh("sentry queues list", Risk::Read);
        sh("oc adm prune images --keep-tag-revisions=3", Risk::Read);
        sh("oc adm prune images --keep-tag-revisions=3 --confirm", Risk::Destructive);
        assert_eq!(classify_http("POST", "https://es:9200/logs/_delete_by_query").risk, Risk::Destructive);
        assert_eq!(classify_http("GET", "https://es:9200/_cat/indices?purge=no").risk, Risk::Read);
        sh("Remove-Item -Recurse -Force C:\\agent\\work", Risk::Destructive);
        sh("Get-Service kubelet", Risk::Read);
        sh("Set-Service kubelet -StartupType Automatic", Risk::Write);
        sh("del /f /q C:\\temp\\x.log", Risk::Destructive);
        sh("kubectl drain node-1 --ignore-daemonsets", Risk::Write);
        sh("amtool silence add alertname=Foo", Risk::Write);
        sh("amtool silence query", Risk::Read);
        sh("docker run --rm -it busybox sh", Risk::Write);
        sh("git clean -n", Risk::Read);
        sh("psql -d app < backup-roles.sql", Risk::Write);
        sh("journalctl --vacuum-time=2d", Risk::Destructive);
        sh("journalctl -u kubelet --since today", Risk::Read);
        sh("aws s3 rb s3://old-bucket --force", Risk::Destructive);
        sh("lvremove -f vg0/scratch", Risk::Destructive);
        sh("rabbitmqctl delete_queue mailers", Risk::Destructive);
        sh("rabbitmqctl purge_queue mailers", Risk::Destructive);
        sh("sudo gitlab-rake gitlab:cleanup:orphan_job_artifact_files", Risk::Destructive);
        sh("git clean -fdx", Risk::Destructive);
        sh("rsync -a --delete /src/ /dst/", Risk::Destructive);
        sh("oc adm node-logs node-1 -u kubelet", Risk::Read);
        sh("POD=$(kubectl delete pod web-0 -o name)", Risk::Destructive);
        sh("kubectl logs $(kubectl get pod -l app=web -o name)", Risk::Read);
        sh("echo $((1 + 2))", Risk::Read);
        sh("knife ssh 'role:db' -x ubuntu 'sudo rm -rf /x'", Risk::Destructive);
        sh("sh restore.sh -h db1", Risk::Write);
        sh("fuser -k 5432/tcp", Risk::Destructive);
        sh("hostnamectl set-hostname db2", Risk::Write);
        sh("hostnamectl", Risk::Read);
        sh("sysctl -p", Risk::Write);
        sh("mount -a", Risk::Write);
        sh("sed -Ei 's/a/b/' /etc/x.conf", Risk::Write);
        sh("find /d -name x -exec ls {} \\; -exec shred {} \\;", Risk::Destructive);
        sh("find /d -name '*.tmp' -exec rm {} +", Risk::Destructive);
        sh("trap 'rm -rf $TMPDIR' EXIT", Risk::Destructive);
        sh("ceph osd out 3", Risk::Write);
        sh("ceph osd tree", Risk::Read);
        sh("sh wraparound.sh -h", Risk::Read);
        sh("kafka-consumer-groups.sh --bootstrap-server k:9092 --describe --group billing", Risk::Read);
        sh("kafka-consumer-groups.sh --bootstrap-server k:9092 --reset-offsets --group billing", Risk::Write);
        sh("kafka-topics.sh --bootstrap-server k:9092 --delete --topic t", Risk::Destructive);
    }
}
