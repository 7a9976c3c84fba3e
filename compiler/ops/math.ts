// THE table of scalar math functions: one entry per function, with every spelling of it. The reference
// interpreter calls `impl`; the JavaScript emitter calls `builtin` where JavaScript has the same
// function, and otherwise prints `impl` itself into the module's prelude (from its source text), so an
// algorithm is written once and the interpreter and the generated code cannot drift apart. The C printer
// (native/emitC.ts) calls `c` (libm, or a dlm_* helper of the native prelude, or `cDef` printed into the
// module); the exporters write an elementwise op that applies the function as `onnx` / `torch` (an op
// whose function has neither gets an "unsupported" rule with the reason, ops/export/*Math.ts). A new
// function is one entry here; `Intrinsic` (loops.ts) is this table's keys. Every `impl` without a
// builtin must be self-contained: it may use only its arguments, local names and `Math`/`Number`,
// since its text runs inside generated modules.

export interface MathFn {
  /** The function itself: what the interpreter runs and, without `builtin`, what generated code runs. */
  readonly impl: (...xs: number[]) => number;
  /** A JavaScript global with exactly the same results (e.g. `Math.exp`). */
  readonly builtin?: string;
  /** Its C name in float and in double modules. */
  readonly c: readonly [f32: string, f64: string];
  /** A C definition of `c` (over `real`, the module's compute type) when neither libm nor the native prelude has it. */
  readonly cDef?: string;
  /** The ONNX operator of one input that computes it, if there is one. */
  readonly onnx?: string;
  /** The PyTorch function that computes it (on a float tensor), if there is one. */
  readonly torch?: string;
}

// σ(x) without overflow: 1/(1+e⁻ˣ) for x ≥ 0, eˣ/(1+eˣ) otherwise
function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

// erf to within a few ulp in float64. For |x| < 2.5 the everywhere-positive series
//   erf x = (2/√π)·e^(−x²)·Σₙ 2ⁿ x^(2n+1) / (1·3·5·…·(2n+1))
// (no cancellation); beyond, erf x = 1 − erfc x with erfc from its continued fraction
//   erfc x = (e^(−x²)/√π) / (x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …))))), evaluated from the tail;
// for |x| ≥ 6, erfc x < 2e-17 and erf x rounds to ±1. erf(−0) = −0, erf(±∞) = ±1.
function erf(x: number): number {
  if (x !== x) return x;
  const a = Math.abs(x);
  const s = x < 0 ? -1 : 1;
  if (a < 2.5) {
    const x2 = a * a;
    let term = a,
      sum = a;
    for (let n = 1; n < 200 && term > 1e-17 * sum; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
    }
    return x === 0 ? x : s * 1.1283791670955126 * Math.exp(-x2) * sum;
  }
  if (a >= 6) return s;
  let f = a;
  for (let k = 60; k >= 1; k--) f = a + k / 2 / f;
  return s * (1 - Math.exp(-a * a) / (1.7724538509055159 * f));
}

