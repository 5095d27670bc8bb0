//! What a handler leaves to do after it changed the session: work that awaits (an analysis, a
//! message to the client) and so must not run while the session is borrowed. A handler returns
//! these; `dispatch.rs` runs them in order.

use super::snapshot::DocumentSnapshot;
use tower_lsp_server::ls_types::Uri;

pub enum Task {
    /// Analyse a document version and push its diagnostics (or, for a client that pulls,
    /// record what it reports).
    Publish(DocumentSnapshot),
    /// Clear the diagnostics of documents or cells that closed or left their notebook.
    Clear(Vec<Uri>),
    /// Publish what the environments break on their own, on the environments' files.
    EnvironmentFindings,
    /// Ask a pulling client to pull every document's diagnostics again.
    RefreshPulled,
    /// Ask the client to ask for inlay hints again.
    RefreshInlayHints,
    /// Ask the client for the `tunelint` settings section.
    PullConfiguration,
    /// Register file watchers for environments, dependency and lock files.
    RegisterWatchers,
    /// Show an error to the user.
    ShowError(String),
}
