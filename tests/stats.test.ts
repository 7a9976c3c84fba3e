// FLOP counts and memory accounting behind `dlm compile --stats` and the benchmark.
import { expect, test } from 'vitest';
import { compileOrThrow } from '../compiler/index.js';
import { optimize } from '../compiler/api/model.js';
import { Trainer } from '../compiler/api/trainer.js';
import { programFlops, programStats } from '../compiler/codegen/stats.js';
import { specialize } from '../compiler/jit/jit.js';

test('a matmul costs 2·M·N·K, a bias add M·N more', () => {
  const m = compileOrThrow('model M {\n  input a: f32[M, 5]\n  param w: f32[5, 7] = zeros\n  param b: f32[7] = zeros\n  output y = a @ w + b\n}').model();
  expect(programFlops(m.ir.fn, new Map([['M', 3]]))).toBe(2 * 3 * 7 * 5 + 3 * 7);
});

test('a loop body counts once per step: an RNN over T = 8 costs about twice T = 4', () => {
  const m = compileOrThrow(
    'import seq\nmodel R {\n  input x: f32[B, T, 3]\n  layer cell = seq.RNNCell(3, 6)\n  output h = seq.rnn(cell, x, seq.zeros_state(x, 6))\n}',
  ).model();
  const at = (T: number) =>
    programFlops(
      m.ir.fn,
      new Map([
        ['B', 2],
        ['T', T],
      ]),
    );
  expect(at(8) / at(4)).toBeGreaterThan(1.9);
  expect(at(8) / at(4)).toBeLessThan(2.1);
});

test('memory: peak counts parameters, optimizer state and arena; the minimum, gradients and saved activations', () => {
  const m = compileOrThrow(
    'import nn\n' +
      'model M {\n' +
      '  input x: f32[B, 10]\n' +
      '  target y: i32[B]\n' +
      '  layer l1 = nn.Dense(10, 20)\n' +
      '  layer l2 = nn.Dense(20, 3)\n' +
      '  loss nn.cross_entropy(l2(relu(l1(x))), y)\n' +
      '  optimizer adam(lr = 0.01)\n' +
      '}',
  ).model();
  const f = optimize(new Trainer(m).program.fn);
  const spec = specialize(f, new Map([['B', 16]]));
  const st = programStats(f, spec.env, spec.schedule, spec.plan, spec.source);
  const params = (10 * 20 + 20 + 20 * 3 + 3) * 4;
  expect(st.paramBytes).toBe(params);
  expect(st.stateBytes).toBe(2 * params); // Adam's m and v
  expect(st.peakBytes).toBe(3 * params + st.arenaBytes);
  // backward reads at least the hidden activations [16, 20] (relu's input or output)
  expect(st.savedActivationBytes).toBeGreaterThanOrEqual(16 * 20 * 4);
  expect(st.minimumBytes).toBe(2 * params + 2 * params + st.savedActivationBytes);
});

test('saved activations of a training step through a loop: what the forward loop stored per step, not the backward loop’s own', () => {
  // h ← tanh(xₜ + h·U), T = 4, B = 2, H = 3: backward reads the forward loop's h before each step and the stored
  // h·U per step (scan_out reads, [4, 2, 3] each = 96 bytes); its own loop's results (dz) are not saved activations
  const m = compileOrThrow(
    'model R {\n  input x: f32[4, 2, 3]\n  param U: f32[3, 3] = zeros\n  fn step(h, xt) = tanh(xt + h @ U)\n' +
      '  loss sum(scan(step, broadcast_to(0, [2, 3]), x)[-1])\n  optimizer sgd(lr = 0.1)\n}',
  ).model();
  const f = optimize(new Trainer(m).program.fn);
  const spec = specialize(f, new Map());
  expect(programStats(f, spec.env, spec.schedule, spec.plan, spec.source).savedActivationBytes).toBe(2 * 4 * 2 * 3 * 4);
});
