// tunelint for VS Code: starts `tunelint server` (bundled, or tunelint.path) after checking its
// version, sends it the selected interpreter, and implements the commands its code actions call.

import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification,
  ErrorCodes,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  ResponseError,
  RevealOutputChannelOn,
  ServerOptions,
  State,
  type DynamicFeature,
  type StaticFeature,
} from 'vscode-languageclient/node';
import { bundledBinary, resolveBinary } from './binary';
import { INSERT_CELL, RESTART_KERNEL, RUN_IN_TERMINAL, insertCell, restartKernel, runInTerminal } from './commands';
import { EnvironmentReport, environmentTitle, packageRows, parseEnvironment } from './environment';
import { PythonInterpreter } from './python';
import { ResolvedSettings, describePythonSource, resolveSettings, sameSettings } from './settings';
import { StatusBar } from './status';
import { checkVersion, runFailureMessage } from './version';
import {
  ClientOptions,
  DOCUMENT_SELECTOR,
  ENVIRONMENT_REQUEST,
  RELOAD_ENVIRONMENT,
  RULE_REQUEST,
  RULE_SCHEME,
  SETTINGS_SECTION,
  SHOW_ENVIRONMENT,
  ServerSettings,
} from './protocol';

const RELOAD = RELOAD_ENVIRONMENT;

/** The documents tunelint checks. Notebook cells are synced as whole notebooks by the server. */
export { DOCUMENT_SELECTOR };

/**
 * `tunelint.reloadEnvironment` is the extension's own command (it must exist while the server is
 * down and refresh the status bar), so the client must not register the server's commands too.
 */
class TunelintLanguageClient extends LanguageClient {
  public override registerFeature(feature: StaticFeature | DynamicFeature<unknown>): void {
    const method = (feature as { registrationType?: { method?: string } }).registrationType?.method;
    if (method === ExecuteCommandRequest.method) return;
    super.registerFeature(feature);
  }
}

class Tunelint implements vscode.Disposable {
  private client: TunelintLanguageClient | undefined;
  private settings: ResolvedSettings | undefined;
  private readonly output = vscode.window.createOutputChannel('tunelint', { log: true });
  private readonly python = new PythonInterpreter((m) => this.output.appendLine(m));
  private readonly status = new StatusBar(() => this.fetchEnvironment());
  private readonly disposables: vscode.Disposable[] = [this.output, this.python, this.status];
  private starting: Promise<void> = Promise.resolve();

  constructor(private readonly context: vscode.ExtensionContext) {}

