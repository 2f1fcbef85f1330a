//! Reading the author's prose: role sections, severity words, plain text of inline Markdown,
//! and the phrases that introduce example output.

mod memo;
use memo::Question;
pub use memo::{Scope, scope};

/// What a heading (or bold pseudo-heading) is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Symptoms,
    Diagnosis,
    Resolution,
    Prevention,
    Escalation,
    Verification,
    /// Overview, references, dashboards…: prose about the problem, no steps of their own.
    Context,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Symptoms => "symptoms",
            Role::Diagnosis => "diagnosis",
            Role::Resolution => "resolution",
            Role::Prevention => "prevention",
            Role::Escalation => "escalation",
            Role::Verification => "verification",
            Role::Context => "notes",
        }
    }
}

/// The role of a heading, from its title (synonyms, not fixed titles).
pub fn role(title: &str) -> Option<Role> {
    let t = title.trim().trim_end_matches(':').trim().to_ascii_lowercase();
    let t = t.trim_start_matches(|c: char| !c.is_ascii_alphabetic());
    // `Alert: NodeRAIDDegraded` names an alert (a problem), it is not the section about one.
    if t.starts_with("alert:") || t.starts_with("alert name") || t.starts_with("alertname") {
        return None;
    }
    // A verb names a role only on its own (`Verify`, `Fix:`); followed by an object it is a
    // step heading (`Verify the forwarder configuration`, `Fix the permissions`). Nouns
    // (`Troubleshooting the ingester`, `Resolution steps`) name a role either way.
    const VERBS: &[&str] = &[
        "diagnose",
        "troubleshoot",
        "investigate",
        "identify",
        "resolve",
        "mitigate",
        "remediate",
        "fix",
        "recover",
        "prevent",
        "escalate",
        "verify",
        "validate",
        "confirm",
        "rollback",
        // `Alert` names the section about the alert; `Alert Name: X` is an alert of its own.
        "alert",
    ];
    // … except when the object is the outcome itself: `Verify the fix`, `Confirm recovery`.
    let outcome = |rest: &str| {
        let o = rest.trim().trim_start_matches("the ").trim_start_matches("that ");
        ["fix", "resolution", "recovery", "mitigation", "solution", "result", "it work", "everything"].iter().any(|w| o.starts_with(w))
    };
    let starts = |words: &[&str]| {
        words.iter().any(|w| {
            t.strip_prefix(w).is_some_and(|rest| {
                rest.is_empty()
                    || rest.starts_with(':')
                    || (rest.starts_with(' ') && ((!VERBS.contains(w) && !w.starts_with("how to")) || outcome(rest)))
            })
        })
    };
    // Most titles are not role titles: their first word rules them out with one look-up.
    static FIRST_WORDS: std::sync::OnceLock<std::collections::HashSet<&'static str>> = std::sync::OnceLock::new();
    let first_words = FIRST_WORDS.get_or_init(|| ROLE_TITLES.iter().flat_map(|(_, ws)| ws.iter().map(|w| first_word(w))).collect());
    if !first_words.contains(first_word(t)) {
        return None;
    }
    ROLE_TITLES.iter().find(|(_, words)| starts(words)).map(|(role, _)| *role)
}

crate::word_set!(
    /// Verbs that open an instruction to the operator: `Check …`, `Rotate API keys`.
    INSTRUCTION_VERBS = [
        "check", "verify", "review", "monitor", "confirm", "ensure", "inspect", "look", "analyze", "analyse", "audit",
        "validate", "test", "track", "identify", "assess", "assign", "alert", "notify", "create", "document", "follow",
        "conduct", "share", "implement", "deploy", "reproduce", "contact", "specify", "coordinate", "add", "optimize",
        "optimise", "use", "update", "rotate", "encrypt", "secure", "set", "enable", "disable", "restart", "stop", "start",
        "scale", "increase", "decrease", "reduce", "run", "open", "go", "navigate", "delete", "remove", "clear", "reset",
        "resend", "upgrade", "escalate", "consider", "wait", "rollback", "roll", "restore", "back", "change", "generate",
        "configure", "adjust", "install", "apply", "kill", "drain", "cordon", "page", "call", "record", "capture",
        "collect", "gather", "compare", "search", "find", "query", "determine", "investigate", "diagnose", "fix",
        "resolve", "mitigate", "revert", "retry", "rerun", "switch", "move", "copy", "export", "import", "trigger",
        "schedule", "cancel", "pause", "resume", "approve", "merge", "mark", "close", "acknowledge", "inform",
        "communicate", "download", "upload", "log", "connect", "watch", "observe", "note", "keep", "avoid", "contain",
        "isolate", "block", "revoke", "invalidate", "purge", "flush", "refresh", "reload", "rebuild", "recreate",
        "reindex", "vacuum", "archive", "clean", "cleanup", "terminate", "shut", "promote", "demote", "failover",
        "fail", "ask", "tell", "email", "post", "file", "raise", "open", "edit", "modify", "replace", "rename",
        "grant", "invite", "onboard", "offboard", "patch", "rotate", "measure", "benchmark", "profile", "tune",
    ]
);

