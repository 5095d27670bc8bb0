// `npm run package`: builds the .vsix for the platform this runs on (linux-x64 here) with the
// tunelint server inside it; `--target T` a .vsix for another VS Code target with a binary built
// for it (scripts/cross-build.sh builds those); `--universal` the fallback .vsix with no binary,
// which runs `tunelint.path` or the `tunelint` on PATH.
//
//   TUNELINT_BINARY=/path/to/tunelint npm run package    # take a prebuilt binary
//   npm run package                                      # cargo build --release (honours CARGO_TARGET_DIR)
//   TUNELINT_BINARY=dist/bin/linux-arm64/tunelint npm run package -- --target linux-arm64
//   npm run package -- --universal
//
// Steps: the binary (built or given) -> its `--version` checked against the supported range (for
// another platform's binary, which cannot run here, the crate's version is checked instead) ->
// extension/bin/<platform>-<arch>/tunelint[.exe] (the path extension/src/binary.ts looks up) ->
// `vsce package --target <platform>-<arch>` (which runs `vscode:prepublish`, the production
// esbuild bundle) -> tunelint-<target>-<version>.vsix (tunelint-universal-<version>.vsix).
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const semver = require('semver');
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

const host = `${process.platform}-${process.arch}`;
const argv = process.argv.slice(2);
const universal = argv.includes('--universal');
const ti = argv.indexOf('--target');
const target = universal ? null : ti >= 0 ? argv[ti + 1] : host;
const supported = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64', 'win32-arm64'];
if (target !== null && !supported.includes(target)) {
  console.error(`package: no VS Code target for ${target}`);
  process.exit(1);
}
const exe = target?.startsWith('win32-') ? 'tunelint.exe' : 'tunelint';

function run(cmd, args, opts = {}) {
  console.log(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) {
    console.error(`package: ${cmd} failed (${r.error?.message ?? `exit ${r.status}`})`);
    process.exit(r.status || 1);
  }
}

const range = readFileSync(join(root, 'extension', 'src', 'version.ts'), 'utf8').match(/SUPPORTED_RANGE = '([^']+)'/)?.[1];
function checkVersion(version, what) {
  if (!version || !range || !semver.satisfies(version, range, { includePrerelease: true })) {
    console.error(`package: ${what} is "${version}"; the extension supports tunelint ${range}`);
    process.exit(1);
  }
}

rmSync(join(root, 'extension', 'bin'), { recursive: true, force: true });
if (target === null) {
  // The universal .vsix: no binary; the extension finds `tunelint.path` or `tunelint` on PATH.
  checkVersion(readFileSync(join(root, 'server', 'Cargo.toml'), 'utf8').match(/^version = "([^"]+)"/m)?.[1], 'server/Cargo.toml\'s version');
  console.log('package: universal (no bundled binary)');
} else {
  // 1. The binary.
  let binary = process.env.TUNELINT_BINARY;
  if (binary) {
    binary = resolve(binary);
    if (!existsSync(binary)) {
      console.error(`package: TUNELINT_BINARY=${binary} does not exist`);
      process.exit(1);
    }
  } else if (target === host) {
    run('cargo', ['build', '--release', '--locked', '-p', 'tunelint']);
    const targetDir = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(root, 'target');
    binary = join(targetDir, 'release', exe);
  } else {
    console.error(`package: --target ${target} needs TUNELINT_BINARY (scripts/cross-build.sh builds it)`);
    process.exit(1);
  }

  // 2. Its version: the same check the extension makes at start-up. Another platform's binary
  // cannot run here: the version of the crate it was built from is checked, and
  // scripts/cross-build.sh runs the binary itself under qemu or wine where it can.
  if (target === host) {
    const out = execFileSync(binary, ['--version'], { encoding: 'utf8' });
    checkVersion(/^tunelint\s+(\S+)/m.exec(out.trim())?.[1], `${binary} --version`);
  } else {
    checkVersion(readFileSync(join(root, 'server', 'Cargo.toml'), 'utf8').match(/^version = "([^"]+)"/m)?.[1], 'server/Cargo.toml\'s version');
  }
  console.log(`package: ${target} binary ${binary} (${(statSync(binary).size / 1e6).toFixed(1)} MB)`);

  // 3. Into the extension, only this target's binary.
  const dest = join(root, 'extension', 'bin', target, exe);
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(binary, dest);
  chmodSync(dest, 0o755);
}

// 4. The .vsix (vsce runs `vscode:prepublish` = the production bundle).
const vsix = resolve(root, process.env.TUNELINT_VSIX_OUT ?? `tunelint-${target ?? 'universal'}-${pkg.version}.vsix`);
run(process.execPath, [
  join(root, 'node_modules', '@vscode', 'vsce', 'vsce'),
  'package',
  ...(target === null ? [] : ['--target', target]),
  '--no-dependencies',
  '--out', vsix,
]);
console.log(`package: ${vsix}`);
