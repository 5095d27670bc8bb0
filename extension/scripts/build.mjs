// Bundles the extension with esbuild (extension/dist/extension.js), or builds and runs the unit
// tests (--tests: extension/test/*.test.ts -> extension/out/unit, then `node --test`).
//   node extension/scripts/build.mjs [--production] [--watch] [--tests]
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const ext = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const production = args.has('--production');

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  logLevel: 'warning',
};

if (args.has('--tests')) {
  const outdir = join(ext, 'out', 'unit');
  rmSync(outdir, { recursive: true, force: true });
  const tests = readdirSync(join(ext, 'test')).filter((f) => f.endsWith('.test.ts'));
  await esbuild.build({
    ...common,
    entryPoints: tests.map((f) => join(ext, 'test', f)),
    outdir,
    sourcemap: 'inline',
    // The unit tests cover the pure modules: importing `vscode` from one is a mistake.
    external: [],
  });
  const files = tests.map((f) => join(outdir, f.replace(/\.ts$/, '.js')));
  const r = spawnSync(process.execPath, ['--enable-source-maps', '--test', ...files], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const options = {
  ...common,
  entryPoints: [join(ext, 'src', 'extension.ts')],
  outfile: join(ext, 'dist', 'extension.js'),
  external: ['vscode'],
  minify: production,
  sourcemap: production ? false : 'linked',
  // vscode-languageclient and friends carry no native code; everything is bundled.
  mainFields: ['module', 'main'],
};

if (args.has('--watch')) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
  console.log('watching extension/src ...');
} else {
  rmSync(join(ext, 'dist'), { recursive: true, force: true });
  await esbuild.build(options);
}
