//! The dispatch table: each LSP method to its handler, and the tasks handlers leave behind.
//!
//! Every method follows one of two shapes. A notification runs its handler on `&mut Session`
//! under the session's lock, synchronously, before anything awaits, so messages change the
//! session in the order they arrive; what awaits (analyses, publishing, asking the client) runs
//! afterwards as [`Task`]s. A request takes a [`DocumentSnapshot`] under the lock and runs its
//! handler on it on tokio's blocking pool; so does a publish, unless the version is expected
//! to analyse quickly, when the message loop analyses it itself. A panic in any of them is
//! caught, logged to stderr and the client, and the server keeps running.

use super::handlers::{
    code_action, commands, configuration, custom, document_link, hover, inlay_hint, lifecycle,
    notebook_sync, pull_diagnostics, text_sync,
};
use super::publish::{document_diagnostics, environment_diagnostics, DocumentDiagnostics};
use super::session::Session;
use super::snapshot::{panic_message, DocumentSnapshot, NoAnalysis};
use super::task::Task;
use crate::kb::KnowledgeBase;
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

pub struct Backend {
    client: Client,
    session: Arc<Mutex<Session>>,
}

fn internal_error(message: String) -> Error {
    Error {
        code: ErrorCode::InternalError,
        message: message.into(),
        data: None,
    }
}

impl Backend {
    pub fn new(client: Client) -> Backend {
        Backend {
            client,
            session: Arc::new(Mutex::new(Session::new(KnowledgeBase::embedded()))),
        }
    }

