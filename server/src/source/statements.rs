//! Top-level statements of a Python script, found with a lexer-sized scan and no parse.
//!
//! Most of a long training script is code no advisory looks at: data preparation, plotting,
//! helper functions. Splitting the script where one top-level statement ends and the next
//! begins lets the checks parse only the statements that mention something an advisory can
//! match, while every parsed piece is still complete Python. The scan knows enough of Python's
//! lexical rules to never split inside a string, a bracket, a continued line or a compound
//! statement (`else:`, `except:`, a decorated definition); when it is unsure it does not split.
//! The same rules find a text's strings and comments, where a word an advisory looks for is
//! not code.

use crate::text::TextRange;

/// Finds the top-level statements of `text`, in order. Each range runs from the first line of
/// a statement to the end of its last line of code; the comments and blank lines between two
/// statements belong to neither (a notebook exported as a script keeps whole markdown cells,
/// images included, in comments). Parsing each range and shifting its facts gives the facts of
/// the whole text.
pub fn top_level_statements(text: &str) -> Vec<TextRange> {
    let bytes = text.as_bytes();
    let mut ranges = Vec::new();
    let mut start = None;
    // The end of the last line that held code (or part of a string or bracket).
    let mut code_end = 0;
    let mut scan = Scanner::default();
    let mut line_start = 0;
    // Whether the last top-level line that began a statement was a decorator, which must stay
    // with the definition it decorates.
    let mut after_decorator = false;
    while line_start < bytes.len() {
        let line_end = next_line_start(bytes, line_start);
        let line = &bytes[line_start..line_end];
        let inside = !scan.between_statements();
        let first_code = line
            .iter()
            .position(|b| !matches!(b, b' ' | b'\t' | b'\x0c' | b'\r' | b'\n'));
        let is_code = inside || first_code.is_some_and(|i| line[i] != b'#');
        if !inside && first_code == Some(0) && line[0] != b'#' {
            let continues = after_decorator || continues_compound(line);
            if !continues {
                if let Some(s) = start {
                    ranges.push(TextRange::new(s, code_end));
                }
                start = Some(line_start);
            }
            after_decorator = line[0] == b'@';
        } else if is_code && start.is_none() {
            // Indented code before any statement: an error the parser reports; it is kept.
            start = Some(line_start);
        }
        scan.feed(line);
        if is_code {
            code_end = line_end;
        }
        line_start = line_end;
    }
    if let Some(s) = start {
        ranges.push(TextRange::new(s, code_end.max(s)));
    }
    ranges
}

/// The import statements of `text` at any depth (`import a`, `from a import (b, c)` inside a
/// function, a class or an `if`), as ranges from their keyword to the end of their logical
/// line; `None` when some `import` in the text lies outside them (in a comment, a string, or a
/// statement such as `x = 1; import y`), so that a caller can fall back to parsing the text.
pub fn import_statements(text: &str) -> Option<Vec<TextRange>> {
    let bytes = text.as_bytes();
    let mut ranges: Vec<TextRange> = Vec::new();
    let mut scan = Scanner::default();
    let mut open: Option<usize> = None;
    let mut line_start = 0;
    while line_start < bytes.len() {
        let line_end = next_line_start(bytes, line_start);
        let line = &bytes[line_start..line_end];
        if scan.between_statements() {
            let indent = line
                .iter()
                .position(|b| !matches!(b, b' ' | b'\t' | b'\x0c'))
                .unwrap_or(line.len());
            let rest = &line[indent..];
            if starts_with_keyword(rest, b"import") || starts_with_keyword(rest, b"from") {
                open = Some(line_start + indent);
            }
        }
        scan.feed(line);
        if let Some(start) = open.filter(|_| scan.between_statements()) {
            ranges.push(TextRange::new(start, line_end));
            open = None;
        }
        line_start = line_end;
    }
    let inside = |at: usize| ranges.iter().any(|r| r.start <= at && at < r.end);
    text.match_indices("import")
        .all(|(at, _)| inside(at))
        .then_some(ranges)
}

