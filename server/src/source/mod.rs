//! Sources: bytes become one text plus a map of where each part came from.
//!
//! A script is its own text. A notebook's code cells are joined into one text, with a
//! [`CellMap`] that turns any byte offset back into (cell, line, column), and a masked copy in
//! which IPython magics and shell lines are blanked without moving a single offset, so that the
//! Python parser sees plain Python. Dependency files keep their text as is.

mod guards;
mod magics;
mod notebook;
mod pep723;
mod statements;

pub use guards::Guard;
pub use magics::{mask_cell, CellMagic, MaskedCell, ShellLine, ShellPrefix};
pub use notebook::{
    strip_ansi, CellInput, CellKind, CellMap, CellSpan, Notebook, NotebookError, OutputKind,
    OutputText,
};
pub use pep723::script_metadata_block;
pub use statements::{import_statements, strings_and_comments, top_level_statements};

use crate::text::{LineIndex, TextRange};
use std::path::Path;

/// One or more top-level statements of a document's Python view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PythonChunk {
    pub range: TextRange,
    /// The code cell (counting code cells only) or, for a script, 0.
    pub part: usize,
}

/// What kind of file a path holds, decided from its name alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    Script,
    Notebook,
    Requirements,
    Pyproject,
    TrainingLog,
    /// A lock file: exact versions a resolver chose.
    Lock(crate::declared::LockFormat),
}

impl SourceKind {
    /// Classifies a path by name: `.py`, `.ipynb`, `requirements*.txt` (and `*.in`, and files
    /// under a `requirements/` folder), `pyproject.toml`, `*.log`, and lock files (`uv.lock`, `poetry.lock`, `pylock.toml`,
    /// `Pipfile.lock`, `environment.yml`, `conda-*.lock`).
    pub fn from_path(path: &Path) -> Option<SourceKind> {
        let name = path.file_name()?.to_str()?;
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".py") || lower.ends_with(".pyw") {
            return Some(SourceKind::Script);
        }
        if lower.ends_with(".ipynb") {
            return Some(SourceKind::Notebook);
        }
        if lower == "pyproject.toml" {
            return Some(SourceKind::Pyproject);
        }
        if let Some(format) = crate::declared::LockFormat::from_name(&lower) {
            return Some(SourceKind::Lock(format));
        }
        if lower.ends_with(".log") {
            return Some(SourceKind::TrainingLog);
        }
        let in_requirements_dir = path
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.eq_ignore_ascii_case("requirements"));
        if (lower.starts_with("requirements")
            || lower.ends_with("-requirements.txt")
            || in_requirements_dir)
            && (lower.ends_with(".txt") || lower.ends_with(".in"))
        {
            return Some(SourceKind::Requirements);
        }
        None
    }
}

/// One document ready for analysis: its text, the masked Python view of that text, and for
/// notebooks the cells it was made from.
#[derive(Clone, Debug)]
pub struct Document {
    pub kind: SourceKind,
    /// The text that locations point into: a script's contents, or a notebook's code cells joined.
    pub text: String,
    /// `text` with magics and shell lines blanked, byte for byte the same length.
    pub python: String,
    /// Built on first use: most documents of a run have no finding to place.
    lines: std::sync::OnceLock<LineIndex>,
    /// Present for notebooks.
    pub notebook: Option<Notebook>,
    /// Shell lines found in the text (notebook `!` and `%pip` lines, `%%bash` bodies).
    pub shell_lines: Vec<ShellLine>,
}

impl Document {
    /// A script or dependency file: the text is its own Python view (dependency files are never
    /// parsed as Python, so their view is unused).
    pub fn from_text(kind: SourceKind, text: String) -> Document {
        let lines = std::sync::OnceLock::new();
        if kind == SourceKind::Script {
            // IPython syntax in a script (an exported notebook, or the virtual document an
            // editor builds from one) is masked and its shell lines read, as in a notebook cell.
            let masked = mask_cell(&text);
            if !masked.shell_lines.is_empty() || masked.magic != CellMagic::None {
                return Document {
                    kind,
                    python: masked.python,
                    text,
                    lines,
                    notebook: None,
                    shell_lines: masked.shell_lines,
                };
            }
        }
        Document {
            kind,
            python: text.clone(),
            text,
            lines,
            notebook: None,
            shell_lines: Vec::new(),
        }
    }

    /// A notebook from its cells.
    pub fn from_notebook(mut notebook: Notebook) -> Document {
        Document {
            kind: SourceKind::Notebook,
            text: std::mem::take(&mut notebook.text),
            python: std::mem::take(&mut notebook.python),
            lines: std::sync::OnceLock::new(),
            shell_lines: std::mem::take(&mut notebook.shell_lines),
            notebook: Some(notebook),
        }
    }

    /// The line index of `text`.
    pub fn lines(&self) -> &LineIndex {
        self.lines.get_or_init(|| LineIndex::new(&self.text))
    }

    /// The document's top-level Python statements, in order, each tagged with the part (code
    /// cell, or the whole script) it belongs to. Statements of one part may be parsed together
    /// with the comments between them; statements of two cells may not, so that an unclosed
    /// bracket in one cell cannot swallow the next.
    pub fn python_chunks(&self) -> Vec<PythonChunk> {
        match &self.notebook {
            Some(nb) => nb
                .map
                .spans
                .iter()
                .enumerate()
                .flat_map(|(part, s)| {
                    top_level_statements(s.range.slice(&self.python))
                        .into_iter()
                        .map(move |r| PythonChunk {
                            range: r.offset(s.range.start),
                            part,
                        })
                })
                .collect(),
            None => top_level_statements(&self.python)
                .into_iter()
                .map(|range| PythonChunk { range, part: 0 })
                .collect(),
        }
    }
}
