//! `textDocument/documentLink`: advisory codes written in a document (`# tunelint:
//! ignore[UNS001]`, `# noqa: TRL002`) link to the advisory's page, or for clients that cannot
//! show one, to its first reference.

use super::super::diagnostics::code_link;
use super::super::snapshot::DocumentSnapshot;
use super::super::to_lsp;
use crate::text::{LineIndex, TextRange};
use tower_lsp_server::ls_types::*;

pub fn document_links(snap: &DocumentSnapshot, uri: &Uri) -> Vec<DocumentLink> {
    let Some((target, _)) = snap.target(uri) else {
        return Vec::new();
    };
    let text = target.slice(&snap.doc().text);
    let index = LineIndex::new(text);
    let publish = snap.publish();
    let mut links = Vec::new();
    for (start, word) in code_words(text) {
        let Some(link) = code_link(word, &publish) else {
            continue;
        };
        let range = TextRange::new(start, start + word.len());
        links.push(DocumentLink {
            range: to_lsp::range(text, &index, range, snap.encoding),
            target: Some(link),
            tooltip: Some(format!("tunelint {word}")),
            data: None,
        });
    }
    links
}

/// Words that look like advisory codes (upper-case letters then digits, `UNS001`) inside
/// comments, with their offsets; whether a word is a code is the knowledge base's to say.
fn code_words(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some(hash) = line.find('#') {
            let comment = &line[hash..];
            let mut i = 0;
            let bytes = comment.as_bytes();
            while i < bytes.len() {
                if bytes[i].is_ascii_uppercase()
                    && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
                {
                    let start = i;
                    while i < bytes.len() && bytes[i].is_ascii_uppercase() {
                        i += 1;
                    }
                    let letters = i - start;
                    let digits_start = i;
                    while i < bytes.len() && bytes[i].is_ascii_digit() {
                        i += 1;
                    }
                    let boundary = i == bytes.len() || !bytes[i].is_ascii_alphanumeric();
                    if letters >= 2 && i - digits_start >= 3 && boundary {
                        out.push((offset + hash + start, &comment[start..i]));
                    }
                } else {
                    i += 1;
                }
            }
        }
        offset += line.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::code_words;

    #[test]
    fn codes_in_comments_are_found_and_code_is_not() {
        let text = "import peft  # tunelint: ignore[UNS001, TRL002]\nUNS003 = 1\n";
        let words: Vec<&str> = code_words(text).into_iter().map(|(_, w)| w).collect();
        assert_eq!(words, ["UNS001", "TRL002"]);
        let (at, _) = code_words(text)[0];
        assert_eq!(&text[at..at + 6], "UNS001");
    }
}
