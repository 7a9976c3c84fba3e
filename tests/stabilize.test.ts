// The stabilize pass (before differentiation): losses written naively on probabilities get the stable
// from-logits forms, for their values and their gradients. Each test shows the difference it makes
// by also running with the pass switched off.
import { describe, expect, test } from 'vitest';
import { compileOrThrow } from '../compiler/index.js';
import type { Model } from '../compiler/api/model.js';

const OFF = { passes: { disable: ['stabilize'] } };
const model = (src: string, opts = {}): Model => {
  const m = compileOrThrow(src).model(undefined, { seed: 3, ...opts });
  if (m.ir.params.some((p) => p.name === 'W')) m.setParam('W', [1, 0, 0, 0, 1, 0, 0, 0, 1]); // logits = x
  return m;
};
const value = (m: Model, inputs: Record<string, { data: Float32Array | Int32Array; shape: number[] }>, name: string): number => {
  const r = m.evaluate(inputs);
  return (r[name]!.data as Float32Array)[0]!;
};

const CE = (expr: string) => `import nn
model CE {
  input x: f32[B, 3]
  target y: i32[B]
  param W: f32[3, 3] = glorot_uniform
  let z = x @ W
  loss ${expr}
}`;

describe('log ∘ softmax', () => {
  // logits 100 apart: softmax underflows to exactly 0 in float32, so log(softmax) is −inf and 0·−inf NaN
  const inputs = { x: { data: Float32Array.of(100, -100, 50, 1, 2, 3), shape: [2, 3] }, y: { data: Int32Array.of(1, 0), shape: [2] } };
  const naive = CE('-mean(sum(log(softmax(z)) * one_hot(y, 3), -1))');
  const stdlib = CE('nn.cross_entropy(z, y)');

  test('becomes log-softmax: finite where the naive form is NaN, equal to nn.cross_entropy', () => {
    expect(Number.isFinite(value(model(naive, OFF), inputs, 'loss'))).toBe(false);
    const fixed = value(model(naive), inputs, 'loss');
    expect(Number.isFinite(fixed)).toBe(true);
    expect(fixed).toBeCloseTo(value(model(stdlib), inputs, 'loss'), 4);
  });

  test('its gradient is the stable one too', () => {
    const g = model(naive).valueAndGrad(inputs).grads['W']!;
    const ref = model(stdlib).valueAndGrad(inputs).grads['W']!;
    expect(model(naive, OFF).valueAndGrad(inputs).grads['W']!.some(Number.isNaN)).toBe(true);
    g.forEach((v, i) => {
      expect(v).toBeCloseTo(ref[i]!, 4);
    });
  });
});

// `p` is an output too, so it is stored as float32 before the loss reads it (as in a model that
// reports probabilities); a fused chain would keep σ(z) in a float64 register and hide the problem.
const SIG = (expr: string) => `import nn
model Sig {
  input z: f32[B, 1]
  target t: f32[B, 1]
  output p = sigmoid(z)
  output o = ${expr}
}`;

describe('sigmoid', () => {
  // z = 15: 1 − σ(z) = 3.06e-7 is about 5 float32 steps below 1, so stored σ(z) keeps one digit of it.
  const z = { data: Float32Array.of(15), shape: [1, 1] },
    t = { data: Float32Array.of(0), shape: [1, 1] };
  const truth = -(15 + Math.log1p(Math.exp(-15))); // log(1 − σ(15)) = −softplus(15)

  test('log(1 − σ(z)) → −softplus(z): float32 keeps full precision', () => {
    const src = SIG('log(1 - p)');
    const relErr = (m: Model) => Math.abs(value(m, { z, t }, 'o') - truth) / Math.abs(truth);
    expect(relErr(model(src, OFF))).toBeGreaterThan(5e-4);
    expect(relErr(model(src))).toBeLessThan(1e-6);
  });

  test('log σ(z) is finite for z = −200 (σ underflows to 0)', () => {
    const src = SIG('log(p)');
    const low = { data: Float32Array.of(-200), shape: [1, 1] };
    expect(value(model(src, OFF), { z: low, t }, 'o')).toBe(-Infinity);
    expect(value(model(src), { z: low, t }, 'o')).toBeCloseTo(-200, 3);
  });

  test('binary_cross_entropy(σ(z), t) — probabilities, logs clamped at −100 — matches bce_with_logits', () => {
    const naive = model(SIG('nn.binary_cross_entropy(sigmoid(z), t)'));
    const logits = model(SIG('nn.bce_with_logits(z, t)'));
    const off = model(SIG('nn.binary_cross_entropy(sigmoid(z), t)'), OFF);
    for (const v of [-14, -3, 0.5, 9, 14]) {
      const zz = { data: Float32Array.of(v), shape: [1, 1] };
      for (const tv of [0, 1]) {
        const tt = { data: Float32Array.of(tv), shape: [1, 1] };
        const ref = value(logits, { z: zz, t: tt }, 'o');
        expect(Math.abs(value(naive, { z: zz, t: tt }, 'o') - ref)).toBeLessThan(1e-6 * (1 + Math.abs(ref)));
        // unrewritten, 1 − q cancels for confident wrong predictions: q = σ(14) in float32 keeps 2 digits of 1 − q
        if (v === 14 && tv === 0) expect(Math.abs(value(off, { z: zz, t: tt }, 'o') - ref)).toBeGreaterThan(1e-4 * ref);
      }
    }
  });

  test("where σ(z) rounds to 1 the rewritten log is exact, and PyTorch's clamp at −100 still holds (the rewrite keeps its meaning)", () => {
    const naive = model(SIG('nn.binary_cross_entropy(sigmoid(z), t)'));
    const tt = { data: Float32Array.of(0), shape: [1, 1] };
    // −log(1 − σ(40)) = softplus(40) = 40 (σ(40) is 1 in float32; unrewritten, the clamp would give 100)
    expect(value(naive, { z: { data: Float32Array.of(40), shape: [1, 1] }, t: tt }, 'o')).toBeCloseTo(40, 4);
    expect(value(naive, { z: { data: Float32Array.of(200), shape: [1, 1] }, t: tt }, 'o')).toBeCloseTo(100, 4);
  });
});
