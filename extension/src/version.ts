// The server binary's version check: `tunelint --version` prints `tunelint 0.1.0`. Pure.

import * as semver from 'semver';

/** The server versions this extension speaks to (custom request, command arguments). */
export const SUPPORTED_RANGE = '>=0.1.0 <0.2.0';

export type VersionCheck =
  | { ok: true; version: string }
  | { ok: false; version: string | null; message: string };

/** The version in `tunelint --version` output, or null when the output is not tunelint's. */
export function parseVersionOutput(stdout: string): string | null {
  const m = /^tunelint\s+(\S+)/m.exec(stdout.trim());
  if (!m) return null;
  return semver.valid(m[1]) ?? semver.valid(semver.coerce(m[1], { includePrerelease: true }));
}

export function checkVersion(stdout: string, binary: string, range: string = SUPPORTED_RANGE): VersionCheck {
  const version = parseVersionOutput(stdout);
  if (version === null) {
    const first = stdout.trim().split('\n')[0] ?? '';
    return {
      ok: false,
      version: null,
      message: `${binary} does not look like tunelint: \`--version\` printed ${first ? `"${first.slice(0, 80)}"` : 'nothing'}. Set tunelint.path to a tunelint binary, or clear it to use the bundled one.`,
    };
  }
  if (!semver.satisfies(version, range, { includePrerelease: true })) {
    return {
      ok: false,
      version,
      message: `${binary} is tunelint ${version}, but this extension supports tunelint ${range}. Install a matching tunelint, or clear tunelint.path to use the bundled one.`,
    };
  }
  return { ok: true, version };
}

/** The message for a binary that could not be run at all. */
export function runFailureMessage(binary: string, error: { code?: unknown; message?: string }): string {
  if (error.code === 'ENOENT') {
    return `tunelint was not found at ${binary}. Set tunelint.path to the tunelint binary, or clear it to use the bundled one.`;
  }
  if (error.code === 'EACCES') {
    return `${binary} is not executable (EACCES). Check tunelint.path.`;
  }
  return `could not run \`${binary} --version\`: ${error.message ?? String(error.code)}`;
}
