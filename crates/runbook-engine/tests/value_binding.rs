//! Property: whatever an operator types (quotes, `$(…)`, backticks, newlines, NUL, `..`,
//! `{{ … }}`, any Unicode), a step either runs with the value as plain data or is refused before
//! it runs. Checked on the binding layer in-process (10,000 cases where it is cheap), and with
//! real bash and SQLite where the value's trip through a program is the point.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use runbook_core::model::Step;
use runbook_engine::bind;
use runbook_engine::exec::{shell, sql};
use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

fn step(markdown_block: &str, lang: &str) -> Step {
    // Annotated, so the whole block is one step whatever inference would split.
    let md = format!("# T\n\n```{lang}\n{markdown_block}\n```\n\n```yaml step\nid: t\n```\n");
    let compiled = runbook_core::compile(runbook_core::Source::new("t.md", md));
    compiled.graph.steps.into_iter().next().expect("one step")
}

/// Values an attacker or a careless paste would produce, and plain ones.
fn value() -> impl Strategy<Value = String> {
    let fragment = prop_oneof![
        Just("'"),
        Just("\""),
        Just("$("),
        Just(")"),
        Just("`"),
        Just("\n"),
        Just("\r"),
        Just("\0"),
        Just(".."),
        Just("."),
        Just("/"),
        Just("{{ B_B }}"),
        Just("{{"),
        Just("}}"),
        Just(";"),
        Just("--"),
        Just(" "),
        Just("%2e"),
        Just("\\"),
        Just("é"),
        Just("🙂"),
        Just("a"),
        Just("Z9"),
        Just("@"),
        Just(":"),
        Just("-"),
        Just("?"),
        Just("#"),
        Just("&"),
        Just("+"),
        Just("*"),
        Just("touch /tmp/pwned"),
        Just("DROP TABLE canary"),
    ];
    prop_oneof![
        4 => proptest::collection::vec(fragment, 0..10).prop_map(|v| v.concat()),
        2 => any::<String>(),
        2 => "[A-Za-z0-9._:@/-]{0,24}",
    ]
}

fn plain(v: &str) -> bool {
    v.chars().all(|c| c.is_ascii_alphanumeric() || "._:@/-".contains(c)) && !v.contains("--")
}

/// Steps whose value a nested program reads as code.
const NESTED_CODE: &[&str] = &[
    "sudo -u postgres psql -X -c \"SELECT * FROM users WHERE email = 'VALUE'\"",
    "bash -c \"echo hello <value>\"",
    "kubectl exec -n web web-0 -- sh -c 'cat /tmp/<value>'",
    "ssh db-1 \"grep <value> /var/log/app.log\"",
    "mysql -e \"SELECT 1 FROM t WHERE id = <value>\"",
    "python3 -c \"print('<value>')\"",
    "mysql <<SQL\nSELECT 'VALUE';\nSQL",
];

/// Compiled once: the property runs 10,000 times.
static NESTED: LazyLock<Vec<Step>> = LazyLock::new(|| NESTED_CODE.iter().map(|c| step(c, "bash")).collect());
static ARGUMENT: LazyLock<Step> = LazyLock::new(|| step("grep -- <value> /var/log/app.log", "bash"));
static PSQL: LazyLock<Step> =
    LazyLock::new(|| step("psql \"$DB_URL\" -X -A -t -c \"SELECT count(*) FROM users WHERE email = 'VALUE'\"", "bash"));
