//! The session: what the server knows between messages — open documents, settings, what the
//! client can do, the workspaces (each with its environment cache), the knowledge base, and
//! each open document's analysis of its current version.
//!
//! Only handlers change it, synchronously, through `&mut Session` (see `dispatch.rs`); work
//! that takes time runs on a [`DocumentSnapshot`], which owns everything it reads. A change to
//! a document cancels the analysis of its previous version.

use super::documents::{CellDoc, NotebookDoc, SavedCell, TextDoc};
use super::from_lsp::apply_change;
use super::publish::EnvironmentJob;
use super::settings::Settings;
use super::snapshot::{AnalysisSlot, DocumentSnapshot};
use super::Encoding;
use crate::kb::KnowledgeBase;
use crate::source::SourceKind;
use crate::workspace::{Overrides, Workspace};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower_lsp_server::ls_types::*;

#[derive(Default)]
pub struct Session {
    pub encoding: Encoding,
    pub features: super::settings::ClientFeatures,
    pub settings: Settings,
    texts: HashMap<Uri, TextDoc>,
    notebooks: HashMap<Uri, NotebookDoc>,
    /// Cell URI → the notebook that holds it (one shared copy per notebook: with a
    /// project's notebooks open there are thousands of cells).
    cell_owner: HashMap<Uri, Arc<Uri>>,
    pub folders: Vec<PathBuf>,
    workspaces: HashMap<PathBuf, Arc<Workspace>>,
    pub kb: Arc<KnowledgeBase>,
    pub shut_down: bool,
    /// The analyses of the documents used last, each of its current version, shared by every
    /// request; most recent last. At most [`KEPT_ANALYSES`]: with every notebook of a project
    /// open, keeping them all would hold each one's text and findings twice. A notebook that
    /// drops out of this list also forgets its cells' facts (see [`Session::snapshot`]).
    analyses: Vec<(Uri, Arc<AnalysisSlot>)>,
    /// The environment files (a snapshot, distributions' METADATA) that hold diagnostics about
    /// the environment itself, so that a later publish can clear those that are gone.
    pub environment_files: Vec<Uri>,
    /// How many times the environments' findings have been asked for: runs can overlap, and
    /// only the newest may publish, or an older run, computed before an open file reported a
    /// problem, would place that problem on the environment's files after the newer cleared it.
    pub environment_runs: u64,
    /// For each open document: its directory and the codes its last analysis reported or
    /// silenced. An environment problem an open file already reports is not published again
    /// on the environment's files.
    pub reported_codes: HashMap<Uri, (PathBuf, HashSet<String>)>,
}

/// How many documents keep their analysis between requests (those edited or asked about last),
/// and how many notebooks keep their cells' facts.
pub const KEPT_ANALYSES: usize = 8;

/// What opening a text document is: a script whatever its name when its language is Python
/// (clients such as jupyterlab-lsp send a whole notebook as one Python text under the
/// notebook's name; real notebooks arrive through `notebookDocument/*`), else what its path
/// says.
pub fn kind_of(uri: &Uri, language_id: &str) -> Option<SourceKind> {
    let path = uri.to_file_path()?;
    if language_id == "python" {
        return Some(SourceKind::Script);
    }
    SourceKind::from_path(&path)
}

impl Session {
    pub fn new(kb: KnowledgeBase) -> Session {
        Session {
            kb: Arc::new(kb),
            ..Default::default()
        }
    }

    /// The workspace (caches, environment) for a file: its workspace folder's, or its
    /// directory's when it is outside every folder.
    pub fn workspace_for(&mut self, path: &Path) -> Arc<Workspace> {
        let root = self
            .folders
            .iter()
            .filter(|f| path.starts_with(f))
            .max_by_key(|f| f.as_os_str().len())
            .cloned()
            .unwrap_or_else(|| path.parent().map(Path::to_path_buf).unwrap_or_default());
        let overrides = Overrides {
            python: self.settings.python.clone(),
            env_file: self.settings.env_file.clone(),
            ..Default::default()
        };
        self.workspaces
            .entry(root.clone())
            .or_insert_with(|| Arc::new(Workspace::new(root, overrides)))
            .clone()
    }

