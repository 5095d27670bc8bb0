//! Open documents as the editor sees them: text files, and notebooks with their cells, each
//! cell's saved outputs (read from the `.ipynb` on disk) and cached Python facts.

use crate::outputs::SignalsMemo;
use crate::source::{
    mask_cell, CellInput, CellKind, Document, MaskedCell, Notebook, OutputText, SourceKind,
};
use crate::syntax::{extract_after_edit, KeptParse, PythonFacts};
use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;
use tower_lsp_server::ls_types::Uri;

/// A script, requirements file or pyproject.toml open in the editor.
#[derive(Clone, Debug)]
pub struct TextDoc {
    pub path: PathBuf,
    pub kind: SourceKind,
    pub version: i32,
    pub text: String,
}

impl TextDoc {
    pub fn document(&self) -> Document {
        Document::from_text(self.kind, self.text.clone())
    }
}

/// One cell of an open notebook.
#[derive(Clone, Debug)]
pub struct CellDoc {
    pub uri: Uri,
    pub code: bool,
    pub version: i32,
    pub text: String,
    pub execution_order: Option<i64>,
    /// The saved outputs of the matching cell in the `.ipynb` on disk.
    pub outputs: Vec<OutputText>,
    /// The day the matching saved cell last ran, per its metadata.
    pub ran_on: Option<String>,
    /// Facts of this cell's masked text, relative to the cell's start; `None` after an edit.
    pub facts: Option<PythonFacts>,
    /// The cell's text with IPython syntax masked, kept for code cells while their facts are
    /// (it holds only while `facts` is `Some`).
    pub masked: Option<MaskedCell>,
    /// The parse of the cell edited last in its notebook, which the next edit re-parses
    /// incrementally (one per notebook: a tree costs far more memory than its facts).
    pub parse: Option<KeptParse>,
    /// The version and diagnostics (as a fingerprint) last sent for this cell, so that a cell
    /// whose diagnostics did not change is not sent them again (the session's `unpublished`).
    pub published: Option<(i32, u64)>,
}

/// A notebook open in the editor.
#[derive(Clone, Debug)]
pub struct NotebookDoc {
    pub path: PathBuf,
    pub version: i32,
    pub cells: Vec<CellDoc>,
    /// What the saved outputs say, kept from the first analysis until the session forgets the
    /// notebook's facts; new outputs start a new one.
    pub signals: Option<Arc<SignalsMemo>>,
}

/// A saved cell read from the notebook file, for matching outputs to the editor's cells.
#[derive(Clone, Debug)]
pub struct SavedCell {
    pub code: bool,
    pub source: String,
    pub execution_count: Option<i64>,
    pub outputs: Vec<OutputText>,
    pub ran_on: Option<String>,
}

impl NotebookDoc {
    /// The notebook as one document, and its Python facts (reusing each unchanged cell's).
    pub fn document(&mut self) -> (Document, PythonFacts) {
        // A code cell without facts was opened or edited since the last analysis. When one
        // cell is read again (an edit), its parse is kept for its next edit, which re-parses
        // only what changed; when many are (the notebook opened, or read again after it was
        // forgotten), none is kept.
        let reread: Vec<usize> = (0..self.cells.len())
            .filter(|&c| self.cells[c].code && self.cells[c].facts.is_none())
            .collect();
        let edited_one = reread.len() == 1;
        // A notebook read for an analysis is one the user is looking at and may edit next: it
        // keeps what its saved outputs say and each cell's masked text, so that its first edit
        // costs what every later one does (only the edited cell is masked and read again).
        // The session bounds how many notebooks keep them (see `forget_facts`).
        if self.signals.is_none() {
            self.signals = Some(Arc::default());
        }
        for cell in &mut self.cells {
            if !cell.code {
                cell.masked = None;
            } else if cell.facts.is_none() || cell.masked.is_none() {
                cell.masked = Some(mask_cell(&cell.text));
            }
        }
        let inputs: Vec<CellInput> = self
            .cells
            .iter()
            .map(|c| CellInput {
                kind: if c.code {
                    CellKind::Code
                } else {
                    CellKind::Markdown
                },
                source: c.text.clone(),
                execution_count: c.execution_order,
                outputs: c.outputs.clone(),
                ran_on: c.ran_on.clone(),
            })
            .collect();
        let cells = &self.cells;
        let mut notebook =
            Notebook::from_masked_cells(inputs, |index, source| match &cells[index].masked {
                Some(kept) => Cow::Borrowed(kept),
                None => Cow::Owned(mask_cell(source)),
            });
        notebook.signals = self.signals.clone();
        let mut facts = PythonFacts::default();
        for span in &notebook.map.spans {
            let cell = &mut self.cells[span.cell];
            let text = span.range.slice(&notebook.python);
            if cell.facts.is_none() {
                if edited_one {
                    let (fresh, kept) = extract_after_edit(text, cell.parse.take());
                    cell.facts = Some(fresh);
                    cell.parse = kept;
                } else {
                    cell.facts = Some(crate::syntax::extract(text));
                }
            }
            if let Some(cell_facts) = &cell.facts {
                facts.extend(cell_facts.clone().offset(span.range.start));
            }
        }
        // One kept parse per notebook: the cell just edited's.
        for (i, cell) in self.cells.iter_mut().enumerate() {
            if !(edited_one && reread.contains(&i)) {
                cell.parse = None;
            }
        }
        (Document::from_notebook(notebook), facts)
    }

