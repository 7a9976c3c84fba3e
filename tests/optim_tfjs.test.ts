// dlm's optimizers against TensorFlow.js's optimizers of the same name, for a few steps on a quadratic
// (gradients given directly to tfjs's applyGradients, so only the update rules are compared).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, test } from 'vitest';
import { Trainer } from '../compiler/api/trainer.js';
import { compileOk } from './helpers/compile.js';

const C = [1, -2, 0.5];
beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

// [dlm optimizer declaration, tfjs optimizer]; tfjs's epsilons and decays set to match dlm's.
const CASES: [string, () => tf.Optimizer][] = [
  ['sgd(lr = 0.1)', () => tf.train.sgd(0.1)],
  ['sgd(lr = 0.1, momentum = 0.9)', () => tf.train.momentum(0.1, 0.9)],
  ['sgd(lr = 0.1, momentum = 0.9, nesterov = 1)', () => tf.train.momentum(0.1, 0.9, true)],
  // tfjs puts ε inside the root, √(G + ε): dlm's eps_inside = true
  ['adagrad(lr = 0.5, eps = 1e-8, eps_inside = true)', () => tf.train.adagrad(0.5, 0)],
  ['adam(lr = 0.1, beta1 = 0.9, beta2 = 0.999, eps = 1e-7)', () => tf.train.adam(0.1, 0.9, 0.999, 1e-7)],
  ['rmsprop(lr = 0.05, rho = 0.9, eps = 1e-8, eps_inside = true)', () => tf.train.rmsprop(0.05, 0.9, 0, 1e-8)],
  ['rmsprop(lr = 0.05, rho = 0.9, eps = 1e-8, eps_inside = true, momentum = 0.5)', () => tf.train.rmsprop(0.05, 0.9, 0.5, 1e-8)],
  ['rmsprop(lr = 0.05, rho = 0.9, eps = 1e-8, eps_inside = true, centered = true)', () => tf.train.rmsprop(0.05, 0.9, 0, 1e-8, true)],
  // Not Adadelta: tfjs 4.22 divides by the accumulator from before this step's update (its first step
  // is a plain gradient step), unlike TensorFlow's ApplyAdadelta and the textbook rule dlm follows;
  // tests/train.test.ts checks dlm's Adadelta against the formula.
];

describe('optimizers match TensorFlow.js', () => {
  test.each(CASES)('%s', (decl, make) => {
    const m = compileOk(
      `model Q {\n` +
        `  input dummy: f32[1]\n` +
        `  param w: f32[3] = constant(value = 0.3)\n` +
        `  loss 0.5 * sum(square(w - [1.0, -2.0, 0.5])) + 0 * sum(dummy)\n` +
        `  optimizer ${decl}\n` +
        `}`,
    ).model();
    const trainer = new Trainer(m);
    const v = tf.variable(tf.tensor1d([0.3, 0.3, 0.3]));
    const opt = make();
    for (let step = 0; step < 8; step++) {
      const w = v.dataSync();
      const g = tf.tensor1d(Array.from(w, (x, i) => x - C[i]!));
      opt.applyGradients({ [v.name]: g });
      g.dispose();
      trainer.step({ dummy: { data: new Float32Array(1), shape: [1] } });
      const want = v.dataSync();
      m.params['w']!.forEach((x, i) => {
        expect(x).toBeCloseTo(want[i]!, 4);
      });
    }
    opt.dispose();
    v.dispose();
  });
});
