//! One command by its words: the command, its subcommand and the flags that change what it
//! does (a dry run, a mode that only reads).

use super::*;
use std::ops::ControlFlow;

/// Destructive commands that become harmless with these flags.
pub(super) fn is_dry_run(args: &[&str]) -> bool {
    args.iter().any(|a| a.starts_with("--dry-run") || *a == "--dryrun")
}

/// `git clean -n`, `rsync -n`: `-n` is a dry run for these.
pub(super) fn is_short_dry_run(base: &str, args: &[&str]) -> bool {
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
pub(super) fn classify_simple_command(words: &[&str]) -> Classified {
    classify_command(words)
}

/// PowerShell's `Verb-Noun` cmdlets (`Remove-Item`, `Get-Service`): the verb says the risk.
pub(super) fn powershell_cmdlet(name: &str) -> Option<Classified> {
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

pub(super) fn classify_command(words: &[&str]) -> Classified {
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
pub(super) fn classify_words(words: &[&str]) -> Classified {
    match words {
        // `bash -c '$(reboot)'`: one word, but the shell substitutes in it.
        [one] if one.contains([' ', ';', '|', '&', '\n', '$', '`', '<', '>']) => classify_shell(one),
        _ => classify_simple_command(words),
    }
}

/// The words after a command's options; `value_flags` take the next word as their value.
pub(super) fn after_options<'a, 'b>(args: &'a [&'b str], value_flags: &[&str]) -> &'a [&'b str] {
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

pub(super) fn own_risk(base: &str, args: &[&str]) -> Classified {
    if let Some(c) = special_cases(base, args).or_else(|| client_risk(base, args)) {
        return c;
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
    let words = subcommand_words(args);
    let limit = if SUBCOMMAND_TOOLS.contains(base) { 6 } else { 2 };
    let out = match verb_risk(base, &words, limit) {
        ControlFlow::Break(c) => return c,
        ControlFlow::Continue(c) => c,
    };
    if args.iter().any(|a| a.eq_ignore_ascii_case("-XDELETE") || a.eq_ignore_ascii_case("--request=DELETE")) {
        return classified(Risk::Destructive, "HTTP DELETE");
    }
    if out.risk > Risk::Read {
        return out;
    }
    unknown_command_risk(base, args, &words, limit, out)
}

/// Rules for one tool or flag that decide before anything else: dry runs, `drain --force`,
/// signals, a console opened alone, commands that only destroy.
fn special_cases(base: &str, args: &[&str]) -> Option<Classified> {
    if is_dry_run(args) || is_short_dry_run(base, args) {
        return Some(classified(Risk::Read, format!("`{base}` with --dry-run")));
    }
    // `oc adm prune images` only reports what it would remove until given `--confirm`.
    if matches!(base, "oc" | "kubectl")
        && args.contains(&"prune")
        && args.contains(&"adm")
        && !args.iter().any(|a| a.starts_with("--confirm"))
    {
        return Some(classified(Risk::Read, format!("`{base} adm prune` without --confirm is a dry run")));
    }
    // A drain moves pods elsewhere; `--force` and `--delete-emptydir-data` delete the pods no
    // controller brings back, and their local data with them.
    if matches!(base, "kubectl" | "oc")
        && args.contains(&"drain")
        && args.iter().any(|a| matches!(*a, "--force" | "--delete-emptydir-data" | "--delete-local-data") || a.starts_with("--force="))
    {
        return Some(classified(Risk::Destructive, format!("`{base} drain --force` deletes unmanaged pods")));
    }
    if base == "kill" || base == "pkill" || base == "killall" {
        // Signals that ask a process to report or reload are not destructive.
        let signal = args.iter().find(|a| a.starts_with('-') && a.len() > 1).map(|a| a.trim_start_matches('-').to_ascii_uppercase());
        return Some(match signal.as_deref() {
            Some("TTIN" | "TTOU" | "USR1" | "USR2" | "HUP" | "SIGHUP" | "SIGUSR1" | "SIGUSR2" | "CONT" | "0" | "L" | "WINCH") => {
                classified(Risk::Write, format!("`{base}` sends a signal"))
            }
            // TERM (the default), INT, QUIT: the process shuts down cleanly and its supervisor
            // starts it again; KILL gives it no chance to finish what it was writing.
            None | Some("TERM" | "SIGTERM" | "15" | "INT" | "SIGINT" | "2" | "QUIT" | "SIGQUIT" | "3") => {
                classified(Risk::Write, format!("`{base}` asks the process to stop"))
            }
            _ => classified(Risk::Destructive, format!("`{base}` command")),
        });
    }
    // `prlimit -n -p PID` shows the limit; `prlimit --nofile=65536 -p PID` sets it.
    if base == "prlimit" && !args.iter().any(|a| a.contains('=')) {
        return Some(classified(Risk::Read, "`prlimit` without a new value shows the limits"));
    }
    // `sudo pgb-console` alone: a console opens; what is typed into it has its own risk.
    if base.ends_with("-console") && args.is_empty() {
        return Some(classified(Risk::Read, format!("`{base}` opens a console")));
    }
    if base.starts_with("mkfs") || DESTRUCTIVE_COMMANDS.contains(base) {
        return Some(classified(Risk::Destructive, format!("`{base}` command")));
    }
    None
}

/// Clients whose arguments say what they send: curl's method, a file written, the SQL of
/// `psql -c`, a redis command.
fn client_risk(base: &str, args: &[&str]) -> Option<Classified> {
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
        return Some(match method.as_deref() {
            Some("DELETE") => classified(Risk::Destructive, "HTTP DELETE"),
            Some("GET" | "HEAD" | "OPTIONS") | None if !writes_data && !writes_file => classified(Risk::Read, "HTTP GET"),
            None if writes_file && !writes_data => classified(Risk::Write, "`curl -o` writes a file"),
            Some(m) => classified(Risk::Write, format!("HTTP {m}")),
            None => classified(Risk::Write, "HTTP POST"),
        });
    }
    if base == "tee" && args.iter().any(|a| !a.starts_with('-')) {
        return Some(classified(Risk::Write, "`tee` writes a file"));
    }
    if base == "pg_restore" && args.iter().any(|a| *a == "-c" || *a == "--clean") {
        return Some(classified(Risk::Destructive, "`pg_restore --clean` drops objects"));
    }
    if base == "pg_dump" && args.iter().any(|a| *a == "-f" || a.starts_with("--file")) {
        return Some(classified(Risk::Write, "`pg_dump` writes a file"));
    }
    if matches!(base, "psql" | "sqlite3" | "gitlab-psql" | "mysql") {
        if let Some(sql) = args.windows(2).find(|w| w[0] == "-c" || w[0] == "--command" || w[0] == "-e").map(|w| w[1]) {
            let c = classify_sql(sql);
            return Some(classified(c.risk, format!("{base} -c: {}", c.reason)));
        }
        if args.iter().any(|a| matches!(*a, "-f" | "--file") || a.starts_with("--file=")) {
            return Some(classified(Risk::Write, format!("`{base} -f` runs a SQL file nobody has read here")));
        }
        return Some(classified(Risk::Read, format!("`{base}` session")));
    }
    if base == "redis-cli" {
        for a in args.iter().filter(|a| !a.starts_with('-')) {
            let v = a.to_ascii_lowercase();
            if matches!(v.as_str(), "flushall" | "flushdb" | "del" | "unlink" | "shutdown") {
                return Some(classified(Risk::Destructive, format!("redis {}", v.to_ascii_uppercase())));
            }
            if matches!(v.as_str(), "set" | "config" | "expire" | "hset" | "lpush" | "rpush" | "sadd" | "debug" | "failover") {
                return Some(classified(Risk::Write, format!("redis {}", v.to_ascii_uppercase())));
            }
        }
        return Some(classified(Risk::Read, "redis read command"));
    }
    None
}

/// Subcommands: the words that are not flags (`kubectl -n x delete pod y`). Tools known to
/// take subcommands are read in full; others only in their first words.
/// Values of common flags (`--context prod`, `-n shop`) are not subcommands.
fn subcommand_words<'a>(args: &[&'a str]) -> Vec<&'a str> {
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
    words
}

/// The risk of the first subcommand words: breaks with a verb that decides it (a destructive
/// one, `rollout status`), continues with the riskiest write verb seen (or read).
fn verb_risk(base: &str, words: &[&str], limit: usize) -> ControlFlow<Classified, Classified> {
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
                return ControlFlow::Break(classified(Risk::Read, what(&path)));
            }
        }
        if DESTRUCTIVE_VERBS.contains(verb) {
            return ControlFlow::Break(classified(Risk::Destructive, what(&path)));
        }
        if out.risk < Risk::Write && WRITE_VERBS.contains(verb) {
            out = classified(Risk::Write, what(&path));
        }
    }
    ControlFlow::Continue(out)
}

/// Nothing says this command only reads: when in doubt, riskier. A tool with subcommands
/// reads when one of its first words is a read verb (`etcdctl endpoint status`); any other
/// command is unknown (`etcdctl defrag`, `./drain.sh`, `consul maint -enable`).
fn unknown_command_risk(base: &str, args: &[&str], words: &[&str], limit: usize, out: Classified) -> Classified {
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
pub(super) fn mode_dependent(base: &str, args: &[&str]) -> Option<Classified> {
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
