// The wasm backend prints the loop IR as one WebAssembly module over the planned arena
// (compiler/wasm/): it computes what the JavaScript backend computes. On random loop-IR expressions
// (every math function, comparisons, selects, integral and real arithmetic over NaN, ±Infinity, −0 and
// friends) bit for bit in float64 and float32; on random programs' forward passes and gradients (f64 to
// 1e-12, f32 to float32 rounding); on training steps of a convolutional network (im2col, pooling),
// an LSTM through `scan` and two losses; two examples (a chaotic sampled simulation, a VAE); and through
// min/max/abs/sign/round on special values. Only
// validated numbers reach the bytes, never a name from the .dlm file.
import { readFileSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { randomInputs } from '../compiler/api/gradcheck.js';
import { Trainer } from '../compiler/api/trainer.js';
import type { RunError } from '../compiler/api/errors.js';
import { emitModule } from '../compiler/codegen/module.js';
import type { MemoryPlan } from '../compiler/codegen/plan.js';
import type { Schedule } from '../compiler/codegen/scheduleTypes.js';
import type { Node } from '../compiler/ir/ir.js';
import type { Expr, Stmt } from '../compiler/loops/loops.js';
import { MATH, type MathName } from '../compiler/ops/math.js';
import { WasmPrinter } from '../compiler/wasm/emitWasm.js';
import { vectorMap } from '../compiler/wasm/vectorMap.js';
import { emitWasm, loadWasm } from '../compiler/wasm/backend.js';
import { instantiate } from '../runtime/compiled.js';
import { Rng } from '../runtime/random.js';
import type { Tensor } from '../runtime/tensor.js';
import { compileOk } from './helpers/compile.js';
import { assertBackendMatchesJs, relDiff } from './helpers/backendEquivalence.js';
import { labelTensor, lstmMomentumSource, normalTensor, smallConvSource, twoLossesSource } from './helpers/models.js';

/** Equal element for element, NaN equal to NaN and −0 apart from +0 (Object.is). */
const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>, what: string): void => {
  expect(b.length).toBe(a.length);
  const show = (x: number | undefined) => (Object.is(x, -0) ? '-0' : String(x));
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) expect(`${what}[${i}] = ${show(b[i])}`).toBe(`${what}[${i}] = ${show(a[i])}`);
};

// ---- the printer on random loop-IR expressions --------------------------------------------------------

const SPECIAL = [0, -0, 1, -1, 0.5, -0.5, 1.5, 2.5, -2.5, 3, 7, 1e-310, 1e300, -1e300, NaN, Infinity, -Infinity, 0.1, 2 ** 31, -(2 ** 31) - 1];
const N = SPECIAL.length;
const ARITY: Partial<Record<MathName, number>> = { pow: 2, max: 2, min: 2, uniform: 3 };
const FNS = Object.keys(MATH) as MathName[];

const exprArb: fc.Arbitrary<Expr> = fc.letrec<{ e: Expr }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...SPECIAL).map((v): Expr => ({ k: 'num', v })),
    fc.constant<Expr>({ k: 'var', name: 'i' }),
    fc.constant<Expr>({ k: 'load', buf: 'in0', index: { k: 'var', name: 'i' } }),
    // an integral index arithmetic read: x[(i · 7 + 3) mod-free, kept in range by a select]
    fc.constant<Expr>({ k: 'load', buf: 'in0', index: { k: 'bin', op: '-', a: { k: 'num', v: N - 1 }, b: { k: 'var', name: 'i' } } }),
    fc
      .tuple(fc.constantFrom('+', '-', '*', '/', '<', '<=', '>', '>=', '==', '!=' as const), tie('e'), tie('e'))
      .map(([op, a, b]): Expr => ({ k: 'bin', op, a, b })),
    tie('e').map((a): Expr => ({ k: 'negate', a })),
    fc.tuple(tie('e'), tie('e'), tie('e')).map(([c, a, b]): Expr => ({ k: 'sel', c, a, b })),
    fc
      .tuple(fc.constantFrom(...FNS), fc.array(tie('e'), { minLength: 3, maxLength: 3 }))
      .map(([fn, args]): Expr => ({ k: 'call', fn, args: args.slice(0, ARITY[fn] ?? 1) })),
  ),
})).e;