    /// The document a URI stands for: a cell stands for its notebook.
    pub fn owner_of(&self, uri: &Uri) -> Uri {
        self.cell_owner
            .get(uri)
            .map_or_else(|| uri.clone(), |owner| Uri::clone(owner))
    }

    /// Every open document (files and notebooks).
    pub fn open_documents(&self) -> Vec<Uri> {
        self.texts
            .keys()
            .chain(self.notebooks.keys())
            .cloned()
            .collect()
    }

    pub fn notebook_uris(&self) -> Vec<Uri> {
        self.notebooks.keys().cloned().collect()
    }

    pub fn text(&self, uri: &Uri) -> Option<&TextDoc> {
        self.texts.get(uri)
    }

    pub fn notebook_path(&self, uri: &Uri) -> Option<PathBuf> {
        self.notebooks.get(uri).map(|n| n.path.clone())
    }

    /// Whether `version` is still the current version of the document (file or notebook).
    pub fn is_current(&self, uri: &Uri, version: i32) -> bool {
        self.texts
            .get(uri)
            .map(|t| t.version)
            .or_else(|| self.notebooks.get(uri).map(|n| n.version))
            == Some(version)
    }

    /// A snapshot of a file, a notebook, or a notebook cell URI (which stands for its notebook)
    /// at its current version, with the analysis slot of that version: an existing one is
    /// shared, so diagnostics, hover, code actions and fix-all analyse each version once.
    pub fn snapshot(&mut self, uri: &Uri) -> Option<DocumentSnapshot> {
        let uri = self.owner_of(uri);
        let (version, path) = match (self.texts.get(&uri), self.notebooks.get(&uri)) {
            (Some(t), _) => (t.version, t.path.clone()),
            (None, Some(n)) => (n.version, n.path.clone()),
            (None, None) => return None,
        };
        let workspace = self.workspace_for(&path);
        let kept = self
            .analyses
            .iter()
            .position(|(u, _)| *u == uri)
            .map(|i| self.analyses.remove(i).1);
        let slot = match kept {
            Some(slot) if slot.version == version && !slot.is_cancelled() => slot,
            previous => {
                if let Some(old) = &previous {
                    old.cancel();
                }
                Arc::new(self.new_slot(&uri, version, previous.as_deref())?)
            }
        };
        self.analyses.push((uri.clone(), slot.clone()));
        if self.analyses.len() > KEPT_ANALYSES {
            // Forgotten, not cancelled: a snapshot in flight still finishes and publishes.
            let (oldest, _) = self.analyses.remove(0);
            // Its cells' facts go too, as rust-analyzer bounds its syntax trees: with a
            // project's every notebook open they are the largest thing the server holds (9 of
            // 71 MB with the corpus open), and a notebook used again re-reads them at once (the
            // largest corpus notebook in about 2 ms), then one cell per edit.
            if let Some(nb) = self.notebooks.get_mut(&oldest) {
                nb.forget_facts();
            }
        }
        Some(DocumentSnapshot {
            uri,
            path,
            slot,
            workspace,
            kb: self.kb.clone(),
            encoding: self.encoding,
            features: self.features.clone(),
            inlay_hints: self.settings.inlay_hints,
        })
    }

    fn new_slot(
        &mut self,
        uri: &Uri,
        version: i32,
        previous: Option<&AnalysisSlot>,
    ) -> Option<AnalysisSlot> {
        if let Some(t) = self.texts.get(uri) {
            let doc = t.document();
            let len = doc.text.len();
            return Some(AnalysisSlot::new(
                version,
                doc,
                None,
                vec![(uri.clone(), crate::text::TextRange::new(0, len), t.version)],
                previous,
            ));
        }
        let nb = self.notebooks.get_mut(uri)?;
        let (doc, facts) = nb.document();
        let targets = doc
            .notebook
            .as_ref()?
            .map
            .spans
            .iter()
            .map(|s| {
                let cell = &nb.cells[s.cell];
                (cell.uri.clone(), s.range, cell.version)
            })
            .collect();
        Some(AnalysisSlot::new(
            version,
            doc,
            Some(facts),
            targets,
            previous,
        ))
    }

