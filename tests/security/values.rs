//! Values are data: never code for SQL, shell, nested interpreters, URLs or templates; secrets never leak encoded.
//!
//! Each attack of issue 12 runs through the real binary against real PostgreSQL and the loopback
//! HTTP server, and each test also runs a harmless value through the same step, so it fails if
//! the step simply never runs.

use crate::support::encodings::{base64, encodings};
use crate::support::servers::{HttpServer, fresh_database, psql};
use crate::support::{code, runbook_with, stderr, stdout};
use std::path::{Path, PathBuf};

/// A runbook in a temp dir, run with `--param`s and `--journal-dir`/`--record` dirs of its own.
struct Case {
    dir: tempfile::TempDir,
}

struct Ran {
    out: String,
    err: String,
    code: i32,
}

impl Case {
    fn new(markdown: &str) -> Case {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("book.md"), markdown).unwrap();
        Case { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `runbook run` without a terminal, `--yes`, with the given extra arguments.
    fn run(&self, extra: &[String]) -> Ran {
        let mut args: Vec<String> = ["run", "--yes", "--follow-suggestions"].iter().map(|s| s.to_string()).collect();
        args.push(self.path("book.md").display().to_string());
        args.extend(["--journal-dir".to_owned(), self.path("journal").display().to_string()]);
        args.extend(["--record".to_owned(), self.path("record").display().to_string()]);
        args.extend(extra.iter().cloned());
        let o = runbook_with(&args, &[]);
        Ran { out: stdout(&o), err: stderr(&o), code: code(&o) }
    }
}

fn params(pairs: &[(&str, &str)]) -> Vec<String> {
    pairs.iter().flat_map(|(k, v)| ["--param".to_owned(), format!("{k}={v}")]).collect()
}

/// The refusal names the parameter and the program that would have read the value as code.
fn assert_refused(ran: &Ran, param: &str, reader: &str) {
    let all = format!("{}{}", ran.out, ran.err);
    assert!(all.contains("refused to run") && all.contains(param) && all.contains(reader), "not refused as expected:\n{all}");
    assert_ne!(ran.code, 0, "a refused step is a failed step");
}

const PSQL_STEP: &str = r#"# Lookups

## Find a user

### Diagnosis

```bash
psql "$DB_URL" -X -A -t -c "SELECT 'found:' || count(*) FROM users WHERE email = 'VALUE'"
```
"#;

fn canary(db: &str) -> String {
    psql(db, "CREATE TABLE canary (x int); INSERT INTO canary VALUES (1)");
    db.to_owned()
}

const SQL_ATTACKS: [&str; 5] = [
    "x'; DROP TABLE canary; --",
    "x' OR 1=1; DROP TABLE canary; SELECT '",
    "x\\'; DROP TABLE canary;",
    "1--",
    "x'\n\\! touch /tmp/runbook-values-never\n'",
];

/// `psql -c` run by the step's own bash: the SQL is rewritten to take the value as a psql
/// variable (`:'runbook_value'`), so every value runs, as data.
#[test]
fn sql_in_psql_c_is_bound() {
    let db = canary(&fresh_database());
    let double = Case::new(PSQL_STEP);
    let single = Case::new(&PSQL_STEP.replace(
        r#"-c "SELECT 'found:' || count(*) FROM users WHERE email = 'VALUE'""#,
        "-c 'SELECT count(*) || <suffix> FROM users WHERE email = <email>'",
    ));
    for attack in SQL_ATTACKS {
        let ran = double.run(&params(&[("DB_URL", &db), ("VALUE", attack)]));
        assert_eq!(ran.code, 0, "{}{}", ran.out, ran.err);
        assert!(ran.out.contains("found:0"), "{attack:?} was not data:\n{}", ran.out);
        let ran = single.run(&params(&[("DB_URL", &db), ("EMAIL", attack), ("SUFFIX", ":found")]));
        assert!(ran.out.contains("0:found"), "{attack:?} was not data:\n{}{}", ran.out, ran.err);
        assert_eq!(psql(&db, "SELECT count(*) FROM canary"), "1", "the canary survives {attack:?}");
    }
    assert!(!Path::new("/tmp/runbook-values-never").exists(), "a psql meta-command in a value ran");
    // A real e-mail is found: the value reached the SQL intact.
    let ran = double.run(&params(&[("DB_URL", &db), ("VALUE", "dr.patel@clinic.example")]));
    assert!(ran.out.contains("found:1"), "{}{}", ran.out, ran.err);
}

/// `psql -c` behind a wrapper (`timeout`, `sudo`, `kubectl exec`) cannot be rewritten: a value
/// that is not plain is refused before the step runs.
#[test]
fn sql_in_wrapped_psql_c_never_becomes_code() {
    let db = canary(&fresh_database());
    let case = Case::new(&PSQL_STEP.replace("psql \"$DB_URL\"", "timeout 30 psql \"$DB_URL\""));
    for attack in SQL_ATTACKS {
        let ran = case.run(&params(&[("DB_URL", &db), ("VALUE", attack)]));
        assert_refused(&ran, "VALUE", "`psql -c`");
        assert_eq!(psql(&db, "SELECT count(*) FROM canary"), "1", "the canary survives {attack:?}");
    }
    // The same step with a plain value runs, and the value is data in the SQL string.
    let ran = case.run(&params(&[("DB_URL", &db), ("VALUE", "dr.patel@clinic.example")]));
    assert_eq!(ran.code, 0, "{}{}", ran.out, ran.err);
    assert!(ran.out.contains("found:1"), "{}", ran.out);
}

/// psql reading a here-document interpolates variables: the values are bound there too. Any
/// other program reading one (or psql behind a wrapper) gets the strict rule.
#[test]
fn sql_in_a_here_document_is_bound_or_refused() {
    let db = canary(&fresh_database());
    let block = "psql \"$DB_URL\" -X -A -t <<SQL\nSELECT 'found:' || count(*) FROM users WHERE email = 'VALUE';\nSQL";
    let bound = Case::new(&format!("# Lookups\n\n## Find\n\n### Diagnosis\n\n```bash\n{block}\n```\n"));
    let wrapped = Case::new(&format!("# Lookups\n\n## Find\n\n### Diagnosis\n\n```bash\ntimeout 30 {block}\n```\n"));
    for attack in SQL_ATTACKS {
        let ran = bound.run(&params(&[("DB_URL", &db), ("VALUE", attack)]));
        assert!(ran.out.contains("found:0"), "{attack:?} was not data:\n{}{}", ran.out, ran.err);
        let ran = wrapped.run(&params(&[("DB_URL", &db), ("VALUE", attack)]));
        assert_refused(&ran, "VALUE", "here-document");
        assert_eq!(psql(&db, "SELECT count(*) FROM canary"), "1", "the canary survives {attack:?}");
    }
    assert!(!Path::new("/tmp/runbook-values-never").exists(), "a psql meta-command in a value ran");
    for case in [&bound, &wrapped] {
        let ran = case.run(&params(&[("DB_URL", &db), ("VALUE", "dr.patel@clinic.example")]));
        assert!(ran.out.contains("found:1"), "{}{}", ran.out, ran.err);
    }
}

#[test]
fn shell_values_in_nested_interpreters_never_run() {
    let marker = tempfile::tempdir().unwrap();
    let pwned = marker.path().join("pwned");
    let p = pwned.display().to_string();
    let case = Case::new("# Shell\n\n## Greet\n\n### Diagnosis\n\n```bash\nbash -c \"echo hello <value>\"\n```\n");
    let attacks = [
        format!("$(touch {p})"),
        format!("`touch {p}`"),
        format!("x; touch {p}"),
        format!("x\ntouch {p}"),
        format!("x && touch {p}"),
        format!("x | tee {p}"),
    ];
    for attack in &attacks {
        let ran = case.run(&params(&[("VALUE", attack)]));
        assert_refused(&ran, "VALUE", "`bash -c`");
        assert!(!pwned.exists(), "{attack:?} ran as code");
    }
    let ran = case.run(&params(&[("VALUE", "world-1")]));
    assert_eq!(ran.code, 0, "{}{}", ran.out, ran.err);
    assert!(ran.out.contains("hello world-1"), "{}", ran.out);

    // Through a variable of the step: the value still reaches the nested shell.
    let via = Case::new("# Shell\n\n## Greet\n\n### Diagnosis\n\n```bash\nGREETING=<value>\nbash -c \"echo hello $GREETING\"\n```\n");
    let ran = via.run(&params(&[("VALUE", &attacks[0])]));
    assert_refused(&ran, "VALUE", "`bash -c`");
    assert!(!pwned.exists(), "ran as code through a variable");
    let ran = via.run(&params(&[("VALUE", "world-2")]));
    assert!(ran.out.contains("hello world-2"), "{}{}", ran.out, ran.err);
}

/// Every interpreter that takes code as an argument: the step is refused before it runs (so no
/// ssh connection, no kubectl call, no python) and the message names the program.
#[test]
fn every_code_taking_interpreter_refuses_code_values() {
    let steps = [
        ("sh -c 'echo <value>'", "`sh -c`"),
        ("ssh -o BatchMode=yes db-1.invalid \"grep <value> /var/log/app.log\"", "`ssh`"),
        ("kubectl exec -n web web-0 -- sh -c \"cat /tmp/<value>\"", "`sh -c`"),
        ("mysql -u app -e \"SELECT * FROM users WHERE email = '<value>'\"", "`mysql -e`"),
        ("python3 -c \"print('<value>')\"", "`python3 -c`"),
        ("sudo -n -u postgres psql -X -c \"SELECT '<value>'\"", "`psql -c`"),
        ("watch -n 5 \"ls <value>\"", "`watch`"),
        ("awk '/<value>/ { print }' /dev/null", "awk program"),
    ];
    for (code_line, reader) in steps {
        let case = Case::new(&format!("# T\n\n## Step\n\n### Diagnosis\n\n```bash\n{code_line}\n```\n"));
        let ran = case.run(&params(&[("VALUE", "x'; touch /tmp/runbook-never-$$; '")]));
        assert_refused(&ran, "VALUE", reader);
        // Refused before running: no exit code was reported for the step.
        assert!(!ran.out.contains("exit code"), "{code_line} ran:\n{}", ran.out);
    }
}

#[test]
fn values_are_rendered_once_never_as_templates() {
    let server = HttpServer::start();
    let case = Case::new(
        "# T\n\n## Echo\n\n### Diagnosis\n\n```bash\ncurl -s -H 'X-A: {{ A_A }}' https://clinic.example.com/api/echo/{{ A_A }}/x\n```\n\n```bash\nprintf '<%s>' \"{{ A_A }}\"\n```\n",
    );
    let mut args = params(&[("A_A", "{{ B_B }}"), ("B_B", "x")]);
    args.extend(server.target_args());
    let ran = case.run(&args);
    let requests = server.requests();
    let request = &requests["requests"][0];
    assert_eq!(request["path"], "/api/echo/%7B%7B%20B_B%20%7D%7D/x");
    assert_eq!(request["headers"]["x-a"], "{{ B_B }}");
    assert!(ran.out.contains("<{{ B_B }}>"), "{}{}", ran.out, ran.err);
}

#[test]
fn an_unquoted_shell_variable_is_one_word_never_globbed() {
    let case = Case::new("# T\n\n## List\n\n### Diagnosis\n\n```bash\nprintf '<%s>' $TARGET_DIR\nls $TARGET_DIR\n```\n");
    let ran = case.run(&params(&[("TARGET_DIR", ". --version")]));
    assert!(ran.out.contains("<. --version>"), "{}{}", ran.out, ran.err);
    assert!(!ran.out.contains("GNU coreutils") && !ran.out.contains("Free Software"), "ls --version ran:\n{}", ran.out);
    let ran = case.run(&params(&[("TARGET_DIR", "*")]));
    assert!(ran.out.contains("<*>"), "globbed:\n{}", ran.out);
}

/// Native requests, and curl lines that run through bash (`-o FILE` needs curl itself).
#[test]
fn url_values_never_leave_their_path() {
    url_values_stay_in_path(|_| "curl -s https://clinic.example.com/api/users/<user_id>/unlock".to_owned());
    // `--target` is for native requests: the bash-run line names the server itself.
    url_values_stay_in_path(|base| format!("curl -s -o /dev/null -w '%{{http_code}}' \"{base}/api/users/<user_id>/unlock\""));
}

fn url_values_stay_in_path(curl: fn(&str) -> String) {
    let server = HttpServer::start();
    let curl = curl(&server.base());
    let case = Case::new(&format!("# T\n\n## Unlock\n\n### Diagnosis\n\n```bash\n{curl}\n```\n"));
    for bad in ["..", "."] {
        let mut args = params(&[("USER_ID", bad)]);
        args.extend(server.target_args());
        let ran = case.run(&args);
        assert!(format!("{}{}", ran.out, ran.err).contains("USER_ID"), "{}{}", ran.out, ran.err);
        assert_ne!(ran.code, 0);
    }
    assert_eq!(server.requests()["requests"].as_array().map(Vec::len), Some(0), "{curl}: a refused request was sent");
    for value in ["../../admin", "a/../../b", "%2e%2e", "x?y=1#z", "..;/x"] {
        let mut args = params(&[("USER_ID", value)]);
        args.extend(server.target_args());
        case.run(&args);
    }
    let requests = server.requests();
    let paths: Vec<&str> = requests["requests"].as_array().unwrap().iter().filter_map(|r| r["path"].as_str()).collect();
    assert_eq!(paths.len(), 5, "{curl}: {paths:?}");
    for path in paths {
        let middle = path.strip_prefix("/api/users/").and_then(|p| p.strip_suffix("/unlock"));
        assert!(middle.is_some_and(|m| !m.contains('/') && !m.contains('?') && !m.contains('#')), "{curl}: left its path: {path}");
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn assert_no_secret(texts: &[(String, String)], secrets: &[(&str, &str)]) {
    for (secret, user) in secrets {
        for form in encodings(secret, user) {
            for (where_, text) in texts {
                assert!(!text.contains(&form), "the secret appears as `{form}` in {where_}");
            }
        }
    }
}

const SECRETS_RUNBOOK: &str = r#"---
secrets:
  PASSWORD:
    env: RUNBOOK_TEST_NEVER_SET_PASSWORD
---

# Secrets

## Log in

### Diagnosis

```bash
curl -s "https://clinic.example.com/api/session?password={{ PASSWORD }}"
```

```yaml step
capture:
  api_token: json.token
```

```bash
curl -s https://clinic.example.com/api/items/{{ api_token }}
```

```bash
curl -s -u admin:{{ PASSWORD }} https://clinic.example.com/api/echo-auth
```

```bash
SESSION_TOKEN=$(printf 'tok/EN+%d x' 99)
echo "got $SESSION_TOKEN"
```

```bash
curl -s https://clinic.example.com/api/items/$SESSION_TOKEN
```

```bash
printf '%s\n' "$PASSWORD" | base64
printf '%s' "$PASSWORD" | jq -Rr @uri
printf '%s' "$PASSWORD" | jq -R .
printf 'token %s\n' "$PASSWORD"
```
"#;

#[test]
fn secrets_never_leak_in_any_encoding() {
    let server = HttpServer::start();
    let token = "cap/QWE+4321";
    let password = "p@ss w0rd/+x";
    server.respond(&serde_json::json!({"path": "/api/session", "status": 200, "json": {"token": token}}).to_string());
    // The auth echo answers with what a careless server does: the credentials it received.
    let basic = base64(format!("admin:{password}").as_bytes());
    server.respond(
        &serde_json::json!({"path": "/api/echo-auth", "status": 200, "json": {"authorization": format!("Basic {basic}"), "token": token}})
            .to_string(),
    );
    let case = Case::new(SECRETS_RUNBOOK);
    let mut streams = Vec::new();
    for output in ["terminal", "json"] {
        let mut args = params(&[("PASSWORD", password)]);
        args.extend(server.target_args());
        args.extend(["--output".to_owned(), output.to_owned()]);
        // Debug logs of every crate: to a file for one run, to stderr for the other.
        args.push("-vv".to_owned());
        if output == "terminal" {
            args.extend(["--log-file".to_owned(), case.path("run.log").display().to_string()]);
        }
        let ran = case.run(&args);
        assert_eq!(ran.code, 0, "{}{}", ran.out, ran.err);
        streams.push((format!("stdout ({output})"), ran.out));
        streams.push((format!("stderr ({output})"), ran.err));
    }
    // The steps did run and the values went out: the server saw them, bound and encoded.
    let requests = server.requests();
    let paths: Vec<&str> = requests["requests"].as_array().unwrap().iter().filter_map(|r| r["path"].as_str()).collect();
    assert!(paths.contains(&"/api/session?password=p%40ss%20w0rd%2F%2Bx"), "{paths:?}");
    assert!(paths.contains(&"/api/items/cap%2FQWE%2B4321"), "{paths:?}");
    assert!(paths.contains(&"/api/items/tok%2FEN%2B99%20x"), "{paths:?}");
    let events_json: Vec<String> = streams.iter().filter(|(w, _)| w.contains("json")).map(|(_, s)| s.clone()).collect();
    assert!(events_json.iter().any(|s| s.contains("step_result")), "the JSON run printed events");

    // Transcripts of every session, as HTML and Markdown, are files the tool writes too.
    let journal = case.path("journal");
    for file in files_under(&journal) {
        let id = file.file_stem().unwrap().to_string_lossy().into_owned();
        for format in ["html", "md", "json"] {
            let out = case.path(&format!("transcript-{id}.{format}"));
            let o = runbook_with(
                &["transcript", &id, "--format", format, "-o", &out.display().to_string(), "--journal-dir", &journal.display().to_string()],
                &[],
            );
            assert_eq!(code(&o), 0, "{}", stderr(&o));
        }
    }
    let mut texts = streams;
    let files = files_under(case.dir.path());
    assert!(files.iter().any(|f| f.starts_with(case.path("record"))), "a scenario was recorded");
    assert!(files.iter().any(|f| f.extension().is_some_and(|e| e == "html")), "a transcript was written");
    assert!(std::fs::metadata(case.path("run.log")).is_ok_and(|m| m.len() > 0), "debug logs were written");
    for file in files.into_iter().filter(|f| !f.ends_with("book.md")) {
        texts.push((file.display().to_string(), String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned()));
    }
    assert_no_secret(&texts, &[(password, "admin"), (token, "admin"), ("tok/EN+99 x", "admin")]);
}

/// Fragments of hostile values; `MARK` becomes a file path that must never be created.
fn hostile_value() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let fragment = prop_oneof![
        Just("'"),
        Just("\""),
        Just("$(touch MARK)"),
        Just("`touch MARK`"),
        Just("; touch MARK"),
        Just("\ntouch MARK\n"),
        Just("'; DROP TABLE canary; --"),
        Just(".."),
        Just("/"),
        Just("{{ B_B }}"),
        Just(" "),
        Just("%2e"),
        Just("*"),
        Just("é🙂"),
        Just("dr.patel@clinic.example"),
        Just("-"),
    ];
    proptest::collection::vec(fragment, 1..6).prop_map(|v| v.concat())
}

fn step_result_stdout(out: &str) -> Option<String> {
    out.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|e| e["event"] == "step_result" || e["type"] == "step_result")
        .and_then(|e| e["result"]["stdout"].as_str().map(str::to_owned))
}

proptest::proptest! {
    // Each case runs the binary four times: a few cases here, 10,000 in-process in
    // crates/runbook-engine/tests/value_binding.rs.
    #![proptest_config(proptest::test_runner::Config { cases: 12, failure_persistence: None, ..Default::default() })]

    /// Random hostile values through the binary: each step runs with the value as data or is
    /// refused before running; the canary survives, no file appears, no request leaves its path.
    #[test]
    fn hostile_values_end_to_end(raw in hostile_value()) {
        let marker = tempfile::tempdir().unwrap();
        let mark = marker.path().join("pwned");
        let v = raw.replace("MARK", &mark.display().to_string());
        let db = canary(&fresh_database());
        let server = HttpServer::start();

        let sql = Case::new(PSQL_STEP).run(&params(&[("DB_URL", &db), ("VALUE", &v)]));
        proptest::prop_assert!(sql.out.contains("refused to run") || sql.out.contains("found:"), "{}{}", sql.out, sql.err);
        proptest::prop_assert_eq!(psql(&db, "SELECT count(*) FROM canary"), "1");

        let nested = Case::new("# T\n\n## Greet\n\n### Diagnosis\n\n```bash\nbash -c \"echo hello <value>\"\n```\n").run(&params(&[("VALUE", &v)]));
        proptest::prop_assert!(nested.out.contains("refused to run") || nested.code == 0, "{}{}", nested.out, nested.err);

        let plain = Case::new("# T\n\n## Print\n\n### Diagnosis\n\n```bash\nprintf '<%s>' $VALUE\n```\n");
        let mut args = params(&[("VALUE", &v)]);
        args.extend(["--output".to_owned(), "json".to_owned()]);
        let printed = plain.run(&args);
        proptest::prop_assert_eq!(step_result_stdout(&printed.out), Some(format!("<{v}>")), "{}", printed.out);

        let url = Case::new("# T\n\n## Unlock\n\n### Diagnosis\n\n```bash\ncurl -s https://clinic.example.com/api/users/<user_id>/unlock\n```\n");
        let mut args = params(&[("USER_ID", &v)]);
        args.extend(server.target_args());
        url.run(&args);
        let requests = server.requests();
        for r in requests["requests"].as_array().unwrap() {
            let path = r["path"].as_str().unwrap_or_default();
            let middle = path.strip_prefix("/api/users/").and_then(|p| p.strip_suffix("/unlock"));
            proptest::prop_assert!(middle.is_some_and(|m| !m.contains(['/', '?', '#'])), "left its path: {path}");
        }
        proptest::prop_assert!(!mark.exists(), "{v:?} ran as code");
    }
}
