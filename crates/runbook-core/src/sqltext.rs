//! SQL text helpers that need no parser: splitting a step into statements at top-level `;`
//! (strings, quoted identifiers, comments and dollar quotes respected).

/// Byte ranges of the non-empty statements in `sql`, without their `;`.
pub fn split_statements(sql: &str) -> Vec<std::ops::Range<usize>> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let push = |out: &mut Vec<std::ops::Range<usize>>, s: usize, e: usize| {
        let piece = &sql[s..e];
        let meaningful = piece.lines().any(|l| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with("--")
        });
        if meaningful {
            let lead = piece.len() - piece.trim_start().len();
            let trail = piece.len() - piece.trim_end().len();
            out.push(s + lead..e - trail);
        }
    };
    while i < b.len() {
        match b[i] {
            b'\'' | b'"' => {
                let q = b[i];
                i += 1;
                while i < b.len() {
                    if b[i] == q {
                        if b.get(i + 1) == Some(&q) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                i = sql[i..].find('\n').map_or(b.len(), |e| i + e);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = sql[i + 2..].find("*/").map_or(b.len(), |e| i + 2 + e + 2);
            }
            b'$' => {
                // `$tag$ … $tag$` (tag may be empty); `$1` is a parameter.
                let tag_end = sql[i + 1..].find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map(|e| i + 1 + e);
                match tag_end {
                    Some(e) if b[e] == b'$' && !b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                        let tag = &sql[i..=e];
                        i = sql[e + 1..].find(tag).map_or(b.len(), |c| e + 1 + c + tag.len());
                    }
                    _ => i += 1,
                }
            }
            b';' => {
                push(&mut out, start, i);
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    push(&mut out, start, b.len().max(start));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(sql: &str) -> Vec<&str> {
        split_statements(sql).into_iter().map(|r| &sql[r]).collect()
    }

    #[test]
    fn splits_at_top_level_semicolons() {
        assert_eq!(parts("SELECT 1; SELECT ';' ;\n-- done\n"), ["SELECT 1", "SELECT ';'"]);
        assert_eq!(parts("DO $$ BEGIN x; END $$; VACUUM t"), ["DO $$ BEGIN x; END $$", "VACUUM t"]);
        assert_eq!(parts("SELECT $1; /* ; */ SELECT 2"), ["SELECT $1", "/* ; */ SELECT 2"]);
        assert_eq!(parts("-- only a comment"), Vec::<&str>::new());
    }
}
