//! Splitting a block into steps: SQL statements under their own `--` comments, comments that
//! stand alone as instructions, and the maps from a step's code back to the source.

use super::*;

/// Command lines as one piece of code (a line each), with the map back to the source.
pub(super) fn join_commands<'a>(
    lines: impl IntoIterator<Item = &'a shell::CommandLine>,
    block: &CodeBlock,
) -> (String, Vec<(usize, usize)>) {
    let (mut code, mut map) = (String::new(), Vec::new());
    for line in lines {
        if !code.is_empty() {
            code.push('\n');
        }
        map.extend(line.pieces.iter().map(|&(t, b)| (code.len() + t, block.source_offset(b))));
        code.push_str(&line.text);
    }
    (code, map)
}

/// Block piece map shifted by `lead` bytes trimmed off the front of the text.
pub(super) fn shift_map(block: &CodeBlock, lead: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::with_capacity(block.pieces.len());
    for &(t, s) in &block.pieces {
        if t + 64 < lead {
            continue;
        }
        if t <= lead {
            out.clear();
            out.push((0, s + (lead - t)));
        } else {
            out.push((t - lead, s));
        }
    }
    if out.is_empty() {
        out.push((0, block.source_offset(lead)));
    }
    out
}

/// Runs of comment lines in a shell block that are instructions of their own, as (first line,
/// lines): a run not right above a command (`# Check Edge Function logs` / `# Supabase
/// Dashboard > Edge Functions > Logs` at the end of a block), or the lines of a run above the
/// one that titles the command when they instruct (`# Disable the system temporarily` /
/// `# Review recent activity` / `curl …`).
pub(super) fn comment_notes(sb: &shell::ShellBlock) -> Vec<(usize, Vec<String>)> {
    let mut runs: Vec<(usize, Vec<String>)> = Vec::new();
    for (line, text) in &sb.comments {
        match runs.last_mut() {
            Some((first, lines)) if *first + lines.len() == *line => lines.push(text.clone()),
            _ => runs.push((*line, vec![text.clone()])),
        }
    }
    let mut out = Vec::new();
    for (first, mut lines) in runs {
        lines.retain(|l| !l.is_empty());
        if lines.is_empty() {
            continue;
        }
        let last = first + lines.len() - 1;
        let titles_command = sb.commands.iter().any(|c| c.first_line == last + 1);
        if !titles_command {
            out.push((first, lines));
        } else if lines.len() >= 2 && prose::is_instruction(&lines[0]) {
            lines.pop();
            out.push((first, lines));
        }
    }
    out
}

/// One statement of an SQL block with the `--` comment lines just above it.
#[derive(Debug, PartialEq)]
pub(super) struct SqlChunk {
    pub(super) comment: String,
    /// Byte range of the statement in the block's text.
    pub(super) start: usize,
    pub(super) end: usize,
}

/// The statements of an SQL block, each with the comment above it: `-- Vacuum` / `VACUUM;` /
/// `-- Review disk usage` / `SELECT …;`. A statement ends at a line ending in `;`; a
/// transaction (`BEGIN` … `COMMIT`) and a block with dollar-quoted bodies stay whole.
pub(super) fn sql_chunks(text: &str) -> Vec<SqlChunk> {
    let whole = || {
        let start = text.len() - text.trim_start().len();
        vec![SqlChunk { comment: String::new(), start, end: text.trim_end().len().max(start) }]
    };
    if text.contains("$$") {
        return whole();
    }
    let mut out = Vec::new();
    let mut comments: Vec<&str> = Vec::new();
    // The open statement: where it starts and whether it is a transaction.
    let mut open: Option<(usize, bool)> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let at = offset;
        offset += line.len();
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        if open.is_none() && t.starts_with("--") {
            comments.push(t.trim_start_matches('-').trim());
            continue;
        }
        let (start, transaction) = *open.get_or_insert_with(|| {
            let upper: String = t.chars().take(18).collect::<String>().to_ascii_uppercase();
            (at + (line.len() - line.trim_start().len()), upper.starts_with("BEGIN") || upper.starts_with("START TRANSACTION"))
        });
        let code = t.split(" --").next().unwrap_or(t).trim_end();
        let upper: String = code.chars().take(10).collect::<String>().to_ascii_uppercase();
        let ends = code.ends_with(';') && (!transaction || ["COMMIT", "ROLLBACK", "END"].iter().any(|w| upper.starts_with(w)));
        if ends {
            out.push(SqlChunk { comment: comments.join(" "), start, end: at + line.trim_end().len() });
            comments.clear();
            open = None;
        }
    }
    if let Some((start, _)) = open {
        out.push(SqlChunk { comment: comments.join(" "), start, end: text.trim_end().len().max(start) });
    }
    if out.is_empty() { whole() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(text: &str) -> Vec<(String, String)> {
        sql_chunks(text).into_iter().map(|c| (c.comment, text[c.start..c.end].to_owned())).collect()
    }

    #[test]
    fn statements_under_their_own_comments_are_apart() {
        let c = chunks("-- Vacuum\nVACUUM ANALYZE;\n\n-- Disk usage\nSELECT pg_size_pretty(1);\n");
        assert_eq!(c, [("Vacuum".into(), "VACUUM ANALYZE;".into()), ("Disk usage".into(), "SELECT pg_size_pretty(1);".into())]);
    }

    #[test]
    fn a_transaction_and_dollar_bodies_stay_whole() {
        assert_eq!(chunks("BEGIN;\n-- fix\nUPDATE t SET a = 1;\nCOMMIT;").len(), 1);
        assert_eq!(chunks("CREATE FUNCTION f() AS $$ SELECT 1; $$;\n-- x\nSELECT f();").len(), 1);
    }

    #[test]
    fn standalone_comments_are_notes() {
        let sb = shell::read_block("# Check the logs\n# Dashboard > Logs\n\n# Health\ncurl -s http://h/health");
        assert_eq!(comment_notes(&sb), [(0, vec!["Check the logs".to_owned(), "Dashboard > Logs".to_owned()])]);
    }
}
