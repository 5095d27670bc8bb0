//! What the client tells the server about itself: the settings it sends (in
//! `initializationOptions` and the `tunelint` section of `workspace/configuration`) and what it
//! can do (its capabilities and tunelint's own initialization options).

use super::protocol;
use serde_json::Value;
use std::path::PathBuf;
use tower_lsp_server::ls_types::InitializeParams;

/// Settings from `initializationOptions` and `workspace/configuration` (section `tunelint`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    pub python: Option<PathBuf>,
    pub env_file: Option<PathBuf>,
    pub advisories: Option<PathBuf>,
    /// Inlay hints after imports and install lines (off unless asked for).
    pub inlay_hints: bool,
}

impl Settings {
    pub fn from_json(v: &Value) -> Settings {
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
            inlay_hints: v.get("inlayHints").and_then(Value::as_bool) == Some(true),
        }
    }

    /// `self`, with what `other` sets where `self` does not (settings a client does not know
    /// keep their initialization values).
    pub fn or(self, other: &Settings) -> Settings {
        Settings {
            python: self.python.or_else(|| other.python.clone()),
            env_file: self.env_file.or_else(|| other.env_file.clone()),
            advisories: self.advisories.or_else(|| other.advisories.clone()),
            inlay_hints: self.inlay_hints,
        }
    }
}

/// What the client can do beyond plain LSP (some declared by the VS Code extension).
#[derive(Clone, Debug, Default)]
pub struct ClientFeatures {
    pub insert_cell_command: bool,
    pub terminal_commands: bool,
    pub document_changes: bool,
    pub configuration: bool,
    pub watch_files: bool,
    /// Opens `tunelint-rule:` links by asking `tunelint/rule`.
    pub rule_documents: bool,
    /// The client pulls diagnostics (`textDocument/diagnostic`), so none are pushed for open
    /// documents.
    pub pull_diagnostics: bool,
}

impl ClientFeatures {
    pub fn from_initialize(params: &InitializeParams) -> ClientFeatures {
        let caps = &params.capabilities;
        let options = params.initialization_options.clone().unwrap_or(Value::Null);
        let option = |k: &str| options.get(k).and_then(Value::as_bool);
        let workspace_caps = caps.workspace.as_ref();
        ClientFeatures {
            insert_cell_command: option(protocol::INSERT_CELL_OPTION).unwrap_or(false),
            terminal_commands: option(protocol::TERMINAL_COMMANDS_OPTION).unwrap_or(false),
            rule_documents: option(protocol::RULE_DOCUMENTS_OPTION).unwrap_or(false),
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
            pull_diagnostics: caps
                .text_document
                .as_ref()
                .is_some_and(|t| t.diagnostic.is_some())
                && option(protocol::PULL_DIAGNOSTICS_OPTION) != Some(false),
        }
    }
}
