// Forward mode (compiler/autodiff/jvp.ts, Model.jvp): ⟨u, J·v⟩ from the forward-mode program equals
// ⟨Jᵀ·u, v⟩ from reverse mode and central differences in float64 (tests/helpers/jvpCheck.ts), on the
// random programs the gradient property tests use, on random loop bodies (scan), on the examples'
// forward functions, and through custom gradient rules; the library call runs compiled code.
import * as E from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { randomInputs } from '../compiler/api/gradcheck.js';
import type { Model } from '../compiler/api/model.js';
import { RunError } from '../compiler/api/errors.js';
import { compile, compileFile, render } from '../compiler/index.js';
import { bindInputs } from '../compiler/jit/jit.js';
import { nd } from '../compiler/ops/ndarray.js';
import type { NdArray } from '../compiler/ops/op.js';
import { programArb } from '../compiler/testing/programs.js';
import { selectOutputs } from '../compiler/train/step.js';
import { Rng } from '../runtime/random.js';
import { compileOk } from './helpers/compile.js';
import { checkJvp } from './helpers/jvpCheck.js';
import { bodyArb, bodySource } from './helpers/scanBodies.js';

// 120 random programs; `npm run mutate` asks for 40 (DLM_PROGRAM_RUNS, as tests/gradients.test.ts), run on every mutant
const RUNS = Math.min(120, Number(process.env['DLM_PROGRAM_RUNS'] ?? 120));

/** Every input of the model's program in float64: drawn inputs, parameters, hyper inputs (evaluation mode). */
const feedOf = (m: Model, dims: Record<string, number>, seed: number) => {
  const tensors = { ...randomInputs(m, new Rng(seed), dims), ...m.hyperDefaults(false) };
  for (const p of m.ir.params) tensors[p.name] = { data: m.params[p.name]!, shape: p.type.shape as number[] };
  for (const p of m.ir.states) tensors[p.name] = { data: m.states[p.name]!, shape: p.type.shape as number[] };
  const feed: Record<string, NdArray> = {};
  for (const [k, t] of Object.entries(tensors)) feed[k] = nd(t.shape, Float64Array.from(t.data));
  return { tensors, feed };
};

const check = (m: Model, dims: Record<string, number>, seed: number, what: string, outputsOnly = true, withInputs = true) => {
  const f = outputsOnly ? selectOutputs(m.ir.fn, m.ir.outputs) : m.ir.fn;
  const { tensors, feed } = feedOf(m, dims, seed);
  const env = bindInputs(f, tensors).env;
  const inputs = withInputs ? m.ir.inputs.filter((i) => i.type.dtype === 'f32' && i.role === 'input').map((i) => i.name) : [];
  const wrt = [...m.ir.params.map((p) => p.name), ...inputs];
  const rng = new Rng(seed + 7);
  return checkJvp(f, feed, env, wrt, () => rng.normal(), what);
};

describe('forward mode agrees with reverse mode and finite differences', () => {
  test('random programs (the generator of tests/gradients.test.ts)', () => {
    fc.assert(
      fc.property(programArb(2, 14), fc.nat(1000), (p, seed) => {
        const r = compile(p.source, { path: '<generated>.dlm' });
        if (E.isLeft(r)) throw new Error(`generated program does not compile:\n${p.source}\n${render(r.left)}`);
        check(r.right.model(undefined, { seed }), {}, seed, p.source, false);
      }),
      { numRuns: RUNS, seed: 20261201 },
    );
  }, 60_000);

  test('random loop bodies: forward mode through scan (reversed, batch-major, two carries)', () => {
    fc.assert(
      fc.property(bodyArb, fc.nat(100), (g, seed) => {
        const src = bodySource(g);
        check(compileOk(src).model(undefined, { seed }), { T: g.T, B: 2 }, seed, src, false);
      }),
      { numRuns: 25, seed: 20261202 },
    );
  }, 60_000);

  test('a loop with two carries and two sequences, each with a tangent (jvpScan indexes the second of each)', () => {
    const src = `model L {
  input x: f32[T, B, 3]
  input y: f32[T, B, 3]
  param W: f32[3, 3] = normal(std = 0.7)
  fn step(h, g, xt, yt) = [tanh(xt @ W + g), tanh(yt * h + 0.5 * g)]
  let s = scan(step, [broadcast_to(0, [B, 3]), broadcast_to(1, [B, 3])], [x, y])
  output o = s[0] + s[1] * 2
}`;
    check(compileOk(src).model(undefined, { seed: 3 }), { T: 3, B: 2 }, 3, src, false);
  });

  // lenet5 has max pooling (maxpool2d_at); the GANs' losses
  // detach (stop_gradient), which finite differences cannot see, and dcgan_small's 64 generated samples put
  // thousands of ReLU inputs within a finite-difference step of their kink
  test.each([
    ['char_lstm', {}],
    ['sentiment_rnn', {}],
    ['seq2seq_attention', {}],
    ['tiny_gpt', {}],
    ['vae', {}],
    ['mnist_mlp', {}],
    ['resnet_small', {}],
    ['autoencoder', {}],
    ['lenet5', { B: 1 }],
  ] as const)(
    'the forward function of examples/%s.dlm',
    (name, dims) => {
      const r = compileFile(`examples/${name}.dlm`);
      if (E.isLeft(r)) throw new Error(render(r.left));
      check(r.right.model(undefined, { seed: 1 }), { B: 2, ...dims }, 1, name);
    },
    30_000,
  );

  test('through custom gradient rules: the rule transposed (a wrong-on-purpose straight-through rule gives its own J·v)', () => {
    const src = `import ad
model M {
  input x: f32[B, 3]
  param w: f32[3] = normal(std = 1.0)
  output y = ad.log1pexp(x * w) + 0.1 * square(x)
}`;
    check(compileOk(src).model(undefined, { seed: 2 }), { B: 2 }, 2, 'log1pexp');
    // a straight-through estimator: forward mode uses the rule (dy where |x| ≤ 1), as reverse mode does,
    // not sign's zero derivative
    const ste = compileOk('import ad\nmodel S {\n  input x: f32[B, 3]\n  output y = ad.ste_sign(x)\n}').model();
    const t = ste.jvp({ x: { data: Float32Array.of(0.5, 2, -0.3, -4, 0.9, 1.5), shape: [2, 3] } }, { x: Float32Array.of(1, 2, 3, 4, 5, 6) }, 'f64');
    expect(Array.from(t.tangents['y']!.data)).toEqual([1, 0, 3, 0, 5, 0]);
  });
});

