//! Regular expressions from advisory files, checked when an advisory is loaded but compiled
//! on first use, so that starting tunelint does not pay for patterns a run never needs.
//!
//! A pattern is compiled twice over, each time on first need: once with Unicode classes for
//! text that has non-ASCII characters, and once with ASCII classes for text that has none. On
//! ASCII text the two match exactly the same (`\w`, `\d`, `\s`, `\b`, `.` and case-insensitive
//! letters differ only on non-ASCII characters), and the ASCII form compiles ten to fifty
//! times faster: the Unicode tables behind `\w` and `\S` are most of a pattern's compile time.
//! Error lines and model names are almost always ASCII, so most runs never build the Unicode
//! form.

use regex::Regex;
use std::sync::OnceLock;

#[derive(Clone, Debug)]
pub struct Pattern {
    source: String,
    unicode: OnceLock<Regex>,
    /// `None` when the pattern cannot be compiled without Unicode (it uses `\p{..}`, say).
    ascii: OnceLock<Option<regex::bytes::Regex>>,
}

/// Two patterns are the same pattern when their sources are: what is compiled from a source
/// does not make it another.
impl PartialEq for Pattern {
    fn eq(&self, other: &Pattern) -> bool {
        self.source == other.source
    }
}

impl Eq for Pattern {}

impl std::hash::Hash for Pattern {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.source.hash(state);
    }
}

impl Pattern {
    /// Keeps the source; the loader checks the syntax of a file it does not trust
    /// ([`Pattern::check`]), and the regex is compiled on first use.
    pub fn new(source: &str) -> Result<Pattern, String> {
        Ok(Pattern {
            source: source.to_string(),
            unicode: OnceLock::new(),
            ascii: OnceLock::new(),
        })
    }

    /// Checks the syntax, without compiling.
    pub fn check(&self) -> Result<(), String> {
        regex_syntax::ast::parse::Parser::new()
            .parse(&self.source)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The names of the pattern's named groups, from its text.
    pub fn group_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        for prefix in ["(?P<", "(?<"] {
            for (at, _) in self.source.match_indices(prefix) {
                let rest = &self.source[at + prefix.len()..];
                if let Some(end) = rest.find('>') {
                    names.push(rest[..end].to_string());
                }
            }
        }
        names
    }

    fn unicode(&self) -> &Regex {
        self.unicode.get_or_init(|| {
            Regex::new(&self.source).unwrap_or_else(|e| {
                // The syntax was checked on load; a pattern the compiler still rejects (too
                // large, say) matches nothing rather than stopping the run.
                eprintln!(
                    "tunelint: pattern `{}` cannot be compiled: {e}",
                    self.source
                );
                Regex::new(r"[^\s\S]").expect("an empty class compiles")
            })
        })
    }

    /// The ASCII form, for a text that is all ASCII.
    fn ascii_for(&self, text: &str) -> Option<&regex::bytes::Regex> {
        if !text.is_ascii() {
            return None;
        }
        self.ascii
            .get_or_init(|| {
                regex::bytes::RegexBuilder::new(&self.source)
                    .unicode(false)
                    .build()
                    .ok()
            })
            .as_ref()
    }

    pub fn is_match(&self, text: &str) -> bool {
        match self.ascii_for(text) {
            Some(ascii) => ascii.is_match(text.as_bytes()),
            None => self.unicode().is_match(text),
        }
    }

    /// The named groups of the first match in `text` that took part in it, or `None` when the
    /// pattern does not match.
    pub fn named_groups<'t>(&self, text: &'t str) -> Option<Vec<(&str, &'t str)>> {
        // Spans found on ASCII text fall on character boundaries.
        let slice = |range: std::ops::Range<usize>| &text[range];
        match self.ascii_for(text) {
            Some(ascii) => {
                let caps = ascii.captures(text.as_bytes())?;
                Some(
                    ascii
                        .capture_names()
                        .flatten()
                        .filter_map(|name| Some((name, slice(caps.name(name)?.range()))))
                        .collect(),
                )
            }
            None => {
                let regex = self.unicode();
                let caps = regex.captures(text)?;
                Some(
                    regex
                        .capture_names()
                        .flatten()
                        .filter_map(|name| Some((name, caps.name(name)?.as_str())))
                        .collect(),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_and_unicode_forms_agree_on_ascii_text() {
        let patterns = [
            r"(?i)gemma-?2-\d+b",
            r"^Unsloth (?P<unsloth>\d[\w.]*) patched (?P<layers>\d+) layers",
            r"torch==(?P<have>\S+) requires torchvision>=(?P<need>[\w.]+)",
            r"\bKeyError: '(?P<key>\w+)'\s*$",
            r"a.c",
        ];
        let texts = [
            "unsloth/Gemma-2-9b-it",
            "unsloth/gemma2-27B",
            "Unsloth 2024.7 patched 42 layers with 0 QKV layers",
            "Unsloth: torch==2.4.0+cu121 requires torchvision>=0.19.0, but found",
            "KeyError: 'gemma2' \t",
            "abc a\nc",
            "",
        ];
        for source in patterns {
            let pattern = Pattern::new(source).unwrap();
            let unicode = pattern.unicode();
            for text in texts {
                assert_eq!(
                    pattern.is_match(text),
                    unicode.is_match(text),
                    "{source} on {text:?}"
                );
                let expected = unicode.captures(text).map(|caps| {
                    unicode
                        .capture_names()
                        .flatten()
                        .filter_map(|n| Some((n, caps.name(n)?.as_str())))
                        .collect::<Vec<_>>()
                });
                assert_eq!(pattern.named_groups(text), expected, "{source} on {text:?}");
            }
        }
    }

    #[test]
    fn non_ascii_text_gets_unicode_classes() {
        let pattern = Pattern::new(r"^model (?P<name>\w+)$").unwrap();
        assert_eq!(
            pattern.named_groups("model größe"),
            Some(vec![("name", "größe")])
        );
        // A pattern that needs Unicode still works on ASCII text.
        let letters = Pattern::new(r"^\p{L}+$").unwrap();
        assert!(letters.is_match("abc"));
        assert!(letters.is_match("été"));
    }
}
