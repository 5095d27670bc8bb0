//! `workspace/executeCommand`: the server's one command, reloading the environment.

use super::super::documents::read_saved_cells;
use super::super::protocol;
use super::super::session::Session;
use super::super::task::Task;
use super::refresh_all;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::*;

/// `tunelint.reloadEnvironment`: forget every environment read, read each open notebook's
/// saved outputs again, and re-check everything.
pub fn execute_command(session: &mut Session, params: ExecuteCommandParams) -> Result<Vec<Task>> {
    match params.command.as_str() {
        protocol::RELOAD_ENVIRONMENT => {
            session.invalidate_environments();
            for uri in session.notebook_uris() {
                if let Some(path) = session.notebook_path(&uri) {
                    let saved = read_saved_cells(&path);
                    session.attach_saved(&uri, &saved);
                }
            }
            Ok(refresh_all(session))
        }
        other => Err(Error::invalid_params(format!("unknown command `{other}`"))),
    }
}
