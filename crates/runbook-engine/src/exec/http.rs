//! HTTP steps: the curl command lines found by the parser, executed natively with reqwest (no
//! curl process). A trailing `| jq FILTER` runs in-process with jaq.

use crate::result::{ErrorKind, HttpResult, StepError};
use runbook_core::model::HttpRequest;
use serde_json::Value;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Responses larger than this are cut (the step still sees the status and headers).
const BODY_LIMIT: usize = 8 * 1024 * 1024;

/// Installs the ring crypto provider once per process (reqwest is built without a provider).
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The HTTP clients of one session. Building a client is the expensive part of a request
/// (with TLS it loads and decodes the system certificate store), so each kind is built once,
/// on first use, and kept: its connection pool then reuses keep-alive connections from step to
/// step. What differs between steps and cannot be set per request (following redirects,
/// `--insecure`, whether TLS can be needed at all) picks the client; the timeout is set on each
/// request.
#[derive(Default)]
pub struct Clients {
    built: HashMap<ClientKind, reqwest::Client>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct ClientKind {
    /// Whether this client may speak TLS. A plain `http://` request that follows no redirect
    /// never does, and its client skips loading the certificate store.
    tls: bool,
    follow_redirects: bool,
    /// Only meaningful with TLS.
    insecure: bool,
}

impl ClientKind {
    fn of(req: &HttpRequest, url: &reqwest::Url) -> ClientKind {
        // A redirect may lead to https, and so may an https proxy.
        let tls = url.scheme() != "http" || req.follow_redirects || https_proxy_configured();
        ClientKind { tls, follow_redirects: req.follow_redirects, insecure: tls && req.insecure }
    }
}

/// Whether the environment sends plain-HTTP requests through an `https://` proxy (reqwest reads
/// the same variables).
fn https_proxy_configured() -> bool {
    ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|p| p.trim_start().to_ascii_lowercase().starts_with("https://")))
}

impl Clients {
    fn get(&mut self, kind: ClientKind) -> Result<reqwest::Client, StepError> {
        if let Some(client) = self.built.get(&kind) {
            // A clone shares the pool.
            return Ok(client.clone());
        }
        let client = build(kind)?;
        self.built.insert(kind, client.clone());
        Ok(client)
    }
}

fn build(kind: ClientKind) -> Result<reqwest::Client, StepError> {
    install_crypto();
    let redirects = if kind.follow_redirects { reqwest::redirect::Policy::limited(10) } else { reqwest::redirect::Policy::none() };
    let mut builder = reqwest::Client::builder()
        // The request's own timeout (set per step) bounds connecting too; this only caps it.
        .connect_timeout(Duration::from_secs(10))
        .redirect(redirects)
        .tcp_nodelay(true)
        .user_agent(concat!("runbook/", env!("CARGO_PKG_VERSION")));
    builder = if kind.tls {
        builder.danger_accept_invalid_certs(kind.insecure)
    } else {
        // No certificate store: this client is only given `http://` URLs it will not leave.
        let config = rustls::ClientConfig::builder_with_provider(rustls::crypto::ring::default_provider().into())
            .with_safe_default_protocol_versions()
            .map_err(|e| StepError::new(ErrorKind::Http, format!("cannot build an HTTP client: {e}")))?
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth();
        builder.tls_backend_preconfigured(config)
    };
    builder.build().map_err(|e| StepError::new(ErrorKind::Http, format!("cannot build an HTTP client: {e}")))
}

