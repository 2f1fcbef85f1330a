//! Finding runbook files and reading them without losing anything: a file that is not UTF-8
//! becomes a diagnostic at its first bad byte, not an I/O failure. Reading is bounded: only
//! regular files are opened (a FIFO would block, `/dev/zero` never ends) and never more than
//! `--max-file-size` bytes are read.

use anyhow::{Context, Result, bail};
use runbook_core::{Compiled, Diagnostic, Source, Span};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The largest runbook read unless `--max-file-size` says otherwise: far above any real
/// runbook (the largest of the shared corpus is 62 KiB), small enough to check in seconds.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 16 * 1024 * 1024;

static MAX_FILE_SIZE: OnceLock<u64> = OnceLock::new();

/// Sets the size limit once, from the command line, for every command that reads runbooks:
/// a process-wide setting rather than one more argument threaded through each command.
pub fn set_max_file_size(bytes: u64) {
    let _ = MAX_FILE_SIZE.set(bytes);
}

fn max_file_size() -> u64 {
    MAX_FILE_SIZE.get().copied().unwrap_or(DEFAULT_MAX_FILE_SIZE)
}

/// Parses `--max-file-size`: bytes, or a number with a unit (`512KiB`, `64MiB`, `1G`; K, M and
/// G count in powers of 1024 as file sizes do).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let number: u64 = t[..digits].parse().map_err(|_| format!("`{text}` is not a size (try 16MiB or 20000000)"))?;
    let unit: u64 = match t[digits..].trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        other => return Err(format!("unknown unit `{other}` in `{text}` (use KiB, MiB or GiB)")),
    };
    number.checked_mul(unit).ok_or_else(|| format!("`{text}` is too large"))
}

/// A size for people: `16 MiB`, `1.5 KiB`, `200 bytes`.
fn human(bytes: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (size, unit) in UNITS {
        if bytes >= size {
            let value = bytes as f64 / size as f64;
            return if value.fract() == 0.0 { format!("{value} {unit}") } else { format!("{value:.1} {unit}") };
        }
    }
    format!("{bytes} bytes")
}

/// What a path is when it is not a regular file, for the error message.
fn kind(meta: &std::fs::Metadata) -> &'static str {
    let ty = meta.file_type();
    if ty.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ty.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if ty.is_char_device() || ty.is_block_device() {
            return "a device";
        }
        if ty.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

/// Reads a runbook's bytes: a regular file (through symlinks), at most the size limit.
pub fn read_runbook(path: &Path) -> Result<Vec<u8>> {
    let limit = max_file_size();
    let too_large = |size: &str| {
        anyhow::anyhow!(
            "`{}` is {size}, over the limit of {} for a runbook; raise it with --max-file-size if this file is meant to be read",
            path.display(),
            human(limit)
        )
    };
    // Looked at before opening: opening a FIFO blocks until someone writes to it.
    let meta = std::fs::metadata(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    if !meta.is_file() {
        // `x.md -> /dev/zero`: say where the link leads.
        let target = std::fs::read_link(path).map(|t| format!(" (a link to `{}`)", t.display())).unwrap_or_default();
        bail!("`{}`{target} is {}; runbooks are read from regular files only", path.display(), kind(&meta));
    }
    if meta.len() > limit {
        return Err(too_large(&human(meta.len())));
    }
    let file = std::fs::File::open(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    // The path may have been replaced since it was looked at: what was opened counts, and
    // never more than the limit is read, even from a file that grows.
    let opened = file.metadata().with_context(|| format!("cannot read `{}`", path.display()))?;
    if !opened.is_file() {
        bail!("`{}` is {}; runbooks are read from regular files only", path.display(), kind(&opened));
    }
    let mut bytes = Vec::with_capacity(opened.len().min(limit) as usize);
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes).with_context(|| format!("cannot read `{}`", path.display()))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(&format!("more than {}", human(limit))));
    }
    Ok(bytes)
}

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