    /// Cancels the analysis of a document's previous version (it changed). The document keeps
    /// its place among those used last: that order decides which notebook forgets its facts
    /// next, and a document taken out of it would keep them until closed.
    fn supersede(&mut self, uri: &Uri) {
        if let Some((_, slot)) = self.analyses.iter().find(|(u, _)| u == uri) {
            slot.cancel();
        }
    }

    /// Cancels a closed document's analysis and takes it out of those used last.
    fn forget_analysis(&mut self, uri: &Uri) {
        if let Some(i) = self.analyses.iter().position(|(u, _)| u == uri) {
            self.analyses.remove(i).1.cancel();
        }
    }

    /// Cancels every analysis: the environment, the settings or the knowledge base changed.
    /// Like [`Session::supersede`], it keeps the order of the documents used last.
    pub fn supersede_all(&mut self) {
        for (_, slot) in &self.analyses {
            slot.cancel();
        }
    }

    pub fn open_text(&mut self, item: TextDocumentItem, kind: SourceKind, path: PathBuf) {
        self.supersede(&item.uri);
        self.texts.insert(
            item.uri,
            TextDoc {
                path,
                kind,
                version: item.version,
                text: item.text,
            },
        );
    }

    /// Applies a text document's changes; false when it is not open.
    pub fn change_text(&mut self, params: &DidChangeTextDocumentParams) -> bool {
        let uri = &params.text_document.uri;
        let encoding = self.encoding;
        let Some(doc) = self.texts.get_mut(uri) else {
            return false;
        };
        for change in &params.content_changes {
            apply_change(&mut doc.text, change, encoding);
        }
        doc.version = params.text_document.version;
        self.supersede(uri);
        true
    }

    /// Closes a text document; true when it was open.
    pub fn close_text(&mut self, uri: &Uri) -> bool {
        self.forget_analysis(uri);
        self.reported_codes.remove(uri);
        self.texts.remove(uri).is_some()
    }

    pub fn open_notebook(&mut self, params: DidOpenNotebookDocumentParams, path: PathBuf) -> Uri {
        let nb = params.notebook_document;
        let texts: HashMap<Uri, TextDocumentItem> = params
            .cell_text_documents
            .into_iter()
            .map(|t| (t.uri.clone(), t))
            .collect();
        let cells: Vec<CellDoc> = nb
            .cells
            .iter()
            .map(|c| {
                let item = texts.get(&c.document);
                CellDoc {
                    uri: c.document.clone(),
                    code: c.kind == NotebookCellKind::CODE
                        && item.is_none_or(|t| t.language_id == "python"),
                    version: item.map_or(0, |t| t.version),
                    text: item.map(|t| t.text.clone()).unwrap_or_default(),
                    execution_order: c
                        .execution_summary
                        .as_ref()
                        .map(|s| i64::from(s.execution_order)),
                    outputs: Vec::new(),
                    ran_on: None,
                    facts: None,
                    masked: None,
                    parse: None,
                    published: None,
                }
            })
            .collect();
        let owner = Arc::new(nb.uri.clone());
        for c in &cells {
            self.cell_owner.insert(c.uri.clone(), owner.clone());
        }
        self.supersede(&nb.uri);
        self.notebooks.insert(
            nb.uri.clone(),
            NotebookDoc {
                path,
                version: nb.version,
                cells,
                signals: None,
            },
        );
        nb.uri
    }

    /// Attaches a notebook's saved outputs (read from its file) to its cells.
    pub fn attach_saved(&mut self, uri: &Uri, saved: &[SavedCell]) {
        if let Some(nb) = self.notebooks.get_mut(uri) {
            nb.attach_saved(saved);
        }
        self.supersede(uri);
    }