/// A list item or comment that tells the operator to do something: it opens with a verb in
/// the imperative (`Review access logs`, `**Monitor System Health**`, `Immediately disable
/// affected accounts`), not a fact (`Invitation creation: < 2000ms`).
pub fn is_instruction(text: &str) -> bool {
    memo::flag(Question::IsInstruction, text, opens_with_instruction)
}

fn opens_with_instruction(text: &str) -> bool {
    let plain = plain_text(text.lines().next().unwrap_or(""));
    let mut words = plain.split(|c: char| c.is_whitespace() || c == ':').filter(|w| !w.is_empty());
    let mut first = words.next().unwrap_or("").to_ascii_lowercase();
    if matches!(first.as_str(), "immediately" | "manually" | "then" | "first" | "also" | "please" | "regularly" | "finally" | "next") {
        first = words.next().unwrap_or("").to_ascii_lowercase();
    }
    // `Review:` alone labels a list; `Review the logs` instructs.
    INSTRUCTION_VERBS.contains(first.trim_end_matches(['.', ','])) && plain.split_whitespace().count() >= 2
}

crate::word_set!(
    /// Verbs of prose instructions beyond the list ones: "proceed to the ring page", "click".
    PROSE_VERBS = [
        "proceed", "execute", "click", "cache", "establish", "examine", "try", "take", "make", "ping", "ssh", "login", "describe", "grep",
        "forget", "halt", "freeze", "recover", "resize", "repair", "reassign", "re-run", "re-create", "re-analyze",
        "analyze", "cross-check", "double-check", "reach", "visit", "browse", "attempt", "hand", "get", "look",
    ]
);

/// One sentence of prose tells the operator to do something: it opens with a verb in the
/// imperative, maybe after "If so, " / "Then" / "First", or the operator is the subject
/// ("you should check", "you can raise", "you may need to restart"). A statement of fact
/// ("This alert fires when …") does not.
pub fn instructs(sentence: &str) -> bool {
    memo::flag(Question::Instructs, sentence, reads_as_instruction)
}

