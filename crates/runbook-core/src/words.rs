//! Word lists looked up many times per runbook, as hash sets built once.

use std::collections::HashSet;
use std::sync::LazyLock;

/// A fixed set of words with O(1) membership.
pub struct WordSet(LazyLock<HashSet<&'static str>>);

impl WordSet {
    pub const fn new(init: fn() -> HashSet<&'static str>) -> Self {
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
