// Checks of the scheduler's shared state (compiler/codegen/scheduleContext.ts) written to kill the
// mutants `npm run mutate` left surviving there (docs/mutation.md lists them, and why the rest are
// equivalent): compiled float64 values against the interpreter where a loop body's arena or a kernel's
// buffer list matters, and what a loop body copies for a SIMD matmul.
import { describe, expect, test } from 'vitest';
import { fnOf, worst } from './helpers/compiledVsInterp.js';
import { schedule } from '../compiler/codegen/schedule.js';
import { specialize } from '../compiler/jit/jit.js';

const RNN = `model R {
  input x: f32[3, 2, 3]
  input W: f32[3, 4]
  input U: f32[4, 4]
  fn step(h, xt) = tanh(xt @ W + h @ U)
  let hs = scan(step, [broadcast_to(0, [2, 4])], x)[0]
  output out = hs * 2
  output states = hs
  output y = exp(x)
}`;

describe('scheduleContext.ts: temporaries and kernels', () => {
  test('a loop body’s arena is a temporary sized by the body’s own plan, and the loop computes the interpreter’s values', () => {
    // without `body` on the arena it is a buffer of size 0, and the body's buffers overlap the parent's (kills 76:78, 76:104);
    // `states`, the stacked carries from step 1 on, is a window at an offset: given out, it is copied (kills 130:28, 130:36)
    const f = fnOf(RNN);
    const s = specialize(f, new Map(), 'f64', [], undefined, 'js');
    const arenas = s.schedule.temps.filter((t) => t.body !== undefined);
    expect(arenas.map((t) => [t.body, t.size])).toEqual([[0, 0]]);
    const placed = s.plan.placements.find((p) => p.name === arenas[0]!.name)!;
    expect(placed.size).toBe(s.plan.subs[0]!.arenaSize);
    expect(placed.size).toBeGreaterThan(0);
    expect(worst(f)).toBeLessThan(1e-12);
  });

  test('a kernel reads the buffers its guarded statements load (a padded convolution’s im2col)', () => {
    // im2col loads the image only inside `if` bounds checks: a kernel that did not list it would not be passed it (kills 89:30, 89:38)
    const f = fnOf('model C {\n  input img: f32[1, 1, 3, 3]\n  input K: f32[1, 1, 2, 2]\n  output c = conv2d(img, K, padding = 1)\n}');
    expect(worst(f)).toBeLessThan(1e-12);
  });
});

describe('nodeKernels.ts: kernels of their own', () => {
  test('pieces: a concat writes each input at its start, a pad fills around its input', () => {
    const f = fnOf(
      'model C {\n  input x: f32[2, 3]\n  input y: f32[2, 2]\n  output c = concat([tanh(x), y, x], axis = 1) * 2\n  output p = pad(y, [1, 0], [0, 2])\n}',
    );
    expect(worst(f)).toBeLessThan(1e-12);
  });
});

describe('scheduleContext.ts: SIMD operands in a loop body', () => {
  test('JavaScript addressing copies a batch input for a SIMD matmul, but never a loop body’s input (the parent’s buffers)', () => {
    // schedule's defaults: JavaScript addressing, SIMD on; the body's inputs (h, x_t, W, U) are the scan
    // kernel's carries, slices and captures (kills 152:75 `loopBody: false` and 152:86)
    const s = schedule(fnOf(RNN), new Map());
    const notes = (k: readonly { note: string }[]) => k.map((x) => x.note.split(' ').slice(0, 2).join(' '));
    expect(notes(s.subs[0]!.schedule.kernels)).toEqual(['matmul ->', 'matmul ->', 'tanh ->']);
    // the same matmul at the top level copies its batch input
    const top = schedule(fnOf('model M {\n  input h: f32[2, 4]\n  input U: f32[4, 4]\n  output out = h @ U\n}'), new Map());
    expect(notes(top.kernels)).toEqual(['copy of', 'matmul ->']);
  });
});

describe('placement.ts: where a kernel reads a value', () => {
  const inputs = ['x: f32[4, 5]', 'v: f32[5, 3]', 'z: f32[2, 4, 3]', 'b: f32[1, 3]', 'img: f32[2, 1, 3, 3]', 'K: f32[1, 1, 2, 2]'];
  const model = (body: string) => fnOf(`model P {\n${inputs.map((i) => `  input ${i}\n`).join('')}${body}\n}`);

  test('a slice at an offset read by a kernel op whole is copied from its start (conv2d of the second image)', () => {
    // img[1:2] is contiguous but starts at element 9: a kernel op reads buffers from 0 (kills 65:10)
    expect(worst(model('  output c = conv2d(img[1:2], K, padding = 1)'))).toBeLessThan(1e-12);
  });

  test('a transposed [1, 3] value is still contiguous: given out, it is its own buffer, not copied', () => {
    // the size-1 axis's stride does not matter (kills 65:64)
    const s = specialize(model('  output o = transpose(exp(b))'), new Map(), 'f64', [], undefined, 'js').schedule;
    expect(s.kernels.map((k) => k.note.split(' ')[0])).toEqual(['exp']);
  });

  const centred = 'broadcast_to(x - mean(x, axis = -1, keepdims = true), [2, 4, 5])';
  test('a broadcast of an inline value made in memory for a matmul: a leaf of lower rank reads its size-1 axes with stride 0', () => {
    // the broadcast's kernel loops over [2, 4, 5] and reads the row sums [4, 1] at stride 0 along the 5 (kills 74:60)
    expect(worst(model(`  output o = ${centred} @ v`))).toBeLessThan(1e-12);
  });

  test('an index-reading op inline in a loop of higher rank reads its own axes (rand)', () => {
    // uniform's value depends on its flat index over [4, 3], read at axes 1 and 2 of the [2, 4, 3] loop (kills 130:29)
    expect(worst(model('  output o = broadcast_to(rand([4, 3]), [2, 4, 3]) + z'))).toBeLessThan(1e-12);
  });

  test('a broadcast of a broadcast made in memory for a matmul is its inline input’s tree', () => {
    // the kernel root is a reshape (adding an axis) of the broadcast of x − mean: the tree goes through both views (kills 120:11, 120:22)
    expect(worst(model(`  output o = reshape(${centred}, [1, 2, 4, 5]) @ v`))).toBeLessThan(1e-12);
  });
});
