// The fusion plan in words (codegen/fusion.ts): where each node of a few canonical programs lives, and
// how many kernels that makes. These pin the decisions themselves, so a change of a fusion rule shows up
// here as a sentence, not as a changed snapshot of generated code.
import { describe, expect, test } from 'vitest';
import { optimize } from '../compiler/api/model.js';
import { describePlacement, planFusion } from '../compiler/codegen/fusion.js';
import { specialize } from '../compiler/jit/jit.js';
import { selectOutputs } from '../compiler/train/step.js';
import { NO_SPAN } from '../compiler/diagnostics/span.js';
import { IrBuilder } from '../compiler/ir/builder.js';
import type { IrFunction } from '../compiler/ir/ir.js';
import { compileOk } from './helpers/compile.js';

/** `op → placement` for every node of output `out` (inputs and constants left out), and its kernel count. */
const plan = (body: string, dims: Record<string, number> = {}, out = 'out', off: string[] = []): { words: string; kernels: number } =>
  planOf(`import nn\nmodel P {\n${body}\n}`, dims, out, off);
/** The same for a whole source text (functions before the model). */
const planOf = (src: string, dims: Record<string, number> = {}, out = 'out', off: string[] = []): { words: string; kernels: number } => {
  const f = optimize(selectOutputs(compileOk(src).model().ir.fn, [out]));
  const env = new Map(Object.entries(dims));
  const P = planFusion(f, env, new Set(off));
  const words = f.nodes
    .filter((n) => n.op !== 'input' && n.op !== 'const')
    .map((n) => `${n.op} → ${describePlacement(P.get(n.id)!)}`)
    .join(', ');
  return { words, kernels: specialize(f, env, 'f64', off).schedule.kernels.length };
};

describe('fusion placements', () => {
  test('softmax: max → row, x − max → inline, exp → row kernel, sum → row, div → row kernel (2 kernels)', () => {
    expect(plan('  input x: f32[B, 6]\n  output out = softmax(x)', { B: 3 })).toEqual({
      words: 'max → row, sub → inline, exp → buffer (row kernel), sum → row, div → buffer (row kernel)',
      kernels: 2,
    });
  });

  test('relu(x @ W + b): the matmul stores through its epilogue — one kernel', () => {
    expect(plan('  input x: f32[B, 8]\n  layer dense = nn.Dense(8, 4)\n  output out = relu(dense(x))', { B: 4 })).toEqual({
      words: 'matmul → epilogue of %8, add → inline, le → inline, where → buffer (epilogue kernel)',
      kernels: 1,
    });
  });

  test('a chain of elementwise ops and the reduction reading it: one kernel', () => {
    expect(plan('  input x: f32[4, 5]\n  output out = sum(tanh(x * 2 + 1))')).toEqual({
      words: 'mul → inline, add → inline, tanh → inline, sum → buffer (reduce kernel)',
      kernels: 1,
    });
  });

  test('reshape(x @ w, [3, 2, 2]) + transpose(y, [0, 2, 1]): no epilogue (the transposed leaf is not contiguous across the merged axes)', () => {
    const inputs = '  input x: f32[3, 2]\n  input w: f32[2, 4]\n  input y: f32[3, 2, 2]\n';
    expect(plan(`${inputs}  output out = reshape(x @ w, [3, 2, 2]) + transpose(y, [0, 2, 1])`)).toEqual({
      words: 'matmul → buffer (contraction kernel, late), reshape → view (late), transpose → view, add → buffer (map kernel)',
      kernels: 2,
    });
  });

  test('reshape(x @ w, [3, 2, 2]) + y: the epilogue goes through the flat reshape — one kernel', () => {
    expect(plan('  input x: f32[3, 2]\n  input w: f32[2, 4]\n  input y: f32[3, 2, 2]\n  output out = reshape(x @ w, [3, 2, 2]) + y')).toEqual({
      words: 'matmul → epilogue of %5, reshape → epilogue of %5, add → buffer (epilogue kernel)',
      kernels: 1,
    });
  });

  test('transpose(softmax(x)) on a square x: the transpose is a view of the softmax, not a broadcast of it', () => {
    expect(plan('  input x: f32[4, 4]\n  output out = transpose(softmax(x))')).toEqual({
      words: 'max → row, sub → inline, exp → buffer (row kernel), sum → row, div → buffer (row kernel), transpose → view, then copied',
      kernels: 3,
    });
  });

  test('without fusion every elementwise op and reduction is a kernel of its own', () => {
    const f = optimize(selectOutputs(compileOk('model P {\n  input x: f32[B, 6]\n  output out = softmax(x)\n}').model().ir.fn, ['out']));
    const P = planFusion(f, new Map([['B', 3]]), new Set(['fusion']));
    expect(f.nodes.filter((n) => n.op !== 'input').map((n) => `${n.op} → ${describePlacement(P.get(n.id)!)}`)).toEqual([
      'max → buffer (reduce kernel)',
      'sub → buffer (map kernel)',
      'exp → buffer (map kernel)',
      'sum → buffer (reduce kernel)',
      'div → buffer (map kernel)',
    ]);
  });
});

