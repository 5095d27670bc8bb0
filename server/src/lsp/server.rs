//! The server's state and its protocol handlers.
//!
//! Handlers change the session state synchronously, before their first `.await`, under a
//! `std::sync::Mutex` that is never held across an await. Reading environments and saved
//! notebooks (blocking IO) and the analysis itself run on tokio's blocking pool; a panic there
//! is caught, logged to stderr and the client, and the server keeps running.

use super::code_actions;
use super::diagnostics::{to_diagnostics, Publish, Target};
use super::documents::{read_saved_cells, CellDoc, NotebookDoc, TextDoc};
use super::from_lsp::apply_change;
use super::hover;
use super::Encoding;
use crate::kb::KnowledgeBase;
use crate::source::{Document, SourceKind};
use crate::workspace::{Overrides, Workspace};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

pub const RELOAD_COMMAND: &str = "tunelint.reloadEnvironment";
pub const FIX_ALL_KIND: CodeActionKind = CodeActionKind::new("source.fixAll.tunelint");

/// Settings from `initializationOptions` and `workspace/configuration` (section `tunelint`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    pub python: Option<PathBuf>,
    pub env_file: Option<PathBuf>,
    pub advisories: Option<PathBuf>,
}

impl Settings {
    fn from_json(v: &Value) -> Settings {
        let path = |k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(PathBuf::from)
        };
        Settings {
            python: path("python"),
            env_file: path("envFile"),
            advisories: path("advisories"),
        }
    }
}

/// What the client can do beyond plain LSP (declared by the VS Code extension).
#[derive(Clone, Debug, Default)]
pub struct ClientFeatures {
    pub insert_cell_command: bool,
    pub terminal_commands: bool,
    pub document_changes: bool,
    pub configuration: bool,
    pub watch_files: bool,
    /// Opens `tunelint-rule:` links by asking `tunelint/rule`.
    pub rule_documents: bool,
}

#[derive(Default)]
pub struct State {
    pub encoding: Encoding,
    pub features: ClientFeatures,
    pub settings: Settings,
    pub texts: HashMap<Uri, TextDoc>,
    pub notebooks: HashMap<Uri, NotebookDoc>,
    /// Cell URI → the notebook that holds it.
    pub cell_owner: HashMap<Uri, Uri>,
    pub folders: Vec<PathBuf>,
    pub workspaces: HashMap<PathBuf, Arc<Workspace>>,
    pub kb: Arc<KnowledgeBase>,
    pub shut_down: bool,
    /// The environment files (a snapshot, distributions' METADATA) that hold diagnostics about
    /// the environment itself, so that a later publish can clear those that are gone.
    pub environment_files: Vec<Uri>,
    /// For each open document: its directory and the codes its last analysis reported or
    /// silenced. An environment problem an open file already reports is not published again
    /// on the environment's files.
    pub reported_codes: HashMap<Uri, (PathBuf, std::collections::HashSet<String>)>,
}

impl State {
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
}

pub struct Backend {
    client: Client,
    state: Arc<Mutex<State>>,
}

/// What one analysis needs, taken from the state under the lock.
pub(super) struct Job {
    pub doc_uri: Uri,
    pub version: i32,
    pub path: PathBuf,
    pub doc: Document,
    pub facts: Option<crate::syntax::PythonFacts>,
    /// The URIs and ranges of the parts diagnostics are published on, with their versions.
    pub targets: Vec<(Uri, crate::text::TextRange)>,
    pub target_versions: Vec<i32>,
    pub workspace: Arc<Workspace>,
    pub kb: Arc<KnowledgeBase>,
    pub encoding: Encoding,
    pub features: ClientFeatures,
}

