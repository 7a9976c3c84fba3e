// Forward mode (compiler/autodiff/jvp.ts) where the Stryker run against tests/jvp.test.ts and jvpOps.test.ts
// left mutants alive (docs/mutation.md names them): a function with its own gradient rule (`grad (…) = …`)
// that captures a parameter, given tangents on some of its arguments; `where` with a float condition
// (whose rule gives the condition no cotangent); ops without a derivative (floor); a sum without a
// keepdims attribute; an integer constant; an op with no forward-mode rule at all. Values in float64
// through the interpreter, compared with the tangents worked out by hand.
import { describe, expect, test } from 'vitest';
import { JvpError, jvpProgram } from '../compiler/autodiff/jvp.js';
import { NO_SPAN } from '../compiler/diagnostics/span.js';
import { IrBuilder } from '../compiler/ir/builder.js';
import { interpret } from '../compiler/ir/interp.js';
import type { IrFunction } from '../compiler/ir/ir.js';
import { verify } from '../compiler/ir/verify.js';
import { nd } from '../compiler/ops/ndarray.js';
import type { NdArray, OpDef } from '../compiler/ops/op.js';
import { OPS } from '../compiler/ops/registry.js';
import { compileOk } from './helpers/compile.js';

const vec = (...v: number[]) => nd([v.length], Float64Array.from(v));
const f32 = (n: number) => ({ dtype: 'f32' as const, shape: [n] });
/** The jvp program's outputs for `feed` plus `tangent:<name>` for each tangent given. */
const run = (f: IrFunction, feed: Record<string, NdArray>, tangents: Record<string, NdArray>) => {
  const J = verify(jvpProgram(f, Object.keys(tangents)));
  const tf = Object.fromEntries(Object.entries(tangents).map(([k, v]) => [`tangent:${k}`, v]));
  return { J, out: interpret(J, { ...feed, ...tf }, new Map()).outputs };
};
const close = (got: ArrayLike<number>, want: readonly number[]) => {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => {
    expect(got[i]).toBeCloseTo(w, 12);
  });
};

describe('forward mode through a function’s own gradient rule', () => {
  // the rule is not f's derivative (∂/∂a says b·w, not b), as a straight-through estimator is not; forward
  // mode must use it: J·v = ẋ ⊙ y ⊙ w + ẏ ⊙ x. The rules read w, a capture the functions do not have.
  const m = compileOk(`model M {
  input x: f32[3]
  input y: f32[3]
  param w: f32[3] = normal(std = 1.0)
  fn f(a, b) = a * b grad (a, b, dy) = [dy * b * w, dy * a]
  fn g(a) = 2 * a grad (a, dy) = dy * w
  output o = f(x, y)
  output p = g(x)
}`).model();
  const [x, y, w] = [vec(0.5, -1, 2), vec(1.5, 0.25, -0.75), vec(-0.3, 0.8, 1.1)];
  const [dx, dy] = [vec(1, 2, -1), vec(0.5, -0.5, 3)];
  const tangent = (t: Record<string, NdArray>, o = 'o') => run(m.ir.fn, { x, y, w }, t).out[`tangent:${o}`]!.data;
  const at = (i: number) => ({ x: x.data[i]!, y: y.data[i]!, w: w.data[i]!, dx: dx.data[i]!, dy: dy.data[i]! });

  test('a tangent on both arguments, on one of them, on neither (only on the parameter the rule captures)', () => {
    close(
      tangent({ x: dx, y: dy }),
      [0, 1, 2].map((i) => at(i).dx * at(i).y * at(i).w + at(i).dy * at(i).x),
    );
    close(
      tangent({ x: dx }),
      [0, 1, 2].map((i) => at(i).dx * at(i).y * at(i).w),
    );
    close(
      tangent({ y: dy }),
      [0, 1, 2].map((i) => at(i).dy * at(i).x),
    );
    close(tangent({ w: vec(1, 1, 1) }), [0, 0, 0]);
    // one argument: J·v = ẋ ⊙ w (the rule's capture, not the primal's 2)
    close(
      tangent({ x: dx }, 'p'),
      [0, 1, 2].map((i) => at(i).dx * at(i).w),
    );
  });
});

