// Reference-evaluation helpers over float64 NdArrays: broadcasting iteration, strides, axis math.
// Used by op `eval` entries; these are the semantics every compiled kernel is tested against.
import type { NdArray } from './op.js';

export const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export const contiguousStrides = (shape: readonly number[]): number[] => {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
};

export const nd = (shape: readonly number[], data?: Float64Array): NdArray => ({ shape: [...shape], data: data ?? new Float64Array(size(shape)) });

/** Strides that read `inShape` as if broadcast to `outShape` (0 on stretched or missing axes). */
export const broadcastStrides = (inShape: readonly number[], outShape: readonly number[]): number[] => {
  const cs = contiguousStrides(inShape);
  const off = outShape.length - inShape.length;
  return outShape.map((d, i) => {
    const j = i - off;
    if (j < 0) return 0;
    return inShape[j] === 1 && d !== 1 ? 0 : cs[j]!;
  });
};

/** Calls f(outFlatIndex, multiIndex) for every element of shape, in row-major order. */
export const forEachIndex = (shape: readonly number[], f: (flat: number, idx: readonly number[]) => void): void => {
  const n = size(shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < n; flat++) {
    f(flat, idx);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
};

/** Elementwise map with NumPy broadcasting of every input to outShape. */
export const mapBroadcast = (ins: readonly NdArray[], outShape: readonly number[], f: (xs: number[]) => number): NdArray => {
  const out = nd(outShape);
  const strides = ins.map((a) => broadcastStrides(a.shape, outShape));
  const xs = new Array<number>(ins.length);
  forEachIndex(outShape, (flat, idx) => {
    for (let k = 0; k < ins.length; k++) {
      let o = 0;
      const st = strides[k]!;
      for (let d = 0; d < idx.length; d++) o += idx[d]! * st[d]!;
      xs[k] = ins[k]!.data[o]!;
    }
    out.data[flat] = f(xs);
  });
  return out;
};

/** Reads the element of `a` viewed through strides/offset at a multi-index. */
export const at = (a: NdArray, offset: number, strides: readonly number[], idx: readonly number[]): number => {
  let o = offset;
  for (let d = 0; d < idx.length; d++) o += idx[d]! * strides[d]!;
  return a.data[o]!;
};
