//! `initialize`, `initialized` and `shutdown`: what the client can do, what the server offers,
//! and the first checks.

use super::super::protocol;
use super::super::session::Session;
use super::super::settings::{ClientFeatures, Settings};
use super::super::task::Task;
use super::super::Encoding;
use super::configuration::settings_advisories;
use serde_json::Value;
use std::path::PathBuf;
use tower_lsp_server::ls_types::*;

/// The files whose changes change an environment or what the project declares.
pub const WATCHED_GLOBS: &[&str] = &[
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

pub fn initialize(
    session: &mut Session,
    params: InitializeParams,
) -> (InitializeResult, Vec<Task>) {
    let utf8 = params
        .capabilities
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref())
        .is_some_and(|v| v.contains(&PositionEncodingKind::UTF8));
    let options = params.initialization_options.clone().unwrap_or(Value::Null);
    let settings = Settings::from_json(&options);
    session.features = ClientFeatures::from_initialize(&params);
    session.encoding = if utf8 {
        Encoding::Utf8
    } else {
        Encoding::Utf16
    };
    session.folders = workspace_folders(&params);
    let mut tasks = Vec::new();
    let kb = settings
        .advisories
        .as_deref()
        .and_then(|dir| settings_advisories(dir, &mut tasks));
    session.apply_settings(settings, kb);
    (capabilities(session, utf8), tasks)
}

fn workspace_folders(params: &InitializeParams) -> Vec<PathBuf> {
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
    folders
}

fn capabilities(session: &Session, utf8: bool) -> InitializeResult {
    let sync = TextDocumentSyncOptions {
        open_close: Some(true),
        change: Some(TextDocumentSyncKind::INCREMENTAL),
        save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
            include_text: Some(false),
        })),
        ..Default::default()
    };
    let diagnostic_provider = session.features.pull_diagnostics.then(|| {
        DiagnosticServerCapabilities::Options(DiagnosticOptions {
            identifier: Some("tunelint".into()),
            // A dependency file or the environment changes what other documents report.
            inter_file_dependencies: true,
            workspace_diagnostics: true,
            ..Default::default()
        })
    });
    InitializeResult {
        capabilities: ServerCapabilities {
            position_encoding: Some(if utf8 {
                PositionEncodingKind::UTF8
            } else {
                PositionEncodingKind::UTF16
            }),
            text_document_sync: Some(TextDocumentSyncCapability::Options(sync)),
            notebook_document_sync: Some(OneOf::Left(NotebookDocumentSyncOptions {
                // Every cell, markdown included: a client filters the cells it syncs by this
                // selector (vscode-languageclient drops non-matching cells from the notebook's
                // own cell list), and a notebook's cell numbers and the index of an inserted
                // cell only mean something among all of its cells.
                notebook_selector: vec![NotebookSelector::ByNotebook {
                    notebook: Notebook::String(protocol::NOTEBOOK_TYPE.into()),
                    cells: None,
                }],
                save: Some(true),
            })),
            code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
                code_action_kinds: Some(vec![CodeActionKind::QUICKFIX, protocol::FIX_ALL_KIND]),
                ..Default::default()
            })),
            hover_provider: Some(HoverProviderCapability::Simple(true)),
            execute_command_provider: Some(ExecuteCommandOptions {
                commands: vec![protocol::RELOAD_ENVIRONMENT.into()],
                ..Default::default()
            }),
            diagnostic_provider,
            inlay_hint_provider: Some(OneOf::Left(true)),
            document_link_provider: Some(DocumentLinkOptions {
                resolve_provider: Some(false),
                work_done_progress_options: Default::default(),
            }),
            ..Default::default()
        },
        server_info: Some(ServerInfo {
            name: "tunelint".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
        ..Default::default()
    }
}

/// After `initialized`: watch files where the client can, ask for settings, and check the
/// environments before any document opens.
pub fn initialized(session: &mut Session) -> Vec<Task> {
    let mut tasks = Vec::new();
    if session.features.watch_files {
        tasks.push(Task::RegisterWatchers);
    }
    if session.features.configuration {
        tasks.push(Task::PullConfiguration);
    }
    tasks.push(Task::EnvironmentFindings);
    tasks
}

pub fn shutdown(session: &mut Session) {
    session.shut_down = true;
}
