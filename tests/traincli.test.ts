// `dlm train`, `eval` and `predict` end to end on small slices of the bundled digits: checkpoint, log
// and curves written; the train block supplies defaults and flags override it; --resume continues;
// corrupt or mismatched checkpoints give clear errors and leave files as they were.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadSafetensors } from '../runtime/checkpoint.js';
import { runCli as run } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'dlm-train-'));
const MODEL = join(dir, 'small.dlm');
writeFileSync(
  MODEL,
  `import nn
model Small {
  input x: f32[B, 784]
  target y: i32[B]
  layer l1 = nn.Dense(784, 16)
  layer l2 = nn.Dense(16, 10)
  output logits = l2(relu(l1(x)))
  loss nn.cross_entropy(logits, y)
  optimizer adam(lr = 0.01)
  train {
    epochs = 2
    batch = 50
    schedule = cosine
  }
}
`,
);

describe('dlm train', () => {
  const ckpt = join(dir, 'small.safetensors');

  test('trains with the train block settings and writes checkpoint, log and curves', async () => {
    const r = await run('train', MODEL, '--limit', '1000', '--out', ckpt);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('batch 50, 2 epochs');
    expect(r.stdout).toMatch(/test: loss [\d.]+, accuracy [\d.]+%/);
    const log = readFileSync(ckpt.replace('.safetensors', '.log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(log.map((l) => l.epoch)).toEqual([1, 2]);
    expect(log[1].lr).toBeLessThan(log[0].lr); // cosine schedule
    expect(readFileSync(ckpt.replace('.safetensors', '.curves.svg'), 'utf8')).toMatch(/^<svg[\s\S]*polyline[\s\S]*<\/svg>/);
    const { tensors, metadata } = loadSafetensors(ckpt);
    expect(Object.keys(tensors)).toContain('l1.W');
    expect(Object.keys(tensors)).toContain('@optimizer/l1.W.m');
    expect(metadata['step']).toBe(String(2 * 20));
  }, 60_000);

  test('flags override the train block; --resume continues the step count', async () => {
    const r = await run('train', MODEL, '--limit', '500', '--epochs', '3', '--batch', '100', '--resume', ckpt, '--out', join(dir, 'resumed.safetensors'));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('batch 100, 3 epochs');
    expect(loadSafetensors(join(dir, 'resumed.safetensors')).metadata['step']).toBe(String(40 + 5));
  }, 60_000);

  test('--clip-norm: the log shows the global gradient norm before clipping and the share of steps clipped', async () => {
    const log = (c: string) => {
      const out = join(dir, `clip${c}.safetensors`);
      return run('train', MODEL, '--limit', '300', '--epochs', '1', '--clip-norm', c, '--out', out).then((r) => {
        expect(r.code).toBe(0);
        return JSON.parse(readFileSync(out.replace('.safetensors', '.log.jsonl'), 'utf8').trim()).terms;
      });
    };
    const tight = await log('0.0001'),
      loose = await log('1000');
    expect(tight.grad_norm).toBeGreaterThan(0.0001);
    expect(tight.clipped).toBe(1);
    expect(loose.clipped).toBe(0);
  }, 60_000);

  test('eval and predict use a checkpoint', async () => {
    const e = await run('eval', MODEL, '--checkpoint', ckpt);
    expect(e.code).toBe(0);
    expect(e.stdout).toMatch(/accuracy [\d.]+%/);
    const x = join(dir, 'x.json');
    writeFileSync(x, JSON.stringify([Array(784).fill(0.5)]));
    const p = await run('predict', MODEL, '--checkpoint', ckpt, '--input', `x=${x}`);
    expect(p.code).toBe(0);
    expect(JSON.parse(p.stdout).logits.shape).toEqual([1, 10]);
  }, 60_000);

  test('a corrupt checkpoint is a clear error and is left untouched', async () => {
    const bad = join(dir, 'bad.safetensors');
    writeFileSync(bad, Buffer.from([1, 2, 3]));
    const r = await run('eval', MODEL, '--checkpoint', bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('bad.safetensors');
    expect([...readFileSync(bad)]).toEqual([1, 2, 3]);
  });

  test('a checkpoint of another model names the mismatching tensor', async () => {
    const other = join(dir, 'other.dlm');
    writeFileSync(other, readFileSync(MODEL, 'utf8').replace('nn.Dense(784, 16)', 'nn.Dense(784, 8)').replace('nn.Dense(16, 10)', 'nn.Dense(8, 10)'));
    const r = await run('eval', other, '--checkpoint', ckpt);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/'l1\.W' has shape \[784, 16\] but Small declares \[784, 8\]/);
  });

  test('an unknown train setting is E0111', async () => {
    const f = join(dir, 'badtrain.dlm');
    writeFileSync(f, 'model M {\n  input x: f32[B, 2]\n  loss sum(x)\n  train {\n    epocs = 3\n  }\n}\n');
    const r = await run('check', f);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('E0111');
    expect(existsSync(f)).toBe(true);
  });
});
