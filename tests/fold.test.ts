// What constant folding (passes/fold.ts) folds and what it must leave: the equivalence property in
// tests/passes.test.ts only shows that folding never changes a value, which a fold that folds nothing
// also satisfies. Written against the mutants `npm run mutate` left in fold.ts (docs/mutation.md).
import { expect, test } from 'vitest';
import { NO_SPAN } from '../compiler/diagnostics/span.js';
import { IrBuilder } from '../compiler/ir/builder.js';
import type { IrFunction } from '../compiler/ir/ir.js';
import { fold } from '../compiler/passes/fold.js';
import { PIPELINE } from '../compiler/passes/index.js';
import { runPasses } from '../compiler/passes/pass.js';
import { compileOk } from './helpers/compile.js';

const out = (f: IrFunction) => f.nodes.find((n) => n.id === f.outputs[0]!.id)!;

test('scalar arithmetic on numeric constants becomes one constant, in f32 and in i32', () => {
  const b = new IrBuilder();
  const y = b.op('exp', [b.op('mul', [b.num(2), b.num(0.5)])]);
  const f = fold.run(b.finish('f', [{ name: 'y', id: y }]));
  expect(out(f).op).toBe('const');
  expect(out(f).attrs).toEqual({ value: Math.E, dtype: 'f32' });
  expect(out(f).inputs).toEqual([]);
  const c = new IrBuilder();
  const k = c.op('add', [c.num(2, 'i32'), c.num(3, 'i32')]);
  expect(out(fold.run(c.finish('g', [{ name: 'k', id: k }]))).attrs).toEqual({ value: 5, dtype: 'i32' });
});

test('left alone: a tensor result, an input operand, a symbolic dim, a non-finite result', () => {
  const b = new IrBuilder();
  const x = b.input('x', 'input', { dtype: 'f32', shape: [] }, NO_SPAN);
  const t = b.op('broadcast_to', [b.num(2)], { shape: [3] });
  const withInput = b.op('mul', [x, b.num(2)]);
  const dim = b.op('mul', [b.num('B'), b.num(2)]);
  const inf = b.op('div', [b.num(1), b.num(0)]);
  const f = fold.run(
    b.finish('f', [
      { name: 't', id: t },
      { name: 'a', id: withInput },
      { name: 'd', id: dim },
      { name: 'i', id: inf },
    ]),
  );
  expect(f.outputs.map((o) => f.nodes.find((n) => n.id === o.id)!.op)).toEqual(['broadcast_to', 'mul', 'mul', 'div']);
});

test('folded: a reduction and a movement of a scalar constant (sum over no axis, a reshape to [])', () => {
  const b = new IrBuilder();
  const s = b.op('sum', [b.num(3)], { axes: [] });
  const r = b.op('reshape', [b.num(4)], { shape: [] });
  const f = fold.run(
    b.finish('f', [
      { name: 's', id: s },
      { name: 'r', id: r },
    ]),
  );
  expect(f.outputs.map((o) => f.nodes.find((n) => n.id === o.id)!.attrs)).toEqual([
    { value: 3, dtype: 'f32' },
    { value: 4, dtype: 'f32' },
  ]);
});

test('left alone: a comparison with an input or a symbolic dim (NaN < 2 is a finite 0, so only the operands show it is no constant)', () => {
  const b = new IrBuilder();
  const x = b.input('x', 'input', { dtype: 'f32', shape: [] }, NO_SPAN);
  const withInput = b.op('lt', [x, b.num(2)]);
  const withDim = b.op('lt', [b.num('B'), b.num(2)]);
  const f = fold.run(
    b.finish('f', [
      { name: 'a', id: withInput },
      { name: 'd', id: withDim },
    ]),
  );
  expect(f.outputs.map((o) => f.nodes.find((n) => n.id === o.id)!.op)).toEqual(['lt', 'lt']);
});

test('is the pass that `disable: ["fold"]` names, and leaves a custom-gradient call on constants to lower-custom', () => {
  const b = new IrBuilder();
  const y = b.op('add', [b.num(2), b.num(3)]);
  const f = b.finish('f', [{ name: 'y', id: y }]);
  expect(out(runPasses(PIPELINE, f)).op).toBe('const');
  expect(out(runPasses(PIPELINE, f, { disable: ['fold'] })).op).toBe('add');
  // fold runs before differentiation (PRE_GRAD), where ad.log1pexp(2) is a custom_vjp node on constants
  const m = compileOk(`import ad
model M {
  input x: f32[2]
  output y = x * ad.log1pexp(2.0)
}`).model();
  const v = m.forward({ x: { data: Float32Array.of(1, -1), shape: [2] } }, 'f64').y!.data;
  expect(v[0]).toBeCloseTo(Math.log1p(Math.E ** 2), 12);
  expect(v[1]).toBeCloseTo(-Math.log1p(Math.E ** 2), 12);
});
