//! Declared dependencies: requirements files, pyproject.toml, PEP 723 script headers and lock
//! files.
//!
//! The readers are pure: they take text and return entries with byte ranges. Following `-r`
//! includes is IO and happens at the edge ([`crate::workspace`]), which calls back here for
//! each file it reads.

mod lock;
mod pyproject;
mod requirements;

pub use lock::{parse_lock, LockFormat};
pub use pyproject::{parse_pyproject, parse_toml_dependencies, ToolConfig};
pub use requirements::parse_requirements;

use crate::requirement::Requirement;
use crate::text::TextRange;

/// One requirement declared in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeclaredRequirement {
    pub requirement: Requirement,
    /// The requirement text, without hashes, options or comments (for a TOML string: without
    /// the quotes).
    pub range: TextRange,
    /// Where in the file it sits, for messages: `[project.dependencies]`, `line 3`.
    pub context: String,
    /// Whether a fix may rewrite `range` as plain PEP 508 text (false for Poetry tables).
    pub pep508: bool,
}

/// A `-r` or `-c` include in a requirements file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Include {
    pub path: String,
    pub range: TextRange,
    pub constraint: bool,
}

/// A problem in a dependency file, reported as a finding about that file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileProblem {
    pub range: TextRange,
    pub message: String,
}

/// What one dependency file declares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeclaredFile {
    pub requirements: Vec<DeclaredRequirement>,
    pub includes: Vec<Include>,
    pub problems: Vec<FileProblem>,
}
