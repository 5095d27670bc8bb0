import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bundledBinary, resolveBinary } from '../src/binary';
import { commandForInterpreter, shellQuote, terminalEnvironment } from '../src/terminal';

test('terminal: the interpreter bin directory goes first on PATH; VIRTUAL_ENV for a venv', () => {
  const venv = (p: string) => p === '/w/.venv';
  assert.deepEqual(terminalEnvironment('/w/.venv/bin/python', false, '/usr/bin:/bin', venv, 'linux'), {
    binDir: '/w/.venv/bin',
    python: '/w/.venv/bin/python',
    env: { PATH: '/w/.venv/bin:/usr/bin:/bin', VIRTUAL_ENV: '/w/.venv' },
  });
  // An environment directory (conda prefix) from the Python extension.
  assert.deepEqual(terminalEnvironment('/opt/conda/envs/ft', true, '/usr/bin', venv, 'linux'), {
    binDir: '/opt/conda/envs/ft/bin',
    python: '/opt/conda/envs/ft/bin/python',
    env: { PATH: '/opt/conda/envs/ft/bin:/usr/bin' },
  });
  assert.deepEqual(terminalEnvironment('C:\\envs\\ft', true, 'C:\\Windows', () => false, 'win32'), {
    binDir: 'C:\\envs\\ft\\Scripts',
    python: 'C:\\envs\\ft\\Scripts\\python.exe',
    env: { PATH: 'C:\\envs\\ft\\Scripts;C:\\Windows' },
  });
  assert.deepEqual(terminalEnvironment(null, false, '/usr/bin', venv, 'linux'), { binDir: null, python: null, env: {} });
});

test('the command names the interpreter, whatever the shell puts first on PATH', () => {
  const py = '/w/.venv/bin/python';
  assert.equal(
    commandForInterpreter('pip uninstall unsloth -y && pip install --upgrade --force-reinstall --no-cache-dir git+https://github.com/unslothai/unsloth.git', py, 'linux'),
    '/w/.venv/bin/python -m pip uninstall unsloth -y && /w/.venv/bin/python -m pip install --upgrade --force-reinstall --no-cache-dir git+https://github.com/unslothai/unsloth.git',
  );
  assert.equal(commandForInterpreter('python -m bitsandbytes', py, 'linux'), '/w/.venv/bin/python -m bitsandbytes');
  assert.equal(commandForInterpreter('pip3 install "peft<0.12"', '/my envs/a b/bin/python', 'linux'), "'/my envs/a b/bin/python' -m pip install \"peft<0.12\"");
  assert.equal(commandForInterpreter('uv pip install  "trl<0.9"', py, 'linux'), 'uv pip install --python /w/.venv/bin/python  "trl<0.9"');
  assert.equal(commandForInterpreter('uv pip install --python /x trl', py, 'linux'), 'uv pip install --python /x trl');
  assert.equal(commandForInterpreter('conda install -y peft', py, 'linux'), 'conda install -y peft');
  assert.equal(commandForInterpreter('pip install x', null, 'linux'), 'pip install x');
  assert.equal(commandForInterpreter('pip install x', 'C:\\My Envs\\python.exe', 'win32'), '& "C:\\My Envs\\python.exe" -m pip install x');
  assert.equal(shellQuote("/it's/python", 'linux'), "'/it'\\''s/python'");
});

test('binary: tunelint.path, else bundled, else PATH', () => {
  const bundled = bundledBinary('/ext', 'linux', 'x64');
  assert.equal(bundled, '/ext/extension/bin/linux-x64/tunelint');
  assert.equal(bundledBinary('/ext', 'win32', 'x64'), '/ext/extension/bin/win32-x64/tunelint.exe');
  assert.deepEqual(resolveBinary('~/bin/tunelint', bundled, () => true, '/w', '/home/u'), {
    path: '/home/u/bin/tunelint',
    source: 'tunelint.path',
  });
  assert.deepEqual(resolveBinary('tunelint-dev', bundled, () => true, '/w', '/home/u'), { path: 'tunelint-dev', source: 'tunelint.path' });
  assert.deepEqual(resolveBinary('', bundled, () => true), { path: bundled, source: 'bundled' });
  assert.deepEqual(resolveBinary(undefined, bundled, () => false), { path: 'tunelint', source: 'PATH' });
});
