// Feature normalization with statistics from the training split only, stored with the checkpoint and
// applied unchanged to validation, test and prediction inputs:
//   standard: x' = (x − mean) / std   (std = 1 where a feature is constant)
//   minmax:   x' = (x − min) / (max − min)   (range 1 where constant)
// Both are x' = (x − shift) / scale per feature.
import { featuresPerRow, type Dataset } from './dataset.js';

export type NormalizeKind = 'standard' | 'minmax' | 'none';
export const NORMALIZE_KINDS: readonly NormalizeKind[] = ['standard', 'minmax', 'none'];

export interface Normalization {
  readonly kind: Exclude<NormalizeKind, 'none'>;
  readonly shift: readonly number[];
  readonly scale: readonly number[];
}

/** Per-feature statistics of a dataset's rows (float64 sums, two passes). */
export const fitNormalization = (ds: Dataset, kind: Exclude<NormalizeKind, 'none'>): Normalization => {
  const f = featuresPerRow(ds),
    n = ds.count;
  if (ds.xRows) return fitStreaming(ds, kind, f);
  const shift = new Float64Array(f),
    scale = new Float64Array(f);
  if (kind === 'standard') {
    for (let r = 0; r < n; r++) for (let j = 0; j < f; j++) shift[j] = shift[j]! + ds.x[r * f + j]!;
    for (let j = 0; j < f; j++) shift[j] = shift[j]! / Math.max(1, n);
    for (let r = 0; r < n; r++) for (let j = 0; j < f; j++) scale[j] = scale[j]! + (ds.x[r * f + j]! - shift[j]!) ** 2;
    for (let j = 0; j < f; j++) scale[j] = Math.sqrt(scale[j]! / Math.max(1, n)) || 1;
  } else {
    const hi = new Float64Array(f).fill(-Infinity);
    shift.fill(Infinity);
    for (let r = 0; r < n; r++)
      for (let j = 0; j < f; j++) {
        const v = ds.x[r * f + j]!;
        if (v < shift[j]!) shift[j] = v;
        if (v > hi[j]!) hi[j] = v;
      }
    for (let j = 0; j < f; j++) scale[j] = hi[j]! - shift[j]! || 1;
  }
  return { kind, shift: [...shift], scale: [...scale] };
};

/** Applies x' = (x − shift) / scale to every row of `x` (rows of shift.length values), in place. */
export const applyNormalization = (x: Float32Array, norm: Normalization): void => {
  const f = norm.shift.length;
  for (let i = 0; i < x.length; i++) x[i] = (x[i]! - norm.shift[i % f]!) / norm.scale[i % f]!;
};

/** The same statistics for rows read on demand, 256 rows at a time (standard: Σx and Σx² in float64). */
const fitStreaming = (ds: Dataset, kind: Exclude<NormalizeKind, 'none'>, f: number): Normalization => {
  const chunk = 256,
    buf = new Float32Array(chunk * f),
    rows = new Int32Array(chunk);
  const a = new Float64Array(f).fill(kind === 'minmax' ? Infinity : 0),
    b = new Float64Array(f).fill(kind === 'minmax' ? -Infinity : 0);
  for (let start = 0; start < ds.count; start += chunk) {
    const n = Math.min(chunk, ds.count - start);
    for (let i = 0; i < n; i++) rows[i] = start + i;
    ds.xRows!.read(rows.subarray(0, n), buf);
    for (let i = 0; i < n * f; i++) {
      const v = buf[i]!,
        j = i % f;
      if (kind === 'minmax') {
        if (v < a[j]!) a[j] = v;
        if (v > b[j]!) b[j] = v;
      } else {
        a[j] = a[j]! + v;
        b[j] = b[j]! + v * v;
      }
    }
  }
  const shift: number[] = [],
    scale: number[] = [];
  for (let j = 0; j < f; j++) {
    if (kind === 'minmax') {
      shift.push(a[j]!);
      scale.push(b[j]! - a[j]! || 1);
      continue;
    }
    const mean = a[j]! / Math.max(1, ds.count);
    shift.push(mean);
    scale.push(Math.sqrt(Math.max(0, b[j]! / Math.max(1, ds.count) - mean * mean)) || 1);
  }
  return { kind, shift, scale };
};

/** The dataset with normalized features: in place for arrays in memory, per batch for rows read on demand. */
export const normalizeDataset = (ds: Dataset, norm: Normalization): Dataset => {
  if (!ds.xRows) {
    applyNormalization(ds.x, norm);
    return ds;
  }
  const base = ds.xRows;
  return {
    ...ds,
    xRows: {
      read: (rows, dst) => {
        base.read(rows, dst);
        applyNormalization(dst.subarray(0, rows.length * norm.shift.length), norm);
      },
    },
  };
};
