// Training: every optimizer follows its formula on a quadratic (checked against a trajectory computed
// by hand in the test), the compiled step is reproducible bit for bit, a non-finite loss is reported
// at its source without touching the parameters, and training on the bundled digits learns.
import { describe, expect, test } from 'vitest';
import { Trainer } from '../compiler/api/trainer.js';
import { RunError } from '../compiler/api/errors.js';
import { fit, evaluate } from '../compiler/api/fit.js';
import { loadBundledMnist } from '../runtime/data/mnist.js';
import { compileOk } from './helpers/compile.js';

// L(w) = ½ Σ (w − c)², so ∇L = w − c.
const C = [1, -2, 0.5];
const quadratic = (opt: string) =>
  compileOk(`
model Q {
  input dummy: f32[1]
  param w: f32[3] = constant(value = 0.3)
  loss 0.5 * sum(square(w - [1.0, -2.0, 0.5])) + 0 * sum(dummy)
  optimizer ${opt}
}`).model();

type Rule = (w: number[], g: number[], s: Record<string, number[]>, t: number) => number[];
const REFERENCE: Record<string, [string, Rule]> = {
  sgd: ['sgd(lr = 0.1)', (w, g) => w.map((x, i) => x - 0.1 * g[i]!)],
  momentum: [
    'sgd(lr = 0.1, momentum = 0.9)',
    (w, g, s) => {
      s['v'] = (s['v'] ?? [0, 0, 0]).map((v, i) => 0.9 * v + g[i]!);
      return w.map((x, i) => x - 0.1 * s['v']![i]!);
    },
  ],
  nesterov: [
    'sgd(lr = 0.1, momentum = 0.9, nesterov = 1)',
    (w, g, s) => {
      s['v'] = (s['v'] ?? [0, 0, 0]).map((v, i) => 0.9 * v + g[i]!);
      return w.map((x, i) => x - 0.1 * (g[i]! + 0.9 * s['v']![i]!));
    },
  ],
  // Adagrad and RMSprop in PyTorch's form, the default: ε outside the root, θ −= η·g/(√G + ε)
  adagrad: [
    'adagrad(lr = 0.5)',
    (w, g, s) => {
      s['G'] = (s['G'] ?? [0, 0, 0]).map((G, i) => G + g[i]! ** 2);
      return w.map((x, i) => x - (0.5 * g[i]!) / (Math.sqrt(s['G']![i]!) + 1e-10));
    },
  ],
  rmsprop: [
    'rmsprop(lr = 0.05)',
    (w, g, s) => {
      s['E'] = (s['E'] ?? [0, 0, 0]).map((E, i) => 0.9 * E + 0.1 * g[i]! ** 2);
      return w.map((x, i) => x - (0.05 * g[i]!) / (Math.sqrt(s['E']![i]!) + 1e-8));
    },
  ],
  adadelta: [
    'adadelta(lr = 1.0)',
    (w, g, s) => {
      s['Eg'] = (s['Eg'] ?? [0, 0, 0]).map((E, i) => 0.9 * E + 0.1 * g[i]! ** 2);
      const d = g.map((gi, i) => (-Math.sqrt((s['Ed'] ?? [0, 0, 0])[i]! + 1e-6) / Math.sqrt(s['Eg']![i]! + 1e-6)) * gi);
      s['Ed'] = (s['Ed'] ?? [0, 0, 0]).map((E, i) => 0.9 * E + 0.1 * d[i]! ** 2);
      return w.map((x, i) => x + d[i]!);
    },
  ],
  adam: [
    'adam(lr = 0.1)',
    (w, g, s, t) => {
      s['m'] = (s['m'] ?? [0, 0, 0]).map((m, i) => 0.9 * m + 0.1 * g[i]!);
      s['v'] = (s['v'] ?? [0, 0, 0]).map((v, i) => 0.999 * v + 0.001 * g[i]! ** 2);
      return w.map((x, i) => x - (0.1 * (s['m']![i]! / (1 - 0.9 ** t))) / (Math.sqrt(s['v']![i]! / (1 - 0.999 ** t)) + 1e-8));
    },
  ],
  adamw: [
    'adamw(lr = 0.1, weight_decay = 0.1)',
    (w, g, s, t) => {
      s['m'] = (s['m'] ?? [0, 0, 0]).map((m, i) => 0.9 * m + 0.1 * g[i]!);
      s['v'] = (s['v'] ?? [0, 0, 0]).map((v, i) => 0.999 * v + 0.001 * g[i]! ** 2);
      return w.map((x, i) => x - 0.1 * (s['m']![i]! / (1 - 0.9 ** t) / (Math.sqrt(s['v']![i]! / (1 - 0.999 ** t)) + 1e-8) + 0.1 * x));
    },
  ],
};