static PSQL_HERE_DOCUMENT: LazyLock<Step> = LazyLock::new(|| step("psql -X <<SQL\nSELECT 'VALUE';\nSQL", "bash"));
static HTTP: LazyLock<Step> = LazyLock::new(|| {
    step(
        "curl -s -X POST 'https://app.example.com/api/users/{{ A_A }}/unlock?next={{ B_B }}' -H 'X-User: {{ A_A }}' -H 'Content-Type: application/json' -d '{\"id\": \"{{ A_A }}\", \"b\": \"{{ B_B }}\"}'",
        "bash",
    )
});

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, failure_persistence: None, ..ProptestConfig::default() })]

    /// Where a value would be code, it runs only when it is plain data, else it is refused by
    /// name; where it is only an argument, anything but NUL runs.
    #[test]
    fn values_read_as_code_are_plain_or_refused(v in value()) {
        let values = HashMap::from([("VALUE".to_owned(), v.clone())]);
        for (s, code) in NESTED.iter().zip(NESTED_CODE) {
            match bind::refuse_code_values(s, &values, &|_| None, &|_| false) {
                Ok(()) => prop_assert!(plain(&v), "{code}: {v:?} was accepted"),
                Err(e) => {
                    prop_assert!(!plain(&v), "{code}: {v:?} was refused: {}", e.message);
                    prop_assert!(e.message.contains("VALUE"), "{}", e.message);
                }
            }
        }
        let refused = bind::refuse_code_values(&ARGUMENT, &values, &|_| None, &|_| false).is_err();
        prop_assert_eq!(refused, v.contains('\0'));
        // psql run by the step's bash binds the value as a psql variable: any value goes.
        for psql in [&*PSQL, &*PSQL_HERE_DOCUMENT] {
            let refused = bind::refuse_code_values(psql, &values, &|_| None, &|_| false).is_err();
            prop_assert_eq!(refused, v.contains('\0'));
        }
    }

    /// A URL value is one path segment (or one query value) that decodes back to itself, a JSON
    /// body value parses back to itself, a header value is itself; a value is never read again
    /// as a placeholder. `.`/`..` as a segment and line breaks in a header are refused by name.
    #[test]
    fn http_values_are_encoded_once(a in value(), b in value()) {
        let values = HashMap::from([("A_A".to_owned(), a.clone()), ("B_B".to_owned(), b.clone())]);
        match bind::bind_http(&HTTP, &values) {
            Err(e) => {
                let dot = a == "." || a == "..";
                let header = a.contains(['\r', '\n', '\0']);
                prop_assert!(dot || header, "refused {a:?}: {e}");
                prop_assert!(e.contains("A_A"), "{e}");
            }
            Ok(req) => {
                prop_assert!(a != "." && a != "..");
                let url = reqwest::Url::parse(&req.url).unwrap();
                let segments: Vec<&str> = url.path_segments().unwrap().collect();
                prop_assert_eq!(segments.len(), 4, "{}", req.url);
                prop_assert_eq!((segments[0], segments[1], segments[3]), ("api", "users", "unlock"));
                let decoded = percent_encoding::percent_decode_str(segments[2]).decode_utf8().unwrap();
                prop_assert_eq!(decoded.as_ref(), a.as_str());
                let next: Vec<String> = url.query_pairs().filter(|(k, _)| k == "next").map(|(_, v)| v.into_owned()).collect();
                prop_assert_eq!(next, vec![b.clone()]);
                prop_assert_eq!(req.headers[0].1.as_str(), a.as_str());
                let body: serde_json::Value = serde_json::from_str(req.body.as_deref().unwrap()).unwrap();
                prop_assert_eq!(body["id"].as_str(), Some(a.as_str()));
                prop_assert_eq!(body["b"].as_str(), Some(b.as_str()));
            }
        }
    }
}

static RUNTIME: LazyLock<tokio::runtime::Runtime> =
    LazyLock::new(|| tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap());

/// Runs a shell step as the interpreter does: refusal first, then bash with the values in the
/// environment. `None` when refused.
fn run_shell(rt: &tokio::runtime::Runtime, code: &str, v: &str) -> Option<String> {
    let s = step(code, "bash");
    let values = HashMap::from([("VALUE".to_owned(), v.to_owned())]);
    bind::refuse_code_values(&s, &values, &|_| None, &|_| false).ok()?;
    let (bound, names) = bind::bind_shell(&s);
    let env = bind::shell_env(&s, &values);
    assert!(names.iter().all(|n| env.iter().any(|(k, _)| *k == bind::env_name(n))));
    let r = rt.block_on(shell::run(&bound, &env, &[], Duration::from_secs(10))).unwrap();
    assert_eq!(r.exit_code, 0, "{bound}: {}", r.stderr);
    Some(r.stdout)
}

proptest! {
    // Each case starts bash: fewer cases, the same generator.
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    /// Through real bash: every way of writing a placeholder outside nested code gives the
    /// program exactly the value, one word, unglobbed; nested code gets it only when plain.
    #[test]
    fn shell_values_reach_programs_as_one_word(v in value()) {
        let rt = &*RUNTIME;
        let arguments = "printf '<%s>' <value>\nprintf '<%s>' $VALUE\nprintf '<%s>' \"$VALUE\"\nprintf '<%s>' 'VALUE'\nprintf '<%s>' \"pre-<value>-post\"\nX=$(printf '%s' <value>); printf '<%s>' \"$X\"";
        match run_shell(rt, arguments, &v) {
            None => prop_assert!(v.contains('\0')),
            Some(out) => {
                let expected = format!("<{v}><{v}><{v}><{v}><pre-{v}-post><{}>", v.trim_end_matches('\n'));
                prop_assert_eq!(out, expected);
            }
        }
        // psql as a function that shows what it was given: the value is one argument of `-v`,
        // and the SQL it reads names the variable, never the value.
        let fake_psql = "psql() { for a in \"$@\"; do printf '[%s]' \"$a\"; done; printf '\\n'; cat \"${@: -1}\"; }\n";
        match run_shell(rt, &format!("{fake_psql}psql -X -c \"SELECT 1 FROM users WHERE email = 'VALUE'\""), &v) {
            None => prop_assert!(v.contains('\0')),
            Some(out) => {
                let expected = format!("[-X][-v][ON_ERROR_STOP=1][-v][runbook_value={v}][-f]");
                prop_assert!(out.starts_with(&expected), "{out:?}");
                prop_assert!(out.ends_with("]\nSELECT 1 FROM users WHERE email = :'runbook_value'\n"), "{out:?}");
            }
        }
        match run_shell(rt, "bash -c \"printf '<%s>' <value>\"", &v) {
            None => prop_assert!(!plain(&v)),
            Some(out) => {
                prop_assert!(plain(&v));
                prop_assert_eq!(out, format!("<{v}>"));
            }
        }
    }
}

