// Backpropagation through loops the checker never writes but autodiff and the passes do (compiler/autodiff/scan.ts;
// docs/mutation.md names the mutants each test kills): a carry read through its `before` window (the carry
// before each step, which a second derivative through a loop reads) and through two `scan_out` nodes of one
// window; carries the step does not read beside captures; a weight multiplying the second sequence; a
// captured table read by `gather` (its gradient a `scatter_add`, an op with no algebra); a loop keeping
// only its carries' last values, with the weights' operands a body input and a `scatter_add`. Hand-built
// IR, interpreted in float64, each gradient checked against central finite differences.
import { describe, expect, test } from 'vitest';
import { gradientsOf } from '../compiler/autodiff/grad.js';
import { NO_SPAN } from '../compiler/diagnostics/span.js';
import { IrBuilder } from '../compiler/ir/builder.js';
import { interpret } from '../compiler/ir/interp.js';
import { SCAN, SCAN_OUT, SCAN_TYPE, scanAttrs, windowType, type Keep, type Window } from '../compiler/ir/scan.js';
import { verify } from '../compiler/ir/verify.js';
import { nd } from '../compiler/ops/ndarray.js';
import type { NdArray, Value } from '../compiler/ops/op.js';
import { Rng } from '../runtime/random.js';

const T = 4;
const span = NO_SPAN;
const f32 = (...shape: number[]) => ({ dtype: 'f32' as const, shape });
type Feed = Record<string, NdArray>;

/** A program: inputs by name (those in `wrt` differentiated), its loss. */
type Build = (b: IrBuilder) => { wrt: Record<string, Value>; loss: Value };

// ids = [1, 0] (i32), a row permutation for gather
const ids = (b: IrBuilder) => b.op('sub', [b.num(1, 'i32'), b.op('iota', [], { n: 2 })]);
const sumAll = (b: IrBuilder, v: Value) => b.op('sum', [v], { axes: [...b.type(v).shape.keys()], keepdims: false });
const loop = (b: IrBuilder, inputs: Value[], body: ReturnType<IrBuilder['finish']>, carries: number, xs: number, keep: Keep[]) => {
  const n = b.structural(SCAN, inputs, scanAttrs({ body, carries, xs, keep, reverse: false, length: T, truncate: 0, checkpoint: 0, segment: 0 }), SCAN_TYPE);
  return (index: number, window: Window, t: ReturnType<typeof f32>) => b.structural(SCAN_OUT, [n], { index, window }, windowType(t, window, T));
};

// carries h, u1, u2 (u1, u2 not read by the step); sequences x, y; captures W, U, E, ids:
//   h ← tanh(yₜ·W + h·U) + E[ids] ⊙ xₜ,  u1 ← h ⊙ xₜ,  u2 ← tanh(xₜ)
// loss = Σ w1 ⊙ h(before each step) + Σ w2 ⊙ h(after) + Σ w3 ⊙ h(after, a second scan_out) + Σ w4 ⊙ u1(after) + Σ u2(last)
const windows: Build = (b) => {
  const bb = new IrBuilder();
  const body = bb.at(span, () => {
    const [h, u1, u2] = ['c0', 'c1', 'c2'].map((c) => bb.input(c, 'input', f32(2, 3), span)) as [Value, Value, Value];
    const [xt, yt] = ['x0', 'x1'].map((c) => bb.input(c, 'input', f32(2, 3), span)) as [Value, Value];
    const [W, U] = ['k0', 'k1'].map((c) => bb.input(c, 'input', f32(3, 3), span)) as [Value, Value];
    const E = bb.input('k2', 'input', f32(4, 3), span),
      ix = bb.input('k3', 'input', { dtype: 'i32', shape: [2] }, span);
    void u1;
    void u2;
    const z = bb.op('add', [bb.op('matmul', [yt, W]), bb.op('matmul', [h, U])]);
    const h1 = bb.op('add', [bb.op('tanh', [z]), bb.op('mul', [bb.op('gather', [E, ix]), xt])]);
    return bb.finish('step', [
      { name: 'c0', id: h1 },
      { name: 'c1', id: bb.op('mul', [h, xt]) },
      { name: 'c2', id: bb.op('tanh', [xt]) },
    ]);
  });
  const inp = (name: string, t: ReturnType<typeof f32>) => b.input(name, name === 'x' || name === 'y' || name[0] === 'w' ? 'input' : 'param', t, span);
  const x = inp('x', f32(T, 2, 3)),
    y = inp('y', f32(T, 2, 3)),
    W = inp('W', f32(3, 3)),
    U = inp('U', f32(3, 3)),
    E = inp('E', f32(4, 3)),
    h0 = inp('h0', f32(2, 3));
  const w = [1, 2, 3, 4].map((i) => inp(`w${i}`, f32(T, 2, 3)));
  return b.at(span, () => {
    const zero = b.op('broadcast_to', [b.num(0)], { shape: [2, 3] });
    const out = loop(b, [h0, zero, zero, x, y, W, U, E, ids(b)], body, 3, 2, ['all', 'all', 'all']);
    const terms = [
      b.op('mul', [out(0, 'before', f32(2, 3)), w[0]!]),
      b.op('mul', [out(0, 'after', f32(2, 3)), w[1]!]),
      b.op('mul', [out(0, 'after', f32(2, 3)), w[2]!]),
      b.op('mul', [out(1, 'after', f32(2, 3)), w[3]!]),
      out(2, 'last', f32(2, 3)),
    ].map((v) => sumAll(b, v));
    return { wrt: { W, U, E, h0, x, y }, loss: terms.reduce((p, q) => b.op('add', [p, q])) };
  });
};

