//! Finds which symptom patterns can match an output line without trying every pattern on
//! every line. Almost every line of a training log matches none; each pattern's required
//! literals (the text every match starts or ends with) go into one Aho-Corasick automaton, a
//! line is scanned once for all of them, and only the patterns whose literal it contains are
//! run. A pattern's regex is compiled only when a line first contains its literal, so a run
//! pays for the few patterns its outputs can match.

use super::Advisory;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::{Hir, HirKind};

/// Which symptoms (advisory index, symptom index) can match a line.
#[derive(Clone, Debug)]
pub struct SymptomIndex {
    /// Distinct for every index built in this process, so that what one index found is never
    /// taken for what another would (see [`SymptomIndex::id`]).
    id: u64,
    owners: Vec<(usize, usize)>,
    /// All required literals; literal `i` belongs to pattern `literal_owner[i]`.
    literals: Option<AhoCorasick>,
    literal_owner: Vec<usize>,
    /// Patterns without usable literals, tried on every line.
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
        let (literals, mut unfiltered) = required_literals(&sources);
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build(literals.iter().map(|(l, _)| l))
            .ok();
        if automaton.is_none() {
            // Too many literals for the automaton: every pattern is tried on every line.
            unfiltered = (0..owners.len()).collect();
        }
        static BUILT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        SymptomIndex {
            id: BUILT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            owners,
            literals: automaton,
            literal_owner: literals.iter().map(|&(_, owner)| owner).collect(),
            unfiltered,
        }
    }

    /// This index's id: two indexes of the same process never share one, so a memo of what an
    /// index found, kept by its id, is not read with another knowledge base's advisories.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Whether any symptom can match some line of `text`: false when `text` holds none of the
    /// required literals and every pattern has them.
    pub fn may_match(&self, text: &str) -> bool {
        !self.unfiltered.is_empty() || self.literals.as_ref().is_none_or(|a| a.is_match(text))
    }

    /// The symptoms whose pattern matches `line`, in knowledge-base order.
    pub fn matches(&self, advisories: &[Advisory], line: &str) -> Vec<(usize, usize)> {
        let mut candidates: Vec<usize> = self.unfiltered.clone();
        if let Some(automaton) = &self.literals {
            candidates.extend(
                automaton
                    .find_overlapping_iter(line)
                    .map(|m| self.literal_owner[m.pattern().as_usize()]),
            );
            candidates.sort_unstable();
            candidates.dedup();
        }
        candidates
            .into_iter()
            .map(|i| self.owners[i])
            .filter(|&(a, s)| advisories[a].symptoms[s].pattern.is_match(line))
            .collect()
    }
}

/// The literals one of which every match of a pattern starts (or, failing that, ends) with,
/// for all patterns that have a finite set of them of at least three bytes; and the indexes of
/// the patterns that have none, which a line is always tried against.
fn required_literals(sources: &[&str]) -> (Vec<(Vec<u8>, usize)>, Vec<usize>) {
    let mut literals = Vec::new();
    let mut unfiltered = Vec::new();
    for (index, source) in sources.iter().enumerate() {
        match pattern_literals(source) {
            Some(found) => literals.extend(found.into_iter().map(|l| (l, index))),
            None => unfiltered.push(index),
        }
    }
    (literals, unfiltered)
}

/// The literals one of which every match of `pattern` contains (at least three bytes each), or
/// None when it has no such finite set. Exported by `tunelint advisories --format json` so
/// that a pre-filter elsewhere (the kernel extension's) skips exactly the text this index skips.
pub fn pattern_literals(pattern: &str) -> Option<Vec<Vec<u8>>> {
    let hir = regex_syntax::Parser::new().parse(pattern).ok()?;
    // Every match of a pattern starts with one of its prefix literals and ends with one of
    // its suffix literals; and every match of a concatenation holds a match of each part,
    // so a part's prefix literals will do too (`^\s*PyTorch (?P<v>\S+)` has no usable
    // prefix, but its part `PyTorch ` is a literal).
    let parts: &[Hir] = match hir.kind() {
        HirKind::Concat(parts) => parts,
        _ => &[],
    };
    let found = [(ExtractKind::Prefix, &hir), (ExtractKind::Suffix, &hir)]
        .into_iter()
        .chain(parts.iter().map(|part| (ExtractKind::Prefix, part)))
        .find_map(|(kind, hir)| {
            let mut seq = Extractor::new().kind(kind).extract(hir);
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
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::KnowledgeBase;

    /// What trying every pattern on `line` finds, without the index's literals.
    fn each_pattern_on_its_own(
        index: &SymptomIndex,
        kb: &KnowledgeBase,
        line: &str,
    ) -> Vec<(usize, usize)> {
        index
            .owners
            .iter()
            .copied()
            .filter(|&(a, s)| kb.advisories[a].symptoms[s].pattern.is_match(line))
            .collect()
    }

    #[test]
    fn the_set_finds_what_each_pattern_finds() {
        let kb = KnowledgeBase::embedded();
        let index = SymptomIndex::new(&kb.advisories);
        assert!(index.literals.is_some());
        assert!(
            index.unfiltered.is_empty(),
            "every embedded pattern has literals for the prefilter"
        );
        let line =
            "Unsloth 2024.7 patched 42 layers with 0 QKV layers, 0 O layers and 0 MLP layers.";
        let one_by_one = each_pattern_on_its_own(&index, &kb, line);
        assert!(!one_by_one.is_empty());
        assert_eq!(index.matches(&kb.advisories, line), one_by_one);
        assert!(index
            .matches(&kb.advisories, "{'loss': 1.2, 'epoch': 0.5}")
            .is_empty());
        assert!(index.may_match(&format!("step 1\n{line}\n")));
        assert!(!index.may_match("step 1\n{'loss': 1.2, 'epoch': 0.5}\n"));
    }

    #[test]
    fn patterns_without_literals_are_tried_on_every_line() {
        let (literals, unfiltered) = required_literals(&[
            "^Unsloth (?P<v>\\d+)",
            "\\d+ layers",
            "^\\s*\\w+ \\(\\w\\)",
            "^\\s*PyTorch (?P<v>\\S+)",
        ]);
        assert_eq!(
            literals,
            vec![
                (b"Unsloth ".to_vec(), 0),
                (b" layers".to_vec(), 1),
                (b"PyTorch ".to_vec(), 3)
            ]
        );
        assert_eq!(unfiltered, vec![2]);
    }

    #[test]
    fn a_line_without_literals_still_meets_the_unfiltered_patterns() {
        let kb = KnowledgeBase::embedded();
        let index = SymptomIndex::new(&kb.advisories);
        let line = "   PyTorch 2.4.0+cu121 with CUDA 1201 (you have 2.5.1+cu124)";
        let one_by_one = each_pattern_on_its_own(&index, &kb, line);
        assert!(!one_by_one.is_empty());
        assert_eq!(index.matches(&kb.advisories, line), one_by_one);
    }
}
