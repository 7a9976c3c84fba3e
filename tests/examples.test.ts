// Every example compiles and trains from the CLI to its stated result: the MNIST networks reach their
// accuracy targets on the 2,000 held-out digits within their default epochs, XOR defeats the
// perceptron but not the two-layer network, and gradient descent finds the least-squares line.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { main } from '../compiler/cli.js';
import type { Out } from '../compiler/cli/io.js';
import { compileFile } from '../compiler/index.js';
import { loadBundledMnist } from '../runtime/data/mnist.js';
import { pcaReconstructionMse } from './helpers/pca.js';

const dir = mkdtempSync(join(tmpdir(), 'dlm-examples-'));
const train = async (...args: string[]) => {
  const o: string[] = [];
  const out: Out = { log: (s) => o.push(s), err: () => {}, color: false, stderrIsTTY: false };
  const code = await main(['train', ...args, '--out', join(dir, `${args.join('_').replace(/\W+/g, '_')}.safetensors`)], out);
  expect(code).toBe(0);
  return Number(/accuracy ([\d.]+)%/.exec(o.join('\n'))![1]) / 100;
};

describe('examples', () => {
  test.each(readdirSync('examples').filter((f) => f.endsWith('.dlm')))('%s compiles', (f) => {
    expect(compileFile(join('examples', f))._tag).toBe('Right');
  });

  test('mnist_mlp (784-16-16-10 sigmoid) reaches ≥ 90% on the held-out digits', async () => {
    expect(await train('examples/mnist_mlp.dlm')).toBeGreaterThanOrEqual(0.9);
  }, 120_000);

  test('mnist_relu (784-128-64-10, dropout, Adam) reaches ≥ 95%', async () => {
    expect(await train('examples/mnist_relu.dlm')).toBeGreaterThanOrEqual(0.95);
  }, 120_000);

  test('lenet5 (conv, pool, conv, pool, dense ×3) reaches ≥ 97%', async () => {
    expect(await train('examples/lenet5.dlm')).toBeGreaterThanOrEqual(0.97);
  }, 240_000);

  // Batch norm evaluates with running statistics, which need more steps to settle: resnet gets more data.
  test.each([
    ['vgg_small', 320],
    ['resnet_small', 1000],
    ['alexnet_small', 320],
    ['inception_small', 320],
  ] as const)(
    '%s trains from the CLI (one short epoch learns something)',
    async (name, limit) => {
      expect(await train(`examples/${name}.dlm`, '--epochs', '1', '--limit', String(limit))).toBeGreaterThan(0.2);
    },
    120_000,
  );

  test.each(['autoencoder', 'denoising_autoencoder', 'vae'])(
    '%s trains from the CLI and its loss falls',
    async (name) => {
      const log = join(dir, `${name}.jsonl`);
      const out: Out = { log: () => {}, err: () => {}, color: false, stderrIsTTY: false };
      expect(
        await main(['train', `examples/${name}.dlm`, '--epochs', '2', '--limit', '1000', '--out', join(dir, `${name}.safetensors`), '--log', log], out),
      ).toBe(0);
      const epochs = readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(epochs[1].trainLoss).toBeLessThan(epochs[0].trainLoss);
      if (name === 'vae') expect(Object.keys(epochs[0].terms)).toEqual(['bce', 'kl']);
    },
    120_000,
  );

  test.each(['gan', 'dcgan_small'])(
    '%s trains from the CLI, logs both losses and draws them',
    async (name) => {
      const log = join(dir, `${name}.jsonl`);
      const ckpt = join(dir, `${name}.safetensors`);
      const out: Out = { log: () => {}, err: () => {}, color: false, stderrIsTTY: false };
      expect(await main(['train', `examples/${name}.dlm`, '--epochs', '1', '--limit', '320', '--out', ckpt, '--log', log], out)).toBe(0);
      const e = JSON.parse(readFileSync(log, 'utf8').trim().split('\n')[0]!);
      expect(Object.keys(e.terms)).toEqual(['d_loss', 'g_loss']);
      expect(readFileSync(ckpt.replace('.safetensors', '.curves.svg'), 'utf8')).toContain('g_loss');
      expect(await main(['sample', `examples/${name}.dlm`, '--checkpoint', ckpt, '--output', 'samples', '-o', join(dir, `${name}.png`)], out)).toBe(0);
    },
    120_000,
  );

  test('the autoencoder (code size 32) reconstructs held-out digits better than PCA with 32 components', async () => {
    const o: string[] = [];
    const out: Out = { log: (x) => o.push(x), err: () => {}, color: false, stderrIsTTY: false };
    expect(await main(['train', 'examples/autoencoder.dlm', '--out', join(dir, 'ae.safetensors')], out)).toBe(0);
    const aeMse = Number(/test: loss ([\d.]+)/.exec(o.join('\n'))![1]);
    const { train: tr, test: held } = loadBundledMnist({ seed: 0 });
    const pcaMse = pcaReconstructionMse(tr, held, 32);
    expect(aeMse).toBeLessThan(pcaMse);
  }, 120_000);

  test('stacked autoencoder: layer-wise pretraining, then fine-tuning carries the layers by name', async () => {
    const out: Out = { log: () => {}, err: () => {}, color: false, stderrIsTTY: false };
    const c1 = join(dir, 'sa1.safetensors'),
      c2 = join(dir, 'sa2.safetensors');
    const args = ['--epochs', '1', '--limit', '640'];
    expect(await main(['train', 'examples/stacked_autoencoder.dlm', '--model', 'Layer1', ...args, '--out', c1], out)).toBe(0);
    expect(await main(['train', 'examples/stacked_autoencoder.dlm', '--model', 'Layer2', ...args, '--init-from', c1, '--out', c2], out)).toBe(0);
    // Layer2 trains only enc2 and dec2: enc1 comes out as it went in
    const { loadSafetensors } = await import('../runtime/checkpoint.js');
    expect([...loadSafetensors(c2).tensors['enc1.W']!.data.slice(0, 20)]).toEqual([...loadSafetensors(c1).tensors['enc1.W']!.data.slice(0, 20)]);
    expect(await train('examples/stacked_autoencoder.dlm', '--model', 'Classifier', '--epochs', '2', '--limit', '2000', '--init-from', c2)).toBeGreaterThan(
      0.5,
    );
  }, 120_000);

  test('XOR: the perceptron fails, the two-layer network succeeds', async () => {
    expect(await train('examples/xor.dlm', '--model', 'Perceptron', '--data', 'examples/data/xor.csv')).toBeLessThanOrEqual(0.75);
    expect(await train('examples/xor.dlm', '--model', 'Mlp', '--data', 'examples/data/xor.csv')).toBe(1);
  }, 60_000);

  test('pass_the_class learns the pass probability (≥ 80% held out)', async () => {
    expect(await train('examples/pass_the_class.dlm', '--data', 'examples/data/pass_the_class.csv')).toBeGreaterThanOrEqual(0.8);
  }, 60_000);

  test('linear_regression: gradient descent in the language approaches the closed-form least squares', () => {
    const r = compileFile('examples/linear_regression.dlm');
    if (r._tag === 'Left') throw new Error('does not compile');
    const xs = JSON.parse(readFileSync('examples/data/line_x.json', 'utf8')) as number[];
    const ys = JSON.parse(readFileSync('examples/data/line_y.json', 'utf8')) as number[];
    const out = r.right
      .model()
      .forward({ x: { data: Float32Array.from(xs), shape: [xs.length] }, y: { data: Float32Array.from(ys), shape: [ys.length] } }, 'f64');
    // closed form: β = cov(x, y)/var(x), intercept = ȳ − β x̄
    const mx = xs.reduce((a, b) => a + b) / xs.length,
      my = ys.reduce((a, b) => a + b) / ys.length;
    const beta = xs.reduce((s, x, i) => s + (x - mx) * (ys[i]! - my), 0) / xs.reduce((s, x) => s + (x - mx) ** 2, 0);
    const closedCost = ys.reduce((s, y, i) => s + (beta * xs[i]! + (my - beta * mx) - y) ** 2, 0) / ys.length;
    expect(out['cost_after']!.data[0]!).toBeLessThan(out['cost_before']!.data[0]! / 4);
    expect(out['cost_after']!.data[0]!).toBeGreaterThanOrEqual(closedCost - 1e-12);
  });
});
