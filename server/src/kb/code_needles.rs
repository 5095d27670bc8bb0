//! The words that decide which Python statements a check must parse.
//!
//! An advisory can only match code that imports something, loads a model, or calls one of its
//! call patterns, and each of those names a known identifier: `import`, `from_pretrained`, the
//! last segment of a call pattern (`generate` for `*.generate`, `Trainer` at the end of an
//! identifier for `trl.*Trainer`). A statement whose only mention of these words is inside a
//! string, a comment or a longer identifier (`generated_text`) holds no fact a check reads, so
//! it is not parsed. One Aho-Corasick automaton finds every word in one pass; the much rarer
//! statements with a candidate are then lexed to tell code from strings and comments.

use crate::source::strings_and_comments;
use crate::text::TextRange;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// A word that code an advisory can match must contain, and where it must sit in an
/// identifier.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Needle {
    pub text: String,
    /// The word begins an identifier (nothing from a `*` can come before it).
    pub starts_identifier: bool,
    /// The word ends an identifier.
    pub ends_identifier: bool,
}

impl Needle {
    /// A whole identifier or keyword, such as `import` or a local alias.
    pub fn identifier(text: &str) -> Needle {
        Needle {
            text: text.to_string(),
            starts_identifier: true,
            ends_identifier: true,
        }
    }

    /// The longest literal piece of a call pattern's last segment (`Trainer` of `*Trainer`),
    /// or `None` for a segment that is only wildcards.
    pub fn from_call_segment(segment: &str) -> Option<Needle> {
        let pieces: Vec<&str> = segment.split('*').collect();
        let (index, longest) = pieces
            .iter()
            .enumerate()
            .max_by_key(|(i, p)| (p.len(), std::cmp::Reverse(*i)))?;
        if longest.is_empty() {
            return None;
        }
        Some(Needle {
            text: longest.to_string(),
            starts_identifier: index == 0,
            ends_identifier: index == pieces.len() - 1,
        })
    }

    /// Whether the occurrence of this word at `at` in `text` sits where the needle wants it
    /// in its identifier.
    fn fits(&self, text: &[u8], at: usize) -> bool {
        let end = at + self.text.len();
        (!self.starts_identifier || at == 0 || !is_identifier_byte(text[at - 1]))
            && (!self.ends_identifier || text.get(end).is_none_or(|&b| !is_identifier_byte(b)))
    }

    /// Whether `identifier` (a whole name, as bound by an import) contains this word where
    /// the needle wants it.
    pub fn matches_identifier(&self, identifier: &str) -> bool {
        identifier
            .match_indices(self.text.as_str())
            .any(|(at, _)| self.fits(identifier.as_bytes(), at))
    }
}

/// Python identifiers are ASCII letters, digits and `_`, or any non-ASCII character.
fn is_identifier_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// A set of needles and the automaton that finds them.
#[derive(Clone, Debug)]
pub struct CodeNeedles {
    needles: Vec<Needle>,
    /// Finds the longest needle at the leftmost place, which lets it skip ahead with a
    /// prefilter; an overlapping search could not.
    automaton: Option<AhoCorasick>,
    /// For each needle, the other needles it starts with: found at the same place, they are
    /// hidden behind the longer one.
    prefixes: Vec<Vec<usize>>,
    /// Modules a call pattern matches every member of (`trl.commands.cli_utils` for
    /// `trl.commands.cli_utils.*`): any name imported from one of them is called under a name
    /// no needle contains, so the names such imports bind are looked for as well.
    wildcard_modules: Vec<String>,
}

impl CodeNeedles {
    pub fn new(mut needles: Vec<Needle>) -> CodeNeedles {
        needles.sort();
        needles.dedup();
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(needles.iter().map(|n| n.text.as_str()))
            .ok();
        let prefixes = needles
            .iter()
            .enumerate()
            .map(|(i, long)| {
                (0..needles.len())
                    .filter(|&j| j != i && long.text.starts_with(needles[j].text.as_str()))
                    .collect()
            })
            .collect();
        CodeNeedles {
            needles,
            automaton,
            prefixes,
            wildcard_modules: Vec::new(),
        }
    }

    /// The same needles, with modules whose every member a call pattern matches.
    pub fn with_wildcard_modules(mut self, mut modules: Vec<String>) -> CodeNeedles {
        modules.sort();
        modules.dedup();
        self.wildcard_modules = modules;
        self
    }

    /// Whether a pattern matches every member of `module` (a `*` stays within one segment,
    /// so members of its submodules are not included).
    pub fn matches_every_member_of(&self, module: &str) -> bool {
        self.wildcard_modules.iter().any(|m| m == module)
    }

    pub fn needles(&self) -> &[Needle] {
        &self.needles
    }

