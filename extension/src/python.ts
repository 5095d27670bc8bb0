// The Python extension's selected interpreter (`@vscode/python-extension`), when it is installed.

import * as vscode from 'vscode';
import { PythonExtension, PVSC_EXTENSION_ID } from '@vscode/python-extension';

export class PythonInterpreter implements vscode.Disposable {
  private api: PythonExtension | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private loading: Promise<void> | undefined;
  /** Fires when the active environment changes (or the Python extension appears). */
  readonly onDidChange = this.changed.event;

  constructor(private readonly log: (message: string) => void) {
    // The Python extension may be installed or enabled while this one runs.
    this.disposables.push(
      vscode.extensions.onDidChange(() => {
        if (!this.api && vscode.extensions.getExtension(PVSC_EXTENSION_ID)) {
          void this.load().then(() => this.changed.fire());
        }
      }),
    );
  }

  /** Connects to the Python extension when it is installed; never throws. */
  load(): Promise<void> {
    if (this.api || !vscode.extensions.getExtension(PVSC_EXTENSION_ID)) return Promise.resolve();
    this.loading ??= (async () => {
      try {
        const api = await withTimeout(PythonExtension.api(), 15_000);
        if (!api) {
          this.log('the Python extension did not activate within 15 s; using python.defaultInterpreterPath');
          return;
        }
        this.api = api;
        this.disposables.push(api.environments.onDidChangeActiveEnvironmentPath(() => this.changed.fire()));
        this.log("connected to the Python extension's environments API");
      } catch (e) {
        this.log(`the Python extension's API is not available: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  /** The active environment's interpreter (or environment folder) for a resource. */
  activePath(resource: vscode.Uri | undefined): string | undefined {
    try {
      const p = this.api?.environments.getActiveEnvironmentPath(resource).path;
      return p && p.trim() !== '' ? p : undefined;
    } catch {
      return undefined;
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => resolve(undefined), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