/// Runs `work` on every item on all cores and hands the results to `sink` in the order of
/// `items`, so output is the same as a sequential loop's. A worker takes the next item as soon
/// as it is free (batches waited for their slowest file, which left a core idle at the end of
/// each); a result that arrives early waits for the ones before it. The first error stops the
/// loop at that item, after the items before it were handed on, and no new item is started.
pub fn in_parallel_in_order<I: Sync, T: Send>(
    items: &[I],
    work: impl Fn(&I) -> Result<T> + Sync,
    mut sink: impl FnMut(T) -> Result<()>,
) -> Result<()> {
    if items.len() < 2 {
        return items.iter().try_for_each(|item| sink(work(item)?));
    }
    let stop = AtomicBool::new(false);
    let taken = AtomicUsize::new(0);
    let (tx, rx) = std::sync::mpsc::channel::<(usize, Result<T>)>();
    std::thread::scope(|scope| {
        // One worker per core, each taking the next item in order, so the results that wait
        // are few: those finished while a worker was still on an earlier item.
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, items.len());
        let (stop, taken, work) = (&stop, &taken, &work);
        for _ in 0..workers {
            let tx = tx.clone();
            scope.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let i = taken.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    // The receiver is gone only after an error: nothing more is wanted.
                    if tx.send((i, work(item))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut early: BTreeMap<usize, Result<T>> = BTreeMap::new();
        let mut next = 0;
        let mut handed = || -> Result<()> {
            for (i, result) in &rx {
                early.insert(i, result);
                while let Some(result) = early.remove(&next) {
                    next += 1;
                    sink(result?)?;
                }
            }
            Ok(())
        };
        let outcome = handed();
        if outcome.is_err() {
            stop.store(true, Ordering::Relaxed);
        }
        outcome
    })
}

/// Reads and compiles one runbook.
pub fn compile(path: &Path) -> Result<Compiled> {
    let bytes = read_runbook(path)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_results_are_handed_on_in_order() {
        let items: Vec<usize> = (0..300).collect();
        let mut seen = Vec::new();
        let slow_every_seventh = |&i: &usize| {
            if i % 7 == 0 {
                std::thread::sleep(std::time::Duration::from_micros(300));
            }
            Ok(i * 2)
        };
        in_parallel_in_order(&items, slow_every_seventh, |v| {
            seen.push(v);
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, items.iter().map(|i| i * 2).collect::<Vec<_>>());
    }

    #[test]
    fn parallel_loop_stops_at_the_first_error_after_what_came_before() {
        let items: Vec<usize> = (0..300).collect();
        let mut seen = Vec::new();
        let err = in_parallel_in_order(
            &items,
            |&i| if i == 50 || i == 120 { bail!("item {i}") } else { Ok(i) },
            |v| {
                seen.push(v);
                Ok(())
            },
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "item 50");
        assert_eq!(seen, (0..50).collect::<Vec<_>>());
        // An error of the sink stops it the same way.
        let mut seen = Vec::new();
        let err = in_parallel_in_order(
            &items,
            |&i| Ok(i),
            |v| {
                if v == 7 {
                    bail!("sink {v}");
                }
                seen.push(v);
                Ok(())
            },
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "sink 7");
        assert_eq!(seen, (0..7).collect::<Vec<_>>());
    }

    #[test]
    fn sizes_with_units() {
        assert_eq!(parse_size("16MiB"), Ok(16 << 20));
        assert_eq!(parse_size("512 KiB"), Ok(512 << 10));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        assert_eq!(parse_size("20000000"), Ok(20_000_000));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("5 parsecs").is_err());
        assert!(parse_size("99999999999999999999GiB").is_err());
        assert_eq!(human(16 << 20), "16 MiB");
        assert_eq!(human(1536), "1.5 KiB");
        assert_eq!(human(12), "12 bytes");
    }
}