/// Builds the analysis job for a file, a notebook, or a notebook cell URI (which stands for its
/// notebook) from the current state.
pub(super) fn snapshot(state: &Mutex<State>, uri: &Uri) -> Option<Job> {
    let mut st = lock(state);
    let uri = st
        .cell_owner
        .get(uri)
        .cloned()
        .unwrap_or_else(|| uri.clone());
    let encoding = st.encoding;
    let kb = st.kb.clone();
    let features = st.features.clone();
    if let Some(t) = st.texts.get(&uri).cloned() {
        let workspace = st.workspace_for(&t.path);
        let doc = t.document();
        let len = doc.text.len();
        return Some(Job {
            doc_uri: uri.clone(),
            version: t.version,
            path: t.path,
            doc,
            facts: None,
            targets: vec![(uri.clone(), crate::text::TextRange::new(0, len))],
            target_versions: vec![t.version],
            workspace,
            kb,
            encoding,
            features,
        });
    }
    let path = st.notebooks.get(&uri)?.path.clone();
    let workspace = st.workspace_for(&path);
    let nb = st.notebooks.get_mut(&uri)?;
    let (doc, facts) = nb.document();
    let notebook = doc.notebook.as_ref()?;
    let targets = notebook
        .map
        .spans
        .iter()
        .map(|s| (nb.cells[s.cell].uri.clone(), s.range))
        .collect();
    let target_versions = notebook
        .map
        .spans
        .iter()
        .map(|s| nb.cells[s.cell].version)
        .collect();
    Some(Job {
        doc_uri: uri.clone(),
        version: nb.version,
        path,
        doc,
        facts: Some(facts),
        targets,
        target_versions,
        workspace,
        kb,
        encoding,
        features,
    })
}

pub(super) fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

/// What an opened text document is. A Python document is a script whatever its name: clients
/// such as jupyterlab-lsp send a whole notebook as one Python text under the notebook's name
/// (real notebooks arrive through `notebookDocument/*` instead).
pub fn kind_of(uri: &Uri, language_id: &str) -> Option<SourceKind> {
    let path = uri.to_file_path()?;
    if language_id == "python" {
        return Some(SourceKind::Script);
    }
    SourceKind::from_path(&path)
}

