//! From LSP to tunelint: positions (UTF-16 or UTF-8 as negotiated) to byte offsets, and
//! incremental content changes applied to a text.

use super::Encoding;
use crate::text::{LineCol, LineIndex};
use tower_lsp_server::ls_types::{Position, TextDocumentContentChangeEvent};

/// The byte offset of an LSP position; positions past a line's end or the text's end clamp.
pub fn offset(text: &str, index: &LineIndex, pos: Position, encoding: Encoding) -> usize {
    let lc = LineCol {
        line: pos.line as usize,
        col: pos.character as usize,
    };
    match encoding {
        Encoding::Utf8 => index.offset_utf8(lc, text),
        Encoding::Utf16 => index.offset_utf16(lc, text),
    }
}

/// Applies one change event: a full replacement when it has no range, else a range edit.
pub fn apply_change(
    text: &mut String,
    change: &TextDocumentContentChangeEvent,
    encoding: Encoding,
) {
    match change.range {
        None => *text = change.text.clone(),
        Some(range) => {
            let index = LineIndex::new(text);
            let start = offset(text, &index, range.start, encoding);
            let end = offset(text, &index, range.end, encoding).max(start);
            text.replace_range(start..end, &change.text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_lsp_server::ls_types::Range;

    fn change(l1: u32, c1: u32, l2: u32, c2: u32, text: &str) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(l1, c1), Position::new(l2, c2))),
            range_length: None,
            text: text.into(),
        }
    }

    #[test]
    fn utf16_and_utf8_edits_after_astral_characters() {
        let mut text = "x = \"😀\"; import peft\n".to_string();
        // In UTF-16 the emoji is two units, so `import` starts at column 10.
        apply_change(&mut text, &change(0, 10, 0, 16, "from"), Encoding::Utf16);
        assert_eq!(text, "x = \"😀\"; from peft\n");
        let mut text = "é = 1\n".to_string();
        apply_change(&mut text, &change(0, 2, 0, 4, ":="), Encoding::Utf8);
        assert_eq!(text, "é:= 1\n");
    }

    #[test]
    fn ranges_past_the_end_clamp() {
        let mut text = "ab\n".to_string();
        apply_change(&mut text, &change(5, 0, 9, 9, "c"), Encoding::Utf16);
        assert_eq!(text, "ab\nc");
    }
}
