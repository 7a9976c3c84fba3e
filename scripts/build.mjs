// Bundles the CLI, the library, the runtime and the testing entry with esbuild (for Node, and without
// Node built-ins for browsers), then writes type declarations with tsc. Runs on `npm install` (prepare),
// so `npx dlm` works in a fresh clone; `--bench` also bundles the benchmark (npm run bench).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { browserPlugin, stdlibPlugin } from './bundle.mjs';
import { buildMnistData } from './mnist.mjs';

buildMnistData();

const entries = {
  cli: 'compiler/cli.ts',
  index: 'compiler/index.ts',
  runtime: 'runtime/index.ts',
  testing: 'compiler/testing/index.ts',
};
// Chunk names carry a content hash: drop the previous build's.
for (const d of ['dist/chunks', 'dist/browser/chunks']) rmSync(d, { recursive: true, force: true });
const entryPoints = Object.fromEntries(Object.entries(entries).filter(([, p]) => existsSync(p)));
// Node: the CLI and the library; dependencies stay imports, the stdlib is embedded.
await build({
  entryPoints,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  packages: 'external',
  logLevel: 'warning',
  plugins: [stdlibPlugin()],
});
// Browsers (the "browser" export condition): the library, the runtime and dlm/testing without Node built-ins.
const { cli: _cli, ...libraries } = entryPoints;
await build({
  entryPoints: libraries,
  outdir: 'dist/browser',
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  packages: 'external',
  logLevel: 'warning',
  plugins: [stdlibPlugin(), browserPlugin()],
});
// The benchmark bundles TensorFlow.js from its ES modules (mainFields: module) so that tfjs-core's
// gradient registrations, absent from its Node bundle, are loaded into the same instance.
if (process.argv.includes('--bench') && existsSync('bench/main.ts')) {
  await build({
    entryPoints: { bench: 'bench/main.ts' },
    outdir: 'dist',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    mainFields: ['module', 'main'],
    external: ['ohm-js', 'fp-ts', 'mnist', '@jax-js/jax', 'convnetjs'],
    logLevel: 'error',
    banner: {
      js:
        "import { createRequire as __cr } from 'node:module'; import { fileURLToPath as __fu } from " +
        "'node:url'; import { dirname as __dn } from 'node:path'; const require = __cr(import.meta.url); " +
        'const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);',
    },
  });
}
if (!process.argv.includes('--no-types')) {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
