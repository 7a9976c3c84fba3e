// dlm in a real browser (headless Chromium, driven by playwright-core): the library bundled for browsers
// compiles a .dlm model, trains it and runs it; an exported standalone module predicts and trains under
// a strict Content-Security-Policy. Both agree with Node within float32 rounding. Skipped, with the
// reason printed, when no Chromium is installed (.ci/run installs Debian's `chromium`).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { compileOrThrow, Trainer } from '../../compiler/index.js';
import { standaloneModule } from '../../compiler/embed/standalone.js';
// @ts-expect-error: a plain .mjs build script without declarations
import { browserPlugin, stdlibPlugin } from '../../scripts/bundle.mjs';

const CHROMIUM = process.env['DLM_CHROMIUM'] ?? '/usr/bin/chromium';
const haveBrowser = existsSync(CHROMIUM);
if (!haveBrowser) console.warn(`tests/browser: skipped, no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set DLM_CHROMIUM)`);

const ROOT = resolve(import.meta.dirname, '../..');
const SOURCE = `
import nn
model Clf {
  input  x: f32[B, 6]
  target y: i32[B]
  layer  l1 = nn.Dense(6, 16)
  layer  l2 = nn.Dense(16, 3)
  output logits = l2(relu(l1(x)))
  loss   nn.cross_entropy(logits, y)
  optimizer adam(lr = 0.02)
}`;
const B = 8,
  F = 6;
const x = Array.from({ length: B * F }, (_, i) => Math.cos(i * 0.61));
const y = Array.from({ length: B }, (_, i) => i % 3);

/** |a − b| within a few float32 ulps of the larger magnitude (different kernels may round differently). */
const close = (a: readonly number[], b: readonly number[]) => {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => {
    expect(Math.abs(v - b[i]!)).toBeLessThanOrEqual(4 * 2 ** -23 * Math.max(1, Math.abs(b[i]!)));
  });
};

const batchOf = () => ({ x: { data: Float32Array.from(x), shape: [B, F] }, y: { data: Int32Array.from(y), shape: [B] } });
let trainedLogits: number[] = [];

/** What the pages' entry points return to the test: losses of three steps and logits. */
interface PageResult {
  losses: number[];
  output: number[];
  trained: number[];
  roundTrip: boolean;
}

const MODULE_PAGE_JS = `
import { predict, step, loadWeights } from './model.mjs';
window.moduleRun = async (x, y, B, F) => {
  const xs = { data: Float32Array.from(x), shape: [B, F] };
  const losses = [];
  for (let i = 0; i < 3; i++) losses.push(step({ x: xs, y: { data: Int32Array.from(y), shape: [B] } }).loss);
  const output = Array.from(predict({ x: xs }).logits.data);
  await loadWeights('/trained.safetensors');
  return { losses, output, trained: Array.from(predict({ x: xs }).logits.data) };
};
document.title = 'module ready';`;

describe.skipIf(!haveBrowser)('in headless Chromium', () => {
  let server: Server;
  let origin = '';
  let context: import('playwright-core').BrowserContext;
  const profile = mkdtempSync(join(tmpdir(), 'dlm-chromium-'));

  beforeAll(async () => {
    const page = await build({
      entryPoints: [join(ROOT, 'tests/browser/page.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'error',
      plugins: [
        {
          name: 'dlm-package',
          setup(b: import('esbuild').PluginBuild) {
            const entry = (p: string) => join(ROOT, p === 'dlm' ? 'compiler/index.ts' : 'runtime/index.ts');
            b.onResolve({ filter: /^dlm(\/runtime)?$/ }, (a: { path: string }) => ({ path: entry(a.path) }));
          },
        },
        stdlibPlugin(),
        browserPlugin(),
      ],
    });
    const model = compileOrThrow(SOURCE).model('Clf', { seed: 7 });
    const mod = standaloneModule(model, { dims: { B: [B] }, train: true });
    const files: Record<string, { type: string; body: string; csp?: string }> = {
      '/': { type: 'text/html', body: '<!doctype html><meta charset="utf-8"><script type="module" src="/page.js"></script>' },
      '/page.js': { type: 'text/javascript', body: page.outputFiles[0]!.text },
      '/module.html': {
        type: 'text/html',
        body: '<!doctype html><meta charset="utf-8"><script type="module" src="/module-page.js"></script>',
        csp: "script-src 'self'",
      },
      '/module-page.js': { type: 'text/javascript', body: MODULE_PAGE_JS },
      '/model.mjs': { type: 'text/javascript', body: mod.js },
    };
    // Weights fetched by the page: the model after 5 more Node training steps, as a dlm checkpoint.
    const trained = compileOrThrow(SOURCE).model('Clf', { seed: 7 });
    const t = new Trainer(trained);
    for (let i = 0; i < 5; i++) t.step(batchOf());
    trainedLogits = Array.from(trained.forward({ x: batchOf().x })['logits']!.data);
    const weights = Buffer.from(trained.save(undefined, t));
    server = createServer((req, res) => {
      if (req.url === '/trained.safetensors') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(weights);
        return;
      }
      const f = Object.hasOwn(files, req.url ?? '') ? files[req.url!]! : undefined;
      if (!f) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': f.type, ...(f.csp ? { 'content-security-policy': f.csp } : {}) }).end(f.body);
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const { chromium } = await import('playwright-core');
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    server?.close();
    rmSync(profile, { recursive: true, force: true });
  });

  test('the library compiles, trains and runs a model in the page like Node', async () => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${origin}/`);
    await page.waitForFunction("document.title === 'dlm ready'", undefined, { timeout: 30_000 });
    const got = await page.evaluate(
      ([source, x, y, B]) => (globalThis as unknown as { dlmRun(args: object): PageResult }).dlmRun({ source, x, y, B, steps: 3 }),
      [SOURCE, x, y, B] as const,
    );
    expect(errors).toEqual([]);
    const model = compileOrThrow(SOURCE).model('Clf', { seed: 7 });
    const batch = { x: { data: Float32Array.from(x), shape: [B, F] }, y: { data: Int32Array.from(y), shape: [B] } };
    const trainer = new Trainer(model);
    close(
      got.losses,
      [0, 1, 2].map(() => trainer.step(batch).loss),
    );
    close(got.output, Array.from(model.forward({ x: batch.x })['logits']!.data));
    expect(got.roundTrip).toBe(true);
  }, 60_000);

  test("an exported module predicts, trains and fetches weights under script-src 'self' (no eval, no WebAssembly)", async () => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`${origin}/module.html`);
    await page.waitForFunction("document.title === 'module ready'", undefined, { timeout: 30_000 });
    const got = await page.evaluate(([x, y, B, F]) => (globalThis as unknown as { moduleRun(...args: unknown[]): PageResult }).moduleRun(x, y, B, F), [
      x,
      y,
      B,
      F,
    ] as const);
    expect(errors).toEqual([]);
    const model = compileOrThrow(SOURCE).model('Clf', { seed: 7 });
    const batch = { x: { data: Float32Array.from(x), shape: [B, F] }, y: { data: Int32Array.from(y), shape: [B] } };
    const trainer = new Trainer(model);
    close(
      got.losses,
      [0, 1, 2].map(() => trainer.step(batch).loss),
    );
    close(got.output, Array.from(model.forward({ x: batch.x })['logits']!.data));
    close(got.trained, trainedLogits);
  }, 60_000);
});