describe('more decisions in words', () => {
  // Plans of small programs, one per rule of fusion.ts: each line is what the planner decides today,
  // read and judged right (or, where marked, a known missed fusion), so a changed rule shows up here.
  const x = '  input x: f32[4, 5]\n';
  const mm = '  input x: f32[3, 2]\n  input w: f32[2, 4]\n';
  const cases: [string, string, number, string[]?][] = [
    // a reduction over a leading axis is no row reduction: its own kernel, the exp inline in its loop
    [`${x}  output out = sum(exp(x), axis = 0)`, 'exp → inline, sum → buffer (reduce kernel)', 1],
    // a reduction that is the output itself is stored by its own kernel
    [`${x}  output out = sum(x, axis = -1)`, 'sum → buffer (reduce kernel)', 1],
    // (a missed fusion: the tanh could be the reduce kernel's epilogue; today the sum is stored first). Without
    // keepdims the sum is no row reduction, so it is stored where it is made; with keepdims it is first a row
    // reduction, declined when the tanh's kernel makes no row kernel, and stored late
    [`${x}  output out = tanh(sum(x, axis = -1))`, 'sum → buffer (reduce kernel), tanh → buffer (map kernel)', 2],
    [`${x}  output out = tanh(sum(x, axis = -1, keepdims = true))`, 'sum → buffer (reduce kernel, late), tanh → buffer (map kernel)', 2],
    // a row reduction and a column reduction in one expression: the row one inside the root's row kernel
    [
      `${x}  output out = sum(exp(x), axis = -1, keepdims = true) * sum(x, axis = 0, keepdims = true)`,
      'exp → inline, sum → row, sum → buffer (reduce kernel), mul → buffer (row kernel)',
      2,
    ],
    // x − mean(x) per row, then divided by the row's standard deviation: two row kernels
    [
      `${x}  let c = x - mean(x, axis = -1, keepdims = true)\n  output out = c / sqrt(mean(square(c), axis = -1, keepdims = true) + 0.00001)`,
      'sum → row, div → inline, sub → buffer (row kernel), mul → inline, sum → row, div → inline, add → inline, sqrt → inline, div → buffer (row kernel)',
      2,
    ],
    // a row reduction over the two trailing axes; exp is read twice (by the sum and by the division) and calls a function: stored
    [
      '  input x: f32[2, 3, 4]\n  output out = exp(x) / sum(exp(x), axis = [1, 2], keepdims = true)',
      'exp → buffer (map kernel), sum → row, div → buffer (row kernel)',
      2,
    ],
    [`${x}  output out = exp(x - mean(x, axis = -1, keepdims = true))`, 'sum → row, div → inline, sub → inline, exp → buffer (row kernel)', 1],
    // a reshape that strides cannot express reads a contiguous copy of its source
    ['  input x: f32[4, 6]\n  output out = reshape(transpose(x), [2, 12])', 'transpose → view, then copied, reshape → view of a contiguous copy', 1],
    // a matmul whose reader is a reduction, or that is the output, has no epilogue
    [`${mm}  output out = x @ w`, 'matmul → buffer (contraction kernel)', 1],
    [`${mm}  output out = sum(x @ w, axis = -1)`, 'matmul → buffer (contraction kernel), sum → buffer (reduce kernel)', 2],
    // with epilogues off, the bias and tanh are a map kernel after the matmul
    [
      `${mm}  input b: f32[4]\n  output out = tanh(x @ w + b)`,
      'matmul → buffer (contraction kernel), add → inline, tanh → buffer (map kernel)',
      2,
      ['epilogue'],
    ],
    // a broadcast constant is a constant; a broadcast value of another size is stored once, not recomputed per element
    [`${x}  output out = tanh(x) * broadcast_to(2.0, [4, 5])`, 'tanh → inline, broadcast_to → constant 2, mul → buffer (map kernel)', 1],
    ['  input x: f32[4, 5]\n  input y: f32[5]\n  output out = exp(x) + exp(y)', 'exp → inline, exp → buffer (map kernel), add → buffer (map kernel)', 2],
    ['  input x: f32[4]\n  output out = broadcast_to(tanh(x), [3, 4]) * 2', 'tanh → buffer (map kernel), broadcast_to → view, mul → buffer (map kernel)', 2],
    [`${x}  output out = transpose(tanh(x)) * 2`, 'tanh → buffer (map kernel), transpose → view, mul → buffer (map kernel)', 2],
    // a value read twice that calls functions is stored, not recomputed: t * t
    [
      `${x}  let t = exp(sin(x) * cos(x) + x)\n  output out = t * t`,
      'sin → inline, cos → inline, mul → inline, add → inline, exp → buffer (map kernel), mul → buffer (map kernel)',
      2,
    ],
    [`${x}  output out = sum(x, axis = -1, keepdims = true) * x`, 'sum → row, mul → buffer (row kernel)', 1],
    [`${x}  output out = tanh(x) * 2`, 'tanh → buffer (map kernel), mul → buffer (map kernel)', 2, ['fusion']],
  ];
  test.each(cases)('%s', (body, words, kernels, off = []) => {
    expect(plan(body, {}, 'out', off)).toEqual({ words, kernels });
  });

  const step = 'fn step(h, x) = tanh(h + x)\nmodel P {\n  input x: f32[5, 3]\n';
  test('a scan: its inputs in memory, its kernel, and its stacked carries read where the loop wrote them', () => {
    expect(planOf(`${step}  output out = scan(step, x[0] * 0, x) * 2\n}`)).toEqual({
      words: 'slice → view, reshape → view, mul → buffer (map kernel), scan → buffer (scan kernel), scan_out → loopResult, mul → buffer (map kernel)',
      kernels: 3,
    });
    expect(planOf(`${step}  output out = scan(step, x[0] * 0, x)[4] * 2\n}`)).toEqual({
      words:
        'slice → view, reshape → view, mul → buffer (map kernel), scan → buffer (scan kernel), scan_out → loopResult, ' +
        'slice → view, reshape → view, mul → buffer (map kernel)',
      kernels: 3,
    });
  });

  test('a constant initial carry is written by the loop itself, not stored first', () => {
    expect(planOf(`${step}  output out = scan(step, broadcast_to(0.5, [3]), x) * 2\n}`)).toEqual({
      words: 'broadcast_to → constant 0.5, scan → buffer (scan kernel), scan_out → loopResult, mul → buffer (map kernel)',
      kernels: 3,
    });
  });

  test('concat (pieces) and argmax (a kernel of its own) read their inputs from memory', () => {
    expect(plan('  input x: f32[4, 5]\n  output out = concat([exp(x), x], 0) * 2')).toEqual({
      words: 'exp → buffer (map kernel), concat → buffer (pieces kernel), mul → buffer (map kernel)',
      kernels: 3,
    });
    expect(plan('  input x: f32[4, 5]\n  output out = argmax(tanh(x), axis = -1)')).toEqual({
      words: 'tanh → buffer (map kernel), argmax → buffer (kernel kernel)',
      kernels: 2,
    });
  });
});

