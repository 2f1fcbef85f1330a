//! The server's routes, the access check in front of all of them and the security headers on
//! every response.

use crate::access::{self, Access, Token};
use crate::feed::Hub;
use crate::follow::follow;
use crate::page;
use crate::sessions::{plausible_id, status};
use crate::templates::{LIVE_JS, SERVE_CSS};
use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use runbook_engine::store::{SessionStore, StoreError};
use std::collections::HashMap;
use std::sync::Arc;

/// No inline script or style, nothing from another origin, no framing, no forms.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub struct App {
    pub sessions: Arc<dyn SessionStore>,
    pub hub: Arc<Hub>,
    pub token: Option<Token>,
    /// Where the sessions are, as the index says it (never a password).
    pub store: String,
}

pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/sessions/{id}", get(session))
        .route("/sessions/{id}/events", get(events))
        .route("/assets/style.css", get(|| async { asset("text/css; charset=utf-8", runbook_html::style()) }))
        .route("/assets/serve.css", get(|| async { asset("text/css; charset=utf-8", SERVE_CSS) }))
        .route("/assets/live.js", get(|| async { asset("text/javascript; charset=utf-8", LIVE_JS) }))
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found\n") })
        .layer(middleware::from_fn_with_state(Arc::clone(&app), guard))
        .layer(middleware::map_response(security_headers))
        .with_state(app)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

async fn guard(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    match access::decide(app.token.as_ref(), req.headers(), req.uri()) {
        Access::Granted => next.run(req).await,
        Access::SetCookie { location } => {
            let cookie =
                format!("{}={}; HttpOnly; SameSite=Strict; Path=/", access::COOKIE, app.token.as_ref().map_or("", |t| t.cookie_value()));
            let mut r = StatusCode::SEE_OTHER.into_response();
            if let (Ok(c), Ok(l)) = (HeaderValue::from_str(&cookie), HeaderValue::from_str(&location)) {
                r.headers_mut().insert(header::SET_COOKIE, c);
                r.headers_mut().insert(header::LOCATION, l);
            }
            r
        }
        Access::Refused => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer realm=\"runbook\"")],
            "a token is required: `Authorization: Bearer TOKEN`, or open the page once with ?token=TOKEN\n",
        )
            .into_response(),
        Access::WrongHost => (StatusCode::MISDIRECTED_REQUEST, "this server answers to its loopback address only\n").into_response(),
    }
}

async fn security_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(HeaderName::from_static("cross-origin-resource-policy"), HeaderValue::from_static("same-origin"));
    r
}

fn error(e: &StoreError) -> Response {
    (status(e), format!("{e}\n")).into_response()
}

/// The full id of the session a URL names (its id or a unique prefix).
async fn find(app: &App, id: String) -> Result<String, StoreError> {
    if !plausible_id(&id) {
        return Err(StoreError::NotFound { id, place: "this server".into() });
    }
    blocking(app, move |s| s.find(&id)).await
}

fn rendered(html: Result<String, minijinja::Error>) -> Response {
    match html {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!("a page does not render: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "the page could not be rendered\n").into_response()
        }
    }
}

/// Runs a store call on the blocking pool.
async fn blocking<T: Send + 'static>(
    app: &App,
    f: impl FnOnce(&dyn SessionStore) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let sessions = Arc::clone(&app.sessions);
    tokio::task::spawn_blocking(move || f(sessions.as_ref()))
        .await
        .unwrap_or_else(|e| Err(StoreError::Io(std::io::Error::other(format!("the store read failed: {e}")))))
}

async fn index(State(app): State<Arc<App>>) -> Response {
    match blocking(&app, |s| s.list()).await {
        Ok(list) => rendered(page::index(list, &app.store)),
        Err(e) => error(&e),
    }
}

async fn session(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    let id = match find(&app, id).await {
        Ok(id) => id,
        Err(e) => return error(&e),
    };
    let read = blocking(&app, move |s| {
        let lines = s.events(&id, 0)?;
        let summary = s.list()?.into_iter().find(|x| x.id == id).unwrap_or_else(|| runbook_engine::store::summary::of(&id, &lines));
        // A runbook that cannot be read only costs the page its graph.
        let runbook = s
            .runbook_text(&id)
            .unwrap_or_else(|e| {
                tracing::warn!("the runbook of session {id}: {e}");
                None
            })
            .or_else(|| crate::summary::runbook_on_disk(&lines));
        Ok((summary, lines, runbook))
    })
    .await;
    match read {
        Ok((summary, lines, runbook)) => rendered(page::session(&summary, &lines, runbook.as_deref())),
        Err(e) => error(&e),
    }
}

/// Where a stream starts: after the browser's `Last-Event-ID` on a reconnect, else after the
/// `?after=` the page was rendered up to, else from the start.
fn resume_point(headers: &HeaderMap, query: &HashMap<String, String>) -> u64 {
    let last_id = headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok());
    last_id.or_else(|| query.get("after").and_then(|a| a.parse().ok())).unwrap_or(0)
}

async fn events(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let id = match find(&app, id).await {
        Ok(id) => id,
        Err(e) => return error(&e),
    };
    let after = resume_point(&headers, &query);
    Sse::new(follow(Arc::clone(&app.hub), id, after)).keep_alive(KeepAlive::default()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reconnect_resumes_after_its_last_event() {
        let mut h = HeaderMap::new();
        let q: HashMap<String, String> = [("after".to_owned(), "7".to_owned())].into();
        assert_eq!(resume_point(&h, &HashMap::new()), 0);
        assert_eq!(resume_point(&h, &q), 7);
        h.insert("last-event-id", HeaderValue::from_static("12"));
        assert_eq!(resume_point(&h, &q), 12);
        h.insert("last-event-id", HeaderValue::from_static("x"));
        assert_eq!(resume_point(&h, &q), 7);
    }
}
