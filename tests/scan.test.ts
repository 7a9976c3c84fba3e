// `scan`: loops over sequences and their derivative (backpropagation through time). Gradients are checked
// against float64 central differences (gradcheck also checks the compiled float32 code against float64),
// on random loop bodies, long sequences, several carries, reversed and nested loops and masks.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { gradcheck } from '../compiler/api/gradcheck.js';
import { specialize } from '../compiler/jit/jit.js';
import { optimize } from '../compiler/api/model.js';
import { compileOk } from './helpers/compile.js';
import { bodyArb, bodySource } from './helpers/scanBodies.js';

const check = (src: string, dims: Record<string, number>, seed = 0) => {
  const m = compileOk(src).model(undefined, { seed });
  const r = gradcheck(m, { dims, seed, directions: 2, elementwiseUpTo: 8 });
  const bad = r.params.filter((p) => !p.ok).map((p) => `${p.name}: rel ${p.maxRelError.toExponential(2)}, f32 ${p.f32RelError.toExponential(2)}`);
  if (!r.ok) throw new Error(`gradient mismatch in\n${src}\n${bad.join('\n')}`);
  return r;
};

describe('scan gradients', () => {
  test('random loop bodies agree with finite differences (float64) and the compiled float32 code', () => {
    fc.assert(
      fc.property(bodyArb, fc.nat(100), (g, seed) => {
        check(bodySource(g), { T: g.T, B: 2 }, seed);
      }),
      { numRuns: 60, seed: 20261129 },
    );
  }, 120_000);

  test('a long sequence (T = 100) with exploding gradients still agrees in float64', () => {
    const src = `model Long {
  input x: f32[T, B, 2]
  param W: f32[2, 3] = normal(std = 0.5)
  param U: f32[3, 3] = normal(std = 1.2)
  fn step(h, xt) = tanh(xt @ W + h @ U)
  let hs = scan(step, broadcast_to(0, [B, 3]), x)
  loss sum(hs[-1]) + 0.01 * mean(hs)
}`;
    const r = check(src, { T: 100, B: 2 }, 3);
    expect(r.params.every((p) => p.maxRelError < 1e-5)).toBe(true);
  }, 60_000);

  test('nested loops (a scan inside the step of another), with a mask for variable lengths', () => {
    check(
      `model Nested {
  input x: f32[T, B, 2]
  input m: f32[T, B]
  param W: f32[2, 3] = normal(std = 0.6)
  param U: f32[3, 3] = normal(std = 0.6)
  fn inner(g, xt) = tanh(g + xt @ W)
  fn step(h, xt, mt) {
    let refined = scan(inner, h, broadcast_to(expand_dims(xt, 0), [2, B, 2]))
    let hn = tanh(refined[-1] @ U + xt @ W)
    // padded positions (m = 0) keep the previous state
    where(expand_dims(mt, 1) > 0.5, hn, h)
  }
  let hs = scan(step, broadcast_to(0, [B, 3]), [x, m])
  loss mean(square(hs - 0.2))
}`,
      { T: 4, B: 2 },
    );
  });

  // The stdlib cells hoist the input projection out of the loop, so the step is z = xpₜ + hₜ·W: the
  // backward loop stores dz once for both d(xpₜ) and the one-matmul gradient of W after the loop.
  test.each(['RNNCell', 'GRUCell', 'LSTMCell'])('the stdlib %s through time', (cell) => {
    const states = cell === 'LSTMCell' ? 'seq.lstm(cell, x, seq.zeros_state(x, 3), seq.zeros_state(x, 3))[0]' : 'seq.rnn(cell, x, seq.zeros_state(x, 3))';
    check(`import seq\nmodel M {\n  input x: f32[B, T, 2]\n  layer cell = seq.${cell}(2, 3)\n  loss sum(square(${states}))\n}`, { B: 2, T: 4 });
  });

  test('a scan without sequences runs for `length` steps', () => {
    check(
      `model Gen {
  param a: f32[3] = normal(std = 0.5)
  param U: f32[3, 3] = normal(std = 0.5)
  fn step(h) = tanh(h @ U + a)
  let hs = scan(step, a, length = 6)
  loss sum(square(hs))
}`,
      {},
    );
  });
});

