//! Fixes: a title, edits, and how safe it is to apply them without a person looking.

mod apply;
mod notebook_json;

pub use apply::{apply_edits, apply_fixes, plan_fixes, FixOutcome, FixPlan, PlannedCell};
pub use notebook_json::{rewrite_notebook, CellChange, NotebookLayout};

use crate::text::TextRange;
pub use crate::vocabulary::Applicability;
use std::path::PathBuf;

/// Which file an edit changes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum EditTarget {
    /// The document the finding is in (for a notebook: its joined code text).
    ThisDocument,
    /// Another file, by path, in that file's own bytes.
    File(PathBuf),
}

/// Replace `range` with `content`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub target: EditTarget,
    pub range: TextRange,
    pub content: String,
}

impl Edit {
    pub fn here(range: TextRange, content: impl Into<String>) -> Edit {
        Edit {
            target: EditTarget::ThisDocument,
            range,
            content: content.into(),
        }
    }
}

/// What a fix does beyond text edits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FixAction {
    /// Insert a code cell before the cell at `before_cell` (0-based among all cells). `fallback`
    /// edits do the same within existing cells, for editors that cannot insert cells, under
    /// `fallback_title` (the fix's own title says where the new cell goes).
    InsertCell {
        before_cell: usize,
        source: String,
        fallback: Vec<Edit>,
        fallback_title: String,
    },
    /// Run a command in the selected environment's terminal (editor only, after a click).
    RunCommand { command: String },
    /// Restart the kernel or runtime.
    RestartRuntime,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub title: String,
    pub applicability: Applicability,
    pub edits: Vec<Edit>,
    pub action: Option<FixAction>,
}
