//! Byte ranges and line indexes: the coordinates every other module speaks.
//!
//! Everything inside tunelint addresses text by byte offset. Lines and columns are computed only
//! when a location leaves the program (CLI output, LSP positions), through [`LineIndex`].

mod line_index;

pub use line_index::{LineCol, LineIndex};

/// The largest char boundary at or before `offset`, so that a position never splits a character.
pub fn line_index_floor(text: &str, offset: usize) -> usize {
    line_index::floor_char_boundary(text, offset)
}

use serde::Serialize;

/// A half-open byte range `start..end` into one text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Default)]
pub struct TextRange {
    pub start: usize,
    pub end: usize,
}

impl TextRange {
    pub fn new(start: usize, end: usize) -> Self {
        debug_assert!(start <= end, "range start {start} after end {end}");
        Self { start, end }
    }

    pub fn empty(at: usize) -> Self {
        Self { start: at, end: at }
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Shifts the range by `delta` bytes, used when a cell's range becomes a document range.
    pub fn offset(self, delta: usize) -> Self {
        Self {
            start: self.start + delta,
            end: self.end + delta,
        }
    }

    pub fn contains(&self, offset: usize) -> bool {
        self.start <= offset && offset < self.end
    }

    pub fn contains_range(&self, other: TextRange) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    pub fn slice<'a>(&self, text: &'a str) -> &'a str {
        &text[self.start..self.end]
    }
}
