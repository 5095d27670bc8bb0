// Opens the founding-case notebook in JupyterLab with a kernel whose sys.path holds the
// founding-case stand-ins, runs its two cells (`%load_ext tunelint`, then the get_peft_model
// cell that prints the 0-QKV patch line) and checks that tunelint's rendered UNS001 finding is
// in the output area of each, under the patch line in the second. Screenshots are kept.
// Run by run.sh, which starts JupyterLab.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

const BASE = process.env.JLAB_URL ?? 'http://127.0.0.1:8888';
const NOTEBOOK = process.env.JLAB_NOTEBOOK ?? 'founding.ipynb';
const OUT = process.env.JLAB_ARTIFACTS ?? fs.mkdtempSync('/tmp/kernel-jlab-');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const t0 = Date.now();
const log = (...a) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)} s]`, ...a);

const profile = fs.mkdtempSync('/tmp/kernel-jlab-chromium-');
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args: ARGS,
  viewport: { width: 1400, height: 1000 },
});
let page;
try {
  page = ctx.pages()[0] ?? await ctx.newPage();
  await page.goto(`${BASE}/lab/tree/${NOTEBOOK}`);
  await page.waitForSelector('.jp-Notebook .jp-CodeCell .cm-content', { timeout: 60000 });
  // the kernel is idle once the status shows it
  await page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').first()
    .waitFor({ timeout: 60000 }).catch(() => log('no idle indicator; going on'));
  log('notebook open');
  // JupyterLab may still ask for a kernel: take the test kernel the notebook names
  const dialog = page.locator('.jp-Dialog');
  await dialog.waitFor({ timeout: 5000 }).catch(() => {});
  if (await dialog.count()) {
    const select = dialog.locator('select');
    if (await select.count()) await select.selectOption({ label: 'Python 3 (tunelint test)' }).catch(() => {});
    await dialog.getByRole('button', { name: 'Select' }).click().catch(() => {});
    await dialog.waitFor({ state: 'detached', timeout: 10000 }).catch(() => {});
    log('kernel dialog answered');
  }
  const news = page.getByRole('button', { name: 'No' });
  if (await news.count()) await news.first().click().catch(() => {});
  const cells = page.locator('.jp-Notebook .jp-CodeCell');
  await cells.nth(0).locator('.cm-content').click();
  await page.keyboard.press('Shift+Enter');
  await cells.nth(0).locator('.tunelint-finding').first().waitFor({ timeout: 60000 });
  log('cell 1: finding shown');
  await cells.nth(1).locator('.cm-content').click();
  await page.keyboard.press('Shift+Enter');
  const finding = cells.nth(1).locator('.jp-OutputArea .tunelint-finding[data-code="UNS001"]').first();
  await finding.waitFor({ timeout: 60000 });
  log('cell 2: finding shown');
  await page.waitForTimeout(500);
  const outputText = await cells.nth(1).locator('.jp-OutputArea').innerText();
  fs.writeFileSync(path.join(OUT, 'cell-2-output.txt'), outputText);
  await finding.scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(OUT, 'kernel-jupyterlab.png') });
  await cells.nth(1).screenshot({ path: path.join(OUT, 'kernel-jupyterlab-cell.png') });

  const problems = [];
  if (!outputText.includes('0 QKV layers')) problems.push('the cell\'s own output (the patch line) is not shown');
  if (!outputText.includes('Unsloth before 2024.8 patches no layers')) problems.push('the advisory title is not shown');
  if (!outputText.includes('git+https://github.com/unslothai/unsloth.git')) problems.push('the fix command is not shown');
  if (!/peft\s+0\.12\.0/.test(outputText)) problems.push('the versions are not shown');
  // the finding is rendered as HTML (a table and a pre), not as the text/plain fallback
  if (await finding.locator('table').count() < 1 || await finding.locator('pre').count() < 1) problems.push('the HTML rendering is missing');
  const order = await cells.nth(1).locator('.jp-OutputArea-output').allInnerTexts();
  const lineAt = order.findIndex(t => t.includes('0 QKV layers'));
  const findingAt = order.findIndex(t => t.includes('UNS001'));
  if (!(lineAt >= 0 && findingAt > lineAt)) problems.push(`the finding is not under the patch line (outputs: ${JSON.stringify(order.map(t => t.slice(0, 60)))})`);
  if (problems.length) {
    for (const p of problems) console.error('FAIL:', p);
    process.exitCode = 1;
  } else {
    log('ok: UNS001 rendered under the patch line; screenshot', path.join(OUT, 'kernel-jupyterlab.png'));
  }
} catch (e) {
  console.error('FAIL:', e.message);
  if (page) await page.screenshot({ path: path.join(OUT, 'error.png') }).catch(() => {});
  process.exitCode = 1;
} finally {
  await ctx.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
