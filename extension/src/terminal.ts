// How a fix's command runs in a terminal of the selected interpreter. Pure.
//
// Shell start-up files (pyenv, conda init, ~/.bashrc) often put their own directories first on
// PATH after the terminal starts, so a bare `pip` may not be the selected interpreter's. The
// command is therefore rewritten to name the interpreter (`pip ...` → `<python> -m pip ...`,
// `uv pip install ...` → `uv pip install --python <python> ...`), and the user confirms the
// rewritten command, exactly as it runs. The interpreter's bin directory also goes first on PATH
// for anything the command starts itself.

import * as path from 'node:path';
import { splitCommand } from './commandArgs';

export interface TerminalEnv {
  /** The directory put first on PATH, or null when no interpreter is known. */
  binDir: string | null;
  /** The interpreter executable the command is rewritten to, or null. */
  python: string | null;
  env: Record<string, string>;
}

/**
 * `python` is what the server was given: an interpreter (`.venv/bin/python`) or an environment
 * directory (`.venv`, a conda prefix); `isDirectory` says which. `isVenv(prefix)` says whether
 * `prefix/pyvenv.cfg` exists.
 */
export function terminalEnvironment(
  python: string | null,
  isDirectory: boolean,
  currentPath: string | undefined,
  isVenv: (prefix: string) => boolean,
  platform: string = process.platform,
): TerminalEnv {
  if (!python) return { binDir: null, python: null, env: {} };
  const win = platform === 'win32';
  const p = win ? path.win32 : path.posix;
  const binDir = isDirectory ? p.join(python, win ? 'Scripts' : 'bin') : p.dirname(python);
  const exe = isDirectory ? p.join(binDir, win ? 'python.exe' : 'python') : python;
  const env: Record<string, string> = {
    PATH: currentPath ? `${binDir}${win ? ';' : ':'}${currentPath}` : binDir,
  };
  const prefix = isDirectory ? python : p.dirname(binDir);
  if (isVenv(prefix)) env.VIRTUAL_ENV = prefix;
  return { binDir, python: exe, env };
}

/** A path as one shell word. */
export function shellQuote(s: string, platform: string = process.platform): string {
  if (/^[\w@%+=:,./\\-]+$/.test(s)) return s;
  if (platform === 'win32') return `"${s.replace(/"/g, '""')}"`;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command as it runs with `python`: each `&&`-joined part that starts with `pip`/`pip3`,
 * `python`/`python3` or `uv pip <subcommand>` names the interpreter. Other parts, and every part
 * when there is no interpreter, stay as they are. (The command was validated by
 * `parseRunInTerminalArgs`.)
 */
export function commandForInterpreter(command: string, python: string | null, platform: string = process.platform): string {
  if (!python) return command;
  const split = splitCommand(command);
  if (!split.ok) return command;
  const py = shellQuote(python, platform);
  const call = platform === 'win32' && py.startsWith('"') ? `& ${py}` : py;
  return split.parts
    .map((part) => {
      const program = part.split(/\s+/)[0] ?? '';
      const rest = part.slice(program.length);
      if (program === 'pip' || program === 'pip3') return `${call} -m pip${rest}`;
      if (program === 'python' || program === 'python3') return `${call}${rest}`;
      const uv = /^uv\s+pip\s+\S+/.exec(part);
      if (uv && !/\s--python\b/.test(part)) return `${uv[0]} --python ${py}${part.slice(uv[0].length)}`;
      return part;
    })
    .join(' && ');
}