    /// Applies a notebook change: structure, cell data and cell texts. Returns the cells that
    /// left the notebook, or `None` when the notebook is not open.
    pub fn change_notebook(&mut self, params: DidChangeNotebookDocumentParams) -> Option<Vec<Uri>> {
        let uri = params.notebook_document.uri;
        let encoding = self.encoding;
        let mut new_owners = Vec::new();
        let mut closed = Vec::new();
        let nb = self.notebooks.get_mut(&uri)?;
        nb.version = params.notebook_document.version;
        if let Some(cells) = params.change.cells {
            if let Some(structure) = cells.structure {
                let opened: HashMap<Uri, TextDocumentItem> = structure
                    .did_open
                    .unwrap_or_default()
                    .into_iter()
                    .map(|t| (t.uri.clone(), t))
                    .collect();
                let start = (structure.array.start as usize).min(nb.cells.len());
                let end = (start + structure.array.delete_count as usize).min(nb.cells.len());
                let removed: Vec<CellDoc> = nb.cells.drain(start..end).collect();
                let inserted: Vec<CellDoc> = structure
                    .array
                    .cells
                    .unwrap_or_default()
                    .into_iter()
                    .map(|c| {
                        let item = opened.get(&c.document);
                        // A cell moved within the notebook keeps its text, outputs and facts.
                        let previous = removed.iter().find(|r| r.uri == c.document);
                        CellDoc {
                            uri: c.document.clone(),
                            code: c.kind == NotebookCellKind::CODE
                                && item.is_none_or(|t| t.language_id == "python"),
                            version: item
                                .map(|t| t.version)
                                .or(previous.map(|p| p.version))
                                .unwrap_or(0),
                            text: item
                                .map(|t| t.text.clone())
                                .or(previous.map(|p| p.text.clone()))
                                .unwrap_or_default(),
                            execution_order: c
                                .execution_summary
                                .as_ref()
                                .map(|s| i64::from(s.execution_order))
                                .or(previous.and_then(|p| p.execution_order)),
                            outputs: previous.map(|p| p.outputs.clone()).unwrap_or_default(),
                            ran_on: previous.and_then(|p| p.ran_on.clone()),
                            facts: if item.is_none() {
                                previous.and_then(|p| p.facts.clone())
                            } else {
                                None
                            },
                            masked: None,
                            parse: None,
                            published: None,
                        }
                    })
                    .collect();
                for r in &removed {
                    if !inserted.iter().any(|c| c.uri == r.uri) {
                        closed.push(r.uri.clone());
                    }
                }
                new_owners.extend(inserted.iter().map(|c| c.uri.clone()));
                nb.cells.splice(start..start, inserted);
            }
            for data in cells.data.unwrap_or_default() {
                if let Some(cell) = nb.cells.iter_mut().find(|c| c.uri == data.document) {
                    if let Some(s) = &data.execution_summary {
                        cell.execution_order = Some(i64::from(s.execution_order));
                    }
                    cell.code = data.kind == NotebookCellKind::CODE;
                    cell.facts = None;
                }
            }
            // Only the edited cells lose their facts; the others' are reused.
            for content in cells.text_content.unwrap_or_default() {
                if let Some(cell) = nb.cells.iter_mut().find(|c| c.uri == content.document.uri) {
                    for change in &content.changes {
                        apply_change(&mut cell.text, change, encoding);
                    }
                    cell.version = content.document.version;
                    cell.facts = None;
                }
            }
        }
        let owner = Arc::new(uri.clone());
        for c in new_owners {
            self.cell_owner.insert(c, owner.clone());
        }
        for c in &closed {
            self.cell_owner.remove(c);
        }
        self.supersede(&uri);
        Some(closed)
    }

    /// Closes a notebook; returns its cells (to clear their diagnostics).
    pub fn close_notebook(&mut self, uri: &Uri) -> Vec<Uri> {
        self.forget_analysis(uri);
        self.reported_codes.remove(uri);
        let cells: Vec<Uri> = self
            .notebooks
            .remove(uri)
            .map(|n| n.cells.into_iter().map(|c| c.uri).collect())
            .unwrap_or_default();
        for c in &cells {
            self.cell_owner.remove(c);
        }
        cells
    }

