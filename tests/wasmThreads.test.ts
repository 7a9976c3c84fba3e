// The wasm backend on two threads (runtime/wasm/threads*.ts): the float32 products split by rows over a
// worker sharing the program's memory compute the same bits as one thread, on random programs and on
// convolutional and LSTM training steps; products under the size threshold stay on the caller; a worker's
// error is thrown from the job (not a hang); a process that ran threaded programs exits by itself.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { build } from 'esbuild';
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { compile } from '../compiler/index.js';
import { Trainer } from '../compiler/api/trainer.js';
import { randomInputs } from '../compiler/api/gradcheck.js';
import { programFromRecipe, stepArb } from '../compiler/testing/programs.js';
import { Rng } from '../runtime/random.js';
import type { Tensor } from '../runtime/tensor.js';
import { disposeWasmThreads, setWasmThreads, threadedMemory, wasmThreadStats, wasmThreadsReady } from '../runtime/wasm/threads.js';
import { I32, get, i32, programModule } from '../runtime/wasm/encode.js';
import { setParallelMacs } from '../runtime/wasm/threadsKernels.js';
import { shareMemoryImport } from '../runtime/wasm/threadsMemory.js';
import { compileOk } from './helpers/compile.js';
import { labelTensor, lstmMomentumSource, normalTensor, smallConvSource } from './helpers/models.js';

afterAll(() => {
  setWasmThreads(undefined);
  setParallelMacs(undefined);
  disposeWasmThreads();
});

/** Equal element for element (Object.is: NaN equal to NaN, −0 apart from +0). */
const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>, what: string): void => {
  expect(b.length, what).toBe(a.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) expect(`${what}[${i}] = ${b[i]}`).toBe(`${what}[${i}] = ${a[i]}`);
};

/** Loads `make`'s program with `threads` threads (the count is read at load and at every product). */
const withThreads = <T>(threads: number, make: () => T): T => {
  setWasmThreads(threads);
  return make();
};

/** Until a worker has started (it starts in the background; jobs before then run on the caller). */
const workerUp = async () => {
  setWasmThreads(2);
  await wasmThreadsReady();
  expect(wasmThreadStats().ready).toBeGreaterThanOrEqual(1);
};

