// Derivatives at kinks and ties, exactly at the tie points, as PyTorch 1.13 gives them; and stable
// losses at extreme logits (no NaN or infinity).
import { describe, expect, test } from 'vitest';
import { compileOk } from './helpers/compile.js';

/** ∂ sum(f(x)) / ∂x at the given point, in float64. */
const gradAt = (body: string, x: number[]) => {
  const m = compileOk(`fn f(x) = ${body}\nmodel G {\n  input x: f32[${x.length}]\n  output g = grad(f)(x)\n  output v = f(x)\n}`).model();
  const out = m.forward({ x: { data: Float64Array.from(x) as unknown as Float32Array, shape: [x.length] } }, 'f64');
  return { g: [...out['g']!.data], v: out['v']!.data[0]! };
};

describe('kinks and ties (PyTorch conventions)', () => {
  test("relu'(0) = 0", () => expect(gradAt('sum(relu(x))', [-1, 0, 2]).g).toEqual([0, 0, 1]));
  test("abs'(0) = 0 and sign' = 0", () => {
    expect(gradAt('sum(abs(x))', [-2, 0, 3]).g).toEqual([-1, 0, 1]);
    expect(gradAt('sum(sign(x) * 5)', [-2, 0, 3]).g).toEqual([0, 0, 0]);
  });
  test("leaky_relu'(0) = α (the negative side)", () => expect(gradAt('sum(leaky_relu(x, 0.1))', [0]).g).toEqual([0.1]));
  test('maximum and minimum ties give ½ to each side', () => {
    expect(gradAt('sum(maximum(x, 1.0))', [1, 2, 0]).g).toEqual([0.5, 1, 0]);
    expect(gradAt('sum(minimum(x, 1.0))', [1, 2, 0]).g).toEqual([0.5, 0, 1]);
    expect(gradAt('sum(maximum(x, x))', [3]).g).toEqual([1]);
  });
  test('max over an axis splits the gradient evenly among ties', () => {
    expect(gradAt('max(x)', [1, 3, 3]).g).toEqual([0, 0.5, 0.5]);
    expect(gradAt('max(x)', [2, 2, 2, 2]).g).toEqual([0.25, 0.25, 0.25, 0.25]);
  });
  test('clip at the boundary has gradient 1 (inside)', () => {
    expect(gradAt('sum(clip(x, 0.0, 1.0))', [0.5, 2, -1, 0, 1]).g).toEqual([1, 0, 0, 1, 1]);
  });
  test('sqrt at 0 has an infinite derivative', () => expect(gradAt('sum(sqrt(x))', [0]).g[0]).toBe(Infinity));
  test("where's untaken branch never poisons the gradient", () => {
    const r = gradAt('sum(where(x > 0, log(x), 0))', [0, 1]);
    expect(r.g).toEqual([0, 1]);
    expect(gradAt('sum(where(x > 0, sqrt(x), 0))', [0, 4]).g).toEqual([0, 0.25]);
  });
  test('comparisons and integer results carry no gradient', () => {
    expect(gradAt('sum(cast(x > 0, f32) * 3)', [1, -1]).g).toEqual([0, 0]);
    expect(gradAt('sum(cast(cast(x, i32), f32))', [1.5, -1.5]).g).toEqual([0, 0]);
  });
});

describe('stable forms at extreme logits', () => {
  const extremes = [-1000, -80, 0, 80, 1000];
  test.each([['softplus(x)'], ['sigmoid(x)'], ['logsumexp(x)'], ['softmax(x)'], ['log_softmax(x)']])('%s and its gradient are finite', (body) => {
    const r = gradAt(`sum(${body})`, extremes);
    expect(Number.isFinite(r.v)).toBe(true);
    r.g.forEach((g) => {
      expect(Number.isFinite(g)).toBe(true);
    });
  });
  test('cross-entropy and BCE from logits are finite and correct at extreme logits', () => {
    const m = compileOk(`import nn
model L {
  input z: f32[2, 3]
  target y: i32[2]
  input t: f32[2, 3]
  output ce = nn.cross_entropy(z, y)
  output bce = nn.bce_with_logits(z, t)
}`).model();
    const z = Float32Array.from([1000, -1000, 0, -1000, 1000, 0]);
    const out = m.evaluate({
      z: { data: z, shape: [2, 3] },
      y: { data: Int32Array.from([0, 0]), shape: [2] },
      t: { data: Float32Array.from([1, 0, 1, 1, 0, 0]), shape: [2, 3] },
    });
    // row 0: right class by a margin of 1000 → loss 0; row 1: wrong by 2000 → loss 2000
    expect(out['ce']!.data[0]).toBeCloseTo(1000, 3);
    expect(Number.isFinite(out['bce']!.data[0]!)).toBe(true);
  });
});
