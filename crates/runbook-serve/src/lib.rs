//! `runbook-serve`: the team's sessions as web pages, followed live. An index of sessions and,
//! per session, its step graph with the path taken, and a timeline of its journal lines that
//! grows over server-sent events as the driver runs. Followers only read.
//!
//! A crate of its own so that axum and its HTTP stack compile only for the binary's `serve`,
//! and the server is tested without the CLI. It reads sessions through the engine's
//! `SessionStore`, the same store the other session commands use.
//!
//! Security: loopback by default; any other address needs a token, checked on every request
//! ([`access`]); every response carries a Content-Security-Policy that allows the one script
//! file the server serves and nothing inline or from elsewhere ([`CSP`]).

pub mod access;
mod feed;
mod follow;
pub mod fragment;
mod page;
mod routes;
mod sessions;
mod summary;
mod templates;

pub use routes::CSP;
pub use sessions::plausible_id;

use runbook_engine::store::SessionStore;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub struct Config {
    pub listen: SocketAddr,
    /// Required (and then checked on every request) when `listen` is not a loopback address.
    pub token: Option<String>,
    /// How often a followed session is asked for new events.
    pub poll_interval: Duration,
    /// Where the sessions are, for the index page (no password in it).
    pub store: String,
}

/// Why the server will not start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// Off loopback, anyone who can reach the port could read every session.
    TokenRequired(SocketAddr),
    EmptyToken,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::TokenRequired(addr) => {
                write!(f, "`{addr}` is not a loopback address: set a token (RUNBOOK_SERVE_TOKEN or --token) that every request must carry")
            }
            ConfigError::EmptyToken => f.write_str("the token is empty"),
        }
    }
}

impl Config {
    /// The token the server checks, if any: required off loopback.
    pub fn access(&self) -> Result<Option<access::Token>, ConfigError> {
        let token = match self.token.as_deref() {
            Some(t) => Some(access::Token::new(t).ok_or(ConfigError::EmptyToken)?),
            None => None,
        };
        if token.is_none() && !self.listen.ip().is_loopback() {
            return Err(ConfigError::TokenRequired(self.listen));
        }
        Ok(token)
    }
}

/// A server bound to its address, not yet serving.
pub struct Server {
    listener: tokio::net::TcpListener,
    app: Arc<routes::App>,
}

#[derive(Debug)]
pub enum ServeError {
    Config(ConfigError),
    Io(std::io::Error),
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServeError::Config(e) => e.fmt(f),
            ServeError::Io(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ServeError {}

/// Checks the configuration and binds the address.
pub async fn bind(config: Config, sessions: Arc<dyn SessionStore>) -> Result<Server, ServeError> {
    let token = config.access().map_err(ServeError::Config)?;
    let listener = tokio::net::TcpListener::bind(config.listen).await.map_err(ServeError::Io)?;
    let hub = feed::Hub::new(Arc::clone(&sessions), config.poll_interval);
    Ok(Server { listener, app: Arc::new(routes::App { sessions, hub, token, store: config.store }) })
}

impl Server {
    /// The address bound (the chosen port for port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        axum::serve(self.listener, routes::router(self.app)).with_graceful_shutdown(shutdown).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(listen: &str, token: Option<&str>) -> Config {
        Config {
            listen: listen.parse().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0))),
            token: token.map(str::to_owned),
            poll_interval: Duration::from_millis(100),
            store: String::new(),
        }
    }

    #[test]
    fn off_loopback_a_token_is_required() {
        assert!(config("127.0.0.1:0", None).access().is_ok_and(|t| t.is_none()));
        assert!(config("[::1]:0", None).access().is_ok_and(|t| t.is_none()));
        assert_eq!(
            config("0.0.0.0:0", None).access().err(),
            Some(ConfigError::TokenRequired("0.0.0.0:0".parse().unwrap_or(config("", None).listen)))
        );
        assert!(matches!(config("10.1.2.3:80", None).access(), Err(ConfigError::TokenRequired(_))));
        assert!(config("0.0.0.0:0", Some("t0ken")).access().is_ok_and(|t| t.is_some()));
        assert_eq!(config("0.0.0.0:0", Some("")).access().err(), Some(ConfigError::EmptyToken));
    }
}