pub async fn run(clients: &mut Clients, req: &HttpRequest, timeout: Duration) -> Result<HttpResult, StepError> {
    let timeout = req.max_time_ms.map(Duration::from_millis).map_or(timeout, |t| t.min(timeout));
    let method = reqwest::Method::from_bytes(req.method.as_bytes())
        .map_err(|_| StepError::new(ErrorKind::Http, format!("`{}` is not an HTTP method", req.method)))?;
    let url = reqwest::Url::parse(&req.url).map_err(|e| StepError::new(ErrorKind::Http, format!("`{}` is not a URL: {e}", req.url)))?;
    let client = clients.get(ClientKind::of(req, &url))?;
    let mut builder = client.request(method, url).timeout(timeout);
    for (k, v) in &req.headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    if let Some(auth) = &req.basic_auth {
        let (user, pass) = auth.split_once(':').map_or((auth.as_str(), None), |(u, p)| (u, Some(p)));
        builder = builder.basic_auth(user, pass);
    }
    if let Some(body) = &req.body {
        let has_type = req.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
        if !has_type {
            // curl's default for -d.
            builder = builder.header("Content-Type", "application/x-www-form-urlencoded");
        }
        builder = builder.body(body.clone());
    }
    let started = Instant::now();
    let response = builder.send().await.map_err(|e| send_error(e, timeout))?;
    let status = response.status().as_u16();
    let headers: Vec<(String, String)> =
        response.headers().iter().map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect();
    let bytes = response.bytes().await.map_err(|e| send_error(e, timeout))?;
    let elapsed_ms = started.elapsed().as_millis() as u64;
    let mut notes = Vec::new();
    let cut = bytes.len() > BODY_LIMIT;
    if cut {
        notes.push(format!("body cut at {} MiB of {} bytes", BODY_LIMIT / 1024 / 1024, bytes.len()));
    }
    let body = String::from_utf8_lossy(&bytes[..bytes.len().min(BODY_LIMIT)]).into_owned();
    let json: Option<Value> = serde_json::from_str(&body).ok();
    let filtered = match (&req.jq, &json) {
        (Some(filter), Some(_)) => match jq(filter, &body) {
            Ok(v) => Some(v),
            Err(e) => {
                notes.push(format!("jq filter `{filter}` failed: {e}"));
                None
            }
        },
        (Some(filter), None) => {
            notes.push(format!("the body is not JSON; jq filter `{filter}` not applied"));
            None
        }
        _ => None,
    };
    notes.extend(req.ignored_flags.iter().map(|f| format!("curl flag `{f}` ignored")));
    Ok(HttpResult { method: req.method.clone(), url: req.url.clone(), status, headers, body, json, filtered, elapsed_ms, notes })
}

fn send_error(e: reqwest::Error, timeout: Duration) -> StepError {
    if e.is_timeout() {
        return StepError::new(ErrorKind::Timeout, format!("no response within {} ms", timeout.as_millis()));
    }
    if e.is_connect() {
        let mut msg = e.to_string();
        let mut src: Option<&dyn std::error::Error> = std::error::Error::source(&e);
        while let Some(s) = src {
            msg = s.to_string();
            src = s.source();
        }
        return StepError::new(ErrorKind::Connection, format!("cannot connect: {msg}"));
    }
    StepError::new(ErrorKind::Http, e.to_string())
}

/// Runs a jq filter over a JSON text. Several outputs become an array.
pub fn jq(filter: &str, input: &str) -> Result<Value, String> {
    use jaq_core::load::{Arena, File, Loader};
    use jaq_core::{Compiler, Ctx, Vars, data, unwrap_valr};
    let input = jaq_json::read::parse_single(input.as_bytes()).map_err(|e| format!("invalid JSON: {e}"))?;
    let defs = jaq_core::defs().chain(jaq_std::defs()).chain(jaq_json::defs());
    let funs = jaq_core::funs().chain(jaq_std::funs()).chain(jaq_json::funs());
    let loader = Loader::new(defs);
    let arena = Arena::default();
    let modules = loader
        .load(&arena, File { code: filter, path: () })
        .map_err(|errs| format!("cannot parse the filter ({} error(s))", errs.len()))?;
    let compiled = Compiler::default()
        .with_funs(funs)
        .compile(modules)
        .map_err(|errs| format!("cannot compile the filter ({} error(s))", errs.len()))?;
    let ctx = Ctx::<data::JustLut<jaq_json::Val>>::new(&compiled.lut, Vars::new([]));
    let mut outputs = Vec::new();
    for out in compiled.id.run((ctx, input)).map(unwrap_valr) {
        let v = out.map_err(|e| e.to_string())?;
        outputs.push(serde_json::from_str::<Value>(&v.to_string()).map_err(|e| e.to_string())?);
        if outputs.len() > 10_000 {
            break;
        }
    }
    Ok(match outputs.len() {
        1 => outputs.pop().unwrap_or(Value::Null),
        _ => Value::Array(outputs),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn jq_filters() {
        assert_eq!(jq(".status", r#"{"status":"ok"}"#).unwrap(), json!("ok"));
        assert_eq!(jq(".items[] | .id", r#"{"items":[{"id":1},{"id":2}]}"#).unwrap(), json!([1, 2]));
        assert_eq!(jq(".queue.pending > 100", r#"{"queue":{"pending":120}}"#).unwrap(), json!(true));
        assert!(jq(".[", "{}").is_err());
    }
}
