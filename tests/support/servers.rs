//! Real servers for end-to-end tests: a throwaway PostgreSQL cluster (scripts/pg-test-server,
//! one per test binary, stopped by its watchdog when the binary exits) with a fresh database per
//! test, and the loopback HTTP server of tests/support/http_server.py (one per test).

use super::repo_root;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

fn pg_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("runbook-pg-{}", std::process::id()))
}

/// Connections to the database of `url` the server has logged (`log_connections = on`).
/// Counting per database keeps tests that run at the same time out of each other's counts.
pub fn postgres_connections_logged(url: &str) -> usize {
    let name = url.rsplit('/').next().unwrap_or_default();
    let needle = format!("database={name} ");
    let log = std::fs::read_to_string(pg_dir().join("server.log")).unwrap_or_default();
    log.lines().filter(|l| l.contains("connection authorized") && (l.contains(&needle) || l.ends_with(&format!("database={name}")))).count()
}

/// The cluster's base URL (database `runbook_test` holds schema and seed).
pub fn postgres() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let dir = pg_dir();
        let out = Command::new("bash")
            .arg(repo_root().join("scripts/pg-test-server"))
            .arg("start")
            .arg(&dir)
            .arg("--watch")
            .arg(std::process::id().to_string())
            .current_dir(repo_root())
            .stderr(Stdio::inherit())
            .output()
            .expect("scripts/pg-test-server runs");
        assert!(out.status.success(), "PostgreSQL did not start (see above); run `bash scripts/install-deps`");
        String::from_utf8(out.stdout).expect("utf-8").trim().to_owned()
    })
}

/// A new database copied from the seeded one, so tests that change rows do not meet.
pub fn fresh_database() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let base = postgres();
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let name = format!("t{}_{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst));
    // Copying a template needs nobody connected to it: connect to `postgres` instead, and
    // one copy at a time.
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    psql(&base.replace("/runbook_test", "/postgres"), &format!("CREATE DATABASE {name} TEMPLATE runbook_test STRATEGY FILE_COPY"));
    base.replace("/runbook_test", &format!("/{name}"))
}

/// Runs SQL with psql and returns its unaligned output.
pub fn psql(url: &str, sql: &str) -> String {
    let out = Command::new("psql").arg(url).args(["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", sql]).output().expect("psql runs");
    assert!(out.status.success(), "psql failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// The loopback HTTP server; killed when dropped.
pub struct HttpServer {
    child: Child,
    pub port: u16,
}

impl HttpServer {
    pub fn start() -> HttpServer {
        let mut child = Command::new("python3")
            .arg(repo_root().join("tests/support/http_server.py"))
            .args(["--port", "0", "--watch", &std::process::id().to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("port line");
        let port = line.trim().parse().expect("a port number");
        HttpServer { child, port }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `--target` flags pointing every host of the shipped runbooks here.
    pub fn targets(&self) -> Vec<String> {
        ["clinic.example.com", "invites.example.com", "api.mailer.example.com"].iter().map(|h| format!("{h}={}", self.base())).collect()
    }

    /// The same as `--target HOST=URL` arguments, ready to extend a command line.
    pub fn target_args(&self) -> Vec<String> {
        self.targets().into_iter().flat_map(|t| ["--target".to_owned(), t]).collect()
    }

    fn call(&self, method: &str, path: &str, body: &str) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(5))).ok();
        write!(s, "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        let mut out = String::new();
        s.read_to_string(&mut out).ok();
        out.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default()
    }

    pub fn mode(&self, json: &str) {
        self.call("POST", "/__mode", json);
    }

    pub fn respond(&self, json: &str) {
        self.call("POST", "/__respond", json);
    }

    pub fn requests(&self) -> serde_json::Value {
        serde_json::from_str(&self.call("GET", "/__requests", "")).expect("requests JSON")
    }

    pub fn connections(&self) -> u64 {
        let v: serde_json::Value = serde_json::from_str(&self.call("GET", "/__connections", "")).expect("JSON");
        v["connections"].as_u64().unwrap_or(0)
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on (for "connection refused").
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}
