//! Inputs without limits, hidden writes, rendered pages: what a runbook file can do to the tool.
//!
//! Each attack runs end to end through the binary in a temporary working directory, so a
//! write that slips through shows up as a file created or deleted there, never in the
//! repository.

use crate::support::{code, headless_chromium, repo_root, stderr, stdout};
use std::path::Path;
use std::process::Output;
use std::time::Duration;

/// `runbook ARGS` in `dir`, with no terminal (stdin closed), journals kept in `dir`, and a
/// time limit that turns a hang into a failure.
fn runbook_in(dir: &Path, args: &[&str], limit: Duration) -> Output {
    let mut cmd = assert_cmd::Command::cargo_bin("runbook").expect("binary built");
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .env("XDG_STATE_HOME", dir.join("state"))
        .args(args)
        .write_stdin("")
        .timeout(limit);
    cmd.output().expect("runbook runs")
}

const MINUTE: Duration = Duration::from_secs(60);

/// A runbook whose only diagnosis step is `command`.
fn runbook_with_step(command: &str) -> String {
    format!("# Disk pressure\n\n## Disk is full\n\n### Diagnosis\n\n```bash\n{command}\n```\n")
}

/// Commands that look like readers but write, and what each would do to the file `f`.
const HIDDEN_WRITES: &[(&str, Effect)] = &[
    (r#"awk 'BEGIN{system("touch f")}'"#, Effect::Creates),
    ("echo `rm -f f`", Effect::Deletes),
    (r#"echo x | awk '{print > "f"}'"#, Effect::Creates),
    ("echo x | sed -n 'w f'", Effect::Creates),
    ("cat <(rm -f f)", Effect::Deletes),
];

#[derive(Clone, Copy, Debug)]
enum Effect {
    Creates,
    Deletes,
}

#[test]
fn hidden_writes_are_refused_without_flags() {
    for (command, effect) in HIDDEN_WRITES {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(dir.path().join("hidden.md"), runbook_with_step(command)).unwrap();
        let setup = || match effect {
            Effect::Creates => {
                let _ = std::fs::remove_file(&f);
            }
            Effect::Deletes => std::fs::write(&f, "keep me").unwrap(),
        };
        let untouched = || match effect {
            Effect::Creates => !f.exists(),
            Effect::Deletes => f.exists(),
        };

        // No terminal, no flag: the step needs a confirmation nobody can give.
        setup();
        let o = runbook_in(dir.path(), &["run", "hidden.md", "--entry", "disk-is-full"], MINUTE);
        assert_eq!(code(&o), 3, "{command}: stops at the question\n{}{}", stdout(&o), stderr(&o));
        assert!(stderr(&o).contains("needs confirmation") || stderr(&o).contains("destructive step"), "{command}: {}", stderr(&o));
        assert!(untouched(), "{command} ran: `f` was {:?}", effect);

        // The same run, allowed: the command really does what it hides (else the check above
        // would prove nothing).
        setup();
        let o = runbook_in(dir.path(), &["run", "hidden.md", "--entry", "disk-is-full", "--yes", "--allow-destructive"], MINUTE);
        assert_eq!(code(&o), 0, "{command}: runs when allowed\n{}{}", stdout(&o), stderr(&o));
        assert!(!untouched(), "{command}: allowed, it should have {effect:?} `f`");
    }
}

#[test]
fn hidden_writes_are_classed_in_the_graph() {
    let dir = tempfile::tempdir().unwrap();
    for (command, effect) in HIDDEN_WRITES {
        std::fs::write(dir.path().join("hidden.md"), runbook_with_step(command)).unwrap();
        let o = runbook_in(dir.path(), &["graph", "hidden.md"], MINUTE);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let graph: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        let risk = graph["steps"][0]["risk"].as_str().unwrap_or_default();
        let expected = match effect {
            Effect::Creates => "write",
            Effect::Deletes => "destructive",
        };
        assert_eq!(risk, expected, "{command}: {}", graph["steps"][0]["risk_reason"]);
    }
}

/// Raw HTML and Markdown an attacker may put in a runbook, each trying to run script (the
/// upper-case `<SCRIPT>` comes last: pulldown-cmark ends such a block only at a lower-case
/// `</script>`, so the rest of the file would be one raw HTML block).
const HOSTILE_PAGE: &str = r#"# Hostile page

<script>document.body.setAttribute('data-pwned', 'script')</script>
<img src="x.png" onerror="document.body.setAttribute('data-pwned', 'img')">
<p onmouseover="document.body.setAttribute('data-pwned', 'hover')">hover me</p>
<a href="javascript:document.body.setAttribute('data-pwned','link')">raw link</a>
<a href="JaVaScRiPt&#58;document.body.setAttribute('data-pwned','entity')">entity link</a>
<svg onload="document.body.setAttribute('data-pwned','svg')"></svg>
<iframe src="javascript:parent.document.body.setAttribute('data-pwned','frame')"></iframe>
<style>body { display: none }</style>

<details><summary>Kept: details</summary>

Kept: <kbd>Ctrl</kbd>+<kbd>C</kbd> and <b>bold</b>.

</details>

[markdown link](javascript:document.body.setAttribute('data-pwned','md'))
![markdown image](javascript:document.body.setAttribute('data-pwned','mdimg'))
[ok link](https://example.com/runbooks)

## Disk is full

### Diagnosis

```bash
df -h
```

<SCRIPT SRC="https://evil.example/x.js"></SCRIPT>
"#;

/// The `on…=` event-handler attributes of the tags in `html`.
fn event_handlers(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for tag in html.split('<').skip(1).filter_map(|t| t.split('>').next()) {
        let lower = tag.to_ascii_lowercase();
        let mut words = lower.split(|c: char| c.is_whitespace() || c == '/');
        words.next(); // the tag name
        for w in words {
            if let Some(name) = w.split('=').next().filter(|n| n.starts_with("on") && n.len() > 2 && w.contains('=')) {
                out.push(format!("<{tag}>: {name}"));
            }
        }
    }
    out
}

const CSP: &str = r#"<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'none';"#;

/// Every page under `site`, as (path, text).
fn pages(site: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut dirs = vec![site.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "html") {
                out.push((p.display().to_string(), std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn rendered_pages_carry_no_script() {
    let dir = tempfile::tempdir().unwrap();
    // Plus the private-use character the renderer marks step cards with while it sanitises.
    let page = HOSTILE_PAGE.replace("## Disk is full", "A private-use character: \u{E000}.\n\n## Disk is full");
    std::fs::write(dir.path().join("hostile.md"), page).unwrap();
    // A session, so the site has a transcript page too.
    let root = repo_root();
    let journals = dir.path().join("journals");
    let o = runbook_in(
        dir.path(),
        &[
            "rehearse",
            root.join("runbooks/clinic.md").to_str().unwrap(),
            "--scenario",
            root.join("fixtures/clinic/locked-account.yaml").to_str().unwrap(),
            "--journal-dir",
            journals.to_str().unwrap(),
        ],
        MINUTE,
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = runbook_in(
        dir.path(),
        &["render", "hostile.md", "-o", "site", "--transcripts", "--journal-dir", journals.to_str().unwrap()],
        MINUTE,
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));

    let pages = pages(&dir.path().join("site"));
    assert!(pages.len() >= 3, "runbook, index and transcript pages: {:?}", pages.iter().map(|p| &p.0).collect::<Vec<_>>());
    assert!(pages.iter().any(|(p, _)| p.contains("/sessions/")), "a transcript page");
    for (path, html) in &pages {
        let lower = html.to_ascii_lowercase();
        assert!(!lower.contains("<script"), "{path}: <script");
        assert!(!lower.contains("javascript:"), "{path}: javascript: URL");
        assert!(!lower.contains("<iframe") && !lower.contains("<style>body"), "{path}: frame or author style");
        assert_eq!(event_handlers(html), Vec::<String>::new(), "{path}: event handlers");
        assert!(html.contains(CSP), "{path}: no Content-Security-Policy forbidding script");
        assert!(!html.contains("data-pwned="), "{path}: the payload survived");
    }
    // Harmless markup stays.
    let page = &pages.iter().find(|(p, _)| p.ends_with("hostile.html")).unwrap().1;
    for kept in [
        "<details>",
        "<summary>Kept: details</summary>",
        "<kbd>Ctrl</kbd>",
        "<b>bold</b>",
        r#"<img src="x.png""#,
        r#"href="https://example.com/runbooks""#,
    ] {
        assert!(page.contains(kept), "{kept} was removed");
    }
    assert!(page.contains("hover me") && page.contains("markdown link"), "the text stays");
    // The step's card is there once, and the author's private-use character took no card's place.
    assert_eq!(page.matches(r#"<section class="card"#).count(), 1, "one card");
    assert!(!page.contains('\u{E000}') && page.contains("A private-use character: \u{FFFD}."), "private-use character");
}

#[test]
fn hostile_page_runs_no_script_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hostile.md"), HOSTILE_PAGE).unwrap();
    let o = runbook_in(dir.path(), &["render", "hostile.md", "-o", "site"], MINUTE);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let profile = tempfile::tempdir().unwrap();
    let dom = headless_chromium(profile.path())
        .args(["--enable-logging=stderr", "--v=0"])
        .arg("--dump-dom")
        .arg(format!("file://{}", dir.path().join("site/hostile.html").display()))
        .output()
        .unwrap();
    assert!(dom.status.success(), "{}", String::from_utf8_lossy(&dom.stderr));
    let html = String::from_utf8_lossy(&dom.stdout);
    let log = String::from_utf8_lossy(&dom.stderr);
    assert!(html.contains("</html>") && html.contains("hover me"), "the browser built the page");
    // What the payloads would set, had any run.
    assert!(!html.contains("data-pwned="), "a script ran");
    let errors: Vec<&str> = log.lines().filter(|l| l.contains("CONSOLE") || l.contains("Uncaught") || l.contains("Refused")).collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");
}

#[test]
fn fifo_and_device_are_refused_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let made = std::process::Command::new("mkfifo").arg(dir.path().join("x.md")).status().unwrap();
    assert!(made.success());
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.md")).unwrap();
    let quick = Duration::from_secs(20);
    for (file, what) in [("x.md", "FIFO"), ("zero.md", "device")] {
        for command in [&["check", file][..], &["graph", file], &["render", file, "-o", "site"], &["rehearse", file]] {
            let o = runbook_in(dir.path(), command, quick);
            assert_eq!(code(&o), 2, "{command:?}: {}", stderr(&o));
            let err = stderr(&o);
            assert!(err.contains(&format!("`{file}`")) && err.contains(what) && err.contains("regular file"), "{command:?}: {err}");
        }
    }
    // In a directory too: the walk does not open it blindly.
    let o = runbook_in(dir.path(), &["check", "."], quick);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("x.md`") && stderr(&o).contains("regular file"), "{}", stderr(&o));
    let o = runbook_in(dir.path(), &["check", "zero.md"], quick);
    assert!(stderr(&o).contains("a link to `/dev/zero`"), "{}", stderr(&o));
}

#[test]
fn oversized_runbook_is_refused_unless_the_limit_is_raised() {
    let dir = tempfile::tempdir().unwrap();
    // 17 MiB of real Markdown: one problem and a long paragraph, over the 16 MiB default.
    let mut text = runbook_with_step("df -h");
    let line = "Notes kept for the record, many times over.\n";
    text.push('\n');
    text.push_str(&line.repeat((17 << 20) / line.len()));
    std::fs::write(dir.path().join("big.md"), &text).unwrap();

    let o = runbook_in(dir.path(), &["check", "big.md"], MINUTE);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("`big.md`") && err.contains("16 MiB") && err.contains("--max-file-size"), "{err}");
    for command in [&["graph", "big.md"][..], &["render", "big.md", "-o", "site"], &["rehearse", "big.md"]] {
        let o = runbook_in(dir.path(), command, MINUTE);
        assert_eq!(code(&o), 2, "{command:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("--max-file-size"), "{command:?}: {}", stderr(&o));
    }

    let o = runbook_in(dir.path(), &["check", "--max-file-size", "32MiB", "big.md"], MINUTE);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = runbook_in(dir.path(), &["graph", "big.md", "--max-file-size", "20000000"], MINUTE);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("disk-is-full"));

    // A lower limit works the same way, and a size that is no size is a usage error.
    std::fs::write(dir.path().join("small.md"), runbook_with_step("df -h")).unwrap();
    let o = runbook_in(dir.path(), &["check", "--max-file-size", "10", "small.md"], MINUTE);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("10 bytes"), "{}", stderr(&o));
    let o = runbook_in(dir.path(), &["check", "--max-file-size", "lots", "small.md"], MINUTE);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
}
