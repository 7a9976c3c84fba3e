// Normalization is explicit and said: statistics from the training split only (not validation or test
// rows), stored in the checkpoint and applied by eval and predict; predict names the classes of a model
// trained on text labels.
import { describe, expect, test } from 'vitest';
import { loadCheckpointFile } from '../../runtime/dlmCheckpoint.js';
import { csv, dlm, scratch, twoFeatureRows } from './helpers.js';

const { file, path } = scratch('normalize');
const CLS = file(
  'cls.dlm',
  `import nn
model Cls {
  input  x: f32[B, 2]
  target y: i32[B]
  layer  l = nn.Dense(2, 2)
  output logits = l(x)
  loss   nn.cross_entropy(logits, y)
  optimizer adam(lr = 0.1)
  train { epochs = 15  batch = 16 }
}
`,
);
// features on very different scales: a in [0, 1000), b in [0, 1)
const scaled = (n: number, seed: number) => twoFeatureRows(n, seed).map(([a, b, c]) => [a * 1000, b, c ? 'big' : 'small'] as const);
const train = file('train.csv', csv('a,b,size', scaled(150, 1)));
const val = file('val.csv', csv('a,b,size', scaled(40, 2)));
const test40 = file('test.csv', csv('a,b,size', scaled(40, 3)));
const meta = (ck: string) => JSON.parse(loadCheckpointFile(ck).info['dlm.data']!);

describe('normalization', () => {
  const ck = path('std.safetensors');
  test("standard by default for tables: the training file's statistics only, stored, and applied by eval and predict", async () => {
    const r = await dlm('train', CLS, '--data', train, '--val-data', val, '--test-data', test40, '--out', ck);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/normalization: standard, per feature, statistics of the 150 training examples \(the default for tables/);
    const m = meta(ck);
    const rows = scaled(150, 1);
    const mean = rows.reduce((s, r) => s + r[0], 0) / rows.length;
    const std = Math.sqrt(rows.reduce((s, r) => s + (r[0] - mean) ** 2, 0) / rows.length);
    expect(m.normalization.kind).toBe('standard');
    expect(m.normalization.shift[0]).toBeCloseTo(mean, 2);
    expect(m.normalization.scale[0]).toBeCloseTo(std, 2);
    expect(m.classNames).toEqual(['big', 'small']);
    const testLine = /test: loss ([\d.]+), accuracy ([\d.]+)%/.exec(r.stdout)!;
    const e = await dlm('eval', CLS, '--checkpoint', ck, '--data', test40);
    expect(e.stdout).toContain(`loss ${testLine[1]}, accuracy ${testLine[2]}%`);
    const x = file(
      'x.json',
      JSON.stringify([
        [950, 0.9],
        [20, 0.05],
      ]),
    );
    const p = await dlm('predict', CLS, '--checkpoint', ck, '--input', `x=${x}`);
    expect(p.code, p.stderr).toBe(0);
    expect(p.stderr).toContain('normalized (standard) with the training statistics');
    expect(JSON.parse(p.stdout).logits_class).toEqual({ shape: [2], data: ['big', 'small'] });
  }, 60_000);

  test('--normalize minmax and none', async () => {
    const mm = path('mm.safetensors');
    const r = await dlm('train', CLS, '--data', train, '--normalize', 'minmax', '--epochs', '1', '--out', mm);
    expect(r.stderr).toMatch(/normalization: minmax, per feature, statistics of the \d+ training examples \(--normalize\)/);
    const n = meta(mm).normalization;
    expect(n.kind).toBe('minmax');
    expect(n.shift[0]).toBeGreaterThanOrEqual(0);
    expect(n.scale[0]).toBeGreaterThan(800);
    const none = path('none.safetensors');
    const q = await dlm('train', CLS, '--data', train, '--normalize', 'none', '--epochs', '1', '--out', none);
    expect(q.stderr).toContain('normalization: none');
    expect(meta(none).normalization).toBeUndefined();
    const bad = await dlm('train', CLS, '--data', train, '--normalize', 'zscore');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--normalize must be standard, minmax, none');
  }, 60_000);
});
