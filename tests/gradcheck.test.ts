// The gradient checker itself: losses checked against the parameters they train, training and
// evaluation mode, non-smooth points, huge parameters, and the CLI's report.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { gradcheck } from '../compiler/api/gradcheck.js';
import { main } from '../compiler/cli.js';
import { compileOk } from './helpers/compile.js';

const example = (f: string) => compileOk(readFileSync(`examples/${f}`, 'utf8'), `examples/${f}`).model();
const quick = { directions: 1, elementwiseUpTo: 0 } as const;

describe('several losses', () => {
  // Before: every generator parameter of the DCGAN reported relative error 1.0 (the first loss's finite
  // differences against the gradient of another).
  test('dcgan_small: each loss against the parameters it trains', () => {
    const m = example('dcgan_small.dlm');
    const r = gradcheck(m, quick);
    expect(r.params.filter((p) => !p.ok).map((p) => p.name)).toEqual([]);
    const gen = r.params.filter((p) => p.name.startsWith('gen.'));
    expect(gen.length).toBeGreaterThan(0);
    expect(gen.every((p) => p.loss === 'g_loss' && p.maxRelError < 1e-5)).toBe(true);
    expect(r.params.filter((p) => p.name.startsWith('disc.')).every((p) => p.loss === 'd_loss')).toBe(true);
    expect(Object.keys(r.losses)).toEqual(['d_loss', 'g_loss']);
  }, 60_000);
});

describe('non-smooth points', () => {
  // Before: mix.b1.b failed with relative error 0.48 at the default seed (ties after ReLU feeding max
  // pooling, crossed by a finite-difference step).
  test('inception_small at the default seed passes', () => {
    const r = gradcheck(example('inception_small.dlm'), { ...quick, elementwiseUpTo: 8 });
    const b = r.params.find((p) => p.name === 'mix.b1.b')!;
    expect(b.ok).toBe(true);
    expect(r.ok).toBe(true);
  }, 60_000);

  test('a check that stays at a kink is reported as non-smooth at this point, not as a failure', () => {
    // relu at exactly 0 (w = 0): central differences see half the slope; with no nearby point to move to
    const m = compileOk(`model K {
  input x: f32[B, 3]
  param w: f32[3] = zeros
  loss sum(relu(w)) + mean(square(x * w))
}`).model();
    const r = gradcheck(m, { directions: 2, elementwiseUpTo: 3, moves: 0 });
    expect(r.params[0]!.nonSmooth).toBeGreaterThan(0);
    expect(r.params[0]!.ok).toBe(true);
  });

  test('a kink the step crosses is left for a nearby smooth point, where the check still catches errors', () => {
    // relu at exactly 0 for w = 0 (zeros init): central differences see half the slope
    const src = (rule: string) => `model K {
  input x: f32[B, 3]
  param w: f32[3] = zeros
  loss ${rule} + mean(square(x * w))
}`;
    const ok = gradcheck(compileOk(src('sum(relu(w))')).model(), { directions: 2, elementwiseUpTo: 3 });
    expect(ok.ok).toBe(true);
    expect(ok.params[0]!.nonSmooth).toBe(0);
    expect(ok.params[0]!.checks).toBe(5);
  });
});

describe('training and evaluation mode', () => {
  const SRC = `import nn
model BD {
  input x: f32[B, 2, 3, 3]
  target y: f32[B, 2, 3, 3]
  layer bn = nn.BatchNorm2d(2)
  param w: f32[3] = normal(std = 0.5)
  loss mean(square(nn.dropout(bn(x * w), 0.5) - y))
}`;
  test('training mode (default) differentiates batch statistics and one fixed dropout mask; eval mode on request', () => {
    const m = compileOk(SRC).model();
    const train = gradcheck(m, { dims: { B: 4 } });
    const evalMode = gradcheck(m, { dims: { B: 4 }, training: false });
    expect(train.training).toBe(true);
    expect(evalMode.training).toBe(false);
    expect(train.ok && evalMode.ok).toBe(true);
    expect(train.loss).not.toBeCloseTo(evalMode.loss, 6);
    // the checked losses are the API's in the same mode
    const x = { data: Float32Array.from({ length: 72 }, (_, i) => Math.sin(i)), shape: [4, 2, 3, 3] };
    const t = m.valueAndGrad({ x, y: x }, { training: true, precision: 'f64' }),
      e = m.valueAndGrad({ x, y: x }, { precision: 'f64' });
    expect(t.loss).not.toBeCloseTo(e.loss, 6);
    expect(m.valueAndGrad({ x, y: x }, { training: true, precision: 'f64' }).loss).toBe(t.loss);
  });
});

describe('size', () => {
  // Before: Math.max(...Array.from(g, Math.abs)) overflowed the call stack from ~120k elements.
  test('a model with a 1,000,000-element parameter', () => {
    const m = compileOk(`model Big {
  input x: f32[B, 1000]
  param W: f32[1000, 1000] = normal(std = 0.03)
  loss mean(square(x @ W))
}`).model();
    const r = gradcheck(m, { dims: { B: 2 } });
    expect(r.ok).toBe(true);
    expect(r.params[0]!.checks).toBe(2);
  }, 60_000);
});

describe('dlm gradcheck', () => {
  const run = async (...args: string[]) => {
    const lines: string[] = [];
    const code = await main(args, { log: (s) => lines.push(s), err: (s) => lines.push(s), color: false, stderrIsTTY: false });
    return { code, text: lines.join('\n') };
  };
  test('reports the mode, the loss of each check, and takes --eval-mode', async () => {
    const t = await run('gradcheck', 'examples/gan.dlm');
    expect(t.code).toBe(0);
    expect(t.text).toContain('in training mode');
    expect(t.text).toMatch(/ok +d_loss: /);
    const e = await run('gradcheck', 'examples/mnist_relu.dlm', '--eval-mode');
    expect(e.code).toBe(0);
    expect(e.text).toContain('in evaluation mode');
    expect((await run('gradcheck', 'examples/xor.dlm', '--eval-mode', '--train-mode')).code).toBe(2);
  }, 60_000);
});
