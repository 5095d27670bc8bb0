// The `tunelint/environment` response and how it is shown: status bar text, quick pick rows.
// Pure (no `vscode` import).

import type { EnvironmentPackageWire, EnvironmentWire } from './protocol';

export interface PackageRow {
  package: string;
  version: string;
  kind: string;
  source: string;
  advisories: string[];
  gitCommit?: string;
  editable?: boolean;
}

export interface EnvironmentReport {
  name: string;
  origin: string;
  originLabel: string | null;
  python: string | null;
  path: string | null;
  packages: PackageRow[];
  problems: { path: string; message: string }[];
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null;
}

/** The advisory ids of a package: `["UNS001"]`, or objects with an `id`. */
function advisoryIds(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  return v
    .map((a) => (typeof a === 'string' ? a : typeof a === 'object' && a !== null ? str((a as { id?: unknown }).id) : null))
    .filter((a): a is string => a !== null);
}

/** Validates the server's answer; undefined when it is not an environment report. */
export function parseEnvironment(v: unknown): EnvironmentReport | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  // Typed by the wire format protocol.rs declares: a renamed field fails to compile here.
  const o = v as Partial<Record<keyof EnvironmentWire, unknown>>;
  const name = str(o.name);
  if (name === null) return undefined;
  const packages: PackageRow[] = Array.isArray(o.packages)
    ? o.packages.flatMap((p): PackageRow[] => {
        if (typeof p !== 'object' || p === null) return [];
        const r = p as Partial<Record<keyof EnvironmentPackageWire, unknown>>;
        const pkg = str(r.package);
        if (pkg === null) return [];
        const row: PackageRow = {
          package: pkg,
          version: str(r.version) ?? 'unknown',
          kind: str(r.kind) ?? '',
          source: str(r.source) ?? '',
          advisories: advisoryIds(r.advisories),
        };
        const commit = str(r.git_commit);
        if (commit) row.gitCommit = commit;
        if (r.editable === true) row.editable = true;
        return [row];
      })
    : [];
  const problems = Array.isArray(o.problems)
    ? o.problems.flatMap((p) => {
        if (typeof p !== 'object' || p === null) return [];
        const r = p as Partial<Record<keyof EnvironmentWire['problems'][number], unknown>>;
        return [{ path: str(r.path) ?? '', message: str(r.message) ?? '' }];
      })
    : [];
  return {
    name,
    origin: str(o.origin) ?? '',
    originLabel: str(o.origin_label),
    python: str(o.python),
    path: str(o.path),
    packages,
    problems,
  };
}

/** `3.11.7` → `3.11`; anything that is not a version → null. */
export function shortPython(version: string | null): string | null {
  const m = version ? /^(\d+)\.(\d+)/.exec(version) : null;
  return m ? `${m[1]}.${m[2]}` : null;
}

export function findingsText(n: number): string {
  return n === 1 ? '1 finding' : `${n} findings`;
}

/** `tunelint: .venv · Python 3.11 · 1 finding`; without an environment: `tunelint · 1 finding`. */
export function statusText(env: EnvironmentReport | undefined, findings: number): string {
  const parts: string[] = [];
  if (env) {
    const py = shortPython(env.python);
    // A system interpreter's name says its Python already: `system Python 3.11 (/usr/bin/python3)`.
    const named = env.name.includes('Python');
    parts.push(py && !named ? `tunelint: ${env.name} · Python ${py}` : `tunelint: ${env.name}`);
  } else {
    parts.push('tunelint');
  }
  parts.push(findingsText(findings));
  return parts.join(' · ');
}

export function statusTooltip(env: EnvironmentReport | undefined, findings: number, note?: string): string {
  const lines: string[] = [];
  if (env) {
    lines.push(`Environment: ${env.name}${env.python ? ` · Python ${env.python}` : ''}`);
    if (env.originLabel) lines.push(`Found via: ${env.originLabel}`);
    if (env.path) lines.push(`Read from: ${env.path}`);
    lines.push(`${env.packages.length} packages known`);
    if (env.problems.length) lines.push(`${env.problems.length} problem(s) reading it`);
  } else if (note) {
    lines.push(note);
  }
  lines.push(`${findingsText(findings)} in open files`);
  lines.push('Click to show the environment');
  return lines.join('\n');
}

export interface PickRow {
  label: string;
  description: string;
  detail: string;
}

/** One quick pick row per package: `peft` · `0.12.0` · `installed · .venv/... · advisories: UNS001`. */
export function packageRows(env: EnvironmentReport): PickRow[] {
  const rows = [...env.packages].sort(
    (a, b) => Number(b.advisories.length > 0) - Number(a.advisories.length > 0) || a.package.localeCompare(b.package),
  );
  return rows.map((p) => {
    const how = [p.kind.replace(/-/g, ' ')];
    if (p.gitCommit) how.push(`git ${p.gitCommit.slice(0, 10)}`);
    if (p.editable) how.push('editable');
    const detail = [how.filter(Boolean).join(', '), p.source].filter(Boolean);
    if (p.advisories.length) detail.push(`advisories: ${p.advisories.join(', ')}`);
    return {
      label: p.advisories.length ? `$(warning) ${p.package}` : p.package,
      description: p.version,
      detail: detail.join(' · '),
    };
  });
}

export function environmentTitle(env: EnvironmentReport): string {
  const py = env.python ? ` · Python ${env.python}` : '';
  const origin = env.originLabel ? ` (${env.originLabel})` : '';
  return `tunelint environment: ${env.name}${py}${origin}`;
}
