//! A shell tokenizer that is good enough for install lines: words, quotes, backslash
//! continuations, `#` comments, and the separators `&&`, `||`, `;`, `|`.

use crate::text::TextRange;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// The word with quotes removed.
    pub value: String,
    /// The word as written, quotes included.
    pub range: TextRange,
    pub quoted: bool,
    pub separator: bool,
}

impl Token {
    pub fn is_separator(&self) -> bool {
        self.separator
    }
}

/// Splits `text[range]` into words. A leading `!` or `%` (IPython) is skipped.
pub fn tokenize(text: &str, range: TextRange) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut i = range.start;
    let end = range.end.min(text.len());
    while i < end && (bytes[i] == b'!' || bytes[i] == b'%') {
        i += 1;
    }
    let mut tokens = Vec::new();
    while i < end {
        let b = bytes[i];
        if b == b'\\' && matches!(bytes.get(i + 1), Some(b'\n') | Some(b'\r')) {
            i += 2;
            continue;
        }
        if b.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if b == b'#' {
            while i < end && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if b == b';' || b == b'&' || b == b'|' {
            let len = if i + 1 < end
                && (bytes[i + 1] == b'&' || bytes[i + 1] == b'|')
                && bytes[i + 1] == b
            {
                2
            } else {
                1
            };
            if b == b'&' && len == 1 {
                // A lone `&` (background) or part of `&>`: treat as a separator either way.
            }
            tokens.push(Token {
                value: text[i..i + len].to_string(),
                range: TextRange::new(i, i + len),
                quoted: false,
                separator: true,
            });
            i += len;
            continue;
        }
        let start = i;
        let mut value = String::new();
        let mut quoted = false;
        while i < end {
            let c = bytes[i];
            if c.is_ascii_whitespace()
                || c == b';'
                || c == b'|'
                || (c == b'&' && !value.ends_with('>'))
            {
                break;
            }
            if c == b'\\' && matches!(bytes.get(i + 1), Some(b'\n') | Some(b'\r')) {
                break;
            }
            // An unquoted `>` or `<` starts a redirection, also inside a word: the shell runs
            // `pip install transformers>=4.51.3` as `pip install transformers` with its output
            // written to a file named `=4.51.3`. The word ends here and the redirection is a
            // token of its own (a file descriptor before it, `2>`, belongs to it).
            if (c == b'>' || c == b'<')
                && !value.is_empty()
                && !value.bytes().all(|b| b.is_ascii_digit())
                && value != "&"
                && !value.starts_with(['>', '<'])
            {
                break;
            }
            if c == b'"' || c == b'\'' {
                quoted = true;
                let close = text[i + 1..end].find(c as char).map_or(end, |p| i + 1 + p);
                value.push_str(&text[i + 1..close]);
                i = (close + 1).min(end);
                continue;
            }
            // Push the whole UTF-8 character.
            let ch_len = text[i..].chars().next().map_or(1, char::len_utf8);
            value.push_str(&text[i..i + ch_len]);
            i += ch_len;
        }
        tokens.push(Token {
            value,
            range: TextRange::new(start, i),
            quoted,
            separator: false,
        });
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_separators_and_continuations() {
        let text = "!pip install \"peft<0.12\" 'trl' \\\n  x && pip uninstall -y y; z # c";
        let toks = tokenize(text, TextRange::new(0, text.len()));
        let values: Vec<_> = toks.iter().map(|t| t.value.as_str()).collect();
        assert_eq!(
            values,
            [
                "pip",
                "install",
                "peft<0.12",
                "trl",
                "x",
                "&&",
                "pip",
                "uninstall",
                "-y",
                "y",
                ";",
                "z"
            ]
        );
        assert_eq!(toks[2].range.slice(text), "\"peft<0.12\"");
        assert!(toks[2].quoted);
    }

    #[test]
    fn an_unquoted_comparison_is_a_redirection() {
        let text = "!pip install transformers>=4.51.3 \"peft<0.12\" trl 2>&1 >/dev/null";
        let toks = tokenize(text, TextRange::new(0, text.len()));
        let values: Vec<_> = toks.iter().map(|t| t.value.as_str()).collect();
        assert_eq!(
            values,
            [
                "pip",
                "install",
                "transformers",
                ">=4.51.3",
                "peft<0.12",
                "trl",
                "2>&1",
                ">/dev/null"
            ]
        );
    }
}
