//! The hash chain every store keeps, on its own so that the journal files and the shared store
//! write and check the very same bytes: a line is the event's JSON with `seq`, `ts` and `prev`
//! (keys sorted), hashed, then with `hash` added.

use super::{Broken, GENESIS, Head, JournalEvent, Timestamp, sha256_hex};
use serde_json::Value;

/// One event made a chained line: its JSON text (without a newline) and its hash.
pub fn encode_line(event: &JournalEvent, seq: u64, ts: Timestamp, prev: &str) -> std::io::Result<(String, String)> {
    let Value::Object(mut obj) = serde_json::to_value(event)? else {
        return Err(std::io::Error::other("a journal event is a JSON object"));
    };
    obj.insert("seq".into(), seq.into());
    obj.insert("ts".into(), ts.to_string().into());
    obj.insert("prev".into(), prev.into());
    let body = serde_json::to_string(&Value::Object(obj.clone()))?;
    let hash = sha256_hex(body.as_bytes());
    obj.insert("hash".into(), hash.clone().into());
    Ok((serde_json::to_string(&Value::Object(obj))?, hash))
}

/// A chain that held: how many events, and each one's hash (`hashes[0]` is the genesis).
#[derive(Debug)]
pub struct Chain {
    pub events: usize,
    pub hashes: Vec<String>,
    /// The number of the last line looked at (blank ones included).
    pub last_line: usize,
}

/// Checks every line's hash, its link to the line before and its sequence number. Lines come
/// with the number a reader knows them by (a file's line, a row's `seq`).
pub fn check_chain<'a>(lines: impl IntoIterator<Item = (usize, &'a [u8])>) -> Result<Chain, Broken> {
    let mut prev = GENESIS.to_owned();
    let mut hashes = vec![GENESIS.to_owned()];
    let mut n = 0usize;
    let mut last_line = 0usize;
    for (lineno, line) in lines {
        last_line = lineno;
        if line.trim_ascii().is_empty() {
            continue;
        }
        let Ok(Value::Object(mut obj)) = serde_json::from_slice::<Value>(line) else {
            return Err(Broken { line: lineno, problem: "not a JSON object".into() });
        };
        let Some(Value::String(hash)) = obj.remove("hash") else {
            return Err(Broken { line: lineno, problem: "no hash".into() });
        };
        let body = serde_json::to_string(&Value::Object(obj.clone())).unwrap_or_default();
        if sha256_hex(body.as_bytes()) != hash {
            return Err(Broken { line: lineno, problem: "the event was changed after it was written".into() });
        }
        if obj.get("prev").and_then(Value::as_str) != Some(prev.as_str()) {
            return Err(Broken { line: lineno, problem: "the event before it was changed or removed".into() });
        }
        n += 1;
        if obj.get("seq").and_then(Value::as_u64) != Some(n as u64) {
            return Err(Broken {
                line: lineno,
                problem: format!("sequence number {} where {n} was expected", obj.get("seq").unwrap_or(&Value::Null)),
            });
        }
        hashes.push(hash.clone());
        prev = hash;
    }
    Ok(Chain { events: n, hashes, last_line })
}

/// Checks that the chain ends where its head says: not before it (a cut tail), not more than
/// one event after it (added by something else), on the very event it names. `Ok(true)`: the
/// head is one event behind (the writer died between the event and the head).
pub fn check_head(chain: &Chain, head: &Head, end: usize) -> Result<bool, Broken> {
    let last = chain.events as u64;
    if head.seq > last {
        let missing = if head.seq == last + 1 { format!("event {}", head.seq) } else { format!("events {}–{}", last + 1, head.seq) };
        return Err(Broken {
            line: end,
            problem: format!("the journal ends at event {last} but its head record says {}: {missing} cut from the end", head.seq),
        });
    }
    if last > head.seq + 1 {
        return Err(Broken {
            line: end,
            problem: format!(
                "the head record names event {} but the journal goes on to {last}: events were added by something else",
                head.seq
            ),
        });
    }
    let named = usize::try_from(head.seq).ok().and_then(|k| chain.hashes.get(k));
    if named != Some(&head.hash) {
        return Err(Broken { line: end, problem: format!("event {} is not the one the head record names: it was replaced", head.seq) });
    }
    Ok(last == head.seq + 1)
}
