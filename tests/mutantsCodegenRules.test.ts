// Direct checks of codegen/fusionRules.ts's graph facts (graphOf) and axisGroups, written to kill the mutants
// `npm run mutate` left surviving there (docs/mutation.md, fusionRules.ts section). Each graph is built
// node by node, so the fact asked about is the only thing that varies. Each test was checked to fail on the
// mutants it is named for (`npm run mutate -- --recheck compiler/codegen/fusionRules.ts --tests mutantsCodegenRules --at L:C`).
import { describe, expect, test } from 'vitest';
import { axisGroups, graphOf } from '../compiler/codegen/fusionRules.js';
import { NO_SPAN } from '../compiler/diagnostics/span.js';
import { IrBuilder } from '../compiler/ir/builder.js';
import type { Update } from '../compiler/ir/ir.js';

const f32 = (shape: number[]) => ({ dtype: 'f32' as const, shape });
/** A builder with input `x` of `shape`, and a function of the named outputs (and updates) built on it. */
const graph = (shape: number[]) => {
  const b = new IrBuilder();
  const x = b.input('x', 'input', f32(shape), NO_SPAN);
  const finish = (outs: number[], updates: Update[] = []) => {
    const g = graphOf(
      b.finish(
        'f',
        outs.map((id, i) => ({ name: `o${i}`, id })),
        updates,
      ),
      new Map(),
    );
    return { ...g, node: (id: number) => g.nodes.get(id)! };
  };
  return { b, x, finish };
};

describe('fusionRules.ts graphOf: readers and escapes', () => {
  // 54:84 (updates' values left out of escapes), 58:73 (a node nobody reads has a made-up reader)
  test('an update value leaves the function; an output has no readers', () => {
    const { b, x, finish } = graph([2, 3]);
    const p = b.input('p', 'param', f32([2, 3]), NO_SPAN);
    const a = b.op('add', [x, p]);
    const u = b.op('mul', [p, b.num(2)]);
    const out = b.op('exp', [a]);
    const g = finish([out], [{ target: p, value: u }]);
    expect([g.escapes.has(u), g.escapes.has(out), g.escapes.has(a)]).toEqual([true, true, false]);
    expect(g.readers(out)).toEqual([]);
    expect(g.readers(a).map((n) => n.id)).toEqual([out]);
  });
});

describe('fusionRules.ts graphOf: rootOf and sameRoot', () => {
  // 63:9 (a non-elementwise node gets a root), 72:12 (nodes without a root share one)
  test('a reduction has no root, and nodes without roots do not share one', () => {
    const { b, x, finish } = graph([2, 3]);
    const s = b.op('sum', [x], { axes: [1], keepdims: false });
    const g = finish([s]);
    expect(g.rootOf(g.node(s))).toBeUndefined();
    expect(g.sameRoot([g.node(s)])).toBe(false);
  });

  // 65:9 (escapes ignored)
  test('an elementwise node that is an output is its own root, though its one reader is elementwise', () => {
    const { b, x, finish } = graph([2, 3]);
    const a = b.op('mul', [x, b.num(2)]);
    const c = b.op('add', [a, b.num(1)]);
    const g = finish([a, c]);
    expect(g.rootOf(g.node(a))?.id).toBe(a);
    expect(g.rootOf(g.node(c))?.id).toBe(c);
  });

  // 65:9 (|| → &&), 65:30 (two readers taken for one)
  test('an elementwise node read twice is its own root; a chain of single readers ends at its last node', () => {
    const { b, x, finish } = graph([2, 3]);
    const a = b.op('neg', [x]);
    const c1 = b.op('exp', [a]);
    const c2 = b.op('add', [a, b.num(1)]);
    const d = b.op('mul', [c1, b.num(3)]);
    const g = finish([d, c2]);
    expect(g.rootOf(g.node(a))?.id).toBe(a);
    expect(g.rootOf(g.node(c1))?.id).toBe(d);
    expect(g.sameRoot([g.node(c1), g.node(d)])).toBe(true);
    expect(g.sameRoot([g.node(c1), g.node(c2)])).toBe(false);
  });

  // 67:9 (both), 67:9-67:29: a reader that is not elementwise, of the same size, ends the chain
  test('an elementwise node read by a transpose of the same size is its own root', () => {
    const { b, x, finish } = graph([2, 3]);
    const a = b.op('mul', [x, b.num(2)]);
    const t = b.op('transpose', [a], { perm: [1, 0] });
    const g = finish([t]);
    expect(g.rootOf(g.node(a))?.id).toBe(a);
  });

  // 67:33: an elementwise reader of another size (a broadcast) ends the chain
  test('an elementwise node read by a broadcasting elementwise node is its own root', () => {
    const { b, x, finish } = graph([2, 3]);
    const y = b.input('y', 'input', f32([3]), NO_SPAN);
    const s = b.op('mul', [y, b.num(2)]);
    const w = b.op('add', [s, x]);
    const g = finish([w]);
    expect(g.rootOf(g.node(s))?.id).toBe(s);
  });
});