fn reads_as_instruction(sentence: &str) -> bool {
    // Only the first 60 words are read: convert no more than their text (a char boundary
    // after 600 bytes).
    let mut cut = sentence.len().min(600);
    while !sentence.is_char_boundary(cut) {
        cut -= 1;
    }
    // (Not kept: the answer is.)
    let mut plain = plain_text_of(&sentence[..cut]);
    plain.make_ascii_lowercase();
    // The first 60 words, on the stack: this runs for every sentence the rules look at.
    // (Plain text has no white space but single ASCII spaces.)
    let mut buffer = [""; 60];
    let mut count = 0;
    for (slot, w) in buffer.iter_mut().zip(plain.split([' ', ':', '(', ')', '"']).filter(|w| !w.is_empty())) {
        *slot = w;
        count += 1;
    }
    let words = &buffer[..count];
    let verb = |w: &str| {
        let w = w.trim_end_matches([',', '.', ';', '!']);
        INSTRUCTION_VERBS.contains(w) || PROSE_VERBS.contains(w)
    };
    // Where a clause starts: the sentence's start, after a comma, after "then"/"and".
    let mut clause_start = true;
    for (i, w) in words.iter().enumerate() {
        let bare = w.trim_end_matches([',', '.', ';']);
        if clause_start && verb(w) && !(i == 0 && matches!(bare, "log" | "file" | "post" | "note" | "back" | "test" | "query" | "page")) {
            return true;
        }
        // "you should check", "you can raise", "you need to restart", "you may want to check".
        if matches!(bare, "you" | "we" | "operators" | "one")
            && let Some(next) = words.get(i + 1)
        {
            let modal = next.trim_end_matches(',');
            // The verb comes right after the modal and its fillers ("may also need to").
            let next_verb = words[i + 2..].iter().find(|w| {
                !matches!(
                    w.trim_end_matches(','),
                    "to" | "also"
                        | "then"
                        | "need"
                        | "want"
                        | "first"
                        | "now"
                        | "just"
                        | "probably"
                        | "further"
                        | "either"
                        | "simply"
                        | "have"
                        | "a"
                        | "quick"
                )
            });
            if matches!(modal, "should" | "can" | "could" | "may" | "might" | "must" | "will" | "need" | "have" | "want" | "then")
                && next_verb.is_some_and(|w| verb(w))
            {
                return true;
            }
        }
        clause_start = w.ends_with(',')
            || w.ends_with(';')
            || matches!(
                bare,
                "then" | "and" | "first" | "next" | "also" | "please" | "immediately" | "manually" | "finally" | "simply" | "just"
            );
        // The opening condition of "If so, restart it" / "If this is the case proceed to …".
        if i == 0 && matches!(bare, "if" | "when" | "once" | "otherwise" | "after" | "before" | "until" | "while") {
            clause_start = bare == "otherwise";
        }
    }
    // "If this is the case proceed to the admin page": no comma after the condition.
    words.first().is_some_and(|w| matches!(*w, "if" | "when" | "once"))
        && words.iter().skip(3).any(|w| verb(w) && !w.ends_with("ing"))
        && ["is the case", "so ", "not ", "it does", "this happens"].iter().any(|c| plain.contains(c))
}

/// The sentences of a paragraph of Markdown, as slices of it: a `.`, `!` or `?` followed by
/// white space ends one, unless it is inside inline code or after "e.g." and the like.
pub fn sentences(md: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let b = md.as_bytes();
    let mut start = 0;
    let mut in_code = false;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'`' => in_code = !in_code,
            b'.' | b'!' | b'?' if !in_code && b.get(i + 1).is_some_and(|n| n.is_ascii_whitespace()) => {
                let word = md[start..i].rsplit([' ', '(', '\n']).next().unwrap_or("");
                if word.len() == 1 || is_abbreviation(word, &["e.g", "i.e", "ie", "eg", "vs", "cf", "approx", "no", "etc", "ex"]) {
                    continue;
                }
                let s = md[start..=i].trim();
                if !s.is_empty() {
                    out.push(s);
                }
                start = i + 1;
            }
            _ => {}
        }
    }
    let s = md[start..].trim();
    if !s.is_empty() {
        out.push(s);
    }
    out
}

/// The word before a `.` is one of these abbreviations, in any letter case (compared without
/// a lowercased copy: this runs at every full stop).
fn is_abbreviation(word: &str, abbreviations: &[&str]) -> bool {
    abbreviations.iter().any(|a| a.eq_ignore_ascii_case(word))
}

/// A title's first word, for the role pre-check: up to a space or `:`.
fn first_word(t: &str) -> &str {
    t.split([' ', ':']).next().unwrap_or("")
}

