// The fusion plan in words (codegen/fusion.ts): where each node of a few canonical programs lives, and
// how many kernels that makes. These pin the decisions themselves, so a change of a fusion rule shows up
// here as a sentence, not as a changed snapshot of generated code.
import { describe, expect, test } from 'vitest';
import { optimize } from '../compiler/api/model.js';
import { describePlacement, planFusion } from '../compiler/codegen/fusion.js';
import { specialize } from '../compiler/jit/jit.js';
import { selectOutputs } from '../compiler/train/step.js';
import { compileOk } from './helpers/compile.js';

/** `op → placement` for every node of output `out` (inputs and constants left out), and its kernel count. */
const plan = (body: string, dims: Record<string, number> = {}, out = 'out'): { words: string; kernels: number } => {
  const f = optimize(selectOutputs(compileOk(`import nn\nmodel P {\n${body}\n}`).model().ir.fn, [out]));
  const env = new Map(Object.entries(dims));
  const P = planFusion(f, env);
  const words = f.nodes
    .filter((n) => n.op !== 'input' && n.op !== 'const')
    .map((n) => `${n.op} → ${describePlacement(P.get(n.id)!)}`)
    .join(', ');
  return { words, kernels: specialize(f, env, 'f64').schedule.kernels.length };
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
