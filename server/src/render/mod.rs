//! Rendering findings for people and machines: `full` (code frames), `concise`, `json`.
//!
//! Positions are computed here, at the edge: 1-based lines and character columns, counted
//! within the cell for notebooks.

mod ci;
mod full;
mod json;
mod rule_page;

pub use ci::{raw_position, render_github, render_junit, render_sarif, render_statistics};
pub use full::{render_concise, render_full, summary_line};
pub use json::render_json;
pub use rule_page::rule_page;

use crate::finding::Finding;
use crate::source::Document;
use crate::text::{LineIndex, TextRange};
use std::path::PathBuf;

/// The findings of one file, with what is needed to show where they are.
pub struct FileReport {
    pub path: PathBuf,
    pub display: String,
    /// The text positions point into when there is no document (unreadable notebooks).
    pub raw: String,
    pub doc: Option<Document>,
    pub findings: Vec<Finding>,
    /// Findings the configuration or a suppression comment silenced in this file: problems
    /// the user has acknowledged, which a report about the environment does not repeat.
    pub acknowledged: Vec<Finding>,
    /// Advice the configuration does not ask for (infos off by default): counted in the
    /// summary, not listed.
    pub advice: Vec<Finding>,
}

/// A 1-based position as shown to people.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl FileReport {
    /// Lets go of the texts a report no longer needs once its findings are known, so that a
    /// run over many files holds only what it will print: a file without findings needs
    /// neither text, and the raw bytes of a readable file are needed only to fix it or to map
    /// notebook positions to lines of its JSON (`keep_raw`).
    pub fn release_texts(&mut self, keep_raw: bool) {
        if self.findings.is_empty() {
            self.doc = None;
            self.raw = String::new();
        } else if !keep_raw && self.doc.is_some() {
            self.raw = String::new();
        }
    }

    /// The cell (1-based) and the position inside it, or the position in the file.
    pub fn position(&self, offset: usize) -> (Option<usize>, Position) {
        match &self.doc {
            Some(doc) => match &doc.notebook {
                Some(nb) => match nb.locate(offset) {
                    Some((cell, lc)) => (
                        Some(cell),
                        Position {
                            line: lc.line + 1,
                            column: lc.col + 1,
                        },
                    ),
                    None => (None, Position { line: 1, column: 1 }),
                },
                None => {
                    let lc = doc.lines().line_col_chars(offset, &doc.text);
                    (
                        None,
                        Position {
                            line: lc.line + 1,
                            column: lc.col + 1,
                        },
                    )
                }
            },
            None => {
                let index = LineIndex::new(&self.raw);
                let lc = index.line_col_chars(offset, &self.raw);
                (
                    None,
                    Position {
                        line: lc.line + 1,
                        column: lc.col + 1,
                    },
                )
            }
        }
    }

    /// The text a finding's code frame shows: the cell for notebooks, else the file; and the
    /// offset of that text in the document.
    pub fn frame_text(&self, range: TextRange) -> (&str, usize) {
        match &self.doc {
            Some(doc) => match doc
                .notebook
                .as_ref()
                .and_then(|nb| nb.map.span_at(range.start))
            {
                Some(span) => (span.range.slice(&doc.text), span.range.start),
                None => (&doc.text, 0),
            },
            None => (&self.raw, 0),
        }
    }

    /// `path:cell 3:2:5` or `path:2:5`.
    pub fn location_label(&self, offset: usize) -> String {
        match self.position(offset) {
            (Some(cell), p) => format!("{}:cell {cell}:{}:{}", self.display, p.line, p.column),
            (None, p) => format!("{}:{}:{}", self.display, p.line, p.column),
        }
    }
}
