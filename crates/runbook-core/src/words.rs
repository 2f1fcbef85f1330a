//! Word lists looked up many times per runbook, as hash sets built once.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

/// FNV-1a: the sets hold a few hundred short, trusted words, so a simple hash beats SipHash.
#[derive(Default)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }
}

pub type FastSet = HashSet<&'static str, BuildHasherDefault<Fnv>>;

/// A fixed set of words with O(1) membership.
pub struct WordSet(LazyLock<FastSet>);

impl WordSet {
    pub const fn new(init: fn() -> FastSet) -> Self {
        WordSet(LazyLock::new(init))
    }

    pub fn contains(&self, word: &str) -> bool {
        self.0.contains(word)
    }
}

/// Declares a `WordSet` static from a list of words.
#[macro_export]
macro_rules! word_set {
    ($(#[$meta:meta])* $vis:vis $name:ident = [$($w:literal),* $(,)?]) => {
        $(#[$meta])*
        $vis static $name: $crate::words::WordSet = $crate::words::WordSet::new(|| [$($w),*].into_iter().collect());
    };
}
