//! pulldown-cmark alone over the same bytes as `runbook check` or `runbook graph`, with the
//! same Markdown options: the yardstick `scripts/bench` measures runbook against.
//!
//!   pulldown [--html] PATH...    # files or folders of *.md
//!
//! Without `--html` every event is iterated (with offsets, as runbook's parser does); with it
//! the HTML is written to stdout.

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::{Path, PathBuf};

fn collect(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for p in entries {
            collect(&p, out);
        }
    } else if path.extension().is_some_and(|x| x == "md") {
        out.push(path.to_owned());
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let html = args.iter().any(|a| a == "--html");
    let mut files = Vec::new();
    for a in args.iter().filter(|a| *a != "--html") {
        collect(Path::new(a), &mut files);
    }
    let options = runbook_core::document::markdown_options();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut events = 0usize;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let parser = pulldown_cmark::Parser::new_ext(&text, options);
        if html {
            pulldown_cmark::html::write_html_io(&mut out, parser).unwrap();
        } else {
            for (event, range) in parser.into_offset_iter() {
                std::hint::black_box((&event, &range));
                events += 1;
            }
        }
    }
    out.flush().unwrap();
    if !html {
        eprintln!("{} files, {events} events", files.len());
    }
}
