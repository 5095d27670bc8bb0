// Opens the founding-case notebook in JupyterLab (+ jupyterlab-lsp, tunelint as the server) and
// checks that UNS001 is shown on cell 5 line 1 (the import) and cell 7 line 2 (the call), and that
// tunelint shows nothing anywhere else. Cells are numbered among all of them, the four markdown
// cells included, as the CLI numbers them. Run by run.sh, which starts JupyterLab.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

const BASE = process.env.JLAB_URL ?? 'http://127.0.0.1:8888';
const NOTEBOOK = process.env.JLAB_NOTEBOOK ?? 'founding.ipynb';
const OUT = process.env.JLAB_ARTIFACTS ?? fs.mkdtempSync('/tmp/jlab-check-');
// 1-based, cells counted with the markdown ones: the import and the call. The server also flags
// the unpinned `peft` in cell 3's `!pip` line (UNS001 and PIN001), but jupyterlab-lsp does not
// show diagnostics inside a cell whose first line is a cell magic (`%%capture`), so the page
// shows these two.
const EXPECTED = ['cell 5 line 1', 'cell 7 line 2'];
const NOTES = ['cell 3 line 2'];
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const t0 = Date.now();
const log = (...a) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)} s]`, ...a);
const same = (a, b) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());

// Where the lint underlines are: "cell N line L" (1-based) for every .cm-lintRange in the notebook.
const underlines = page => page.evaluate(() => {
  const found = [];
  document.querySelectorAll('.jp-Notebook .jp-Cell').forEach((cell, c) => {
    cell.querySelectorAll('.cm-content .cm-line').forEach((line, l) => {
      for (const mark of line.querySelectorAll('[class*="cm-lintRange"]')) {
        found.push({ at: `cell ${c + 1} line ${l + 1}`, text: mark.textContent, cls: mark.className });
      }
    });
  });
  return found;
});

// The Diagnostics panel's rows: message, code, severity, source, cell, line:ch (0-based).
const panelRows = async page => {
  const rows = await page.locator('.lsp-diagnostics-listing tbody tr').allInnerTexts();
  return rows.map(r => r.split('\t').map(s => s.trim()));
};

async function openDiagnosticsPanel(page) {
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+Shift+C');
  const search = page.locator('.lm-CommandPalette-input');
  await search.waitFor({ timeout: 10000 });
  await search.fill('diagnostics panel');
  await page.locator('.lm-CommandPalette-item', { hasText: /diagnostics panel/i }).first().click();
  await page.locator('.lsp-diagnostics-listing').or(page.getByText('No issues detected')).first()
    .waitFor({ timeout: 10000 });
}

let page;
const profile = fs.mkdtempSync('/tmp/jlab-chromium-');
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args: ARGS,
  viewport: { width: 1400, height: 900 },
});
try {
  page = ctx.pages()[0] ?? await ctx.newPage();
  const consoleLog = [];
  page.on('console', m => consoleLog.push(`${m.type()}: ${m.text()}`));
  await page.goto(`${BASE}/lab/tree/${NOTEBOOK}`);
  await page.waitForSelector('.jp-Notebook .jp-CodeCell .cm-content', { timeout: 60000 });
  log('notebook open');
  // jupyterlab-lsp's status bar item says "Fully initialized" once the server has the document.
  await page.getByText('Fully initialized').first().waitFor({ timeout: 60000 });
  log('LSP fully initialized');

  // Wait until the underlines are where we expect them, or until nothing has changed for a while.
  let marks = [], last = '', stableSince = Date.now();
  const deadline = Date.now() + 45000;
  while (Date.now() < deadline) {
    marks = await underlines(page);
    const now = JSON.stringify(marks);
    if (now !== last) { last = now; stableSince = Date.now(); log('underlines:', now); }
    if (Date.now() - stableSince > (same(new Set(marks.map(m => m.at)), EXPECTED) ? 3000 : 15000)) break;
    await page.waitForTimeout(250);
  }
  const news = page.getByRole('button', { name: 'No' });
  if (await news.count()) await news.first().click().catch(() => {}); // the "Jupyter news?" toast
  await page.screenshot({ path: path.join(OUT, '1-notebook.png') });

  // The message under the cell 7 underline, by hovering it.
  const tip = { text: null };
  const call = page.locator('.jp-Notebook .jp-Cell').nth(6).locator('[class*="cm-lintRange"]').first();
  if (await call.count()) {
    await call.hover();
    const t = page.locator('.cm-tooltip-lint').first();
    try { await t.waitFor({ timeout: 5000 }); tip.text = await t.innerText(); } catch { /* reported below */ }
    await page.screenshot({ path: path.join(OUT, '2-hover.png') });
  }

  await openDiagnosticsPanel(page);
  await page.waitForTimeout(1000);
  const rows = await panelRows(page);
  await page.screenshot({ path: path.join(OUT, '3-diagnostics-panel.png') });
  fs.writeFileSync(path.join(OUT, 'browser-console.log'), consoleLog.join('\n') + '\n');
  log('diagnostics panel:', JSON.stringify(rows));
  log('hover:', JSON.stringify(tip.text));

  // Assertions.
  const problems = [];
  const markAt = new Set(marks.map(m => m.at));
  if (!same(markAt, EXPECTED)) {
    problems.push(`underlines at ${JSON.stringify([...markAt])}, expected exactly ${JSON.stringify(EXPECTED)}`);
  }
  // Panel: [message, code, severity, source, cell, "line:ch"]
  const ours = rows.filter(r => r[3] === 'tunelint');
  const panelAt = new Set(ours.map(r => `cell ${r[4]} line ${Number(r[5]?.split(':')[0]) + 1}`));
  const uns = ours.filter(r => r[1] === 'UNS001');
  const unsAt = new Set(uns.map(r => `cell ${r[4]} line ${Number(r[5]?.split(':')[0]) + 1}`));
  if (!same(unsAt, EXPECTED)) {
    problems.push(`UNS001 in the diagnostics panel at ${JSON.stringify([...unsAt])}, expected ${JSON.stringify(EXPECTED)}`);
  }
  const at = r => `cell ${r[4]} line ${Number(r[5]?.split(':')[0]) + 1}`;
  const elsewhere = ours.filter(r => !((r[1] === 'UNS001' && EXPECTED.includes(at(r))) || (r[1] === 'PIN001' && NOTES.includes(at(r)))));
  if (elsewhere.length) problems.push(`tunelint diagnostics elsewhere or other than UNS001: ${JSON.stringify(elsewhere)}`);
  // The hover shows the message and the source (jupyterlab-lsp does not show the code there).
  if (!(tip.text?.includes('unsloth 2024.7') && tip.text?.includes('tunelint'))) {
    problems.push(`hover on cell 7's underline shows ${JSON.stringify(tip.text)}, not tunelint's UNS001 message`);
  }
  if (problems.length) {
    for (const p of problems) console.error('FAIL:', p);
    // What did the server publish for the virtual document? (run.sh records the LSP traffic.)
    const traffic = path.join(OUT, 'lsp-out.log');
    if (fs.existsSync(traffic)) {
      const published = fs.readFileSync(traffic, 'utf8').split('"textDocument/publishDiagnostics"').length - 1;
      const sent = fs.readFileSync(path.join(OUT, 'lsp-in.log'), 'utf8').match(/"uri":"([^"]*virtual_documents[^"]*)"/);
      console.error(`the server sent ${published} textDocument/publishDiagnostics in ${traffic}; the client's document: ${sent?.[1] ?? '(none)'}`);
    }
    console.error(`screenshots, LSP traffic and logs: ${OUT}`);
    process.exitCode = 1;
  } else {
    log(`ok: UNS001 on ${EXPECTED.join(' and ')}, nothing elsewhere`);
  }
} catch (e) {
  console.error('FAIL:', e.message);
  if (page) await page.screenshot({ path: path.join(OUT, 'error.png') }).catch(() => {});
  console.error(`screenshots, LSP traffic and logs: ${OUT}`);
  process.exitCode = 1;
} finally {
  await ctx.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
