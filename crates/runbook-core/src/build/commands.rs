//! Blocks → commands: which text is a command to run, of which kind (SQL, HTTP, shell), which
//! line is a prompt or output, and which command opens a console or a shell elsewhere.

use super::*;

pub(crate) fn looks_like_sql(text: &str) -> bool {
    let first = text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with("--")).unwrap_or("");
    let word = first.split(|c: char| !c.is_ascii_alphabetic()).next().unwrap_or("").to_ascii_uppercase();
    let keyword = is_sql_keyword(&word) || matches!(word.as_str(), "BEGIN" | "COMMIT");
    // `select` in lower case at the start of a line is still SQL; `update` alone may be prose.
    keyword && (first.contains(' ') || first.ends_with(';')) && !first.starts_with("WITH ") || (word == "WITH" && first.contains(" AS "))
}

crate::word_set!(
    /// Commands seen at the start of shell lines in runbooks.
    KNOWN_COMMANDS = [
    "kubectl",
    "oc",
    "curl",
    "wget",
    "psql",
    "sudo",
    "systemctl",
    "service",
    "docker",
    "podman",
    "git",
    "cd",
    "ls",
    "cat",
    "grep",
    "tail",
    "head",
    "ssh",
    "scp",
    "helm",
    "aws",
    "gcloud",
    "gsutil",
    "az",
    "redis-cli",
    "echo",
    "export",
    "journalctl",
    "ps",
    "top",
    "df",
    "du",
    "find",
    "rm",
    "mv",
    "cp",
    "chmod",
    "chown",
    "kill",
    "pkill",
    "openssl",
    "dig",
    "nslookup",
    "ping",
    "jq",
    "vault",
    "consul",
    "nomad",
    "terraform",
    "ansible",
    "make",
    "python",
    "python3",
    "ruby",
    "bundle",
    "rake",
    "rails",
    "node",
    "npm",
    "yarn",
    "mysql",
    "pg_dump",
    "pg_restore",
    "pg_basebackup",
    "pg_ctl",
    "pg_isready",
    "pg_repack",
    "knife",
    "etcdctl",
    "crictl",
    "ceph",
    "rados",
    "rbd",
    "ip",
    "iptables",
    "tcpdump",
    "watch",
    "awk",
    "sed",
    "xargs",
    "for",
    "while",
    "if",
    "sh",
    "bash",
    "mount",
    "umount",
    "lsblk",
    "free",
    "uptime",
    "date",
    "patronictl",
    "gitlab-ctl",
    "gitlab-rake",
    "gitlab-rails",
    "gitlab-psql",
    "sv",
    "tar",
    "gzip",
    "unzip",
    "mkdir",
    "touch",
    "less",
    "sort",
    "uniq",
    "wc",
    "netstat",
    "ss",
    "lsof",
    "strace",
    "htop",
    "vmstat",
    "iostat",
    "mtr",
    "traceroute",
    "nc",
    "telnet",
    "openstack",
    "virtctl",
    "kubeadm",
    "minikube",
    "kind",
    "istioctl",
    "linkerd",
    "argocd",
    "flux",
    "velero",
    "promtool",
    "amtool",
    "thanos",
    "cortextool",
    "mimirtool",
    "logcli",
    "http",
    "httpie",
    "sqlite3",
    "createdb",
    "dropdb",
    "vacuumdb",
    "reindexdb",
    "mongo",
    "mongosh",
    "rabbitmqctl",
    "nodetool",
    "cqlsh",
    "synctl",
    "register_new_matrix_user",
    "chef-client",
    "salt",
    "pssh",
    "tsh",
    "step",
    "certbot",
    "nginx",
    "haproxy",
    "socat",
    "dd",
    "du",
    "stat",
    "env",
    "source",
    "set",
    "unset",
    "read",
    "printf",
    "test",
    "diff",
    "cut",
    "tr",
    "tee",
    "xxd",
    "base64",
    "hostname",
    "uname",
    "id",
    "whoami",
    "crontab",
    "ulimit",
    "sysctl",
    "reboot",
    "shutdown",
    "dmesg",
    "zcat",
    "zgrep",
    "rsync",
    "gpg",
    "ssh-keygen",
    "kubectx",
    "kubens",
    "k9s",
    "stern",
    "jsonnet",
    "gh",
    "glab",
    "cf",
    "apt-get",
    "apt",
    "yum",
    "dnf",
    "zypper",
    "pstree",
    "pgrep",
    "growpart",
    "resize2fs",
    "xfs_growfs",
    "lvextend",
    "pvresize",
    "fdisk",
    "parted",
    "blkid",
    "findmnt",
    "nsenter",
    "chroot",
    "toolbox",
    "docker-machine",
    "perf",
    "timeout",
    "nohup",
    "trap",
    "iotop",
    "sar",
    "mpstat",
    "pidstat",
    "apk",
    "ln",
    "pip",
    "pip3",
    "brew",
    "tf",
    "terragrunt",
    "prlimit",
    "gitlab-patronictl",
]);

