// What CSE merges and what it must keep apart, on hand-built IR: the equivalence property in
// tests/passes.test.ts only shows that CSE never changes a value, which a CSE that merges nothing
// also satisfies. These tests were written to kill the mutants `npm run mutate` found surviving in
// compiler/passes/cse.ts (README, Developing dlm).
import { describe, expect, test } from 'vitest';
import { NO_SPAN } from '../compiler/diagnostics/span.js';
import { IrBuilder } from '../compiler/ir/builder.js';
import { interpret } from '../compiler/ir/interp.js';
import type { IrFunction } from '../compiler/ir/ir.js';
import { nd } from '../compiler/ops/ndarray.js';
import { cse } from '../compiler/passes/cse.js';
import { PIPELINE } from '../compiler/passes/index.js';
import { runPasses } from '../compiler/passes/pass.js';

const f32 = (shape: number[]) => ({ dtype: 'f32' as const, shape });
const count = (f: IrFunction, op: string) => f.nodes.filter((n) => n.op === op).length;

describe('cse', () => {
  test('merges a node computed twice: tanh(x) + tanh(x) keeps one tanh', () => {
    const b = new IrBuilder();
    const x = b.input('x', 'input', f32([3]), NO_SPAN);
    const y = b.op('add', [b.op('tanh', [x]), b.op('tanh', [x])]);
    const f = b.finish('f', [{ name: 'y', id: y }]);
    expect(count(f, 'tanh')).toBe(2);
    expect(count(cse.run(f), 'tanh')).toBe(1);
  });

  test('is the pass that `disable: ["cse"]` names: with it off, the pipeline keeps both', () => {
    const b = new IrBuilder();
    const x = b.input('x', 'input', f32([3]), NO_SPAN);
    const y = b.op('mul', [b.op('exp', [x]), b.op('exp', [x])]);
    const f = b.finish('f', [{ name: 'y', id: y }]);
    expect(count(runPasses(PIPELINE, f), 'exp')).toBe(1);
    expect(count(runPasses(PIPELINE, f, { disable: ['cse'] }), 'exp')).toBe(2);
  });

  test('keeps nodes apart whose input lists print alike without a separator: add(#1, #23) and add(#12, #3)', () => {
    const b = new IrBuilder();
    const ins = Array.from({ length: 24 }, (_, i) => b.input(`x${i}`, 'input', f32([2]), NO_SPAN));
    expect([ins[1], ins[3], ins[12], ins[23]]).toEqual([1, 3, 12, 23]);
    const p = b.op('add', [1, 23]);
    const q = b.op('add', [12, 3]);
    const f = b.finish('f', [
      { name: 'p', id: p },
      { name: 'q', id: q },
    ]);
    const g = cse.run(f);
    expect(count(g, 'add')).toBe(2);
    const inputs = Object.fromEntries(ins.map((_, i) => [`x${i}`, nd([2], Float64Array.of(i, 10 * i))]));
    expect(Array.from(interpret(g, inputs, new Map()).outputs['q']!.data)).toEqual([15, 150]);
  });

  test('keeps 0 and −0 apart (1/0 = ∞, 1/−0 = −∞)', () => {
    const b = new IrBuilder();
    const x = b.input('x', 'input', f32([]), NO_SPAN);
    const pos = b.op('div', [x, b.num(0)]);
    const neg = b.op('div', [x, b.num(-0)]);
    const f = b.finish('f', [
      { name: 'pos', id: pos },
      { name: 'neg', id: neg },
    ]);
    const out = interpret(cse.run(f), { x: nd([], Float64Array.of(1)) }, new Map()).outputs;
    expect(out['pos']!.data[0]).toBe(Infinity);
    expect(out['neg']!.data[0]).toBe(-Infinity);
  });
});