/** A one-kernel schedule: out[i] = e for i < N, with `in0` holding the special values. */
const kernelProgram = (body: readonly Stmt[]): { s: Schedule; plan: MemoryPlan } => ({
  s: {
    kernels: [{ name: 'k0', body, writes: ['t0'], reads: ['in0'], note: 'test' }],
    temps: [{ name: 't0', size: 2 * N, note: 'out' }],
    inputs: [{ name: 'x', role: 'input', buf: 'in0', shape: [N], dtype: 'f32', node: {} as Node }],
    outputs: [{ name: 'y', buf: 't0', shape: [2 * N] }],
    updates: [],
    guards: [],
    subs: [],
  },
  plan: { placements: [{ name: 't0', offset: 0, size: 2 * N }], arenaSize: 2 * N, unplannedSize: 2 * N, peakLive: 2 * N, subs: [] },
});

describe('the printer on loop IR', () => {
  test('random expressions over special values: the WebAssembly module stores what the JavaScript module stores, bit for bit', () => {
    fc.assert(
      fc.property(exprArb, exprArb, (e, f) => {
        // an integral let (index arithmetic) and a real accumulator beside the stored expressions
        const body: Stmt[] = [
          {
            k: 'for',
            v: 'i',
            from: { k: 'num', v: 0 },
            to: { k: 'num', v: N },
            step: 1,
            body: [
              { k: 'let', name: 'j', e: { k: 'bin', op: '+', a: { k: 'var', name: 'i' }, b: { k: 'num', v: N } } },
              { k: 'let', name: 'acc', e: e, mutable: true },
              { k: 'set', name: 'acc', e: { k: 'bin', op: '+', a: { k: 'var', name: 'acc' }, b: f } },
              { k: 'store', buf: 't0', index: { k: 'var', name: 'i' }, e },
              {
                k: 'if',
                conds: [{ k: 'bin', op: '<', a: { k: 'var', name: 'i' }, b: { k: 'num', v: N } }, f],
                body: [{ k: 'store', buf: 't0', index: { k: 'var', name: 'j' }, e: { k: 'var', name: 'acc' } }],
              },
            ],
          },
        ];
        const { s, plan } = kernelProgram(body);
        for (const precision of ['f64', 'f32'] as const) {
          const Real = precision === 'f64' ? Float64Array : Float32Array;
          const js = instantiate(emitModule(s, plan, { title: 't' }), plan.arenaSize, precision);
          const wasm = loadWasm(emitWasm(s, plan, { title: 't' }, precision), s, plan, precision);
          if (E.isLeft(wasm)) throw new Error('load');
          const x = Real.from(SPECIAL);
          js.run([x]);
          wasm.right.module.run([x]);
          sameBits(js.buffers['t0']!, wasm.right.module.buffers['t0']!, `${precision} ${JSON.stringify([e, f])}`);
        }
      }),
      {
        numRuns: 150,
        seed: 22,
        // −i and i · −1 at i = 0 are −0 in JavaScript, though i is an integral (i32) variable here
        examples: [
          [
            { k: 'negate', a: { k: 'var', name: 'i' } },
            { k: 'bin', op: '/', a: { k: 'num', v: 1 }, b: { k: 'bin', op: '*', a: { k: 'var', name: 'i' }, b: { k: 'num', v: -1 } } },
          ],
        ],
      },
    );
  });

  test('elementwise loops the printer runs four lanes at a time (vectorMap) store what the JavaScript module stores, bit for bit', () => {
    // leaves: a contiguous load, a splat (one element for every i), the output itself in place, constants
    const cur: Expr = { k: 'load', buf: 'in0', index: { k: 'var', name: 'i' } },
      prev: Expr = { k: 'load', buf: 'in0', index: { k: 'bin', op: '-', a: { k: 'var', name: 'i' }, b: { k: 'num', v: 1 } } };
    const leaf = fc.oneof(
      fc.constantFrom(...SPECIAL).map((v): Expr => ({ k: 'num', v })),
      fc.constant(cur),
      fc.constant(prev),
      fc.constant<Expr>({ k: 'load', buf: 'in0', index: { k: 'num', v: 3 } }),
      fc.constant<Expr>({ k: 'load', buf: 't0', index: { k: 'var', name: 'i' } }),
    );
    const elementwise: fc.Arbitrary<Expr> = fc.letrec<{ e: Expr }>((tie) => ({
      e: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        leaf,
        fc.tuple(fc.constantFrom('+', '-', '*', '/' as const), tie('e'), tie('e')).map(([op, a, b]): Expr => ({ k: 'bin', op, a, b })),
        tie('e').map((a): Expr => ({ k: 'negate', a })),
        fc
          .tuple(
            fc.constantFrom('<', '<=', '>', '>=', '==', '!=' as const),
            tie('e'),
            fc.oneof(tie('e'), fc.constant<Expr>({ k: 'num', v: 0 })),
            tie('e'),
            tie('e'),
            fc.boolean(),
          )
          // a condition as lowerings also write it: (a < b) != 0
          .map(([op, a, b, x, y, wrapped]): Expr => {
            const c: Expr = { k: 'bin', op, a, b };
            return { k: 'sel', c: wrapped ? { k: 'bin', op: '!=', a: c, b: { k: 'num', v: 0 } } : c, a: x, b: y };
          }),
        fc
          .tuple(fc.constantFrom('abs', 'sqrt', 'min', 'max' as const), tie('e'), tie('e'))
          .map(([fn, a, b]): Expr => ({ k: 'call', fn, args: fn === 'abs' || fn === 'sqrt' ? [a] : [a, b] })),
      ),
    })).e;
    let vectorized = 0,
      runs = 0;
    fc.assert(
      fc.property(elementwise, (e) => {
        // i from 1 to N: four passes of four lanes, then three single elements
        const loop: Stmt & { k: 'for' } = {
          k: 'for',
          v: 'i',
          from: { k: 'num', v: 1 },
          to: { k: 'num', v: N },
          step: 1,
          body: [{ k: 'store', buf: 't0', index: { k: 'var', name: 'i' }, e }],
        };
        const { s, plan } = kernelProgram([loop]);
        runs++;
        const probe = new WasmPrinter({ elem: 'f32', mathImport: () => 0, kernel: () => 0, extern: () => 0, buffer: () => ({ k: 'const', byte: 0 }) }, []);
        if (vectorMap(probe, loop)) vectorized++;
        const js = instantiate(emitModule(s, plan, { title: 't' }), plan.arenaSize, 'f32');
        const wasm = loadWasm(emitWasm(s, plan, { title: 't' }, 'f32'), s, plan, 'f32');
        if (E.isLeft(wasm)) throw new Error('load');
        // the special values, then floats with full mantissas over small and wide ranges (where rounding twice,
        // or a sum absorbed into its larger term, would show)
        const widths = [(i: number) => 3 ** (i % 5), (i: number) => 2 ** (((i * 7) % 61) - 30)];
        const absorbs = Float32Array.from(SPECIAL, (_, i) => (i % 2 ? 1e-9 : 1 + i)); // 1 + i + 1e-9 is 1 + i in float32
        for (const x of [Float32Array.from(SPECIAL), ...widths.map((w) => Float32Array.from(SPECIAL, (_, i) => Math.sin(i + 1) * w(i))), absorbs]) {
          js.run([x]);
          wasm.right.module.run([x]);
          sameBits(js.buffers['t0']!, wasm.right.module.buffers['t0']!, `f32 ${JSON.stringify(e)}`);
        }
      }),
      {
        numRuns: 300,
        seed: 23,
        // x[i] + x[i − 1] > x[i] holds in f64 where float32 absorbs the smaller term: not four lanes
        examples: [
          [
            {
              k: 'sel',
              c: { k: 'bin', op: '>', a: { k: 'bin', op: '+', a: cur, b: prev }, b: cur },
              a: { k: 'num', v: 1 },
              b: { k: 'num', v: 0 },
            },
          ],
        ],
      },
    );
    // the property reaches the four-lane path, not only the scalar fallback
    expect(vectorized).toBeGreaterThan(runs / 4);
  });

  test('only validated numbers are printed: a literal that is not a number is an internal error', () => {
    const p = new WasmPrinter({ elem: 'f32', mathImport: () => 0, kernel: () => 0, extern: () => 0, buffer: () => ({ k: 'const', byte: 0 }) }, []);
    expect(() => p.expr({ k: 'num', v: '1); drop' as unknown as number })).toThrow(/non-numeric literal/);
  });
});

