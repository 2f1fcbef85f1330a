//! Risk classes: SQL by statement type (sqlparser, not a regex), HTTP by method, shell by
//! command. When in doubt a step is classified as riskier, never as safer.

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
    ("pg_reload_conf", Risk::Write),
    ("pg_switch_wal", Risk::Write),
    ("pg_stat_reset", Risk::Write),
    ("pg_stat_statements_reset", Risk::Write),
    ("pg_create_restore_point", Risk::Write),
    ("pg_rotate_logfile", Risk::Write),
    ("setval", Risk::Write),
    ("nextval", Risk::Write),
    ("dblink_exec", Risk::Write),
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
    let by_functions = if MUTATING_FUNCTIONS.iter().any(|(f, _)| lower.contains(f)) { classify_functions(&cleaned) } else { None };
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
        S::AlterTable(_)
        | S::AlterIndex { .. }
        | S::AlterView { .. }
        | S::AlterRole { .. }
        | S::AlterSchema(_)
        | S::AlterType(_)
        | S::AlterUser(_)
        | S::AlterPolicy(_) => classified(Risk::Destructive, "ALTER statement"),
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
            if let Some((_, risk)) = MUTATING_FUNCTIONS.iter().find(|(f, _)| *f == name) {
                let c = classified(*risk, format!("calls {name}()"));
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
                    "DELETE" | "DROP" | "TRUNCATE" | "ALTER" => Some(classified(Risk::Destructive, format!("{kw} statement"))),
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
        "dropuser", "wipefs", "fdisk", "parted", "mkfs", "unlink",
    ]
);

