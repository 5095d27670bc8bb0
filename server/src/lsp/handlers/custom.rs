//! tunelint's own requests: `tunelint/environment` (the environment table) and `tunelint/rule`
//! (an advisory's page).

use super::super::protocol;
use super::super::session::Session;
use crate::kb::KnowledgeBase;
use crate::workspace::Workspace;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::Uri;

/// What the environment table of a request reads, taken from the session.
pub struct EnvironmentRequest {
    path: PathBuf,
    workspace: Arc<Workspace>,
    kb: Arc<KnowledgeBase>,
}

/// The document the request names (a cell stands for its notebook), else the first workspace
/// folder, else the current directory.
pub fn environment_request(session: &mut Session, params: &Value) -> EnvironmentRequest {
    let uri = params
        .get("uri")
        .and_then(Value::as_str)
        .and_then(|u| u.parse::<Uri>().ok());
    let path = uri
        .map(|u| session.owner_of(&u))
        .and_then(|u| u.to_file_path().map(|p| p.into_owned()))
        .or_else(|| session.folders.first().map(|f| f.join("_")))
        .unwrap_or_else(|| PathBuf::from("./_"));
    EnvironmentRequest {
        workspace: session.workspace_for(&path),
        kb: session.kb.clone(),
        path,
    }
}

/// The table, as `tunelint env --format json` prints it (blocking: it may read the
/// environment).
pub fn environment(request: EnvironmentRequest) -> Value {
    let dir = request.path.parent().unwrap_or(Path::new("."));
    let env = request.workspace.environment_for(dir);
    let project = request.workspace.project_files_for(dir);
    crate::check::EnvironmentReport::new(
        &env,
        &project,
        &request.kb,
        dir,
        &request.workspace.display(dir),
    )
    .to_json(&env, &request.kb)
}

/// `tunelint/rule`: an advisory's page (as `tunelint rule` prints it) for a code or a
/// `tunelint-rule:CODE.md` URI, so that a diagnostic's code link opens it.
pub fn rule(kb: &KnowledgeBase, params: &Value) -> Result<Value> {
    let asked = params
        .get("code")
        .or_else(|| params.get("uri"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let code = asked
        .strip_prefix(protocol::RULE_SCHEME)
        .map(|rest| rest.trim_start_matches([':', '/']))
        .unwrap_or(asked)
        .trim_end_matches(".md")
        .to_string();
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
    let text = crate::render::rule_page(advisory, retired, kb);
    Ok(serde_json::json!({ "code": advisory.id, "text": text }))
}