describe('fusionRules.ts graphOf: isBroadcast', () => {
  // 79:9 (three), 79:70: a node that is not a view is no broadcast (and its emit has no view to ask)
  test('an elementwise node is not a broadcast', () => {
    const { b, x, finish } = graph([2, 3]);
    const a = b.op('add', [x, x]);
    const g = finish([a]);
    expect(g.isBroadcast(g.node(a), [2, 3])).toBe(false);
  });

  // 79:9-79:19 (emit.kind without ?.): an input has no op definition
  test('an input is not a broadcast', () => {
    const { x, finish } = graph([2, 3]);
    const g = finish([x]);
    expect(g.isBroadcast(g.node(x), [2, 3])).toBe(false);
  });

  // 79:34: fewer output axes than input axes — a reshape dropping a size-1 axis — is not a broadcast
  test('reshape [1, 6] → [6] is not a broadcast', () => {
    const { b, x, finish } = graph([1, 6]);
    const r = b.op('reshape', [x], { shape: [6] });
    const g = finish([r]);
    expect(g.isBroadcast(g.node(r), [1, 6])).toBe(false);
  });

  // 81:9, 81:34 (right-aligned check skipped), 81:10 (some for every): a slice reads its input's strides unchanged
  test('slice [2, 3] → [2, 2] is not a broadcast; broadcast_to [3] → [2, 3] and [] → [3] are', () => {
    const { b, x, finish } = graph([2, 3]);
    const sl = b.op('slice', [x], { begin: [0, 0], end: [2, 2] });
    const y = b.input('y', 'input', f32([3]), NO_SPAN);
    const z = b.input('z', 'input', f32([]), NO_SPAN);
    const by = b.op('broadcast_to', [y], { shape: [2, 3] });
    const bz = b.op('broadcast_to', [z], { shape: [3] });
    const g = finish([sl, by, bz]);
    expect(g.isBroadcast(g.node(sl), [2, 3])).toBe(false);
    expect(g.isBroadcast(g.node(by), [3])).toBe(true);
    expect(g.isBroadcast(g.node(bz), [])).toBe(true);
  });

  // 85:50 (some for every): a transpose that keeps its first axis is not a broadcast
  test('transpose [0, 2, 1] of a [2, 2, 2] cube is not a broadcast', () => {
    const { b, x, finish } = graph([2, 2, 2]);
    const t = b.op('transpose', [x], { perm: [0, 2, 1] });
    const g = finish([t]);
    expect(g.isBroadcast(g.node(t), [2, 2, 2])).toBe(false);
  });

  // 85:70: a size-1 output axis may have any stride (reshape gives it 3, a broadcast 0)
  test('reshape [3] → [1, 3] is a broadcast', () => {
    const { b, x, finish } = graph([3]);
    const r = b.op('reshape', [x], { shape: [1, 3] });
    const g = finish([r]);
    expect(g.isBroadcast(g.node(r), [3])).toBe(true);
  });
});

