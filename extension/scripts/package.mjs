// `npm run package`: builds the .vsix for the platform this runs on (linux-x64 here) with the
// tunelint server inside it.
//
//   TUNELINT_BINARY=/path/to/tunelint npm run package    # take a prebuilt binary
//   npm run package                                      # cargo build --release (honours CARGO_TARGET_DIR)
//
// Steps: the binary (built or given) -> its `--version` checked against the supported range ->
// extension/bin/<platform>-<arch>/tunelint -> `vsce package --target <platform>-<arch>`
// (which runs `vscode:prepublish`, the production esbuild bundle) -> tunelint-<target>-<version>.vsix.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const semver = require('semver');
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

const target = `${process.platform}-${process.arch}`;
const supported = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64', 'win32-arm64'];
if (!supported.includes(target)) {
  console.error(`package: no VS Code target for ${target}`);
  process.exit(1);
}
const exe = process.platform === 'win32' ? 'tunelint.exe' : 'tunelint';

function run(cmd, args, opts = {}) {
  console.log(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) {
    console.error(`package: ${cmd} failed (${r.error?.message ?? `exit ${r.status}`})`);
    process.exit(r.status || 1);
  }
}

// 1. The binary.
let binary = process.env.TUNELINT_BINARY;
if (binary) {
  binary = resolve(binary);
  if (!existsSync(binary)) {
    console.error(`package: TUNELINT_BINARY=${binary} does not exist`);
    process.exit(1);
  }
} else {
  run('cargo', ['build', '--release', '--locked', '-p', 'tunelint']);
  const targetDir = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(root, 'target');
  binary = join(targetDir, 'release', exe);
}

// 2. Its version: the same check the extension makes at start-up.
const out = execFileSync(binary, ['--version'], { encoding: 'utf8' });
const m = /^tunelint\s+(\S+)/m.exec(out.trim());
const range = readFileSync(join(root, 'extension', 'src', 'version.ts'), 'utf8').match(/SUPPORTED_RANGE = '([^']+)'/)?.[1];
if (!m || !range || !semver.satisfies(m[1], range, { includePrerelease: true })) {
  console.error(`package: ${binary} --version printed "${out.trim()}"; the extension supports tunelint ${range}`);
  process.exit(1);
}
console.log(`package: tunelint ${m[1]} from ${binary} (${(statSync(binary).size / 1e6).toFixed(1)} MB)`);

// 3. Into the extension, only this target's binary.
rmSync(join(root, 'extension', 'bin'), { recursive: true, force: true });
const dest = join(root, 'extension', 'bin', target, exe);
mkdirSync(dirname(dest), { recursive: true });
copyFileSync(binary, dest);
chmodSync(dest, 0o755);

// 4. The .vsix (vsce runs `vscode:prepublish` = the production bundle).
const vsix = resolve(root, process.env.TUNELINT_VSIX_OUT ?? `tunelint-${target}-${pkg.version}.vsix`);
run(process.execPath, [
  join(root, 'node_modules', '@vscode', 'vsce', 'vsce'),
  'package',
  '--target', target,
  '--no-dependencies',
  '--skip-license',
  '--out', vsix,
]);
console.log(`package: ${vsix}`);
