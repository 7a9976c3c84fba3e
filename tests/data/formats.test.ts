// Every data format trains from the CLI (tiny: a few rows, one or two epochs), read the way the model's
// declarations say: CSV/TSV (quoted fields, text labels, label by name or index, no header, several
// float targets), JSON records / rows / {x, y}, JSONL with list cells, .npy (beside, pair, folder),
// .npz (stored and deflated), IDX (plain, gzip, a folder), image folders (PNG and JPEG) and text lines.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, test } from 'vitest';
import { encodeNpy } from '../../runtime/data/npy.js';
import { encodeNpz } from '../../runtime/data/npz.js';
import { BINARY, csv, dlm, linearRows, REGRESSION, scratch, twoFeatureRows } from './helpers.js';

const { dir, file, path } = scratch('formats');
const CLASSES = `import nn
model Cls {
  input  x: f32[B, 2]
  target y: i32[B]
  layer  l = nn.Dense(2, 2)
  output logits = l(x)
  loss   nn.cross_entropy(logits, y)
  optimizer adam(lr = 0.1)
  train { epochs = 10  batch = 16 }
}
`;
const CLS = file('cls.dlm', CLASSES),
  BIN = file('bin.dlm', BINARY),
  REG = file('reg.dlm', REGRESSION);
const rows = twoFeatureRows(120, 5);
const accuracy = (s: string) => Number(/accuracy ([\d.]+)%/.exec(s)?.[1]);
const trains = async (model: string, data: string, ...flags: string[]) => {
  const r = await dlm('train', model, '--data', data, '--out', path(`${Math.random().toString(36).slice(2)}.safetensors`), ...flags);
  expect(r.code, r.stderr).toBe(0);
  return r;
};
const npy = (data: Float32Array | Int32Array, shape: number[]) => encodeNpy({ data, shape });
const xs = Float32Array.from(rows.flatMap((r) => [r[0], r[1]])),
  ys = Int32Array.from(rows.map((r) => r[2]));
const idx = (type: number, shape: number[], bytes: number[]) => {
  const h = Buffer.alloc(4 + 4 * shape.length);
  h[2] = type;
  h[3] = shape.length;
  shape.forEach((d, i) => {
    h.writeUInt32BE(d, 4 + 4 * i);
  });
  return Buffer.concat([h, Buffer.from(bytes)]);
};

describe('tables', () => {
  test('CSV with quoted fields and text labels: classes in sorted order, printed and stored', async () => {
    const text = ['"first, a","b","kind"', ...rows.map(([a, b, c]) => `${a},"${b}",${c ? '"big ""one"""' : 'small'}`)].join('\r\n');
    const r = await trains(CLS, file('quoted.csv', text));
    expect(r.stderr).toContain(`label column 'kind'`);
    expect(r.stderr).toContain('classes 0 = big "one", 1 = small');
    expect(r.stderr).toMatch(/normalization: standard/);
    expect(accuracy(r.stdout)).toBeGreaterThan(80);
  });

  test('TSV, label by index, no header row', async () => {
    const r = await trains(CLS, file('t.tsv', rows.map(([a, b, c]) => `${c}\t${a}\t${b}`).join('\n')), '--label-column', '0');
    expect(r.stderr).toContain('no header row detected');
    expect(r.stderr).toContain(`label column 'column 0'`);
    expect(accuracy(r.stdout)).toBeGreaterThan(80);
  });

  test('several float target columns, features chosen by name', async () => {
    const m = file('reg2.dlm', REGRESSION.replace('f32[B, 1]', 'f32[B, 2]').replace('nn.Dense(2, 1)', 'nn.Dense(2, 2)'));
    const data = csv(
      'id,a,b,y1,y2',
      linearRows(200, 1).map(([a, b, y], i) => [i, a, b, y, 2 * y]),
    );
    const r = await trains(m, file('two.csv', data), '--label-column', 'y1,y2', '--features', 'a,b');
    expect(r.stderr).toContain(`label columns 'y1', 'y2'`);
    expect(r.stdout).toMatch(/MAE [\d.]+, R² 0\.9\d/);
  });

  test('JSON records, JSON rows, JSON {x, y} and JSONL with list cells', async () => {
    const recs = rows.map(([a, b, c]) => ({ a, b, label: c ? 'yes' : 'no' }));
    expect(accuracy((await trains(CLS, file('r.json', JSON.stringify(recs)))).stdout)).toBeGreaterThan(80);
    expect(accuracy((await trains(CLS, file('rows.json', JSON.stringify(rows)))).stdout)).toBeGreaterThan(80);
    const xy = await trains(CLS, file('xy.json', JSON.stringify({ x: rows.map((r) => [r[0], r[1]]), y: rows.map((r) => r[2]) })));
    expect(xy.stderr).toMatch(/normalization: none/);
    expect(accuracy(xy.stdout)).toBeGreaterThan(80);
    const jl = rows.map(([a, b, c]) => JSON.stringify({ x: [a, b], y: c })).join('\n');
    expect(accuracy((await trains(BIN, file('l.jsonl', jl))).stdout)).toBeGreaterThan(80);
  });
});

