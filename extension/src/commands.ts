// The commands the server's code actions call: insert a notebook cell, run a command in a
// terminal of the selected interpreter, restart the kernel.

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseInsertCellArgs, parseRestartKernelArgs, parseRunInTerminalArgs } from './commandArgs';
import { commandForInterpreter, terminalEnvironment } from './terminal';

export { INSERT_CELL, RESTART_KERNEL, RUN_IN_TERMINAL } from './protocol';
const JUPYTER_EXTENSION = 'ms-toolsai.jupyter';
const JUPYTER_RESTART = 'jupyter.restartkernel';

function sameUri(a: vscode.Uri, b: vscode.Uri): boolean {
  return a.toString() === b.toString();
}

async function notebookFor(uri: vscode.Uri): Promise<vscode.NotebookDocument> {
  return vscode.workspace.notebookDocuments.find((d) => sameUri(d.uri, uri)) ?? vscode.workspace.openNotebookDocument(uri);
}

/**
 * `tunelint.insertCell { notebookUri, index, source }`: a code cell with that source at that index;
 * `{ notebookUri, cells: [{ index, source }, ...] }` (fix-all): each, in the order given (the server
 * sends the highest index first, so each index still means what it meant).
 */
export async function insertCell(arg: unknown): Promise<boolean> {
  const parsed = parseInsertCellArgs(arg);
  if (!parsed.ok) {
    void vscode.window.showErrorMessage(`tunelint.insertCell: ${parsed.error}`);
    return false;
  }
  const { notebookUri, cells } = parsed.value;
  const notebook = await notebookFor(vscode.Uri.parse(notebookUri, true));
  let at = 0;
  for (const { index, source } of cells) {
    at = Math.min(index, notebook.cellCount);
    const edit = new vscode.WorkspaceEdit();
    edit.set(notebook.uri, [
      vscode.NotebookEdit.insertCells(at, [new vscode.NotebookCellData(vscode.NotebookCellKind.Code, source, 'python')]),
    ]);
    if (!(await vscode.workspace.applyEdit(edit))) {
      void vscode.window.showErrorMessage(`tunelint: could not insert a cell into ${path.basename(notebook.uri.fsPath)}`);
      return false;
    }
  }
  const editor = vscode.window.visibleNotebookEditors.find((e) => e.notebook === notebook);
  if (editor) {
    const range = new vscode.NotebookRange(at, at + 1);
    editor.selections = [range];
    editor.revealRange(range, vscode.NotebookEditorRevealType.InCenterIfOutsideViewport);
  }
  return true;
}

/** What the terminal command needs from the extension's state. */
export interface TerminalContext {
  /** The interpreter (or environment directory) sent to the server, and where it came from. */
  python(): { path: string | null; description: string };
}

/**
 * `tunelint.runInTerminal { command, uri }`: shows the exact command, and after the user confirms,
 * runs it in a terminal whose PATH starts with the selected interpreter's bin directory. Refused
 * in an untrusted workspace.
 */
export async function runInTerminal(arg: unknown, ctx: TerminalContext): Promise<boolean> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showErrorMessage('tunelint runs no commands in an untrusted workspace. Trust the workspace first (Workspaces: Manage Workspace Trust).');
    return false;
  }
  const parsed = parseRunInTerminalArgs(arg);
  if (!parsed.ok) {
    void vscode.window.showErrorMessage(`tunelint.runInTerminal: ${parsed.error}`);
    return false;
  }
  const { command, uri } = parsed.value;
  const resource = vscode.Uri.parse(uri, true);
  const folder = vscode.workspace.getWorkspaceFolder(resource) ?? vscode.workspace.workspaceFolders?.[0];
  const cwd = folder?.uri.fsPath ?? (resource.scheme === 'file' ? path.dirname(resource.fsPath) : undefined);
  const python = ctx.python();
  const isDirectory = python.path !== null && isDir(python.path);
  const terminalEnv = terminalEnvironment(python.path, isDirectory, process.env.PATH, (prefix) =>
    fs.existsSync(path.join(prefix, 'pyvenv.cfg')),
  );
  const { binDir, env } = terminalEnv;
  // The command names the interpreter: shell start-up files may put another `pip` first on PATH.
  const runs = commandForInterpreter(command, terminalEnv.python);
  const where = binDir
    ? `With the interpreter from ${python.description}; ${binDir} is also first on PATH.`
    : `${python.description[0]!.toUpperCase()}${python.description.slice(1)}: runs with the terminal's own PATH.`;
  const fromFix = runs !== command ? `\n\nThe fix's command: ${command}` : '';
  const choice = await vscode.window.showWarningMessage(
    'Run this command in a terminal?',
    { modal: true, detail: `${runs}\n\n${where}${cwd ? `\nIn ${cwd}` : ''}${fromFix}` },
    'Run',
  );
  if (choice !== 'Run') return false;
  const name = binDir ? `tunelint: ${path.basename(path.dirname(binDir))}` : 'tunelint';
  const terminal = vscode.window.createTerminal({ name, cwd, env });
  terminal.show();
  terminal.sendText(runs, true);
  return true;
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** `tunelint.restartKernel { notebookUri }`: the Jupyter extension's restart, else what to do. */
export async function restartKernel(arg: unknown): Promise<boolean> {
  const parsed = parseRestartKernelArgs(arg);
  if (!parsed.ok) {
    void vscode.window.showErrorMessage(`tunelint.restartKernel: ${parsed.error}`);
    return false;
  }
  const uri = vscode.Uri.parse(parsed.value.notebookUri, true);
  const name = path.basename(uri.fsPath);
  const hasJupyter = vscode.extensions.getExtension(JUPYTER_EXTENSION) !== undefined;
  if (hasJupyter && (await vscode.commands.getCommands(true)).includes(JUPYTER_RESTART)) {
    // The Jupyter extension restarts the kernel of the active notebook editor.
    const notebook = await notebookFor(uri);
    await vscode.window.showNotebookDocument(notebook, { preserveFocus: false });
    await vscode.commands.executeCommand(JUPYTER_RESTART, uri);
    return true;
  }
  void vscode.window.showInformationMessage(
    `Restart the kernel of ${name} so that the reinstalled packages are loaded: "Restart" in the notebook's toolbar (Colab: Runtime > Restart session). The Jupyter extension (${JUPYTER_EXTENSION}) can do it for you.`,
  );
  return false;
}
