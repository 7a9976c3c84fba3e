// Dropout, the first random op in generated code: inverted scaling while training, the identity when
// evaluating, a fresh mask every step, and the same masks again for the same seed.
import { describe, expect, test } from 'vitest';
import { Trainer } from '../compiler/api/trainer.js';
import { compileOk } from './helpers/compile.js';

const SRC = `import nn
model D {
  input x: f32[B, 1000]
  param s: f32[1000] = ones
  output y = nn.dropout(x * s, 0.3)
  loss mean(y)
}`;

describe('dropout', () => {
  const x = { data: new Float32Array(2000).fill(1), shape: [2, 1000] };

  test('is the identity when evaluating, whatever the key', () => {
    const m = compileOk(SRC).model(undefined, { seed: 3 });
    expect([...m.forward({ x }).y!.data].every((v) => v === 1)).toBe(true);
  });

  test('while training: drops about p of the elements and scales the rest by 1/(1-p)', () => {
    const m = compileOk(SRC).model();
    const y = [...m.forward({ x }, { training: true }).y!.data];
    const dropped = y.filter((v) => v === 0).length / y.length;
    expect(dropped).toBeGreaterThan(0.26);
    expect(dropped).toBeLessThan(0.34);
    y.filter((v) => v !== 0).forEach((v) => {
      expect(v).toBeCloseTo(1 / 0.7, 5);
    });
  });

  test('training mode through the API: the same mask for the same key, another for another key', () => {
    const m = compileOk(SRC).model(undefined, { seed: 5 });
    const mask = (key?: number) =>
      [...m.forward({ x }, { training: true, ...(key === undefined ? {} : { key }) }).y!.data].map((v) => (v === 0 ? 0 : 1)).join('');
    expect(mask()).toBe(mask());
    expect(mask()).toBe(mask(5));
    expect(mask(6)).not.toBe(mask(5));
    // the gradient in training mode is the masked one: zero exactly where the output was dropped
    const g = m.valueAndGrad({ x }, { training: true }).grads['s']!;
    const y = m.forward({ x }, { training: true }).y!.data;
    for (let i = 0; i < 1000; i++) expect(g[i] === 0).toBe(y[i] === 0 && y[1000 + i] === 0);
    expect([...m.valueAndGrad({ x }).grads['s']!].every((v) => Math.abs(v - 1 / 1000) < 1e-9)).toBe(true);
  });

  test('masks change every step and replay exactly from the seed', () => {
    const masks = (seed: number) => {
      const m = compileOk(SRC).model(undefined, { seed });
      // The training step computes only what the loss needs (not the output y), so the mask is read from
      // the update: with SGD at lr 1, ∂loss/∂sᵢ ≠ 0 exactly where element i was kept.
      const t = new Trainer(m, { optimizer: 'sgd', hyper: { lr: 1 } });
      return [0, 1].map(() => {
        const before = [...m.params['s']!];
        t.step({ x });
        const after = m.params['s']!;
        return before.map((v, i) => (after[i] === v ? 0 : 1)).join('');
      });
    };
    const a = masks(1),
      b = masks(1),
      c = masks(2);
    expect(a[0]).not.toBe(a[1]);
    expect(a).toEqual(b);
    expect(a[0]).not.toBe(c[0]);
  });
});