/// `dbname=# ` / `dbname=> ` at the start of a line.
pub(super) fn psql_prompt(line: &str) -> Option<&str> {
    let t = line.trim_start();
    let end = t.find(['#', '>'])?;
    // Only the first prompt opens a statement: `app=#` (continuations are `app-#`).
    (end > 1 && t[..end].ends_with('=') && shell::is_psql_prompt(&t[..=end])).then(|| t[end + 1..].trim_start())
}

/// The command a line runs, after its prompt, `sudo -u USER`, `env` and assignments.
pub(super) fn first_command_word(line: &str) -> &str {
    let l = shell::strip_prompt(line).unwrap_or(line).trim_start();
    // Only the first few words can hold the command name.
    let mut buf = [""; 8];
    let mut n = 0;
    for w in l.split_whitespace().take(buf.len()) {
        buf[n] = w;
        n += 1;
    }
    let words = &buf[..n];
    let (at, w) = shell::command_name(words).unwrap_or((words.len(), ""));
    // `ROUTE=$(oc get routes …`, `NOW=$(date)`: the command is the one substituted.
    let substituted = words[..at].iter().find_map(|a| a.split_once("=$(").map(|(_, c)| c.trim_end_matches(')'))).filter(|c| !c.is_empty());
    substituted.unwrap_or(w)
}

pub(crate) fn is_known_command(line: &str) -> bool {
    let l = shell::strip_prompt(line).unwrap_or(line).trim_start();
    // A loop or conditional is shell whatever it runs: `while true; do …; done`.
    let raw_first = l.split([' ', ';']).next().unwrap_or("");
    if matches!(raw_first, "for" | "while" | "until" | "if" | "case") && l.len() > raw_first.len() {
        return true;
    }
    let w = first_command_word(line);
    let base = w.rsplit('/').next().unwrap_or(w);
    // `sudo hatop -s /run/haproxy/admin.sock`: whatever sudo runs is a command.
    let under_sudo = raw_first == "sudo"
        && !base.is_empty()
        && base.starts_with(|c: char| c.is_ascii_lowercase())
        && base.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    // `chef-client-enable`: a helper named after a known tool whose own name has a hyphen.
    let compound = || base.match_indices('-').any(|(at, _)| base[..at].contains('-') && KNOWN_COMMANDS.contains(&base[..at]));
    under_sudo
        || KNOWN_COMMANDS.contains(base)
        || compound()
        || w.starts_with("./")
        || w.starts_with("/usr/")
        || w.starts_with("/opt/")
        || w.starts_with("~/")
        || w.starts_with("/bin/")
        || w.starts_with("/sbin/")
        || w.starts_with("$(")
}

/// A line of a prompt-less shell block that cannot be a command: a log line (`I0428 02:23…`,
/// `2024-05-01T…`), a setting (`interval = 30s`, `Status: Running`), a table header or message
/// (`NAME  READY`, `Failed calling webhook`), prose (`--analyze-only that…`), a query (`rate(x[5m])`).
pub(super) fn is_output_line(cmd: &str) -> bool {
    let line = cmd.lines().next().unwrap_or("").trim();
    if is_known_command(line) || command_kind(line) == StepKind::Sql {
        return false;
    }
    let mut words = line.split_whitespace();
    let (Some(first), second) = (words.next(), words.next()) else {
        return false;
    };
    let b = first.as_bytes();
    // `notAfter=Aug  6 13:11:20 2025 GMT`: what would run after the "assignment" is a number.
    let command = first_command_word(line);
    let glog = b.len() == 5 && matches!(b[0], b'I' | b'W' | b'E' | b'F') && b[1..].iter().all(u8::is_ascii_digit);
    // `total 34800`, `name   last_modified`: a listing, not a command.
    let counted = second.is_some_and(|w| w.bytes().all(|c| c.is_ascii_digit()));
    let columns = line.trim_end().contains("   ") && !line.contains(['|', '$', '\'', '"']);
    b[0].is_ascii_digit()
        || command.starts_with(|c: char| c.is_ascii_digit())
        || counted
        || columns
        || glog
        || matches!(second, Some("=" | ":" | "|"))
        || (first.len() > 1 && first.ends_with(':') && !first.contains('/'))
        || (b[0].is_ascii_uppercase() && !first.contains(['=', '/', '$']))
        || (b[0] == b'-' && !first.contains('='))
        || is_query_expression(first)
}

