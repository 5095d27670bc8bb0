//! Regular expressions from advisory files, checked when an advisory is loaded but compiled
//! on first use, so that starting tunelint does not pay for patterns a run never needs.

use regex::Regex;
use std::sync::OnceLock;

#[derive(Clone, Debug)]
pub struct Pattern {
    source: String,
    compiled: OnceLock<Regex>,
}

impl Pattern {
    /// Checks the syntax now; compiles later.
    pub fn new(source: &str) -> Result<Pattern, String> {
        regex_syntax::ast::parse::Parser::new()
            .parse(source)
            .map_err(|e| e.to_string())?;
        Ok(Pattern {
            source: source.to_string(),
            compiled: OnceLock::new(),
        })
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

    pub fn regex(&self) -> &Regex {
        self.compiled.get_or_init(|| {
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

    pub fn is_match(&self, text: &str) -> bool {
        self.regex().is_match(text)
    }
}