// ---- whole programs through the backend ----------------------------------------------------------------

describe('the wasm backend', () => {
  test('random programs: forward passes and gradients equal the JavaScript backend (f64 to 1e-12, f32 to rounding)', () => {
    assertBackendMatchesJs('wasm', 8, 22);
  }, 60_000);

  const normal = normalTensor,
    labels = labelTensor;
  const MODELS: Record<string, { src: string; batch: (r: Rng) => Record<string, Tensor> }> = {
    conv: {
      src: smallConvSource,
      batch: (r) => ({ x: normal(r, [3, 1, 10, 10]), y: labels(r, [3], 5) }),
    },
    lstm: { src: lstmMomentumSource(5, 4, 8), batch: (r) => ({ x: normal(r, [3, 5, 4]), y: labels(r, [3, 5], 4) }) },
    two_losses: { src: twoLossesSource(7), batch: (r) => ({ x: normal(r, [4, 7]) }) },
  };

  test.each(Object.keys(MODELS))(
    'training steps of %s equal the JavaScript backend to float32 rounding, with the parameters in the module memory',
    (name) => {
      const { src, batch } = MODELS[name]!;
      const run = (backend: 'js' | 'wasm') => {
        const m = compileOk(src).model('M', { seed: 3, backend });
        const t = new Trainer(m);
        const r = new Rng(11);
        const losses = [0, 1, 2].map(() => t.step(batch(r)).loss);
        return { m, t, losses, values: { ...m.params, ...t.state } };
      };
      const a = run('js'),
        b = run('wasm');
      const spec = b.t.compile(batch(new Rng(1)))[0]!;
      expect(spec.backend).toBe('wasm');
      expect(spec.source).toMatch(/^\/\/# dlm-wasm /m);
      const homes = new Set(spec.module.homes);
      for (const k of Object.keys(b.m.params)) expect(homes.has(b.m.params[k]!), k).toBe(true);
      expect(relDiff(a.losses, b.losses)).toBeLessThan(1e-5);
      for (const [k, v] of Object.entries(a.values)) expect(relDiff(v, b.values[k]!), k).toBeLessThan(1e-4);
    },
    60_000,
  );

  test('min, max, abs, sign, round, floor, ceil, sqrt, sigmoid and pow on NaN, ±Infinity and −0 equal the JavaScript backend bit for bit', () => {
    const src = `model S {
  input x: f32[12]
  input y: f32[12]
  output hi = maximum(x, y)
  output lo = minimum(x, y)
  output a = abs(x)
  output s = sign(x)
  output r = round(x)
  output f = floor(x) + ceil(y)
  output q = sqrt(x)
  output g = sigmoid(x)
  output p = pow(x, y)
  output z = relu(x)
}`;
    const xs = [-0, 0, NaN, 1, Infinity, -Infinity, 0.5, -0.5, 2.5, -1, 1, -2.5];
    const ys = [0, -0, 1, NaN, NaN, 3, -0.5, 0.5, -2.5, Infinity, NaN, -Infinity];
    for (const precision of ['f64', 'f32'] as const) {
      const Real = precision === 'f64' ? Float64Array : Float32Array;
      const ins = { x: { data: Real.from(xs), shape: [12] }, y: { data: Real.from(ys), shape: [12] } };
      const [a, b] = (['js', 'wasm'] as const).map((backend) => compileOk(src).model(undefined, { backend }).evaluate(ins, precision));
      for (const k of Object.keys(a!)) sameBits(a![k]!.data, b![k]!.data, `${precision} ${k}`);
    }
  });

  // a 200-step scan through a chaotic simulation with sampled actions (a float32 rounding difference
  // would flip a sample and change the loss by 10⁻¹), and a VAE's reparameterized sampling
  test.each(['reinforce.dlm', 'vae.dlm'])(
    'example %s: loss and gradients (training mode) equal the JavaScript backend',
    (file) => {
      const src = readFileSync(`examples/${file}`, 'utf8');
      const [js, wasm] = (['js', 'wasm'] as const).map((backend) => compileOk(src, `examples/${file}`).model(undefined, { backend }));
      const ins = randomInputs(js!, new Rng(1), {});
      const a = js!.valueAndGrad(ins, { training: true }),
        b = wasm!.valueAndGrad(ins, { training: true });
      expect(Number.isFinite(a.loss)).toBe(true);
      expect(relDiff([a.loss], [b.loss])).toBeLessThan(1e-5);
      for (const k of Object.keys(a.grads)) expect(relDiff(a.grads[k]!, b.grads[k]!), k).toBeLessThan(1e-4);
    },
    60_000,
  );

  test('a non-finite gradient updates nothing (the guard runs inside the module)', () => {
    const src = `model Root {
  input x: f32[B, 2]
  param w: f32[2] = zeros
  loss mean(sqrt(x * w * w))
  optimizer adam(lr = 0.1)
}`;
    const m = compileOk(src).model(undefined, { backend: 'wasm' });
    const t = new Trainer(m);
    let err: unknown;
    try {
      t.step({ x: { data: Float32Array.from([1, 2, 3, 4]), shape: [2, 2] } });
    } catch (e) {
      err = e;
    }
    expect((err as RunError).diagnostics[0]!.code).toBe('E0404');
    expect(Array.from(m.params['w']!)).toEqual([0, 0]);
    expect(t.t).toBe(0);
  });

  test('names from the .dlm file never reach the module bytes', () => {
    const src = `import nn
model M {
  input constructor: f32[B, 3]
  target toString: i32[B]
  layer exit = nn.Dense(3, 2)
  param __proto__: f32[2] = zeros
  output hasOwnProperty = exit(constructor) + __proto__
  loss nn.cross_entropy(hasOwnProperty, toString)
  optimizer sgd(lr = 0.1)
}`;
    const m = compileOk(src).model(undefined, { backend: 'wasm' });
    const spec = new Trainer(m).compile({ constructor: { data: new Float32Array(6), shape: [2, 3] }, toString: { data: new Int32Array(2), shape: [2] } })[0]!;
    const line = spec.source.split('\n').find((l) => l.startsWith('//# dlm-wasm '))!;
    const bytes = atob(line.split(' ').at(-1)!);
    for (const name of ['constructor', 'toString', 'exit', '__proto__', 'hasOwnProperty']) expect(bytes).not.toContain(name);
    expect(line.slice(0, line.lastIndexOf(' '))).not.toMatch(/constructor|toString|exit|__proto__|hasOwnProperty/);
  });
});
