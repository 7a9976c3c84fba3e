// Rematerialization for backpropagation through time: scan(…, checkpoint = k) stores the carry every k
// steps and recomputes each segment's steps in the backward loop (compiler/autodiff/checkpoint.ts).
// Its gradients must be those of the loop that stores every step — to float64 rounding, since only the
// order of the weight gradients' sums changes (per step and per segment in backward order, where the
// stored loop sums all steps in one contraction, first step first; README says why that order cannot
// be kept in less than O(T) memory) — for any k: 1, a k that does not divide T (the last segment padded
// and masked), k ≥ T; with concrete and symbolic T; in the compiled code and the reference interpreter;
// to second order.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { gradcheck } from '../compiler/api/gradcheck.js';
import { gradientsOf } from '../compiler/autodiff/grad.js';
import { IrBuilder } from '../compiler/ir/builder.js';
import { interpret } from '../compiler/ir/interp.js';
import { bindInputs } from '../compiler/jit/jit.js';
import { nd } from '../compiler/ops/ndarray.js';
import type { Model } from '../compiler/api/model.js';
import { Rng } from '../runtime/random.js';
import { compileErr, compileOk } from './helpers/compile.js';
import { bodyArb, bodySource } from './helpers/scanBodies.js';

const withCheckpoint = (src: string, k: number) => src.replace(/(let s = scan\(.*)\)$/m, `$1, checkpoint = ${k})`);
const seqInput = (shape: number[], seed: number) => {
  const r = new Rng(seed);
  return { data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.normal()), shape };
};
const expectSame = (a: Record<string, ArrayLike<number>>, b: Record<string, ArrayLike<number>>, what: string, tol = 1e-11) => {
  for (const [name, ga] of Object.entries(a)) {
    const gb = b[name]!;
    for (let i = 0; i < ga.length; i++) {
      if (!(Math.abs(ga[i]! - gb[i]!) <= tol * (1 + Math.abs(ga[i]!)))) throw new Error(`${what}: ${name}[${i}] ${gb[i]} with checkpoint, ${ga[i]} without`);
    }
  }
};

describe('checkpoint = k: the gradients of storing every step', () => {
  test('random loop bodies, every k from 1 to past T, symbolic and concrete T (compiled float64)', () => {
    fc.assert(
      fc.property(bodyArb, fc.integer({ min: 1, max: 7 }), fc.nat(50), fc.boolean(), (g, k, seed, concrete) => {
        const base = bodySource(g);
        const src = concrete ? base.replace(/\bT\b/g, String(g.T)) : base;
        const x = seqInput(g.axis1 ? [2, g.T, 3] : [g.T, 2, 3], seed);
        const grads = (s: string) =>
          compileOk(s)
            .model(undefined, { seed })
            .valueAndGrad({ x }, { precision: 'f64', wrt: ['x'] });
        const want = grads(src),
          got = grads(withCheckpoint(src, k));
        expect(got.loss).toBe(want.loss);
        expectSame(want.grads, got.grads, `k = ${k}, T = ${g.T}${concrete ? '' : ' (symbolic)'}\n${withCheckpoint(src, k)}`);
      }),
      { numRuns: 14, seed: 20261201 },
    );
  }, 60_000);

  test('agrees with finite differences (float64) and the compiled float32 gradient (gradcheck)', () => {
    const src = `import seq
model M {
  input x: f32[B, T, 2]
  layer cell = seq.LSTMCell(2, 3)
  loss mean(square(seq.lstm(cell, x, seq.zeros_state(x, 3), seq.zeros_state(x, 3), checkpoint = 3)[0] - 0.2))
}`;
    const r = gradcheck(compileOk(src).model(undefined, { seed: 1 }), { dims: { B: 2, T: 7 }, seed: 1, directions: 2, elementwiseUpTo: 8 });
    expect(r.params.filter((p) => !p.ok).map((p) => p.name)).toEqual([]);
    expect(r.ok).toBe(true);
  }, 30_000);

  test('a reversed GRU with k not dividing T, through the stdlib wrapper, in the reference interpreter', () => {
    const src = (k: number) => `import seq
model M {
  input x: f32[B, 10, 2]
  layer cell = seq.GRUCell(2, 3)
  loss sum(square(seq.gru(cell, x, seq.zeros_state(x, 3), reverse = true, checkpoint = ${k})))
}`;
    const x = seqInput([2, 10, 2], 4);
    const run = (s: string) => {
      const m = compileOk(s).model(undefined, { seed: 3 });
      const f = m.gradProgram(['x']);
      const params = m.ir.params.map((p) => [p.name, nd(p.type.shape as number[], Float64Array.from(m.params[p.name]!))]);
      const feed = Object.fromEntries([...params, ['x', nd(x.shape, Float64Array.from(x.data))]]);
      const env = bindInputs(f, { x }).env;
      return Object.fromEntries(Object.entries(interpret(f, feed, env).outputs).map(([k, v]) => [k, v.data]));
    };
    const want = run(src(0));
    for (const k of [1, 3, 4, 10, 12]) expectSame(want, run(src(k)), `k = ${k}`);
  }, 30_000);
});