/// Section titles by role, tried in this order (see [`role`]).
const ROLE_TITLES: &[(Role, &[&str])] = &[
    (Role::Symptoms, &["symptom", "symptoms", "meaning", "impact", "signs", "summary", "description", "what this alert means", "alert"]),
    (
        Role::Diagnosis,
        &[
            "diagnosis",
            "diagnose",
            "diagnostics",
            "diagnostic steps",
            "possible checks",
            "checks",
            "troubleshooting",
            "troubleshoot",
            "investigation",
            "investigate",
            "how to investigate",
            "how to diagnose",
            "how to troubleshoot",
            "identify",
            "identifying",
            "root cause",
            "possible causes",
            "causes",
            "debugging",
            "analysis",
            "data gathering",
            "gathering data",
            "pre-checks",
            "pre checks",
            "cause",
        ],
    ),
    (
        Role::Resolution,
        &[
            "resolution",
            "resolve",
            "resolving",
            "solution",
            "solutions",
            "mitigation",
            "mitigate",
            "mitigations",
            "remediation",
            "remediate",
            "fix",
            "fixes",
            "fixing",
            "workaround",
            "workarounds",
            "recovery",
            "recover",
            "how to fix",
            "how to resolve",
            "resolution options",
            "possible solutions",
            "actions",
            "steps to resolve",
            "rollback",
            "possible fixes",
            "recommended actions",
            "remedy",
        ],
    ),
    (Role::Prevention, &["prevention", "prevent", "preventive measures", "follow-up", "follow up", "post-incident", "long-term fix"]),
    (Role::Escalation, &["escalation", "escalate", "escalations", "who to contact", "contacts"]),
    (
        Role::Verification,
        &["verification", "verify", "validation", "validate", "confirm", "check resolution", "testing", "post checks", "post-checks"],
    ),
    (
        Role::Context,
        &[
            "overview",
            "background",
            "context",
            "references",
            "reference",
            "related",
            "see also",
            "dashboards",
            "links",
            "resources",
            "notes",
            "details",
            "prerequisites",
            "table of contents",
            "contents",
        ],
    ),
];

/// Splits a severity marker off a title: `🔴 CRITICAL: Users Cannot Log In` →
/// (`Users Cannot Log In`, `critical`).
pub fn split_severity(title: &str) -> (String, Option<String>) {
    let mut severity: Option<String> = None;
    let mut words: Vec<&str> = Vec::new();
    for raw in title.split_whitespace() {
        let w = raw.trim_matches(|c: char| matches!(c, '(' | ')' | '[' | ']' | ':' | '-' | ',' | '*' | '|'));
        let emoji = match w {
            "🔴" | "🔥" | "🚨" | "‼️" => Some("critical"),
            "🟠" => Some("high"),
            "🟡" | "⚠️" | "⚠" => Some("medium"),
            "🟢" | "🔵" | "ℹ️" => Some("low"),
            _ => None,
        };
        let upper = w.to_ascii_uppercase();
        let word = match upper.as_str() {
            // Upper case anywhere, or any case when marked as a label: `(Critical)`, `High:`.
            "CRITICAL" | "HIGH" | "MEDIUM" | "LOW" | "WARNING" | "INFO"
                if w.chars().all(|c| c.is_ascii_uppercase()) || raw.starts_with(['(', '[']) || (raw.ends_with(':') && words.is_empty()) =>
            {
                Some(upper.to_ascii_lowercase())
            }
            _ if is_priority(&upper) => Some(upper.replace('-', "").to_ascii_lowercase()),
            _ => None,
        };
        // `Critical` in a title (`System Down - Critical Outage`) states the severity too, but
        // stays a word of the title; `High Response Times` is no severity.
        if emoji.is_none() && word.is_none() && severity.is_none() && w == "Critical" {
            severity = Some("critical".to_owned());
        }
        match emoji.map(str::to_owned).or(word) {
            Some(s) if severity.is_none() => {
                severity = Some(s);
                // A marker just before the severity word is its emoji, mis-encoded (`游댮
                // CRITICAL:` is 🔴 read in the wrong code page): not a word of the title.
                words.retain(|w| w.chars().any(|c| c.is_alphanumeric() && c.is_ascii()) || words_before_are_text(w));
            }
            Some(_) => {}
            None if !w.is_empty() => words.push(raw),
            None => {}
        }
    }
    let title = words.join(" ").trim_matches(|c: char| c == ':' || c == '-' || c == '–' || c == '—' || c.is_whitespace()).to_owned();
    (title, severity)
}

/// A word without ASCII letters or digits that still reads as text (`über`, `日本語`) rather
/// than as a marker: any word with a Latin letter. Mis-encoded emoji come out as a few CJK or
/// Hangul characters with no Latin letter, so they are markers.
fn words_before_are_text(w: &str) -> bool {
    w.chars().any(|c| c.is_alphabetic() && (c as u32) < 0x2E80)
}

pub(crate) fn is_priority(w: &str) -> bool {
    let rest = w.strip_prefix("SEV").or_else(|| w.strip_prefix('P'));
    match rest {
        Some(r) => {
            let r = r.trim_start_matches('-');
            r.len() == 1 && r.as_bytes()[0].is_ascii_digit() && r.as_bytes()[0] <= b'5'
        }
        None => false,
    }
}

