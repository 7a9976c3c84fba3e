// Second derivatives through `scan`: the gradient of a loop is another loop (compiler/autodiff/scan.ts),
// and differentiating that gradient again differentiates the backward loop — whose accumulators were
// kept 'last' — and sends cotangents into the forward loop's 'before' window (the stored carries the
// backward body re-evaluates the step from). A Hessian–vector product
//   H·v = ∇_θ (∇_θ L · v)
// of RNN losses is compared with central differences of the gradient, (∇L(θ + εv) − ∇L(θ − εv)) / 2ε,
// on random loop bodies, in the reference interpreter and in compiled float64 code.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { gradientsOf } from '../compiler/autodiff/grad.js';
import { IrBuilder } from '../compiler/ir/builder.js';
import { interpret } from '../compiler/ir/interp.js';
import type { IrFunction } from '../compiler/ir/ir.js';
import { bindInputs } from '../compiler/jit/jit.js';
import { nd } from '../compiler/ops/ndarray.js';
import type { NdArray } from '../compiler/ops/op.js';
import { Rng } from '../runtime/random.js';
import type { Model } from '../compiler/api/model.js';
import { compileOk } from './helpers/compile.js';
import { bodyArb, bodySource } from './helpers/scanBodies.js';

/** The program of ∇L (outputs g:<param>) and H·v (outputs hv:<param>, v given as inputs v:<param>). */
const hvpProgram = (m: Model): IrFunction => {
  const ir = m.ir;
  const b = new IrBuilder(ir.fn.nodes);
  const ps = ir.params.map((p) => p.id);
  const g = gradientsOf(b, ir.losses[0]!.id, ps);
  const vs = ir.params.map((p) => b.input(`v:${p.name}`, 'input', p.type, p.span));
  const gv = b.at(ir.span, () =>
    g
      .map((gi, i) => {
        const t = b.type(gi);
        return b.op('sum', [b.op('mul', [gi, vs[i]!])], { axes: [...t.shape.keys()], keepdims: false });
      })
      .reduce((acc, x) => b.op('add', [acc, x])),
  );
  const hv = gradientsOf(b, gv, ps);
  return b.finish('hvp', [
    ...ir.params.map((p, i) => ({ name: `g:${p.name}`, id: g[i]! })),
    ...ir.params.map((p, i) => ({ name: `hv:${p.name}`, id: hv[i]! })),
  ]);
};

const hvpAgrees = (src: string, dims: Record<string, number>, seed: number, compiled = false): void => {
  const m = compileOk(src).model(undefined, { seed });
  const f = hvpProgram(m);
  const rng = new Rng(seed + 1);
  const fixed: Record<string, NdArray> = {};
  for (const i of m.ir.inputs) {
    const shape = i.type.shape.map((d) => (typeof d === 'number' ? d : (dims[String(d)] ?? 2)));
    fixed[i.name] = nd(
      shape,
      Float64Array.from({ length: shape.reduce((a, x) => a * x, 1) }, () => rng.normal()),
    );
  }
  const theta = Object.fromEntries(m.ir.params.map((p) => [p.name, Float64Array.from(m.params[p.name]!)]));
  const v = Object.fromEntries(m.ir.params.map((p) => [p.name, theta[p.name]!.map(() => rng.normal())]));
  const feed = (th: Record<string, Float64Array>): Record<string, NdArray> => ({
    ...fixed,
    ...Object.fromEntries(
      m.ir.params.flatMap((p) => [
        [p.name, nd(p.type.shape as number[], th[p.name]!)],
        [`v:${p.name}`, nd(p.type.shape as number[], v[p.name]!)],
      ]),
    ),
  });
  const env = bindInputs(f, Object.fromEntries(Object.entries(feed(theta)).map(([k, x]) => [k, { data: x.data, shape: x.shape }]))).env;
  const run = (th: Record<string, Float64Array>) => interpret(f, feed(th), env).outputs;
  const at = run(theta);
  const eps = 1e-5;
  const shifted = (s: number) => run(Object.fromEntries(Object.entries(theta).map(([k, x]) => [k, x.map((xi, i) => xi + s * eps * v[k]![i]!)])));
  const plus = shifted(1),
    minus = shifted(-1);
  for (const p of m.ir.params) {
    const hv = at[`hv:${p.name}`]!.data;
    hv.forEach((h, i) => {
      const fd = (plus[`g:${p.name}`]!.data[i]! - minus[`g:${p.name}`]!.data[i]!) / (2 * eps);
      if (Math.abs(fd - h) > 1e-6 * (1 + Math.abs(fd))) throw new Error(`H·v of ${p.name}[${i}]: ${h} vs finite differences ${fd}\n${src}`);
    });
  }
  if (compiled) {
    // The same program compiled (float64): the backward loop's accumulators are now stored for every step.
    const inputs = Object.fromEntries(Object.entries(feed(theta)).map(([k, x]) => [k, { data: x.data as unknown as Float32Array, shape: [...x.shape] }]));
    const saved = Object.fromEntries(m.ir.params.map((p) => [p.name, m.params[p.name]!]));
    const spec = m.run(f, inputs, 'f64');
    for (const p of m.ir.params) {
      expect(saved[p.name]).toBe(m.params[p.name]);
      const out = spec.outputs[`hv:${p.name}`]!,
        ref = at[`hv:${p.name}`]!.data;
      for (let i = 0; i < ref.length; i++) expect(Math.abs(out[i]! - ref[i]!)).toBeLessThan(1e-9 * (1 + Math.abs(ref[i]!)));
    }
  }
};

describe('second derivatives through scan', () => {
  test('the Hessian–vector product of an RNN loss agrees with finite differences of its gradient (interpreted and compiled)', () => {
    hvpAgrees(
      `model R {
  input x: f32[T, B, 2]
  param W: f32[2, 3] = normal(std = 0.6)
  param U: f32[3, 3] = normal(std = 0.6)
  param h0: f32[3] = normal(std = 0.5)
  fn step(h, xt) = tanh(xt @ W + h @ U)
  let hs = scan(step, broadcast_to(h0, [B, 3]), x)
  loss mean(square(hs - 0.3)) + sum(hs[-1])
}`,
      { T: 5, B: 2 },
      1,
      true,
    );
  });

  test('an LSTM from the standard library, through time, to second order', () => {
    hvpAgrees(
      `import seq
model M {
  input x: f32[B, T, 2]
  layer cell = seq.LSTMCell(2, 3)
  loss sum(square(seq.lstm(cell, x, seq.zeros_state(x, 3), seq.zeros_state(x, 3))[0]))
}`,
      { B: 2, T: 3 },
      2,
    );
  });

  test('random loop bodies: H·v agrees with finite differences of the gradient', () => {
    // concrete T and B: the second derivative of a slice with a symbolic offset (s[-1:] over T steps) is
    // a concat that needs concrete offsets, a limit of that op's rule and not of the loop's
    const concrete = (src: string, T: number) => src.replace(/\bT\b/g, String(T)).replace(/\bB\b/g, '2');
    fc.assert(
      fc.property(bodyArb, fc.nat(100), (g, seed) => {
        hvpAgrees(concrete(bodySource(g), g.T), {}, seed);
      }),
      { numRuns: 25, seed: 20261201 },
    );
  }, 120_000);
});
