// In-place updates (codegen/inplace.ts) change where new parameter values are written, never what they
// are: training with them on and off gives bit-identical parameters, optimizer state and running
// statistics — with Adam, batch norm, a scan capturing the weights it updates, and two losses sharing
// a network. A NaN loss still leaves every parameter untouched.
import { describe, expect, test } from 'vitest';
import { compileOrThrow } from '../compiler/index.js';
import { lstmMomentumSource, twoLossesSource } from './helpers/models.js';
import { Trainer } from '../compiler/api/trainer.js';
import { optimize } from '../compiler/api/model.js';
import { specialize } from '../compiler/jit/jit.js';
import { Rng } from '../runtime/random.js';
import type { Tensor } from '../runtime/tensor.js';

const MODELS: Record<string, string> = {
  adam_batchnorm: `import nn
model M {
  input x: f32[B, 1, 6, 6]
  target y: i32[B]
  layer conv = nn.Conv2d(1, 4, 3, padding = 1)
  layer bn = nn.BatchNorm2d(4)
  layer out = nn.Dense(4 * 36, 3)
  output logits = out(reshape(relu(bn(conv(x))), [dim(x, 0), 4 * 36]))
  loss nn.cross_entropy(logits, y)
  optimizer adam(lr = 0.01)
}`,
  lstm_momentum: lstmMomentumSource(5, 3, 8),
  two_losses: twoLossesSource(4),
};

const batch = (name: string, seed: number): Record<string, Tensor> => {
  const r = new Rng(seed);
  const f = (n: number) => Float32Array.from({ length: n }, () => r.normal());
  const B = 4;
  if (name === 'adam_batchnorm')
    return { x: { data: f(B * 36), shape: [B, 1, 6, 6] }, y: { data: Int32Array.from({ length: B }, () => r.int(3)), shape: [B] } };
  if (name === 'lstm_momentum')
    return { x: { data: f(B * 15), shape: [B, 5, 3] }, y: { data: Int32Array.from({ length: B * 5 }, () => r.int(3)), shape: [B, 5] } };
  return { x: { data: f(B * 4), shape: [B, 4] } };
};

const train = (name: string, disable: string[]) => {
  const m = compileOrThrow(MODELS[name]!).model('M', { seed: 1, passes: { disable } });
  const t = new Trainer(m);
  for (let s = 0; s < 4; s++) t.step(batch(name, s));
  return { params: m.params, states: m.states, slots: t.state };
};

describe.each(Object.keys(MODELS))('%s', (name) => {
  test('every update is written in place', () => {
    const t = new Trainer(compileOrThrow(MODELS[name]!).model('M', { seed: 1 }));
    const spec = specialize(optimize(t.program.fn), new Map([['B', 4]]));
    expect(spec.schedule.updates.length).toBeGreaterThan(0);
    expect(spec.schedule.updates.filter((u) => !u.inPlace)).toEqual([]);
    // no arena value copied back into an input (a home's copy from or to the caller's array is `ins[i]`)
    expect(spec.source).not.toMatch(/\bin\d+\.set\(t\d+/);
  });

  test('bit-identical to copying the new values back', () => {
    const on = train(name, []),
      off = train(name, ['inplace']);
    for (const group of ['params', 'states', 'slots'] as const) {
      for (const [k, v] of Object.entries(off[group])) expect(Array.from(on[group][k]!), `${group} ${k}`).toEqual(Array.from(v));
    }
  });
});

test('a non-finite loss leaves parameters and optimizer state untouched', () => {
  const m = compileOrThrow(MODELS['two_losses']!).model('M', { seed: 1 });
  const t = new Trainer(m);
  t.step(batch('two_losses', 0));
  const before = JSON.stringify([m.params, t.state]);
  const bad = batch('two_losses', 1);
  (bad['x']!.data as Float32Array)[3] = NaN;
  expect(() => t.step(bad)).toThrow(/loss became NaN/);
  expect(JSON.stringify([m.params, t.state])).toBe(before);
});

test('plain SGD (no momentum) keeps no velocity: no optimizer state at all', () => {
  const t = new Trainer(compileOrThrow(MODELS['two_losses']!.replace('trains d with adam(lr = 0.01)', 'trains d with sgd(lr = 0.01)')).model('M', { seed: 1 }));
  expect(t.slots.map((s) => s.name)).toEqual([]);
  expect(Object.keys(t.state)).toEqual([]);
});