// carries h, g kept only at their last step (as a backward loop's accumulators are); sequence x; captures U, V, ids:
//   h ← h·U + xₜ,  g ← (g·V)[ids] + xₜ;  loss = Σ h(last) ⊙ w1 + Σ g(last)²
// ∂U = Σₜ hₜᵀ·h̄ₜ₊₁ reads the cotangent carry itself (a body input); ∂V's operand is a scatter_add
const lastOnly: Build = (b) => {
  const bb = new IrBuilder();
  const body = bb.at(span, () => {
    const [h, g, xt] = ['c0', 'c1', 'x0'].map((c) => bb.input(c, 'input', f32(2, 3), span)) as [Value, Value, Value];
    const [U, V] = ['k0', 'k1'].map((c) => bb.input(c, 'input', f32(3, 3), span)) as [Value, Value];
    const ix = bb.input('k2', 'input', { dtype: 'i32', shape: [2] }, span);
    return bb.finish('step', [
      { name: 'c0', id: bb.op('add', [bb.op('matmul', [h, U]), xt]) },
      { name: 'c1', id: bb.op('add', [bb.op('gather', [bb.op('matmul', [g, V]), ix]), xt]) },
    ]);
  });
  const x = b.input('x', 'input', f32(T, 2, 3), span),
    U = b.input('U', 'param', f32(3, 3), span),
    V = b.input('V', 'param', f32(3, 3), span),
    h0 = b.input('h0', 'param', f32(2, 3), span),
    g0 = b.input('g0', 'param', f32(2, 3), span),
    w1 = b.input('w1', 'input', f32(2, 3), span);
  return b.at(span, () => {
    const out = loop(b, [h0, g0, x, U, V, ids(b)], body, 2, 1, ['last', 'last']);
    const g = out(1, 'last', f32(2, 3));
    const loss = b.op('add', [sumAll(b, b.op('mul', [out(0, 'last', f32(2, 3)), w1])), sumAll(b, b.op('mul', [g, g]))]);
    return { wrt: { U, V, h0, g0, x }, loss };
  });
};

const feedFor = (f: ReturnType<IrBuilder['finish']>, seed: number): Feed => {
  const r = new Rng(seed);
  const feed: Feed = {};
  for (const n of f.nodes)
    if (n.op === 'input') {
      const shape = n.type.shape as number[];
      feed[n.attrs['name'] as string] = nd(
        shape,
        Float64Array.from({ length: shape.reduce((a, c) => a * c, 1) }, () => 0.6 * r.normal()),
      );
    }
  return feed;
};

/** The gradients autodiff builds and central differences of the loss (float64), for every element of every `wrt`. */
const compare = (build: Build) => {
  const fwd = new IrBuilder();
  const { loss } = build(fwd);
  const lossF = verify(fwd.finish('f', [{ name: 'loss', id: loss }]));
  const feed = feedFor(lossF, 7);
  const at = (fd: Feed) => interpret(lossF, fd, new Map()).outputs['loss']!.data[0]!;
  const b = new IrBuilder();
  const p = build(b);
  const names = Object.keys(p.wrt);
  const g = gradientsOf(b, p.loss, Object.values(p.wrt));
  const gradF = verify(
    b.finish(
      'g',
      names.map((name, i) => ({ name, id: g[i]! })),
    ),
  );
  const got = interpret(gradF, feed, new Map()).outputs;
  const eps = 1e-6;
  for (const name of names) {
    const data = feed[name]!.data;
    const want = Array.from(data, (v0, i) => {
      const shifted = (d: number) => {
        const copy = Float64Array.from(data);
        copy[i] = v0 + d;
        return at({ ...feed, [name]: nd(feed[name]!.shape, copy) });
      };
      return (shifted(eps) - shifted(-eps)) / (2 * eps);
    });
    want.forEach((w, i) => {
      expect(got[name]!.data[i], `∂loss/∂${name}[${i}]`).toBeCloseTo(w, 6);
    });
  }
};

describe('backpropagation through windows and loops autodiff makes (scan.ts)', () => {
  test('a carry read before each step and twice after; unread carries beside captures; a weight on the second sequence; a gathered table', () => {
    compare(windows);
  });

  test('a loop keeping only last values, whose weights’ operands are a body input and a scatter_add', () => {
    compare(lastOnly);
  });
});