  register(): void {
    const cmd = (id: string, f: (...args: unknown[]) => unknown) => vscode.commands.registerCommand(id, f);
    this.disposables.push(
      cmd('tunelint.restart', () => this.restart()),
      cmd(RELOAD, () => this.reloadEnvironment()),
      cmd(SHOW_ENVIRONMENT, () => this.showEnvironment()),
      cmd(INSERT_CELL, (arg) => insertCell(arg)),
      cmd(RUN_IN_TERMINAL, (arg) =>
        runInTerminal(arg, {
          python: () => ({
            path: this.settings?.server.python ?? null,
            description: describePythonSource(this.settings?.pythonSource ?? 'none'),
          }),
        }),
      ),
      cmd(RESTART_KERNEL, (arg) => restartKernel(arg)),
      vscode.workspace.registerTextDocumentContentProvider(RULE_SCHEME, {
        provideTextDocumentContent: (uri) => this.rulePage(uri),
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('tunelint.enable') || e.affectsConfiguration('tunelint.path')) {
          void this.restart();
        } else if (e.affectsConfiguration('tunelint') || e.affectsConfiguration('python.defaultInterpreterPath')) {
          void this.pushSettings();
        }
      }),
      this.python.onDidChange(() => void this.pushSettings()),
      // Trust changes what the server may do (interpreter, terminal commands): start it again.
      vscode.workspace.onDidGrantWorkspaceTrust(() => void this.restart()),
      vscode.workspace.onDidChangeWorkspaceFolders(() => void this.pushSettings()),
    );
  }

  private folder(): vscode.WorkspaceFolder | undefined {
    return vscode.workspace.workspaceFolders?.[0];
  }

  private async resolve(): Promise<ResolvedSettings> {
    const folder = this.folder();
    if (vscode.workspace.isTrusted) await this.python.load();
    const config = vscode.workspace.getConfiguration(SETTINGS_SECTION, folder?.uri);
    return resolveSettings({
      tunelint: {
        python: config.get('python'),
        envFile: config.get('envFile'),
        advisories: config.get('advisories'),
        inlayHints: config.get('inlayHints'),
      },
      pythonExtension: vscode.workspace.isTrusted ? this.python.activePath(folder?.uri) : undefined,
      defaultInterpreterPath: vscode.workspace.getConfiguration('python', folder?.uri).get('defaultInterpreterPath'),
      workspaceFolder: folder?.uri.fsPath,
      home: os.homedir(),
      trusted: vscode.workspace.isTrusted,
    });
  }

  start(): Promise<void> {
    // Starts and restarts run one after the other; a failure does not block the next one.
    this.starting = this.starting
      .then(() => this.doStart())
      .catch((e: unknown) => this.output.appendLine(`error: ${e instanceof Error ? e.message : String(e)}`));
    return this.starting;
  }

  private async doStart(): Promise<void> {
    if (this.client) return;
    const folder = this.folder();
    const config = vscode.workspace.getConfiguration(SETTINGS_SECTION, folder?.uri);
    if (!config.get<boolean>('enable', true)) {
      this.output.appendLine('tunelint.enable is false: the language server is not started');
      this.status.hide();
      return;
    }
    const binary = resolveBinary(
      config.get('path'),
      bundledBinary(this.context.extensionPath),
      (p) => fs.existsSync(p),
      folder?.uri.fsPath,
      os.homedir(),
    );
    const version = await new Promise<{ stdout: string } | { error: { code?: unknown; message?: string } }>((resolve) => {
      execFile(binary.path, ['--version'], { timeout: 10_000 }, (error, stdout) =>
        resolve(error ? { error } : { stdout: String(stdout) }),
      );
    });
    const check =
      'error' in version
        ? { ok: false as const, message: runFailureMessage(binary.path, version.error) }
        : checkVersion(version.stdout, binary.path);
    if (!check.ok) {
      this.output.appendLine(`error: ${check.message}`);
      this.status.setError(check.message);
      void vscode.window.showErrorMessage(`tunelint: ${check.message}`, 'Open Settings', 'Show Output').then((choice) => {
        if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'tunelint.path');
        if (choice === 'Show Output') this.output.show();
      });
      return;
    }
    this.output.appendLine(`using tunelint ${check.version} at ${binary.path} (${binary.source})`);
    this.settings = await this.resolve();
    this.output.appendLine(
      `interpreter: ${this.settings.server.python ?? '(none)'} (${describePythonSource(this.settings.pythonSource)})`,
    );
    const serverOptions: ServerOptions = { command: binary.path, args: ['server'] };
    // Set below; the middleware compares it with the current client.
    let client: TunelintLanguageClient | undefined = undefined;
    const clientOptions: LanguageClientOptions = {
      documentSelector: DOCUMENT_SELECTOR,
      diagnosticCollectionName: 'tunelint',
      outputChannel: this.output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: {
        ...this.settings.server,
        insertCellCommand: true,
        terminalCommands: vscode.workspace.isTrusted,
        ruleDocuments: true,
        // Push: the server publishes a notebook's cells together, for one version of it.
        pullDiagnostics: false,
      } satisfies ServerSettings & ClientOptions,
      middleware: {
        // While the client stops (restart, window closing), VS Code may still ask; answer nothing
        // rather than let the client try to start the server again.
        provideCodeActions: (document, range, context, token, next) =>
          this.client === client ? next(document, range, context, token) : [],
        provideHover: (document, position, token, next) => (this.client === client ? next(document, position, token) : null),
        workspace: {
          // The server pulls section `tunelint`: answer with the resolved paths (interpreter included).
          configuration: async (params, token, next) => {
            const result: unknown = await next(params, token);
            if (!Array.isArray(result)) return result as never;
            const server = this.settings?.server;
            return params.items.map((item, i) => {
              const value: unknown = result[i];
              if (item.section !== SETTINGS_SECTION || !server) return value;
              return { ...(typeof value === 'object' && value !== null ? value : {}), ...server };
            }) as never;
          },
        },
      },
    };
    client = new TunelintLanguageClient('tunelint', 'tunelint', serverOptions, clientOptions);
    this.client = client;
    client.onDidChangeState((e) => {
      if (e.newState === State.Running) this.status.refresh(0);
      if (e.newState === State.Stopped && this.client === client) this.status.setError('The tunelint language server stopped. Run "tunelint: Restart the language server".');
    });
    try {
      await client.start();
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.output.appendLine(`error: the language server did not start: ${message}`);
      this.status.setError(`The tunelint language server did not start: ${message}`);
      void vscode.window.showErrorMessage(`tunelint: the language server did not start: ${message}`);
    }
  }

  private async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.stop(5_000);
      } catch (e) {
        this.output.appendLine(`stopping the server: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  async restart(): Promise<void> {
    await this.starting;
    await this.stop();
    await this.start();
  }

  private running(): TunelintLanguageClient | undefined {
    return this.client?.state === State.Running ? this.client : undefined;
  }

  /** Sends the resolved settings when they changed (interpreter switched, setting edited). */
  private async pushSettings(): Promise<void> {
    await this.starting;
    const client = this.running();
    if (!client) return;
    const next = await this.resolve();
    if (this.settings && sameSettings(this.settings.server, next.server)) {
      this.settings = next;
      return;
    }
    this.settings = next;
    this.output.appendLine(`interpreter: ${next.server.python ?? '(none)'} (${describePythonSource(next.pythonSource)})`);
    await client.sendNotification(DidChangeConfigurationNotification.type, { settings: { tunelint: next.server } });
    this.status.refresh(1_000);
  }

  private async reloadEnvironment(): Promise<void> {
    const client = this.running();
    if (!client) {
      void vscode.window.showWarningMessage('tunelint is not running. Run "tunelint: Restart the language server".');
      return;
    }
    await client.sendRequest(ExecuteCommandRequest.type, { command: RELOAD, arguments: [] });
    this.status.refresh(0);
  }

  /** The document the environment is asked for: the active cell, file or notebook. */
  private activeUri(): string | null {
    const doc = vscode.window.activeTextEditor?.document.uri;
    if (doc && (doc.scheme === 'file' || doc.scheme === 'vscode-notebook-cell')) return doc.toString();
    const nb = vscode.window.activeNotebookEditor?.notebook.uri;
    return nb ? nb.toString() : null;
  }

  /** The text of an advisory's page, asked of the server. */
  private async rulePage(uri: vscode.Uri): Promise<string> {
    const client = this.running();
    if (!client) return 'tunelint is not running.';
    try {
      const answer: unknown = await client.sendRequest(RULE_REQUEST, { uri: uri.toString() });
      const text = typeof answer === 'object' && answer !== null ? (answer as { text?: unknown }).text : undefined;
      return typeof text === 'string' ? text : 'The server answered tunelint/rule with something unexpected.';
    } catch (e) {
      return `No advisory page: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  private async fetchEnvironment(): Promise<{ env?: EnvironmentReport; note?: string } | undefined> {
    const client = this.running();
    if (!client) return undefined;
    try {
      const answer: unknown = await client.sendRequest(ENVIRONMENT_REQUEST, { uri: this.activeUri() });
      const env = parseEnvironment(answer);
      return env ? { env } : { note: 'The server answered tunelint/environment with something unexpected.' };
    } catch (e) {
      if (e instanceof ResponseError && e.code === ErrorCodes.MethodNotFound) {
        return { note: 'This tunelint server does not report its environment (no tunelint/environment request).' };
      }
      return { note: `Environment not available: ${e instanceof Error ? e.message : String(e)}` };
    }
  }

  private async showEnvironment(): Promise<void> {
    const r = await this.fetchEnvironment();
    if (!r) {
      void vscode.window.showWarningMessage('tunelint is not running. Run "tunelint: Restart the language server".');
      return;
    }
    if (!r.env) {
      void vscode.window.showWarningMessage(`tunelint: ${r.note ?? 'no environment'}`);
      return;
    }
    const env = r.env;
    type Item = vscode.QuickPickItem;
    const items: Item[] = [];
    const s = this.settings;
    items.push({
      label: '$(info) Interpreter',
      description: s?.server.python ?? 'none',
      detail: `${s?.server.python ? 'from ' : ''}${describePythonSource(s?.pythonSource ?? 'none')}${env.path ? ` · read from ${env.path}` : ''}`,
    });
    if (env.problems.length) {
      items.push({ label: 'problems', kind: vscode.QuickPickItemKind.Separator });
      for (const p of env.problems) items.push({ label: `$(error) ${p.message}`, detail: p.path });
    }
    items.push({ label: `packages (${env.packages.length})`, kind: vscode.QuickPickItemKind.Separator });
    items.push(...packageRows(env));
    const pick = vscode.window.createQuickPick<Item>();
    pick.title = environmentTitle(env);
    pick.placeholder = 'package · version · how it is known (installed, declared, last run) · source · advisories';
    pick.matchOnDescription = true;
    pick.matchOnDetail = true;
    pick.items = items;
    pick.onDidAccept(() => pick.hide());
    pick.onDidHide(() => pick.dispose());
    pick.show();
    this.status.refresh(0);
  }

  async dispose(): Promise<void> {
    await this.stop();
    for (const d of this.disposables) d.dispose();
  }
}

let instance: Tunelint | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  instance = new Tunelint(context);
  instance.register();
  await instance.start();
}

export async function deactivate(): Promise<void> {
  await instance?.dispose();
  instance = undefined;
}