describe('arrays', () => {
  test('.npy with its y.npy beside it, as a pair, and as a folder', async () => {
    file('x.npy', npy(xs, [120, 2]));
    file('y.npy', npy(ys, [120]));
    expect(accuracy((await trains(CLS, path('x.npy'), '--normalize', 'standard')).stdout)).toBeGreaterThan(80);
    expect((await trains(CLS, `${path('x.npy')},${path('y.npy')}`)).code).toBe(0);
    mkdirSync(path('arr'));
    writeFileSync(join(dir, 'arr', 'x.npy'), npy(xs, [120, 2]));
    writeFileSync(join(dir, 'arr', 'y.npy'), npy(ys, [120]));
    expect((await trains(CLS, path('arr'))).code).toBe(0);
  });

  test('.npz stored and deflated; float y for a regression target', async () => {
    const stored = encodeNpz({ x: npy(xs, [120, 2]), y: npy(ys, [120]) });
    expect(accuracy((await trains(CLS, file('d.npz', stored))).stdout)).toBeGreaterThan(60);
    const lin = linearRows(100, 2);
    const deflated = encodeNpz(
      { x: npy(Float32Array.from(lin.flatMap((r) => [r[0], r[1]])), [100, 2]), y: npy(Float32Array.from(lin.map((r) => r[2])), [100, 1]) },
      true,
    );
    expect((await trains(REG, file('c.npz', deflated))).stdout).toMatch(/MAE/);
  });

  test('IDX images and labels, plain and gzipped, as a pair and as a folder (bytes scaled to [0, 1])', async () => {
    const img = file(
      'img.dlm',
      CLASSES.replace('f32[B, 2]', 'f32[B, 1, 2, 2]').replace('l(x)', 'l(nn.flatten(x))').replace('nn.Dense(2, 2)', 'nn.Dense(4, 2)'),
    );
    const px = rows.flatMap(([a, b]) => [a, b, 1 - a, 1 - b].map((v) => Math.round(v * 255)));
    const images = idx(0x08, [120, 2, 2], px),
      labels = idx(
        0x08,
        [120],
        rows.map((r) => r[2]),
      );
    const r = await trains(img, `${file('i-idx3-ubyte', images)},${file('l-idx1-ubyte', labels)}`);
    expect(r.stderr).toContain('bytes scaled to [0, 1]');
    mkdirSync(path('mnistlike'));
    writeFileSync(join(dir, 'mnistlike', 'train-images-idx3-ubyte.gz'), gzipSync(images));
    writeFileSync(join(dir, 'mnistlike', 'train-labels-idx1-ubyte.gz'), gzipSync(labels));
    writeFileSync(join(dir, 'mnistlike', 't10k-images-idx3-ubyte.gz'), gzipSync(idx(0x08, [10, 2, 2], px.slice(0, 40))));
    writeFileSync(
      join(dir, 'mnistlike', 't10k-labels-idx1-ubyte.gz'),
      gzipSync(
        idx(
          0x08,
          [10],
          rows.slice(0, 10).map((r) => r[2]),
        ),
      ),
    );
    const d = await trains(img, path('mnistlike'), '--test-data', path('mnistlike'));
    expect(d.stdout).toMatch(/on 10 held-out samples/);
    expect(accuracy(d.stdout)).toBeGreaterThanOrEqual(70);
  });
});

