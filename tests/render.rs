//! `runbook render`: snapshots of the HTML of the shipped runbooks, the pages loaded in real
//! headless Chromium (no console errors, one SVG node per step, every branch link resolves,
//! a screenshot), and every fixture rendered without a failure.

#![allow(clippy::unwrap_used)]

mod support;
use std::path::Path;
use support::*;

fn render(out: &Path, extra: &[&str]) {
    let mut args = vec!["render", "runbooks", "-o", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = runbook(&args);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[test]
fn shipped_runbooks_html() {
    let dir = tempfile::tempdir().unwrap();
    render(dir.path(), &[]);
    for page in ["clinic.html", "invitations.html", "index.html"] {
        let html = std::fs::read_to_string(dir.path().join(page)).unwrap();
        assert!(!html.contains("<script"), "{page} needs no JavaScript");
        assert!(!html.contains("http://") || page != "index.html");
        insta::assert_snapshot!(format!("html-{page}"), html);
    }
}

fn step_ids(file: &str) -> Vec<String> {
    let out = runbook(&["graph", file]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    v["steps"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_owned()).collect()
}

fn attr_values<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let needle = format!("{attr}=\"");
    html.match_indices(&needle).filter_map(|(i, _)| html[i + needle.len()..].split('"').next()).collect()
}

#[test]
fn pages_load_in_headless_chromium() {
    let dir = tempfile::tempdir().unwrap();
    // A rehearsal leaves a journal, so the site has a transcript page too.
    let journals = dir.path().join("journals");
    let o = runbook(&[
        "rehearse",
        "runbooks/clinic.md",
        "--scenario",
        "fixtures/clinic/locked-account.yaml",
        "--journal-dir",
        journals.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let site = dir.path().join("site");
    render(&site, &["--transcripts", "--journal-dir", journals.to_str().unwrap()]);
    let shots = repo_root().join("target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let mut pages = vec![
        ("clinic.html", step_ids("runbooks/clinic.md")),
        ("invitations.html", step_ids("runbooks/invitations.md")),
        ("index.html", Vec::new()),
    ];
    let session = std::fs::read_dir(site.join("sessions")).unwrap().next().unwrap().unwrap().file_name().to_string_lossy().into_owned();
    let session_page = format!("sessions/{session}");
    pages.push((session_page.as_str(), Vec::new()));
    for (page, steps) in pages {
        let profile = tempfile::tempdir().unwrap();
        let url = format!("file://{}", site.join(page).display());
        let dom =
            support::headless_chromium(profile.path()).args(["--enable-logging=stderr", "--v=0", "--dump-dom"]).arg(&url).output().unwrap();
        assert!(dom.status.success(), "{page}: {}", String::from_utf8_lossy(&dom.stderr));
        let html = String::from_utf8_lossy(&dom.stdout).into_owned();
        let log = String::from_utf8_lossy(&dom.stderr).into_owned();
        let console_errors: Vec<&str> =
            log.lines().filter(|l| l.contains("CONSOLE") || l.contains("Uncaught") || l.contains("Failed to load resource")).collect();
        assert!(console_errors.is_empty(), "{page}: console errors: {console_errors:?}");
        assert!(html.contains("</html>") && html.len() > 500, "{page}: the browser built a document");
        // One SVG node per step, and each is the step it says.
        if !steps.is_empty() {
            let nodes = attr_values(&html, "data-step");
            assert_eq!(nodes.len(), steps.len(), "{page}: SVG nodes");
            for s in &steps {
                assert!(nodes.contains(&s.as_str()), "{page}: no node for {s}");
            }
        }
        // Every in-page link (branches, graph nodes, problems) resolves to an element.
        let ids: Vec<&str> = attr_values(&html, "id");
        for href in attr_values(&html, "href").into_iter().filter(|h| h.starts_with('#')) {
            assert!(ids.contains(&&href[1..]), "{page}: link {href} has no target");
        }
        let png = shots.join(page.replace('/', "-").replace(".html", ".png"));
        let shot = support::headless_chromium(profile.path())
            .arg(format!("--screenshot={}", png.display()))
            .arg("--window-size=1280,2200")
            .arg("--hide-scrollbars")
            .arg(&url)
            .output()
            .unwrap();
        assert!(shot.status.success(), "{page}: {}", String::from_utf8_lossy(&shot.stderr));
        let bytes = std::fs::read(&png).unwrap();
        assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000, "{page}: screenshot");
    }
}

#[test]
fn every_fixture_renders() {
    let dir = tempfile::tempdir().unwrap();
    let o = runbook(&["render", "fixtures/infer", "fixtures/check", "fixtures/run", "-o", dir.path().to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let index = std::fs::read_to_string(dir.path().join("index.html")).unwrap();
    let pages = std::fs::read_dir(dir.path()).unwrap().count() - 1;
    assert!(pages >= 50, "{pages} pages");
    assert_eq!(attr_values(&index, "href").iter().filter(|h| h.ends_with(".html") && **h != "index.html").count(), pages);
}
