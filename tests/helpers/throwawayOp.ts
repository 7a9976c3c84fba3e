// A throwaway elementwise primitive, added the way a new one is: one entry in the math table and one op
// entry (what ops/unaryMath.ts would hold), nothing else. tests/registryNewOp.test.ts imports this first,
// before any other module reads the tables, so every table derived from them (the JavaScript prelude,
// the export rules, the checker's root scope, README's op table) sees it as it would see a real entry.
import { add, div, mul, sv } from '../../compiler/ops/helpers.js';
import { MATH, type MathFn, type MathName } from '../../compiler/ops/math.js';
import type { OpDef } from '../../compiler/ops/op.js';
import { OPS } from '../../compiler/ops/registry.js';
import { unary } from '../../compiler/ops/unary.js';

// the bent identity b(x) = (√(x² + 1) − 1)/2 + x, a function none of the tables has;
// b′(x) = x / (2√(x² + 1)) + 1
function bent(x: number): number {
  return (Math.sqrt(x * x + 1) - 1) / 2 + x;
}

export const BENT_MATH: MathFn = {
  impl: bent,
  c: ['dlm_bent', 'dlm_bent'],
  cDef: 'static inline real dlm_bent(real x) { return (sqrt(x * x + 1) - 1) / 2 + x; }',
};
// the math table entry first: the op reads its function from there
(MATH as Record<string, MathFn>)['bent'] = BENT_MATH;

export const BENT: OpDef = unary('bent', {
  math: 'bent' as MathName,
  doc: 'the bent identity (√(x² + 1) − 1)/2 + x (a test op)',
  special: sv([[0], 0], [[-0], 0], [[Infinity], Infinity], [[NaN], NaN]),
  vjp: (b, ct, n) => {
    const x = n.inputs[0]!;
    return mul(b, ct, add(b, b.num(1), div(b, x, mul(b, b.num(2), b.op('sqrt', [add(b, mul(b, x, x), b.num(1))])))));
  },
});

(OPS as Record<string, OpDef>)['bent'] = BENT;