describe('scan semantics', () => {
  const run = (src: string, inputs: Record<string, { data: Float32Array; shape: number[] }>) => compileOk(src).model().evaluate(inputs, 'f64');
  test('a running sum, forward and reversed, with stacked carries', () => {
    const src = `model S {
  input x: f32[T, 2]
  fn add(c, xt) = c + xt
  output fwd = scan(add, [0, 0], x)
  output rev = scan(add, [0, 0], x, reverse = true)
}`;
    const out = run(src, { x: { data: Float32Array.from([1, 10, 2, 20, 3, 30]), shape: [3, 2] } });
    expect(Array.from(out['fwd']!.data)).toEqual([1, 10, 3, 30, 6, 60]);
    expect(Array.from(out['rev']!.data)).toEqual([6, 60, 5, 50, 3, 30]);
  });

  test('a step that returns the wrong carries is a diagnostic naming both types', async () => {
    const { compileErr } = await import('./helpers/compile.js');
    const ds = compileErr(`model S {
  input x: f32[T, 2]
  fn bad(c, xt) = sum(c + xt)
  output y = scan(bad, [0, 0], x)
}`);
    expect(ds[0]!.code).toBe('E0209');
    expect(ds[0]!.message).toContain('f32[2]');
  });
});

describe('backpropagation through time memory', () => {
  test('the training step arena grows linearly with T', () => {
    const src = `import nn
model M {
  input x: f32[T, B, 8]
  target y: f32[B, 16]
  param W: f32[8, 16] = glorot_uniform
  param U: f32[16, 16] = glorot_uniform
  fn step(h, xt) = tanh(xt @ W + h @ U)
  let hs = scan(step, broadcast_to(0, [B, 16]), x)
  loss mean(square(hs[-1] - y))
  optimizer sgd(lr = 0.1)
}`;
    const m = compileOk(src).model();
    const bytes = (T: number) =>
      specialize(
        optimize(m.gradProgram()),
        new Map([
          ['T', T],
          ['B', 4],
        ]),
      ).plan.arenaSize;
    const [a, b, c] = [32, 128, 512].map(bytes) as [number, number, number];
    // Per step: the stored carry (B·16) and the step input (B·8), in the forward and its cotangent
    // (budget: 4 copies of each), the two matmul results the forward stores (2·B·16), and the
    // operands of the weight gradients the backward loop stores for one product after it
    // (hᵀ: 16·B, xᵀ: 8·B, dz: B·16).
    const B = 4;
    const perStep = (b - a) / 96;
    expect((c - b) / 384).toBeCloseTo(perStep, 5);
    expect(perStep).toBeLessThanOrEqual(4 * B * (16 + 8) + 2 * B * 16 + B * (16 + 8 + 16));
  });
});

describe('truncated backpropagation through time', () => {
  const RNN = (extra: string) => `model M {
  input x: f32[4, 2, 3]
  param W: f32[3, 3] = normal(std = 0.5)
  param U: f32[3, 3] = normal(std = 0.5)
  param h0: f32[2, 3] = normal(std = 0.5)
  fn step(h, xt) = tanh(xt @ W + h @ U)
  let hs = scan(step, h0, x${extra})
  loss sum(square(hs))
}`;
  test('truncate ≥ T is the full gradient (finite differences)', () => {
    check(RNN(', truncate = 4'), {});
  });

  test('truncate = 2 equals the loop unrolled with stop_gradient on the carry entering step 2', () => {
    const unrolled = `model M {
  input x: f32[4, 2, 3]
  param W: f32[3, 3] = normal(std = 0.5)
  param U: f32[3, 3] = normal(std = 0.5)
  param h0: f32[2, 3] = normal(std = 0.5)
  fn step(h, xt) = tanh(xt @ W + h @ U)
  let a1 = step(h0, x[0])
  let a2 = step(a1, x[1])
  let a3 = step(stop_gradient(a2), x[2])
  let a4 = step(a3, x[3])
  loss sum(square(a1)) + sum(square(a2)) + sum(square(a3)) + sum(square(a4))
}`;
    const x = { data: Float32Array.from({ length: 24 }, (_, i) => Math.sin(i)), shape: [4, 2, 3] };
    const grads = (src: string) => compileOk(src).model(undefined, { seed: 2 }).valueAndGrad({ x }, 'f64').grads;
    const [t, u, full] = [grads(RNN(', truncate = 2')), grads(unrolled), grads(RNN(''))];
    for (const k of ['W', 'U', 'h0']) {
      Array.from(t[k]!).forEach((v, i) => {
        expect(v).toBeCloseTo(u[k]![i]!, 10);
      });
      expect(Array.from(t[k]!)).not.toEqual(Array.from(full[k]!));
    }
  });

  test('the stdlib wrappers take it', () => {
    compileOk(
      'import seq\n' +
        'model M {\n' +
        '  input x: f32[B, T, 2]\n' +
        '  layer cell = seq.LSTMCell(2, 3)\n' +
        '  loss sum(seq.lstm(cell, x, seq.zeros_state(x, 3), seq.zeros_state(x, 3), truncate = 8)[0])\n' +
        '}',
    ).model();
  });
});