describe('optimizers follow their formulas', () => {
  test.each(Object.entries(REFERENCE))('%s', (_name, [decl, rule]) => {
    const model = quadratic(decl);
    const trainer = new Trainer(model);
    let w = [0.3, 0.3, 0.3];
    const state: Record<string, number[]> = {};
    for (let t = 1; t <= 20; t++) {
      const g = w.map((x, i) => x - C[i]!);
      w = rule(w, g, state, t);
      trainer.step({ dummy: { data: new Float32Array(1), shape: [1] } });
      [...model.params['w']!].forEach((x, i) => {
        expect(x).toBeCloseTo(w[i]!, 4);
      });
    }
  });
});

describe('training', () => {
  const source = `import nn
model Digits {
  input x: f32[B, 784]
  target y: i32[B]
  layer l1 = nn.Dense(784, 32)
  layer l2 = nn.Dense(32, 10)
  output logits = l2(relu(l1(x)))
  loss nn.cross_entropy(logits, y)
  optimizer adam(lr = 0.005)
}`;
  const { train, test: held } = loadBundledMnist({ seed: 0 });

  test('learns the bundled digits (> 85% held out after 2 epochs on 4000 digits)', () => {
    const model = compileOk(source).model(undefined, { seed: 1 });
    const sub = { ...train, x: train.x.subarray(0, 4000 * 784), y: train.y.subarray(0, 4000), count: 4000 };
    const before = evaluate(model, held, 500);
    fit(new Trainer(model), sub, undefined, { epochs: 2, batchSize: 32, seed: 3 });
    const after = evaluate(model, held, 500);
    expect(before.accuracy!).toBeLessThan(0.3);
    expect(after.accuracy!).toBeGreaterThan(0.85);
    expect(after.loss).toBeLessThan(before.loss);
  });

  test('the same seed gives bit-identical parameters and trajectories', () => {
    const run = () => {
      const model = compileOk(source).model(undefined, { seed: 5 });
      const sub = { ...train, x: train.x.subarray(0, 500 * 784), y: train.y.subarray(0, 500), count: 500 };
      const losses = fit(new Trainer(model), sub, undefined, { epochs: 1, batchSize: 50, seed: 9 }).map((r) => r.trainLoss);
      return { losses, w: model.params['l1.W']!.slice() };
    };
    const a = run(),
      b = run();
    expect(a.losses).toEqual(b.losses);
    expect(Buffer.from(a.w.buffer).equals(Buffer.from(b.w.buffer))).toBe(true);
  });

  test('a non-finite loss is reported at its source and leaves the parameters untouched', () => {
    const model = compileOk(`
model Blowup {
  input x: f32[B, 2]
  param w: f32[2] = ones
  let r = log(x * w)
  loss sum(r)
}`).model();
    const trainer = new Trainer(model, { optimizer: 'sgd' });
    const before = model.params['w']!.slice();
    let err: unknown;
    try {
      trainer.step({ x: { data: Float32Array.from([1, -1]), shape: [1, 2] } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RunError);
    const d = (err as RunError).diagnostics[0]!;
    expect(d.code).toBe('E0404');
    expect(d.notes[0]!.message).toContain("log ('r')");
    expect([...model.params['w']!]).toEqual([...before]);
    expect(trainer.t).toBe(0);
  });
});
