// Generated from server/src/lsp/protocol.rs; do not edit. tests/integration/lsp.rs fails when
// this file and the server's names differ, and rewrites it when run with
// TUNELINT_UPDATE_PROTOCOL=1 (cargo test --test integration protocol).

export const RELOAD_ENVIRONMENT = 'tunelint.reloadEnvironment';
export const INSERT_CELL = 'tunelint.insertCell';
export const RUN_IN_TERMINAL = 'tunelint.runInTerminal';
export const RESTART_KERNEL = 'tunelint.restartKernel';
export const SHOW_ENVIRONMENT = 'tunelint.showEnvironment';
export const ENVIRONMENT_REQUEST = 'tunelint/environment';
export const RULE_REQUEST = 'tunelint/rule';
export const RULE_SCHEME = 'tunelint-rule';
export const FIX_ALL_KIND = 'source.fixAll.tunelint';
export const SETTINGS_SECTION = 'tunelint';
export const NOTEBOOK_TYPE = 'jupyter-notebook';

/** The settings the server reads, in `initializationOptions` and the `tunelint` section. */
export interface ServerSettings {
  python: string | null;
  envFile: string | null;
  advisories: string | null;
  inlayHints: boolean;
}

/** What the client declares about itself in `initializationOptions`. */
export interface ClientOptions {
  insertCellCommand: boolean;
  terminalCommands: boolean;
  ruleDocuments: boolean;
  pullDiagnostics: boolean;
}

/** The documents the server checks. */
export const DOCUMENT_SELECTOR = [
  { scheme: 'file', language: 'python' },
  { notebook: 'jupyter-notebook', language: 'python' },
  { scheme: 'file', language: 'pip-requirements' },
  { scheme: 'file', pattern: '**/requirements*.{txt,in}' },
  { scheme: 'file', pattern: '**/*-requirements.txt' },
  { scheme: 'file', pattern: '**/requirements/*.{txt,in}' },
  { scheme: 'file', pattern: '**/pyproject.toml' },
  { scheme: 'file', pattern: '**/{uv.lock,poetry.lock,Pipfile.lock,conda-*.lock}' },
  { scheme: 'file', pattern: '**/pylock.toml' },
  { scheme: 'file', pattern: '**/pylock.*.toml' },
  { scheme: 'file', pattern: '**/environment.{yml,yaml}' },
];

/** One package row of the `tunelint/environment` result, as sent. */
export interface EnvironmentPackageWire {
  package: string;
  version: string;
  kind: string;
  source: string;
  git_commit: string | null;
  editable: boolean;
  advisories: string[];
}

/** The `tunelint/environment` result, as sent. */
export interface EnvironmentWire {
  name: string;
  origin: string;
  origin_label: string | null;
  path: string | null;
  python: string | null;
  packages: EnvironmentPackageWire[];
  advisories: { id: string; severity: string; title: string }[];
  problems: { path: string; message: string }[];
}