/// A block of `# cmd` lines read as a root session, when at least one of them is a command.
pub(super) fn root_session(text: &str) -> Option<shell::ShellBlock> {
    let sb = shell::read_session(text, &|w| is_known_command(w));
    (sb.had_prompts && !sb.commands.is_empty()).then_some(sb)
}

/// A block whose first line is root's prompt before a known command (`# ps auxww | grep x`):
/// a transcript, whatever the lines after it print. (`# docker runtime` above `docker ps` is a
/// note: there the first line that is no comment is a command.)
pub(super) fn opens_with_root_prompt(text: &str) -> bool {
    let Some(first) = text.lines().map(str::trim).find(|l| !l.is_empty()) else { return false };
    first.starts_with("# ")
        && !looks_like_shell(text)
        && root_session(text)
            .is_some_and(|sb| sb.commands.first().is_some_and(|c| first.ends_with(c.text.lines().next().unwrap_or("").trim())))
}

/// A command that opens an interactive console (`gitlab-rails console`, `irb`, a bare
/// `redis-cli`): its name, when it is one.
pub(super) fn interactive_session(cmd: &str) -> Option<String> {
    let words: Vec<&str> = cmd.split_whitespace().collect();
    // `sudo -i`, `sudo -s`: a root shell, no command.
    if words.first() == Some(&"sudo")
        && words.len() <= 3
        && words[1..].iter().all(|w| matches!(*w, "-i" | "-s" | "su" | "-"))
        && words.len() > 1
    {
        return Some(words.join(" "));
    }
    let (at, name) = shell::command_name(&words)?;
    let base = name.rsplit('/').next().unwrap_or(name);
    let args: Vec<&str> = words[at + 1..].to_vec();
    let operands = args.iter().filter(|a| !a.starts_with('-')).count();
    let shell = |w: &str| matches!(w.rsplit('/').next().unwrap_or(w), "bash" | "sh" | "zsh" | "ash");
    let console = match base {
        "gitlab-rails" | "rails" | "bundle" => args.iter().any(|a| matches!(*a, "console" | "c" | "dbconsole")),
        "irb" | "pry" | "mongo" | "mongosh" => !args.iter().any(|a| a.starts_with("--eval")),
        // `python manage.py shell`, `python3` alone: a Python prompt.
        "python" | "python3" => args.is_empty() || args.ends_with(&["shell"]),
        // `redis-cli -h host -p 6379` alone: only connection flags (`--bigkeys` runs and exits).
        "redis-cli" => {
            let mut rest = args.iter();
            let mut only_connection = true;
            while let Some(a) = rest.next() {
                match *a {
                    "-h" | "-p" | "-a" | "-n" | "-u" | "--user" | "--pass" => {
                        rest.next();
                    }
                    "-c" | "--tls" | "--raw" | "--no-auth-warning" | "--askpass" => {}
                    _ => only_connection = false,
                }
            }
            only_connection
        }
        // A shell on a node or in a pod: `oc debug node/x`, `oc -n x rsh pod`, `kubectl exec -it pod -- bash`.
        "oc" | "kubectl" => {
            let dash = args.iter().position(|a| *a == "--");
            let before = &args[..dash.unwrap_or(args.len())];
            let value_flags =
                ["-n", "--namespace", "-c", "--container", "--context", "--kubeconfig", "-l", "--selector", "--as", "--image"];
            let mut positional = Vec::new();
            let mut i = 0;
            // Inside `$(oc get pods -l app=x -o name)`: one operand, however many words.
            let mut nested = 0usize;
            while let Some(a) = before.get(i) {
                let (opens, closes) = (a.matches("$(").count(), a.matches(')').count());
                if nested > 0 {
                    nested = (nested + opens).saturating_sub(closes);
                    i += 1;
                    continue;
                }
                if opens > 0 {
                    nested = opens.saturating_sub(closes);
                    positional.push(*a);
                    i += 1;
                    continue;
                }
                if value_flags.contains(a) {
                    i += 2;
                    continue;
                }
                if !a.starts_with('-') {
                    positional.push(*a);
                }
                i += 1;
            }
            let after = dash.map_or(&[][..], |d| &args[d + 1..]);
            match positional.first().copied() {
                Some("debug") => after.is_empty() || (after.len() == 1 && shell(after[0])),
                Some("rsh") => positional.len() <= 3 && after.is_empty(),
                Some("exec") => after.len() == 1 && shell(after[0]),
                _ => false,
            }
        }
        "docker" | "podman" | "crictl" | "nerdctl" => {
            matches!(args.first(), Some(&"exec" | &"run"))
                && args.iter().any(|a| a.starts_with("-it") || *a == "-i")
                && args.last().is_some_and(|l| shell(l))
        }
        // `gcloud compute ssh vm` and `docker-machine ssh m` without `--command`.
        "gcloud" => args.contains(&"ssh") && !args.iter().any(|a| a.starts_with("--command")),
        "docker-machine" => args.first() == Some(&"ssh") && args.iter().filter(|a| !a.starts_with('-')).count() == 2,
        // `ssh host`, `chroot /host`, `su - postgres`, `toolbox`: a shell with no command given.
        "ssh" => operands == 1 && !args.iter().any(|a| matches!(*a, "-L" | "-R" | "-D" | "-N" | "-W")),
        "chroot" => operands == 1,
        "su" => !args.contains(&"-c"),
        "toolbox" => args.is_empty(),
        // `sentry shell`, `poetry shell`, `heroku console`: a subcommand that opens a prompt.
        _ => operands == 1 && matches!(args.last(), Some(&"shell" | &"console")),
    };
    console.then(|| words[at..].join(" "))
}