    /// New settings: new workspaces (and so environments) and, when given, a knowledge base.
    pub fn apply_settings(&mut self, settings: Settings, kb: Option<KnowledgeBase>) {
        self.settings = settings;
        self.workspaces.clear();
        if let Some(kb) = kb {
            self.kb = Arc::new(kb);
        }
        self.supersede_all();
    }

    /// What publishing the environments' own findings needs: each workspace folder (or,
    /// without a folder, each open document's directory, once) with its workspace, and the
    /// codes the open documents report.
    /// What placing the environments' findings reads now, and its run number (see
    /// [`Session::environment_runs`]).
    pub fn environment_job(&mut self) -> (EnvironmentJob, u64) {
        self.environment_runs += 1;
        (self.environment_job_now(), self.environment_runs)
    }

    fn environment_job_now(&mut self) -> EnvironmentJob {
        let open: Vec<(PathBuf, HashSet<String>)> = self.reported_codes.values().cloned().collect();
        let mut dirs = self.folders.clone();
        if dirs.is_empty() {
            for (dir, _) in &open {
                if !dirs.contains(dir) {
                    dirs.push(dir.clone());
                }
            }
        }
        let dirs = dirs
            .into_iter()
            .map(|f| {
                let ws = self.workspace_for(&f.join("_"));
                (f, ws)
            })
            .collect();
        EnvironmentJob {
            dirs,
            kb: self.kb.clone(),
            encoding: self.encoding,
            open,
            rule_documents: self.features.rule_documents,
        }
    }

    /// Of a notebook version's diagnostics per cell, those its client does not have yet: a cell
    /// whose version and diagnostics are those it was last sent is left out, so that an edit
    /// in one cell sends that cell (and any other whose findings changed) rather than every
    /// cell, as rust-analyzer sends only the files whose diagnostics changed. What is returned
    /// is recorded as sent. A file's diagnostics are always sent.
    pub fn unpublished(
        &mut self,
        uri: &Uri,
        per_target: Vec<(Uri, Vec<Diagnostic>, i32)>,
    ) -> Vec<(Uri, Vec<Diagnostic>, i32)> {
        let Some(nb) = self.notebooks.get_mut(uri) else {
            return per_target;
        };
        // Targets come in cell order: a cursor finds each cell in one pass.
        let mut cursor = 0;
        let cells = &mut nb.cells;
        per_target
            .into_iter()
            .filter(|(target, list, version)| {
                let Some(i) = (cursor..cells.len())
                    .chain(0..cursor)
                    .find(|&i| cells[i].uri == *target)
                else {
                    return true;
                };
                cursor = i + 1;
                let sent = fingerprint(list).map(|f| (*version, f));
                let unchanged = sent.is_some() && cells[i].published == sent;
                cells[i].published = sent;
                !unchanged
            })
            .collect()
    }

    /// Records the codes a document version reported; true when they differ from before (the
    /// environments' own findings then need placing again).
    pub fn record_reported(&mut self, uri: &Uri, path: &Path, codes: HashSet<String>) -> bool {
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let entry = (dir, codes);
        let changed = self.reported_codes.get(uri) != Some(&entry);
        self.reported_codes.insert(uri.clone(), entry);
        changed
    }

    /// Forgets every environment read so far (files on disk changed).
    pub fn invalidate_environments(&mut self) {
        for w in self.workspaces.values() {
            w.invalidate();
        }
        self.supersede_all();
    }
}

