import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SUPPORTED_RANGE, checkVersion, parseVersionOutput, runFailureMessage } from '../src/version';

test('parses `tunelint --version`', () => {
  assert.equal(parseVersionOutput('tunelint 0.1.0\n'), '0.1.0');
  assert.equal(parseVersionOutput('tunelint 0.1.3-dev.2\n'), '0.1.3-dev.2');
  assert.equal(parseVersionOutput('tunelint 0.2\n'), '0.2.0');
  assert.equal(parseVersionOutput('ruff 0.5.0\n'), null);
  assert.equal(parseVersionOutput(''), null);
});

test('the bundled version fits the supported range', () => {
  const r = checkVersion('tunelint 0.1.0\n', '/b/tunelint');
  assert.deepEqual(r, { ok: true, version: '0.1.0' });
  assert.equal(checkVersion('tunelint 0.1.9-rc.1', '/b/tunelint').ok, true);
  assert.equal(SUPPORTED_RANGE, '>=0.1.0 <0.2.0');
});

test('a version outside the range says which one and what is supported', () => {
  const r = checkVersion('tunelint 0.2.0\n', '/usr/local/bin/tunelint');
  assert.equal(r.ok, false);
  assert.ok(!r.ok);
  assert.equal(r.version, '0.2.0');
  assert.match(r.message, /\/usr\/local\/bin\/tunelint is tunelint 0\.2\.0/);
  assert.match(r.message, />=0\.1\.0 <0\.2\.0/);
  assert.match(r.message, /tunelint\.path/);
  assert.equal(checkVersion('tunelint 0.0.9', 'x').ok, false);
});

test('another program is not tunelint', () => {
  const r = checkVersion('Python 3.11.2\n', '/usr/bin/python3');
  assert.ok(!r.ok);
  assert.equal(r.version, null);
  assert.match(r.message, /does not look like tunelint/);
  assert.match(r.message, /"Python 3\.11\.2"/);
  const r2 = checkVersion('', '/bin/true');
  assert.ok(!r2.ok);
  assert.match(r2.message, /printed nothing/);
});

test('a binary that cannot run: missing, not executable, other', () => {
  assert.match(runFailureMessage('/nope/tunelint', { code: 'ENOENT' }), /not found at \/nope\/tunelint/);
  assert.match(runFailureMessage('/x', { code: 'EACCES' }), /not executable/);
  assert.match(runFailureMessage('/x', { code: 1, message: 'Command failed' }), /Command failed/);
});