    /// The only way to the session: a closure, which cannot await, so the lock is never held
    /// across an `.await`.
    fn with_session<R>(&self, f: impl FnOnce(&mut Session) -> R) -> R {
        let mut session = self
            .session
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut session)
    }

    async fn report_panic(&self, what: &str, message: String) {
        eprintln!("tunelint: internal error in {what}: {message}");
        self.client
            .log_message(
                MessageType::ERROR,
                format!("tunelint internal error in {what}: {message}"),
            )
            .await;
    }

    /// A notification: its handler on the session, then the tasks it returned.
    async fn notify(&self, what: &str, handler: impl FnOnce(&mut Session) -> Vec<Task>) {
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.with_session(handler)));
        match outcome {
            Ok(tasks) => self.run(what, tasks).await,
            Err(p) => self.report_panic(what, panic_message(&*p)).await,
        }
    }

    /// A request on one document: a snapshot under the lock, the handler on the blocking pool.
    async fn on_snapshot<T: Send + 'static>(
        &self,
        what: &str,
        uri: &Uri,
        handler: impl FnOnce(DocumentSnapshot) -> T + Send + 'static,
    ) -> Result<Option<T>> {
        let Some(snap) = self.with_session(|s| s.snapshot(uri)) else {
            return Ok(None);
        };
        match tokio::task::spawn_blocking(move || {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(snap)))
        })
        .await
        {
            Ok(Ok(value)) => Ok(Some(value)),
            Ok(Err(p)) => {
                let message = panic_message(&*p);
                self.report_panic(what, message.clone()).await;
                Err(internal_error(format!(
                    "internal error in {what}: {message}"
                )))
            }
            Err(e) => Err(internal_error(e.to_string())),
        }
    }

    /// Runs tasks in order; a task may add more (a publish that changed what a document
    /// reports re-places the environments' findings).
    async fn run(&self, what: &str, tasks: Vec<Task>) {
        let mut queue: VecDeque<Task> = tasks.into();
        let mut environment_pending = false;
        while let Some(task) = queue.pop_front() {
            match task {
                Task::Publish(snap) => {
                    if self.publish(what, snap).await {
                        environment_pending = true;
                    }
                }
                Task::Clear(uris) => {
                    for uri in uris {
                        self.client.publish_diagnostics(uri, Vec::new(), None).await;
                    }
                }
                // Once, after every publish of this batch has recorded its codes.
                Task::EnvironmentFindings => environment_pending = true,
                Task::RefreshPulled => {
                    if let Err(e) = self.client.workspace_diagnostic_refresh().await {
                        eprintln!("tunelint: workspace/diagnostic/refresh: {e}");
                    }
                }
                Task::RefreshInlayHints => {
                    // Clients that never asked for hints may not support the refresh.
                    let _ = self.client.inlay_hint_refresh().await;
                }
                Task::PullConfiguration => queue.extend(self.pull_configuration().await),
                Task::RegisterWatchers => self.register_watchers().await,
                Task::ShowError(message) => {
                    self.client.show_message(MessageType::ERROR, message).await;
                }
            }
        }
        if environment_pending {
            self.publish_environment_findings().await;
        }
    }

    /// Analyses and pushes one document version unless a newer one superseded it. Returns true
    /// when what the document reports changed.
    async fn publish(&self, what: &str, snap: DocumentSnapshot) -> bool {
        let uri = snap.uri.clone();
        let version = snap.version();
        let path = snap.path.clone();
        let target_versions: Vec<i32> = snap.targets().iter().map(|(_, _, v)| *v).collect();
        // A version expected to be quick is analysed here, on the message loop (see
        // `INLINE_ANALYSIS_BUDGET`); others on the blocking pool.
        let quick = snap.slot.is_quick();
        let analyse = move || {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| document_diagnostics(&snap)))
                .unwrap_or_else(|p| Err(NoAnalysis::Failed(panic_message(&*p))))
        };
        let result = if quick {
            analyse()
        } else {
            tokio::task::spawn_blocking(analyse)
                .await
                .unwrap_or_else(|e| Err(NoAnalysis::Failed(e.to_string())))
        };
        let diagnostics: DocumentDiagnostics = match result {
            Ok(d) => d,
            Err(NoAnalysis::Cancelled) => return false,
            Err(NoAnalysis::Failed(message)) => {
                self.report_panic(&format!("{what} ({})", uri.as_str()), message)
                    .await;
                return false;
            }
        };
        let per_target: Vec<(Uri, Vec<Diagnostic>, i32)> = diagnostics
            .per_target
            .into_iter()
            .zip(target_versions)
            .map(|((target, list), v)| (target, list, v))
            .collect();
        let Some(fresh) = self.with_session(|s| {
            s.is_current(&uri, version)
                .then(|| s.unpublished(&uri, per_target))
        }) else {
            return false;
        };
        // The document is still at this version, so each part is at the version it had in it.
        for (target, list, v) in fresh {
            self.client.publish_diagnostics(target, list, Some(v)).await;
        }
        self.with_session(|s| s.record_reported(&uri, &path, diagnostics.codes))
    }

    /// Publishes what the environments break on their own on their files, and clears the files
    /// that no longer hold such a problem.
    async fn publish_environment_findings(&self) {
        let (job, run) = self.with_session(|s| s.environment_job());
        let publishes = tokio::task::spawn_blocking(move || environment_diagnostics(job))
            .await
            .unwrap_or_default();
        let stale: Option<Vec<Uri>> = self.with_session(|s| {
            // A newer run read newer codes and publishes instead.
            if s.environment_runs != run {
                return None;
            }
            let now: Vec<Uri> = publishes.iter().map(|(u, _)| u.clone()).collect();
            let before = std::mem::replace(&mut s.environment_files, now.clone());
            Some(before.into_iter().filter(|u| !now.contains(u)).collect())
        });
        let Some(stale) = stale else { return };
        for uri in stale {
            self.client.publish_diagnostics(uri, Vec::new(), None).await;
        }
        for (uri, diagnostics) in publishes {
            self.client
                .publish_diagnostics(uri, diagnostics, None)
                .await;
        }
    }

    async fn pull_configuration(&self) -> Vec<Task> {
        let items = vec![ConfigurationItem {
            scope_uri: None,
            section: Some(super::protocol::SETTINGS_SECTION.into()),
        }];
        match self.client.configuration(items).await {
            Ok(values) => match values.first() {
                Some(v) => self.with_session(|s| configuration::configuration_answer(s, v)),
                None => Vec::new(),
            },
            Err(_) => Vec::new(),
        }
    }

    async fn register_watchers(&self) {
        let opts = DidChangeWatchedFilesRegistrationOptions {
            watchers: lifecycle::WATCHED_GLOBS
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

    /// Records what a pulled document reports; re-places the environments' findings when that
    /// changed.
    async fn record_pulled(&self, uri: &Uri, path: &std::path::Path, pulled: DocumentDiagnostics) {
        let changed = self.with_session(|s| s.record_reported(uri, path, pulled.codes));
        if changed {
            self.publish_environment_findings().await;
        }
    }

    /// `tunelint/environment`: the environment table for a document (or the first workspace
    /// folder), as `tunelint env --format json` prints it.
    pub async fn environment(&self, params: Value) -> Result<Value> {
        let request = self.with_session(|s| custom::environment_request(s, &params));
        tokio::task::spawn_blocking(move || {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                custom::environment(request)
            }))
            .map_err(|p| {
                internal_error(format!(
                    "internal error in tunelint/environment: {}",
                    panic_message(&*p)
                ))
            })
        })
        .await
        .map_err(|e| internal_error(e.to_string()))?
    }

    /// `tunelint/rule`: an advisory's page for a code or a `tunelint-rule:` URI.
    pub async fn rule(&self, params: Value) -> Result<Value> {
        let kb = self.with_session(|s| s.kb.clone());
        custom::rule(&kb, &params)
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let (result, tasks) = self.with_session(|s| lifecycle::initialize(s, params));
        self.run("initialize", tasks).await;
        Ok(result)
    }

    async fn initialized(&self, _: InitializedParams) {
        self.notify("initialized", lifecycle::initialized).await;
    }

    async fn shutdown(&self) -> Result<()> {
        self.with_session(lifecycle::shutdown);
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        self.notify("didOpen", |s| text_sync::did_open(s, params))
            .await;
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        self.notify("didChange", |s| text_sync::did_change(s, params))
            .await;
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        self.notify("didSave", |s| text_sync::did_save(s, params))
            .await;
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        self.notify("didClose", |s| text_sync::did_close(s, params))
            .await;
    }

    async fn notebook_did_open(&self, params: DidOpenNotebookDocumentParams) {
        self.notify("notebookDocument/didOpen", |s| {
            notebook_sync::did_open(s, params)
        })
        .await;
    }

    async fn notebook_did_change(&self, params: DidChangeNotebookDocumentParams) {
        self.notify("notebookDocument/didChange", |s| {
            notebook_sync::did_change(s, params)
        })
        .await;
    }

    async fn notebook_did_save(&self, params: DidSaveNotebookDocumentParams) {
        self.notify("notebookDocument/didSave", |s| {
            notebook_sync::did_save(s, params)
        })
        .await;
    }

    async fn notebook_did_close(&self, params: DidCloseNotebookDocumentParams) {
        self.notify("notebookDocument/didClose", |s| {
            notebook_sync::did_close(s, params)
        })
        .await;
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        self.notify("didChangeWatchedFiles", |s| {
            configuration::did_change_watched_files(s, params)
        })
        .await;
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        self.notify("didChangeConfiguration", |s| {
            configuration::did_change_configuration(s, params)
        })
        .await;
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<Value>> {
        let tasks = self.with_session(|s| commands::execute_command(s, params))?;
        self.run("executeCommand", tasks).await;
        Ok(None)
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let uri = params.text_document.uri.clone();
        self.on_snapshot("codeAction", &uri, move |snap| {
            code_action::code_actions(&snap, &params)
        })
        .await
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let position = params.text_document_position_params.position;
        let uri = params.text_document_position_params.text_document.uri;
        let asked = uri.clone();
        Ok(self
            .on_snapshot("hover", &uri, move |snap| {
                hover::hover(&snap, &asked, position)
            })
            .await?
            .flatten())
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        let uri = params.text_document.uri.clone();
        let asked = uri.clone();
        self.on_snapshot("inlayHint", &uri, move |snap| {
            inlay_hint::inlay_hints(&snap, &asked, params.range)
        })
        .await
    }

    async fn document_link(&self, params: DocumentLinkParams) -> Result<Option<Vec<DocumentLink>>> {
        let uri = params.text_document.uri.clone();
        let asked = uri.clone();
        self.on_snapshot("documentLink", &uri, move |snap| {
            document_link::document_links(&snap, &asked)
        })
        .await
    }

    async fn diagnostic(
        &self,
        params: DocumentDiagnosticParams,
    ) -> Result<DocumentDiagnosticReportResult> {
        let uri = params.text_document.uri;
        let asked = uri.clone();
        let pulled = self
            .on_snapshot("textDocument/diagnostic", &uri, move |snap| {
                let (uri, path) = (snap.uri.clone(), snap.path.clone());
                pull_diagnostics::document_report(&snap, &asked).map(|r| (r, uri, path))
            })
            .await?
            .flatten();
        let report = match pulled {
            Some(((report, diagnostics), doc_uri, path)) => {
                self.record_pulled(&doc_uri, &path, diagnostics).await;
                report
            }
            // Not open, or superseded meanwhile (the client pulls the newer version).
            None => DocumentDiagnosticReport::Full(RelatedFullDocumentDiagnosticReport::default()),
        };
        Ok(DocumentDiagnosticReportResult::Report(report))
    }

    async fn workspace_diagnostic(
        &self,
        _: WorkspaceDiagnosticParams,
    ) -> Result<WorkspaceDiagnosticReportResult> {
        let uris = self.with_session(|s| s.open_documents());
        let mut items = Vec::new();
        for uri in uris {
            let pulled = self
                .on_snapshot("workspace/diagnostic", &uri, |snap| {
                    let (uri, path) = (snap.uri.clone(), snap.path.clone());
                    pull_diagnostics::workspace_reports(&snap).map(|r| (r, uri, path))
                })
                .await?
                .flatten();
            if let Some(((reports, diagnostics), doc_uri, path)) = pulled {
                items.extend(reports);
                self.record_pulled(&doc_uri, &path, diagnostics).await;
            }
        }
        Ok(WorkspaceDiagnosticReportResult::Report(
            WorkspaceDiagnosticReport { items },
        ))
    }
}
