// Mini-batches over a Dataset (shuffled per epoch by a seeded generator, last partial batch included),
// train/validation splits and normalization (augmentation: augment.ts).
import { Rng } from '../random.js';
import { featuresPerRow, labelArray, labelsPerRow, type Dataset } from './dataset.js';

export interface BatchOptions {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly rng?: Rng;
  readonly dropLast?: boolean;
}
export interface Batch {
  readonly x: Float32Array;
  readonly y: Int32Array | Float32Array;
  readonly count: number;
}

const rowSize = featuresPerRow;

/** Yields batches into two reused buffers; the last partial batch comes as views of its length. */
export function* batches(ds: Dataset, opts: BatchOptions): Generator<Batch> {
  const f = rowSize(ds),
    l = labelsPerRow(ds);
  const order = opts.shuffle ? (opts.rng ?? new Rng(0)).permutation(ds.count) : undefined;
  const bx = new Float32Array(opts.batchSize * f),
    by = labelArray(ds, opts.batchSize * l);
  const rows = new Int32Array(opts.batchSize);
  for (let start = 0; start < ds.count; start += opts.batchSize) {
    const count = Math.min(opts.batchSize, ds.count - start);
    if (count < opts.batchSize && opts.dropLast) return;
    for (let i = 0; i < count; i++) {
      const r = order ? order[start + i]! : start + i;
      rows[i] = r;
      if (!ds.xRows) bx.set(ds.x.subarray(r * f, (r + 1) * f), i * f);
      by.set(ds.y.subarray(r * l, (r + 1) * l), i * l);
    }
    ds.xRows?.read(rows.subarray(0, count), bx);
    yield count === opts.batchSize ? { x: bx, y: by, count } : { x: bx.subarray(0, count * f), y: by.subarray(0, count * l), count };
  }
}

/** Splits off a seeded random `fraction` of rows as a validation set. */
export const splitValidation = (ds: Dataset, fraction: number, rng: Rng): { train: Dataset; val: Dataset } => {
  const f = rowSize(ds),
    l = labelsPerRow(ds);
  const order = rng.permutation(ds.count);
  const nVal = Math.round(ds.count * fraction);
  const take = (idx: Int32Array): Dataset => {
    if (ds.xRows) return subsetRows(ds, idx);
    const x = new Float32Array(idx.length * f),
      y = labelArray(ds, idx.length * l);
    idx.forEach((r, i) => {
      x.set(ds.x.subarray(r * f, (r + 1) * f), i * f);
      y.set(ds.y.subarray(r * l, (r + 1) * l), i * l);
    });
    return { ...ds, x, y, count: idx.length };
  };
  return { val: take(order.subarray(0, nVal)), train: take(order.subarray(nVal)) };
};

/** Standardizes features in place with the given (or computed) per-feature mean and std. */
export const normalize = (ds: Dataset, mean?: Float32Array, std?: Float32Array): { mean: Float32Array; std: Float32Array } => {
  const f = rowSize(ds);
  const m = mean ?? new Float32Array(f),
    s = std ?? new Float32Array(f);
  if (!mean || !std) {
    for (let r = 0; r < ds.count; r++) for (let j = 0; j < f; j++) m[j]! += ds.x[r * f + j]! / ds.count;
    for (let r = 0; r < ds.count; r++) for (let j = 0; j < f; j++) s[j]! += (ds.x[r * f + j]! - m[j]!) ** 2 / ds.count;
    for (let j = 0; j < f; j++) s[j] = Math.sqrt(s[j]!) || 1;
  }
  for (let r = 0; r < ds.count; r++) for (let j = 0; j < f; j++) ds.x[r * f + j] = (ds.x[r * f + j]! - m[j]!) / s[j]!;
  return { mean: m, std: s };
};

/** The rows `idx` of a dataset whose features are read on demand: the reader maps row numbers through idx. */
export const subsetRows = (ds: Dataset, idx: Int32Array): Dataset => {
  const l = labelsPerRow(ds),
    base = ds.xRows!;
  const y = labelArray(ds, idx.length * l);
  idx.forEach((r, i) => {
    y.set(ds.y.subarray(r * l, (r + 1) * l), i * l);
  });
  let mapped = new Int32Array(0);
  const read = (rows: ArrayLike<number>, dst: Float32Array) => {
    if (mapped.length < rows.length) mapped = new Int32Array(rows.length);
    for (let k = 0; k < rows.length; k++) mapped[k] = idx[rows[k]!]!;
    base.read(mapped.subarray(0, rows.length), dst);
  };
  return { ...ds, y, count: idx.length, xRows: { read } };
};