    /// Drops every cell's facts and masked text and what the saved outputs say; the next
    /// analysis reads them again.
    pub fn forget_facts(&mut self) {
        self.signals = None;
        for cell in &mut self.cells {
            cell.facts = None;
            cell.masked = None;
            cell.parse = None;
        }
    }

    /// How many code cells hold their facts, read by an analysis and not changed since.
    #[cfg(test)]
    pub fn cells_with_facts(&self) -> usize {
        self.cells.iter().filter(|c| c.facts.is_some()).count()
    }

    /// Attaches saved outputs and execution counts to the editor's cells: a cell whose source
    /// equals a saved cell's gets that cell's outputs; the rest are matched by position.
    pub fn attach_saved(&mut self, saved: &[SavedCell]) {
        self.signals = None;
        let mut used = vec![false; saved.len()];
        let mut matched: Vec<Option<usize>> = vec![None; self.cells.len()];
        for (i, cell) in self.cells.iter().enumerate() {
            if let Some(j) = saved
                .iter()
                .enumerate()
                .position(|(j, s)| !used[j] && s.code == cell.code && s.source == cell.text)
            {
                used[j] = true;
                matched[i] = Some(j);
            }
        }
        for (i, m) in matched.iter_mut().enumerate() {
            if m.is_none() && i < saved.len() && !used[i] && saved[i].code == self.cells[i].code {
                used[i] = true;
                *m = Some(i);
            }
        }
        for (cell, m) in self.cells.iter_mut().zip(matched) {
            match m {
                Some(j) => {
                    cell.outputs = saved[j].outputs.clone();
                    cell.ran_on = saved[j].ran_on.clone();
                    if cell.execution_order.is_none() {
                        cell.execution_order = saved[j].execution_count;
                    }
                }
                None => {
                    cell.outputs.clear();
                    cell.ran_on = None;
                }
            }
        }
    }
}

/// Reads the saved cells of a notebook file (blocking IO: call it off the async runtime).
pub fn read_saved_cells(path: &std::path::Path) -> Vec<SavedCell> {
    let Ok(bytes) = std::fs::read(path) else {
        return Vec::new();
    };
    match Notebook::parse(&bytes) {
        Ok(nb) => nb
            .cells
            .into_iter()
            .map(|c| SavedCell {
                code: c.kind == CellKind::Code,
                source: c.source,
                execution_count: c.execution_count,
                outputs: c.outputs,
                ran_on: c.ran_on,
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::{CellDoc, NotebookDoc};
    use crate::source::{CellInput, CellKind, Document, Notebook};

    fn cell(i: usize, text: &str) -> CellDoc {
        CellDoc {
            uri: format!("vscode-notebook-cell:/n.ipynb#C{i}")
                .parse()
                .unwrap(),
            code: true,
            version: 1,
            text: text.to_string(),
            execution_order: None,
            outputs: Vec::new(),
            ran_on: None,
            facts: None,
            masked: None,
            parse: None,
            published: None,
        }
    }

    /// The document built from the cells alone, as the CLI builds it.
    fn from_scratch(nb: &NotebookDoc) -> Document {
        let inputs = nb.cells.iter().map(|c| CellInput {
            kind: if c.code {
                CellKind::Code
            } else {
                CellKind::Markdown
            },
            source: c.text.clone(),
            execution_count: None,
            outputs: Vec::new(),
            ran_on: None,
        });
        Document::from_notebook(Notebook::from_cells(inputs.collect()))
    }

    fn edit(nb: &mut NotebookDoc, i: usize, text: &str, code: bool) {
        nb.cells[i].text = text.to_string();
        nb.cells[i].code = code;
        nb.cells[i].facts = None;
    }

    #[test]
    fn kept_masks_give_the_document_masking_every_cell_gives() {
        let mut nb = NotebookDoc {
            path: "n.ipynb".into(),
            version: 1,
            cells: vec![
                cell(0, "!pip install peft\nimport peft\n"),
                cell(1, "%%capture\n!pip install trl\n"),
                cell(2, "from trl import SFTTrainer\n"),
            ],
            signals: None,
        };
        let same = |nb: &mut NotebookDoc| {
            let (kept, _) = nb.document();
            let fresh = from_scratch(nb);
            assert_eq!(kept.text, fresh.text);
            assert_eq!(kept.python, fresh.python);
            assert_eq!(kept.shell_lines, fresh.shell_lines);
        };
        same(&mut nb);
        assert!(
            nb.cells.iter().all(|c| c.masked.is_some() == c.code),
            "a notebook read once keeps its code cells' masks, ready for its first edit"
        );
        // Edits: a cell that gains a cell magic, one that loses its shell line, one that
        // becomes Markdown and back.
        for (i, text, code) in [
            (2, "%%bash\npip install 'trl<0.9'\n", true),
            (1, "import trl\n", true),
            (0, "# notes\n", false),
            (0, "!pip install -U peft\n", true),
        ] {
            edit(&mut nb, i, text, code);
            same(&mut nb);
            assert!(nb.cells.iter().all(|c| c.masked.is_some() == c.code));
        }
        nb.forget_facts();
        assert!(nb.cells.iter().all(|c| c.masked.is_none()));
        assert!(nb.signals.is_none());
        same(&mut nb);
    }
}
