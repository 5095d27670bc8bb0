// End-to-end test of the VS Code extension in a real VS Code: code-server (VS Code in a browser,
// from npm) with the built .vsix installed, driven by playwright-core with Debian's chromium.
//
//   npm run e2e            (= bash extension/e2e/setup.sh && node extension/e2e/run.mjs)
//
// Scenarios:
//   1. notebook: a copy of examples/ opened as the workspace, its founding-case notebook replaced
//      by one with markdown cells between the install, import and get_peft_model cells
//      (tests/fixtures/notebooks/markdown-between-install-import-and-peft.ipynb); it shows UNS001
//      on the get_peft_model cell (Problems panel and squiggle) and NB001 naming cell 5, the
//      quick-fix menu lists the pin and the reinstall, the reinstall inserts a new cell right
//      before the unsloth import and after the install cell (checked in the saved .ipynb), and
//      the status bar and the environment view name the environment.
//   2. script: the founding fixture (a .venv with unsloth 2024.7 + peft 0.12) with
//      python.defaultInterpreterPath pointing into it; train.py shows UNS001, the quick-fix menu
//      lists the pin and the reinstall, the reinstall asks for confirmation with the exact command
//      and runs it with the .venv's interpreter (a recorder there) in a terminal.
//   2b. python extension: a stand-in ms-python.python (python-stub/, the API of
//      @vscode/python-extension) selects env-broken/bin/python: UNS001 shows, although
//      python.defaultInterpreterPath names env-fixed; the stub then switches to env-fixed and fires
//      its change event: UNS001 goes away and the status bar names env-fixed.
//   3. untrusted: the same workspace, not trusted: UNS001 still shows, no interpreter is passed
//      (the environment is the server's own discovery), no terminal command is offered, and the
//      workspace's tunelint.path (a fake tunelint 0.2.0) is ignored.
//   4. version: a trusted workspace whose tunelint.path is that fake 0.2.0: a clear error.
//
// Env: TUNELINT_VSIX (default: the newest tunelint-<target>-*.vsix at the repository root, built
//      with `npm run package` when there is none), TUNELINT_E2E_ARTIFACTS (screenshots and logs,
//      default /tmp/tunelint-e2e-artifacts), TUNELINT_E2E_REQUIRED=1 (fail instead of skipping when
//      chromium is missing), CHROMIUM (browser binary), TUNELINT_E2E_KEEP=1 (keep the temp dir).
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const t0 = Date.now();
const timings = [];
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
let phaseStart = Date.now();
function phase(name) {
  const now = Date.now();
  timings.push([name, now - phaseStart]);
  phaseStart = now;
  log(`${name}: ${secs(timings.at(-1)[1])}`);
}
function log(...a) {
  console.log(`[e2e ${secs(Date.now() - t0).padStart(7)}]`, ...a);
}

// ---------------------------------------------------------------------------------------------
// Prerequisites

const cache = process.env.TUNELINT_E2E_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'tunelint-e2e');
const envFile = join(cache, 'env');
if (!existsSync(envFile)) fail(`${envFile} is missing: run bash extension/e2e/setup.sh first (npm run e2e does)`);
const setupEnv = Object.fromEntries(
  readFileSync(envFile, 'utf8').split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);
const CODE_SERVER = setupEnv.CODE_SERVER;
const csPath = setupEnv.CODE_SERVER_NODE_BIN ? `${setupEnv.CODE_SERVER_NODE_BIN}:${process.env.PATH}` : process.env.PATH;

const which = (cmd) => {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
};
const CHROMIUM = process.env.CHROMIUM ?? which('chromium') ?? which('chromium-browser');
if (!CHROMIUM) {
  const msg = 'SKIP: no chromium (Debian package `chromium`) could be found or installed; the VS Code end-to-end test did not run';
  if (process.env.TUNELINT_E2E_REQUIRED === '1') fail(msg);
  console.log(msg);
  process.exit(0);
}
const { chromium } = require('playwright-core');