/// Code typed into a console: a write unless it plainly only reads; destructive when it deletes.
pub(super) fn console_code_risk(code: &str, console: &str) -> Classified {
    let lower = code.to_ascii_lowercase();
    let destroys = [".delete", ".destroy", ".purge", ".clear", ".truncate", "delete_all", "destroy_all", ".drop", "flushall", "flushdb"];
    match destroys.iter().find(|w| lower.contains(*w)) {
        Some(w) => Classified { risk: Risk::Destructive, reason: format!("typed into `{console}`: calls `{}`", w.trim_start_matches('.')) },
        None => Classified { risk: Risk::Write, reason: format!("typed into `{console}`; nothing says it only reads") },
    }
}

/// A console of an application (`gitlab-rails console`, `irb`, `redis-cli`), as opposed to a
/// shell somewhere else: a later block that starts with a known command is not typed into it.
pub(super) fn is_console(opener: &str) -> bool {
    // A chain (`ssh db1 → sudo gitlab-rails console`) ends where the typing happens.
    let last = opener.rsplit(" → ").next().unwrap_or(opener);
    let words: Vec<&str> = last.split_whitespace().collect();
    matches!(words.last(), Some(&"shell" | &"console"))
        || shell::command_name(&words).is_some_and(|(_, n)| {
            matches!(
                n.rsplit('/').next().unwrap_or(n),
                "gitlab-rails" | "rails" | "bundle" | "irb" | "pry" | "mongo" | "mongosh" | "redis-cli" | "python" | "python3"
            )
        })
}

/// Whether code in `lang` is typed into the console `opener` opened: Ruby into a Rails console
/// or irb, Python into a Python or Django (`… shell`) prompt.
pub(super) fn console_speaks(opener: &str, lang: &str) -> bool {
    let last = opener.rsplit(" → ").next().unwrap_or(opener);
    match lang {
        "ruby" | "rb" | "irb" => ["rails", "irb", "pry", "bundle"].iter().any(|w| last.contains(w)),
        "python" | "py" | "python3" => last.contains("python") || last.trim_end().ends_with(" shell"),
        _ => false,
    }
}

