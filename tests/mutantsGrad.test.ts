// Reverse mode's driver (compiler/autodiff/grad.ts) on the branches the random-program property
// (tests/gradients.test.ts) never reaches: a loop (scan), a loop with checkpoint = k, a function with
// its own gradient rule. Small programs, float64 gradients against central differences (gradcheck),
// so that `npm run mutate` can run them on every mutant of grad.ts (docs/mutation.md).
import { describe, expect, test } from 'vitest';
import { gradcheck } from '../compiler/api/gradcheck.js';
import { compileOk } from './helpers/compile.js';

const rnn = (checkpoint: string) => `model L {
  input x: f32[T, B, 3]
  param W: f32[3, 4] = normal(std = 0.7)
  param U: f32[4, 4] = normal(std = 0.7)
  param h0: f32[4] = normal(std = 0.7)
  fn step(h, c, xt) {
    let a = tanh(xt @ W) * sigmoid(h @ U)
    [tanh(a + 0.5 * h), tanh(a + c)]
  }
  let s = scan(step, [broadcast_to(h0, [B, 4]), broadcast_to(0, [B, 4])], x${checkpoint})
  loss mean(square(s[0] - 0.3)) + mean(s[1] * s[1][-1:])
}`;

const fd = (src: string, dims: Record<string, number>) => {
  const r = gradcheck(compileOk(src).model(undefined, { seed: 2 }), { dims, seed: 2, directions: 2, elementwiseUpTo: 8 });
  return r.params.filter((p) => !p.ok).map((p) => `${p.name}: rel ${p.maxRelError.toExponential(2)}`);
};

describe('reverse mode through structural nodes', () => {
  test('a loop with two carries, one read stacked and one at its last step: every parameter (W, U, h0) agrees with finite differences', () => {
    expect(fd(rnn(''), { T: 3, B: 2 })).toEqual([]);
  });

  test('the same loop with checkpoint = 2 (T = 3: a padded last segment)', () => {
    expect(fd(rnn(', checkpoint = 2'), { T: 3, B: 2 })).toEqual([]);
  });

  test("a function's own rule replaces its derivative, for each argument", () => {
    // f(a, b) = a·b with the rule (3·dy·b, dy·a): d/dw Σ f(w, x) = 3x, not x
    const m = compileOk(`fn f(a, b) = a * b grad (a, b, dy) = [3 * dy * b, dy * a]
model M {
  input x: f32[3]
  param w: f32[3] = normal(std = 1.0)
  param v: f32[3] = normal(std = 1.0)
  loss sum(f(w, x)) + sum(f(x, v * v))
}`).model(undefined, { seed: 1 });
    const x = { data: Float32Array.of(0.5, -1, 2), shape: [3] };
    const g = m.valueAndGrad({ x }, 'f64').grads;
    const v = Array.from(m.params['v']!);
    expect(Array.from(g['w']!)).toEqual([1.5, -3, 6]);
    Array.from(g['v']!).forEach((gi, i) => {
      expect(gi).toBeCloseTo(2 * v[i]! * x.data[i]!, 12);
    });
  });
});