/// The strings and comments of `text`, in order: the places where a word is not code. An
/// f-string (or t-string) is left out, since the expressions in its braces are code. The
/// quotes are read as [`top_level_statements`] reads them, escapes included.
pub fn strings_and_comments(text: &str) -> Vec<TextRange> {
    let bytes = text.as_bytes();
    let mut ranges = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                let end = next_line_start(bytes, i);
                ranges.push(TextRange::new(i, end));
                i = end;
            }
            quote @ (b'\'' | b'"') => {
                let start = i;
                let holds_code = string_prefix(bytes, start)
                    .iter()
                    .any(|b| matches!(b, b'f' | b'F' | b't' | b'T'));
                let triple = bytes[i..].starts_with(&[quote, quote, quote]);
                i += if triple { 3 } else { 1 };
                while i < bytes.len() {
                    match bytes[i] {
                        b'\\' => i += 2,
                        b if b == quote && !triple => {
                            i += 1;
                            break;
                        }
                        b if b == quote && bytes[i..].starts_with(&[quote, quote, quote]) => {
                            i += 3;
                            break;
                        }
                        _ => i += 1,
                    }
                }
                i = i.min(bytes.len());
                if !holds_code {
                    ranges.push(TextRange::new(start, i));
                }
            }
            _ => i += 1,
        }
    }
    ranges
}

/// The letters before the quote at `quote` that make a string prefix (`rb`, `f`), or nothing
/// when they are part of a longer name.
fn string_prefix(bytes: &[u8], quote: usize) -> &[u8] {
    let mut start = quote;
    while start > 0 && quote - start < 3 && bytes[start - 1].is_ascii_alphabetic() {
        start -= 1;
    }
    let prefix = &bytes[start..quote];
    let stands_alone = start == 0
        || !(bytes[start - 1].is_ascii_alphanumeric()
            || bytes[start - 1] == b'_'
            || bytes[start - 1] >= 0x80);
    if prefix.len() <= 2 && stands_alone && prefix.iter().all(|b| b"rRbBuUfFtT".contains(b)) {
        prefix
    } else {
        &[]
    }
}

fn starts_with_keyword(text: &[u8], keyword: &[u8]) -> bool {
    text.starts_with(keyword)
        && text
            .get(keyword.len())
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'(' | b'\\'))
}

/// The offset just past the next `\n` at or after `from`, or the end of the text.
fn next_line_start(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| from + i + 1)
}

/// Whether a line at column 0 carries on the compound statement before it rather than
/// starting a new one.
fn continues_compound(line: &[u8]) -> bool {
    const CLAUSES: [&[u8]; 4] = [b"else", b"elif", b"except", b"finally"];
    CLAUSES.iter().any(|clause| {
        line.starts_with(clause)
            && !line
                .get(clause.len())
                .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80)
    })
}

/// Lexical state carried from one physical line to the next.
#[derive(Default)]
struct Scanner {
    /// Open brackets.
    depth: usize,
    /// The quote of an open string and whether it is triple-quoted.
    string: Option<(u8, bool)>,
    /// The last line ended with a backslash outside a string.
    continued: bool,
}

impl Scanner {
    fn between_statements(&self) -> bool {
        self.depth == 0 && self.string.is_none() && !self.continued
    }

