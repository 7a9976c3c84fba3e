// Image augmentation: flip mirrors every channel, crop:P is a shift in [−P, P]² with zero fill (what
// --augment-shift did), noise adds N(0, σ²); the same seed gives the same batches; the CLI says what it
// applies and refuses what it cannot.
import { describe, expect, test } from 'vitest';
import { augmentImages, parseAugment } from '../../runtime/data/augment.js';
import { Rng } from '../../runtime/random.js';
import { dlm, scratch } from './helpers.js';

// two channels of a 3×4 image: channel c, row i, column j holds 100c + 10i + j
const image = () => Float32Array.from({ length: 24 }, (_, k) => 100 * Math.floor(k / 12) + 10 * Math.floor((k % 12) / 4) + (k % 4));
const at = (x: Float32Array, c: number, i: number, j: number) => x[c * 12 + i * 4 + j]!;

describe('augmentation', () => {
  test('flip mirrors each row of every channel (about half the time)', () => {
    let flipped = 0;
    const rng = new Rng(3);
    for (let t = 0; t < 200; t++) {
      const x = image();
      augmentImages(x, 1, [2, 3, 4], { flip: true }, rng);
      if (at(x, 0, 0, 0) === 3) {
        flipped++;
        for (let c = 0; c < 2; c++) for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) expect(at(x, c, i, j)).toBe(100 * c + 10 * i + (3 - j));
      } else expect([...x]).toEqual([...image()]);
    }
    expect(flipped).toBeGreaterThan(70);
    expect(flipped).toBeLessThan(130);
  });

  test('crop:P shifts every channel by the same (dy, dx) in [−P, P]², zeros coming in', () => {
    const rng = new Rng(5);
    const seen = new Set<string>();
    for (let t = 0; t < 300; t++) {
      const x = image();
      augmentImages(x, 1, [2, 3, 4], { crop: 1 }, rng);
      // find the shift from where the original pixel (0, 1, 1) — value 11 — went
      let dy = NaN,
        dx = NaN;
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 4; j++)
          if (at(x, 0, i, j) === 11) {
            dy = i - 1;
            dx = j - 1;
          }
      seen.add(`${dy},${dx}`);
      for (let c = 0; c < 2; c++)
        for (let i = 0; i < 3; i++)
          for (let j = 0; j < 4; j++) {
            const si = i - dy,
              sj = j - dx;
            expect(at(x, c, i, j)).toBe(si >= 0 && si < 3 && sj >= 0 && sj < 4 ? 100 * c + 10 * si + sj : 0);
          }
    }
    expect(seen.size).toBe(9);
  });

  test('noise has the given standard deviation; the same seed gives the same batch', () => {
    const x = new Float32Array(20000);
    augmentImages(x, 200, [10, 10], { noise: 0.1 }, new Rng(1));
    const sd = Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
    expect(sd).toBeGreaterThan(0.095);
    expect(sd).toBeLessThan(0.105);
    const a = image(),
      b = image();
    augmentImages(a, 1, [2, 3, 4], { flip: true, crop: 1, noise: 0.5 }, new Rng(9));
    augmentImages(b, 1, [2, 3, 4], { flip: true, crop: 1, noise: 0.5 }, new Rng(9));
    expect([...a]).toEqual([...b]);
  });

  test('the spec parser accepts flip, crop:N, noise:σ and names what it refuses', () => {
    expect(parseAugment('flip,crop:4,noise:0.1')).toEqual({ flip: true, crop: 4, noise: 0.1 });
    expect(parseAugment('rotate:10')).toMatch(/got 'rotate:10'/);
    expect(parseAugment('crop:-1')).toMatch(/got 'crop:-1'/);
  });

  test('dlm train --augment says what it applies; --augment-shift is crop; non-images are refused', async () => {
    const { file, path } = scratch('augment');
    const model = (name: string, x: string, flat: string) =>
      `import nn\nmodel ${name} {\n  input x: f32[B, ${x}]\n  target y: i32[B]\n  layer l = nn.Dense(784, 10)\n` +
      `  output logits = l(${flat})\n  loss nn.cross_entropy(logits, y)\n}\n`;
    const m = file('img.dlm', model('Img', '1, 28, 28', 'nn.flatten(x)'));
    const r = await dlm('train', m, '--limit', '64', '--epochs', '1', '--augment', 'flip,crop:2,noise:0.05', '--out', path('a.safetensors'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('augmentation: flip,crop:2,noise:0.05 (training batches only, seeded)');
    expect((await dlm('train', m, '--limit', '64', '--epochs', '1', '--augment-shift', '2', '--out', path('b.safetensors'))).stderr).toContain(
      'augmentation: crop:2',
    );
    const bad = await dlm('train', m, '--augment', 'spin', '--limit', '64');
    expect(bad.code).toBe(2);
    const flat = file('flat.dlm', model('Flat', '784', 'x'));
    const f = await dlm('train', flat, '--augment', 'flip', '--limit', '64', '--epochs', '1', '--out', path('c.safetensors'));
    expect(f.code).toBe(2);
    expect(f.stderr).toContain('--augment applies to images');
  }, 60_000);
});