/** ∇L and H·v (v given as inputs v:<param>), as in tests/scanSecond.test.ts. */
const hvp = (m: Model, v: Record<string, Float64Array>, x: { data: Float32Array; shape: number[] }): Record<string, Float64Array> => {
  const ir = m.ir;
  const b = new IrBuilder(ir.fn.nodes);
  const ps = ir.params.map((p) => p.id);
  const g = gradientsOf(b, ir.losses[0]!.id, ps);
  const vs = ir.params.map((p) => b.input(`v:${p.name}`, 'input', p.type, p.span));
  const gv = b.at(ir.span, () =>
    g
      .map((gi, i) => b.op('sum', [b.op('mul', [gi, vs[i]!])], { axes: [...b.type(gi).shape.keys()], keepdims: false }))
      .reduce((acc, s) => b.op('add', [acc, s])),
  );
  const hv = gradientsOf(b, gv, ps);
  const f = b.finish(
    'hvp',
    ir.params.map((p, i) => ({ name: p.name, id: hv[i]! })),
  );
  const feed = Object.fromEntries([
    ['x', nd(x.shape, Float64Array.from(x.data))],
    ...ir.params.flatMap((p) => [
      [p.name, nd(p.type.shape as number[], Float64Array.from(m.params[p.name]!))],
      [`v:${p.name}`, nd(p.type.shape as number[], v[p.name]!)],
    ]),
  ]);
  return Object.fromEntries(Object.entries(interpret(f, feed, bindInputs(f, { x }).env).outputs).map(([k, a]) => [k, a.data]));
};

describe('second order through a checkpointed loop', () => {
  test('the Hessian–vector product equals the stored loop’s (which tests/scanSecond.test.ts checks against finite differences)', () => {
    const src = (k: number) => `model R {
  input x: f32[T, B, 2]
  param W: f32[2, 3] = normal(std = 0.6)
  param U: f32[3, 3] = normal(std = 0.6)
  param h0: f32[3] = normal(std = 0.5)
  fn step(h, xt) = tanh(xt @ W + h @ U)
  let hs = scan(step, broadcast_to(h0, [B, 3]), x${k ? `, checkpoint = ${k}` : ''})
  loss mean(square(hs - 0.3)) + sum(hs[-1])
}`;
    const x = seqInput([5, 2, 2], 7);
    const m0 = compileOk(src(0)).model(undefined, { seed: 1 });
    const rng = new Rng(9);
    const v = Object.fromEntries(m0.ir.params.map((p) => [p.name, Float64Array.from(m0.params[p.name]!, () => rng.normal())]));
    const want = hvp(m0, v, x);
    for (const k of [1, 2, 5]) expectSame(want, hvp(compileOk(src(k)).model(undefined, { seed: 1 }), v, x), `H·v, k = ${k}`, 1e-10);
  }, 30_000);
});

// memory: tests/remat_sink.test.ts (char_lstm at T = 512 under 8 MiB)

describe('checkpoint diagnostics', () => {
  test.each([
    ['2.5', 'E0310'],
    ['-1', 'E0310'],
    ['T', 'E0310'],
    ['x', 'E0310'],
    ['1000000000', 'E0310'],
  ])('checkpoint = %s is %s', (k, code) => {
    const ds = compileErr(`model M {\n  input x: f32[T, 3]\n  fn step(c, xt) = tanh(c + xt)\n  output y = scan(step, [0, 0, 0], x, checkpoint = ${k})\n}`);
    expect(ds[0]!.code).toBe(code);
    expect(ds[0]!.message).toContain('checkpoint');
  });
  test('checkpoint with truncate is E0311', () => {
    const ds = compileErr(
      'model M {\n  input x: f32[T, 3]\n  fn step(c, xt) = tanh(c + xt)\n' + '  output y = scan(step, [0, 0, 0], x, truncate = 2, checkpoint = 2)\n}',
    );
    expect(ds.map((d) => d.code)).toEqual(['E0311']);
  });
});
