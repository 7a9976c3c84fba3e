// Elementwise one-input primitives. Each entry: reference eval, scalar emission, derivative rule.
// Derivative conventions at kinks follow PyTorch: abs'(0) = 0, sign' = 0, sqrt'(0) = +inf.
import { call, neg as eneg, type Expr } from '../loops/loops.js';
import { MATH, type MathName } from './math.js';
import { isShapeError } from '../types/shapes.js';
import { sv } from './helpers.js';
import type { DType, TensorType } from '../types/types.js';
import { maskedDiv, mul, needFloat, neg, smallShape, sub } from './helpers.js';
import { mapBroadcast } from './ndarray.js';
import type { Attrs, GradBuilder, NodeView, OpDef, Value } from './op.js';

interface UnarySpec {
  readonly doc: string;
  /** Its attributes (cast's dtype); none by default. */
  readonly attrs?: OpDef['attrs'];
  /** A function of the math table (ops/math.ts): eval and emit both come from it. */
  readonly math?: MathName;
  readonly eval?: (x: number, attrs: Attrs) => number;
  readonly emit?: (x: Expr, attrs: Attrs) => Expr;
  readonly vjp: (b: GradBuilder, ct: Value, n: NodeView) => Value | null;
  readonly floatOnly?: boolean;
  readonly outDtype?: (d: DType, attrs: Attrs) => DType;
  readonly domain?: OpDef['domain'];
  readonly differentiable?: boolean;
  readonly gen?: OpDef['gen'];
  readonly algebra?: OpDef['algebra'];
  readonly special?: OpDef['special'];
  readonly call?: OpDef['call'];
}

export const unary = (name: string, spec: UnarySpec): OpDef => {
  const s = withMath(spec);
  return {
    name,
    arity: 1,
    ...(s.attrs ? { attrs: s.attrs } : {}),
    kind: 'elementwise',
    doc: s.doc,
    shape: ([x], attrs) => {
      const t = x as TensorType;
      const err = s.floatOnly !== false ? needFloat(name, t) : undefined;
      if (err && isShapeError(err)) return err;
      return { dtype: s.outDtype ? s.outDtype(t.dtype, attrs) : t.dtype, shape: t.shape };
    },
    eval: (ins, attrs, out) => mapBroadcast(ins, out.shape, ([x]) => s.eval(x!, attrs)),
    emit: { kind: 'scalar', expr: ([x], attrs) => s.emit(x!, attrs) },
    vjp: (b, ct, n) => [s.vjp(b, ct, n)],
    differentiable: s.differentiable ?? true,
    gen: s.gen ?? ((k) => ({ shapes: [smallShape(k)], attrs: {} })),
    ...(s.domain ? { domain: s.domain } : {}),
    ...(s.algebra ? { algebra: s.algebra } : {}),
    ...(s.special ? { special: s.special } : {}),
    ...(s.call ? { call: s.call } : {}),
    ...(s.math ? { math: s.math } : {}),
  };
};

/** eval and emit from the math table entry, unless given. */
const withMath = (s: UnarySpec): UnarySpec & Required<Pick<UnarySpec, 'eval' | 'emit'>> => {
  if (s.eval && s.emit) return s as UnarySpec & Required<Pick<UnarySpec, 'eval' | 'emit'>>;
  if (!s.math) throw new Error('a unary op needs `math` or both `eval` and `emit`');
  const f = MATH[s.math].impl as (x: number) => number,
    fn = s.math;
  return { ...s, eval: s.eval ?? ((x) => f(x)), emit: s.emit ?? ((x) => call(fn, x)) };
};

/** The names of the unary primitives, declared rather than inferred from the table so that derivative rules can take
 * an OpName (ops/op.ts: inferring them would make the table's type depend on itself). */
export type UnaryName = 'neg' | 'exp' | 'log' | 'sqrt' | 'abs' | 'sign' | 'tanh' | 'sigmoid' | 'sin' | 'cos' | 'stop_gradient' | 'cast';