const target = `${process.platform}-${process.arch}`;
function newestVsix() {
  const found = readdirSync(root)
    .filter((f) => f.startsWith(`tunelint-${target}-`) && f.endsWith('.vsix'))
    .map((f) => join(root, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return found[0];
}
/** The newest modification time of the extension's sources. */
function sourcesTime() {
  const walk = (d) => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
  return Math.max(...[join(root, 'package.json'), ...walk(join(root, 'extension', 'src'))].map((f) => statSync(f).mtimeMs));
}
let vsix = process.env.TUNELINT_VSIX ? resolve(process.env.TUNELINT_VSIX) : newestVsix();
if (vsix && !process.env.TUNELINT_VSIX && statSync(vsix).mtimeMs < sourcesTime()) {
  log(`${vsix} is older than the extension's sources: packaging again`);
  vsix = undefined;
}
if (!vsix) {
  log('npm run package');
  const r = spawnSync('npm', ['run', 'package'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) fail('npm run package failed');
  vsix = newestVsix();
}
if (!vsix || !existsSync(vsix)) fail(`no .vsix at ${vsix}`);

const artifacts = resolve(process.env.TUNELINT_E2E_ARTIFACTS ?? join(tmpdir(), 'tunelint-e2e-artifacts'));
rmSync(artifacts, { recursive: true, force: true });
mkdirSync(artifacts, { recursive: true });
log(`vsix ${vsix}; code-server ${setupEnv.CODE_SERVER_VERSION}; chromium ${CHROMIUM}; artifacts in ${artifacts}`);

// ---------------------------------------------------------------------------------------------
// Workspaces, settings, code-server

const tmp = mkdtempSync(join(tmpdir(), 'tunelint-e2e-'));
const wsNotebook = join(tmp, 'examples');
cpSync(join(root, 'examples'), wsNotebook, { recursive: true });
// A repository root stops environment discovery from walking above the workspace.
mkdirSync(join(wsNotebook, '.git'));
const notebookFile = join(wsNotebook, 'founding-case', 'gemma2-finetune.ipynb');
// The notebook is shaped like the real Unsloth ones: markdown cells before the install cell and
// between the install, import and get_peft_model cells. VS Code's language client sends the
// server only the cells its selector matches, so this is what shows whether the server numbers
// cells among all of them.
const notebookSource = join(root, 'tests', 'fixtures', 'notebooks', 'markdown-between-install-import-and-peft.ipynb');
cpSync(notebookSource, notebookFile);

const wsScript = join(tmp, 'script-ws');
cpSync(join(root, 'tests', 'fixtures', 'envs', 'founding'), wsScript, { recursive: true });
mkdirSync(join(wsScript, '.git'));
writeFileSync(join(wsScript, 'requirements.txt'), 'peft>=0.11\ntrl==0.8.6\n');
mkdirSync(join(wsScript, '.vscode'));
// No Python extension in code-server here: the interpreter comes from python.defaultInterpreterPath.
writeFileSync(
  join(wsScript, '.vscode', 'settings.json'),
  JSON.stringify({ 'python.defaultInterpreterPath': '${workspaceFolder}/.venv/bin/python' }, null, 2),
);
// The fixture's .venv/bin/python is a trap (tunelint must never run it); here it is replaced by a
// recorder, which proves that the terminal runs the confirmed command with the selected
// interpreter (and installs nothing), and that nothing else ran it.
const pythonRecord = join(tmp, 'python-invocations.txt');
const venvPython = join(wsScript, '.venv', 'bin', 'python');
writeFileSync(venvPython, `#!/bin/sh\nprintf '%s\\n' "python $*" >> '${pythonRecord}'\n`);
chmodSync(venvPython, 0o755);

// 2b. Two environments, chosen by the (stand-in) Python extension.
const wsPyExt = join(tmp, 'python-ext-ws');
mkdirSync(join(wsPyExt, '.git'), { recursive: true });
cpSync(join(root, 'tests', 'fixtures', 'envs', 'founding', '.venv'), join(wsPyExt, 'env-broken'), { recursive: true });
cpSync(join(root, 'tests', 'fixtures', 'envs', 'fixed', '.venv'), join(wsPyExt, 'env-fixed'), { recursive: true });
cpSync(join(root, 'tests', 'fixtures', 'envs', 'founding', 'train.py'), join(wsPyExt, 'train.py'));
mkdirSync(join(wsPyExt, 'env-fixed', 'bin'), { recursive: true });
const pyExtRecord = join(tmp, 'python-ext-invocations.txt');
for (const env of ['env-broken', 'env-fixed']) {
  writeFileSync(join(wsPyExt, env, 'bin', 'python'), `#!/bin/sh\nprintf '%s\\n' "${env} $*" >> '${pyExtRecord}'\nexit 99\n`);
  chmodSync(join(wsPyExt, env, 'bin', 'python'), 0o755);
}
mkdirSync(join(wsPyExt, '.vscode'));
writeFileSync(
  join(wsPyExt, '.vscode', 'settings.json'),
  JSON.stringify(
    {
      'pythonStub.activeInterpreter': '${workspaceFolder}/env-broken/bin/python',
      'python.defaultInterpreterPath': '${workspaceFolder}/env-fixed/bin/python',
    },
    null,
    2,
  ),
);

// 2c. No project environment: the interpreter the Python extension reports is the system one.
const wsSystem = join(tmp, 'system-python-ws');
mkdirSync(join(wsSystem, '.git'), { recursive: true });
mkdirSync(join(wsSystem, '.vscode'));
writeFileSync(join(wsSystem, 'train.py'), 'from unsloth import FastLanguageModel\n');
writeFileSync(join(wsSystem, '.vscode', 'settings.json'), JSON.stringify({ 'pythonStub.activeInterpreter': '/usr/bin/python3' }, null, 2));

// 3. The same project, opened untrusted, with settings only a trusted workspace may use.
const fakeTunelint = join(tmp, 'fake-tunelint-0.2.0');
writeFileSync(fakeTunelint, '#!/bin/sh\necho "tunelint 0.2.0"\n');
chmodSync(fakeTunelint, 0o755);
const wsUntrusted = join(tmp, 'untrusted-ws');
cpSync(join(root, 'tests', 'fixtures', 'envs', 'founding'), wsUntrusted, { recursive: true });
mkdirSync(join(wsUntrusted, '.git'));
writeFileSync(join(wsUntrusted, 'requirements.txt'), 'peft>=0.11\ntrl==0.8.6\n');
mkdirSync(join(wsUntrusted, '.vscode'));
writeFileSync(
  join(wsUntrusted, '.vscode', 'settings.json'),
  JSON.stringify({ 'python.defaultInterpreterPath': '${workspaceFolder}/.venv/bin/python', 'tunelint.path': fakeTunelint }, null, 2),
);
const untrustedRecord = join(tmp, 'untrusted-python-invocations.txt');
writeFileSync(join(wsUntrusted, '.venv', 'bin', 'python'), `#!/bin/sh\nprintf '%s\\n' "python $*" >> '${untrustedRecord}'\n`);
chmodSync(join(wsUntrusted, '.venv', 'bin', 'python'), 0o755);
// 4. A trusted workspace pointing tunelint.path at a tunelint the extension does not support.
const wsVersion = join(tmp, 'version-ws');
mkdirSync(join(wsVersion, '.vscode'), { recursive: true });
writeFileSync(join(wsVersion, 'train.py'), 'from unsloth import FastLanguageModel\n');
writeFileSync(join(wsVersion, '.vscode', 'settings.json'), JSON.stringify({ 'tunelint.path': fakeTunelint }, null, 2));

const userData = join(tmp, 'user-data');
const extensionsDir = join(tmp, 'extensions');
mkdirSync(join(userData, 'User'), { recursive: true });
writeFileSync(
  join(userData, 'User', 'settings.json'),
  JSON.stringify(
    {
      'workbench.startupEditor': 'none',
      // Trust is on: every folder asks, and the test answers (scenario 3 says no).
      'security.workspace.trust.enabled': true,
      'security.workspace.trust.startupPrompt': 'always',
      'security.workspace.trust.emptyWindow': false,
      'telemetry.telemetryLevel': 'off',
      'update.mode': 'none',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'workbench.tips.enabled': false,
      'chat.disableAIFeatures': true,
      'workbench.colorTheme': 'Default Light Modern',
      // A code action's edit must not be saved behind the test's back.
      'files.refactoring.autoSave': false,
      'files.autoSave': 'off',
      'workbench.editorAssociations': { '*.ipynb': 'jupyter-notebook' },
      'notebook.lineNumbers': 'on',
      'window.commandCenter': false,
      'workbench.layoutControl.enabled': false,
      'terminal.integrated.shellIntegration.enabled': false,
      'terminal.integrated.defaultProfile.linux': 'bash',
    },
    null,
    2,
  ),
);

const freePort = () =>
  new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
const port = await freePort();
const config = join(tmp, 'code-server.yaml');
writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
const csEnv = {
  ...process.env,
  PATH: csPath,
  XDG_DATA_HOME: join(tmp, 'xdg-data'),
  XDG_CONFIG_HOME: join(tmp, 'xdg-config'),
  SHELL: '/bin/bash',
};
const csArgs = ['--config', config, '--user-data-dir', userData, '--extensions-dir', extensionsDir];

phase('prepare');
{
  const r = spawnSync(CODE_SERVER, [...csArgs, '--install-extension', vsix], { env: csEnv, encoding: 'utf8' });
  const out = `${r.stdout}${r.stderr}`;
  if (r.status !== 0 || !/successfully installed/i.test(out)) fail(`--install-extension failed:\n${out}`);
  log(out.trim().split('\n').at(-1));
  const installed = readdirSync(extensionsDir).find((d) => d.startsWith('tunelint.tunelint-'));
  const bin = installed && join(extensionsDir, installed, 'extension', 'bin', target, 'tunelint');
  if (!bin || !existsSync(bin)) fail(`the installed extension has no server binary (${bin})`);
  if (!(statSync(bin).mode & 0o111)) fail(`the installed server binary is not executable: ${bin}`);
}
phase('install .vsix');

{
  // The stand-in Python extension, packed with vsce and installed like the real one.
  const stubDir = join(tmp, 'python-stub');
  cpSync(join(root, 'extension', 'e2e', 'python-stub'), stubDir, { recursive: true });
  const stubVsix = join(tmp, 'python-stub.vsix');
  const p = spawnSync(
    process.execPath,
    [join(root, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--skip-license', '--allow-missing-repository', '--no-dependencies', '-o', stubVsix],
    { cwd: stubDir, encoding: 'utf8' },
  );
  if (p.status !== 0) fail(`packing the Python extension stand-in failed:\n${p.stdout}${p.stderr}`);
  const r = spawnSync(CODE_SERVER, [...csArgs, '--install-extension', stubVsix], { env: csEnv, encoding: 'utf8' });
  if (r.status !== 0 || !/successfully installed/i.test(`${r.stdout}${r.stderr}`)) fail(`installing the stand-in failed:\n${r.stdout}${r.stderr}`);
}
phase('python extension stand-in');

const csLog = join(artifacts, 'code-server.log');
const { openSync } = await import('node:fs');
const csOut = openSync(csLog, 'w');
const cs = spawn(
  CODE_SERVER,
  [...csArgs, '--disable-telemetry', '--disable-update-check', '--disable-getting-started-override'],
  { env: csEnv, cwd: tmp, detached: true, stdio: ['ignore', csOut, csOut] },
);
let browser;
let cleaned = false;
async function cleanup() {
  if (cleaned) return;
  cleaned = true;
  // code-server first (its process group: watchers, extension hosts, tunelint servers), then the
  // browser, which closes at once when its server is gone.
  try {
    process.kill(-cs.pid, 'SIGTERM');
  } catch {}
  await Promise.race([browser?.close().catch(() => {}), new Promise((r) => setTimeout(r, 5_000).unref())]);
  try {
    process.kill(-cs.pid, 'SIGKILL');
  } catch {}
  // The extension host logs (the tunelint output channel among them) are test artifacts.
  try {
    cpSync(join(userData, 'logs'), join(artifacts, 'vscode-logs'), { recursive: true });
  } catch {}
  if (process.env.TUNELINT_E2E_KEEP !== '1') rmSync(tmp, { recursive: true, force: true });
}
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
process.on('SIGTERM', () => void cleanup().then(() => process.exit(143)));

const base = `http://127.0.0.1:${port}`;

// ---------------------------------------------------------------------------------------------
// Helpers

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}
function fail(message) {
  console.error(`FAIL: ${message}`);
  process.exitCode = 1;
  throw Object.assign(new Error(message), { e2e: true });
}
const norm = (s) => s.replace(/\u00a0/g, ' ');
let shotNo = 0;
async function shot(page, name) {
  const file = join(artifacts, `${String(++shotNo).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file });
  log(`screenshot ${file}`);
  return file;
}
async function command(page, name) {
  await page.keyboard.press('F1');
  await page.locator('.quick-input-widget input').waitFor({ timeout: 10_000 });
  await page.keyboard.type(name);
  await page.waitForTimeout(300);
  await page.keyboard.press('Enter');
}
async function openFromExplorer(page, name) {
  await page.locator(`.explorer-folders-view .monaco-list-row[aria-label^="${name}"]`).first().click();
}
/** Right after load the notebook type may not be registered yet and VS Code opens the JSON text. */
async function openNotebook(page, name) {
  for (let i = 0; i < 15; i++) {
    await openFromExplorer(page, name);
    try {
      await page.waitForSelector('.notebook-editor .code-cell-row', { timeout: 3000 });
      return i;
    } catch {}
    await command(page, 'View: Close All Editors');
    await page.waitForTimeout(1000);
  }
  fail(`${name} never opened as a notebook`);
}
async function problemsRows(page) {
  return (await page.locator('.markers-panel .monaco-list-row').allInnerTexts()).map(norm);
}
/**
 * Opens the diagnostic in the Problems panel whose row contains `text` (the panel's order of files
 * depends on which publish came first, so "the first UNS001 row" may be another file's).
 */
async function goToProblem(page, text) {
  const row = page.locator('.markers-panel .monaco-list-row', { hasText: text }).first();
  await row.waitFor({ timeout: 20_000 });
  await row.click();
  await page.keyboard.press('Enter');
  await page.waitForTimeout(500);
}
async function quickFixes(page) {
  const rows = page.locator('.action-widget .monaco-list-row');
  // On a loaded machine the editor may take the focus after the first key press: ask again.
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Control+.');
    try {
      await rows.first().waitFor({ timeout: 7_000 });
      break;
    } catch (e) {
      if (attempt === 3) throw e;
      await page.keyboard.press('Escape');
    }
  }
  await page.waitForTimeout(300);
  return (await rows.allInnerTexts()).map(norm);
}
/** Moves the action widget's focus to the row with `text` and presses Enter (clicks are blocked). */
async function chooseQuickFix(page, text) {
  for (let i = 0; i < 12; i++) {
    const focused = norm((await page.locator('.action-widget .monaco-list-row.focused').allInnerTexts()).join(''));
    if (focused.includes(text)) {
      await page.keyboard.press('Enter');
      return;
    }
    await page.keyboard.press('ArrowDown');
    await page.waitForTimeout(100);
  }
  fail(`quick fix "${text}" could not be focused`);
}
async function statusText(page) {
  const item = page.locator('.statusbar-item', { hasText: /^tunelint/ }).first();
  await item.waitFor({ timeout: 20_000 });
  return norm(await item.innerText());
}
async function waitForStatus(page, re, timeout = 30_000) {
  const end = Date.now() + timeout;
  let text = '';
  while (Date.now() < end) {
    try {
      text = await statusText(page);
      if (re.test(text)) return text;
    } catch {}
    await page.waitForTimeout(500);
  }
  fail(`status bar: expected ${re}, got "${text}"`);
}

/** Opens a folder and answers the workspace trust dialog. */
async function openFolder(page, folder, trust) {
  await page.goto(`${base}/?folder=${encodeURIComponent(folder)}`);
  const dialog = page.locator('.monaco-dialog-box', { hasText: 'Do you trust the authors' });
  await dialog.waitFor({ timeout: 90_000 });
  await dialog.locator('.monaco-button', { hasText: trust ? 'Yes, I trust the authors' : "No, I don't trust the authors" }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.waitForSelector('.explorer-folders-view .monaco-list-row', { timeout: 90_000 });
}
async function notification(page, re, timeout = 20_000) {
  const toast = page.locator('.notification-toast', { hasText: re }).first();
  await toast.waitFor({ timeout });
  return norm(await toast.innerText());
}

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const checks = [];
const ok = (what) => {
  checks.push(what);
  log(`ok - ${what}`);
};

// ---------------------------------------------------------------------------------------------
// The test

try {
  for (let i = 0; ; i++) {
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) break;
    } catch {}
    if (i > 150) fail('code-server did not answer within 30 s (see code-server.log)');
    await sleep(200);
  }
  phase('start code-server');

  browser = await chromium.launchPersistentContext(mkdtempSync(join(tmp, 'chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1500, height: 900 },
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(30_000);

  // 1. The notebook.
  await openFolder(page, wsNotebook, true);
  phase('workbench loaded');
  await openFromExplorer(page, 'founding-case');
  await page.locator('.explorer-folders-view .monaco-list-row[aria-label^="gemma2-finetune.ipynb"]').waitFor();
  const retries = await openNotebook(page, 'gemma2-finetune.ipynb');
  log(`notebook editor open (${retries} retries)`);

  // The Problems panel lists UNS001 under the notebook, on the get_peft_model call (cell 7, 1:9).
  await page.keyboard.press('Control+Shift+M');
  const uns = page.locator('.markers-panel .monaco-list-row', { hasText: 'UNS001' }).first();
  await uns.waitFor({ timeout: 90_000 });
  phase('notebook diagnostic');
  const rows = await problemsRows(page);
  log('Problems:', JSON.stringify(rows));
  const unsRow = rows.find((r) => r.includes('UNS001'));
  if (!rows.some((r) => r.includes('gemma2-finetune.ipynb'))) fail('the Problems panel does not name the notebook');
  if (!/\[Ln 1, Col 9\]/.test(unsRow)) fail(`UNS001 is not at Ln 1, Col 9 of its cell: ${unsRow}`);
  if (!/Unsloth 2024\.7/.test(unsRow)) fail(`unexpected UNS001 message: ${unsRow}`);
  ok('Problems panel: UNS001 in gemma2-finetune.ipynb at Ln 1, Col 9');
  // A message that names a cell counts every cell of the notebook, markdown included.
  const nbRow = rows.find((r) => r.includes('NB001'));
  if (!nbRow || !/after `torch` in cell 5 imported it/.test(nbRow)) fail(`NB001 does not name cell 5, the import cell: ${nbRow}`);
  ok('Problems panel: NB001 names cell 5, where torch is imported');

  // Opening the problem reveals its cell: the squiggle is in the get_peft_model cell.
  await uns.click();
  await page.keyboard.press('Enter');
  const warningCell = page.locator('.notebook-editor .code-cell-row', { has: page.locator('.squiggly-warning') });
  await warningCell.first().waitFor({ timeout: 20_000 });
  const cellText = norm(await warningCell.first().locator('.view-lines').innerText());
  if (!cellText.includes('FastLanguageModel.get_peft_model(')) fail(`the squiggle is in the wrong cell:\n${cellText}`);
  const squiggled = await page.locator('.notebook-editor .code-cell-row .squiggly-warning').count();
  ok(`squiggle in the get_peft_model cell (${squiggled} squiggle(s) in the notebook)`);

  // The quick-fix menu at the diagnostic: the pin and the reinstall.
  const fixes = await quickFixes(page);
  log('Quick fixes:', JSON.stringify(fixes));
  const readmeShot = await shot(page, 'notebook-uns001-quickfix-menu');
  const reinstall = fixes.find((f) => /Reinstall Unsloth/i.test(f));
  const pin = fixes.find((f) => /Pin peft/i.test(f));
  if (!reinstall || !pin) fail(`quick fixes lack the pin or the reinstall: ${JSON.stringify(fixes)}`);
  ok(`quick-fix menu: "${pin.trim()}" and "${reinstall.trim()}"`);

  // Apply the reinstall: a new cell (tunelint.insertCell) before the unsloth import.
  const before = JSON.parse(readFileSync(notebookFile, 'utf8')).cells.length;
  await chooseQuickFix(page, reinstall.trim());
  await page.waitForTimeout(1500);
  await shot(page, 'notebook-reinstall-cell-inserted');
  // Save, and read the order of the cells from the file.
  await page.keyboard.press('Control+s');
  let cells;
  for (let i = 0; i < 50; i++) {
    // The editor may be midway through writing the file: a truncated read is read again.
    try {
      cells = JSON.parse(readFileSync(notebookFile, 'utf8')).cells;
    } catch {
      cells = [];
    }
    if (cells.length === before + 1) break;
    await page.waitForTimeout(200);
  }
  if (cells.length !== before + 1) fail(`the notebook has ${cells.length} cells after the reinstall, expected ${before + 1}`);
  const src = (c) => (Array.isArray(c.source) ? c.source.join('') : c.source);
  const originalCells = JSON.parse(readFileSync(notebookSource, 'utf8')).cells;
  const original = originalCells.map(src);
  const inserted = cells.findIndex((c) => !original.includes(src(c)));
  const importAt = cells.findIndex((c) => src(c).includes('from unsloth import FastLanguageModel'));
  const installAt = cells.findIndex((c) => c.cell_type === 'code' && /pip install/.test(src(c)));
  if (inserted < 0 || cells[inserted].cell_type !== 'code') fail('no new code cell found in the saved notebook');
  // Right before the import cell: after the install cell and the markdown cell that follows it.
  if (inserted !== importAt - 1) fail(`the new cell (${inserted}) is not right before the unsloth import (now ${importAt})`);
  if (!(installAt < inserted)) fail(`the new cell (${inserted}) is above the notebook's own install cell (${installAt})`);
  if (importAt !== originalCells.findIndex((c) => src(c).includes('from unsloth import FastLanguageModel')) + 1) {
    fail(`the cells before the import moved: import was at ${importAt - 1}, is at ${importAt}`);
  }
  if (!/before cell 5 \(`from unsloth import FastLanguageModel`\)/.test(reinstall)) fail(`the fix's title does not say where the cell goes: ${reinstall}`);
  if (!/pip/.test(src(cells[inserted])) || !/unsloth/.test(src(cells[inserted]))) fail(`unexpected new cell: ${src(cells[inserted])}`);
  log(`new cell ${inserted}:`, JSON.stringify(src(cells[inserted])));
  ok(`reinstall applied: new code cell at index ${inserted}, before the unsloth import (now ${importAt})`);

  // The restart quick fix: without the Jupyter extension, a message says what to do.
  await page.keyboard.press('Control+Shift+M');
  await page.locator('.markers-panel .monaco-list-row', { hasText: 'UNS001' }).first().click();
  await page.keyboard.press('Enter');
  await page.waitForTimeout(500);
  const fixes2 = await quickFixes(page);
  const restart = fixes2.find((f) => /Restart the Colab\/Kaggle runtime/.test(f));
  if (!restart) fail(`no restart quick fix after the reinstall: ${JSON.stringify(fixes2)}`);
  await chooseQuickFix(page, restart.trim());
  const restartMessage = await notification(page, /Restart the kernel of gemma2-finetune\.ipynb/);
  ok(`restart quick fix without the Jupyter extension: "${restartMessage.split('\n')[0].slice(0, 80)}…"`);
  await command(page, 'Notifications: Clear All Notifications');

  // The status bar names the environment; clicking it lists it.
  // The example's environment is the env file beside it.
  const status = await waitForStatus(page, /^tunelint: pip-list\.json · \d+ findings?$/);
  ok(`status bar: "${status}"`);
  await page.locator('.statusbar-item', { hasText: /^tunelint/ }).first().click();
  const pickRow = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'peft' }).first();
  await pickRow.waitFor({ timeout: 20_000 });
  const title = norm(await page.locator('.quick-input-widget .quick-input-title').innerText().catch(() => ''));
  const pickRows = (await page.locator('.quick-input-widget .monaco-list-row').allInnerTexts()).map(norm);
  log('environment view:', title, JSON.stringify(pickRows.slice(0, 6)));
  await shot(page, 'notebook-environment-view');
  if (!pickRows.some((r) => /peft/.test(r) && /UNS001/.test(r))) fail('the environment view does not show peft with UNS001');
  ok(`environment view: "${title}", peft listed with UNS001`);
  await page.keyboard.press('Escape');
  phase('notebook scenario');

  // 2. A script in a workspace whose .venv has the founding versions.
  await openFolder(page, wsScript, true);
  await openFromExplorer(page, 'train.py');
  await page.waitForSelector('.monaco-editor .squiggly-warning', { timeout: 90_000 });
  await page.keyboard.press('Control+Shift+M');
  await page.locator('.markers-panel .monaco-list-row', { hasText: 'UNS001' }).first().waitFor({ timeout: 20_000 });
  const srows = await problemsRows(page);
  log('Problems:', JSON.stringify(srows));
  const sRow = srows.find((r) => r.includes('UNS001'));
  if (!/\.venv/.test(sRow)) fail(`the script's UNS001 does not name the .venv: ${sRow}`);
  ok(`script: UNS001 from the .venv (${sRow.split('\n')[0].slice(0, 90)}…)`);
  const sstatus = await waitForStatus(page, /^tunelint: \.venv · Python 3\.11 · \d+ findings?$/);
  ok(`status bar: "${sstatus}"`);
  const tooltipOf = async () => {
    await page.locator('.statusbar-item', { hasText: /^tunelint/ }).first().hover();
    const hover = page.locator('.monaco-hover, .workbench-hover, .custom-hover', { hasText: 'Found via' }).first();
    await hover.waitFor({ timeout: 10_000 });
    const text = norm(await hover.innerText());
    await page.mouse.move(700, 300);
    return text;
  };
  const trustedTip = await tooltipOf();
  if (!/Found via: the interpreter given with --python/.test(trustedTip)) fail(`the interpreter was not passed to the server: ${trustedTip}`);
  ok('status bar tooltip: the environment comes from the interpreter (python.defaultInterpreterPath)');

  await goToProblem(page, "`from unsloth import FastLanguageModel`: peft 0.12.0");
  const sfixes = await quickFixes(page);
  log('Quick fixes:', JSON.stringify(sfixes));
  await shot(page, 'script-uns001-quickfix-menu');
  const sreinstall = sfixes.find((f) => /Reinstall Unsloth|Update Unsloth/i.test(f));
  const spin = sfixes.find((f) => /Pin peft/i.test(f));
  if (!sreinstall || !spin) fail(`script quick fixes lack the pin or the reinstall: ${JSON.stringify(sfixes)}`);
  ok(`script quick-fix menu: "${spin.trim()}" and "${sreinstall.trim()}"`);

  // The reinstall is a terminal command: the exact command is shown, and runs only when confirmed.
  await chooseQuickFix(page, sreinstall.trim());
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor({ timeout: 15_000 });
  const dialogText = norm(await dialog.innerText());
  log('confirmation:', JSON.stringify(dialogText));
  await shot(page, 'script-run-in-terminal-confirmation');
  // What the fix says, and what runs: `pip ...` becomes `<the .venv's python> -m pip ...`.
  const shown = dialogText.split('\n').find((l) => l.includes(' -m pip '))?.trim();
  if (!shown || !shown.startsWith(`${venvPython} -m pip uninstall unsloth -y && ${venvPython} -m pip install`)) {
    fail(`the confirmation does not show the command with the .venv's interpreter: ${dialogText}`);
  }
  if (existsSync(pythonRecord)) fail(`the .venv's interpreter ran before the confirmation: ${readFileSync(pythonRecord, 'utf8')}`);
  await dialog.locator('.monaco-button', { hasText: 'Run' }).first().click();
  const expected = shown.split(' && ').map((p) => p.replace(`${venvPython} `, 'python '));
  let recorded = [];
  for (let i = 0; i < 100 && recorded.length < expected.length; i++) {
    await page.waitForTimeout(200);
    recorded = existsSync(pythonRecord) ? readFileSync(pythonRecord, 'utf8').trim().split('\n') : [];
  }
  await page.waitForTimeout(500);
  await shot(page, 'script-terminal');
  if (JSON.stringify(recorded) !== JSON.stringify(expected)) {
    fail(`the terminal ran ${JSON.stringify(recorded)}, the confirmation showed ${JSON.stringify(expected)}`);
  }
  ok(`confirmed command ran with the .venv's interpreter: ${recorded.join(' && ')}`);
  phase('script scenario');

  // 2b. The interpreter selected in the Python extension, and its change event.
  await openFolder(page, wsPyExt, true);
  await openFromExplorer(page, 'train.py');
  await page.waitForSelector('.monaco-editor .squiggly-warning', { timeout: 90_000 });
  const pstatus = await waitForStatus(page, /^tunelint: env-broken · Python 3\.11 · 2 findings$/);
  ok(`Python extension: its interpreter wins over python.defaultInterpreterPath, status bar "${pstatus}"`);
  await command(page, 'Python stub: select env-fixed');
  const fstatus = await waitForStatus(page, /^tunelint: env-fixed · Python 3\.11 · 0 findings$/);
  await page.waitForFunction(() => document.querySelectorAll('.monaco-editor .squiggly-warning').length === 0, null, { timeout: 20_000 });
  await shot(page, 'python-extension-switched');
  if (existsSync(pyExtRecord)) fail(`an environment's interpreter was run: ${readFileSync(pyExtRecord, 'utf8')}`);
  ok(`Python extension: switching the interpreter re-checks, UNS001 gone, status bar "${fstatus}"`);
  phase('python extension scenario');

  // 2c. The system Python, named as a person knows it (not `usr`).
  await openFolder(page, wsSystem, true);
  await openFromExplorer(page, 'train.py');
  const systemStatus = await waitForStatus(page, /^tunelint: system Python 3\.\d+ \(\/usr\/bin\/python3\) · \d+ findings?$/, 60_000);
  ok(`system Python: status bar "${systemStatus}"`);
  phase('system python scenario');

  // 3. The same project, untrusted.
  await openFolder(page, wsUntrusted, false);
  await openFromExplorer(page, 'train.py');
  await page.waitForSelector('.monaco-editor .squiggly-warning', { timeout: 90_000 });
  const ustatus = await waitForStatus(page, /^tunelint: \.venv · Python 3\.11 · \d+ findings?$/);
  ok(`untrusted: UNS001 shown, tunelint.path of the workspace ignored, status bar "${ustatus}"`);
  const untrustedTip = await tooltipOf();
  if (!/Found via: the project's virtual environment/.test(untrustedTip)) fail(`untrusted: an interpreter was passed: ${untrustedTip}`);
  ok("untrusted: no interpreter passed (the server found the project's .venv from its files)");
  await page.keyboard.press('Control+Shift+M');
  await goToProblem(page, "`from unsloth import FastLanguageModel`: peft 0.12.0");
  const ufixes = await quickFixes(page);
  log('Quick fixes:', JSON.stringify(ufixes));
  await shot(page, 'untrusted-quickfix-menu');
  if (ufixes.some((f) => /Reinstall Unsloth/.test(f))) fail(`untrusted: a terminal command is offered: ${JSON.stringify(ufixes)}`);
  if (!ufixes.some((f) => /Pin peft/.test(f))) fail(`untrusted: the pin is missing: ${JSON.stringify(ufixes)}`);
  await page.keyboard.press('Escape');
  if (existsSync(untrustedRecord)) fail(`untrusted: the workspace interpreter ran: ${readFileSync(untrustedRecord, 'utf8')}`);
  ok('untrusted: no terminal command offered, the workspace interpreter never ran');
  phase('untrusted scenario');

  // 4. An unsupported tunelint.
  await openFolder(page, wsVersion, true);
  await openFromExplorer(page, 'train.py');
  const versionError = await notification(page, /is tunelint 0\.2\.0/, 60_000);
  await shot(page, 'version-mismatch');
  if (!versionError.includes('>=0.1.0 <0.2.0') || !versionError.includes(fakeTunelint)) fail(`unclear version error: ${versionError}`);
  const errorItem = page.locator('.statusbar-item', { has: page.locator('.codicon-error'), hasText: 'tunelint' }).first();
  await errorItem.waitFor({ timeout: 10_000 });
  const vstatus = `$(error) ${norm(await errorItem.innerText()).trim()}`;
  ok(`version mismatch: "${versionError.split('\n').find((l) => l.includes('0.2.0'))}", status bar "${vstatus}"`);
  phase('version scenario');

  // The README's screenshot.
  if (process.env.TUNELINT_E2E_README_SHOT) cpSync(readmeShot, resolve(process.env.TUNELINT_E2E_README_SHOT));
} catch (e) {
  if (!e.e2e) {
    console.error(`FAIL: ${e.stack ?? e}`);
    process.exitCode = 1;
  }
  try {
    const page = browser?.pages()[0];
    if (page) await shot(page, 'failure');
  } catch {}
} finally {
  await cleanup();
  phase('cleanup');
  console.log(`\n${checks.length} checks passed${process.exitCode ? ', then a failure (above)' : ''}; artifacts in ${artifacts}`);
  console.log(timings.map(([n, ms]) => `  ${n.padEnd(26)} ${secs(ms)}`).join('\n'));
  console.log(`  ${'total'.padEnd(26)} ${secs(Date.now() - t0)}`);
}
