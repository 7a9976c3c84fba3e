// Parameter initializers. fan_in/fan_out: a matrix [in, out] has in and out; a convolution filter
// [C_out, C_in, KH, KW] has C_in·KH·KW and C_out·KH·KW; a vector uses its length for both. Each parameter draws from its own seeded stream, so
// adding a layer never changes the initial values of the others.
import type { Rng } from './random.js';
import { sizeOf } from './tensor.js';

export interface InitSpec {
  readonly name: string;
  readonly args: Readonly<Record<string, number>>;
}

const fans = (shape: readonly number[]): [number, number] => {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0]!, shape[0]!];
  // Convolution filters [C_out, C_in, KH, KW]: each output sees C_in·KH·KW inputs (PyTorch's convention).
  if (shape.length >= 3) {
    const rf = sizeOf(shape.slice(2));
    return [shape[1]! * rf, shape[0]! * rf];
  }
  const out = shape[shape.length - 1]!;
  return [sizeOf(shape) / out, out];
};

const fill = (n: number, f: () => number): Float32Array => {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = f();
  return a;
};

/** Normal draws re-sampled until within 2 standard deviations (as Keras and PyTorch's trunc_normal_). */
const truncated = (rng: Rng, mean: number, std: number) => () => {
  for (;;) {
    const z = rng.normal();
    if (Math.abs(z) <= 2) return mean + std * z;
  }
};

/** Orthogonal columns by modified Gram–Schmidt on a Gaussian matrix (rows = fan_in, cols = fan_out). */
const orthogonal = (rng: Rng, shape: readonly number[], gain: number): Float32Array => {
  const [rows, cols] = fans(shape);
  const tall = rows >= cols;
  const [r, c] = tall ? [rows, cols] : [cols, rows];
  const q = Array.from({ length: c }, () => Float64Array.from({ length: r }, () => rng.normal()));
  for (let j = 0; j < c; j++) {
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let i = 0; i < r; i++) dot += q[j]![i]! * q[k]![i]!;
      for (let i = 0; i < r; i++) q[j]![i]! -= dot * q[k]![i]!;
    }
    let norm = 0;
    for (let i = 0; i < r; i++) norm += q[j]![i]! ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < r; i++) q[j]![i]! /= norm;
  }
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = gain * (tall ? q[j]![i]! : q[i]![j]!);
  return out;
};

export const INIT_NAMES = [
  'zeros',
  'ones',
  'constant',
  'uniform',
  'normal',
  'truncated_normal',
  'glorot_uniform',
  'glorot_normal',
  'xavier_uniform',
  'xavier_normal',
  'he_uniform',
  'he_normal',
  'kaiming_uniform',
  'kaiming_normal',
  'lecun_uniform',
  'lecun_normal',
  'orthogonal',
  'identity',
] as const;

export const initialize = (spec: InitSpec, shape: readonly number[], rng: Rng): Float32Array => {
  const n = sizeOf(shape);
  const [fanIn, fanOut] = fans(shape);
  const a = spec.args;
  const uniform = (limit: number) => fill(n, () => (2 * rng.uniform() - 1) * limit);
  const normal = (std: number, mean = 0) => fill(n, () => mean + std * rng.normal());
  switch (spec.name) {
    case 'zeros':
      return new Float32Array(n);
    case 'ones':
      return new Float32Array(n).fill(1);
    case 'constant':
      return new Float32Array(n).fill(a['value'] ?? 0);
    case 'uniform': {
      const lo = a['low'] ?? -0.05,
        hi = a['high'] ?? 0.05;
      return fill(n, () => lo + (hi - lo) * rng.uniform());
    }
    case 'normal':
      return normal(a['std'] ?? 0.05, a['mean'] ?? 0);
    case 'truncated_normal':
      return fill(n, truncated(rng, a['mean'] ?? 0, a['std'] ?? 0.05));
    // Glorot/Xavier: Var = 2/(fan_in + fan_out)
    case 'glorot_uniform':
    case 'xavier_uniform':
      return uniform(Math.sqrt(6 / (fanIn + fanOut)));
    case 'glorot_normal':
    case 'xavier_normal':
      return normal(Math.sqrt(2 / (fanIn + fanOut)));
    // He/Kaiming (for ReLU): Var = 2/fan_in
    case 'he_uniform':
    case 'kaiming_uniform':
      return uniform(Math.sqrt(6 / fanIn));
    case 'he_normal':
    case 'kaiming_normal':
      return normal(Math.sqrt(2 / fanIn));
    // LeCun: Var = 1/fan_in
    case 'lecun_uniform':
      return uniform(Math.sqrt(3 / fanIn));
    case 'lecun_normal':
      return normal(Math.sqrt(1 / fanIn));
    case 'orthogonal':
      return orthogonal(rng, shape, a['gain'] ?? 1);
    case 'identity': {
      const out = new Float32Array(n);
      for (let i = 0; i < Math.min(fanIn, fanOut); i++) out[i * fanOut + i] = a['gain'] ?? 1;
      return out;
    }
    default:
      throw new RangeError(`unknown initializer '${spec.name}'`);
  }
};
