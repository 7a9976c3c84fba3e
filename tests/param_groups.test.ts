// Parameter groups (PyTorch's param_groups): `optimizer adamw(…) { group(biases, norms, weight_decay = 0) }`.
// Each parameter follows the update rule with its group's settings: on a loss whose terms do not share
// parameters, every parameter's trajectory equals a run of the plain optimizer with those settings.
import { describe, expect, test } from 'vitest';
import { Trainer } from '../compiler/api/trainer.js';
import { compileErr, compileOk } from './helpers/compile.js';
import { maxRelErr } from './helpers/torchParity.js';

const DUMMY = { dummy: { data: new Float32Array(1), shape: [1] } };
const separable = (opt: string) =>
  compileOk(`model S {
  input dummy: f32[1]
  param a: f32[3] = constant(value = 0.5)
  param W: f32[2, 2] = constant(value = -0.25)
  param c: f32[2] = constant(value = 1.5)
  loss sum(square(a - 1) + 0.1 * square(square(a))) + sum(square(W + 2)) + sum(0.3 * square(square(c)) - c) + 0 * sum(dummy)
  optimizer ${opt}
}`).model();
const run = (opt: string, steps = 10) => {
  const tr = new Trainer(separable(opt), {}, 'f64');
  for (let k = 0; k < steps; k++) tr.step(DUMMY);
  return tr.params;
};

describe('parameter groups', () => {
  test('each parameter follows its own group settings (AdamW, Adagrad with a per-group initial accumulator)', () => {
    const grouped = run('adamw(lr = 0.1, weight_decay = 0.1) {\n  group(biases, weight_decay = 0)\n  group(c, lr = 0.02, amsgrad = true)\n}');
    expect(maxRelErr(grouped['W']!, run('adamw(lr = 0.1, weight_decay = 0.1)')['W']!)).toBeLessThan(1e-14);
    expect(maxRelErr(grouped['a']!, run('adamw(lr = 0.1, weight_decay = 0)')['a']!)).toBeLessThan(1e-14);
    // c is a bias too: both groups apply, the later one's settings on top of the earlier one's
    expect(maxRelErr(grouped['c']!, run('adamw(lr = 0.02, weight_decay = 0, amsgrad = true)')['c']!)).toBeLessThan(1e-14);
    const ada = run('adagrad(lr = 0.5) { group(W, initial_accumulator_value = 0.3) }');
    expect(maxRelErr(ada['W']!, run('adagrad(lr = 0.5, initial_accumulator_value = 0.3)')['W']!)).toBeLessThan(1e-14);
    expect(maxRelErr(ada['a']!, run('adagrad(lr = 0.5)')['a']!)).toBeLessThan(1e-14);
  });

  test("a group's lr follows the schedule: it keeps its ratio to the base rate", () => {
    const tr = new Trainer(separable('sgd(lr = 0.1) { group(W, lr = 0.05) }'), {}, 'f64');
    tr.lr = 0.2; // a schedule doubling the base rate doubles the group's
    tr.step(DUMMY);
    // W starts at −0.25 with gradient 2(W + 2) = 3.5: W ← −0.25 − 0.1·3.5
    [...tr.params['W']!].forEach((w) => {
      expect(w).toBeCloseTo(-0.25 - 0.1 * 3.5, 14);
    });
  });

  test('selectors: biases (rank-1 outside norms), norms (layers named …Norm…), weights (rank ≥ 2), layers and parameters', () => {
    const m = compileOk(`import nn
model M {
  input x: f32[B, 4]
  layer l1 = nn.Dense(4, 3)
  layer ln = nn.LayerNorm(3)
  layer l2 = nn.Dense(3, 2)
  param scale: f32[2] = ones
  loss mean(square(l2(ln(l1(x))) * scale))
  optimizer adamw(lr = 0.001) {
    group(biases, weight_decay = 0)
    group(norms, lr = 0.01)
    group(weights, l1, eps = 1e-6)
    group(l2.W, scale, beta1 = 0.8)
  }
}`).model();
    const groups = new Trainer(m).config.groups!.map((g) => [...g.params].sort());
    expect(groups).toEqual([
      ['l1.b', 'l2.b', 'scale'],
      ['ln.beta', 'ln.gamma'],
      ['l1.W', 'l1.b', 'l2.W'],
      ['l2.W', 'scale'],
    ]);
  });

  test('the same groups from the library: names and settings, checked like declared ones', () => {
    const m = separable('sgd(lr = 0.1)');
    const tr = new Trainer(
      m,
      { optimizer: 'adamw', hyper: { lr: 0.1, weight_decay: 0.1 }, groups: [{ params: ['a', 'c'], hyper: { weight_decay: 0 } }] },
      'f64',
    );
    for (let k = 0; k < 10; k++) tr.step(DUMMY);
    expect(maxRelErr(tr.params['a']!, run('adamw(lr = 0.1, weight_decay = 0)')['a']!)).toBeLessThan(1e-14);
    expect(() => new Trainer(m, { groups: [{ params: ['nope'], hyper: {} }] })).toThrow(/'nope', which is not a parameter/);
    expect(() => new Trainer(m, { groups: [{ params: ['a'], hyper: { momentum: -1 } }] })).toThrow(/'momentum' must not be negative/);
  });

  test('mistakes are diagnostics: an empty selection, no selector, a non-number setting', () => {
    const model = (g: string) =>
      `import nn\nmodel M {\n  input x: f32[B, 4]\n  layer l = nn.Dense(4, 2)\n  loss mean(l(x))\n  optimizer sgd(lr = 0.1) { ${g} }\n}`;
    expect(compileErr(model('group(norms, lr = 0.1)')).map((d) => d.code)).toEqual(['E0221']);
    expect(compileErr(model('group(lr = 0.1)')).map((d) => d.code)).toEqual(['E0104']);
    expect(compileErr(model('group(l, lr = x)')).map((d) => d.code)).toEqual(['E0206']);
    expect(compileErr(model('group(relu, lr = 0.1)')).map((d) => d.code)).toEqual(['E0105']);
  });
});