impl Backend {
    pub fn new(client: Client) -> Backend {
        let state = State {
            kb: Arc::new(KnowledgeBase::embedded()),
            ..Default::default()
        };
        Backend {
            client,
            state: Arc::new(Mutex::new(state)),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    fn current_version(&self, uri: &Uri) -> Option<i32> {
        let st = self.state();
        st.texts
            .get(uri)
            .map(|t| t.version)
            .or_else(|| st.notebooks.get(uri).map(|n| n.version))
    }

    /// Analyses a document off the async runtime and publishes its diagnostics, unless the
    /// document changed meanwhile (a newer analysis will publish).
    async fn refresh(&self, uri: Uri) {
        let Some(job) = snapshot(&self.state, &uri) else {
            return;
        };
        let Job {
            doc_uri,
            version,
            path,
            doc,
            facts,
            targets,
            workspace,
            kb,
            encoding,
            features,
            ..
        } = job;
        let rule_documents = features.rule_documents;
        let result = tokio::task::spawn_blocking(move || {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                workspace.analyze(&path, &doc, facts, &kb)
            }));
            match outcome {
                Ok(analysis) => {
                    let t: Vec<Target> = targets
                        .iter()
                        .map(|(u, r)| Target { uri: u, range: *r })
                        .collect();
                    let codes: std::collections::HashSet<String> = analysis
                        .findings
                        .iter()
                        .chain(&analysis.suppressed)
                        .map(|f| f.code.clone())
                        .collect();
                    let sorted = workspace.sort_by_visibility(&path, analysis.findings, &kb);
                    let publish = Publish {
                        doc_uri: &doc_uri,
                        version,
                        encoding,
                        kb: &kb,
                        rule_documents,
                    };
                    let diagnostics = to_diagnostics(&doc, &sorted, &t, &publish);
                    Ok((diagnostics, codes, path))
                }
                Err(p) => Err(panic_message(&*p)),
            }
        })
        .await;
        let (publishes, codes, path) = match result {
            Ok(Ok(p)) => p,
            Ok(Err(message)) => {
                eprintln!(
                    "tunelint: internal error while checking {}: {message}",
                    uri.as_str()
                );
                self.client
                    .log_message(
                        MessageType::ERROR,
                        format!("internal error while checking {}: {message}", uri.as_str()),
                    )
                    .await;
                return;
            }
            Err(e) => {
                eprintln!("tunelint: analysis task failed: {e}");
                return;
            }
        };
        if self.current_version(&uri) != Some(version) {
            return;
        }
        for (cell_uri, diagnostics) in publishes {
            let v = self.cell_version(&cell_uri).or(Some(version));
            self.client
                .publish_diagnostics(cell_uri, diagnostics, v)
                .await;
        }
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let changed = {
            let mut st = self.state();
            let entry = (dir, codes);
            let changed = st.reported_codes.get(&uri) != Some(&entry);
            st.reported_codes.insert(uri, entry);
            changed
        };
        if changed {
            self.publish_environment_findings().await;
        }
    }

    fn cell_version(&self, uri: &Uri) -> Option<i32> {
        let st = self.state();
        if let Some(t) = st.texts.get(uri) {
            return Some(t.version);
        }
        let owner = st.cell_owner.get(uri)?;
        st.notebooks
            .get(owner)?
            .cells
            .iter()
            .find(|c| &c.uri == uri)
            .map(|c| c.version)
    }

    async fn refresh_all(&self) {
        let uris: Vec<Uri> = {
            let st = self.state();
            st.texts
                .keys()
                .chain(st.notebooks.keys())
                .cloned()
                .collect()
        };
        for uri in uris {
            self.refresh(uri).await;
        }
        self.publish_environment_findings().await;
    }

    /// Publishes what each workspace folder's environment (or, without a folder, each open
    /// document's) breaks on its own, whatever the
    /// code (a known-bad pair, a table row, an unmet `Requires-Dist`), on the environment's own
    /// files: the `pip freeze` snapshot's line, or the distribution's METADATA. One diagnostic
    /// per problem, however many open files import the packages; files that no longer hold
    /// one are cleared.
    async fn publish_environment_findings(&self) {
        let (jobs, kb, encoding, open, rule_documents) = {
            let mut st = self.state();
            let open: Vec<(PathBuf, std::collections::HashSet<String>)> =
                st.reported_codes.values().cloned().collect();
            // Without a workspace folder (a single file opened), the environments are those
            // the open documents use, each once.
            let mut dirs = st.folders.clone();
            if dirs.is_empty() {
                for (dir, _) in &open {
                    if !dirs.contains(dir) {
                        dirs.push(dir.clone());
                    }
                }
            }
            let jobs: Vec<(PathBuf, Arc<Workspace>)> = dirs
                .into_iter()
                .map(|f| {
                    let ws = st.workspace_for(&f.join("_"));
                    (f, ws)
                })
                .collect();
            (
                jobs,
                st.kb.clone(),
                st.encoding,
                open,
                st.features.rule_documents,
            )
        };
        let publishes = tokio::task::spawn_blocking(move || {
            let mut out: Vec<(Uri, Vec<Diagnostic>)> = Vec::new();
            let mut done: Vec<Arc<crate::evidence::Environment>> = Vec::new();
            for (dir, workspace) in jobs {
                let env = workspace.environment_for(&dir);
                if done.iter().any(|d| Arc::ptr_eq(d, &env)) {
                    continue;
                }
                done.push(env.clone());
                let reported_by_open_files = |env: &Arc<crate::evidence::Environment>| {
                    open.iter()
                        .filter(|(dir, _)| Arc::ptr_eq(&workspace.environment_for(dir), env))
                        .flat_map(|(_, codes)| codes.iter().cloned())
                        .collect()
                };
                let placed = crate::workspace::place_environment_findings(
                    &[env],
                    &workspace,
                    &kb,
                    &reported_by_open_files,
                );
                for file in placed {
                    let Some(uri) = Uri::from_file_path(&file.path) else {
                        continue;
                    };
                    let doc = Document::from_text(SourceKind::Requirements, file.text);
                    let target = Target {
                        uri: &uri,
                        range: crate::text::TextRange::new(0, doc.text.len()),
                    };
                    let sorted = crate::workspace::SortedFindings {
                        shown: file.findings,
                        advice: file.advice,
                        ignored: Vec::new(),
                    };
                    let publish = Publish {
                        doc_uri: &uri,
                        version: 0,
                        encoding,
                        kb: &kb,
                        rule_documents,
                    };
                    let diagnostics = to_diagnostics(&doc, &sorted, &[target], &publish);
                    out.extend(diagnostics);
                }
            }
            out
        })
        .await
        .unwrap_or_default();
        let stale: Vec<Uri> = {
            let mut st = self.state();
            let now: Vec<Uri> = publishes.iter().map(|(u, _)| u.clone()).collect();
            let before = std::mem::replace(&mut st.environment_files, now.clone());
            before.into_iter().filter(|u| !now.contains(u)).collect()
        };
        for uri in stale {
            self.client.publish_diagnostics(uri, Vec::new(), None).await;
        }
        for (uri, diagnostics) in publishes {
            self.client
                .publish_diagnostics(uri, diagnostics, None)
                .await;
        }
    }

    /// Re-reads a notebook's saved outputs from disk, then re-checks it.
    async fn reload_saved(&self, uri: Uri) {
        let path = { self.state().notebooks.get(&uri).map(|n| n.path.clone()) };
        let Some(path) = path else { return };
        let saved = tokio::task::spawn_blocking(move || read_saved_cells(&path))
            .await
            .unwrap_or_default();
        {
            let mut st = self.state();
            if let Some(nb) = st.notebooks.get_mut(&uri) {
                nb.attach_saved(&saved);
            }
        }
        self.refresh(uri).await;
    }

    /// Applies settings: new workspaces (and so environments) and a reloaded knowledge base.
    async fn apply_settings(&self, settings: Settings) {
        let dir = settings.advisories.clone();
        let kb = match dir {
            Some(dir) => {
                let loaded = tokio::task::spawn_blocking(move || {
                    let mut kb = KnowledgeBase::embedded();
                    crate::workspace::read_advisory_dir(&dir)
                        .map_err(|e| format!("cannot read advisories from {}: {e}", dir.display()))
                        .and_then(|files| {
                            kb.extend_from(&files).map_err(|errs| {
                                errs.iter()
                                    .map(ToString::to_string)
                                    .collect::<Vec<_>>()
                                    .join("; ")
                            })?;
                            Ok(kb)
                        })
                })
                .await;
                match loaded {
                    Ok(Ok(kb)) => Some(Arc::new(kb)),
                    Ok(Err(message)) => {
                        self.client
                            .show_message(MessageType::ERROR, format!("tunelint: {message}"))
                            .await;
                        None
                    }
                    Err(_) => None,
                }
            }
            None => Some(Arc::new(KnowledgeBase::embedded())),
        };
        {
            let mut st = self.state();
            st.settings = settings;
            st.workspaces.clear();
            if let Some(kb) = kb {
                st.kb = kb;
            }
        }
        self.refresh_all().await;
    }

    async fn pull_configuration(&self) {
        if !self.state().features.configuration {
            return;
        }
        let items = vec![ConfigurationItem {
            scope_uri: None,
            section: Some("tunelint".into()),
        }];
        if let Ok(values) = self.client.configuration(items).await {
            if let Some(v) = values.first().filter(|v| v.is_object()) {
                let mut settings = Settings::from_json(v);
                let current = self.state().settings.clone();
                // Settings the client does not know keep their initialization values.
                settings.python = settings.python.or(current.python.clone());
                settings.env_file = settings.env_file.or(current.env_file.clone());
                settings.advisories = settings.advisories.or(current.advisories.clone());
                if settings != current {
                    self.apply_settings(settings).await;
                }
            }
        }
    }

    /// `tunelint/environment`: the environment table for a document (or the first workspace
    /// folder), as `tunelint env --format json` prints it.
    pub async fn environment(&self, params: Value) -> Result<Value> {
        self.guarded_request("tunelint/environment", async {
            let uri = params
                .get("uri")
                .and_then(Value::as_str)
                .and_then(|u| u.parse::<Uri>().ok());
            let (path, workspace, kb) = {
                let mut st = self.state();
                let owner = uri
                    .as_ref()
                    .map(|u| st.cell_owner.get(u).cloned().unwrap_or_else(|| u.clone()));
                let path = owner
                    .and_then(|u| u.to_file_path().map(|p| p.into_owned()))
                    .or_else(|| st.folders.first().map(|f| f.join("_")))
                    .unwrap_or_else(|| PathBuf::from("./_"));
                let workspace = st.workspace_for(&path);
                (path, workspace, st.kb.clone())
            };
            let value = tokio::task::spawn_blocking(move || {
                let dir = path.parent().unwrap_or(Path::new("."));
                let env = workspace.environment_for(dir);
                let project = workspace.project_files_for(dir);
                crate::check::EnvironmentReport::new(
                    &env,
                    &project,
                    &kb,
                    dir,
                    &workspace.display(dir),
                )
                .to_json(&env, &kb)
            })
            .await
            .map_err(|e| Error {
                code: ErrorCode::InternalError,
                message: e.to_string().into(),
                data: None,
            })?;
            Ok(value)
        })
        .await
    }

    /// `tunelint/rule`: an advisory's page (as `tunelint rule` prints it) for a code or a
    /// `tunelint-rule:CODE.md` URI, so that a diagnostic's code link opens it.
    pub async fn rule(&self, params: Value) -> Result<Value> {
        self.guarded_request("tunelint/rule", async {
            let asked = params
                .get("code")
                .or_else(|| params.get("uri"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            let code = asked
                .strip_prefix(super::diagnostics::RULE_SCHEME)
                .map(|rest| rest.trim_start_matches([':', '/']))
                .unwrap_or(asked)
                .trim_end_matches(".md")
                .to_string();
            let kb = self.state().kb.clone();
            let (advisory, retired) = match kb.get(&code) {
                Some(a) => (a, None),
                None => match kb.alias_target(&code) {
                    Some(a) => (a, Some(code.as_str())),
                    None => {
                        return Err(Error {
                            code: ErrorCode::InvalidParams,
                            message: format!("no advisory `{code}`").into(),
                            data: None,
                        })
                    }
                },
            };
            let text = crate::render::rule_page(advisory, retired, &kb);
            Ok(serde_json::json!({ "code": advisory.id, "text": text }))
        })
        .await
    }

    async fn guarded<F: std::future::Future<Output = ()>>(&self, what: &str, f: F) {
        use futures::FutureExt;
        if let Err(p) = std::panic::AssertUnwindSafe(f).catch_unwind().await {
            let message = panic_message(&*p);
            eprintln!("tunelint: internal error in {what}: {message}");
            self.client
                .log_message(
                    MessageType::ERROR,
                    format!("tunelint internal error in {what}: {message}"),
                )
                .await;
        }
    }

    async fn guarded_request<T, F: std::future::Future<Output = Result<T>>>(
        &self,
        what: &str,
        f: F,
    ) -> Result<T> {
        use futures::FutureExt;
        match std::panic::AssertUnwindSafe(f).catch_unwind().await {
            Ok(r) => r,
            Err(p) => {
                let message = panic_message(&*p);
                eprintln!("tunelint: internal error in {what}: {message}");
                Err(Error {
                    code: ErrorCode::InternalError,
                    message: format!("internal error in {what}: {message}").into(),
                    data: None,
                })
            }
        }
    }

    fn open_notebook(&self, params: DidOpenNotebookDocumentParams) -> Option<Uri> {
        let nb = params.notebook_document;
        let Some(path) = nb.uri.to_file_path().map(|p| p.into_owned()) else {
            let scheme = nb.uri.scheme().as_str();
            eprintln!(
                "tunelint: notebookDocument/didOpen: {} is not a file on this machine (scheme `{scheme}`), so it is not checked; save it to a local file",
                nb.uri.as_str()
            );
            return None;
        };
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
                }
            })
            .collect();
        let mut st = self.state();
        for c in &cells {
            st.cell_owner.insert(c.uri.clone(), nb.uri.clone());
        }
        st.notebooks.insert(
            nb.uri.clone(),
            NotebookDoc {
                path,
                version: nb.version,
                cells,
            },
        );
        Some(nb.uri)
    }

    fn change_notebook(&self, params: DidChangeNotebookDocumentParams) -> Option<Uri> {
        let uri = params.notebook_document.uri;
        let mut st = self.state();
        let encoding = st.encoding;
        let mut new_owners = Vec::new();
        let mut closed = Vec::new();
        {
            let nb = st.notebooks.get_mut(&uri)?;
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
                            // A cell moved within the notebook keeps its text and outputs.
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
                                facts: None,
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
                for content in cells.text_content.unwrap_or_default() {
                    if let Some(cell) = nb.cells.iter_mut().find(|c| c.uri == content.document.uri)
                    {
                        for change in &content.changes {
                            apply_change(&mut cell.text, change, encoding);
                        }
                        cell.version = content.document.version;
                        cell.facts = None;
                    }
                }
            }
        }
        for c in new_owners {
            st.cell_owner.insert(c, uri.clone());
        }
        for c in &closed {
            st.cell_owner.remove(c);
        }
        drop(st);
        Some(uri)
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let caps = &params.capabilities;
        let utf8 = caps
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.as_ref())
            .is_some_and(|v| v.contains(&PositionEncodingKind::UTF8));
        let options = params.initialization_options.clone().unwrap_or(Value::Null);
        let settings = Settings::from_json(&options);
        let workspace_caps = caps.workspace.as_ref();
        let features = ClientFeatures {
            insert_cell_command: options
                .get("insertCellCommand")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            terminal_commands: options
                .get("terminalCommands")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            rule_documents: options
                .get("ruleDocuments")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            document_changes: workspace_caps
                .and_then(|w| w.workspace_edit.as_ref())
                .and_then(|e| e.document_changes)
                .unwrap_or(false),
            configuration: workspace_caps
                .and_then(|w| w.configuration)
                .unwrap_or(false),
            watch_files: workspace_caps
                .and_then(|w| w.did_change_watched_files.as_ref())
                .and_then(|d| d.dynamic_registration)
                .unwrap_or(false),
        };
        let mut folders: Vec<PathBuf> = params
            .workspace_folders
            .iter()
            .flatten()
            .filter_map(|f| f.uri.to_file_path().map(|p| p.into_owned()))
            .collect();
        #[allow(deprecated)]
        if folders.is_empty() {
            if let Some(root) = params.root_uri.as_ref().and_then(|u| u.to_file_path()) {
                folders.push(root.into_owned());
            }
        }
        let advisories = settings.advisories.clone();
        {
            let mut st = self.state();
            st.encoding = if utf8 {
                Encoding::Utf8
            } else {
                Encoding::Utf16
            };
            st.features = features;
            st.settings = settings;
            st.folders = folders;
        }
        if advisories.is_some() {
            let s = self.state().settings.clone();
            self.apply_settings(s).await;
        }
        let sync = TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(TextDocumentSyncKind::INCREMENTAL),
            save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                include_text: Some(false),
            })),
            ..Default::default()
        };
        Ok(InitializeResult {
            capabilities: ServerCapabilities {
                position_encoding: Some(if utf8 {
                    PositionEncodingKind::UTF8
                } else {
                    PositionEncodingKind::UTF16
                }),
                text_document_sync: Some(TextDocumentSyncCapability::Options(sync)),
                notebook_document_sync: Some(OneOf::Left(NotebookDocumentSyncOptions {
                    // Every cell, markdown included: a client filters the cells it syncs by
                    // this selector (vscode-languageclient drops non-matching cells from the
                    // notebook's own cell list), and a notebook's cell numbers and the index
                    // of an inserted cell only mean something among all of its cells.
                    notebook_selector: vec![NotebookSelector::ByNotebook {
                        notebook: Notebook::String("jupyter-notebook".into()),
                        cells: None,
                    }],
                    save: Some(true),
                })),
                code_action_provider: Some(CodeActionProviderCapability::Options(
                    CodeActionOptions {
                        code_action_kinds: Some(vec![CodeActionKind::QUICKFIX, FIX_ALL_KIND]),
                        ..Default::default()
                    },
                )),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                execute_command_provider: Some(ExecuteCommandOptions {
                    commands: vec![RELOAD_COMMAND.into()],
                    ..Default::default()
                }),
                ..Default::default()
            },
            server_info: Some(ServerInfo {
                name: "tunelint".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            ..Default::default()
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        let watch = self.state().features.watch_files;
        if watch {
            let globs = [
                "**/*.dist-info/METADATA",
                "**/direct_url.json",
                "**/requirements*.txt",
                "**/pyproject.toml",
                "**/tunelint.toml",
                "**/*.lock",
                "**/pylock*.toml",
                "**/environment.{yml,yaml}",
                "**/pyvenv.cfg",
            ];
            let opts = DidChangeWatchedFilesRegistrationOptions {
                watchers: globs
                    .iter()
                    .map(|g| FileSystemWatcher {
                        glob_pattern: GlobPattern::String(g.to_string()),
                        kind: None,
                    })
                    .collect(),
            };
            let registration = Registration {
                id: "tunelint-watch".into(),
                method: "workspace/didChangeWatchedFiles".into(),
                register_options: serde_json::to_value(opts).ok(),
            };
            if let Err(e) = self.client.register_capability(vec![registration]).await {
                eprintln!("tunelint: file watching not registered: {e}");
            }
        }
        self.pull_configuration().await;
        // The environment is checked even before any document is opened.
        self.publish_environment_findings().await;
    }

    async fn shutdown(&self) -> Result<()> {
        self.state().shut_down = true;
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        self.guarded("didOpen", async {
            let item = params.text_document;
            let Some(kind) = kind_of(&item.uri, &item.language_id) else {
                return;
            };
            if kind == SourceKind::Notebook {
                return;
            }
            let Some(path) = item.uri.to_file_path().map(|p| p.into_owned()) else {
                return;
            };
            {
                let mut st = self.state();
                st.texts.insert(
                    item.uri.clone(),
                    TextDoc {
                        path,
                        kind,
                        version: item.version,
                        text: item.text,
                    },
                );
            }
            self.refresh(item.uri).await;
        })
        .await;
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        self.guarded("didChange", async {
            let uri = params.text_document.uri;
            {
                let mut st = self.state();
                let encoding = st.encoding;
                let Some(doc) = st.texts.get_mut(&uri) else {
                    return;
                };
                for change in &params.content_changes {
                    apply_change(&mut doc.text, change, encoding);
                }
                doc.version = params.text_document.version;
            }
            self.refresh(uri).await;
        })
        .await;
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        self.guarded("didSave", async {
            let uri = params.text_document.uri;
            // A saved dependency file changes what other documents see.
            let (kind, ws) = {
                let mut st = self.state();
                let Some(doc) = st.texts.get(&uri).cloned() else {
                    return;
                };
                (doc.kind, st.workspace_for(&doc.path))
            };
            if matches!(
                kind,
                SourceKind::Requirements | SourceKind::Pyproject | SourceKind::Lock(_)
            ) {
                ws.invalidate();
                self.refresh_all().await;
            } else {
                self.refresh(uri).await;
            }
        })
        .await;
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        let removed = self.state().texts.remove(&uri).is_some();
        let reported = self.state().reported_codes.remove(&uri).is_some();
        if removed {
            self.client.publish_diagnostics(uri, Vec::new(), None).await;
        }
        if reported {
            self.publish_environment_findings().await;
        }
    }

    async fn notebook_did_open(&self, params: DidOpenNotebookDocumentParams) {
        self.guarded("notebookDocument/didOpen", async {
            if let Some(uri) = self.open_notebook(params) {
                self.reload_saved(uri).await;
            }
        })
        .await;
    }

    async fn notebook_did_change(&self, params: DidChangeNotebookDocumentParams) {
        self.guarded("notebookDocument/didChange", async {
            let closed_before: Vec<Uri> = {
                let st = self.state();
                st.notebooks
                    .get(&params.notebook_document.uri)
                    .map(|n| n.cells.iter().map(|c| c.uri.clone()).collect())
                    .unwrap_or_default()
            };
            let Some(uri) = self.change_notebook(params) else {
                return;
            };
            let still: Vec<Uri> = {
                let st = self.state();
                st.notebooks
                    .get(&uri)
                    .map(|n| n.cells.iter().map(|c| c.uri.clone()).collect())
                    .unwrap_or_default()
            };
            for gone in closed_before.into_iter().filter(|c| !still.contains(c)) {
                self.client
                    .publish_diagnostics(gone, Vec::new(), None)
                    .await;
            }
            self.refresh(uri).await;
        })
        .await;
    }

    async fn notebook_did_save(&self, params: DidSaveNotebookDocumentParams) {
        self.guarded(
            "notebookDocument/didSave",
            self.reload_saved(params.notebook_document.uri),
        )
        .await;
    }

    async fn notebook_did_close(&self, params: DidCloseNotebookDocumentParams) {
        let uri = params.notebook_document.uri;
        let reported = self.state().reported_codes.remove(&uri).is_some();
        let cells: Vec<Uri> = {
            let mut st = self.state();
            let cells = st
                .notebooks
                .remove(&uri)
                .map(|n| n.cells.into_iter().map(|c| c.uri).collect())
                .unwrap_or_default();
            for c in &cells {
                st.cell_owner.remove(c);
            }
            cells
        };
        for c in cells {
            self.client.publish_diagnostics(c, Vec::new(), None).await;
        }
        // What the notebook reported may now belong on the environment's files.
        if reported {
            self.publish_environment_findings().await;
        }
    }

    async fn did_change_watched_files(&self, _: DidChangeWatchedFilesParams) {
        self.guarded("didChangeWatchedFiles", async {
            let workspaces: Vec<Arc<Workspace>> =
                self.state().workspaces.values().cloned().collect();
            for w in workspaces {
                w.invalidate();
            }
            self.refresh_all().await;
        })
        .await;
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        self.guarded("didChangeConfiguration", async {
            if let Some(section) = params.settings.get("tunelint").filter(|v| v.is_object()) {
                self.apply_settings(Settings::from_json(section)).await;
            } else {
                self.pull_configuration().await;
            }
        })
        .await;
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<Value>> {
        self.guarded_request("executeCommand", async {
            match params.command.as_str() {
                RELOAD_COMMAND => {
                    let (workspaces, notebooks): (Vec<Arc<Workspace>>, Vec<Uri>) = {
                        let st = self.state();
                        (
                            st.workspaces.values().cloned().collect(),
                            st.notebooks.keys().cloned().collect(),
                        )
                    };
                    for w in workspaces {
                        w.invalidate();
                    }
                    for nb in notebooks {
                        self.reload_saved(nb).await;
                    }
                    self.refresh_all().await;
                    Ok(None)
                }
                other => Err(Error::invalid_params(format!("unknown command `{other}`"))),
            }
        })
        .await
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let state = self.state.clone();
        self.guarded_request("codeAction", code_actions::code_actions(state, params))
            .await
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let state = self.state.clone();
        self.guarded_request("hover", hover::hover(state, params))
            .await
    }
}