/// Inline Markdown to plain text: emphasis, code marks and link targets dropped.
///
/// Every rule reads prose through this, many times per paragraph: it works on bytes and copies
/// runs of ordinary characters at once (the markup and white space it looks for are ASCII;
/// other characters are copied whole, white space among them collapsed like ASCII's).
pub fn plain_text(md: &str) -> String {
    memo::text(Question::PlainText, md, plain_text_of)
}

/// The start of [`plain_text`] of `md`: its first `len` bytes or more (all of it when it is
/// shorter), for rules that read only how a paragraph opens. The same conversion, stopped
/// early: a prefix of the whole text, never a different reading.
pub fn plain_head(md: &str, len: usize) -> String {
    plain_text_upto(md, len)
}

fn plain_text_of(md: &str) -> String {
    plain_text_upto(md, usize::MAX)
}

fn plain_text_upto(md: &str, limit: usize) -> String {
    // (Two bytes more: a leading `- ` is dropped at the end.)
    let limit = limit.saturating_add(2);
    let b = md.as_bytes();
    let mut out = String::with_capacity(md.len());
    // Whitespace runs (newlines included) become one space, written only before the next
    // character: one pass, no trailing space.
    let mut space = false;
    let mut i = 0;
    while i < b.len() && out.len() < limit {
        let c = b[i];
        if is_ordinary(c) {
            let start = i;
            while i < b.len() && is_ordinary(b[i]) {
                i += 1;
            }
            if space {
                out.push(' ');
                space = false;
            }
            out.push_str(&md[start..i]);
            continue;
        }
        if c >= 0x80 {
            // A whole character beyond ASCII: white space (U+00A0, U+2003…) or text.
            let ch = md[i..].chars().next().unwrap_or(' ');
            let len = ch.len_utf8();
            if ch.is_whitespace() {
                space = !out.is_empty();
            } else {
                if space {
                    out.push(' ');
                    space = false;
                }
                out.push_str(&md[i..i + len]);
            }
            i += len;
            continue;
        }
        i += 1;
        match c {
            b'*' | b'`' => {}
            // `_emphasis_` at a word's edge, not `snake_case`.
            b'_' if out.is_empty() || space || next_char(md, i).is_none_or(|n| n.is_whitespace() || n.is_ascii_punctuation()) => {}
            b']' if b.get(i) == Some(&b'(') => {
                // Skip `(url)`.
                let mut depth = 0;
                while i < b.len() {
                    let n = b[i];
                    i += 1;
                    match n {
                        b'(' => depth += 1,
                        b')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
            }
            // `[text](url)` keeps its text; `rate(x[5m])` keeps its bracket.
            b'[' if {
                let rest = &md[i..];
                let line = &rest[..rest.find(['\n', '[']).unwrap_or(rest.len())];
                line.contains("](")
            } => {}
            // `<br>`, `<br />`: a line break in a table cell or list item.
            // (`<branch>` is a placeholder, not a break.)
            b'<' if matches!((b.get(i), b.get(i + 1), b.get(i + 2)), (Some(b'b' | b'B'), Some(b'r' | b'R'), Some(b'>' | b' ' | b'/'))) => {
                i = b[i..].iter().position(|&n| n == b'>').map_or(b.len(), |p| i + p + 1);
                space = !out.is_empty();
            }
            _ if is_space(c) => space = !out.is_empty(),
            _ => {
                if space {
                    out.push(' ');
                    space = false;
                }
                out.push(c as char);
            }
        }
    }
    if out.starts_with("- ") {
        out.drain(..2);
    }
    out
}

/// ASCII white space as `char::is_whitespace` has it (U+000B included).
fn is_space(c: u8) -> bool {
    matches!(c, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ')
}

/// A byte [`plain_text`] copies as it is: ASCII, no white space, no markup it reads.
fn is_ordinary(c: u8) -> bool {
    c < 0x80 && !is_space(c) && !matches!(c, b'*' | b'`' | b'_' | b']' | b'[' | b'<')
}

fn next_char(s: &str, at: usize) -> Option<char> {
    s.get(at..).and_then(|r| r.chars().next())
}

/// The first sentence of a paragraph, cut to a readable length.
pub fn first_sentence(text: &str, max: usize) -> String {
    let end = sentence_end(text).map_or(text.len(), |i| i + 1);
    let s = text[..end].trim();
    // Bytes bound characters from above: most sentences need no counting.
    if s.len() <= max || s.chars().count() <= max {
        return s.to_owned();
    }
    let cut: String = s.chars().take(max.saturating_sub(1)).collect();
    // Cut at a word boundary when there is one in the second half.
    let cut = match cut.rfind(' ') {
        Some(i) if i > cut.len() / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end().trim_end_matches([',', ';', ':']))
}

/// Where the first sentence ends (its `.`), skipping "e.g. ", "i.e. ", "vs. ".
fn sentence_end(text: &str) -> Option<usize> {
    // One pass over the stops: a `.`, `!` or `?` followed by a space.
    let b = text.as_bytes();
    (0..b.len()).filter(|&i| matches!(b[i], b'.' | b'!' | b'?')).find(|&i| {
        b.get(i + 1) == Some(&b' ') && {
            let word = text[..i].rsplit([' ', '(']).next().unwrap_or("");
            !is_abbreviation(word, &["e.g", "i.e", "ie", "eg", "vs", "cf", "approx", "no"])
        }
    })
}

/// A title from an introducing paragraph: the sentence that leads into the block (the last
/// one when the paragraph ends with `:`, else the first), as plain text, without a dangling
/// "via"/"with" and never a filler like "or" or "For example". Only part of a long paragraph is
/// converted, which keeps it cheap.
pub fn title_of(paragraph: &str) -> String {
    memo::text(Question::TitleOf, paragraph, title_of_paragraph)
}

fn title_of_paragraph(paragraph: &str) -> String {
    let p = paragraph.trim_end();
    let sentence = if p.ends_with(':') {
        let mut start = p.len().saturating_sub(400);
        while !p.is_char_boundary(start) {
            start += 1;
        }
        let tail = plain_text(&p[start..]);
        let last = match [". ", "! ", "? "].iter().filter_map(|s| tail.rfind(s)).max() {
            Some(i) => tail[i + 2..].to_owned(),
            None => tail.clone(),
        };
        // An example or an aside ("For example, as root:") names nothing: the paragraph's
        // first sentence does.
        let lower = last.to_ascii_lowercase();
        let aside = ["for example", "e.g.", "the following", "as ", "and ", "this ", "(", "you can observe", "for instance"]
            .iter()
            .any(|a| lower.starts_with(a))
            || last.split_whitespace().count() < 4;
        if aside && last.len() < tail.len() { tail } else { last }
    } else {
        let mut end = p.find(". ").map_or(p.len(), |i| i + 1).min(400);
        while !p.is_char_boundary(end) {
            end -= 1;
        }
        plain_text(&p[..end])
    };
    clean_title(&first_sentence(&sentence, 100))
}

/// A list item's or a sentence's words as a step title: plain text, first sentence, cleaned.
pub fn short_title(markdown: &str) -> String {
    clean_title(&first_sentence(&plain_text(markdown), 120))
}

/// A title as read aloud: no trailing `:`, no dangling "via"/"with" (the command followed),
/// and nothing at all for a filler ("Or:", "For example:"), which leaves the section title.
pub fn clean_title(title: &str) -> String {
    let mut title = title.trim().trim_end_matches(':').trim_end();
    // "Check pod logs via" (the command follows): the preposition dangles without it.
    while let Some((head, last)) = title.rsplit_once(' ')
        && head.contains(' ')
        && matches!(
            last.to_ascii_lowercase().as_str(),
            "via"
                | "with"
                | "using"
                | "in"
                | "of"
                | "by"
                | "from"
                | "to"
                | "on"
                | "at"
                | "for"
                | "or"
                | "and"
                | "the"
                | "a"
                | "an"
                | "into"
        )
    {
        title = head.trim_end_matches(',').trim_end();
    }
    let filler = matches!(
        title.to_ascii_lowercase().trim_end_matches(['.', ',']),
        "or" | "and"
            | "then"
            | "also"
            | "e.g"
            | "eg"
            | "example"
            | "for example"
            | "for instance"
            | "alternatively"
            | "or alternatively"
            | "otherwise"
    );
    if filler { String::new() } else { title.to_owned() }
}

/// "This will return…", "Example output:", "Output:" — the block after it is output.
pub fn introduces_output(paragraph: &str) -> bool {
    memo::flag(Question::IntroducesOutput, paragraph, says_output_follows)
}

fn says_output_follows(paragraph: &str) -> bool {
    let p = paragraph.to_ascii_lowercase();
    let p = p.trim();
    // Every phrase below holds one of these words: most paragraphs are ruled out in a few
    // passes instead of one per phrase.
    if !["return", "output", "see", "look", "respon", "result", "log"].iter().any(|w| p.contains(w)) {
        return false;
    }
    [
        "this will return",
        "this returns",
        "which returns",
        "will return",
        "should return",
        "example output",
        "sample output",
        "expected output",
        "output:",
        "output should look",
        "output looks like",
        "you should see",
        "you will see",
        "should look like",
        "will look like",
        "returns something like",
        "response:",
        "example response",
        "result:",
        "result example",
        "example result",
        "the following log",
        "log entry",
        "log entries",
    ]
    .iter()
    .any(|w| p.contains(w))
        && !p.starts_with("run ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles() {
        assert_eq!(role("Symptoms"), Some(Role::Symptoms));
        assert_eq!(role("Possible checks"), Some(Role::Diagnosis));
        assert_eq!(role("How to investigate:"), Some(Role::Diagnosis));
        assert_eq!(role("Solutions"), Some(Role::Resolution));
        assert_eq!(role("Users Cannot Log In"), None);
        assert_eq!(role("Fixtures"), None);
        assert_eq!(role("Verify"), Some(Role::Verification));
        assert_eq!(role("Verify ClusterLogForwarder Configuration"), None);
        assert_eq!(role("Fix the permissions"), None);
        assert_eq!(role("Verify the fix"), Some(Role::Verification));
        assert_eq!(role("Troubleshooting the ingester"), Some(Role::Diagnosis));
        assert_eq!(role("How to fix"), Some(Role::Resolution));
    }

    #[test]
    fn severity() {
        assert_eq!(split_severity("🔴 Users Cannot Log In"), ("Users Cannot Log In".into(), Some("critical".into())));
        assert_eq!(split_severity("CRITICAL: Database down"), ("Database down".into(), Some("critical".into())));
        assert_eq!(split_severity("Slow queries (P2)"), ("Slow queries".into(), Some("p2".into())));
        assert_eq!(split_severity("High CPU"), ("High CPU".into(), None));
        assert_eq!(split_severity("Disk full (Critical)"), ("Disk full".into(), Some("critical".into())));
        assert_eq!(split_severity("High: queue backlog"), ("queue backlog".into(), Some("high".into())));
        assert_eq!(split_severity("Payments down — SEV2"), ("Payments down".into(), Some("sev2".into())));
        // Emoji read in the wrong code page are markers, not words of the title.
        assert_eq!(split_severity("游댮 CRITICAL: Users Cannot Log In"), ("Users Cannot Log In".into(), Some("critical".into())));
        assert_eq!(split_severity("丘멆잺 HIGH: Application Running Slowly"), ("Application Running Slowly".into(), Some("high".into())));
        assert_eq!(split_severity("über CRITICAL: x"), ("über x".into(), Some("critical".into())));
        assert_eq!(split_severity("1. System Down - Critical Outage"), ("1. System Down Critical Outage".into(), Some("critical".into())));
    }

    #[test]
    fn instructions() {
        assert!(is_instruction("Review access logs"));
        assert!(is_instruction("**Monitor System Health**"));
        assert!(is_instruction("Immediately disable affected accounts"));
        assert!(!is_instruction("Invitation creation: < 2000ms"));
        assert!(!is_instruction("**Caching Strategy**"));
        assert!(!is_instruction("Check"));
    }

    #[test]
    fn prose_instructions() {
        assert!(instructs("Check the ring web page to see which is marked as unhealthy."));
        assert!(instructs("If nothing obvious from the above, check for increased load:"));
        assert!(instructs("You could then check the logs to see if there are any."));
        assert!(instructs("If this is the case proceed to the ring admin http page and forget the unhealth ruler."));
        assert!(!instructs("This alert fires when an ingester is marked as unhealthy."));
        assert!(!instructs("The most likely cause is that one of the rule ring entries is unhealthy."));
        assert!(!instructs("Log entries are kept for a week."));
        assert!(!instructs("If a replica fails, you have several options to recover:"));
    }

    #[test]
    fn sentences_of_a_paragraph() {
        assert_eq!(
            sentences("Check the ring, e.g. the page. Then run `kubectl get pods -n x. y`.\nDone"),
            vec!["Check the ring, e.g. the page.", "Then run `kubectl get pods -n x. y`.", "Done"]
        );
    }

    #[test]
    fn plain() {
        assert_eq!(plain_text("Check **the** `queue` in [Grafana](https://g/x)."), "Check the queue in Grafana.");
        assert_eq!(plain_text("Scale up<br /> Scaling up lowers it"), "Scale up Scaling up lowers it");
        assert_eq!(plain_text("Merge <branch> first"), "Merge <branch> first");
        assert_eq!(plain_text("Graph `rate(errors[5m])` in [Grafana](https://g/x)"), "Graph rate(errors[5m]) in Grafana");
        assert_eq!(
            first_sentence("Look for errors in the logs (ie. upload errors). Then retry.", 100),
            "Look for errors in the logs (ie. upload errors)."
        );
        assert!(introduces_output("This will return something like:"));
    }

    /// The char-by-char conversion `plain_text` replaced: the byte version must agree with it
    /// on every input (the graphs must not change).
    fn plain_text_by_chars(md: &str) -> String {
        let mut out = String::with_capacity(md.len());
        let mut chars = md.chars().peekable();
        let mut space = false;
        fn push(out: &mut String, space: &mut bool, c: char) {
            if c.is_whitespace() {
                *space = !out.is_empty();
            } else {
                if *space {
                    out.push(' ');
                    *space = false;
                }
                out.push(c);
            }
        }
        while let Some(c) = chars.next() {
            match c {
                '*' | '`' => {}
                '_' if out.is_empty() || space || chars.peek().is_none_or(|n| n.is_whitespace() || n.is_ascii_punctuation()) => {}
                ']' if chars.peek() == Some(&'(') => {
                    let mut depth = 0;
                    for n in chars.by_ref() {
                        match n {
                            '(' => depth += 1,
                            ')' => {
                                depth -= 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            _ => {}
                        }
                    }
                }
                '[' if {
                    let rest = chars.clone().take_while(|&c| c != '\n' && c != '[').collect::<String>();
                    rest.contains("](")
                } => {}
                '<' if {
                    let mut peek = chars.clone();
                    matches!((peek.next(), peek.next(), peek.next()), (Some('b' | 'B'), Some('r' | 'R'), Some('>' | ' ' | '/')))
                } =>
                {
                    for n in chars.by_ref() {
                        if n == '>' {
                            break;
                        }
                    }
                    push(&mut out, &mut space, ' ');
                }
                _ => push(&mut out, &mut space, c),
            }
        }
        if out.starts_with("- ") {
            out.drain(..2);
        }
        out
    }

    #[test]
    fn plain_text_agrees_with_the_char_by_char_conversion() {
        const PIECES: &[&str] = &[
            "*", "`", "_", "[", "]", "(", ")", "<", ">", "br", "Br>", "<br />", "](", " ", "\n", "\t", "\u{b}", "\u{a0}", "\u{2003}", "a",
            "x_y", "- ", "é", "游댮", "🔴", ".", ":", "-", "/", "r", "b", "\r\n",
        ];
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            let mut md = String::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            for k in 0..(seed % 24) {
                let r = seed.rotate_left((k * 5) as u32) ^ (k * 0x2545_F491);
                md.push_str(PIECES[(r % PIECES.len() as u64) as usize]);
            }
            let whole = plain_text_by_chars(&md);
            assert_eq!(plain_text(&md), whole, "{md:?}");
            // `instructs` splits words on ASCII spaces only.
            assert!(!whole.chars().any(|c| c.is_whitespace() && c != ' '), "{md:?}");
            for len in [0, 1, 2, 3, 5, 8] {
                let head = plain_head(&md, len);
                assert!(whole.starts_with(&head) && (head.len() >= len || head == whole), "{md:?} {len}: {head:?}");
            }
        }
    }
}
