// compiler/passes/pass.ts, the pass runner and the helpers the passes share, on hand-built IR: written
// for the mutants `npm run mutate` left in pass.ts (docs/mutation.md); each checked to fail on its mutants.
import { describe, expect, test } from 'vitest';
import { NO_SPAN } from '../compiler/diagnostics/span.js';
import { IrBuilder } from '../compiler/ir/builder.js';
import type { IrFunction, Node } from '../compiler/ir/ir.js';
import { constantLike, constantThroughViews, rewrite, runPasses, type Pass } from '../compiler/passes/pass.js';
import { compileOk } from './helpers/compile.js';

const f32 = (shape: number[]) => ({ dtype: 'f32' as const, shape });
const lookup = (f: IrFunction) => (id: number) => f.nodes.find((n) => n.id === id);

describe('runPasses', () => {
  const loopy = () =>
    compileOk('model M {\n  input x: f32[4, 2]\n  fn step(h, xt) = tanh(h + xt)\n  output y = scan(step, x[0], x)\n}').model(undefined, {
      passes: { disable: ['sinkRows'] },
    }).ir.fn;
  const named = (name: string, seen: string[][], run = (f: IrFunction) => f): Pass => ({
    name,
    doc: '',
    run: (f) => {
      seen.push([name, f.name]);
      return run(f);
    },
  });

  test('each pass runs over the loop bodies first, then the function; disabled passes do not run; onPass sees each', () => {
    const seen: string[][] = [];
    const reported: [string, boolean, boolean][] = [];
    const f = loopy();
    const t0 = performance.now();
    let longest = 0;
    const out = runPasses([named('a', seen), named('b', seen), named('c', seen)], f, {
      disable: ['b'],
      onPass: (name, g, ms) => {
        reported.push([name, g === f, ms >= 0]);
        longest = Math.max(longest, ms);
      },
    });
    // each pass's time is within the whole run's
    expect(longest).toBeLessThanOrEqual(performance.now() - t0);
    expect(out).toBe(f);
    expect(seen).toEqual([
      ['a', 'scan_step'],
      ['a', 'M'],
      ['c', 'scan_step'],
      ['c', 'M'],
    ]);
    expect(reported).toEqual([
      ['a', true, true],
      ['c', true, true],
    ]);
  });

  test('verify: a pass that breaks the IR fails at once with verify on, not without', () => {
    const broken = named('broken', [], (f) => ({ ...f, nodes: f.nodes.slice(1) }));
    expect(() => runPasses([broken], loopy(), { verify: true })).toThrow();
    expect(() => runPasses([broken], loopy())).not.toThrow();
  });
});

describe('rewrite', () => {
  test('a node replaced by another id: later readers, outputs and updates read that one (through chains of replacements)', () => {
    const b = new IrBuilder();
    const x = b.input('x', 'input', f32([3]), NO_SPAN);
    const w = b.input('w', 'param', f32([3]), NO_SPAN);
    const e = b.op('exp', [x]);
    const t = b.op('tanh', [e]);
    const n = b.op('neg', [t]);
    const f = b.finish(
      'f',
      [
        { name: 'y', id: n },
        { name: 'z', id: t },
      ],
      [{ target: w, value: t }],
    );
    // exp → x, tanh → exp (so → x); neg gets two new nodes before it
    const g = rewrite(f, (m) => {
      if (m.id === e) return x;
      if (m.id === t) return e;
      if (m.id === n) return [{ ...m, id: 100, op: 'abs' }, m];
      return m;
    });
    expect(g.nodes.map((m) => [m.id, m.op, m.inputs])).toEqual([
      [x, 'input', []],
      [w, 'input', []],
      [100, 'abs', [x]],
      [n, 'neg', [x]],
    ]);
    expect(g.outputs).toEqual([
      { name: 'y', id: n },
      { name: 'z', id: x },
    ]);
    expect(g.updates).toEqual([{ target: w, value: x }]);
    // the visitor sees each node with its inputs already remapped
    const inputsSeen: number[][] = [];
    rewrite(f, (m) => {
      inputsSeen.push([...m.inputs]);
      return m.id === e ? x : m;
    });
    expect(inputsSeen).toEqual([[], [], [x], [x], [t]]);
  });
});

describe('constantThroughViews and constantLike', () => {
  const b = new IrBuilder();
  const two = b.num(2);
  const zero = b.num(0);
  const negZero = b.num(-0);
  const x = b.input('x', 'input', f32([3]), NO_SPAN);
  const wide = b.op('broadcast_to', [two], { shape: [2, 3] });
  const flat = b.op('reshape', [wide], { shape: [6] });
  const padded = (v: number) => b.op('pad', [b.op('broadcast_to', [v], { shape: [3] })], { before: [1], after: [1] });
  const [pad2, pad0, padNeg0] = [padded(two), padded(zero), padded(negZero)];
  const both = b.op('concat', [wide, wide], { axis: 0 });
  const zerosAndX = b.op('concat', [b.op('broadcast_to', [zero], { shape: [3] }), x], { axis: 0 });
  const ex = b.op('exp', [two]);
  const viewOfX = b.op('reshape', [x], { shape: [3, 1] });
  const f = b.finish('f', [{ name: 'y', id: flat }]);
  const at = (id: number) => constantThroughViews(lookup(f), id);

  test('a scalar constant seen through movement ops; not through padding with another fill, an op, two inputs or an input', () => {
    expect(at(two)).toBe(2);
    expect(at(flat)).toBe(2);
    expect(at(pad0)).toBe(0);
    expect(at(pad2)).toBeUndefined();
    // −0 padded with 0 is not one constant (Object.is)
    expect(at(padNeg0)).toBeUndefined();
    expect(at(both)).toBeUndefined();
    // the first piece is 0 like concat's fill, the second is not a constant
    expect(at(zerosAndX)).toBeUndefined();
    expect(at(ex)).toBeUndefined();
    expect(at(viewOfX)).toBeUndefined();
    expect(at(12345)).toBeUndefined();
    const dims = new IrBuilder();
    const d = dims.num('B');
    expect(constantThroughViews(lookup(dims.finish('g', [{ name: 'd', id: d }])), d)).toBeUndefined();
  });

  test('constantLike: a scalar keeps its id; a tensor is a fresh scalar broadcast under its id; the backward mark and dtype follow', () => {
    const node = (over: Partial<Node>): Node => ({ ...f.nodes.find((n) => n.id === ex)!, ...over });
    expect(constantLike(node({}), 5, 99)).toEqual({ ...node({}), op: 'const', inputs: [], attrs: { value: 5, dtype: 'f32' }, type: f32([]) });
    const t = node({ type: f32([2, 3]), backward: true });
    const [k, bc] = constantLike(t, 1, 99) as Node[];
    expect(k).toEqual({ id: 99, op: 'const', inputs: [], attrs: { value: 1, dtype: 'f32' }, type: f32([]), span: t.span, backward: true });
    expect(bc).toEqual({ ...t, op: 'broadcast_to', inputs: [99], attrs: { shape: [2, 3] } });
    const i = constantLike(node({ type: { dtype: 'bool', shape: [] } }), 0, 99) as Node;
    expect(i.attrs).toEqual({ value: 0, dtype: 'i32' });
    expect(i.type).toEqual({ dtype: 'i32', shape: [] });
    expect('backward' in i).toBe(false);
  });
});
