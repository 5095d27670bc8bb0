//! `notebookDocument/didOpen`, `didChange`, `didSave`, `didClose`: the editor's cells, with the
//! saved outputs read from the notebook file on open and on save.

use super::super::documents::read_saved_cells;
use super::super::session::Session;
use super::super::task::Task;
use super::refresh;
use tower_lsp_server::ls_types::*;

pub fn did_open(session: &mut Session, params: DidOpenNotebookDocumentParams) -> Vec<Task> {
    let uri = params.notebook_document.uri.clone();
    let Some(path) = uri.to_file_path().map(|p| p.into_owned()) else {
        eprintln!(
            "tunelint: notebookDocument/didOpen: {} is not a file on this machine (scheme `{}`), so it is not checked; save it to a local file",
            uri.as_str(),
            uri.scheme().as_str()
        );
        return Vec::new();
    };
    // Read here, before the handler returns, so that a change that follows the open finds the
    // outputs attached (messages are handled in order up to their first await).
    let saved = read_saved_cells(&path);
    let uri = session.open_notebook(params, path);
    session.attach_saved(&uri, &saved);
    refresh(session, &uri)
}

pub fn did_change(session: &mut Session, params: DidChangeNotebookDocumentParams) -> Vec<Task> {
    let uri = params.notebook_document.uri.clone();
    let Some(left) = session.change_notebook(params) else {
        return Vec::new();
    };
    let mut tasks = Vec::new();
    if !left.is_empty() && !session.features.pull_diagnostics {
        tasks.push(Task::Clear(left));
    }
    tasks.extend(refresh(session, &uri));
    tasks
}

/// Saving writes the outputs the editor holds: read them again.
pub fn did_save(session: &mut Session, params: DidSaveNotebookDocumentParams) -> Vec<Task> {
    let uri = params.notebook_document.uri;
    let Some(path) = session.notebook_path(&uri) else {
        return Vec::new();
    };
    let saved = read_saved_cells(&path);
    session.attach_saved(&uri, &saved);
    let mut tasks = refresh(session, &uri);
    if session.features.pull_diagnostics {
        tasks.push(Task::RefreshPulled);
    }
    tasks
}

pub fn did_close(session: &mut Session, params: DidCloseNotebookDocumentParams) -> Vec<Task> {
    let uri = params.notebook_document.uri;
    let had_codes = session.reported_codes.contains_key(&uri);
    let cells = session.close_notebook(&uri);
    let mut tasks = Vec::new();
    if !session.features.pull_diagnostics {
        tasks.push(Task::Clear(cells));
    }
    if had_codes {
        tasks.push(Task::EnvironmentFindings);
    }
    tasks
}