// round half to even (torch.round, NumPy's rint): Math.round rounds halves up
function round(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

// sign(x) ∈ {−1, 0, 1}, as torch.sign: sign(−0) = +0 and sign(NaN) = 0 (Math.sign gives −0 and NaN)
function sign(x: number): number {
  return x > 0 ? 1 : x < 0 ? -1 : 0;
}

// xʸ with C's (and PyTorch's) special cases where JavaScript's Math.pow differs: 1ʸ = 1 and (−1)^±∞ = 1
// for every y, NaN included (Math.pow gives NaN)
function pow(x: number, y: number): number {
  if (x === 1 || (x === -1 && (y === Infinity || y === -Infinity))) return 1;
  return x ** y;
}

// 1 where x is finite, else 0: a number, as every table function returns (Number.isFinite gives a boolean,
// and `Number.isFinite(x) !== 0` is always true, so generated conditions cannot use it); x − x is 0 iff x is finite
function isfinite(x: number): number {
  return x - x === 0 ? 1 : 0;
}

// murmur3-style finalizer over (key, stream, index) → a uniform double in [0, 1); see ops/random.ts
function uniform(key: number, stream: number, i: number): number {
  let h = Math.imul((key | 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(stream + 1, 0xc2b2ae35) ^ Math.imul(i + 1, 0x27d4eb2f);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** A function JavaScript has as `Math.<name>`, C as <name>f/<name>. */
const lib = (name: keyof Math & string, more: Partial<MathFn> = {}): MathFn => ({
  impl: Math[name] as (...xs: number[]) => number,
  builtin: `Math.${name}`,
  c: [`${name}f`, name],
  ...more,
});
/** A function of this file's own (printed into JavaScript modules), with its C name. */
const own = <F extends (...xs: number[]) => number>(
  impl: F,
  c: string | readonly [string, string],
  more: Partial<MathFn> = {},
): MathFn & { readonly impl: F } => ({ ...more, impl, c: typeof c === 'string' ? [c, c] : c });
const ONNX_TORCH = (onnx: string | undefined, torch: string): Partial<MathFn> => ({ ...(onnx ? { onnx } : {}), torch });

export const MATH = {
  // C: the native prelude's exp, 0 below -746 without libmvec's slow path there (runtime/native/preludeC.ts)
  exp: lib('exp', { c: ['dlm_exp', 'dlm_exp'] }),
  expm1: lib('expm1', ONNX_TORCH(undefined, 'torch.expm1')),
  log: lib('log'),
  log1p: lib('log1p', ONNX_TORCH(undefined, 'torch.log1p')),
  log2: lib('log2', ONNX_TORCH(undefined, 'torch.log2')),
  log10: lib('log10', ONNX_TORCH(undefined, 'torch.log10')),
  sqrt: lib('sqrt'),
  abs: { ...lib('abs'), c: ['fabsf', 'fabs'] },
  sin: lib('sin'),
  cos: lib('cos'),
  tan: lib('tan', ONNX_TORCH('Tan', 'torch.tan')),
  asin: lib('asin', ONNX_TORCH('Asin', 'torch.asin')),
  acos: lib('acos', ONNX_TORCH('Acos', 'torch.acos')),
  atan: lib('atan', ONNX_TORCH('Atan', 'torch.atan')),
  sinh: lib('sinh', ONNX_TORCH('Sinh', 'torch.sinh')),
  cosh: lib('cosh', ONNX_TORCH('Cosh', 'torch.cosh')),
  tanh: lib('tanh'),
  asinh: lib('asinh', ONNX_TORCH('Asinh', 'torch.asinh')),
  acosh: lib('acosh', ONNX_TORCH('Acosh', 'torch.acosh')),
  atanh: lib('atanh', ONNX_TORCH('Atanh', 'torch.atanh')),
  max: { ...lib('max'), c: ['dlm_max', 'dlm_max'] },
  min: { ...lib('min'), c: ['dlm_min', 'dlm_min'] },
  trunc: lib('trunc', ONNX_TORCH(undefined, 'torch.trunc')),
  floor: lib('floor', ONNX_TORCH('Floor', 'torch.floor')),
  ceil: lib('ceil', ONNX_TORCH('Ceil', 'torch.ceil')),
  // rounding to float32 (upsample's nearest indices are computed in float32, as PyTorch's)
  fround: { ...lib('fround'), c: ['dlm_fround', 'dlm_fround'] },
  isfinite: own(isfinite, 'dlm_isfinite', ONNX_TORCH(undefined, 'torch.isfinite')),
  sign: own(sign, 'dlm_sign'),
  pow: own(pow, ['powf', 'pow']),
  sigmoid: own(sigmoid, 'dlm_sigmoid'),
  erf: own(erf, ['erff', 'erf'], ONNX_TORCH('Erf', 'torch.erf')),
  round: own(round, ['rintf', 'rint'], ONNX_TORCH('Round', 'torch.round')),
  uniform: own(uniform, 'dlm_uniform'),
} satisfies Record<string, MathFn>;

export type MathName = keyof typeof MATH;

export const mathFn = (name: MathName): MathFn => MATH[name];

/** The prelude lines defining every table function that has no JavaScript builtin. */
export const mathPrelude = (): string[] =>
  Object.entries(MATH).flatMap(([name, f]: [string, MathFn]) => (f.builtin ? [] : [`const ${name} = (${f.impl.toString()});`]));

/** The C definitions of the table functions that bring their own (`cDef`), for every native module. */
export const mathCDefs = (): string[] => Object.values(MATH as Record<string, MathFn>).flatMap((f) => (f.cDef ? [f.cDef] : []));
