//! Conversion from byte offsets to line and column, in bytes, characters or UTF-16 code units.

/// A 0-based line and a 0-based column whose unit depends on the function that produced it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineCol {
    pub line: usize,
    pub col: usize,
}

/// The start offset of every line of one text.
#[derive(Clone, Debug, Default)]
pub struct LineIndex {
    line_starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = Vec::with_capacity(text.len() / 32 + 1);
        line_starts.push(0);
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        Self {
            line_starts,
            len: text.len(),
        }
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The byte offset where 0-based `line` starts, or the text's end for lines past the end.
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts.get(line).copied().unwrap_or(self.len)
    }

    /// The byte range of a line without its line terminator.
    pub fn line_range(&self, line: usize, text: &str) -> super::TextRange {
        let start = self.line_start(line);
        let mut end = self.line_starts.get(line + 1).copied().unwrap_or(self.len);
        let bytes = text.as_bytes();
        if end > start && bytes.get(end - 1) == Some(&b'\n') {
            end -= 1;
        }
        if end > start && bytes.get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        super::TextRange::new(start, end)
    }

    /// The 0-based line that holds `offset`; offsets past the end land on the last line.
    pub fn line_of(&self, offset: usize) -> usize {
        let offset = offset.min(self.len);
        match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next - 1,
        }
    }

    /// Line and column with the column counted in bytes.
    pub fn line_col_utf8(&self, offset: usize) -> LineCol {
        let line = self.line_of(offset);
        LineCol {
            line,
            col: offset.min(self.len) - self.line_starts[line],
        }
    }

    /// Line and column with the column counted in Unicode scalar values (what terminals show).
    pub fn line_col_chars(&self, offset: usize, text: &str) -> LineCol {
        let line = self.line_of(offset);
        let start = self.line_starts[line];
        let end = floor_char_boundary(text, offset.min(self.len));
        LineCol {
            line,
            col: text[start..end].chars().count(),
        }
    }

    /// [`LineIndex::line_col_chars`] for one offset, without building an index: what a caller
    /// that looks up a single place in a text should use.
    pub fn line_col_chars_once(offset: usize, text: &str) -> LineCol {
        let end = floor_char_boundary(text, offset.min(text.len()));
        let before = &text.as_bytes()[..end];
        let start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
        LineCol {
            line: memchr::memchr_iter(b'\n', before).count(),
            col: text[start..end].chars().count(),
        }
    }

    /// Line and column with the column counted in UTF-16 code units (LSP's default encoding).
    pub fn line_col_utf16(&self, offset: usize, text: &str) -> LineCol {
        let line = self.line_of(offset);
        let start = self.line_starts[line];
        let end = floor_char_boundary(text, offset.min(self.len));
        LineCol {
            line,
            col: text[start..end].chars().map(char::len_utf16).sum(),
        }
    }

    /// The byte offset of a line and a UTF-8 column, clamped to the line's end.
    pub fn offset_utf8(&self, pos: LineCol, text: &str) -> usize {
        if pos.line >= self.line_starts.len() {
            return self.len;
        }
        let range = self.line_range(pos.line, text);
        floor_char_boundary(text, (range.start + pos.col).min(range.end))
    }

    /// The byte offset of a line and a UTF-16 column, clamped to the line's end. A column inside
    /// a surrogate pair lands before that character.
    pub fn offset_utf16(&self, pos: LineCol, text: &str) -> usize {
        if pos.line >= self.line_starts.len() {
            return self.len;
        }
        let range = self.line_range(pos.line, text);
        let mut units = 0;
        for (i, ch) in range.slice(text).char_indices() {
            if units + ch.len_utf16() > pos.col {
                return range.start + i;
            }
            units += ch.len_utf16();
        }
        range.end
    }
}

/// The largest char boundary at or before `offset`.
pub(crate) fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_lookup_without_an_index_agrees_with_the_index() {
        let text = "ab\n\nçé\r\nx🦥y\nend";
        let index = LineIndex::new(text);
        for offset in 0..=text.len() + 2 {
            assert_eq!(
                LineIndex::line_col_chars_once(offset, text),
                index.line_col_chars(offset, text),
                "offset {offset}"
            );
        }
    }

    #[test]
    fn columns_in_every_unit() {
        let text = "ab\n日本é😀x\n";
        let index = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(index.line_col_utf8(x), LineCol { line: 1, col: 12 });
        assert_eq!(index.line_col_chars(x, text), LineCol { line: 1, col: 4 });
        assert_eq!(index.line_col_utf16(x, text), LineCol { line: 1, col: 5 });
        assert_eq!(index.offset_utf16(LineCol { line: 1, col: 5 }, text), x);
        assert_eq!(index.offset_utf8(LineCol { line: 1, col: 12 }, text), x);
    }

    #[test]
    fn positions_past_the_end_are_clamped() {
        let text = "a\nbc";
        let index = LineIndex::new(text);
        assert_eq!(index.offset_utf16(LineCol { line: 9, col: 0 }, text), 4);
        assert_eq!(index.offset_utf16(LineCol { line: 1, col: 99 }, text), 4);
        assert_eq!(index.line_of(100), 1);
    }

    #[test]
    fn combining_characters_count_as_their_own_units() {
        let text = "e\u{301}x";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col_utf16(3, text).col, 2);
        assert_eq!(index.line_col_chars(3, text).col, 2);
    }
}