describe('images and text', () => {
  const IMG = CLASSES.replace('f32[B, 2]', 'f32[B, 1, 4, 4]').replace('l(x)', 'l(nn.flatten(x))').replace('nn.Dense(2, 2)', 'nn.Dense(16, 2)');
  // class "dark" images are mostly black, "light" mostly white, with seeded speckle
  const pixels = (light: boolean, k: number, size: number) => Array.from({ length: size * size }, (_, i) => (((i * 7 + k) % 5 === 0) !== light ? 230 : 20));
  const rgba = (g: number[]) => Buffer.from(g.flatMap((v) => [v, v, v, 255]));
  const folder = (name: string, size: number, n: number, color = false) => {
    for (const cls of ['dark', 'light']) {
      mkdirSync(join(dir, name, cls), { recursive: true });
      for (let k = 0; k < n; k++) {
        const g = pixels(cls === 'light', k, size);
        const data = color ? Buffer.from(g.flatMap((v) => [v, 255 - v, v, 255])) : rgba(g);
        if (k % 2) writeFileSync(join(dir, name, cls, `${k}.jpg`), jpeg.encode({ data, width: size, height: size }, 95).data);
        else {
          const p = new PNG({ width: size, height: size });
          data.copy(p.data);
          writeFileSync(join(dir, name, cls, `${k}.png`), PNG.sync.write(p));
        }
      }
    }
    return join(dir, name);
  };

  test('a folder of PNG and JPEG class folders trains; other sizes need --resize, colour needs --grayscale', async () => {
    const m = file('img4.dlm', IMG);
    const r = await trains(m, folder('imgs', 4, 20));
    expect(r.stderr).toContain('classes 0 = dark, 1 = light');
    expect(r.stderr).toContain('images as 1×4×4 in [0, 1]');
    expect(accuracy(r.stdout)).toBeGreaterThan(90);
    const big = folder('big', 8, 4);
    const e = await dlm('train', m, '--data', big);
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/error\[E0707\]: .*big\/dark\/0\.png: is 8×8 pixels, but the input is 1×4×4 \(C×H×W\); pass --resize/);
    expect((await trains(m, big, '--resize')).stderr).toContain('resized (bilinear)');
    const colour = folder('colour', 4, 4, true);
    const c = await dlm('train', m, '--data', colour);
    expect(c.stderr).toMatch(/error\[E0707\]: .*is a colour image, but the input has 1 channel; pass --grayscale/);
    expect((await trains(m, colour, '--grayscale')).stderr).toContain('grayscale (luma)');
  });

  test('a text file, one word per line, trains a character-level language model; a larger alphabet than the model is E0709', async () => {
    const m = file(
      'charlm.dlm',
      `import nn
model CharBigram {
  input  x: i32[B, 8]
  target y: i32[B, 8]
  layer  embed = nn.Embedding(27, 8)
  layer  readout = nn.Dense(8, 27)
  output logits = readout(embed(x))
  loss   nn.sequence_cross_entropy(logits, y)
  optimizer adam(lr = 0.05)
}
`,
    );
    const words = ['apple', 'banana', 'cherry', 'grape', 'lemon', 'mango', 'melon', 'peach', 'pear', 'plum', 'watermelon'];
    const r = await trains(m, file('fruit.txt', Array.from({ length: 6 }, () => words.join('\n')).join('\n')), '--epochs', '2');
    expect(r.stderr).toContain('60 examples; characters as token ids (vocabulary of 26 + boundary); 6 lines of 8 or more characters skipped');
    expect(r.stdout).toMatch(/test: loss [\d.]+, accuracy/);
    const big = await dlm('train', m, '--data', file('caps.txt', 'Hi there\nOK, 1 2\nabcdefg\nhijklmn\nopqrstu\nvwxyz\n'));
    expect(big.code).toBe(1);
    expect(big.stderr).toMatch(/error\[E0709\]: .*caps\.txt: the text has \d+ distinct characters .* but the model scores 27 classes/);
  });
});
