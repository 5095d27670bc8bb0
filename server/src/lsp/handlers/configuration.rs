//! Settings (`workspace/didChangeConfiguration`, the answer to `workspace/configuration`) and
//! files changing on disk (`workspace/didChangeWatchedFiles`).

use super::super::session::Session;
use super::super::settings::Settings;
use super::super::task::Task;
use super::refresh_all;
use crate::kb::KnowledgeBase;
use serde_json::Value;
use tower_lsp_server::ls_types::*;

/// Settings pushed with the notification, or else a pull of the section.
pub fn did_change_configuration(
    session: &mut Session,
    params: DidChangeConfigurationParams,
) -> Vec<Task> {
    match params
        .settings
        .get(super::super::protocol::SETTINGS_SECTION)
        .filter(|v| v.is_object())
    {
        Some(section) => apply(session, Settings::from_json(section)),
        None => vec![Task::PullConfiguration],
    }
}

/// The client's answer to `workspace/configuration`.
pub fn configuration_answer(session: &mut Session, value: &Value) -> Vec<Task> {
    if !value.is_object() {
        return Vec::new();
    }
    let settings = Settings::from_json(value).or(&session.settings);
    if settings == session.settings {
        return Vec::new();
    }
    apply(session, settings)
}

/// Applies settings: new workspaces (so environments), and the knowledge base with the
/// advisories of `tunelint.advisories` (read now: the next message must see them).
pub fn apply(session: &mut Session, settings: Settings) -> Vec<Task> {
    let mut tasks = Vec::new();
    let kb = match &settings.advisories {
        Some(dir) => settings_advisories(dir, &mut tasks),
        // The directory was dropped: back to the embedded advisories alone.
        None => (session.settings.advisories.is_some()).then(KnowledgeBase::embedded),
    };
    session.apply_settings(settings, kb);
    tasks.extend(refresh_all(session));
    tasks
}

/// The knowledge base with the advisories of `tunelint.advisories`, or `None` (keep the one in
/// use) with an error shown to the user when the directory cannot be read.
pub fn settings_advisories(dir: &std::path::Path, tasks: &mut Vec<Task>) -> Option<KnowledgeBase> {
    load_advisories(dir)
        .map_err(|message| tasks.push(Task::ShowError(format!("tunelint: {message}"))))
        .ok()
}

/// The embedded knowledge base with a directory's advisories added (same ids replaced).
fn load_advisories(dir: &std::path::Path) -> Result<KnowledgeBase, String> {
    let mut kb = KnowledgeBase::embedded();
    let files = crate::workspace::read_advisory_dir(dir)
        .map_err(|e| format!("cannot read advisories from {}: {e}", dir.display()))?;
    kb.extend_from(&files).map_err(|errs| {
        errs.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    Ok(kb)
}

/// An environment, dependency or lock file changed on disk.
pub fn did_change_watched_files(
    session: &mut Session,
    _: DidChangeWatchedFilesParams,
) -> Vec<Task> {
    session.invalidate_environments();
    refresh_all(session)
}
