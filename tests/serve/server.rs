//! `runbook serve` as a child process, and plain HTTP/1.1 requests to it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_runbook")
}

pub struct Serve {
    child: Child,
    /// The port it listens on (connect through 127.0.0.1 whatever address it bound).
    pub port: u16,
    /// The address it says it listens on.
    pub listening: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `runbook serve ARGS` and waits for the address it prints; `Err(stderr)` when it exits.
// The child is waited for on every path: here when it exits early, else by `Serve`'s drop.
#[allow(clippy::zombie_processes)]
pub fn serve(journals: &Path, args: &[&str], env: &[(&str, &str)]) -> Result<Serve, (Option<i32>, String)> {
    let mut cmd = Command::new(binary());
    cmd.arg("serve").arg("--journal-dir").arg(journals).args(args).env_remove("RUNBOOK_SERVE_TOKEN").env_remove("RUNBOOK_SESSIONS_URL");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let mut all = String::new();
    loop {
        line.clear();
        if stderr.read_line(&mut line).unwrap_or(0) == 0 {
            let status = child.wait().unwrap();
            return Err((status.code(), all));
        }
        all.push_str(&line);
        if let Some(rest) = line.trim().strip_prefix("serving sessions on http://") {
            let listening = rest.split('/').next().unwrap().to_owned();
            let port = listening.rsplit(':').next().unwrap().parse().unwrap();
            // Keep draining stderr so the server never blocks on a full pipe.
            std::thread::spawn(move || {
                let mut rest = String::new();
                let _ = stderr.read_to_string(&mut rest);
            });
            return Ok(Serve { child, port, listening });
        }
    }
}

pub struct Reply {
    pub status: u16,
    pub headers: String,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }
}

/// `GET path` through 127.0.0.1 with extra headers; reads until the server closes or `wait`
/// passes (event streams never close).
pub fn get_for(port: u16, path: &str, headers: &[(&str, &str)], wait: Duration) -> Reply {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(wait)).unwrap();
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut bytes = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => bytes.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Reply { status, headers: head.to_owned(), body: body.to_owned() }
}

pub fn get(port: u16, path: &str, headers: &[(&str, &str)]) -> Reply {
    get_for(port, path, headers, Duration::from_secs(10))
}
