import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseInsertCellArgs, parseRestartKernelArgs, parseRunInTerminalArgs, splitCommand } from '../src/commandArgs';

const nb = 'file:///work/ws/gemma2-finetune.ipynb';

test('insertCell: the server sends { notebookUri, index, source }', () => {
  const ok = parseInsertCellArgs({ notebookUri: nb, index: 1, source: '!pip install x' });
  assert.deepEqual(ok, { ok: true, value: { notebookUri: nb, cells: [{ index: 1, source: '!pip install x' }] } });
  assert.equal(parseInsertCellArgs({ notebookUri: nb, index: 0, source: '' }).ok, true);
});

test('insertCell: fix-all sends { notebookUri, cells }', () => {
  const cells = [
    { index: 5, source: '!pip install a' },
    { index: 2, source: '!pip install b' },
  ];
  assert.deepEqual(parseInsertCellArgs({ notebookUri: nb, cells }), { ok: true, value: { notebookUri: nb, cells } });
  assert.match((parseInsertCellArgs({ notebookUri: nb, cells: [] }) as { error: string }).error, /cells/);
  assert.match((parseInsertCellArgs({ notebookUri: nb, cells: [{ index: -1, source: 'x' }] }) as { error: string }).error, /index/);
});

test('insertCell: malformed arguments are refused with a reason', () => {
  const bad: [unknown, RegExp][] = [
    [undefined, /expected an object/],
    [[nb, 1, 'x'], /expected an object/],
    [{ notebookUri: '/no/scheme.ipynb', index: 1, source: 'x' }, /notebookUri/],
    [{ notebookUri: nb, index: -1, source: 'x' }, /index/],
    [{ notebookUri: nb, index: 1.5, source: 'x' }, /index/],
    [{ notebookUri: nb, index: '1', source: 'x' }, /index/],
    [{ notebookUri: nb, index: 1 }, /source/],
    [{ notebookUri: nb, index: 1, source: 'x'.repeat(100_001) }, /longer/],
  ];
  for (const [arg, why] of bad) {
    const r = parseInsertCellArgs(arg);
    assert.ok(!r.ok, JSON.stringify(arg)?.slice(0, 80));
    assert.match(r.error, why);
  }
});

test('restartKernel: { notebookUri }', () => {
  assert.deepEqual(parseRestartKernelArgs({ notebookUri: nb }), { ok: true, value: { notebookUri: nb } });
  assert.equal(parseRestartKernelArgs({}).ok, false);
  assert.equal(parseRestartKernelArgs(null).ok, false);
});

test('runInTerminal: package commands the advisories carry are accepted', () => {
  for (const command of [
    'pip install --upgrade --force-reinstall --no-cache-dir --no-deps unsloth unsloth_zoo',
    'pip install --no-build-isolation --force-reinstall flash-attn',
    'python -m bitsandbytes',
    'pip install "peft<0.12"',
    "pip install 'unsloth @ git+https://github.com/unslothai/unsloth.git'",
    'uv pip install "trl>=0.9,<0.12"',
    // UNS001's reinstall for a script, as the server sends it.
    'pip uninstall unsloth -y && pip install --upgrade --force-reinstall --no-cache-dir git+https://github.com/unslothai/unsloth.git',
  ]) {
    const r = parseRunInTerminalArgs({ command, uri: nb });
    assert.deepEqual(r, { ok: true, value: { command, uri: nb } }, command);
  }
  // Surrounding whitespace is not part of the command.
  const r = parseRunInTerminalArgs({ command: '  pip install triton ', uri: 'file:///w/train.py' });
  assert.ok(r.ok);
  assert.equal(r.value.command, 'pip install triton');
});

test('runInTerminal: anything but one package command is refused', () => {
  const bad: [unknown, RegExp][] = [
    [{ command: 'pip install x', uri: 'relative/path' }, /uri/],
    [{ command: '', uri: nb }, /non-empty/],
    [{ command: 'pip install x\nrm -rf ~', uri: nb }, /one line/],
    [{ command: 'pip install x; rm -rf ~', uri: nb }, /`;`/],
    [{ command: 'pip install x && curl evil', uri: nb }, /`curl evil` is not a package command/],
    [{ command: 'pip install x | sh', uri: nb }, /`\|`/],
    [{ command: 'pip install x & pip install y', uri: nb }, /`&`/],
    [{ command: 'pip install x &&', uri: nb }, /not a package command/],
    [{ command: 'pip install $(cat list)', uri: nb }, /`\$\(`/],
    [{ command: 'pip install "`id`"', uri: nb }, /`/],
    [{ command: 'pip install x > /etc/passwd', uri: nb }, /`>`/],
    [{ command: 'pip install "unterminated', uri: nb }, /unterminated quote/],
    // TF016's "command" is a line of Python, not something a shell can run.
    [{ command: 'AutoModelForCausalLM.from_pretrained(model_id, attn_implementation="eager")', uri: nb }, /not a package command/],
    [{ command: 'rm -rf /', uri: nb }, /not a package command/],
    [{ command: 'pip install x'.padEnd(2001, 'x'), uri: nb }, /longer/],
    ['pip install x', /expected an object/],
  ];
  for (const [arg, why] of bad) {
    const r = parseRunInTerminalArgs(arg);
    assert.ok(!r.ok, JSON.stringify(arg));
    assert.match(r.error, why, JSON.stringify(arg));
  }
});

test('splitCommand: && outside quotes, other shell syntax refused', () => {
  assert.deepEqual(splitCommand('pip install "a<1" \'b>2\''), { ok: true, parts: ['pip install "a<1" \'b>2\''] });
  assert.deepEqual(splitCommand('pip uninstall x -y && pip install "x&&y"'), { ok: true, parts: ['pip uninstall x -y', 'pip install "x&&y"'] });
  assert.deepEqual(splitCommand('pip install a\\;b'), { ok: true, parts: ['pip install a\\;b'] });
  assert.deepEqual(splitCommand('pip install "$(x)"'), { ok: false, syntax: '$(' });
  assert.deepEqual(splitCommand("pip install '$(x)'"), { ok: true, parts: ["pip install '$(x)'"] });
  assert.deepEqual(splitCommand('pip install a|b'), { ok: false, syntax: '|' });
});