/// One in-memory database for every case (its pool lives in the shared runtime).
static SQLITE: LazyLock<sql::Database> = LazyLock::new(|| {
    let _inside = RUNTIME.enter();
    sql::Database::open("sqlite::memory:").unwrap()
});
static SQLITE_STEP: LazyLock<Step> = LazyLock::new(|| step("SELECT 'VALUE' AS v, (SELECT count(*) FROM sqlite_master) AS tables;", "sql"));

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, failure_persistence: None, ..ProptestConfig::default() })]

    /// Through real SQLite: the value comes back exactly as given, and the canary is untouched.
    #[test]
    fn sql_values_come_back_as_data(v in value()) {
        let values = HashMap::from([("VALUE".to_owned(), v.clone())]);
        let run = sql::SqlRun { step: &SQLITE_STEP, values: &values, read_only: true, max_rows: 5, timeout: Duration::from_secs(10) };
        let r = RUNTIME.block_on(async { sql::run(&SQLITE, run).await }).unwrap();
        prop_assert_eq!(r.rows[0]["v"].as_str(), Some(v.as_str()));
        prop_assert_eq!(r.rows[0]["tables"].as_i64(), Some(0));
    }
}

/// Shell-looking text: quotes, substitutions, here-documents, placeholders, wrappers.
fn shell_code() -> impl Strategy<Value = String> {
    let fragment = prop_oneof![
        Just("'"),
        Just("\""),
        Just("$("),
        Just(")"),
        Just("`"),
        Just("\n"),
        Just("\\"),
        Just(" "),
        Just("<<EOF\n"),
        Just("EOF\n"),
        Just("<<'X'\n"),
        Just("<<<"),
        Just("#"),
        Just("|"),
        Just(";"),
        Just("&&"),
        Just("2>&1"),
        Just(">"),
        Just("<value>"),
        Just("'VALUE'"),
        Just("$VALUE"),
        Just("${VALUE}"),
        Just("{{ VALUE }}"),
        Just("psql -c "),
        Just("bash -c "),
        Just("ssh h "),
        Just("sudo "),
        Just("https://h/a/"),
        Just("X=<value> "),
        Just("$X"),
        Just("é"),
        Just("{{"),
        Just("<"),
        Just("("),
    ];
    prop_oneof![3 => proptest::collection::vec(fragment, 0..16).prop_map(|v| v.concat()), 1 => any::<String>()]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, failure_persistence: None, ..ProptestConfig::default() })]

    /// No shell text makes the analysis or the binding panic, and every variable of the
    /// environment it builds is one the bound code reads.
    #[test]
    fn any_shell_text_is_bound_without_panicking(code in shell_code(), v in value()) {
        // The step made directly, not from Markdown: any text, even one no block could hold.
        let mut s = ARGUMENT.clone();
        s.placeholders = runbook_core::placeholder::find(&code, runbook_core::placeholder::CodeKind::Shell, &[]);
        s.params = s.placeholders.iter().map(|p| p.name.clone()).collect();
        s.code = code;
        let values: HashMap<String, String> = s.params.iter().map(|n| (n.clone(), v.clone())).collect();
        let _ = bind::refuse_code_values(&s, &values, &|_| None, &|_| false);
        let (bound, _) = bind::bind_shell(&s);
        for (name, _) in bind::shell_env(&s, &values) {
            prop_assert!(bound.contains(name.as_str()), "{name} unused in {bound}");
        }
        let positions: Vec<usize> = (0..=s.code.len()).collect();
        let _ = runbook_core::value_site::value_sites(&s.code, &positions);
    }
}
