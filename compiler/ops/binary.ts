// Elementwise primitives of two or three inputs with NumPy broadcasting. Derivative rules return
// cotangents of the broadcast shape; autodiff/grad.ts sums them back to each input's shape.
// Ties: maximum/minimum give ½ to each operand when a = b (PyTorch's convention).
import { bin, call, sel, type BinOp, type Expr } from '../loops/loops.js';
import { isShapeError } from '../types/shapes.js';
import { sv } from './helpers.js';
import type { DType, TensorType } from '../types/types.js';
import { broadcastablePair, broadcastType, maskedDiv, maskedMul, mul, neg, promote, sub, toF32, where } from './helpers.js';
import { MATH } from './math.js';
import { mapBroadcast } from './ndarray.js';
import type { GradBuilder, NodeView, OpDef, Rewriter, Value } from './op.js';
import type { OpName } from './registry.js';

interface BinarySpec {
  readonly doc: string;
  readonly eval: (x: number, y: number) => number;
  readonly emit: (x: Expr, y: Expr) => Expr;
  readonly vjp: (b: GradBuilder, ct: Value, n: NodeView) => readonly (Value | null)[];
  readonly dtype?: (a: DType, b: DType) => DType;
  readonly domain?: OpDef['domain'];
  readonly differentiable?: boolean;
  readonly algebra?: OpDef['algebra'];
  readonly special?: OpDef['special'];
}

export const binary = (name: string, s: BinarySpec): OpDef => ({
  name,
  arity: 2,
  kind: 'elementwise',
  doc: s.doc,
  shape: (ins) => broadcastType(ins, (s.dtype ?? ((a, b) => promote([a, b])))(ins[0]!.dtype, ins[1]!.dtype)),
  eval: (ins, _attrs, out) => mapBroadcast(ins, out.shape, ([x, y]) => s.eval(x!, y!)),
  emit: { kind: 'scalar', expr: ([x, y]) => s.emit(x!, y!) },
  vjp: s.vjp,
  differentiable: s.differentiable ?? true,
  gen: (k) => ({ shapes: broadcastablePair(k), attrs: {} }),
  ...(s.domain ? { domain: s.domain } : {}),
  ...(s.algebra ? { algebra: s.algebra } : {}),
  ...(s.special ? { special: s.special } : {}),
});

const compare = (name: string, op: BinOp, f: (x: number, y: number) => boolean): OpDef =>
  binary(name, {
    doc: `comparison ${op}, giving a bool tensor; no gradient`,
    eval: (x, y) => (f(x, y) ? 1 : 0),
    emit: (x, y) => bin(op, x, y),
    dtype: () => 'bool',
    vjp: () => [null, null],
    differentiable: false,
  });

const f32 = (): DType => 'f32';

/** log(x·y) = log x + log y and log(x/y) = log x − log y, for positive x, y one of which has a stable log. */
const splitLog = (r: Rewriter, combine: 'add' | 'sub', x: Value, y: Value): Value | undefined => {
  if (!r.positive(x) || !r.positive(y)) return undefined;
  const [lx, ly] = [r.stableLog(x), r.stableLog(y)];
  if (lx === undefined && ly === undefined) return undefined;
  return r.op(combine, [lx ?? r.op('log', [x]), ly ?? r.op('log', [y])]);
};

/** f(where(c, a, b)) = where(c, f(a), f(b)) for f = log or 1 − ·, when each branch is a constant or has a stable form. */
const throughBranches = (
  r: Rewriter,
  [c, x, y]: readonly Value[],
  ofConst: (k: Value) => Value | undefined,
  stable: (v: Value) => Value | undefined,
): Value | undefined => {
  const branch = (v: Value) => (r.constant(v) !== undefined ? ofConst(v) : stable(v));
  if (r.constant(x!) !== undefined && r.constant(y!) !== undefined) return undefined;
  const [fx, fy] = [branch(x!), branch(y!)];
  return fx === undefined || fy === undefined ? undefined : r.op('where', [c!, fx, fy]);
};

const ZERO_ORDER = 'dlm orders −0 below +0 (IEEE 754 maximum/minimum, Math.max/min); PyTorch returns its first operand when they compare equal';

