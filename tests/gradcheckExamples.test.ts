// `gradcheck` on every example in examples/ that declares a loss, in training mode (batch statistics,
// one fixed dropout mask), each loss against the parameters it trains. The dims are the checker's
// small defaults (3 for each symbolic dim); two random directions per parameter and element by element
// up to 4 elements keep the whole sweep near a minute on two busy cores.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { gradcheck } from '../compiler/api/gradcheck.js';
import { compileOk } from './helpers/compile.js';

const examples = readdirSync('examples')
  .filter((f) => f.endsWith('.dlm'))
  .sort();
const withLoss = examples.filter((f) => compileOk(readFileSync(`examples/${f}`, 'utf8'), `examples/${f}`).model().ir.hasLoss);

describe('gradcheck on every example with a loss (training mode)', () => {
  test('the sweep covers the examples', () => {
    // hopfield stores its patterns with the Hebbian rule and linear_regression runs its own gradient steps: no loss
    expect(examples.filter((f) => !withLoss.includes(f))).toEqual(['hopfield.dlm', 'linear_regression.dlm']);
    expect(withLoss).toContain('dcgan_small.dlm');
  });
  test.each(withLoss)(
    '%s',
    (file) => {
      const m = compileOk(readFileSync(`examples/${file}`, 'utf8'), `examples/${file}`).model();
      const r = gradcheck(m, { directions: 2, elementwiseUpTo: 4 });
      const bad = r.params
        .filter((p) => !p.ok)
        .map((p) => `${p.loss ?? ''} ${p.name}: rel ${p.maxRelError.toExponential(2)}, f32 ${p.f32RelError.toExponential(2)}`);
      expect(bad).toEqual([]);
      expect(r.training).toBe(true);
      // every loss checked against every parameter it trains
      expect(r.params.length).toBe(m.ir.losses.reduce((n, l) => n + l.params.length, 0));
    },
    120_000,
  );
});
