//! What the rules read from the same prose again and again, computed once per compile.
//!
//! The rules ask about a paragraph or a list item many times (its plain text, whether a
//! sentence instructs, …) and each asks with a slice of the runbook's text. While a compile
//! runs, [`scope`] records where that text lives; an answer about a slice of it is kept under
//! the slice's byte range, which names the same bytes for as long as the text is borrowed.
//! Anything else (a lowercased copy, a joined title) is computed every time. The call sites
//! stay as they are.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The answers kept for one compile, by (offset, length) in its text.
#[derive(Default)]
struct Memo {
    /// Where the text of the compile running on this thread lives (start, length); `len == 0`
    /// when none.
    base: usize,
    len: usize,
    depth: usize,
    /// Text answers (plain text, titles) by question and range.
    text: HashMap<(Question, usize, usize), String, BuildHasherDefault<RangeHasher>>,
    /// Yes/no answers (does this sentence instruct?) by question and range.
    flag: HashMap<(Question, usize, usize), bool, BuildHasherDefault<RangeHasher>>,
}

/// What is asked about a slice.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Question {
    PlainText,
    TitleOf,
    Instructs,
    IsInstruction,
    IntroducesOutput,
}

thread_local! {
    static MEMO: RefCell<Memo> = RefCell::new(Memo::default());
}

/// Keeps answers about slices of `text` until it is dropped ([`crate::compile`] opens one; so
/// does anything that runs the stages itself, like the benchmark). Nested scopes (a compile inside
/// a compile) keep the outer text's answers: the inner one's slices are looked up only if they
/// lie inside the outer text, where their range still names the same bytes.
pub struct Scope {
    _not_send: std::marker::PhantomData<*const ()>,
}

pub fn scope(text: &str) -> Scope {
    MEMO.with_borrow_mut(|m| {
        if m.depth == 0 {
            m.base = text.as_ptr() as usize;
            m.len = text.len();
        }
        m.depth += 1;
    });
    Scope { _not_send: std::marker::PhantomData }
}

impl Drop for Scope {
    fn drop(&mut self) {
        MEMO.with_borrow_mut(|m| {
            m.depth -= 1;
            if m.depth == 0 {
                m.base = 0;
                m.len = 0;
                m.text.clear();
                m.flag.clear();
            }
        });
    }
}

/// The byte range of `s` in the scope's text, when it is a slice of it.
fn range(m: &Memo, s: &str) -> Option<(usize, usize)> {
    let at = (s.as_ptr() as usize).checked_sub(m.base)?;
    (m.len > 0 && at + s.len() <= m.len).then_some((at, s.len()))
}

/// A text answer about `s`, computed once per compile.
pub(super) fn text(question: Question, s: &str, compute: impl FnOnce(&str) -> String) -> String {
    let key = MEMO.with_borrow(|m| range(m, s).map(|(at, len)| ((question, at, len), m.text.get(&(question, at, len)).cloned())));
    match key {
        Some((_, Some(hit))) => hit,
        Some((k, None)) => {
            let answer = compute(s);
            MEMO.with_borrow_mut(|m| m.text.insert(k, answer.clone()));
            answer
        }
        None => compute(s),
    }
}

/// A yes/no answer about `s`, computed once per compile.
pub(super) fn flag(question: Question, s: &str, compute: impl FnOnce(&str) -> bool) -> bool {
    let key = MEMO.with_borrow(|m| range(m, s).map(|(at, len)| ((question, at, len), m.flag.get(&(question, at, len)).copied())));
    match key {
        Some((_, Some(hit))) => hit,
        Some((k, None)) => {
            let answer = compute(s);
            MEMO.with_borrow_mut(|m| m.flag.insert(k, answer));
            answer
        }
        None => compute(s),
    }
}

/// A byte range's hash: two multiplications (FxHash's), not SipHash's rounds; the keys are
/// offsets into one text, nobody's chosen input to collide.
#[derive(Default)]
struct RangeHasher(u64);

impl Hasher for RangeHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }

    fn write_isize(&mut self, n: isize) {
        self.write_u64(n as u64);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_about_the_texts_slices_are_kept_others_are_not() {
        let source = String::from("Check **the** logs. Then restart it.");
        let calls = std::cell::Cell::new(0);
        let convert = |s: &str| {
            calls.set(calls.get() + 1);
            super::super::plain_text(s)
        };
        {
            let _scope = scope(&source);
            assert_eq!(text(Question::PlainText, &source[..19], convert), "Check the logs.");
            assert_eq!(text(Question::PlainText, &source[..19], convert), "Check the logs.");
            assert_eq!(calls.get(), 1);
            // Another range of the same text is another answer.
            assert_eq!(text(Question::PlainText, &source[20..], convert), "Then restart it.");
            assert_eq!(calls.get(), 2);
            // A copy is not the text: converted each time.
            let copy = source[..19].to_owned();
            text(Question::PlainText, &copy, convert);
            text(Question::PlainText, &copy, convert);
            assert_eq!(calls.get(), 4);
        }
        // Out of the scope nothing is kept.
        text(Question::PlainText, &source[..19], convert);
        text(Question::PlainText, &source[..19], convert);
        assert_eq!(calls.get(), 6);
        MEMO.with_borrow(|m| assert!(m.text.is_empty() && m.len == 0));
    }
}
