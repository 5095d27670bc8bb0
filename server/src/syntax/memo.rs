//! Facts of Python texts already parsed in one run, so that a statement that appears in many
//! files is parsed once.
//!
//! Notebook collections repeat themselves: the same loader cell sits in a model's Colab,
//! Kaggle and AMD variants and in every saved revision of them (about 40% of the parsed text
//! of the test corpus is such a repeat). Facts depend on nothing but the text, with ranges
//! relative to its start, so a repeat takes a copy of the first parse's facts. The memo lives
//! as long as one `tunelint check`; the language server, which runs for hours, caches per cell
//! instead.

use super::{extract, PythonFacts};
use std::collections::HashMap;
use std::sync::Mutex;

/// Facts by the exact text they were extracted from.
#[derive(Debug, Default)]
pub struct FactsMemo {
    parsed: Mutex<HashMap<Box<str>, PythonFacts>>,
}

impl FactsMemo {
    /// The facts of `text`, from the memo or from a parse that the memo then keeps. The lock
    /// is not held while parsing: two threads that meet the same new text both parse it.
    pub fn facts_of(&self, text: &str) -> PythonFacts {
        if let Some(facts) = self.lock().get(text) {
            return facts.clone();
        }
        let facts = extract(text);
        self.lock()
            .entry(text.into())
            .or_insert_with(|| facts.clone());
        facts
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Box<str>, PythonFacts>> {
        // A panic elsewhere cannot leave the map half-written: every insert is one call.
        self.parsed.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_text_gives_the_facts_of_a_fresh_parse() {
        let memo = FactsMemo::default();
        let text = "import trl\nt = trl.SFTTrainer(model=m)\n";
        let first = memo.facts_of(text);
        let again = memo.facts_of(text);
        assert_eq!(first, extract(text));
        assert_eq!(again, first);
        assert_eq!(memo.lock().len(), 1);
    }
}
