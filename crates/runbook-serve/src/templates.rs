//! The server's templates (files under `templates/`, compiled in) and its static assets: the
//! stylesheet of `runbook render`, the few rules of the live page, and the one script.

use minijinja::Environment;
use std::sync::OnceLock;

/// The script that appends new events: the only script a page runs, served as a file so the
/// Content-Security-Policy can forbid every inline one.
pub const LIVE_JS: &str = include_str!("../static/live.js");
/// What the live page adds to `runbook render`'s look: the path taken, the timeline.
pub const SERVE_CSS: &str = include_str!("../static/serve.css");

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        let templates: [(&str, &str); 4] = [
            ("base.html.j2", include_str!("../templates/base.html.j2")),
            ("index.html.j2", include_str!("../templates/index.html.j2")),
            ("session.html.j2", include_str!("../templates/session.html.j2")),
            ("event.html.j2", include_str!("../templates/event.html.j2")),
        ];
        for (name, src) in templates {
            // The templates ship with the binary; a broken one is a bug the tests catch.
            if let Err(e) = env.add_template(name, src) {
                panic!("template {name} does not compile: {e}");
            }
        }
        env
    })
}

pub fn render(name: &str, ctx: serde_json::Value) -> Result<String, minijinja::Error> {
    environment().get_template(name)?.render(minijinja::value::Serde(ctx))
}
