//! One module per request or notification family. A handler is synchronous on `&mut Session`
//! (it changes the session, and returns the [`Task`]s that await) or a pure function of a
//! [`DocumentSnapshot`](super::snapshot::DocumentSnapshot) that runs off the async runtime.
//! Neither can hold the session while it waits: the ordering rule by construction.

pub mod code_action;
pub mod commands;
pub mod configuration;
pub mod custom;
pub mod document_link;
pub mod hover;
pub mod inlay_hint;
pub mod lifecycle;
pub mod notebook_sync;
pub mod pull_diagnostics;
pub mod text_sync;

use super::session::Session;
use super::task::Task;
use tower_lsp_server::ls_types::Uri;

/// Re-checks one document: a publish for a pushing client; a pulling client pulls by itself
/// after an edit.
pub fn refresh(session: &mut Session, uri: &Uri) -> Vec<Task> {
    if session.features.pull_diagnostics {
        return Vec::new();
    }
    session
        .snapshot(uri)
        .map(Task::Publish)
        .into_iter()
        .collect()
}

/// Re-checks every open document and the environments, after something every document
/// depends on changed (settings, an environment on disk, a dependency file).
pub fn refresh_all(session: &mut Session) -> Vec<Task> {
    let mut tasks: Vec<Task> = if session.features.pull_diagnostics {
        vec![Task::RefreshPulled]
    } else {
        session
            .open_documents()
            .iter()
            .filter_map(|uri| session.snapshot(uri))
            .map(Task::Publish)
            .collect()
    };
    tasks.push(Task::EnvironmentFindings);
    if session.settings.inlay_hints {
        tasks.push(Task::RefreshInlayHints);
    }
    tasks
}
