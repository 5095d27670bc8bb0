//! The names tunelint's server and its VS Code extension share: commands, custom requests,
//! settings, initialization options, the document selector and the shape of the
//! `tunelint/environment` result.
//!
//! They are written once, here. `extension/src/protocol.ts` is generated from this module
//! (`typescript()`), and a test fails when the checked-in file or `package.json`'s
//! contributions differ from it, so a renamed command cannot leave one side behind.

use tower_lsp_server::ls_types::CodeActionKind;

/// A command the server executes (`workspace/executeCommand`).
pub const RELOAD_ENVIRONMENT: &str = "tunelint.reloadEnvironment";

/// Commands the client executes when a code action carries them.
pub const INSERT_CELL: &str = "tunelint.insertCell";
pub const RUN_IN_TERMINAL: &str = "tunelint.runInTerminal";
pub const RESTART_KERNEL: &str = "tunelint.restartKernel";
/// The extension's own command behind its status bar item.
pub const SHOW_ENVIRONMENT: &str = "tunelint.showEnvironment";

/// Custom requests.
pub const ENVIRONMENT_REQUEST: &str = "tunelint/environment";
pub const RULE_REQUEST: &str = "tunelint/rule";

/// The URI scheme of advisory pages served by `tunelint/rule`.
pub const RULE_SCHEME: &str = "tunelint-rule";

/// The code action kind of "fix all".
pub const FIX_ALL: &str = "source.fixAll.tunelint";
pub const FIX_ALL_KIND: CodeActionKind = CodeActionKind::new(FIX_ALL);

/// The settings section the server asks for with `workspace/configuration`.
pub const SETTINGS_SECTION: &str = "tunelint";

/// A setting the server reads, by its key in the `tunelint` section.
pub struct SettingKey {
    pub key: &'static str,
    /// What it holds, as the extension's TypeScript type.
    pub ts_type: &'static str,
}

/// The settings the server reads (in `initializationOptions.tunelint` and from
/// `workspace/configuration`). `path` is the extension's alone: where to find the binary.
pub const SETTINGS: &[SettingKey] = &[
    SettingKey {
        key: "python",
        ts_type: "string | null",
    },
    SettingKey {
        key: "envFile",
        ts_type: "string | null",
    },
    SettingKey {
        key: "advisories",
        ts_type: "string | null",
    },
    SettingKey {
        key: "inlayHints",
        ts_type: "boolean",
    },
];

/// Initialization options a client declares about itself (besides the settings).
pub const INSERT_CELL_OPTION: &str = "insertCellCommand";
pub const TERMINAL_COMMANDS_OPTION: &str = "terminalCommands";
pub const RULE_DOCUMENTS_OPTION: &str = "ruleDocuments";
/// `false` keeps pushed diagnostics for a client that could pull them.
pub const PULL_DIAGNOSTICS_OPTION: &str = "pullDiagnostics";
pub const CLIENT_OPTIONS: &[&str] = &[
    INSERT_CELL_OPTION,
    TERMINAL_COMMANDS_OPTION,
    RULE_DOCUMENTS_OPTION,
    PULL_DIAGNOSTICS_OPTION,
];

/// The notebook type whose cells the server checks.
pub const NOTEBOOK_TYPE: &str = "jupyter-notebook";

