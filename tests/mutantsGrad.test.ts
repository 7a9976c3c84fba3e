// Reverse mode's driver (compiler/autodiff/grad.ts) on the branches the random-program property
// (tests/gradients.test.ts) never reaches: a loop (scan), a loop with checkpoint = k, a function with
// its own gradient rule. Small programs, float64 gradients against central differences (gradcheck),
// so that `npm run mutate` can run them on every mutant of grad.ts (docs/mutation.md).
import { describe, expect, test } from 'vitest';
import { gradcheck } from '../compiler/api/gradcheck.js';
import { gradientsOf } from '../compiler/autodiff/grad.js';
import { IrBuilder } from '../compiler/ir/builder.js';
import type { IrFunction, Node } from '../compiler/ir/ir.js';
import { SCAN, scanInfo } from '../compiler/ir/scan.js';
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

describe('what the driver differentiates', () => {
  test('grad(f)(x) treats what f captures as a constant, even when it was computed from x; zeros of x’s shape when f does not use its argument', () => {
    const m = compileOk(`model M {
  input x: f32[3]
  let y = tanh(x)
  fn f(a) = sum(a * y)
  fn c(a) = sum(y) * 2
  output g = grad(f)(x)
  output z = grad(c)(x)
}`).model();
    const xs = [0.5, -1, 2];
    const r = m.forward({ x: { data: Float32Array.from(xs), shape: [3] } }, 'f64');
    expect(Array.from(r['g']!.data)).toEqual(xs.map(Math.tanh));
    expect(Array.from(r['z']!.data)).toEqual([0, 0, 0]);
    expect(r['z']!.shape).toEqual([3]);
  });

  test('stop_gradient gives no cotangent (in a loss and in a loop step), so a weight read only through it gets zero', () => {
    const m = compileOk(`model M {
  input x: f32[2, 1, 2]
  param w: f32[2] = normal(std = 1.0)
  param V: f32[2, 2] = normal(std = 1.0)
  fn step(h, xt) = tanh(xt + h @ stop_gradient(V))
  loss sum(stop_gradient(w) * w) + sum(scan(step, [broadcast_to(0, [1, 2])], x)[0] * w)
}`).model(undefined, { seed: 4 });
    const g = m.valueAndGrad({ x: { data: Float32Array.of(0.5, -1, 2, 0.25), shape: [2, 1, 2] } }, 'f64').grads;
    expect(Array.from(g['V']!)).toEqual([0, 0, 0, 0]);
    // d/dw Σ sg(w)·w² = 2w², with sg(w) a constant
    const n = compileOk(`model M {
  param w: f32[2] = normal(std = 1.0)
  loss sum(stop_gradient(w) * w * w)
}`).model(undefined, { seed: 1 });
    const w = Array.from(n.params['w']!);
    Array.from(n.valueAndGrad({}, 'f64').grads['w']!).forEach((gi, i) => {
      expect(gi).toBeCloseTo(2 * w[i]! ** 2, 12);
    });
  });

  test('two loops in one program: each gets the cotangents of its own results', () => {
    const two = rnn('').replace(
      '  loss mean(square(s[0] - 0.3)) + mean(s[1] * s[1][-1:])',
      `  param R: f32[3, 4] = normal(std = 0.7)
  fn step2(h, xt) = tanh(xt @ R + h)
  let q = scan(step2, [broadcast_to(0, [B, 4])], x, reverse = true)
  loss mean(square(s[0] - 0.3)) + mean(s[1] * s[1][-1:]) + mean(q[0] * s[0])`,
    );
    expect(fd(two, { T: 3, B: 2 })).toEqual([]);
  });

  test('checkpoint = k rebuilds the loop that the loss reads as a loop over segments', () => {
    const scans = (src: string) =>
      compileOk(src)
        .model()
        .gradProgram()
        .nodes.filter((n) => n.op === SCAN).length;
    expect(scans(rnn(', checkpoint = 2'))).toBeGreaterThan(scans(rnn('')));
  });

  test('every node the driver appends is marked backward (the NaN report and --stats tell the passes apart by it)', () => {
    const m = compileOk(`fn f(a, b) = a * b grad (a, b, dy) = [dy * b, dy * a]
${rnn('').replace('  loss mean(', '  param w: f32[4] = normal(std = 1.0)\n  loss sum(f(w, w)) + sum(W * W) + mean(')}`).model();
    const ir = m.ir;
    const b = new IrBuilder(ir.fn.nodes);
    const loss = ir.losses[0]!.id;
    const g = gradientsOf(
      b,
      loss,
      ir.params.map((p) => p.id),
    );
    expect(g.length).toBe(4);
    const added = b.nodes.slice(b.nodes.findIndex((n) => n.id === loss) + 1);
    expect(added.length).toBeGreaterThan(20);
    expect(added.filter((n) => !n.backward).map((n) => n.op)).toEqual([]);
  });

  test('the driver alone (no reads, as a loop body is differentiated) still segments a checkpointed loop: its backward loop recomputes segments', () => {
    const ir = compileOk(rnn(', checkpoint = 2')).model().ir;
    const b = new IrBuilder(ir.fn.nodes);
    const n0 = b.nodes.length;
    gradientsOf(
      b,
      ir.losses[0]!.id,
      ir.params.map((p) => p.id),
    );
    const nested = (n: Node) => scanInfo(n).body.nodes.some((m) => m.op === SCAN);
    expect(b.nodes.slice(n0).filter((n) => n.op === SCAN && n.backward && nested(n)).length).toBe(1);
  });

  test('a checkpointed loop nested in a loop body whose result is the body’s output (its seeds are renamed to the segmented loop)', () => {
    const src = `model N {
  input x: f32[T, B, 3]
  param W: f32[3, 4] = normal(std = 0.7)
  param U: f32[4, 4] = normal(std = 0.7)
  param Q: f32[3, 4] = normal(std = 0.7)
  fn inner(g, qt) = tanh(g @ U + qt)
  fn step(h, xt) = scan(inner, [tanh(xt @ W + h[2])], broadcast_to(reshape(Q, [3, 1, 4]), [3, B, 4]), checkpoint = 2)[0]
  loss mean(square(scan(step, [broadcast_to(0, [3, B, 4])], x)[0] - 0.2))
}`;
    expect(fd(src, { T: 2, B: 2 })).toEqual([]);
    // and the backward program runs the inner loop as 2 segments of 2 steps (a loop of length 2 in a loop body, holding one of length 2)
    const segmented = (f: IrFunction, depth: number): boolean =>
      f.nodes.some(
        (n) =>
          n.op === SCAN &&
          ((depth > 0 && scanInfo(n).length === 2 && scanInfo(n).body.nodes.some((m) => m.op === SCAN && scanInfo(m).length === 2)) ||
            segmented(scanInfo(n).body, depth + 1)),
      );
    expect(segmented(compileOk(src).model().gradProgram(), 0)).toBe(true);
  });

  test('a loop the loss does not read gets no backward loop, even though it depends on a parameter', () => {
    const ir = compileOk(rnn('').replace(/ {2}loss .*/, '  output o = s[0]\n  loss sum(W * W)')).model().ir;
    const b = new IrBuilder(ir.fn.nodes);
    const loss = ir.losses[0]!.id;
    const n0 = b.nodes.length;
    const g = gradientsOf(
      b,
      loss,
      ir.params.map((p) => p.id),
    );
    expect(b.nodes.slice(n0).filter((n) => n.op === SCAN).length).toBe(0);
    expect(g.length).toBe(3);
  });

  test('a second derivative through max pooling (its gradient op gives no cotangent to the pooled input)', () => {
    const src = `model M {
  input x: f32[1, 1, 2, 4]
  param w: f32[1, 1, 2, 4] = normal(std = 1.0)
  fn f(a) = sum(square(max_pool2d(a * w, [1, 2])))
  loss sum(square(grad(f)(x)))
}`;
    expect(fd(src, {})).toEqual([]);
  });
});