export const UNARY: Readonly<Record<UnaryName, OpDef>> = {
  neg: unary('neg', {
    special: sv([[0], -0], [[-0], 0], [[NaN], NaN]),
    doc: 'negation −x',
    eval: (x) => -x,
    emit: eneg,
    floatOnly: false,
    algebra: { involution: true, negation: true },
    outDtype: (d) => (d === 'bool' ? 'i32' : d),
    vjp: (b, ct) => neg(b, ct),
  }),
  exp: unary('exp', {
    special: sv([[-Infinity], 0], [[Infinity], Infinity], [[NaN], NaN], [[-746], 0], [[710], Infinity]),
    doc: 'exponential eˣ',
    math: 'exp',
    vjp: (b, ct, n) => mul(b, ct, n.out),
    algebra: { positive: () => true, logOf: (_r, [u]) => u, stabilize: (r, n) => r.stableExp(n.inputs[0]!) },
  }),
  log: unary('log', {
    special: sv([[0], -Infinity], [[-0], -Infinity], [[-1], NaN], [[Infinity], Infinity], [[1], 0]),
    doc: 'natural logarithm',
    math: 'log',
    domain: 'positive',
    // exp(log y) = y only where log is defined: for y known to be positive
    algebra: { stabilize: (r, n) => r.stableLog(n.inputs[0]!), expOf: (r, [y]) => (r.positive(y!) ? y : undefined) },
    vjp: (b, ct, n) => maskedDiv(b, ct, n.inputs[0]!),
  }),
  sqrt: unary('sqrt', {
    special: sv([[-0], -0], [[-1], NaN], [[Infinity], Infinity]),
    doc: 'square root √x',
    math: 'sqrt',
    domain: 'positive',
    // d√x = 1/(2√x)
    vjp: (b, ct, n) => maskedDiv(b, ct, mul(b, b.num(2), n.out)),
  }),
  abs: unary('abs', {
    special: sv([[-0], 0], [[-Infinity], Infinity], [[NaN], NaN]),
    doc: '|x|; derivative sign(x), 0 at 0',
    math: 'abs',
    floatOnly: false,
    outDtype: (d) => (d === 'bool' ? 'i32' : d),
    domain: 'nonzero',
    algebra: { even: true },
    vjp: (b, ct, n) => mul(b, ct, b.op('sign', [n.inputs[0]!])),
  }),
  sign: unary('sign', {
    special: sv([[-0], 0], [[0], 0], [[NaN], 0], [[-Infinity], -1]),
    doc: 'sign(x) ∈ {−1, 0, 1}; sign(±0) = 0 and sign(NaN) = 0 (as torch.sign); zero derivative',
    math: 'sign',
    floatOnly: false,
    outDtype: (d) => (d === 'bool' ? 'i32' : d),
    vjp: () => null,
    differentiable: false,
  }),
  tanh: unary('tanh', {
    special: sv([[Infinity], 1], [[-Infinity], -1], [[-0], -0]),
    doc: 'hyperbolic tangent; tanh′ = 1 − tanh²',
    math: 'tanh',
    vjp: (b, ct, n) => mul(b, ct, sub(b, b.num(1), mul(b, n.out, n.out))),
  }),
  sigmoid: unary('sigmoid', {
    special: sv([[-Infinity], 0], [[Infinity], 1], [[-800], 0], [[0], 0.5], [[NaN], NaN]),
    doc: 'σ(x) = 1/(1+e⁻ˣ), evaluated without overflow for large |x|; σ′ = σ(1−σ)',
    math: 'sigmoid',
    vjp: (b, ct, n) => mul(b, ct, mul(b, n.out, sub(b, b.num(1), n.out))),
    algebra: {
      positive: () => true,
      // log σ(z) = −softplus(−z) = min(z, 0) − log1p(e^−|z|) (log1p keeps the −e^−z of z ≫ 0)
      logOf: (r, [z]) => sub(r, r.op('minimum', [z!, r.num(0)]), r.op('log1p', [r.op('exp', [neg(r, r.op('abs', [z!]))])])),
      complementOf: (r, [z]) => r.op('sigmoid', [neg(r, z!)]),
    },
  }),
  sin: unary('sin', { special: sv([[Infinity], NaN], [[-0], -0]), doc: 'sine', math: 'sin', vjp: (b, ct, n) => mul(b, ct, b.op('cos', [n.inputs[0]!])) }),
  cos: unary('cos', {
    special: sv([[Infinity], NaN], [[-0], 1]),
    doc: 'cosine',
    math: 'cos',
    vjp: (b, ct, n) => neg(b, mul(b, ct, b.op('sin', [n.inputs[0]!]))),
  }),
  stop_gradient: unary('stop_gradient', {
    doc: 'identity whose derivative is zero (detach)',
    eval: (x) => x,
    emit: (x) => x,
    floatOnly: false,
    vjp: () => null,
    algebra: { identity_eval: true },
    differentiable: false,
  }),
  cast: unary('cast', {
    attrs: { dtype: 'dtype' },
    doc: 'convert element type: to i32 truncates toward zero, to bool tests ≠ 0',
    floatOnly: false,
    outDtype: (_d, a) => a['dtype'] as DType,
    eval: (x, a) => (a['dtype'] === 'i32' ? Math.trunc(x) : a['dtype'] === 'bool' ? (x !== 0 ? 1 : 0) : x),
    emit: (x, a) => (a['dtype'] === 'i32' ? call('trunc', x) : a['dtype'] === 'bool' ? { k: 'bin', op: '!=', a: x, b: { k: 'num', v: 0 } } : x),
    // Only float → float casts pass a gradient; integer results carry none.
    vjp: (_b, ct, n) => (n.type.dtype === 'f32' && n.inTypes[0]!.dtype === 'f32' ? ct : null),
    gen: (k) => ({ shapes: [smallShape(k)], attrs: { dtype: k.pick(['f32', 'i32', 'bool']) } }),
    call: {
      params: [
        { name: 'x', kind: 'tensor' },
        { name: 'dtype', kind: 'dtype' },
      ],
    },
  }),
};
