//! `runbook serve`: a page opened before a run shows each step as the driver (another process)
//! runs it, within a second of its event being written, in real headless Chromium; the
//! decision with its evidence and the result table; no request leaves the server's origin;
//! off loopback, no request is served without the token; a small team load on one PostgreSQL
//! store loses and reorders nothing (the full one is `scripts/bench-team`).

#![allow(clippy::unwrap_used)]

mod cdp;
mod server;
#[path = "../support/mod.rs"]
mod support;

use serde_json::Value;
use server::{get, get_for, serve};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "team-token-5c1f0e";

/// A runbook that waits for a go file before its first step, so a follower can open the page
/// first; then a SQL step (a table), a shell step, a decision and a fix.
const DRILL: &str = include_str!("drill.md");

struct Drill {
    dir: tempfile::TempDir,
}

impl Drill {
    fn new() -> Drill {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("app.db");
        let made = Command::new("python3")
            .arg("-c")
            .arg("import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('create table users (id integer primary key, email text, locked integer)'); c.executemany('insert into users values (?,?,?)', [(1,'dr.patel@clinic.example',1),(2,'<b>nurse</b>@clinic.example',1),(3,'ok@clinic.example',0)]); c.commit()")
            .arg(&db)
            .status()
            .unwrap();
        assert!(made.success());
        std::fs::write(dir.path().join("drill.md"), DRILL).unwrap();
        std::fs::write(dir.path().join("answers.yaml"), "decisions: {choose-fix: Account locked}\n").unwrap();
        Drill { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `runbook run` of the drill in another process; it waits for the go file.
    fn start_driver(&self) -> std::process::Child {
        Command::new(server::binary())
            .args(["run", "drill.md", "--entry", "users-cannot-log-in", "--answers", "answers.yaml", "--journal-dir", "journals"])
            .arg("-p")
            .arg(format!("GO_FILE={}", self.path("go").display()))
            .current_dir(self.dir.path())
            .env("APP_DATABASE_URL", format!("sqlite://{}", self.path("app.db").display()))
            .env("XDG_STATE_HOME", self.path("state"))
            .env("NO_COLOR", "1")
            .env_remove("RUNBOOK_SESSIONS_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// The id of the one session in the journal directory, once it exists.
    fn session_id(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let found = std::fs::read_dir(self.path("journals"))
                .ok()
                .and_then(|rd| rd.filter_map(|e| e.ok()).find(|e| e.path().extension().is_some_and(|x| x == "jsonl")));
            if let Some(e) = found {
                return e.path().file_stem().unwrap().to_string_lossy().into_owned();
            }
            assert!(Instant::now() < deadline, "the driver started no session");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn journal(&self, id: &str) -> Vec<Value> {
        std::fs::read_to_string(self.path("journals").join(format!("{id}.jsonl")))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

fn millis(ts: &str) -> i64 {
    // `YYYY-MM-DDTHH:MM:SS.mmmZ` of today: the time of day is enough to compare with the
    // browser's clock read at the same moment.
    let t = &ts[11..23];
    let (h, m, s) = (&t[0..2], &t[3..5], &t[6..12]);
    let secs: f64 = s.parse().unwrap();
    (h.parse::<i64>().unwrap() * 3600 + m.parse::<i64>().unwrap() * 60) * 1000 + (secs * 1000.0).round() as i64
}

/// Time of day in ms (UTC) of a browser `Date.now()`.
fn day_millis(epoch_ms: i64) -> i64 {
    epoch_ms % 86_400_000
}

#[test]
fn a_page_opened_before_the_run_shows_each_step_live_off_loopback_with_the_token() {
    let drill = Drill::new();
    std::fs::create_dir_all(drill.path("journals")).unwrap();
    let server = serve(&drill.path("journals"), &["--listen", "0.0.0.0:0"], &[("RUNBOOK_SERVE_TOKEN", TOKEN)]).unwrap();
    assert!(server.listening.starts_with("0.0.0.0:"), "{}", server.listening);
    let mut driver = drill.start_driver();
    let id = drill.session_id();
    let origin = format!("http://127.0.0.1:{}", server.port);

    let mut browser = cdp::Browser::start();
    // The token once in the address; the server answers with a cookie and the plain address.
    browser.open(&format!("{origin}/sessions/{id}?token={TOKEN}"));
    assert_eq!(browser.eval("location.pathname + location.search"), Value::from(format!("/sessions/{id}")));
    // Opened before any step ran: the driver is still waiting for the go file.
    browser.wait_for("document.body.hasAttribute('data-live')", Duration::from_secs(10));
    let before: u64 = browser
        .eval("Math.max(0, ...Array.from(document.querySelectorAll('#timeline > li')).map(li => +li.dataset.seq))")
        .as_u64()
        .unwrap();
    assert_eq!(browser.eval("document.querySelectorAll('#timeline li.step_result').length"), Value::from(0), "no step had finished yet");

    std::fs::write(drill.path("go"), "").unwrap();
    let status = driver.wait().unwrap();
    assert!(status.success(), "the driver failed: {status:?}");
    let journal = drill.journal(&id);
    let last = journal.last().unwrap()["seq"].as_u64().unwrap();
    browser.wait_for(&format!("!!document.getElementById('event-{last}')"), Duration::from_secs(5));

    // Every event once, in order; each one written after the page was open arrived live,
    // within a second of being written.
    let items = browser.eval("JSON.stringify(Array.from(document.querySelectorAll('#timeline > li')).map(li => [+li.dataset.seq, li.dataset.received ? +li.dataset.received : null]))");
    let items: Vec<(u64, Option<i64>)> = serde_json::from_str(items.as_str().unwrap()).unwrap();
    assert_eq!(items.iter().map(|i| i.0).collect::<Vec<_>>(), (1..=last).collect::<Vec<_>>());
    let mut delays = Vec::new();
    for e in &journal {
        let seq = e["seq"].as_u64().unwrap();
        let received = items[seq as usize - 1].1;
        if seq <= before {
            continue;
        }
        let received = received.unwrap_or_else(|| panic!("event {seq} ({}) did not arrive live", e["type"]));
        let delay = day_millis(received) - millis(e["ts"].as_str().unwrap());
        assert!((-50..1000).contains(&delay), "event {seq} ({}) took {delay} ms to reach the page", e["type"]);
        delays.push(delay);
    }
    let live_steps: Vec<&str> = journal
        .iter()
        .filter(|e| e["type"] == "step_start" && e["seq"].as_u64().unwrap() > before)
        .map(|e| e["step"].as_str().unwrap())
        .collect();
    assert!(live_steps.len() >= 4, "steps seen arriving: {live_steps:?}");
    eprintln!("{} events arrived live; delays from commit to page (ms): {delays:?}", delays.len());

    // The path taken is marked on the graph.
    for step in ["wait-go", "find-locked", "rate-limits", "choose-fix", "unlock"] {
        assert_eq!(
            browser.eval(&format!("document.querySelector('svg.graph g.node[data-step=\"{step}\"]').hasAttribute('data-taken')")),
            Value::from(true),
            "{step}"
        );
    }
    // The decision with the suggestion, the evidence and the choice.
    let decision = browser.eval("document.querySelector('#timeline li.decision').textContent").as_str().unwrap().to_owned();
    assert!(decision.contains("Decision at choose-fix: Account locked"), "{decision}");
    assert!(decision.contains("Suggested: Account locked"), "{decision}");
    assert!(decision.contains("'Check for locked accounts' returned 2 rows"), "{decision}");
    // The result table, its cells as text (a value with markup stays text).
    let table = browser.eval("JSON.stringify(Array.from(document.querySelectorAll('#timeline table.result tr')).map(tr => Array.from(tr.children).map(c => c.textContent)))");
    let table: Vec<Vec<String>> = serde_json::from_str(table.as_str().unwrap()).unwrap();
    assert_eq!(table[0], ["id", "email", "locked"]);
    assert_eq!(table[2], ["2", "<b>nurse</b>@clinic.example", "1"]);
    assert_eq!(browser.eval("document.querySelectorAll('#timeline table.result b').length"), Value::from(0));
    assert_eq!(browser.eval("document.getElementById('state').textContent"), Value::from("finished"));

    // Nothing from elsewhere, no error, no blocked script or style.
    let requests = browser.requests();
    assert!(requests.iter().any(|r| r.contains("/events")), "the page follows the event stream: {requests:?}");
    for r in &requests {
        assert!(r.starts_with(&format!("{origin}/")), "a request off the server's origin: {r}");
    }
    assert_eq!(browser.errors(), Vec::<String>::new());

    let shots = repo_root().join("target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let png = browser.screenshot();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000);
    std::fs::write(shots.join("serve-session.png"), png).unwrap();
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// A finished rehearsal's journal directory, for the tests that need a session but no browser.
fn rehearsed() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(server::binary())
        .args(["rehearse", "runbooks/clinic.md", "--scenario", "fixtures/clinic/locked-account.yaml", "--journal-dir"])
        .arg(dir.path())
        .current_dir(repo_root())
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let id = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| e.path().extension().is_some_and(|x| x == "jsonl"))
        .unwrap()
        .path()
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    (dir, id)
}

#[test]
fn off_loopback_every_request_needs_the_token() {
    let (dir, id) = rehearsed();
    let refused = serve(dir.path(), &["--listen", "0.0.0.0:0"], &[]).err().unwrap();
    assert_eq!(refused.0, Some(2), "{}", refused.1);
    assert!(refused.1.contains("not a loopback address") && refused.1.contains("RUNBOOK_SERVE_TOKEN"), "{}", refused.1);

    let s = serve(dir.path(), &["--listen", "0.0.0.0:0", "--token", TOKEN], &[]).unwrap();
    let page = format!("/sessions/{id}");
    let events = format!("/sessions/{id}/events");
    let bearer = format!("Bearer {TOKEN}");
    for path in ["/", page.as_str(), events.as_str(), "/assets/live.js", "/assets/style.css", "/nowhere"] {
        let r = get(s.port, path, &[]);
        assert_eq!(r.status, 401, "{path} without the token");
        assert!(!r.body.contains("<table") && !r.body.contains("login-"), "{path}: {}", r.body);
        assert_eq!(get(s.port, path, &[("Authorization", "Bearer team-token-5c1f0f")]).status, 401, "{path} with a wrong token");
        assert_eq!(get(s.port, path, &[("Cookie", &format!("runbook_token={TOKEN}"))]).status, 401, "{path} with the token as the cookie");
    }
    assert_eq!(get(s.port, "/", &[("Authorization", &bearer)]).status, 200);
    assert_eq!(get(s.port, &page, &[("Authorization", &bearer)]).status, 200);
    assert_eq!(get(s.port, "/assets/live.js", &[("Authorization", &bearer)]).status, 200);
    let stream = get_for(s.port, &events, &[("Authorization", &bearer)], Duration::from_millis(1500));
    assert_eq!(stream.status, 200);
    assert!(stream.body.contains("id: 1\n"), "{}", stream.body);

    // `?token=` once: a cookie (HttpOnly, SameSite=Strict) and the address without the token.
    let first = get(s.port, &format!("{page}?token={TOKEN}"), &[]);
    assert_eq!(first.status, 303);
    assert_eq!(first.header("location").as_deref(), Some(page.as_str()));
    let cookie = first.header("set-cookie").unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(!cookie.contains(TOKEN), "the cookie holds a value derived from the token, not the token");
    let pair = cookie.split(';').next().unwrap().to_owned();
    assert_eq!(get(s.port, &page, &[("Cookie", &pair)]).status, 200);
    assert_eq!(get(s.port, &format!("{page}?token=wrong"), &[]).status, 401);
}

#[test]
fn on_loopback_pages_events_and_headers() {
    let (dir, id) = rehearsed();
    let s = serve(dir.path(), &["--listen", "127.0.0.1:0"], &[]).unwrap();
    let index = get(s.port, "/", &[]);
    assert_eq!(index.status, 200);
    assert!(index.body.contains(&format!("href=\"/sessions/{id}\"")) && index.body.contains("Clinic"), "{}", index.body);
    let csp = index.header("content-security-policy").unwrap();
    assert!(csp.starts_with("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'"), "{csp}");
    assert_eq!(index.header("x-content-type-options").as_deref(), Some("nosniff"));

    // A prefix finds the session; the page is whole without JavaScript: graph, path, timeline.
    let page = get(s.port, &format!("/sessions/{}", &id[..17]), &[]);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<svg") && page.body.contains("data-taken"), "the graph with the path taken");
    assert!(page.body.contains("class=\"event decision\"") && page.body.contains("<table class=\"result\">"));
    // No inline script or style, nothing loaded from elsewhere.
    assert_eq!(page.body.matches("<script").count(), 1);
    assert!(page.body.contains("<script src=\"/assets/live.js\" defer></script>"));
    assert!(!page.body.contains("<style") && !page.body.contains(" style=\""));
    for (i, _) in page.body.match_indices(" src=\"").chain(page.body.match_indices(" href=\"")) {
        let url = &page.body[i..].split('"').nth(1).unwrap();
        assert!(url.starts_with('/') || url.starts_with('#') || *url == "data:,", "{url}");
    }
    for asset in ["/assets/live.js", "/assets/style.css", "/assets/serve.css"] {
        let body = get(s.port, asset, &[]).body;
        assert!(!body.contains("http:") && !body.contains("https:") && !body.contains("url(") && !body.contains("@import"), "{asset}");
    }

    // A reconnect resumes after its Last-Event-ID.
    let resumed = get_for(s.port, &format!("/sessions/{id}/events"), &[("Last-Event-ID", "5")], Duration::from_millis(1500));
    assert_eq!(resumed.header("content-type").as_deref(), Some("text/event-stream"));
    let ids: Vec<&str> = resumed.body.lines().filter_map(|l| l.strip_prefix("id: ")).collect();
    assert_eq!(ids.first(), Some(&"6"), "{}", resumed.body);
    assert!(ids.windows(2).all(|w| w[0].parse::<u64>().unwrap() + 1 == w[1].parse::<u64>().unwrap()), "{ids:?}");

    // Another host name (DNS rebinding), an unknown session, a path in the id.
    let mut raw = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    use std::io::{Read, Write};
    raw.write_all(b"GET / HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n").unwrap();
    let mut reply = String::new();
    raw.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 421"), "{reply}");
    assert_eq!(get(s.port, "/sessions/nope", &[]).status, 404);
    assert_eq!(get(s.port, "/sessions/..%2f..%2fetc", &[]).status, 404);
}

/// The bounded load test, small: 4 drivers × 20 steps at once into one PostgreSQL store, 10
/// followers on the event streams from the first line to the end. Every follower sees its
/// session's lines 1, 2, 3… once each up to the end, every chain verifies, and lines arrive
/// within a second of their commit (`scripts/bench-team` runs 20 × 100 × 50).
#[test]
fn a_small_team_load_loses_and_reorders_nothing() {
    const DRIVERS: usize = 4;
    const STEPS: usize = 20;
    const FOLLOWERS: usize = 10;
    let store = support::servers::fresh_database();
    let dir = tempfile::tempdir().unwrap();
    let mut book = String::from("---\ntitle: Team load\n---\n\n# Team load\n\n## Many steps\n\n");
    for i in 1..=STEPS {
        book.push_str(&format!("```sql\nSELECT {i} AS n;\n```\n\n```yaml step\nid: s{i}\n```\n\n"));
    }
    std::fs::write(dir.path().join("steps.md"), book).unwrap();
    let s = serve(&dir.path().join("unused"), &["--listen", "127.0.0.1:0"], &[("RUNBOOK_SESSIONS_URL", &store)]).unwrap();
    let drivers: Vec<std::process::Child> = (0..DRIVERS)
        .map(|_| {
            Command::new(server::binary())
                .args(["run", "steps.md", "--yes", "--output", "json", "--db", &store, "--sessions", &store])
                .current_dir(dir.path())
                .env("XDG_STATE_HOME", dir.path().join("state"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    // The followers join as soon as every session exists, while the drivers run.
    let deadline = Instant::now() + Duration::from_secs(60);
    let ids = loop {
        let ids = support::servers::psql(&store, "SELECT id FROM runbook_sessions ORDER BY id");
        let ids: Vec<String> = ids.lines().map(str::to_owned).filter(|l| !l.is_empty()).collect();
        if ids.len() == DRIVERS {
            break ids;
        }
        assert!(Instant::now() < deadline, "the drivers started {} sessions", ids.len());
        std::thread::sleep(Duration::from_millis(20));
    };
    let follow = Command::new("python3")
        .arg(repo_root().join("tests/support/sse_follow.py"))
        .arg(format!("http://127.0.0.1:{}", s.port))
        .arg(FOLLOWERS.to_string())
        .arg("120")
        .args(&ids)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    for mut d in drivers {
        assert!(d.wait().unwrap().success(), "a driver failed");
    }
    let out = follow.wait_with_output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["problems"], serde_json::json!([]), "{report}");
    for id in &ids {
        let head = support::servers::psql(&store, &format!("SELECT head_seq FROM runbook_sessions WHERE id = '{id}'"));
        assert_eq!(report["per_session"][id], serde_json::json!([head.parse::<u64>().unwrap()]), "{id}: every follower reached the end");
        let v = Command::new(server::binary()).args(["transcript", "verify", id, "--sessions", &store]).output().unwrap();
        assert!(v.status.success(), "{id}: {}", String::from_utf8_lossy(&v.stdout));
    }
    let delays: Vec<f64> = report["delays_ms"].as_array().unwrap().iter().map(|d| d.as_f64().unwrap()).collect();
    if let Some(p95) = delays.get(delays.len() * 95 / 100) {
        assert!(*p95 < 1000.0, "p95 from commit to follower {p95} ms");
    }
    eprintln!(
        "{} lines to {FOLLOWERS} followers; {} arrived live, p95 {:?} ms",
        report["events"],
        delays.len(),
        delays.get(delays.len() * 95 / 100)
    );
}
