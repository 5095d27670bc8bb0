// Release packaging (issue 21): the release workflow's build matrix is the list that
// scripts/cross-build.sh cross-builds (scripts/release-targets.json), the packaging script knows
// every target, and the manifest carries what a registry page shows.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as yaml from 'js-yaml';

const root = join(__dirname, '..', '..', '..');
const read = (p: string) => readFileSync(join(root, p), 'utf8');

interface Target {
  vscode: string;
  rust: string;
  cross: string;
  wheel: string;
}
const targets: Target[] = JSON.parse(read('scripts/release-targets.json')).targets;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Yaml = any;
const workflow: Yaml = yaml.load(read('.github/workflows/release.yml'));

test('release targets: the five platforms users are on, each with its own wheel tag', () => {
  assert.deepEqual(
    targets.map((t) => t.vscode),
    ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64'],
  );
  for (const t of targets) {
    const [os, arch] = t.vscode.split('-') as [string, string];
    const rustOs = ({ linux: 'unknown-linux-gnu', darwin: 'apple-darwin', win32: 'pc-windows-' } as Record<string, string>)[os];
    const rustArch = ({ x64: 'x86_64', arm64: 'aarch64' } as Record<string, string>)[arch];
    assert.ok(rustOs && rustArch, t.vscode);
    for (const r of [t.rust, t.cross]) assert.ok(r.startsWith(`${rustArch}-${rustOs}`), `${t.vscode}: ${r}`);
    const wheelArch = os === 'win32' ? 'amd64' : os === 'darwin' && arch === 'arm64' ? 'arm64' : rustArch;
    assert.ok(t.wheel.endsWith(`_${wheelArch}`), `${t.vscode}: ${t.wheel}`);
  }
});

test('release workflow: the build matrix equals the cross-build list', () => {
  assert.deepEqual(Object.keys(workflow.on).sort(), ['push', 'workflow_dispatch']);
  assert.deepEqual(workflow.on.push.tags, ['v*']);
  const include: Yaml[] = workflow.jobs.build.strategy.matrix.include;
  assert.deepEqual(
    include.map((m) => ({ vscode: m.vscode, rust: m.rust })),
    targets.map((t) => ({ vscode: t.vscode, rust: t.rust })),
  );
  for (const m of include) {
    // Linux wheels from the manylinux2014 container (glibc 2.17, as the cross-build's zig link);
    // each platform on its own runner, so the binary runs where it was built.
    assert.equal(m.manylinux, m.vscode.startsWith('linux-') ? '2014' : 'off', m.vscode);
    const os = { 'linux-x64': /^ubuntu-/, 'linux-arm64': /^ubuntu-.*-arm$/, 'darwin-x64': /^macos-.*intel$|^macos-13$/, 'darwin-arm64': /^macos-(14|15|latest)$/, 'win32-x64': /^windows-/ }[m.vscode as string];
    assert.ok(os?.test(m.os), `${m.vscode} on ${m.os}`);
  }
  const steps: Yaml[] = workflow.jobs.build.steps;
  const maturin = steps.find((s) => String(s.uses).startsWith('PyO3/maturin-action@'));
  assert.equal(maturin.with.target, '${{ matrix.rust }}');
  assert.match(maturin.env.RUSTFLAGS, /win32-.*\+crt-static/, 'Windows: no Visual C++ redistributable needed');
  assert.ok(steps.some((s) => String(s.run).includes('package.mjs --target "${{ matrix.vscode }}"')), 'a .vsix per target');
  assert.ok(steps.some((s) => String(s.run).includes('release_check.py vsix')), 'the .vsix manifest is checked');
  assert.ok(String(workflow.jobs.universal.steps.map((s: Yaml) => s.run).join('\n')).includes('package.mjs --universal'));
});

test('release workflow: artefacts attached on a tag, registries only with their secrets', () => {
  const jobs = workflow.jobs;
  assert.deepEqual(jobs.release.needs, ['build', 'universal']);
  assert.match(jobs.release.if, /refs\/tags\/v/);
  assert.equal(jobs.release.permissions.contents, 'write');
  assert.ok(jobs.release.steps.some((s: Yaml) => String(s.run).includes('gh release create')));
  const pypi = jobs.pypi.steps.find((s: Yaml) => String(s.uses).startsWith('pypa/gh-action-pypi-publish@'));
  assert.equal(pypi.if, "env.PYPI_API_TOKEN != ''");
  const vsce = jobs.vscode.steps.find((s: Yaml) => String(s.run).includes('vsce publish'));
  assert.equal(vsce.if, "env.VSCE_PAT != ''");
  const ovsx = jobs.vscode.steps.find((s: Yaml) => String(s.run).includes('ovsx'));
  assert.equal(ovsx.if, "env.OVSX_PAT != ''");
});

test('packaging script and cross-build know every target', () => {
  const pkgScript = read('extension/scripts/package.mjs');
  for (const t of targets) assert.ok(pkgScript.includes(`'${t.vscode}'`), t.vscode);
  assert.ok(pkgScript.includes('--universal'));
  const cross = read('scripts/cross-build.sh');
  assert.ok(cross.includes('scripts/release-targets.json'), 'cross-build.sh reads the list');
  assert.ok(cross.includes('--zig'));
});

test('registry page: icon, banner, categories, keywords, links, changelog, licences', () => {
  const pkg = JSON.parse(read('package.json'));
  const icon = readFileSync(join(root, pkg.icon));
  assert.deepEqual([...icon.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'the icon is a PNG (the Marketplace takes no SVG)');
  assert.ok(icon.readUInt32BE(16) >= 128 && icon.readUInt32BE(16) === icon.readUInt32BE(20), 'square, at least 128 px');
  assert.match(pkg.galleryBanner.color, /^#[0-9a-f]{6}$/i);
  assert.ok(['dark', 'light'].includes(pkg.galleryBanner.theme));
  assert.equal(pkg.categories[0], 'Linters');
  assert.ok(pkg.keywords.length >= 5 && pkg.keywords.length <= 30);
  assert.match(pkg.repository.url, /^https:\/\//);
  assert.match(pkg.bugs.url, /\/issues$/);
  for (const f of ['CHANGELOG.md', 'LICENSE', 'LICENSE-MIT', 'LICENSE-APACHE']) assert.ok(existsSync(join(root, f)), f);
  const ignore = read('.vscodeignore');
  for (const f of ['CHANGELOG.md', 'LICENSE', pkg.icon]) assert.ok(ignore.includes(`!${f}`), `.vscodeignore keeps ${f}`);
  const pyproject = read('pyproject.toml');
  assert.match(pyproject, /^\[project\.urls\]$/m);
  for (const c of ['Operating System :: MacOS', 'Operating System :: Microsoft :: Windows', 'Operating System :: POSIX :: Linux']) {
    assert.ok(pyproject.includes(`"${c}"`), c);
  }
});
