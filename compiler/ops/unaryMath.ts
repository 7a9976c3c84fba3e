// More elementwise one-input primitives: log1p/expm1 (accurate near 0), erf, the other trigonometric and
// hyperbolic functions, rounding (zero derivative, as PyTorch) and the float classifiers isnan/isinf/
// isfinite (bool results). Each evaluates through the math table (ops/math.ts) in both the interpreter
// and the generated code.
import { bin, call, num } from '../loops/loops.js';
import { sv } from './helpers.js';
import type { DType } from '../types/types.js';
import { add, maskedDiv, mul, neg, sub } from './helpers.js';
import type { GradBuilder, NodeView, OpDef, Value } from './op.js';
import { unary } from './unary.js';

const x0 = (n: NodeView): Value => n.inputs[0]!;
const sq = (b: GradBuilder, v: Value): Value => mul(b, v, v);
const bool = (): DType => 'bool';

/** ct / √(±(1 − x²)) style partials: ct / f(x), exactly 0 where ct is 0 (so an untaken where-branch stays 0). */
const over = (b: GradBuilder, ct: Value, d: Value): Value => maskedDiv(b, ct, d);

/** The names of the elementwise primitives computed by a math-table function, declared rather than inferred from the table so that derivative rules can take
 * an OpName (ops/op.ts: inferring them would make the table's type depend on itself). */
export type UnaryMathName =
  | 'log1p'
  | 'log2'
  | 'log10'
  | 'expm1'
  | 'erf'
  | 'tan'
  | 'asin'
  | 'acos'
  | 'atan'
  | 'sinh'
  | 'cosh'
  | 'asinh'
  | 'acosh'
  | 'atanh'
  | 'floor'
  | 'ceil'
  | 'round'
  | 'trunc'
  | 'isnan'
  | 'isinf'
  | 'isfinite';