// ½ at ties: d max(a,b)/da = 1 − [a < b] − ½[a = b], which is [a > b] + ½[a = b] for numbers and 1 when
// either is NaN (the result is NaN; PyTorch gives each side the whole cotangent then).
const tieWeight = (b: GradBuilder, lose: OpName, x: Value, y: Value): Value =>
  sub(b, sub(b, b.num(1), toF32(b, b.op(lose, [x, y]))), mul(b, b.num(0.5), toF32(b, b.op('eq', [x, y]))));

/** The names of the binary primitives, declared rather than inferred from the table so that derivative rules can take
 * an OpName (ops/op.ts: inferring them would make the table's type depend on itself). */
export type BinaryName = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum' | 'lt' | 'le' | 'gt' | 'ge' | 'eq' | 'ne';

export const BINARY: Readonly<Record<BinaryName, OpDef>> = {
  add: binary('add', {
    special: sv([[Infinity, -Infinity], NaN], [[-0, -0], -0], [[0, -0], 0]),
    doc: 'sum x + y',
    eval: (x, y) => x + y,
    emit: (x, y) => bin('+', x, y),
    vjp: (_b, ct) => [ct, ct],
    algebra: { identity: { left: 0, right: 0 }, positive: ([x, y]) => x! && y! },
  }),
  sub: binary('sub', {
    special: sv([[Infinity, Infinity], NaN], [[-0, 0], -0], [[0, 0], 0]),
    doc: 'difference x − y',
    eval: (x, y) => x - y,
    emit: (x, y) => bin('-', x, y),
    vjp: (b, ct) => [ct, neg(b, ct)],
    algebra: { identity: { right: 0 }, sameOperands: 0, stabilize: (r, n) => (r.constant(n.inputs[0]!) === 1 ? r.stableComplement(n.inputs[1]!) : undefined) },
  }),
  mul: binary('mul', {
    special: sv([[0, Infinity], NaN], [[-0, 1], -0]),
    doc: 'product x · y',
    eval: (x, y) => x * y,
    emit: (x, y) => bin('*', x, y),
    algebra: { identity: { left: 1, right: 1 }, positive: ([x, y]) => x! && y!, logOf: (r, [x, y]) => splitLog(r, 'add', x!, y!) },
    vjp: (b, ct, n) => [mul(b, ct, n.inputs[1]!), mul(b, ct, n.inputs[0]!)],
  }),
  div: binary('div', {
    special: sv([[1, 0], Infinity], [[1, -0], -Infinity], [[0, 0], NaN], [[-1, 0], -Infinity], [[Infinity, Infinity], NaN]),
    doc: 'x / y (true division: integers give f32)',
    eval: (x, y) => x / y,
    emit: (x, y) => bin('/', x, y),
    dtype: f32,
    domain: 'nonzero',
    algebra: { identity: { right: 1 }, positive: ([x, y]) => x! && y!, logOf: (r, [x, y]) => splitLog(r, 'sub', x!, y!) },
    // d(x/y) = dx/y − x·dy/y²
    vjp: (b, ct, n) => [maskedDiv(b, ct, n.inputs[1]!), neg(b, maskedDiv(b, mul(b, ct, n.out), n.inputs[1]!))],
  }),
  pow: binary('pow', {
    special: sv(
      [[0, 0], 1],
      [[NaN, 0], 1],
      [[1, NaN], 1],
      [[-1, Infinity], 1],
      [[-8, 1 / 3], NaN],
      [[0, -1], Infinity],
      [[-0, -1], -Infinity],
      [[-2, 3], -8],
      [[Infinity, -1], 0],
    ),

    doc: 'xʸ for x > 0 (or integer y)',
    eval: MATH.pow.impl,
    emit: (x, y) => call('pow', x, y),
    dtype: f32,
    domain: 'positive',
    // ∂/∂x = y·x^(y−1), taken as 0 where y = 0 (x⁰ is constant, also at x = 0);
    // ∂/∂y = xʸ·log x, taken as 0 where x = 0 and y ≥ 0 (the limit from x > 0). Both as PyTorch.
    vjp: (b, ct, n) => {
      const [x, y] = n.inputs as [Value, Value];
      const zero = b.num(0);
      const dx = where(b, b.op('eq', [y, zero]), zero, maskedMul(b, ct, mul(b, y, b.op('pow', [x, sub(b, y, b.num(1))]))));
      const dyRaw = maskedMul(b, ct, mul(b, n.out, b.op('log', [x])));
      const dy = where(b, b.op('eq', [x, zero]), where(b, b.op('ge', [y, zero]), zero, dyRaw), dyRaw);
      return [dx, dy];
    },
  }),
  maximum: binary('maximum', {
    special: [...sv([[NaN, 1], NaN], [[1, NaN], NaN], [[0, -0], 0]), { at: [-0, 0], out: 0, torch: { out: -0, why: ZERO_ORDER } }],
    doc: 'elementwise max; ties give ½ of the gradient to each side',
    eval: Math.max,
    emit: (x, y) => call('max', x, y),
    domain: 'away-from-ties',
    vjp: (b, ct, n) => {
      const [x, y] = n.inputs as [Value, Value];
      return [mul(b, ct, tieWeight(b, 'lt', x, y)), mul(b, ct, tieWeight(b, 'lt', y, x))];
    },
  }),
  minimum: binary('minimum', {
    special: [...sv([[NaN, 1], NaN], [[-0, 0], -0]), { at: [0, -0], out: -0, torch: { out: 0, why: ZERO_ORDER } }],
    doc: 'elementwise min; ties give ½ of the gradient to each side',
    eval: Math.min,
    emit: (x, y) => call('min', x, y),
    domain: 'away-from-ties',
    vjp: (b, ct, n) => {
      const [x, y] = n.inputs as [Value, Value];
      return [mul(b, ct, tieWeight(b, 'gt', x, y)), mul(b, ct, tieWeight(b, 'gt', y, x))];
    },
  }),
  lt: compare('lt', '<', (x, y) => x < y),
  le: compare('le', '<=', (x, y) => x <= y),
  gt: compare('gt', '>', (x, y) => x > y),
  ge: compare('ge', '>=', (x, y) => x >= y),
  eq: compare('eq', '==', (x, y) => x === y),
  ne: compare('ne', '!=', (x, y) => x !== y),
};

