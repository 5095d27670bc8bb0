// Settings resolution: which interpreter, environment snapshot and advisory directory the server
// gets. Pure (no `vscode` import) so that it is unit-tested with node:test.

import * as path from 'node:path';
import type { ServerSettings } from './protocol';

/** What the server reads from `initializationOptions` and `workspace/configuration` (`tunelint`). */
export type { ServerSettings } from './protocol';

/** Where the interpreter sent to the server came from (shown in the environment view). */
export type PythonSource =
  | 'tunelint.python'
  | 'python-extension'
  | 'python.defaultInterpreterPath'
  | 'untrusted-workspace'
  | 'none';

export interface ResolveInput {
  /** The `tunelint` section as read from the configuration. */
  tunelint: { python?: unknown; envFile?: unknown; advisories?: unknown; inlayHints?: unknown };
  /** The active environment of the Python extension for the workspace, when it is installed. */
  pythonExtension?: string | undefined;
  /** `python.defaultInterpreterPath` (the Python extension's setting; its default is `python`). */
  defaultInterpreterPath?: unknown;
  /** The workspace folder the paths are relative to. */
  workspaceFolder?: string | undefined;
  home?: string | undefined;
  /** Workspace trust: an untrusted workspace never gets an interpreter (the server may run it). */
  trusted: boolean;
}

export interface ResolvedSettings {
  server: ServerSettings;
  pythonSource: PythonSource;
}

/**
 * Expands `${workspaceFolder}`, `${userHome}` and a leading `~`, and makes a relative path
 * absolute against the workspace folder. Empty or non-string values are `null`; so is a value
 * that needs `${workspaceFolder}` when there is no folder.
 */
export function expandPath(value: unknown, workspaceFolder?: string, home?: string): string | null {
  if (typeof value !== 'string') return null;
  let v = value.trim();
  if (v === '') return null;
  if (v.includes('${workspaceFolder}')) {
    if (!workspaceFolder) return null;
    v = v.split('${workspaceFolder}').join(workspaceFolder);
  }
  if (v.includes('${userHome}')) {
    if (!home) return null;
    v = v.split('${userHome}').join(home);
  }
  if ((v === '~' || v.startsWith('~/')) && home) v = path.join(home, v.slice(1));
  if (!path.isAbsolute(v)) {
    if (!workspaceFolder) return null;
    v = path.join(workspaceFolder, v);
  }
  return path.normalize(v);
}

/** `python`, `python3`, `py`: a command looked up on PATH, not a path to an interpreter. */
export function isBareCommand(value: unknown): boolean {
  return typeof value === 'string' && value.trim() !== '' && !/[\\/~$]/.test(value.trim());
}

/**
 * The settings sent to the server. The interpreter is, in order: `tunelint.python`, the Python
 * extension's active environment, `python.defaultInterpreterPath` when it names a path (its
 * default `python` does not), else none (the server discovers `.venv`, `$VIRTUAL_ENV`, ...).
 */
export function resolveSettings(input: ResolveInput): ResolvedSettings {
  const { workspaceFolder, home } = input;
  const envFile = expandPath(input.tunelint.envFile, workspaceFolder, home);
  const advisories = expandPath(input.tunelint.advisories, workspaceFolder, home);
  const inlayHints = input.tunelint.inlayHints === true;
  if (!input.trusted) {
    return { server: { python: null, envFile, advisories, inlayHints }, pythonSource: 'untrusted-workspace' };
  }
  const candidates: [unknown, PythonSource][] = [
    [input.tunelint.python, 'tunelint.python'],
    [input.pythonExtension, 'python-extension'],
    [input.defaultInterpreterPath, 'python.defaultInterpreterPath'],
  ];
  for (const [value, source] of candidates) {
    if (isBareCommand(value)) continue;
    const python = expandPath(value, workspaceFolder, home);
    if (python) return { server: { python, envFile, advisories, inlayHints }, pythonSource: source };
  }
  return { server: { python: null, envFile, advisories, inlayHints }, pythonSource: 'none' };
}

export function sameSettings(a: ServerSettings, b: ServerSettings): boolean {
  return (
    a.python === b.python && a.envFile === b.envFile && a.advisories === b.advisories && a.inlayHints === b.inlayHints
  );
}

/** Human text for where the interpreter came from. */
export function describePythonSource(source: PythonSource): string {
  switch (source) {
    case 'tunelint.python':
      return 'the tunelint.python setting';
    case 'python-extension':
      return "the Python extension's selected interpreter";
    case 'python.defaultInterpreterPath':
      return 'python.defaultInterpreterPath';
    case 'untrusted-workspace':
      return 'no interpreter: the workspace is not trusted';
    case 'none':
      return "no interpreter selected: tunelint's own discovery (.venv, $VIRTUAL_ENV, $CONDA_PREFIX, python3 on PATH)";
  }
}