/// A fingerprint of a list of diagnostics as the user sees them: everything but `data`, whose
/// offsets and version belong to the notebook version the list was built for, so an edit in
/// one cell would change every cell's. Code actions never trust a client's `data`; they take
/// the fixes of the finding the current analysis shows in the same place. `None` when a list
/// cannot be serialized, which then counts as never sent.
fn fingerprint(list: &[Diagnostic]) -> Option<u64> {
    use std::hash::Hasher;
    /// Feeds what is serialized to the hasher, without building the text.
    struct Hashing<'h>(&'h mut std::hash::DefaultHasher);
    impl std::io::Write for Hashing<'_> {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.write(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut hasher = std::hash::DefaultHasher::new();
    for d in list {
        // Every field named, so that one added to `Diagnostic` must be placed here or left out
        // on purpose.
        let Diagnostic {
            range,
            severity,
            code,
            code_description,
            source,
            message,
            related_information,
            tags,
            data: _,
        } = d;
        let shown = (
            range,
            severity,
            code,
            code_description,
            source,
            message,
            related_information,
            tags,
        );
        serde_json::to_writer(Hashing(&mut hasher), &shown).ok()?;
    }
    hasher.write_usize(list.len());
    Some(hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::super::snapshot::INLINE_ANALYSIS_BUDGET;
    use super::*;
    use std::time::Duration;

    fn open(session: &mut Session, dir: &Path, text: &str) -> Uri {
        let path = dir.join("train.py");
        let uri = Uri::from_file_path(&path).unwrap();
        let item = TextDocumentItem {
            uri: uri.clone(),
            language_id: "python".into(),
            version: 1,
            text: text.into(),
        };
        session.open_text(item, SourceKind::Script, path);
        uri
    }

    /// A change that replaces a file's whole text.
    fn whole_text_change(uri: &Uri, version: i32, text: &str) -> DidChangeTextDocumentParams {
        DidChangeTextDocumentParams {
            text_document: VersionedTextDocumentIdentifier {
                uri: uri.clone(),
                version,
            },
            content_changes: vec![TextDocumentContentChangeEvent {
                range: None,
                range_length: None,
                text: text.into(),
            }],
        }
    }

    fn open_notebook(session: &mut Session, dir: &Path, name: &str, cells: &[&str]) -> Uri {
        let path = dir.join(name);
        let uri = Uri::from_file_path(&path).unwrap();
        let cell_uri = |i: usize| format!("vscode-notebook-cell:{}#C{i}", path.display());
        let params = DidOpenNotebookDocumentParams {
            notebook_document: NotebookDocument {
                uri: uri.clone(),
                notebook_type: "jupyter-notebook".into(),
                version: 1,
                metadata: None,
                cells: (0..cells.len())
                    .map(|i| NotebookCell {
                        kind: NotebookCellKind::CODE,
                        document: cell_uri(i).parse().unwrap(),
                        metadata: None,
                        execution_summary: None,
                    })
                    .collect(),
            },
            cell_text_documents: cells
                .iter()
                .enumerate()
                .map(|(i, text)| TextDocumentItem {
                    uri: cell_uri(i).parse().unwrap(),
                    language_id: "python".into(),
                    version: 1,
                    text: text.to_string(),
                })
                .collect(),
        };
        session.open_notebook(params, path)
    }

    #[test]
    fn a_notebook_sends_only_the_cells_whose_version_or_diagnostics_changed() {
        let dir = std::env::temp_dir().join(format!("tunelint-sent-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut session = Session::new(KnowledgeBase::embedded());
        let cells = ["import peft\n", "x = 1\n", "from trl import SFTTrainer\n"];
        let uri = open_notebook(&mut session, &dir, "sent.ipynb", &cells);
        let cell = |i: usize| session.notebooks[&uri].cells[i].uri.clone();
        let (a, b, c) = (cell(0), cell(1), cell(2));
        let finding = |message: &str| Diagnostic {
            message: message.into(),
            ..Default::default()
        };
        let sent = |list: Vec<(Uri, Vec<Diagnostic>, i32)>| -> Vec<Uri> {
            list.into_iter().map(|(u, _, _)| u).collect()
        };
        let round = |a_version: i32, c_message: &str| {
            vec![
                (a.clone(), vec![finding("UNS001")], a_version),
                (b.clone(), Vec::new(), 1),
                (c.clone(), vec![finding(c_message)], 1),
            ]
        };
        // First publish: every cell.
        assert_eq!(
            sent(session.unpublished(&uri, round(1, "TRL001"))),
            [a.clone(), b.clone(), c.clone()]
        );
        // The same version of every cell with the same diagnostics: nothing.
        assert!(session.unpublished(&uri, round(1, "TRL001")).is_empty());
        // A new version of one cell: that cell, even when its diagnostics are the same (its
        // version is what the client files them under).
        assert_eq!(
            sent(session.unpublished(&uri, round(2, "TRL001"))),
            vec![a.clone()]
        );
        // Another cell's diagnostics changed (an edit elsewhere changed what it reports): that cell.
        assert_eq!(
            sent(session.unpublished(&uri, round(2, "TRL002"))),
            vec![c.clone()]
        );
        // A file is always sent.
        let file = Uri::from_file_path(dir.join("train.py")).unwrap();
        let once = vec![(file.clone(), Vec::new(), 1)];
        assert_eq!(
            sent(session.unpublished(&file, once.clone())),
            vec![file.clone()]
        );
        assert_eq!(sent(session.unpublished(&file, once)), [file]);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn an_edit_re_reads_one_cell_and_a_notebook_left_behind_forgets_its_facts() {
        let dir = std::env::temp_dir().join(format!("tunelint-facts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut session = Session::new(KnowledgeBase::embedded());
        let cells = ["import peft\n", "from trl import SFTTrainer\n"];
        let uris: Vec<Uri> = (0..=KEPT_ANALYSES)
            .map(|i| open_notebook(&mut session, &dir, &format!("n{i}.ipynb"), &cells))
            .collect();
        let held = |s: &Session, u: &Uri| s.notebooks[u].cells_with_facts();
        for uri in &uris {
            assert_eq!(held(&session, uri), 0, "nothing is read before an analysis");
            session.snapshot(uri).unwrap();
            assert_eq!(held(&session, uri), 2);
        }
        // The first notebook is now the one used longest ago beyond the kept ones.
        assert_eq!(held(&session, &uris[0]), 0);
        assert_eq!(held(&session, &uris[1]), 2);

        // An edit of the second cell of the newest notebook forgets that cell only.
        let newest = uris.last().unwrap().clone();
        let cell = session.notebooks[&newest].cells[1].uri.clone();
        let change = DidChangeNotebookDocumentParams {
            notebook_document: VersionedNotebookDocumentIdentifier {
                uri: newest.clone(),
                version: 2,
            },
            change: NotebookDocumentChangeEvent {
                metadata: None,
                cells: Some(NotebookDocumentCellChange {
                    structure: None,
                    data: None,
                    text_content: Some(vec![NotebookDocumentChangeTextContent {
                        document: VersionedTextDocumentIdentifier {
                            uri: cell,
                            version: 2,
                        },
                        changes: vec![TextDocumentContentChangeEvent {
                            range: None,
                            range_length: None,
                            text: "import trl\n".into(),
                        }],
                    }]),
                }),
            },
        };
        // A notebook analysed keeps what its outputs say, ready for its first edit; one whose
        // facts were forgotten does not.
        let memo = session.notebooks[&newest].signals.clone().unwrap();
        assert!(session.notebooks[&uris[0]].signals.is_none());
        assert!(session.notebooks[&newest]
            .cells
            .iter()
            .all(|c| c.masked.is_some()));
        session.change_notebook(change).unwrap();
        assert_eq!(held(&session, &newest), 1);
        let snap = session.snapshot(&newest).unwrap();
        assert_eq!(held(&session, &newest), 2);
        assert!(snap.analyzed().is_ok());
        // The edit kept the memo the opening made; new outputs start afresh.
        assert!(Arc::ptr_eq(
            &memo,
            session.notebooks[&newest].signals.as_ref().unwrap()
        ));
        session.attach_saved(&newest, &[]);
        assert!(session.notebooks[&newest].signals.is_none());

        // The forgotten notebook reads its facts again when it is analysed again, and the one
        // used longest ago forgets its own.
        let again = session.snapshot(&uris[0]).unwrap();
        assert_eq!(held(&session, &uris[0]), 2);
        assert!(again.analyzed().is_ok());
        assert_eq!(held(&session, &uris[1]), 0);

        // Settings or the environment changing cancel every analysis but keep the order of
        // the notebooks used last: analysing one more still makes the oldest forget its facts
        // (its masks and its outputs' memo with them), and none is held outside the bound.
        session.supersede_all();
        session.snapshot(&uris[1]).unwrap();
        assert_eq!(held(&session, &uris[2]), 0);
        assert!(session.notebooks[&uris[2]].signals.is_none());
        let holding = uris.iter().filter(|u| held(&session, u) > 0).count();
        assert_eq!(holding, KEPT_ANALYSES);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn one_version_is_analysed_once_and_a_change_cancels_it() {
        let dir = std::env::temp_dir().join(format!("tunelint-session-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut session = Session::new(KnowledgeBase::embedded());
        let uri = open(&mut session, &dir, "import peft\n");
        let first = session.snapshot(&uri).unwrap();
        let second = session.snapshot(&uri).unwrap();
        assert!(Arc::ptr_eq(&first.slot, &second.slot));
        assert!(first.analyzed().is_ok());
        assert!(
            second.slot.is_analyzed(),
            "the second request reuses the first analysis"
        );

        let change = whole_text_change(&uri, 2, "import trl\n");
        let pending = session.snapshot(&uri).unwrap();
        assert!(session.change_text(&change));
        assert!(first.slot.is_cancelled() && pending.slot.is_cancelled());
        let newer = session.snapshot(&uri).unwrap();
        assert_eq!(newer.version(), 2);
        assert!(!newer.slot.is_analyzed());
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_version_is_quick_only_when_the_edit_before_it_was_quick() {
        let dir = std::env::temp_dir().join(format!("tunelint-quick-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut session = Session::new(KnowledgeBase::embedded());
        let uri = open(&mut session, &dir, "import peft\n");
        let mut version = 1;
        let mut edit = |session: &mut Session, text: &str| {
            version += 1;
            session.change_text(&whole_text_change(&uri, version, text));
            session.snapshot(&uri).unwrap()
        };
        let first = session.snapshot(&uri).unwrap();
        assert!(!first.slot.is_quick(), "a first version's time is unknown");
        first.analyzed().unwrap();
        let took = first.slot.analysis_time();
        assert!(took.is_some(), "an analysis records its time");
        let second = edit(&mut session, "import trl\n");
        assert_eq!(second.slot.analysis_time(), took);

        let a_millisecond = Duration::from_millis(1);
        second.slot.assume_analysis_took(a_millisecond);
        // Texts of one length, so that the expectation is the time itself.
        let third = edit(&mut session, "import trl\n");
        assert!(third.slot.is_quick(), "the version before was quick");
        // Superseded before it ran, a version passes its expectation on.
        let fourth = edit(&mut session, "import trl\n");
        assert!(!third.slot.is_analyzed() && fourth.slot.is_quick());
        // A paste that makes the text ten times longer is expected to take ten times longer.
        let pasted = edit(&mut session, &"import trl\n".repeat(10));
        assert_eq!(pasted.slot.analysis_time(), Some(a_millisecond * 10));
        assert!(!pasted.slot.is_quick());

        // The same version analysed again after new settings or environments re-reads what
        // edits keep, so it expects nothing.
        let fifth = edit(&mut session, "import trl\n");
        fifth.slot.assume_analysis_took(a_millisecond);
        session.supersede_all();
        let again = session.snapshot(&uri).unwrap();
        assert_eq!(again.version(), fifth.version());
        assert!(!again.slot.is_quick(), "the same version analysed again");

        let slow = edit(&mut session, "import trl\n");
        slow.slot
            .assume_analysis_took(INLINE_ANALYSIS_BUDGET + a_millisecond);
        assert!(
            !edit(&mut session, "import peft\n").slot.is_quick(),
            "the version before was slow"
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}