export const UNARY_MATH: Readonly<Record<UnaryMathName, OpDef>> = {
  log1p: unary('log1p', {
    special: sv([[-1], -Infinity], [[-2], NaN], [[-0], -0], [[1e-300], 1e-300]),
    doc: 'log(1 + x), accurate for small |x|; derivative 1/(1 + x)',
    math: 'log1p',
    domain: 'positive',
    vjp: (b, ct, n) => over(b, ct, add(b, b.num(1), x0(n))),
  }),
  // log2/log10 are primitives, not log(x)/ln 2: that misses exact powers (log(1000)/ln 10 = 2.9999999999999996)
  log2: unary('log2', {
    special: sv([[8], 3], [[0], -Infinity], [[-1], NaN], [[Infinity], Infinity], [[0.5], -1]),
    doc: 'base-2 logarithm, exact at powers of 2; derivative 1/(x·ln 2)',
    math: 'log2',
    domain: 'positive',
    vjp: (b, ct, n) => over(b, ct, mul(b, x0(n), b.num(Math.LN2))),
  }),
  log10: unary('log10', {
    special: sv([[1000], 3], [[0], -Infinity], [[-1], NaN], [[1e-300], -300]),
    doc: 'base-10 logarithm, exact at powers of 10; derivative 1/(x·ln 10)',
    math: 'log10',
    domain: 'positive',
    vjp: (b, ct, n) => over(b, ct, mul(b, x0(n), b.num(Math.LN10))),
  }),
  expm1: unary('expm1', {
    special: sv([[-Infinity], -1], [[-0], -0], [[1e-300], 1e-300]),
    doc: 'eˣ − 1, accurate for small |x|; derivative eˣ',
    math: 'expm1',
    vjp: (b, ct, n) => mul(b, ct, add(b, n.out, b.num(1))),
  }),
  // erf′(x) = (2/√π)·e^(−x²)
  erf: unary('erf', {
    special: sv([[Infinity], 1], [[-Infinity], -1], [[-0], -0], [[NaN], NaN]),
    doc: 'the error function (2/√π)∫₀ˣ e^(−t²) dt; erf(±∞) = ±1',
    math: 'erf',
    vjp: (b, ct, n) => mul(b, ct, mul(b, b.num(1.1283791670955126), b.op('exp', [neg(b, sq(b, x0(n)))]))),
  }),
  tan: unary('tan', {
    special: sv([[-0], -0], [[Infinity], NaN]),
    doc: 'tangent; tan′ = 1 + tan²',
    math: 'tan',
    vjp: (b, ct, n) => mul(b, ct, add(b, b.num(1), sq(b, n.out))),
  }),
  asin: unary('asin', {
    special: sv([[2], NaN], [[1], Math.PI / 2], [[-0], -0]),
    doc: 'arcsine on [−1, 1]; asin′ = 1/√(1 − x²)',
    math: 'asin',
    domain: 'unit',
    vjp: (b, ct, n) => over(b, ct, b.op('sqrt', [sub(b, b.num(1), sq(b, x0(n)))])),
  }),
  acos: unary('acos', {
    special: sv([[2], NaN], [[1], 0]),
    doc: 'arccosine on [−1, 1]; acos′ = −1/√(1 − x²)',
    math: 'acos',
    domain: 'unit',
    vjp: (b, ct, n) => neg(b, over(b, ct, b.op('sqrt', [sub(b, b.num(1), sq(b, x0(n)))]))),
  }),
  atan: unary('atan', {
    special: sv([[Infinity], Math.PI / 2], [[-Infinity], -Math.PI / 2]),
    doc: 'arctangent; atan′ = 1/(1 + x²)',
    math: 'atan',
    vjp: (b, ct, n) => over(b, ct, add(b, b.num(1), sq(b, x0(n)))),
  }),
  sinh: unary('sinh', {
    special: sv([[Infinity], Infinity], [[-0], -0]),
    doc: 'hyperbolic sine; sinh′ = cosh',
    math: 'sinh',
    vjp: (b, ct, n) => mul(b, ct, b.op('cosh', [x0(n)])),
  }),
  cosh: unary('cosh', {
    special: sv([[-Infinity], Infinity], [[-0], 1]),
    doc: 'hyperbolic cosine; cosh′ = sinh',
    math: 'cosh',
    vjp: (b, ct, n) => mul(b, ct, b.op('sinh', [x0(n)])),
  }),
  asinh: unary('asinh', {
    special: sv([[-Infinity], -Infinity], [[-0], -0]),
    doc: 'inverse hyperbolic sine; asinh′ = 1/√(x² + 1)',
    math: 'asinh',
    vjp: (b, ct, n) => over(b, ct, b.op('sqrt', [add(b, sq(b, x0(n)), b.num(1))])),
  }),
  acosh: unary('acosh', {
    special: sv([[0.5], NaN], [[1], 0], [[Infinity], Infinity]),
    doc: 'inverse hyperbolic cosine on [1, ∞); acosh′ = 1/√(x² − 1)',
    math: 'acosh',
    domain: 'above-one',
    vjp: (b, ct, n) => over(b, ct, b.op('sqrt', [sub(b, sq(b, x0(n)), b.num(1))])),
  }),
  atanh: unary('atanh', {
    special: sv([[1], Infinity], [[-1], -Infinity], [[2], NaN]),
    doc: 'inverse hyperbolic tangent on (−1, 1); atanh′ = 1/(1 − x²)',
    math: 'atanh',
    domain: 'unit',
    vjp: (b, ct, n) => over(b, ct, sub(b, b.num(1), sq(b, x0(n)))),
  }),
  floor: unary('floor', {
    special: sv([[-0.5], -1], [[-0], -0], [[Infinity], Infinity], [[NaN], NaN]),
    doc: 'largest integer ≤ x (as a float); zero derivative',
    math: 'floor',
    vjp: () => null,
    differentiable: false,
  }),
  ceil: unary('ceil', {
    special: sv([[-0.5], -0], [[0.2], 1]),
    doc: 'smallest integer ≥ x (as a float); zero derivative',
    math: 'ceil',
    vjp: () => null,
    differentiable: false,
  }),
  round: unary('round', {
    special: sv([[0.5], 0], [[1.5], 2], [[2.5], 2], [[-0.5], -0], [[-2.5], -2]),
    doc: 'nearest integer, halves to even (torch.round); zero derivative',
    math: 'round',
    vjp: () => null,
    differentiable: false,
  }),
  trunc: unary('trunc', {
    special: sv([[-0.7], -0], [[2.9], 2]),
    doc: 'integer part, toward zero; zero derivative',
    math: 'trunc',
    vjp: () => null,
    differentiable: false,
  }),
  isnan: unary('isnan', {
    special: sv([[NaN], 1], [[Infinity], 0]),
    doc: 'x is NaN (bool)',
    eval: (x) => (x !== x ? 1 : 0),
    emit: (x) => bin('!=', x, x),
    outDtype: bool,
    vjp: () => null,
    differentiable: false,
  }),
  isinf: unary('isinf', {
    special: sv([[-Infinity], 1], [[NaN], 0]),
    doc: 'x is +∞ or −∞ (bool)',
    eval: (x) => (Math.abs(x) === Infinity ? 1 : 0),
    emit: (x) => bin('==', call('abs', x), num(Infinity)),
    outDtype: bool,
    vjp: () => null,
    differentiable: false,
  }),
  isfinite: unary('isfinite', {
    special: sv([[NaN], 0], [[Infinity], 0], [[1e308], 1]),
    doc: 'x is neither ±∞ nor NaN (bool)',
    math: 'isfinite',
    outDtype: bool,
    vjp: () => null,
    differentiable: false,
  }),
};
