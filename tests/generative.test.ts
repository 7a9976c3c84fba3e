// Generative models: random draws inside models (deterministic per key, fresh per training step), the
// reparameterization trick's gradients, the VAE's KL term against its closed form, PNG grids, and
// `dlm sample`.
import { inflateSync } from 'node:zlib';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { gradcheck } from '../compiler/api/gradcheck.js';
import { main } from '../compiler/cli.js';
import { encodePng } from '../runtime/png.js';
import { compileOk } from './helpers/compile.js';

describe('random draws', () => {
  test('randn_like has mean 0 and variance 1, and is the same for the same key', () => {
    const m = compileOk('model R {\n  input x: f32[N]\n  output z = randn_like(x)\n}').model(undefined, { seed: 4 });
    const x = { data: new Float32Array(20000), shape: [20000] };
    const a = [...m.forward({ x }, 'f64')['z']!.data];
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length - 1)).toBeLessThan(0.05);
    expect([...m.forward({ x }, 'f64')['z']!.data]).toEqual(a);
  });

  test('reparameterization: z = μ + σ·ε is differentiable in μ and log σ²', () => {
    const m = compileOk(`import nn
model Z {
  input x: f32[B, 3]
  param mu: f32[3] = normal(std = 1.0)
  param logvar: f32[3] = normal(std = 0.5)
  loss mean(square(nn.reparameterize(mu + 0 * x, logvar + 0 * x) - x))
}`).model();
    expect(gradcheck(m, { dims: { B: 4 } }).ok).toBe(true);
  });

  test("the VAE's KL term equals the closed form −½ Σ (1 + log σ² − μ² − σ²)", () => {
    const m = compileOk('import nn\nmodel K {\n  input mu: f32[2, 3]\n  input lv: f32[2, 3]\n  output kl = nn.kl_normal(mu, lv)\n}').model();
    const mu = [0.5, -1, 0, 2, 0.1, -0.3],
      lv = [0, 0.5, -1, 0.2, -0.7, 1];
    const got = m.forward({ mu: { data: Float32Array.from(mu), shape: [2, 3] }, lv: { data: Float32Array.from(lv), shape: [2, 3] } }, 'f64')['kl']!.data[0]!;
    const want =
      [0, 1].map((r) => -0.5 * [0, 1, 2].reduce((s, j) => s + 1 + lv[r * 3 + j]! - mu[r * 3 + j]! ** 2 - Math.exp(lv[r * 3 + j]!), 0)).reduce((a, b) => a + b) /
      2;
    expect(got).toBeCloseTo(want, 5);
  });
});

test('the same seed gives bit-identical samples from a VAE', () => {
  const src = readFileSync('examples/vae.dlm', 'utf8');
  const draw = (seed: number) => {
    const m = compileOk(src).model(undefined, { seed });
    const fn = m.ir.fn;
    const spec = m.run({ ...fn, outputs: fn.outputs.filter((o) => o.name === 'samples') }, { x: { data: new Float32Array(784), shape: [1, 784] } });
    return Buffer.from(spec.outputs['samples']!.slice().buffer);
  };
  expect(draw(3).equals(draw(3))).toBe(true);
  expect(draw(3).equals(draw(4))).toBe(false);
});

describe('images', () => {
  test('PNG: signature, header and pixels survive a round trip through zlib', () => {
    const png = encodePng([0, 0.5, 1, 0.25], 2, 2);
    expect([...png.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    const dv = new DataView(png.buffer);
    expect([dv.getUint32(16), dv.getUint32(20)]).toEqual([2, 2]);
    const idatLen = dv.getUint32(33);
    const raw = inflateSync(png.subarray(41, 41 + idatLen));
    expect([...raw]).toEqual([0, 0, 128, 0, 255, 64]);
  });

  test('dlm sample writes a grid of reconstructions, each beside its original', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'dlm-sample-')), 'r.png');
    const logs: string[] = [];
    const code = await main(['sample', 'examples/autoencoder.dlm', '--output', 'recon', '--n', '9', '-o', out], {
      log: (s) => logs.push(s),
      err: () => {},
      color: false,
      stderrIsTTY: false,
    });
    expect(code).toBe(0);
    const png = readFileSync(out);
    // 9 pairs: 6 columns (original, reconstruction) × 3 rows of 28×28 with 1-pixel gaps
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([6 * 29 + 1, 3 * 29 + 1]);
    expect(logs.join('\n')).toContain('each beside its original');
  });
});

describe('several losses with their own parameters (GAN)', () => {
  const src = (losses: string) => `import nn
model G {
  input x: f32[B, 4]
  layer gen = nn.Dense(2, 4)
  layer disc = nn.Dense(4, 1)
  let fake = tanh(gen(randn([dim(x, 0), 2])))
  ${losses}
  optimizer sgd(lr = 0.1, momentum = 0.9)
}`;
  const D = 'loss d_loss = nn.bce_with_logits(disc(x), 1) + nn.bce_with_logits(disc(stop_gradient(fake)), 0) trains disc';
  const Gl = 'loss g_loss = nn.bce_with_logits(disc(fake), 1) trains gen';
  const batch = { x: { data: Float32Array.from({ length: 8 }, (_, i) => Math.sin(i)), shape: [2, 4] } };
  const snapshot = (m: ReturnType<ReturnType<typeof compileOk>['model']>) => Object.fromEntries(Object.entries(m.params).map(([k, v]) => [k, [...v]]));

  test('a generator step changes only generator parameters', async () => {
    const { Trainer } = await import('../compiler/api/trainer.js');
    const m = compileOk(src(Gl)).model();
    const before = snapshot(m);
    new Trainer(m).step(batch);
    const after = snapshot(m);
    expect(after['disc.W']).toEqual(before['disc.W']);
    expect(after['disc.b']).toEqual(before['disc.b']);
    expect(after['gen.W']).not.toEqual(before['gen.W']);
  });

  test('a discriminator step changes only discriminator parameters', async () => {
    const { Trainer } = await import('../compiler/api/trainer.js');
    const m = compileOk(src(D)).model();
    const before = snapshot(m);
    new Trainer(m).step(batch);
    const after = snapshot(m);
    expect(after['gen.W']).toEqual(before['gen.W']);
    expect(after['disc.W']).not.toEqual(before['disc.W']);
  });

  test('each loss may bring its own optimizer', async () => {
    const { Trainer } = await import('../compiler/api/trainer.js');
    const m = compileOk(src(`${D} with sgd(lr = 0.05, momentum = 0.5)\n  ${Gl} with adam(lr = 0.001, beta1 = 0.5)`)).model();
    const t = new Trainer(m);
    expect(t.slots.map((s) => s.name)).toEqual([
      'd_loss/disc.W.velocity',
      'd_loss/disc.b.velocity',
      'g_loss/gen.W.m',
      'g_loss/gen.W.v',
      'g_loss/gen.b.m',
      'g_loss/gen.b.v',
    ]);
    t.step(batch);
  });

  test('both losses alternate in one step and report their values', async () => {
    const { Trainer } = await import('../compiler/api/trainer.js');
    const m = compileOk(src(`${D}\n  ${Gl}`)).model();
    const t = new Trainer(m);
    const r = t.step(batch);
    expect(Object.keys(r.losses!)).toEqual(['d_loss', 'g_loss']);
    expect(t.slots.map((s) => s.name)).toEqual(['d_loss/disc.W.velocity', 'd_loss/disc.b.velocity', 'g_loss/gen.W.velocity', 'g_loss/gen.b.velocity']);
  });
});
