// The manifest (root package.json) against what the code registers and sends.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as semver from 'semver';

const root = join(__dirname, '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const source = readFileSync(join(root, 'extension', 'src', 'extension.ts'), 'utf8');

test('commands: contributed = registered', () => {
  const contributed = pkg.contributes.commands.map((c: { command: string }) => c.command).sort();
  assert.deepEqual(contributed, [
    'tunelint.insertCell',
    'tunelint.reloadEnvironment',
    'tunelint.restart',
    'tunelint.restartKernel',
    'tunelint.runInTerminal',
    'tunelint.showEnvironment',
  ]);
  assert.ok(source.includes(`'tunelint.restart'`), 'tunelint.restart');
  // The rest are protocol.ts's names (generated from the server's protocol.rs).
  for (const id of ['RELOAD', 'SHOW_ENVIRONMENT', 'INSERT_CELL', 'RUN_IN_TERMINAL', 'RESTART_KERNEL']) {
    assert.ok(source.includes(`cmd(${id}`), id);
  }
});

test('settings: enable, path, python, envFile, advisories, inlayHints, trace.server', () => {
  assert.deepEqual(Object.keys(pkg.contributes.configuration.properties).sort(), [
    'tunelint.advisories',
    'tunelint.enable',
    'tunelint.envFile',
    'tunelint.inlayHints',
    'tunelint.path',
    'tunelint.python',
    'tunelint.trace.server',
  ]);
  // Settings that choose what runs or what is read are ignored from an untrusted workspace.
  assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
  assert.deepEqual(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations.sort(), [
    'tunelint.advisories',
    'tunelint.envFile',
    'tunelint.path',
    'tunelint.python',
  ]);
});

test('engines, activation, dependencies', () => {
  assert.equal(pkg.engines.vscode, '^1.91.0');
  // @types/vscode may not be newer than the oldest VS Code supported (vsce refuses it).
  assert.ok(semver.satisfies(semver.minVersion(pkg.devDependencies['@types/vscode'])!, pkg.engines.vscode));
  assert.ok(semver.satisfies('11.0.0', pkg.dependencies['vscode-languageclient']));
  assert.ok(semver.satisfies(semver.minVersion(pkg.devDependencies['@vscode/vsce'])!, '3.x'), 'vsce 4 needs Node 22');
  for (const e of ['onLanguage:python', 'onNotebook:jupyter-notebook', 'workspaceContains:**/pyproject.toml', 'workspaceContains:**/requirements*.txt']) {
    assert.ok(pkg.activationEvents.includes(e), e);
  }
  assert.equal(pkg.main, './extension/dist/extension.js');
});
