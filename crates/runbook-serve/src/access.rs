//! Who may read: the access decision made before every request (pages, event streams, assets).
//!
//! Bound to loopback without a token, only this machine can connect, and a request must name a
//! loopback host (`Host: 127.0.0.1:PORT`, `localhost`, `[::1]`), so a web page elsewhere cannot
//! read the sessions through DNS rebinding. With a token (required off loopback), a request
//! carries it as `Authorization: Bearer TOKEN`, or in the cookie a first `?token=TOKEN` page load
//! sets (HttpOnly, SameSite=Strict), so a browser's later requests and its event stream carry
//! it without the token staying in the address bar.

use axum::extract::Query;
use axum::http::{HeaderMap, Uri, header};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use subtle::ConstantTimeEq;

pub const COOKIE: &str = "runbook_token";

/// The token, kept only as digests: comparing digests of equal length in constant time tells
/// an attacker neither the token's bytes nor its length.
#[derive(Clone)]
pub struct Token {
    digest: [u8; 32],
    cookie: String,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(…)")
    }
}

fn digest(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

impl Token {
    /// `None` for an empty token: it would let anyone in.
    pub fn new(secret: &str) -> Option<Token> {
        if secret.trim().is_empty() {
            return None;
        }
        let cookie: String = digest(&[b"runbook-serve cookie\0", secret.as_bytes()]).iter().map(|b| format!("{b:02x}")).collect();
        Some(Token { digest: digest(&[secret.as_bytes()]), cookie })
    }

    pub fn matches(&self, presented: &str) -> bool {
        digest(&[presented.as_bytes()]).ct_eq(&self.digest).into()
    }

    /// The cookie's value: derived from the token, so the cookie never holds the token itself.
    pub fn cookie_value(&self) -> &str {
        &self.cookie
    }

    fn cookie_matches(&self, presented: &str) -> bool {
        digest(&[presented.as_bytes()]).ct_eq(&digest(&[self.cookie.as_bytes()])).into()
    }
}

/// What to do with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    Granted,
    /// A right `?token=`: set the cookie and send the browser to this address without it.
    SetCookie {
        location: String,
    },
    /// 401: no token or a wrong one.
    Refused,
    /// 421: a loopback server asked for by another host name.
    WrongHost,
}

/// The decision for one request: with a token, `Authorization: Bearer`, the cookie or
/// `?token=`; without one, a loopback `Host`.
pub fn decide(token: Option<&Token>, headers: &HeaderMap, uri: &Uri) -> Access {
    let Some(token) = token else {
        return if loopback_host(headers) { Access::Granted } else { Access::WrongHost };
    };
    let bearer = headers
        .get_all(header::AUTHORIZATION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .any(|t| token.matches(t.trim()));
    if bearer || cookies(headers).any(|(k, v)| k == COOKIE && token.cookie_matches(v)) {
        return Access::Granted;
    }
    let query = Query::<HashMap<String, String>>::try_from_uri(uri).map(|q| q.0).unwrap_or_default();
    match query.get("token") {
        Some(t) if token.matches(t) => Access::SetCookie { location: without_token(uri) },
        _ => Access::Refused,
    }
}

fn cookies(headers: &HeaderMap) -> impl Iterator<Item = (&str, &str)> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
}

/// The request's path and query with `token=…` taken out. One leading slash only: `//host`
/// in a `Location` would send the browser to another site.
fn without_token(uri: &Uri) -> String {
    let path = format!("/{}", uri.path().trim_start_matches('/'));
    let rest: Vec<&str> = uri.query().unwrap_or("").split('&').filter(|kv| !kv.is_empty() && !kv.starts_with("token=")).collect();
    if rest.is_empty() { path } else { format!("{path}?{}", rest.join("&")) }
}

/// The `Host` header names this machine's loopback interface.
fn loopback_host(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let name = if let Some(v6) = host.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(name, port)| if port.bytes().all(|b| b.is_ascii_digit()) { name } else { host })
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn uri(s: &str) -> Uri {
        s.parse().unwrap()
    }

    #[test]
    fn an_empty_token_is_no_token() {
        assert!(Token::new("").is_none());
        assert!(Token::new("  ").is_none());
    }

    #[test]
    fn the_token_must_match_exactly() {
        let t = Token::new("s3cret-team-token").unwrap();
        assert!(t.matches("s3cret-team-token"));
        for wrong in ["", "s3cret-team-toke", "s3cret-team-token ", "S3cret-team-token", "s3cret-team-tokenx"] {
            assert!(!t.matches(wrong), "{wrong:?}");
        }
        assert!(!format!("{t:?}").contains("s3cret"));
    }

    #[test]
    fn bearer_cookie_and_query_grant_access_and_nothing_else_does() {
        let t = Token::new("abc123").unwrap();
        let tok = Some(&t);
        let page = uri("/sessions/x");
        assert_eq!(decide(tok, &headers(&[]), &page), Access::Refused);
        assert_eq!(decide(tok, &headers(&[(header::AUTHORIZATION, "Bearer abc123")]), &page), Access::Granted);
        assert_eq!(decide(tok, &headers(&[(header::AUTHORIZATION, "Bearer abc124")]), &page), Access::Refused);
        assert_eq!(decide(tok, &headers(&[(header::AUTHORIZATION, "Basic abc123")]), &page), Access::Refused);
        let cookie = format!("theme=dark; {COOKIE}={}", t.cookie_value());
        assert_eq!(decide(tok, &headers(&[(header::COOKIE, &cookie)]), &page), Access::Granted);
        // The token itself is not the cookie: a cookie set by someone who knows the name only.
        assert_eq!(decide(tok, &headers(&[(header::COOKIE, &format!("{COOKIE}=abc123"))]), &page), Access::Refused);
        assert_eq!(
            decide(tok, &headers(&[]), &uri("/sessions/x?after=3&token=abc123")),
            Access::SetCookie { location: "/sessions/x?after=3".into() }
        );
        assert_eq!(decide(tok, &headers(&[]), &uri("/?token=abc")), Access::Refused);
        // Never a redirect to another site.
        assert_eq!(
            decide(tok, &headers(&[]), &Uri::builder().path_and_query("//evil.example/x?token=abc123").build().unwrap()),
            Access::SetCookie { location: "/evil.example/x".into() }
        );
        // A percent-encoded token is decoded before the comparison.
        let t2 = Token::new("a b&c").unwrap();
        assert_eq!(decide(Some(&t2), &headers(&[]), &uri("/?token=a%20b%26c")), Access::SetCookie { location: "/".into() });
    }

    #[test]
    fn without_a_token_only_loopback_host_names_are_served() {
        for host in ["127.0.0.1:7700", "localhost:7700", "LOCALHOST", "[::1]:80", "127.0.0.2"] {
            assert_eq!(decide(None, &headers(&[(header::HOST, host)]), &uri("/")), Access::Granted, "{host}");
        }
        for host in ["evil.example:7700", "10.0.0.5:7700", "localhost.evil.example", "[2001:db8::1]:80"] {
            assert_eq!(decide(None, &headers(&[(header::HOST, host)]), &uri("/")), Access::WrongHost, "{host}");
        }
        assert_eq!(decide(None, &headers(&[]), &uri("/")), Access::WrongHost);
    }
}
