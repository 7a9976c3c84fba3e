// Truncated backpropagation through time (compiler/autodiff/scan.ts's truncation mask), in a file of its
// own so that the mask's mutants are checked in well under a second each (tests/scan.test.ts's random
// loop bodies take ~21 s). With truncate = k the carry's cotangent stops at every k-th step in the order
// the loop runs, except the first: the gradient equals that of the loop unrolled with stop_gradient on
// the carry entering loop-order step i for i = k, 2k, … < T (i = t forwards, T − 1 − t backwards).
// (Finite differences cannot see stop_gradient; the full gradient, truncate ≥ T, is checked against them in
// tests/scan.test.ts.) Float64 throughout.
import { describe, expect, test } from 'vitest';
import { compileOk } from './helpers/compile.js';

const T = 5;
const head = `  input x: f32[${T}, 2, 3]
  param W: f32[3, 3] = normal(std = 0.5)
  param U: f32[3, 3] = normal(std = 0.5)
  param h0: f32[2, 3] = normal(std = 0.5)
  param v: f32[${T}, 1, 1] = normal(std = 1)
  fn step(h, xt) = tanh(xt @ W + h @ U)`;
// the states weighted by position (v), so that a cut one step off, or counted from the wrong end, changes ∂v too
const looped = (k: number, reverse: boolean) =>
  `model M {\n${head}\n  let hs = scan(step, h0, x${reverse ? ', reverse = true' : ''}${k ? `, truncate = ${k}` : ''})\n  loss sum(square(hs) * v)\n}`;
const unrolled = (k: number, reverse: boolean) => {
  const lines: string[] = [];
  let prev = 'h0';
  for (let i = 0; i < T; i++) {
    const t = reverse ? T - 1 - i : i;
    const carry = i > 0 && i % k === 0 ? `stop_gradient(${prev})` : prev;
    lines.push(`  let a${t} = step(${carry}, x[${t}])`);
    prev = `a${t}`;
  }
  const loss = Array.from({ length: T }, (_, t) => `sum(square(a${t}) * v[${t}])`).join(' + ');
  return `model M {\n${head}\n${lines.join('\n')}\n  loss ${loss}\n}`;
};

const x = { data: Float32Array.from({ length: T * 6 }, (_, i) => Math.sin(1.3 * i)), shape: [T, 2, 3] };
const grads = (src: string) => compileOk(src).model(undefined, { seed: 5 }).valueAndGrad({ x }, 'f64');

describe('truncated backpropagation through time: the mask', () => {
  for (const reverse of [false, true])
    for (const k of [2, 3])
      test(`truncate = ${k}${reverse ? ', reverse = true' : ''} equals the unrolled loop with the carry cut every ${k} steps`, () => {
        const [a, b] = [grads(looped(k, reverse)), grads(unrolled(k, reverse))];
        expect(a.loss).toBeCloseTo(b.loss, 10);
        for (const p of ['W', 'U', 'h0', 'v'])
          Array.from(a.grads[p]!).forEach((g, i) => {
            expect(g).toBeCloseTo(b.grads[p]![i]!, 10);
          });
        // the cut matters: the full gradient of U (no truncate: no mask in the backward loop) is another
        const full = grads(looped(0, reverse)).grads['U']!;
        expect(Array.from(a.grads['U']!).some((g, i) => Math.abs(g - full[i]!) > 1e-6)).toBe(true);
      });
});
