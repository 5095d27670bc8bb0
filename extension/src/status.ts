// The status bar item: the environment in use and the number of findings; click = show it.

import * as vscode from 'vscode';
import { SHOW_ENVIRONMENT } from './protocol';
import { EnvironmentReport, statusText, statusTooltip } from './environment';

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private env: EnvironmentReport | undefined;
  private note: string | undefined;
  private error: string | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly fetch: () => Promise<{ env?: EnvironmentReport; note?: string } | undefined>) {
    this.item = vscode.window.createStatusBarItem('tunelint.status', vscode.StatusBarAlignment.Left, 10);
    this.item.name = 'tunelint';
    this.item.command = SHOW_ENVIRONMENT;
    this.disposables.push(
      this.item,
      vscode.languages.onDidChangeDiagnostics(() => this.render()),
      vscode.window.onDidChangeActiveTextEditor(() => this.refresh()),
      vscode.window.onDidChangeActiveNotebookEditor(() => this.refresh()),
    );
  }

  static findings(): number {
    let n = 0;
    for (const [, diagnostics] of vscode.languages.getDiagnostics()) {
      // Hints are advice nobody asked for: they are not counted, as they are not squiggled.
      n += diagnostics.filter((d) => d.source === 'tunelint' && d.severity !== vscode.DiagnosticSeverity.Hint).length;
    }
    return n;
  }

  /** Re-asks the server for the environment (debounced). */
  refresh(delay = 300): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.fetch().then(
        (r) => {
          if (r === undefined) return; // not running: keep what the error/disabled state says
          this.env = r.env;
          this.note = r.note;
          this.error = undefined;
          this.render();
        },
        () => undefined,
      );
    }, delay);
  }

  /** The server could not be started: a red item that says why. */
  setError(message: string): void {
    this.error = message;
    this.env = undefined;
    this.render();
  }

  hide(): void {
    this.item.hide();
  }

  render(): void {
    const n = StatusBar.findings();
    if (this.error) {
      this.item.text = '$(error) tunelint';
      this.item.tooltip = this.error;
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
    } else {
      this.item.text = statusText(this.env, n);
      this.item.tooltip = statusTooltip(this.env, n, this.note);
      this.item.backgroundColor = undefined;
    }
    this.item.show();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}
