// Tensor values as the runtime sees them: a flat typed array in row-major order plus a shape.
// No views or strides here: compiled code does index arithmetic itself.

export type FloatArray = Float32Array | Float64Array;
export type TensorData = Float32Array | Float64Array | Int32Array;

export interface Tensor {
  readonly data: TensorData;
  readonly shape: readonly number[];
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export const tensor = (data: TensorData, shape: readonly number[]): Tensor => {
  if (data.length !== sizeOf(shape)) {
    throw new RangeError(`tensor data has ${data.length} elements but shape [${shape.join(', ')}] needs ${sizeOf(shape)}`);
  }
  return { data, shape: [...shape] };
};

export const zerosF32 = (shape: readonly number[]): Tensor => tensor(new Float32Array(sizeOf(shape)), shape);

/** Nested JS arrays (as read from JSON) for a tensor; scalars come back as a number. */
export const toNested = (t: Tensor): unknown => {
  const rec = (dim: number, offset: number): unknown => {
    if (dim === t.shape.length) return t.data[offset];
    const n = t.shape[dim]!;
    const step = sizeOf(t.shape.slice(dim + 1));
    const out: unknown[] = [];
    for (let i = 0; i < n; i++) out.push(rec(dim + 1, offset + i * step));
    return out;
  };
  return rec(0, 0);
};

/** Max |a-b| / (atol + rtol*|b|) style closeness used by tests and gradcheck. */
export const allclose = (a: ArrayLike<number>, b: ArrayLike<number>, rtol = 1e-5, atol = 1e-8): boolean => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!,
      y = b[i]!;
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (!(Number.isNaN(x) && Number.isNaN(y))) return false;
      continue;
    }
    if (x === y) continue;
    if (Math.abs(x - y) > atol + rtol * Math.abs(y)) return false;
  }
  return true;
};

/**
 * Sets obj[key] as an own data property. Names come from user files, and a plain assignment with the
 * key `__proto__` would replace the object's prototype instead of adding an entry.
 */
export const setOwn = <T>(obj: Record<string, T>, key: string, value: T): void => {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
};
