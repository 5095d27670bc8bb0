//! Syntax facts: what a Python text imports, calls, and assigns, from tree-sitter queries.
//!
//! The queries live in `grammars/python/*.scm` and are compiled once. Facts hold byte ranges
//! relative to the text they were extracted from; [`PythonFacts::offset`] moves them into a
//! document when the text was one notebook cell.

mod facts;

pub use facts::{Assignment, Call, Import, Keyword, Literal, PythonFacts};

/// The query sources, embedded so that the binary needs no files at run time.
pub mod queries {
    pub const IMPORTS: &str = include_str!("../../../grammars/python/imports.scm");
    pub const CALLS: &str = include_str!("../../../grammars/python/calls.scm");
    pub const ASSIGNMENTS: &str = include_str!("../../../grammars/python/assignments.scm");

    pub const ALL: &[(&str, &str)] = &[
        ("imports.scm", IMPORTS),
        ("calls.scm", CALLS),
        ("assignments.scm", ASSIGNMENTS),
    ];
}

pub use facts::extract;
