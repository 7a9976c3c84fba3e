// What constant folding (passes/fold.ts) folds and what it must leave: the equivalence property in
// tests/passes.test.ts only shows that folding never changes a value, which a fold that folds nothing
// also satisfies. Written against the mutants `npm run mutate` left in fold.ts (docs/mutation.md).
import { expect, test } from 'vitest';
import { NO_SPAN } from '../compiler/diagnostics/span.js';
import { IrBuilder } from '../compiler/ir/builder.js';
import type { IrFunction } from '../compiler/ir/ir.js';
import { fold } from '../compiler/passes/fold.js';

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