    fn feed(&mut self, line: &[u8]) {
        self.continued = false;
        let mut i = 0;
        while i < line.len() {
            let b = line[i];
            if let Some((quote, triple)) = self.string {
                match b {
                    // A one-line string left open at the end of its line is an error in
                    // Python, but tree-sitter reads on to the next quote, and so does the scan.
                    b'\\' => i += 1,
                    _ if b == quote => {
                        if !triple {
                            self.string = None;
                        } else if line[i..].starts_with(&[quote, quote, quote]) {
                            self.string = None;
                            i += 2;
                        }
                    }
                    _ => {}
                }
                i += 1;
                continue;
            }
            match b {
                b'#' => return,
                b'\'' | b'"' => {
                    let triple = line[i..].starts_with(&[b, b, b]);
                    self.string = Some((b, triple));
                    if triple {
                        i += 2;
                    }
                }
                b'(' | b'[' | b'{' => self.depth += 1,
                b')' | b']' | b'}' => self.depth = self.depth.saturating_sub(1),
                b'\\' if line[i + 1..].iter().all(|&c| c == b'\n' || c == b'\r') => {
                    self.continued = true;
                    return;
                }
                _ => {}
            }
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(text: &str) -> Vec<&str> {
        top_level_statements(text)
            .into_iter()
            .map(|r| r.slice(text))
            .collect()
    }

    #[test]
    fn one_piece_per_top_level_statement_without_the_comments_between() {
        assert_eq!(
            pieces("import a\n# note\n\nx = 1\ndef f():\n    # inside\n    return 2\n\n    # after\n\nf()  # call\n# end\n"),
            vec!["import a\n", "x = 1\n", "def f():\n    # inside\n    return 2\n", "f()  # call\n"]
        );
    }

    #[test]
    fn never_splits_inside_strings_brackets_or_continuations() {
        let text = "s = \"\"\"\nimport x\n\n# not a comment\n\"\"\"\nt = (\n1)\nu = 1 + \\\n2\nv = '#('\nw = 1\n";
        assert_eq!(
            pieces(text),
            vec![
                "s = \"\"\"\nimport x\n\n# not a comment\n\"\"\"\n",
                "t = (\n1)\n",
                "u = 1 + \\\n2\n",
                "v = '#('\n",
                "w = 1\n"
            ]
        );
    }

    #[test]
    fn clauses_and_decorators_stay_with_their_statement() {
        let text = "if a:\n    b()\nelse:\n    c()\ntry:\n    d()\nexcept E:\n    pass\nfinally:\n    pass\n@dec\n@dec2\ndef f():\n    pass\nelsewhere = 1\n";
        assert_eq!(
            pieces(text),
            vec![
                "if a:\n    b()\nelse:\n    c()\n",
                "try:\n    d()\nexcept E:\n    pass\nfinally:\n    pass\n",
                "@dec\n@dec2\ndef f():\n    pass\n",
                "elsewhere = 1\n"
            ]
        );
    }

    #[test]
    fn import_statements_at_any_depth() {
        let text = "@app.cell\ndef _():\n    import marimo as mo\n    from a.b import (\n        c,\n        d)\n    x = mo.md('hi')\n    return\n";
        let found: Vec<&str> = import_statements(text)
            .unwrap()
            .into_iter()
            .map(|r| r.slice(text))
            .collect();
        assert_eq!(
            found,
            vec![
                "import marimo as mo\n",
                "from a.b import (\n        c,\n        d)\n"
            ]
        );
    }

    #[test]
    fn an_import_outside_an_import_statement_means_parse_it_all() {
        assert!(import_statements("if x:\n    # import later\n    pass\n").is_none());
        assert!(import_statements("x = 1; import os\n").is_none());
        assert!(import_statements("s = '''\nimport os\n'''\n").is_none());
        assert_eq!(import_statements("from_x = 1\n"), Some(vec![]));
    }

    #[test]
    fn escaped_quotes_indented_starts_and_empty_text() {
        assert_eq!(
            pieces("a = 'it\\'s'\nb = 2"),
            vec!["a = 'it\\'s'\n", "b = 2"]
        );
        assert_eq!(pieces("  x = 1\ny = 2\n"), vec!["  x = 1\n", "y = 2\n"]);
        assert!(pieces("").is_empty());
        assert!(pieces("# only a comment\n\n").is_empty());
    }

    fn outside_code(text: &str) -> Vec<&str> {
        strings_and_comments(text)
            .into_iter()
            .map(|r| r.slice(text))
            .collect()
    }

    #[test]
    fn strings_and_comments_are_found_and_f_strings_count_as_code() {
        assert_eq!(
            outside_code("x = 'a' + \"b\\\"c\"  # note\ny = f\"{g()}\" + rb'\\d'\n"),
            vec!["'a'", "\"b\\\"c\"", "# note\n", "'\\d'"]
        );
        assert_eq!(
            outside_code("s = \"\"\"one\n'two'\n\"\"\"\nt = elf'x'\n"),
            vec!["\"\"\"one\n'two'\n\"\"\"", "'x'"]
        );
        // An unclosed string runs to the end, as the statement scan reads it.
        assert_eq!(outside_code("a = 'open\nb = 1\n"), vec!["'open\nb = 1\n"]);
    }
}
