//! Syntax facts: what a Python text imports, calls, and assigns, from a tree-sitter parse.
//!
//! One walk over the syntax tree records every import, call of a name or attribute chain, and
//! assignment of a literal. Facts hold byte ranges relative to the text they were extracted
//! from; [`PythonFacts::offset`] moves them into a document when the text was one notebook cell
//! or one top-level statement of a script.

mod facts;
mod memo;

pub use facts::{Assignment, Call, ClassBase, Import, Keyword, Literal, PythonFacts};

pub use facts::{extract, extract_after_edit, KeptParse};
pub use memo::FactsMemo;