/** Runs `f` until a worker has run a unit of its products (its memory reaches the worker by a message). */
const untilWorkerRan = async (f: () => void) => {
  const before = wasmThreadStats();
  for (let i = 0; i < 400; i++) {
    f();
    const s = wasmThreadStats();
    if (s.units - before.units > s.mine - before.mine) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('no worker ran a unit');
};

describe('wasm on two threads', () => {
  test('random programs: two threads give the bits of one (float32 forward passes and gradients)', async () => {
    setParallelMacs(1); // split every product the programs have
    setWasmThreads(2);
    await workerUp();
    const before = wasmThreadStats();
    fc.assert(
      // programs over an input of 5–12 rows: products of more than one block of rows
      fc.property(
        fc.integer({ min: 5, max: 12 }),
        fc.integer({ min: 1, max: 9 }),
        fc.array(stepArb, { minLength: 2, maxLength: 10 }),
        fc.nat(50),
        (m, n, recipe, seed) => {
          const p = { source: programFromRecipe([m, n], recipe) };
          const r = compile(p.source);
          if (E.isLeft(r)) throw new Error(p.source);
          const one = withThreads(1, () => r.right.model(undefined, { backend: 'wasm' }));
          const two = withThreads(2, () => r.right.model(undefined, { backend: 'wasm' }));
          const ins = randomInputs(one, new Rng(seed), {});
          setWasmThreads(1);
          const a = one.valueAndGrad(ins, 'f32');
          setWasmThreads(2);
          const b = two.valueAndGrad(ins, 'f32');
          sameBits([a.loss], [b.loss], `loss of\n${p.source}`);
          for (const k of Object.keys(a.grads)) sameBits(a.grads[k]!, b.grads[k]!, `grad ${k} of\n${p.source}`);
        },
      ),
      { numRuns: 12, seed: 22 },
    );
    const after = wasmThreadStats();
    expect(after.jobs).toBeGreaterThan(before.jobs);
    console.log(
      `random programs: ${after.jobs - before.jobs} products on threads, ${after.units - after.mine - (before.units - before.mine)} units on the worker`,
    );
  }, 30_000);

  const normal = normalTensor,
    labels = labelTensor;
  const STEPS: Record<string, { src: string; batch: (r: Rng) => Record<string, Tensor> }> = {
    conv: { src: smallConvSource, batch: (r) => ({ x: normal(r, [6, 1, 10, 10]), y: labels(r, [6], 5) }) },
    lstm: { src: lstmMomentumSource(5, 4, 8), batch: (r) => ({ x: normal(r, [9, 5, 4]), y: labels(r, [9, 5], 4) }) },
  };
  test.each(Object.keys(STEPS))(
    'training steps of %s: two threads give the bits of one (losses, parameters, optimizer state)',
    async (name) => {
      setParallelMacs(1);
      await workerUp();
      const { src, batch } = STEPS[name]!;
      const train = (threads: number) => {
        const m = withThreads(threads, () => compileOk(src).model('M', { seed: 3, backend: 'wasm' }));
        const t = withThreads(threads, () => new Trainer(m));
        const r = new Rng(11);
        return { m, t, step: () => withThreads(threads, () => t.step(batch(r)).loss) };
      };
      const one = train(1),
        two = train(2);
      const before = wasmThreadStats();
      await untilWorkerRan(() => sameBits([one.step()], [two.step()], `${name} loss`));
      expect(wasmThreadStats().jobs).toBeGreaterThan(before.jobs);
      for (const [k, v] of Object.entries({ ...one.m.params, ...one.t.state })) sameBits(v, { ...two.m.params, ...two.t.state }[k]!, `${name} ${k}`);
    },
    30_000,
  );

  test('products whose units pack panels of B (8 rows and more, K over one block): each thread its own scratch, the bits of one', async () => {
    setParallelMacs(undefined);
    await workerUp();
    const src = 'model MM {\n  input a: f32[M, K]\n  input b: f32[K, N]\n  output c = a @ b\n}';
    const [M, K, N] = [128, 700, 40];
    const a = { data: Float32Array.from({ length: M * K }, (_, i) => Math.sin(i * 0.37)), shape: [M, K] };
    const b = { data: Float32Array.from({ length: K * N }, (_, i) => Math.cos(i * 0.11)), shape: [K, N] };
    const one = withThreads(1, () => compileOk(src).model('MM', { backend: 'wasm' }));
    const two = withThreads(2, () => compileOk(src).model('MM', { backend: 'wasm' }));
    setWasmThreads(1);
    const want = one.evaluate({ a, b }, 'f32')['c']!.data;
    setWasmThreads(2);
    await untilWorkerRan(() => sameBits(want, two.evaluate({ a, b }, 'f32')['c']!.data, 'c'));
    for (let i = 0; i < 20; i++) sameBits(want, two.evaluate({ a, b }, 'f32')['c']!.data, 'c');
  }, 20_000);

  test('top-level loops of independent iterations on the threads: the bits of one thread, also through imported math functions', async () => {
    await workerUp();
    const src = 'model E {\n  input x: f32[N, M]\n  output y = tanh(x) * sigmoid(x) + erf(x * 0.5)\n}';
    const x = { data: Float32Array.from({ length: 300 * 300 }, (_, i) => Math.sin(i * 0.013) * 3), shape: [300, 300] };
    const one = withThreads(1, () => compileOk(src).model('E', { backend: 'wasm' }));
    const two = withThreads(2, () => compileOk(src).model('E', { backend: 'wasm' }));
    setWasmThreads(1);
    const want = one.evaluate({ x }, 'f32')['y']!.data;
    setWasmThreads(2);
    const before = wasmThreadStats().jobs;
    await untilWorkerRan(() => sameBits(want, two.evaluate({ x }, 'f32')['y']!.data, 'y'));
    expect(wasmThreadStats().jobs).toBeGreaterThan(before);
  }, 20_000);

  test('the threshold: a product under PARALLEL_MACS multiply-adds stays on the caller, one at it is split', async () => {
    setParallelMacs(undefined);
    await workerUp();
    const src = 'model MM {\n  input a: f32[N, N]\n  input b: f32[N, N]\n  output c = a @ b\n}';
    const jobs = (n: number) => {
      const m = withThreads(2, () => compileOk(src).model('MM', { backend: 'wasm' }));
      const x = { data: Float32Array.from({ length: n * n }, (_, i) => Math.sin(i)), shape: [n, n] };
      const before = wasmThreadStats().jobs;
      m.evaluate({ a: x, b: x }, 'f32');
      return wasmThreadStats().jobs - before;
    };
    expect(jobs(63)).toBe(0); // 63³ < 2¹⁸
    expect(jobs(64)).toBe(1); // 64³ = 2¹⁸
  });

  test("a worker's error is thrown from the job that met it (no hang), and the pool goes on working", async () => {
    await workerUp();
    const t = threadedMemory(1)!;
    // boom(u) traps (unreachable); ok(u) stores u at byte 4·u
    const bytes = programModule(
      [],
      [
        { params: [I32], results: [], locals: [], body: [0x00], export: 'boom' },
        { params: [I32], results: [], locals: [], body: [...get(0), ...i32(4), 0x6c, ...get(0), 0x36, 2, 0], export: 'ok' },
      ],
      1,
    );
    const module = new WebAssembly.Module(shareMemoryImport(bytes));
    const owner = {};
    t.register(
      {
        slots: 2,
        modules: [{ module, math: [] }],
        fns: [
          [0, 'boom'],
          [0, 'ok'],
        ],
      },
      owner,
    );
    const args = Int32Array.from({ length: 32 }, (_, u) => u);
    // the caller's units take a millisecond each, so the worker claims some once it has the module
    const slow = () => {
      const t0 = performance.now();
      while (performance.now() - t0 < 1);
    };
    let error: unknown;
    for (const t0 = Date.now(); Date.now() - t0 < 5000 && !error; ) {
      try {
        t.run(0, 32, 1, args, slow);
      } catch (e) {
        error = e;
      }
      if (!error) await new Promise((r) => setTimeout(r, 10));
    }
    expect(String(error)).toMatch(/WebAssembly worker thread failed: .*unreachable/);
    const view = new Int32Array(t.memory.buffer, 0, 32);
    t.run(1, 32, 1, args, (u) => {
      view[u] = u;
    });
    expect([...view]).toEqual([...args]);
    expect(owner).toBeDefined();
  }, 10_000);

  test('a process that ran threaded programs exits by itself (its workers do not keep it alive)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dlm-wasmthreads-'));
    try {
      const threads = resolve(import.meta.dirname, '../runtime/wasm/threads.ts');
      writeFileSync(
        join(dir, 'main.ts'),
        [
          `import { setWasmThreads, threadedMemory, wasmThreadStats, wasmThreadsReady } from ${JSON.stringify(threads)};`,
          'setWasmThreads(2);',
          'await wasmThreadsReady();',
          'const t = threadedMemory(1);',
          't.run(0, 4, 1, new Int32Array(4), () => {});',
          "console.log('workers', wasmThreadStats().ready);",
        ].join('\n'),
      );
      await build({ entryPoints: [join(dir, 'main.ts')], outfile: join(dir, 'main.mjs'), bundle: true, platform: 'node', format: 'esm', logLevel: 'error' });
      const out = execFileSync(process.execPath, [join(dir, 'main.mjs')], { timeout: 10_000, encoding: 'utf8' });
      expect(out.trim()).toBe('workers 1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 20_000);
});
