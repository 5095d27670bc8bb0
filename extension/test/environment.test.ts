import assert from 'node:assert/strict';
import { test } from 'node:test';
import { environmentTitle, packageRows, parseEnvironment, shortPython, statusText, statusTooltip } from '../src/environment';

// The shape of `tunelint env --format json` / the `tunelint/environment` request.
const answer = {
  name: '.venv',
  origin: 'project-venv',
  origin_label: "the project's virtual environment",
  path: '/w/.venv',
  python: '3.11.7',
  packages: [
    { package: 'trl', version: '0.8.6', kind: 'installed', source: '.venv/lib/python3.11/site-packages/trl-0.8.6.dist-info', git_commit: null, editable: false, advisories: [] },
    { package: 'peft', version: '0.12.0', kind: 'installed', source: '.venv/lib/python3.11/site-packages/peft-0.12.0.dist-info', git_commit: null, editable: false, advisories: ['UNS001'] },
    { package: 'unsloth', version: '2024.7', kind: 'installed', source: '.venv/.../unsloth-2024.7.dist-info', git_commit: '0123456789abcdef', editable: false, advisories: [{ id: 'UNS001' }] },
    { package: 'peft', version: 'peft<0.12', kind: 'last-run', source: 'nb.ipynb cell 5 output', advisories: [] },
    { version: '1.0' },
  ],
  advisories: [{ id: 'UNS001', severity: 'error', title: '...' }],
  problems: [{ path: '/w/.venv/lib/x.dist-info', message: 'METADATA has no Version' }],
};

test('parseEnvironment keeps what the views need and drops malformed rows', () => {
  const env = parseEnvironment(answer);
  assert.ok(env);
  assert.equal(env.name, '.venv');
  assert.equal(env.originLabel, "the project's virtual environment");
  assert.equal(env.packages.length, 4);
  assert.deepEqual(env.packages[2], {
    package: 'unsloth',
    version: '2024.7',
    kind: 'installed',
    source: '.venv/.../unsloth-2024.7.dist-info',
    advisories: ['UNS001'],
    gitCommit: '0123456789abcdef',
  });
  assert.equal(env.problems.length, 1);
  assert.equal(parseEnvironment(null), undefined);
  assert.equal(parseEnvironment({ packages: [] }), undefined);
  assert.equal(parseEnvironment('x'), undefined);
});

test('status bar text: environment, Python major.minor, findings', () => {
  const env = parseEnvironment(answer);
  assert.equal(statusText(env, 1), 'tunelint: .venv · Python 3.11 · 1 finding');
  assert.equal(statusText(env, 0), 'tunelint: .venv · Python 3.11 · 0 findings');
  assert.equal(statusText({ ...env!, python: null }, 3), 'tunelint: .venv · 3 findings');
  // The system interpreter and a snapshot are named as the server names them, never `usr`.
  assert.equal(
    statusText({ ...env!, name: 'system Python 3.11 (/usr/bin/python3)', python: '3.11.2' }, 2),
    'tunelint: system Python 3.11 (/usr/bin/python3) · 2 findings',
  );
  assert.equal(statusText({ ...env!, name: 'pip-list.json', python: null }, 2), 'tunelint: pip-list.json · 2 findings');
  // A server without the request: degrade to the findings count.
  assert.equal(statusText(undefined, 2), 'tunelint · 2 findings');
  assert.equal(shortPython('3.12'), '3.12');
  assert.equal(shortPython('unknown'), null);
  assert.match(statusTooltip(undefined, 2, 'no environment request'), /no environment request/);
  assert.match(statusTooltip(env, 2), /Found via: the project's virtual environment/);
});

test('quick pick rows: packages with advisories first, then by name', () => {
  const env = parseEnvironment(answer)!;
  const rows = packageRows(env);
  assert.deepEqual(
    rows.map((r) => r.label),
    ['$(warning) peft', '$(warning) unsloth', 'peft', 'trl'],
  );
  assert.deepEqual(rows[0], {
    label: '$(warning) peft',
    description: '0.12.0',
    detail: 'installed · .venv/lib/python3.11/site-packages/peft-0.12.0.dist-info · advisories: UNS001',
  });
  assert.equal(rows[1]!.detail, 'installed, git 0123456789 · .venv/.../unsloth-2024.7.dist-info · advisories: UNS001');
  assert.equal(rows[2]!.detail, 'last run · nb.ipynb cell 5 output');
  assert.equal(environmentTitle(env), "tunelint environment: .venv · Python 3.11.7 (the project's virtual environment)");
});