/** where(c, x, y): x where c ≠ 0 else y. The cotangent is masked, so a NaN in the untaken branch never leaks. */
export const WHERE: OpDef = {
  name: 'where',
  arity: 3,
  kind: 'elementwise',
  doc: 'select x where the condition is true, else y; gradients flow only to the taken branch',
  shape: (ins) => {
    const t = broadcastType(ins, promote([ins[1]!.dtype, ins[2]!.dtype]));
    return isShapeError(t) ? t : (t as TensorType);
  },
  eval: (ins, _a, out) => mapBroadcast(ins, out.shape, ([c, x, y]) => (c !== 0 ? x! : y!)),
  emit: { kind: 'scalar', expr: ([c, x, y]) => sel(bin('!=', c!, { k: 'num', v: 0 }), x!, y!) },
  vjp: (b, ct, n) => {
    const c = n.inputs[0]!;
    const zero = b.num(0);
    return [null, where(b, c, ct, zero), where(b, c, zero, ct)];
  },
  differentiable: true,
  gen: (k) => {
    const [x, y] = broadcastablePair(k);
    return { shapes: [k.bool() ? x : y, x, y], attrs: {}, dtypes: ['bool', 'f32', 'f32'] };
  },
  algebra: {
    pick: ([c]) => (c === undefined ? undefined : c !== 0 ? 1 : 2),
    positive: ([, x, y]) => x! && y!,
    // Through a clip of probabilities: log(where(c, ε, p)) = where(c, log ε, log p), 1 − where(…) likewise.
    logOf: (r, ins) =>
      throughBranches(
        r,
        ins,
        (k) => (r.constant(k)! > 0 ? r.op('log', [k]) : undefined),
        (v) => r.stableLog(v),
      ),
    complementOf: (r, ins) =>
      throughBranches(
        r,
        ins,
        (k) => sub(r, r.num(1), k),
        (v) => r.stableComplement(v),
      ),
  },
};
