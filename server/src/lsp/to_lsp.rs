//! From tunelint to LSP: byte offsets to positions in the negotiated encoding, and findings'
//! severities to LSP severities.

use super::Encoding;
use crate::finding::Severity;
use crate::text::{LineIndex, TextRange};
use tower_lsp_server::ls_types::{DiagnosticSeverity, Position, Range};

pub fn position(text: &str, index: &LineIndex, offset: usize, encoding: Encoding) -> Position {
    let lc = match encoding {
        Encoding::Utf8 => index.line_col_utf8(crate::text::line_index_floor(text, offset)),
        Encoding::Utf16 => index.line_col_utf16(offset, text),
    };
    Position::new(lc.line as u32, lc.col as u32)
}

pub fn range(text: &str, index: &LineIndex, range: TextRange, encoding: Encoding) -> Range {
    Range::new(
        position(text, index, range.start, encoding),
        position(text, index, range.end, encoding),
    )
}

pub fn severity(s: Severity) -> DiagnosticSeverity {
    match s {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Info => DiagnosticSeverity::INFORMATION,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_emoji_and_combining_marks() {
        let text = "名前 = \"😀e\u{301}\"; import peft\n";
        let index = LineIndex::new(text);
        let at = text.find("import").unwrap();
        // 名前 = 2 units, ` = "` 4, 😀 2, e + combining accent 2, `"; ` 3.
        assert_eq!(
            position(text, &index, at, Encoding::Utf16),
            Position::new(0, 13)
        );
        assert_eq!(
            position(text, &index, at, Encoding::Utf8),
            Position::new(0, at as u32)
        );
    }
}
