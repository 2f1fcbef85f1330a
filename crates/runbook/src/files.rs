//! Finding runbook files and reading them without losing anything: a file that is not UTF-8
//! becomes a diagnostic at its first bad byte, not an I/O failure.

use anyhow::{Context, Result, bail};
use rayon::prelude::*;
use runbook_core::{Compiled, Diagnostic, Source, Span};
use std::path::{Path, PathBuf};

/// Expands directories into the Markdown files under them, sorted for stable output.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).with_context(|| format!("cannot read `{}`", p.display()))?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found)?;
            found.sort();
            if found.is_empty() {
                bail!("no Markdown files (*.md) under `{}`", p.display());
            }
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list `{}`", dir.display()))? {
        let entry = entry?;
        let path = entry.path();
        let ty = entry.file_type()?;
        if ty.is_dir() {
            if !entry.file_name().to_string_lossy().starts_with('.') {
                walk(&path, out)?;
            }
        } else if path.extension().is_some_and(|e| e == "md" || e == "markdown") {
            out.push(path);
        }
    }
    Ok(())
}

/// How many items are worked on at once: enough to keep every core busy, few enough that the
/// results waiting to be handed on stay small and output starts early.
const BATCH: usize = 64;

/// Runs `work` on every item on all cores and hands the results to `sink` in the order of
/// `items`, so output is the same as a sequential loop's. The first error stops the loop at
/// that item, after the items before it were handed on.
pub fn in_parallel_in_order<I: Sync, T: Send>(
    items: &[I],
    work: impl Fn(&I) -> Result<T> + Sync,
    mut sink: impl FnMut(T) -> Result<()>,
) -> Result<()> {
    for batch in items.chunks(BATCH) {
        let results: Vec<Result<T>> = batch.par_iter().map(&work).collect();
        for result in results {
            sink(result?)?;
        }
    }
    Ok(())
}

/// Reads and compiles one runbook.
pub fn compile(path: &Path) -> Result<Compiled> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    let name = path.display().to_string();
    Ok(match Source::from_bytes(name, bytes) {
        Ok(source) => runbook_core::compile(source),
        Err(bad) => {
            let message = if bad.binary { "this is a binary file, not a Markdown runbook" } else { "this file is not valid UTF-8" };
            let d = Diagnostic::new(runbook_core::Finding::BadEncoding, Span::new(bad.offset, bad.offset + 1), message)
                .label(if bad.binary { "NUL byte" } else { "invalid byte here" })
                .hint("runbooks are UTF-8 Markdown files");
            let mut c = runbook_core::compile(Source::new(bad.source.name.clone(), String::new()));
            c.source = bad.source;
            c.diagnostics = vec![d];
            c
        }
    })
}
