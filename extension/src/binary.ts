// Which tunelint binary the extension runs. Pure apart from the `exists` callback.

import * as path from 'node:path';
import { expandPath } from './settings';

export type BinarySource = 'tunelint.path' | 'bundled' | 'PATH';

export interface Binary {
  path: string;
  source: BinarySource;
}

/** `bin/linux-x64/tunelint` inside the extension (`tunelint.exe` on Windows). */
export function bundledBinary(extensionPath: string, platform: string = process.platform, arch: string = process.arch): string {
  const exe = platform === 'win32' ? 'tunelint.exe' : 'tunelint';
  return path.join(extensionPath, 'extension', 'bin', `${platform}-${arch}`, exe);
}

/** `tunelint.path` when set, else the bundled binary when it exists, else `tunelint` on PATH. */
export function resolveBinary(
  setting: unknown,
  bundled: string,
  exists: (p: string) => boolean,
  workspaceFolder?: string,
  home?: string,
): Binary {
  if (typeof setting === 'string' && setting.trim() !== '') {
    const p = /[\\/~$]/.test(setting) ? expandPath(setting, workspaceFolder, home) : setting.trim();
    if (p) return { path: p, source: 'tunelint.path' };
  }
  if (exists(bundled)) return { path: bundled, source: 'bundled' };
  return { path: 'tunelint', source: 'PATH' };
}
