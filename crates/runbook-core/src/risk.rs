//! Risk classes: SQL by statement type (sqlparser, not a regex), HTTP by method, shell by
//! command. When in doubt a step is classified as riskier, never as safer.
//!
//! A shell line is read here, its commands in `command` (which reads the shell lines nested in
//! a command, `sh -c "…"`, through `classify_shell`), SQL in `sql`, HTTP in `http`.

use crate::hidden_writes;
use crate::model::Risk;
use crate::shell;

mod command;
mod http;
mod sql;
mod vocabulary;

use command::*;
pub use http::{classify_http, classify_http_method};
pub use sql::{classify_sql, classify_sql_keywords};
use vocabulary::*;

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

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testing::shell_risk as sh;

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

    #[test]
    fn curl_to_dev_null_reads_autoremove_drain_and_kill_9_destroy() {
        sh("curl -s -o /dev/null -w '%{http_code}' https://h/health", Risk::Read);
        sh("sudo apt-get autoremove", Risk::Destructive);
        sh("kill -TERM 1827", Risk::Write);
        sh("kubectl drain node-1 --ignore-daemonsets --force", Risk::Destructive);
        sh("kill -9 1827", Risk::Destructive);
    }
}