crate::word_set!(
    DESTRUCTIVE_VERBS = [
        "delete",
        "drop",
        "destroy",
        "rollback",
        "roll-back",
        "terminate",
        "restart",
        "reboot",
        "purge",
        "remove",
        "rm",
        "uninstall",
        "evict",
        "wipe",
        "flushall",
        "flushdb",
        "del",
        "kill",
        "failover",
        "switchover",
        "undo",
        "prune",
        "reset",
        "stop",
        "truncate",
        "force-delete",
        "reinit",
        "demote",
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
        "apply",
        "create",
        "patch",
        "scale",
        "edit",
        "label",
        "annotate",
        "cordon",
        "uncordon",
        "drain",
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
    if cmd.contains("curl")
        && let Some(req) = shell::parse_curl(cmd)
        && req.shell_reason.is_none()
    {
        return classify_http_method(&req.method);
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
    let mut piped = false;
    for (words, op) in shell::simple_commands(&tokens) {
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
]);

/// Destructive commands that become harmless with these flags.
fn is_dry_run(args: &[&str]) -> bool {
    args.iter().any(|a| a.starts_with("--dry-run") || *a == "--dryrun")
}

fn classify_simple_command(words: &[&str]) -> Classified {
    let Some((at, name)) = shell::command_name(words) else {
        return classified(Risk::Read, "assignment");
    };
    let base = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
    let args = &words[at + 1..];
    // Commands run elsewhere: `ssh host 'sudo rm x'`, `bash -c '…'`, `kubectl exec pod -- rm x`.
    let mut nested = classified(Risk::Read, "read-only command");
    if matches!(base.as_str(), "ssh" | "bash" | "sh" | "su" | "knife" | "sudo" | "watch" | "xargs" | "timeout" | "nice") {
        for a in args.iter().filter(|a| a.contains(' ')) {
            nested = max(nested, classify_shell(a));
        }
    }
    if let Some(dash) = args.iter().position(|a| *a == "--")
        && !args[dash + 1..].is_empty()
    {
        nested = max(nested, classify_simple_command(&args[dash + 1..]));
    }
    if matches!(base.as_str(), "xargs" | "watch" | "timeout" | "nice" | "nohup") {
        let rest: Vec<&str> = args.iter().copied().skip_while(|a| a.starts_with('-') || a.parse::<f64>().is_ok()).collect();
        if !rest.is_empty() {
            nested = max(nested, classify_simple_command(&rest));
        }
    }
    max(own_risk(&base, args), nested)
}

fn own_risk(base: &str, args: &[&str]) -> Classified {
    if is_dry_run(args) {
        return classified(Risk::Read, format!("`{base}` with --dry-run"));
    }
    if base == "kill" || base == "pkill" || base == "killall" {
        // Signals that ask a process to report or reload are not destructive.
        let signal = args.iter().find(|a| a.starts_with('-') && a.len() > 1).map(|a| a.trim_start_matches('-').to_ascii_uppercase());
        return match signal.as_deref() {
            Some("TTIN" | "TTOU" | "USR1" | "USR2" | "HUP" | "SIGHUP" | "SIGUSR1" | "SIGUSR2" | "CONT" | "0" | "L" | "WINCH") => {
                classified(Risk::Write, format!("`{base}` sends a signal"))
            }
            _ => classified(Risk::Destructive, format!("`{base}` command")),
        };
    }
    if base.starts_with("mkfs") || DESTRUCTIVE_COMMANDS.contains(base) {
        return classified(Risk::Destructive, format!("`{base}` command"));
    }
    if base == "find" && args.iter().any(|a| *a == "-delete" || *a == "rm") {
        return classified(Risk::Destructive, "`find -delete`");
    }
    if base == "sed" && args.iter().any(|a| a.starts_with("-i")) {
        return classified(Risk::Write, "`sed -i` edits a file");
    }
    // A curl line kept as shell (it writes a file, uses a proxy…): its method still counts.
    if base == "curl" {
        let method = args.windows(2).find(|w| w[0] == "-X" || w[0] == "--request").map(|w| w[1].to_ascii_uppercase()).or_else(|| {
            args.iter().find_map(|a| {
                a.strip_prefix("-X").or_else(|| a.strip_prefix("--request=")).filter(|m| !m.is_empty()).map(str::to_ascii_uppercase)
            })
        });
        let writes_data = args.iter().any(|a| a.starts_with("-d") || a.starts_with("--data") || *a == "-F" || *a == "--form" || *a == "-T");
        let writes_file = args.iter().any(|a| matches!(*a, "-o" | "--output" | "-O" | "--remote-name"));
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
        return classified(Risk::Read, format!("`{base}` session"));
    }
    if base == "redis-cli" {
        for a in args.iter().filter(|a| !a.starts_with('-')) {
            let v = a.to_ascii_lowercase();
            if matches!(v.as_str(), "flushall" | "flushdb" | "del" | "unlink" | "shutdown") {
                return classified(Risk::Destructive, format!("redis {}", v.to_ascii_uppercase()));
            }
            if matches!(v.as_str(), "set" | "config" | "expire" | "hset" | "lpush" | "rpush" | "sadd") {
                return classified(Risk::Write, format!("redis {}", v.to_ascii_uppercase()));
            }
        }
    }
    if READERS.contains(base) {
        return classified(Risk::Read, "read-only command");
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
        let verb = v.rsplit(':').next().unwrap_or(v);
        // `terminate-instances`, `delete-bucket`: the verb is the first part.
        let verb =
            if DESTRUCTIVE_VERBS.contains(verb) || WRITE_VERBS.contains(verb) { verb } else { verb.split('-').next().unwrap_or(verb) };
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
    out
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
        sql("ALTER TABLE x ADD COLUMN y int", Risk::Destructive);
        sql("WITH d AS (DELETE FROM t RETURNING *) SELECT count(*) FROM d", Risk::Destructive);
        sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity", Risk::Destructive);
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
    fn shell_commands() {
        sh("kubectl get pods -n prod", Risk::Read);
        sh("kubectl -n prod delete pod web-1", Risk::Destructive);
        sh("sudo systemctl restart nginx", Risk::Destructive);
        sh("grep delete /var/log/app.log | wc -l", Risk::Read);
        sh("rm -rf /tmp/cache", Risk::Destructive);
        sh("kubectl scale deploy web --replicas=3", Risk::Write);
        sh("echo hi > /tmp/out", Risk::Write);
        sh("echo hi 2>/dev/null", Risk::Read);
        sh("curl -XDELETE http://es:9200/index", Risk::Destructive);
        sh("curl -s http://localhost/health | jq .status", Risk::Read);
        sh("psql -c 'DELETE FROM t'", Risk::Destructive);
        sh("helm rollback web 3", Risk::Destructive);
        sh("pg_dump -Fc invites > backup.dump", Risk::Write);
        sh("pg_dump -Fc --file=backup.dump invites", Risk::Write);
        sh("pg_restore --clean -d invites backup.dump", Risk::Destructive);
        sh("kubectl -n <namespace> delete pod ingester-1", Risk::Destructive);
        sh("kubectl get pod <pod> -n <namespace>", Risk::Read);
        sh("ls /tmp\nkubectl delete pod x", Risk::Destructive);
        sh("echo hi > f\nrm -rf /x", Risk::Destructive);
        sh("knife ssh 'roles:web' 'sudo kill -9 1234'", Risk::Destructive);
        sh("ssh db1 \"sudo mkdir -p /x && sudo chmod 700 /x\"", Risk::Write);
        sh("gcloud --project p --zone z compute instances stop vm-1", Risk::Destructive);
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
        sh("redis-cli -p 26379 sentinel failover sessions", Risk::Destructive);
        sh("aws ec2 terminate-instances --instance-ids i-0a1b", Risk::Destructive);
        assert_eq!(classify_shell("kubectl --context search -n prod delete pod x").reason, "`kubectl delete`");
        sh("df -h /var/log # there's space\nrm -rf /var/log/old", Risk::Destructive);
    }
}
