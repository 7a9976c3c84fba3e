// Mini-batches over a Dataset (shuffled per epoch by a seeded generator, last partial batch included),
// train/validation splits, normalization and random-shift augmentation for images.
import { Rng } from '../random.js';
import { labelsPerRow, type Dataset } from './dataset.js';

export interface BatchOptions { readonly batchSize: number; readonly shuffle: boolean; readonly rng?: Rng; readonly dropLast?: boolean }
export interface Batch { readonly x: Float32Array; readonly y: Int32Array; readonly count: number }

const rowSize = (ds: Dataset): number => (ds.count ? ds.x.length / ds.count : 0);

/** Yields batches into two reused buffers; the last partial batch comes as views of its length. */
export function* batches(ds: Dataset, opts: BatchOptions): Generator<Batch> {
  const f = rowSize(ds), l = labelsPerRow(ds);
  const order = opts.shuffle ? (opts.rng ?? new Rng(0)).permutation(ds.count) : undefined;
  const bx = new Float32Array(opts.batchSize * f), by = new Int32Array(opts.batchSize * l);
  for (let start = 0; start < ds.count; start += opts.batchSize) {
    const count = Math.min(opts.batchSize, ds.count - start);
    if (count < opts.batchSize && opts.dropLast) return;
    for (let i = 0; i < count; i++) {
      const r = order ? order[start + i]! : start + i;
      bx.set(ds.x.subarray(r * f, (r + 1) * f), i * f);
      by.set(ds.y.subarray(r * l, (r + 1) * l), i * l);
    }
    yield count === opts.batchSize ? { x: bx, y: by, count } : { x: bx.subarray(0, count * f), y: by.subarray(0, count * l), count };
  }
}

/** Splits off a seeded random `fraction` of rows as a validation set. */
export const splitValidation = (ds: Dataset, fraction: number, rng: Rng): { train: Dataset; val: Dataset } => {
  const f = rowSize(ds), l = labelsPerRow(ds);
  const order = rng.permutation(ds.count);
  const nVal = Math.round(ds.count * fraction);
  const take = (idx: Int32Array): Dataset => {
    const x = new Float32Array(idx.length * f), y = new Int32Array(idx.length * l);
    idx.forEach((r, i) => { x.set(ds.x.subarray(r * f, (r + 1) * f), i * f); y.set(ds.y.subarray(r * l, (r + 1) * l), i * l); });
    return { ...ds, x, y, count: idx.length };
  };
  return { val: take(order.subarray(0, nVal)), train: take(order.subarray(nVal)) };
};

/** Standardizes features in place with the given (or computed) per-feature mean and std. */
export const normalize = (ds: Dataset, mean?: Float32Array, std?: Float32Array): { mean: Float32Array; std: Float32Array } => {
  const f = rowSize(ds);
  const m = mean ?? new Float32Array(f), s = std ?? new Float32Array(f);
  if (!mean || !std) {
    for (let r = 0; r < ds.count; r++) for (let j = 0; j < f; j++) m[j]! += ds.x[r * f + j]! / ds.count;
    for (let r = 0; r < ds.count; r++) for (let j = 0; j < f; j++) s[j]! += (ds.x[r * f + j]! - m[j]!) ** 2 / ds.count;
    for (let j = 0; j < f; j++) s[j] = Math.sqrt(s[j]!) || 1;
  }
  for (let r = 0; r < ds.count; r++) for (let j = 0; j < f; j++) ds.x[r * f + j] = (ds.x[r * f + j]! - m[j]!) / s[j]!;
  return { mean: m, std: s };
};

/** Shifts each h×w image by a random integer offset in [−maxShift, maxShift]² (zero fill), in place. */
export const augmentShift = (x: Float32Array, count: number, h: number, w: number, maxShift: number, rng: Rng): void => {
  const tmp = new Float32Array(h * w);
  for (let n = 0; n < count; n++) {
    const img = x.subarray(n * h * w, (n + 1) * h * w);
    const dy = rng.int(2 * maxShift + 1) - maxShift, dx = rng.int(2 * maxShift + 1) - maxShift;
    tmp.fill(0);
    for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) {
      const si = i - dy, sj = j - dx;
      if (si >= 0 && si < h && sj >= 0 && sj < w) tmp[i * w + j] = img[si * w + sj]!;
    }
    img.set(tmp);
  }
};
