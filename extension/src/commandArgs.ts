// Validation of the arguments the server's code actions pass to the client commands. Pure.

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

export interface CellToInsert {
  index: number;
  source: string;
}

/** One cell (`{ notebookUri, index, source }`) or several (`{ notebookUri, cells }`). */
export interface InsertCellArgs {
  notebookUri: string;
  cells: CellToInsert[];
}

export interface RunInTerminalArgs {
  command: string;
  uri: string;
}

export interface RestartKernelArgs {
  notebookUri: string;
}

const MAX_SOURCE = 100_000;
const MAX_COMMAND = 2_000;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A URI string with a scheme (`file:///...`, `vscode-notebook-cell:...`). */
export function isUriString(v: unknown): v is string {
  return typeof v === 'string' && /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(v) && v.length < 10_000;
}

function fail<T>(error: string): Parsed<T> {
  return { ok: false, error };
}

const MAX_CELLS = 100;

function parseCell(arg: Record<string, unknown>): Parsed<CellToInsert> {
  const { index, source } = arg;
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) {
    return fail('index must be a non-negative integer');
  }
  if (typeof source !== 'string') return fail('source must be a string');
  if (source.length > MAX_SOURCE) return fail(`source is longer than ${MAX_SOURCE} characters`);
  return { ok: true, value: { index, source } };
}

export function parseInsertCellArgs(arg: unknown): Parsed<InsertCellArgs> {
  if (!isObject(arg)) return fail('expected an object { notebookUri, index, source } or { notebookUri, cells }');
  const { notebookUri } = arg;
  if (!isUriString(notebookUri)) return fail('notebookUri must be a URI string');
  if (arg.cells === undefined) {
    const cell = parseCell(arg);
    return cell.ok ? { ok: true, value: { notebookUri, cells: [cell.value] } } : cell;
  }
  if (!Array.isArray(arg.cells) || arg.cells.length === 0 || arg.cells.length > MAX_CELLS) {
    return fail(`cells must be a list of 1 to ${MAX_CELLS} { index, source } objects`);
  }
  const cells: CellToInsert[] = [];
  for (const c of arg.cells as unknown[]) {
    if (!isObject(c)) return fail('each cell must be an object { index, source }');
    const cell = parseCell(c);
    if (!cell.ok) return cell;
    cells.push(cell.value);
  }
  return { ok: true, value: { notebookUri, cells } };
}

export function parseRestartKernelArgs(arg: unknown): Parsed<RestartKernelArgs> {
  if (!isObject(arg)) return fail('expected an object { notebookUri }');
  if (!isUriString(arg.notebookUri)) return fail('notebookUri must be a URI string');
  return { ok: true, value: { notebookUri: arg.notebookUri } };
}

/**
 * Splits a command line on `&&` outside quotes. Any other shell syntax outside single quotes
 * (`;`, `|`, a single `&`, `<`, `>`, a backquote, `$(`, `${`; in double quotes only the
 * substitutions count) or an unterminated quote is an error. `pip install "peft<0.12"` and
 * `pip uninstall x -y && pip install x` are fine; `pip install x; rm -rf ~` is not.
 */
export function splitCommand(command: string): { ok: true; parts: string[] } | { ok: false; syntax: string } {
  const parts: string[] = [];
  let current = '';
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    const next = command[i + 1];
    if (quote === "'") {
      if (c === "'") quote = null;
      current += c;
      continue;
    }
    if (c === '\\') {
      current += c + (next ?? '');
      i++;
      continue;
    }
    if (c === '`') return { ok: false, syntax: c };
    if (c === '$' && (next === '(' || next === '{')) return { ok: false, syntax: c + next };
    if (quote === '"') {
      if (c === '"') quote = null;
      current += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      current += c;
      continue;
    }
    if (c === '&' && next === '&') {
      parts.push(current.trim());
      current = '';
      i++;
      continue;
    }
    if (';&|<>'.includes(c)) return { ok: false, syntax: c };
    current += c;
  }
  if (quote !== null) return { ok: false, syntax: 'unterminated quote' };
  parts.push(current.trim());
  return { ok: true, parts };
}

/** Programs a fix's command may start with: package installers and interpreters. */
const SHELL_PROGRAMS = new Set(['pip', 'pip3', 'python', 'python3', 'uv', 'conda', 'mamba', 'micromamba']);

/**
 * A shell command the user will see and confirm before it runs: one line, no control characters,
 * package tools (`pip install ...`, `python -m pip ...`, `uv pip ...`) joined by `&&` at most.
 * Anything else (a line of Python, pipes, `;`, redirections, substitutions) is refused: the
 * confirmation must show exactly what runs, and a fix that is not a shell command cannot run.
 */
export function parseRunInTerminalArgs(arg: unknown): Parsed<RunInTerminalArgs> {
  if (!isObject(arg)) return fail('expected an object { command, uri }');
  const { command, uri } = arg;
  if (typeof command !== 'string' || command.trim() === '') return fail('command must be a non-empty string');
  if (command.length > MAX_COMMAND) return fail(`command is longer than ${MAX_COMMAND} characters`);
  if (/[\u0000-\u001f\u007f]/.test(command)) return fail('command must be one line without control characters');
  if (!isUriString(uri)) return fail('uri must be a URI string');
  const split = splitCommand(command);
  if (!split.ok) return fail(`command must be package commands joined by && at most: \`${split.syntax}\` outside quotes is shell syntax`);
  for (const part of split.parts) {
    const program = part.split(/\s+/)[0] ?? '';
    if (!SHELL_PROGRAMS.has(program)) {
      return fail(`\`${part || command.trim()}\` is not a package command (each part must start with one of ${[...SHELL_PROGRAMS].join(', ')})`);
    }
  }
  return { ok: true, value: { command: command.trim(), uri } };
}
