//! Bad input never panics and never hangs: each case ends with a clear diagnostic or a sane
//! graph. Every run has a time limit (see support::runbook).

#![allow(clippy::unwrap_used)]

mod support;
use std::fmt::Write as _;
use support::*;

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write fixture");
    path.display().to_string()
}

#[test]
fn empty_file_is_a_clean_empty_graph() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "empty.md", b"");
    let out = runbook(&["graph", &f]);
    assert_eq!(code(&out), 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["steps"].as_array().unwrap().len(), 0);
    assert_eq!(v["title"], "empty");
}

#[test]
fn invalid_utf8_points_at_the_byte() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "latin1.md", b"# Title\n\ncaf\xe9 au lait\n");
    let out = runbook(&["check", &f]);
    assert_eq!(code(&out), 1);
    let err = stderr(&out);
    assert!(err.contains("not valid UTF-8"), "{err}");
    assert!(err.contains("latin1.md:3:4"), "{err}");
}

#[test]
fn binary_file_is_refused_with_a_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend((0..4096u32).map(|i| (i * 7 % 251) as u8));
    let f = write(&dir, "image.md", &png);
    let out = runbook(&["check", &f]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("binary file"), "{}", stderr(&out));
}

#[test]
fn ten_megabyte_runbook() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("# Big runbook\n\n");
    let mut i = 0;
    while text.len() < 10 * 1024 * 1024 {
        write!(
            text,
            "## Problem {i}\n\n### Diagnosis\n\nIf the queue is long, check it:\n\n```sql\nSELECT count(*) FROM jobs WHERE queue = 'QUEUE_NAME';\n```\n\n```bash\ncurl -s https://app.example.com/metrics | jq '.queue'\n```\n\n### Resolution\n\n1. **Drain**: drain the queue\n\n   ```bash\n   curl -X POST https://app.example.com/admin/drain\n   ```\n\n2. **Restart**: restart workers\n\n   ```bash\n   systemctl restart worker\n   ```\n\n"
        )
        .unwrap();
        i += 1;
    }
    let f = write(&dir, "big.md", text.as_bytes());
    let out = runbook(&["check", "--summary", &f]);
    assert!(code(&out) <= 1);
    let summary = stdout(&out);
    // Every problem is found: i problems, 5 steps + 1 decision each.
    let total = summary.lines().last().unwrap().to_owned();
    let cols: Vec<&str> = total.split_whitespace().collect();
    assert!(cols.contains(&i.to_string().as_str()), "{total}");
    assert!(cols.contains(&(i * 5).to_string().as_str()), "{total}");
}

#[test]
fn thousand_deep_nested_lists() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("# Deep\n\n");
    for depth in 0..1000 {
        text.push_str(&"  ".repeat(depth));
        text.push_str("- item\n");
    }
    text.push_str("\n```bash\necho done\n```\n");
    let f = write(&dir, "deep.md", text.as_bytes());
    let out = runbook(&["graph", &f]);
    assert!(code(&out) <= 1, "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["steps"].as_array().unwrap().len(), 1);

    let mut quotes = String::from("# Deep quotes\n\n");
    quotes.push_str(&"> ".repeat(1000));
    quotes.push_str("text\n");
    let f = write(&dir, "quotes.md", quotes.as_bytes());
    assert!(code(&runbook(&["check", &f])) <= 1);
}

#[test]
fn unterminated_fence_and_malformed_front_matter() {
    let out = runbook(&["check", "fixtures/check/unterminated-fence.md"]);
    assert_eq!(code(&out), 0);
    assert!(stderr(&out).contains("unterminated-fence.md:5:1"), "{}", stderr(&out));
    let out = runbook(&["check", "fixtures/check/front-matter-malformed.md"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("front-matter-malformed.md:4:11"), "{}", stderr(&out));
    // The body is still read: its one step is in the graph.
    let g = runbook(&["graph", "fixtures/check/front-matter-malformed.md"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&g)).unwrap();
    assert_eq!(v["steps"].as_array().unwrap().len(), 1);
}

#[test]
fn yaml_step_syntax_error_is_reported_at_its_markdown_line() {
    let out = runbook(&["check", "fixtures/check/yaml-syntax-error.md"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("yaml-syntax-error.md:13:5"), "{}", stderr(&out));
}

#[test]
fn garbage_annotations_and_pathological_markdown() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[&str] = &[
        "```yaml step\n- a\n- b\n```\n",
        "```yaml step\n&a [*a]\n```\n",
        "```yaml step\nid: [1, 2]\nbranches: 7\n```\n",
        "```yaml step\n\n```\n",
        "---\n---\n",
        "---\n- just a list\n---\n# T\n",
        "---\nconnections: 5\n---\n",
        "```yaml step\nbranches:\n  - {label: x, goto: '#'}\n  - {label: y, goto: ''}\n```\n",
        "# \n## \n### \n```sql\n\n```\n",
        "```sql\nSELECT ((((((((((((((((((((((((((((((((((((((((((((((((((1\n```\n",
        "```bash\ncurl\n```\n```bash\ncurl -X\n```\n```bash\ncurl 'unterminated\n```\n",
        "1. **A**: x\n\n   ```bash\n   rm -rf /tmp/x\n   ```\n2. **B**: y\n",
        "[link](#nowhere) skip to [x](#x)\n",
        "<<<<<<<<<>>>>>>>>>>>>{{{{{{}}}}}}}}$$$${{{{ ${ ${",
    ];
    for (i, case) in cases.iter().enumerate() {
        let f = write(&dir, &format!("case{i}.md"), case.as_bytes());
        for cmd in ["check", "graph"] {
            let out = runbook(&[cmd, &f]);
            assert!(code(&out) <= 1, "case {i} ({cmd}): {}", stderr(&out));
        }
    }
}
