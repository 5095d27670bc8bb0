//! Every symptom pattern of a knowledge base in one `RegexSet`, so that each saved output or
//! log line is scanned once for all of them instead of once per pattern, behind a literal
//! prefilter: almost every line of a training log matches no pattern, and the literals every
//! match must start with rule most of them out at memchr speed.

use super::Advisory;
use aho_corasick::AhoCorasick;
use regex::RegexSet;
use regex_syntax::hir::literal::{ExtractKind, Extractor};

/// Which symptoms (advisory index, symptom index) can match a line.
#[derive(Clone, Debug)]
pub struct SymptomIndex {
    owners: Vec<(usize, usize)>,
    /// `None` when the combined set cannot be built (a size limit); each pattern is then tried
    /// on its own.
    set: Option<RegexSet>,
    /// Every literal some match must start (or end) with; a line with none of them can only
    /// match the `unfiltered` patterns, which have no such literals.
    prefilter: Option<AhoCorasick>,
    unfiltered: Vec<usize>,
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
        let (literals, unfiltered) = required_literals(&sources);
        let prefilter = AhoCorasick::new(literals).ok();
        SymptomIndex {
            owners,
            set,
            prefilter,
            unfiltered,
        }
    }

    /// The symptoms whose pattern matches `line`, in knowledge-base order.
    pub fn matches(&self, advisories: &[Advisory], line: &str) -> Vec<(usize, usize)> {
        if self.prefilter.as_ref().is_some_and(|p| !p.is_match(line)) {
            return self
                .unfiltered
                .iter()
                .map(|&i| self.owners[i])
                .filter(|&(a, s)| advisories[a].symptoms[s].pattern.is_match(line))
                .collect();
        }
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

/// The literals one of which every match of a pattern starts (or, failing that, ends) with,
/// for all patterns that have a finite set of them of at least three bytes; and the indexes of
/// the patterns that have none, which a line is always tried against.
fn required_literals(sources: &[&str]) -> (Vec<Vec<u8>>, Vec<usize>) {
    let mut literals = Vec::new();
    let mut unfiltered = Vec::new();
    for (index, source) in sources.iter().enumerate() {
        let Ok(hir) = regex_syntax::Parser::new().parse(source) else {
            unfiltered.push(index);
            continue;
        };
        let usable = [ExtractKind::Prefix, ExtractKind::Suffix]
            .into_iter()
            .find_map(|kind| {
                let mut seq = Extractor::new().kind(kind).extract(&hir);
                seq.optimize_for_prefix_by_preference();
                let found = seq.literals()?;
                let usable = !found.is_empty() && found.iter().all(|l| l.len() >= 3);
                usable.then(|| {
                    found
                        .iter()
                        .map(|l| l.as_bytes().to_vec())
                        .collect::<Vec<_>>()
                })
            });
        match usable {
            Some(found) => literals.extend(found),
            None => unfiltered.push(index),
        }
    }
    (literals, unfiltered)
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
        assert!(index.prefilter.is_some());
        assert!(
            index.unfiltered.len() <= 2,
            "most embedded patterns have literals for the prefilter"
        );
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
        assert!(index
            .matches(&kb.advisories, "{'loss': 1.2, 'epoch': 0.5}")
            .is_empty());
    }

    #[test]
    fn patterns_without_literals_are_tried_on_every_line() {
        let (literals, unfiltered) =
            required_literals(&["^Unsloth (?P<v>\\d+)", "\\d+ layers", "^\\s*\\w+ \\(\\w\\)"]);
        assert_eq!(literals, vec![b"Unsloth ".to_vec(), b" layers".to_vec()]);
        assert_eq!(unfiltered, vec![2]);
    }

    #[test]
    fn a_line_without_literals_still_meets_the_unfiltered_patterns() {
        let kb = KnowledgeBase::embedded();
        let index = SymptomIndex::new(&kb.advisories);
        let line = "   PyTorch 2.4.0+cu121 with CUDA 1201 (you have 2.5.1+cu124)";
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
