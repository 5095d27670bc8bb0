import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expandPath, isBareCommand, resolveSettings, sameSettings } from '../src/settings';

const ws = '/work/ws';
const home = '/home/u';

test('expandPath: variables, ~, relative paths, empties', () => {
  assert.equal(expandPath('${workspaceFolder}/.venv/bin/python', ws, home), '/work/ws/.venv/bin/python');
  assert.equal(expandPath('~/envs/a/bin/python', ws, home), '/home/u/envs/a/bin/python');
  assert.equal(expandPath('${userHome}/x', ws, home), '/home/u/x');
  assert.equal(expandPath('.venv/bin/python', ws, home), '/work/ws/.venv/bin/python');
  assert.equal(expandPath('/abs/../abs2/python', ws, home), '/abs2/python');
  assert.equal(expandPath('  ', ws, home), null);
  assert.equal(expandPath(undefined, ws, home), null);
  assert.equal(expandPath(42, ws, home), null);
  // Without a folder a relative path or ${workspaceFolder} cannot be resolved.
  assert.equal(expandPath('.venv/bin/python', undefined, home), null);
  assert.equal(expandPath('${workspaceFolder}/x', undefined, home), null);
});

test('isBareCommand: `python` is a command, not a path', () => {
  assert.equal(isBareCommand('python'), true);
  assert.equal(isBareCommand('python3'), true);
  assert.equal(isBareCommand('./python'), false);
  assert.equal(isBareCommand('${workspaceFolder}/python'), false);
  assert.equal(isBareCommand(''), false);
  assert.equal(isBareCommand(undefined), false);
});

test('the interpreter: tunelint.python, then the Python extension, then defaultInterpreterPath', () => {
  const base = { workspaceFolder: ws, home, trusted: true };
  let r = resolveSettings({
    ...base,
    tunelint: { python: '.venv/bin/python' },
    pythonExtension: '/opt/conda/bin/python',
    defaultInterpreterPath: '/usr/bin/python3',
  });
  assert.deepEqual(r, {
    server: { python: '/work/ws/.venv/bin/python', envFile: null, advisories: null, inlayHints: false },
    pythonSource: 'tunelint.python',
  });
  r = resolveSettings({ ...base, tunelint: { python: '' }, pythonExtension: '/opt/conda/bin/python', defaultInterpreterPath: '/usr/bin/python3' });
  assert.equal(r.server.python, '/opt/conda/bin/python');
  assert.equal(r.pythonSource, 'python-extension');
  r = resolveSettings({ ...base, tunelint: {}, defaultInterpreterPath: '${workspaceFolder}/env/bin/python' });
  assert.equal(r.server.python, '/work/ws/env/bin/python');
  assert.equal(r.pythonSource, 'python.defaultInterpreterPath');
});

test("defaultInterpreterPath's default `python` means no interpreter: the server discovers", () => {
  const r = resolveSettings({ tunelint: {}, defaultInterpreterPath: 'python', workspaceFolder: ws, home, trusted: true });
  assert.deepEqual(r, { server: { python: null, envFile: null, advisories: null, inlayHints: false }, pythonSource: 'none' });
});

test('an untrusted workspace gets no interpreter, but keeps the snapshot and advisories', () => {
  const r = resolveSettings({
    tunelint: { python: '/x/bin/python', envFile: 'pip-list.json', advisories: '${workspaceFolder}/adv' },
    pythonExtension: '/opt/conda/bin/python',
    defaultInterpreterPath: '/usr/bin/python3',
    workspaceFolder: ws,
    home,
    trusted: false,
  });
  assert.deepEqual(r, {
    server: { python: null, envFile: '/work/ws/pip-list.json', advisories: '/work/ws/adv', inlayHints: false },
    pythonSource: 'untrusted-workspace',
  });
});

test('sameSettings compares the server keys', () => {
  const a = { python: '/p', envFile: null, advisories: null, inlayHints: false };
  assert.equal(sameSettings(a, { ...a }), true);
  assert.equal(sameSettings(a, { ...a, python: '/q' }), false);
  assert.equal(sameSettings(a, { ...a, envFile: '/e' }), false);
  assert.equal(sameSettings(a, { ...a, inlayHints: true }), false);
});
