//! Every symptom pattern of a knowledge base in one `RegexSet`, so that each saved output or
//! log line is scanned once for all of them instead of once per pattern.

use super::Advisory;
use regex::RegexSet;

/// Which symptoms (advisory index, symptom index) can match a line.
#[derive(Clone, Debug)]
pub struct SymptomIndex {
    owners: Vec<(usize, usize)>,
    /// `None` when the combined set cannot be built (a size limit); each pattern is then tried
    /// on its own.
    set: Option<RegexSet>,
}

impl SymptomIndex {
    pub fn new(advisories: &[Advisory]) -> SymptomIndex {
        let mut owners = Vec::new();
        let mut sources = Vec::new();
        for (a, advisory) in advisories.iter().enumerate() {
            for (s, symptom) in advisory.symptoms.iter().enumerate() {
                owners.push((a, s));
                sources.push(symptom.pattern.as_str());
            }
        }
        let set = RegexSet::new(&sources).ok();
        SymptomIndex { owners, set }
    }

    /// The symptoms whose pattern matches `line`, in knowledge-base order.
    pub fn matches(&self, advisories: &[Advisory], line: &str) -> Vec<(usize, usize)> {
        match &self.set {
            Some(set) => set
                .matches(line)
                .into_iter()
                .map(|i| self.owners[i])
                .collect(),
            None => self
                .owners
                .iter()
                .copied()
                .filter(|&(a, s)| advisories[a].symptoms[s].pattern.is_match(line))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::KnowledgeBase;

    #[test]
    fn the_set_finds_what_each_pattern_finds() {
        let kb = KnowledgeBase::embedded();
        let index = SymptomIndex::new(&kb.advisories);
        assert!(index.set.is_some(), "the embedded patterns fit in one set");
        let line =
            "Unsloth 2024.7 patched 42 layers with 0 QKV layers, 0 O layers and 0 MLP layers.";
        let one_by_one: Vec<_> = index
            .owners
            .iter()
            .copied()
            .filter(|&(a, s)| kb.advisories[a].symptoms[s].pattern.is_match(line))
            .collect();
        assert!(!one_by_one.is_empty());
        assert_eq!(index.matches(&kb.advisories, line), one_by_one);
    }
}