    /// Which of the needles `text` names in code (outside strings, other than f-strings, and
    /// comments), at the right place in an identifier: a set of indices into
    /// [`CodeNeedles::needles`].
    pub fn named_in_code(&self, text: &str) -> Vec<usize> {
        let bytes = text.as_bytes();
        let mut candidates: Vec<(usize, usize)> = match &self.automaton {
            Some(automaton) => {
                // Every place where some needle starts, each needle that starts there: the
                // search restarts one byte after each match, so that a needle overlapping
                // another is found as well.
                let mut found = Vec::new();
                let mut from = 0;
                while let Some(m) = automaton.find(aho_corasick::Input::new(text).range(from..)) {
                    let at = m.start();
                    let longest = m.pattern().as_usize();
                    for n in std::iter::once(longest).chain(self.prefixes[longest].iter().copied())
                    {
                        if self.needles[n].fits(bytes, at) {
                            found.push((n, at));
                        }
                    }
                    from = at + 1;
                }
                found
            }
            // Without an automaton (too many needles to build one), every occurrence counts.
            None => self
                .needles
                .iter()
                .enumerate()
                .flat_map(|(n, needle)| {
                    text.match_indices(needle.text.as_str())
                        .map(move |(at, _)| (n, at))
                })
                .filter(|&(n, at)| self.needles[n].fits(bytes, at))
                .collect(),
        };
        if candidates.is_empty() {
            return Vec::new();
        }
        let outside_code = strings_and_comments(text);
        candidates.retain(|&(_, at)| !inside_any(&outside_code, at));
        let mut named: Vec<usize> = candidates.into_iter().map(|(n, _)| n).collect();
        named.sort_unstable();
        named.dedup();
        named
    }
}

/// Whether `at` lies in one of `ranges` (sorted, not overlapping).
fn inside_any(ranges: &[TextRange], at: usize) -> bool {
    let after = ranges.partition_point(|r| r.start <= at);
    after > 0 && at < ranges[after - 1].end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(needles: &[Needle], text: &str) -> Vec<String> {
        let set = CodeNeedles::new(needles.to_vec());
        set.named_in_code(text)
            .into_iter()
            .map(|i| set.needles()[i].text.clone())
            .collect()
    }

    #[test]
    fn a_call_segment_gives_its_longest_piece_and_where_it_sits() {
        let trainer = Needle::from_call_segment("*Trainer").unwrap();
        assert_eq!(
            (
                trainer.text.as_str(),
                trainer.starts_identifier,
                trainer.ends_identifier
            ),
            ("Trainer", false, true)
        );
        let push = Needle::from_call_segment("push_to_hub*").unwrap();
        assert!(push.starts_identifier && !push.ends_identifier);
        assert_eq!(Needle::from_call_segment("*"), None);
        assert_eq!(
            Needle::from_call_segment("generate"),
            Some(Needle::identifier("generate"))
        );
    }

    #[test]
    fn only_words_in_code_and_in_place_count() {
        let needles = [
            Needle::identifier("generate"),
            Needle::from_call_segment("*Trainer").unwrap(),
        ];
        assert_eq!(named(&needles, "out = model.generate(x)\n"), ["generate"]);
        assert!(named(&needles, "generated_text = decode(ids)\n").is_empty());
        assert!(named(&needles, "print(\"we generate text\")  # generate\n").is_empty());
        assert!(named(&needles, "doc = '''\nTrainer(\n'''\n").is_empty());
        assert_eq!(named(&needles, "t = SFTTrainer(model)\n"), ["Trainer"]);
        assert!(named(&needles, "t = TrainerCallback()\n").is_empty());
        // An f-string holds expressions: its words count.
        assert_eq!(
            named(&needles, "s = f\"{model.generate(x)}\"\n"),
            ["generate"]
        );
    }

    #[test]
    fn needles_inside_or_overlapping_other_needles_are_found() {
        let needles = [
            Needle::identifier("generate"),
            Needle::from_call_segment("generate*").unwrap(),
            Needle::identifier("SFTTrainer"),
            Needle::from_call_segment("*Trainer").unwrap(),
        ];
        // `generate*` hides behind the longer match at the same place; `Trainer` inside
        // `MySFTTrainer`, where `SFTTrainer` does not start an identifier.
        assert_eq!(named(&needles, "x = generate_all()\n"), ["generate"]);
        assert_eq!(named(&needles, "t = MySFTTrainer()\n"), ["Trainer"]);
        assert_eq!(
            named(&needles, "t = SFTTrainer()\n"),
            ["SFTTrainer", "Trainer"]
        );
    }

    #[test]
    fn an_identifier_matches_where_the_needle_sits() {
        let trainer = Needle::from_call_segment("*Trainer").unwrap();
        assert!(trainer.matches_identifier("SFTTrainer"));
        assert!(!trainer.matches_identifier("TrainerCallback"));
    }
}
