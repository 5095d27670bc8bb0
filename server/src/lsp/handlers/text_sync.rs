//! `textDocument/didOpen`, `didChange`, `didSave`, `didClose` for files: scripts, requirements
//! files, pyproject.toml and lock files (notebooks arrive through `notebookDocument/*`).

use super::super::session::{kind_of, Session};
use super::super::task::Task;
use super::{refresh, refresh_all};
use crate::source::SourceKind;
use tower_lsp_server::ls_types::*;

pub fn did_open(session: &mut Session, params: DidOpenTextDocumentParams) -> Vec<Task> {
    let item = params.text_document;
    let Some(kind) = kind_of(&item.uri, &item.language_id) else {
        return Vec::new();
    };
    if kind == SourceKind::Notebook {
        return Vec::new();
    }
    let Some(path) = item.uri.to_file_path().map(|p| p.into_owned()) else {
        return Vec::new();
    };
    let uri = item.uri.clone();
    session.open_text(item, kind, path);
    refresh(session, &uri)
}

pub fn did_change(session: &mut Session, params: DidChangeTextDocumentParams) -> Vec<Task> {
    if !session.change_text(&params) {
        return Vec::new();
    }
    refresh(session, &params.text_document.uri)
}

/// A saved dependency file changes what every document sees; another file only itself.
pub fn did_save(session: &mut Session, params: DidSaveTextDocumentParams) -> Vec<Task> {
    let uri = params.text_document.uri;
    let Some(doc) = session.text(&uri).cloned() else {
        return Vec::new();
    };
    if matches!(
        doc.kind,
        SourceKind::Requirements | SourceKind::Pyproject | SourceKind::Lock(_)
    ) {
        session.workspace_for(&doc.path).invalidate();
        session.supersede_all();
        refresh_all(session)
    } else {
        refresh(session, &uri)
    }
}

pub fn did_close(session: &mut Session, params: DidCloseTextDocumentParams) -> Vec<Task> {
    let uri = params.text_document.uri;
    let had_codes = session.reported_codes.contains_key(&uri);
    let mut tasks = Vec::new();
    if session.close_text(&uri) && !session.features.pull_diagnostics {
        tasks.push(Task::Clear(vec![uri]));
    }
    // What the file reported may now belong on the environment's files.
    if had_codes {
        tasks.push(Task::EnvironmentFindings);
    }
    tasks
}
