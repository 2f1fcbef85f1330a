//! `runbook render`: runbooks (and transcripts) to a static site in one directory.

use crate::cli::RenderArgs;
use crate::{exit, files};
use anyhow::{Context, Result};
use runbook_engine::journal;
use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;

pub fn run(args: &RenderArgs) -> Result<u8> {
    let paths = files::collect(&args.paths)?;
    std::fs::create_dir_all(&args.output).with_context(|| format!("cannot create `{}`", args.output.display()))?;
    // Page names from the file stem; files with the same stem get a number. Named first, in
    // order, so the names do not depend on which page is rendered first.
    let mut used: HashSet<String> = HashSet::new();
    let named: Vec<(&PathBuf, String)> = paths
        .iter()
        .map(|path| {
            // Only plain characters: a runbook named `javascript:x.md` must not become a link
            // that runs script from the index.
            let stem = path.file_stem().map_or_else(
                || "runbook".to_owned(),
                |s| s.to_string_lossy().chars().map(|c| if c.is_alphanumeric() || "-_.".contains(c) { c } else { '-' }).collect(),
            );
            let mut name = format!("{stem}.html");
            let mut n = 2;
            while !used.insert(name.clone()) {
                name = format!("{stem}-{n}.html");
                n += 1;
            }
            (path, name)
        })
        .collect();
    let mut listings = Vec::new();
    let page = |(path, name): &(&PathBuf, String)| -> Result<runbook_html::Listing> {
        let compiled = files::compile(path)?;
        // Written as the template produces it, through one buffer.
        let target = args.output.join(name);
        let file = std::fs::File::create(&target).with_context(|| format!("cannot write `{name}`"))?;
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, file);
        runbook_html::write_runbook_page(&compiled, &path.display().to_string(), &mut out)
            .map_err(|e| anyhow::anyhow!("cannot write `{name}`: {e}"))?;
        out.flush().with_context(|| format!("cannot write `{name}`"))?;
        Ok(runbook_html::listing(&compiled, name))
    };
    files::in_parallel_in_order(&named, page, |listing| {
        listings.push(listing);
        Ok(())
    })?;
    let mut transcripts = Vec::new();
    if args.transcripts {
        let dir = args.journal_dir.clone().unwrap_or_else(journal::default_dir);
        let mut journals: Vec<_> = std::fs::read_dir(&dir)
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "jsonl")).collect())
            .unwrap_or_default();
        journals.sort();
        std::fs::create_dir_all(args.output.join("sessions"))?;
        for j in journals {
            let events = journal::read(&j)?;
            let id = j.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            let html = runbook_engine::transcript::html(&events).map_err(anyhow::Error::msg)?;
            let file = format!("sessions/{id}.html");
            std::fs::write(args.output.join(&file), html)?;
            let t = runbook_engine::transcript::timeline(&events);
            transcripts.push((file, format!("{id} — {} ({})", t.title, t.status)));
        }
    }
    let index = runbook_html::index_page(&listings, &transcripts).map_err(anyhow::Error::msg)?;
    std::fs::write(args.output.join("index.html"), index)?;
    eprintln!(
        "rendered {} runbook(s){} into {}",
        listings.len(),
        if transcripts.is_empty() { String::new() } else { format!(" and {} transcript(s)", transcripts.len()) },
        args.output.display()
    );
    Ok(exit::OK)
}