/// `rate(x[5m])`, `histogram_quantile(0.99, …`, `up{job="api"}`: PromQL, not shell.
pub(super) fn is_query_expression(text: &str) -> bool {
    let first = text.split_whitespace().next().unwrap_or("");
    let call = first.find('(').is_some_and(|i| i > 0 && first[..i].chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        && !first.ends_with("()");
    let selector = first.find('{').is_some_and(|i| i > 0 && first[..i].chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'));
    // A bare metric name on its own line: `node_filesystem_free_bytes`.
    let metric = text.trim() == first && first.contains('_') && first.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
    call || selector || (metric && !is_known_command(first))
}

pub(super) fn looks_like_shell(text: &str) -> bool {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'));
    match lines.next() {
        Some(first) => shell::strip_prompt(first).is_some() || is_known_command(first) || sets_variables(first, lines),
        None => false,
    }
}

/// `instance="db-01"  # adjust` then `gcloud compute disks list …`, or `OLD_POOL=<name of old
/// pool>` alone: shell variables the commands below use. Assignments before a command, or
/// variables (upper case) given a value the operator supplies; not `key=value` settings.
fn sets_variables<'a>(first: &str, rest: impl Iterator<Item = &'a str>) -> bool {
    fn name(l: &str) -> Option<&str> {
        let (n, _) = l.split_once('=')?;
        let ok = !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !n.starts_with(|c: char| c.is_ascii_digit());
        ok.then_some(n)
    }
    let upper = |n: &str| n.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    let Some(first_name) = name(first) else { return false };
    let (mut all_upper, mut supplied) = (upper(first_name), first.contains('<'));
    for l in rest {
        if is_known_command(l) {
            return true;
        }
        let Some(n) = name(l) else { return false };
        all_upper &= upper(n);
        supplied |= l.contains('<');
    }
    supplied && all_upper
}

/// Words that start an SQL statement worth running as a step (upper case).
pub(super) fn is_sql_keyword(word: &str) -> bool {
    matches!(
        word,
        "SELECT"
            | "WITH"
            | "INSERT"
            | "UPDATE"
            | "DELETE"
            | "ALTER"
            | "CREATE"
            | "DROP"
            | "TRUNCATE"
            | "VACUUM"
            | "ANALYZE"
            | "EXPLAIN"
            | "REINDEX"
            | "GRANT"
            | "REVOKE"
    )
}

/// The kind of one command line inside a shell block.
pub(super) fn command_kind(cmd: &str) -> StepKind {
    let t = cmd.trim_start();
    let word: String = t.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let sql_keyword = is_sql_keyword(&word) || word == "SHOW";
    if sql_keyword && t.len() > word.len() && t[word.len()..].starts_with([' ', '\n', '(', ';']) {
        return StepKind::Sql;
    }
    if t.contains("curl") && shell::parse_curl(t).is_some() {
        return StepKind::Http;
    }
    StepKind::Shell
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_by_kind() {
        assert_eq!(command_kind("SELECT * FROM t;"), StepKind::Sql);
        assert_eq!(command_kind("curl -s https://api.example.com/health"), StepKind::Http);
        assert_eq!(command_kind("kubectl get pods"), StepKind::Shell);
        assert!(looks_like_sql("-- who is locked\nSELECT user_id FROM login_attempts;"));
        assert!(!looks_like_sql("kubectl get pods"));
    }

    #[test]
    fn output_and_consoles() {
        assert!(is_output_line("NAME      READY   STATUS"));
        assert!(!is_output_line("kubectl get pods"));
        assert_eq!(interactive_session("ssh db1.example.com").as_deref(), Some("ssh db1.example.com"));
        assert!(interactive_session("ssh db1 uptime").is_none());
        assert!(is_known_command("./bin/drain.sh web-1"));
    }

    #[test]
    fn package_and_link_commands_and_helpers_named_after_a_tool_are_commands() {
        for line in ["apk add curl jq", "ln -s /usr/bin/python3 /usr/bin/python", "pip install requests", "tf plan -out plan"] {
            assert!(is_known_command(line), "{line}");
        }
        // `chef-client-disable "reason"` is chef-client's helper; `read-only` is not `read`'s.
        assert!(is_known_command("sudo chef-client-disable \"maintenance\""));
        assert!(is_known_command("chef-client-enable"));
        assert!(!is_known_command("read-only replicas"));
    }

    #[test]
    fn variables_set_for_the_commands_below_are_shell() {
        assert!(looks_like_shell(
            "region=\"eu-1\"  # adjust\ndisk=\"${region}-data\"\n\ngcloud compute disks list --filter=\"name: $disk\"\n"
        ));
        assert!(looks_like_shell("OLD_POOL=<name of old pool>\nNEW_POOL=<name of new pool>\n"));
        // Settings of a file are not shell.
        assert!(!looks_like_shell("max_connections=500\nshared_buffers=8GB\n"));
        assert!(!looks_like_shell("APP_ENV=production\nLOG_LEVEL=info\n"));
    }

    #[test]
    fn a_block_opening_with_roots_prompt_is_a_transcript() {
        assert!(opens_with_root_prompt("# pstree -pals $(pgrep nginx)\nsystemd,1 --system\n  └─nginx,812 -g daemon off;"));
        // A note above commands is a comment, not a prompt.
        assert!(!opens_with_root_prompt("# docker runtime\ndocker ps | grep web\n"));
        assert!(!opens_with_root_prompt("# restart the service if it hangs\nUSER PID\n"));
    }
}