/// One entry of the document selector the extension registers the server for.
pub enum DocumentFilter {
    /// Files of a language.
    Language(&'static str),
    /// The cells of a language in notebooks of [`NOTEBOOK_TYPE`].
    NotebookCells(&'static str),
    /// Files whose path matches a glob.
    Pattern(&'static str),
}

/// The documents the server checks: Python files and notebook cells, requirements files,
/// pyproject.toml, lock files and conda environment files. `SourceKind::from_path` reads every
/// file a pattern here names (a test checks one path per pattern).
pub const DOCUMENT_SELECTOR: &[DocumentFilter] = &[
    DocumentFilter::Language("python"),
    DocumentFilter::NotebookCells("python"),
    DocumentFilter::Language("pip-requirements"),
    DocumentFilter::Pattern("**/requirements*.{txt,in}"),
    DocumentFilter::Pattern("**/*-requirements.txt"),
    DocumentFilter::Pattern("**/requirements/*.{txt,in}"),
    DocumentFilter::Pattern("**/pyproject.toml"),
    DocumentFilter::Pattern("**/{uv.lock,poetry.lock,Pipfile.lock,conda-*.lock}"),
    DocumentFilter::Pattern("**/pylock.toml"),
    DocumentFilter::Pattern("**/pylock.*.toml"),
    DocumentFilter::Pattern("**/environment.{yml,yaml}"),
];

/// The fields of one package row in the `tunelint/environment` result, with their TypeScript
/// types, as `EnvironmentReport::to_json` writes them.
pub const ENVIRONMENT_PACKAGE_FIELDS: &[(&str, &str)] = &[
    ("package", "string"),
    ("version", "string"),
    ("kind", "string"),
    ("source", "string"),
    ("git_commit", "string | null"),
    ("editable", "boolean"),
    ("advisories", "string[]"),
];

/// The top-level fields of the `tunelint/environment` result.
pub const ENVIRONMENT_FIELDS: &[(&str, &str)] = &[
    ("name", "string"),
    ("origin", "string"),
    ("origin_label", "string | null"),
    ("path", "string | null"),
    ("python", "string | null"),
    ("packages", "EnvironmentPackageWire[]"),
    (
        "advisories",
        "{ id: string; severity: string; title: string }[]",
    ),
    ("problems", "{ path: string; message: string }[]"),
];

/// `extension/src/protocol.ts`: the same names for the extension.
pub fn typescript() -> String {
    let mut out = String::from(
        "// Generated from server/src/lsp/protocol.rs; do not edit. tests/integration/lsp.rs fails when\n\
         // this file and the server's names differ, and rewrites it when run with\n\
         // TUNELINT_UPDATE_PROTOCOL=1 (cargo test --test integration protocol).\n\n",
    );
    let consts = [
        ("RELOAD_ENVIRONMENT", RELOAD_ENVIRONMENT),
        ("INSERT_CELL", INSERT_CELL),
        ("RUN_IN_TERMINAL", RUN_IN_TERMINAL),
        ("RESTART_KERNEL", RESTART_KERNEL),
        ("SHOW_ENVIRONMENT", SHOW_ENVIRONMENT),
        ("ENVIRONMENT_REQUEST", ENVIRONMENT_REQUEST),
        ("RULE_REQUEST", RULE_REQUEST),
        ("RULE_SCHEME", RULE_SCHEME),
        ("FIX_ALL_KIND", FIX_ALL),
        ("SETTINGS_SECTION", SETTINGS_SECTION),
        ("NOTEBOOK_TYPE", NOTEBOOK_TYPE),
    ];
    for (name, value) in consts {
        out.push_str(&format!("export const {name} = '{value}';\n"));
    }
    out.push_str("\n/** The settings the server reads, in `initializationOptions` and the `tunelint` section. */\n");
    out.push_str("export interface ServerSettings {\n");
    for s in SETTINGS {
        out.push_str(&format!("  {}: {};\n", s.key, s.ts_type));
    }
    out.push_str("}\n\n/** What the client declares about itself in `initializationOptions`. */\n");
    out.push_str("export interface ClientOptions {\n");
    for o in CLIENT_OPTIONS {
        out.push_str(&format!("  {o}: boolean;\n"));
    }
    out.push_str("}\n\n/** The documents the server checks. */\n");
    out.push_str("export const DOCUMENT_SELECTOR = [\n");
    for filter in DOCUMENT_SELECTOR {
        out.push_str(&match filter {
            DocumentFilter::Language(l) => format!("  {{ scheme: 'file', language: '{l}' }},\n"),
            DocumentFilter::NotebookCells(l) => {
                format!("  {{ notebook: '{NOTEBOOK_TYPE}', language: '{l}' }},\n")
            }
            DocumentFilter::Pattern(p) => format!("  {{ scheme: 'file', pattern: '{p}' }},\n"),
        });
    }
    out.push_str("];\n\n/** One package row of the `tunelint/environment` result, as sent. */\n");
    out.push_str("export interface EnvironmentPackageWire {\n");
    for (field, ty) in ENVIRONMENT_PACKAGE_FIELDS {
        out.push_str(&format!("  {field}: {ty};\n"));
    }
    out.push_str("}\n\n/** The `tunelint/environment` result, as sent. */\n");
    out.push_str("export interface EnvironmentWire {\n");
    for (field, ty) in ENVIRONMENT_FIELDS {
        out.push_str(&format!("  {field}: {ty};\n"));
    }
    out.push_str("}\n");
    out
}