/** The placement of the output's node, a buffer. */
const rootPlacement = (f: IrFunction) => {
  const p = planFusion(f, new Map()).get(f.outputs[0]!.id)!;
  if (p.k !== 'buffer') throw new Error(`the output is placed ${describePlacement(p)}`);
  return p;
};

describe('decisions the mutation run showed no plan spelled out (docs/mutation.md, fusion.ts)', () => {
  const x = '  input x: f32[4, 5]\n';
  const mm = '  input x: f32[3, 2]\n  input w: f32[2, 4]\n';
  const cases: [string, string, number][] = [
    // a reduction over a trailing and a leading axis is no row reduction (every reduced axis must trail)
    ['  input x: f32[2, 3, 4]\n  output out = tanh(sum(x, axis = [0, 2]))', 'sum → buffer (reduce kernel), tanh → buffer (map kernel)', 2],
    // a row reduction needs every reader elementwise: one read by concat (pieces) too is its own kernel
    [
      `${x}  let s = sum(x, axis = -1, keepdims = true)\n  output out = concat([s * x, s], 1)`,
      'sum → buffer (reduce kernel), mul → buffer (map kernel), concat → buffer (pieces kernel)',
      3,
    ],
    // a cheap value (x · 2) read by a matmul as well as elementwise is stored where it is made, not recomputed
    [
      `${x}  input w: f32[5, 3]\n  let t = x * 2\n  output out = (t @ w) * 3 + sum(t + 1)`,
      'mul → buffer (map kernel), matmul → epilogue of %10, mul → inline, add → inline, sum → buffer (reduce kernel, late), add → buffer (epilogue kernel)',
      3,
    ],
    // the epilogue goes through a flat reshape only: not through a transpose of it, nor a slice (an offset)
    [
      `${mm}  input y: f32[4, 3]\n  output out = transpose(reshape(x @ w, [3, 4])) + y`,
      'matmul → buffer (contraction kernel, late), transpose → view, add → buffer (map kernel)',
      2,
    ],
    [`${mm}  input y: f32[2, 4]\n  output out = (x @ w)[1:] + y`, 'matmul → buffer (contraction kernel, late), slice → view, add → buffer (map kernel)', 2],
    // a constant a kernel reads from memory is stored
    [`${x}  output out = x @ broadcast_to(2.0, [5, 3])`, 'broadcast_to → constant 2, stored, matmul → buffer (contraction kernel)', 2],
    // row reductions over different numbers of trailing axes make no row kernel (both are stored; a missed fusion)
    [
      '  input x: f32[2, 3, 4]\n  output out = x * sum(x, axis = -1, keepdims = true) * sum(x, axis = [1, 2], keepdims = true)',
      'sum → buffer (reduce kernel, late), mul → inline, sum → buffer (reduce kernel, late), mul → buffer (map kernel)',
      3,
    ],
    // a value computed from a stored row kernel's result, read by a larger elementwise op, is stored once
    [
      `${x}  input y: f32[2, 4, 5]\n  output out = tanh(softmax(x)) + y`,
      'max → row, sub → inline, exp → buffer (row kernel), sum → buffer (reduce kernel, late), div → inline, tanh → inline, add → buffer (map kernel)',
      3,
    ],
    // a broadcast of a per-row value that a matmul reads is made in memory, by the kernel the matmul waits for
    [
      `${x}  input w: f32[5, 3]\n  output out = broadcast_to(x - mean(x, axis = -1, keepdims = true), [2, 4, 5]) @ w`,
      'sum → buffer (reduce kernel, late), div → inline, sub → inline, broadcast_to → buffer (map kernel, late), matmul → buffer (contraction kernel)',
      3,
    ],
    // a kernel op (argmax) reads a transposed input through a contiguous copy
    [`${x}  output out = argmax(transpose(x), axis = -1)`, 'transpose → view, then copied, argmax → buffer (kernel kernel)', 2],
    // a tree reading two matmuls takes neither as its epilogue
    [
      `${mm}  input v: f32[2, 4]\n  output out = x @ w + x @ v`,
      'matmul → buffer (contraction kernel, late), matmul → buffer (contraction kernel, late), add → buffer (map kernel)',
      3,
    ],
    // a cheap bias add of a matmul recomputed inside a root of another shape: no epilogue (the shapes differ)
    [
      `${mm}  input y: f32[2, 3, 4]\n  let h = x @ w + 1\n  output out = h * y + h`,
      'matmul → buffer (contraction kernel, late), add → inline, mul → inline, add → buffer (map kernel)',
      2,
    ],
    // softmax over the last axis of a 3-D value: row kernels with two outer axes
    ['  input x: f32[2, 3, 4]\n  output out = softmax(x)', 'max → row, sub → inline, exp → buffer (row kernel), sum → row, div → buffer (row kernel)', 2],
    // two row reductions over the same trailing axis: one row kernel
    [
      `${x}  output out = x * sum(x, axis = -1, keepdims = true) * max(x, axis = -1, keepdims = true)`,
      'sum → row, mul → inline, max → row, mul → buffer (row kernel)',
      1,
    ],
    // a reduction over every axis and one over the last make no row kernel together
    [
      `${x}  output out = x * sum(x, axis = [0, 1], keepdims = true) * sum(x, axis = -1, keepdims = true)`,
      'sum → buffer (reduce kernel, late), mul → inline, sum → buffer (reduce kernel, late), mul → buffer (map kernel)',
      3,
    ],
    // a broadcast of an inline value stays unmaterialized: its reader evaluates it at its own indices
    [
      `${x}  input y: f32[2, 4, 5]\n  output out = broadcast_to(x - mean(x, axis = -1, keepdims = true), [2, 4, 5]) * y`,
      'sum → buffer (reduce kernel, late), div → inline, sub → inline, broadcast_to → broadcast of %5, mul → buffer (map kernel)',
      2,
    ],
    // a broadcast of a broadcast (expand_dims, then broadcast_to) of an inline per-row value stays unmaterialized
    // too (kills 303:55 and 303:65 of f5e4e6a: without it the first broadcast is made in memory)
    [
      `${x}  input y: f32[2, 4, 5]\n  output out = broadcast_to(expand_dims(x - mean(x, axis = -1, keepdims = true), 0), [2, 4, 5]) * y`,
      'sum → buffer (reduce kernel, late), div → inline, sub → inline, reshape → broadcast of %5, broadcast_to → broadcast of %6, mul → buffer (map kernel)',
      2,
    ],
    // a reduction over no axes is no row reduction
    [`${x}  output out = tanh(sum(x, axis = []))`, 'sum → buffer (reduce kernel), tanh → buffer (map kernel)', 2],
    // four operations on v: f32[4] read once by a broadcasting add over [3, 4] are stored, not recomputed for each
    // of the 3 rows: inlining a value read several times inside one root is for more than one reader (kills 278:11, 279:11)
    [
      '  input v: f32[4]\n  input x: f32[3, 4]\n  output out = x + ((v * 2 + 1) * 3 - 1)',
      'mul → inline, add → inline, mul → inline, sub → buffer (map kernel), add → buffer (map kernel)',
      2,
    ],
    // a value a ReLU reads twice is recomputed at each read only when every inline input costs at most CHEAP_OPS (3)
    // operations: with an input of 4 (… − 1) it is stored (kills 283:11, 283:33, 283:63), with one of exactly 3 it
    // is inline (kills 283:75 ×3)
    [
      `${x}  output out = relu(((x * 2 + 1) * 3 - 1) * (x * 3))`,
      'mul → inline, add → inline, mul → inline, sub → inline, mul → inline, mul → buffer (map kernel), le → inline, where → buffer (map kernel)',
      2,
    ],
    [`${x}  output out = relu((x * 2 + 1) * 3 * x)`, 'mul → inline, add → inline, mul → inline, mul → inline, le → inline, where → buffer (map kernel)', 1],
  ];
  test.each(cases)('%s', (body, words, kernels) => {
    expect(plan(body)).toEqual({ words, kernels });
  });

  test.each([
    // a scalar from a full sum (no keepdims): sum · 2 is computed once per row, not at every element; adding
    // a vector along the row makes a value that varies along it, so that add is not (kills 192:61, i ± lead)
    ['  input x: f32[4, 5]\n  output out = x / (sum(x) * 2 + 1)', ['add']],
    ['  input x: f32[4, 5]\n  input v: f32[5]\n  output out = x / (sum(x) * 2 + v)', ['mul']],
    // a value of lower rank whose axes are outer or 1: v: f32[4, 1] against rows of [2, 4, 5]
    ['  input x: f32[2, 4, 5]\n  input v: f32[4, 1]\n  output out = x / (sum(x, axis = -1, keepdims = true) * 2 + v)', ['add']],
  ])('per-row values of a row kernel, computed once per row: %s', (body, lets) => {
    const f = optimize(selectOutputs(compileOk(`model P {\n${body}\n}`).model().ir.fn, ['out']));
    const root = rootPlacement(f);
    expect(root.kernel.k).toBe('row');
    expect(root.kernel.k === 'row' && root.kernel.lets.map((id) => f.nodes.find((n) => n.id === id)!.op)).toEqual(lets);
  });

  test('scalar arithmetic on constants is folded in the plan (IR the fold pass did not see); on a scalar input it is not', () => {
    const b = new IrBuilder();
    const f32 = (shape: number[]) => ({ dtype: 'f32' as const, shape });
    const xi = b.input('x', 'input', f32([4, 5]), NO_SPAN);
    const si = b.input('s', 'input', f32([]), NO_SPAN);
    const out = b.op('add', [b.op('mul', [xi, b.op('add', [b.num(2), b.num(3)])]), b.op('mul', [si, b.num(2)])]);
    const f = b.finish('f', [{ name: 'out', id: out }]);
    const P = planFusion(f, new Map());
    expect(f.nodes.filter((n) => n.op !== 'input' && n.op !== 'const').map((n) => `${n.op} → ${describePlacement(P.get(n.id)!)}`)).toEqual([
      'add → constant 5',
      'mul → inline',
      'mul → inline',
      'add → buffer (map kernel)',
    ]);
  });
});