describe('Model.jvp', () => {
  const src = `import nn
import seq
model M {
  input x: f32[B, 5, 2]
  target y: f32[B, 2]
  layer cell = seq.GRUCell(2, 3)
  layer d = nn.Dense(3, 2)
  output o = d(seq.last(seq.gru(cell, x, seq.zeros_state(x, 3))))
  loss nn.mse(o, y)
}`;
  test('compiled float64 equals the interpreter; float32 within float32 rounding; the loss is included when its target is given', () => {
    const m = compileOk(src).model(undefined, { seed: 3 });
    const rep = check(m, { B: 2 }, 3, 'gru', true, true);
    const { tensors } = feedOf(m, { B: 2 }, 3);
    const rng = new Rng(10);
    const v = Object.fromEntries(m.ir.params.map((p) => [p.name, Float64Array.from(m.params[p.name]!, () => rng.normal())]));
    // the same tangents the check drew (its rng is seeded with seed + 7, parameters first, then x)
    const r2 = new Rng(3 + 7);
    const vs: Record<string, Float64Array> = {};
    for (const p of m.ir.params) vs[p.name] = Float64Array.from(m.params[p.name]!, () => r2.normal());
    vs['x'] = Float64Array.from(tensors['x']!.data, () => r2.normal());
    const got = m.jvp({ x: { data: Float64Array.from(tensors['x']!.data) as unknown as Float32Array, shape: tensors['x']!.shape } }, vs as never, 'f64');
    got.tangents['o']!.data.forEach((t, i) => {
      expect(Math.abs(t - rep.tangents['o']![i]!)).toBeLessThan(1e-12 * (1 + Math.abs(t)));
    });
    const f32 = m.jvp({ x: tensors['x']! }, Object.fromEntries(Object.entries(vs).map(([k, a]) => [k, Float32Array.from(a)])));
    f32.tangents['o']!.data.forEach((t, i) => {
      expect(Math.abs(t - rep.tangents['o']![i]!)).toBeLessThan(1e-4 * (1 + Math.abs(t)));
    });
    expect(Object.keys(got.tangents)).toEqual(['o']);
    const withLoss = m.jvp({ x: tensors['x']!, y: { data: new Float32Array(4), shape: [2, 2] } }, { 'd.b': Float32Array.of(1, 0) });
    expect(Object.keys(withLoss.tangents).sort()).toEqual(['loss', 'o']);
    void v;
  });

  test('unknown names and integer inputs are errors', () => {
    const m = compileOk(src).model();
    const x = { data: new Float32Array(20), shape: [2, 5, 2] };
    expect(() => m.jvp({ x }, { nope: Float32Array.of(1) })).toThrow(/no parameter or input 'nope'/);
    const ints = compileOk('model I {\n  input n: i32[3]\n  param w: f32[3] = normal(std = 1.0)\n  output y = w * cast(n, f32)\n}').model();
    try {
      ints.jvp({ n: { data: Int32Array.of(1, 2, 3), shape: [3] } }, { n: Float32Array.of(1, 1, 1) });
      throw new Error('expected E0301');
    } catch (e) {
      expect(e).toBeInstanceOf(RunError);
      expect((e as RunError).diagnostics[0]!.code).toBe('E0301');
    }
  });
});