describe('fusionRules.ts graphOf: epilogueConsumer', () => {
  const mm = (k = 3, n = 4) => {
    const { b, x, finish } = graph([2, k]);
    const w = b.input('w', 'param', f32([k, n]), NO_SPAN);
    return { b, w, m: b.op('matmul', [x, w]), finish };
  };

  test('an elementwise reader of the same shape, directly or through one flat reshape, is an epilogue', () => {
    const one = mm();
    const o1 = one.b.op('neg', [one.m]);
    const g1 = one.finish([o1]);
    expect(g1.epilogueConsumer(g1.node(one.m))).toBe(true);
    const two = mm();
    const o2 = two.b.op('neg', [two.b.op('reshape', [two.m], { shape: [8] })]);
    const g2 = two.finish([o2]);
    expect(g2.epilogueConsumer(g2.node(two.m))).toBe(true);
  });

  // 94:9 (both false, and || → &&): a reduction between is not a view
  test('sum(x @ w, axis 1) · 2 has no epilogue', () => {
    const { b, m, finish } = mm();
    const s = b.op('sum', [m], { axes: [1], keepdims: false });
    const o = b.op('mul', [s, b.num(2)]);
    const g = finish([o]);
    expect(g.epilogueConsumer(g.node(m))).toBe(false);
  });

  // 94:9 (|| → &&): a reshape that is itself an output
  test('a reshape of the product that is an output has no epilogue', () => {
    const { b, m, finish } = mm();
    const r = b.op('reshape', [m], { shape: [8] });
    const o = b.op('neg', [r]);
    const g = finish([r, o]);
    expect(g.epilogueConsumer(g.node(m))).toBe(false);
  });

  // 96:12 (five of them): two elementwise readers of the reshape
  test('a reshape of the product read by two elementwise nodes has no epilogue', () => {
    const { b, m, finish } = mm();
    const r = b.op('reshape', [m], { shape: [8] });
    const g = finish([b.op('neg', [r]), b.op('exp', [r])]);
    expect(g.epilogueConsumer(g.node(m))).toBe(false);
  });

  // 96:12 (whole → true), 96:33: the reader of the view is a matmul of the same shape
  test('transpose(x @ w) @ w on squares has no epilogue', () => {
    const { b, w, m, finish } = mm(2, 2);
    const t = b.op('transpose', [m], { perm: [1, 0] });
    const g = finish([b.op('matmul', [t, w])]);
    expect(g.epilogueConsumer(g.node(m))).toBe(false);
  });
});

describe('fusionRules.ts graphOf: callsInExpr', () => {
  // 101:18, 103:7 (emit.kind without ?.): an input; 103:7 (false): a matmul has no expression to ask
  test('only an elementwise expression can be asked; anything else counts as calling', () => {
    const { b, x, finish } = graph([2, 2]);
    const w = b.input('w', 'param', f32([2, 2]), NO_SPAN);
    const m = b.op('matmul', [x, w]);
    const e = b.op('exp', [m]);
    const a = b.op('add', [e, x]);
    const g = finish([a]);
    expect([x, m, e, a].map((id) => g.callsInExpr(g.node(id)))).toEqual([true, true, true, false]);
  });
});

describe('fusionRules.ts axisGroups', () => {
  // 33:47: a target dim of 1 takes only a size-1 axis
  test('a target dim of 1 does not swallow an axis of another size', () => {
    expect(axisGroups([2], [1])).toBeUndefined();
    expect(axisGroups([3, 2], [1, 2])).toBeUndefined();
    expect(axisGroups([1, 2], [1, 2])).toEqual([[0], [1]]);
  });
});
