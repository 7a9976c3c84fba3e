// Non-differentiated model state (`state` + `update`): batch normalization's running statistics move
// toward the batch statistics with every training step, evaluation uses them, and they go through
// checkpoints; gradients never flow into state.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { Trainer } from '../compiler/api/trainer.js';
import { gradcheck } from '../compiler/api/gradcheck.js';
import { loadParams, saveCheckpoint } from '../compiler/cli/checkpoints.js';
import { compileErr, compileOk } from './helpers/compile.js';

const SRC = `import nn
model BN {
  input x: f32[B, 2, 3, 3]
  layer bn = nn.BatchNorm2d(2, momentum = 0.5)
  output y = bn(x)
  loss mean(square(bn(x) - 1))
}`;
const x = { data: Float32Array.from({ length: 4 * 18 }, (_, i) => (i % 18 < 9 ? 3 : -1) + Math.sin(i)), shape: [4, 2, 3, 3] };

describe('batch norm state', () => {
  test('a training step moves the running statistics; evaluation uses them', () => {
    const m = compileOk(SRC).model();
    expect(Object.keys(m.states)).toEqual(['bn.running_mean', 'bn.running_var']);
    expect(m.ir.params.map((p) => p.name)).toEqual(['bn.gamma', 'bn.beta']);
    const before = m.forward({ x }, 'f64').y!.data.slice();
    new Trainer(m, { optimizer: 'sgd', hyper: { lr: 0 } }).step({ x });
    // channel 0 has mean ≈ 3: running mean = 0.5·0 + 0.5·μ
    const mu0 =
      Array.from({ length: 4 }, (_, n) => Array.from({ length: 9 }, (_, k) => x.data[n * 18 + k]!))
        .flat()
        .reduce((a, b) => a + b) / 36;
    expect(m.states['bn.running_mean']![0]).toBeCloseTo(0.5 * mu0, 5);
    expect(m.states['bn.running_var']![0]).toBeGreaterThan(0.5);
    const after = m.forward({ x }, 'f64').y!.data;
    expect(after[0]).not.toBeCloseTo(before[0]!, 3);
    // evaluation is deterministic
    expect([...m.forward({ x }, 'f64').y!.data]).toEqual([...after]);
  });

  test('training-mode output is normalized per channel (mean 0, variance 1)', () => {
    const m = compileOk(SRC).model();
    const y = m.forward({ x }, { training: true, precision: 'f64' }).y!.data;
    const ch0 = Array.from({ length: 4 }, (_, n) => Array.from({ length: 9 }, (_, k) => y[n * 18 + k]!)).flat();
    const mean = ch0.reduce((a, b) => a + b) / ch0.length;
    expect(mean).toBeCloseTo(0, 5);
    expect(ch0.reduce((a, b) => a + (b - mean) ** 2, 0) / ch0.length).toBeCloseTo(1, 3);
  });

  test('gradients of a model with state check out, and state is not a parameter', () => {
    expect(gradcheck(compileOk(SRC).model(), { dims: { B: 4 } }).ok).toBe(true);
  });

  test('state survives a checkpoint', () => {
    const m = compileOk(SRC).model();
    new Trainer(m, { optimizer: 'sgd' }).step({ x });
    const p = join(mkdtempSync(join(tmpdir(), 'dlm-state-')), 'bn.safetensors');
    saveCheckpoint(m, undefined, p, {});
    const m2 = compileOk(SRC).model();
    loadParams(m2, p);
    expect([...m2.states['bn.running_mean']!]).toEqual([...m.states['bn.running_mean']!]);
  });

  test('only a state can be updated', () => {
    const ds = compileErr(
      'layer L() {\n' +
        '  param w: f32[2] = zeros\n' +
        '  fn forward(x) {\n' +
        '    update w = x\n' +
        '    x\n' +
        '  }\n' +
        '}\n' +
        'model M {\n' +
        '  input x: f32[2]\n' +
        '  layer l = L()\n' +
        '  output y = l(x)\n' +
        '}',
    );
    expect(ds[0]!.code).toBe('E0105');
    expect(ds[0]!.message).toContain("only a 'state' can be updated");
  });
});