describe('forward mode of single ops', () => {
  const program = (build: (b: IrBuilder, x: number, y: number, c: number) => number) => {
    const b = new IrBuilder();
    const [x, y, c] = ['x', 'y', 'c'].map((n) => b.input(n, 'input', f32(3), NO_SPAN)) as [number, number, number];
    return b.finish('f', [{ name: 'o', id: build(b, x, y, c) }]);
  };
  const feed = { x: vec(0.5, -1.25, 2.5), y: vec(1.5, 0.25, -0.75), c: vec(1, 0, -2) };

  test('where with a float condition: the taken branch’s tangent, none through the condition', () => {
    const f = program((b, x, y, c) => b.op('where', [c, x, y]));
    // c ≠ 0 takes x: [ẋ₀, ẏ₁, ẋ₂]
    close(run(f, feed, { c: vec(5, 5, 5), x: vec(1, 2, 3), y: vec(-1, -2, -3) }).out['tangent:o']!.data, [1, -2, 3]);
  });

  test('an op without a derivative (floor) has tangent zero, not floor of the tangent', () => {
    const f = program((b, x, y) => b.op('mul', [b.op('floor', [x]), y]));
    // ∂(⌊x⌋·y) = ⌊x⌋·ẏ: [0·1, −2·1, 2·1]
    close(run(f, feed, { x: vec(1.5, 1.5, 1.5), y: vec(1, 1, 1) }).out['tangent:o']!.data, [0, -2, 2]);
  });

  test('a sum without a keepdims attribute: the tangent has the output’s shape', () => {
    const b = new IrBuilder();
    const x = b.input('x', 'input', { dtype: 'f32', shape: [2, 3] }, NO_SPAN);
    const f = b.finish('f', [{ name: 's', id: b.op('sum', [x], { axes: [0] }) }]);
    const { J, out } = run(f, { x: nd([2, 3], Float64Array.of(1, 2, 3, 4, 5, 6)) }, { x: nd([2, 3], Float64Array.of(1, 1, 1, 2, 2, 2)) });
    const type = (name: string) => J.nodes.find((n) => n.id === J.outputs.find((o) => o.name === name)!.id)!.type;
    expect(type('tangent:s')).toEqual(type('s'));
    close(out['tangent:s']!.data, [3, 3, 3]);
  });

  test('an integer constant stays an integer: the integer output keeps its type', () => {
    const b = new IrBuilder();
    const x = b.input('x', 'input', f32(3), NO_SPAN);
    const n = b.input('n', 'input', { dtype: 'i32', shape: [3] }, NO_SPAN);
    const k = b.op('add', [n, b.num(1, 'i32')]);
    const f = b.finish('f', [
      { name: 'k', id: k },
      { name: 'o', id: b.op('mul', [x, b.op('cast', [k], { dtype: 'f32' })]) },
    ]);
    const { J, out } = run(f, { x: vec(1, 2, 3), n: nd([3], Float64Array.of(0, 1, 2)) }, { x: vec(1, 1, 1) });
    expect(J.nodes.find((m) => m.id === J.outputs[0]!.id)!.type.dtype).toBe('i32');
    close(out['tangent:o']!.data, [1, 2, 3]);
  });
});

describe('an op with no forward-mode rule', () => {
  // registry entries made for this test (every real op has a rule): a differentiable contraction that
  // declares none, and one marked unsupported
  const withOp = (def: OpDef, body: () => void) => {
    const ops = OPS as Record<string, OpDef>;
    ops[def.name] = def;
    try {
      body();
    } finally {
      delete ops[def.name];
    }
  };
  const diagnostic = (name: string) => {
    const b = new IrBuilder();
    const x = b.input('x', 'input', f32(2), NO_SPAN);
    const f = b.finish('f', [{ name: 'y', id: b.opNamed(name, [x]) }]);
    try {
      jvpProgram(f, ['x']);
    } catch (e) {
      if (e instanceof JvpError) return e.diagnostic;
      throw e;
    }
    throw new Error('expected E0312');
  };

  test('is E0312 saying it declares none, with a note pointing to reverse mode', () => {
    const { jvp: _declared, ...tanh } = OPS['tanh']!;
    withOp({ ...tanh, name: 'fake_norule', kind: 'contraction' }, () => {
      const d = diagnostic('fake_norule');
      expect([d.code, d.message]).toEqual(['E0312', 'forward mode (jvp) cannot differentiate fake_norule: it declares no forward-mode rule']);
      expect(d.notes.length).toBe(1);
      expect(d.notes[0]!.message).toMatch(/^reverse mode \(valueAndGrad, grad\) differentiates it/);
    });
    withOp({ ...OPS['tanh']!, name: 'fake_marked', jvp: { unsupported: 'no tangent op exists' } }, () => {
      expect(diagnostic('fake_marked').notes.length).toBe(1);
    });
  });
});
