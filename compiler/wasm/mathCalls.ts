// The loop IR's math calls in WebAssembly (emitWasm.ts's printer calls mathCall): those with an
// instruction inline (sqrt, abs, floor, ceil, … in wasmOps.ts; min, max, fround), the few with a short
// formula (isfinite, sign, sigmoid, pow) printed with ops/math.ts's operations, the rest imported calls.
import type { Expr } from '../loops/loops.js';
import type { MathName } from '../ops/math.js';
import { F64, OP, call, f64Const, get, ifElse, op, tee, type Code } from '../../runtime/wasm/encode.js';
import type { WasmPrinter } from './emitWasm.js';
import { UNARY_INLINE } from './wasmOps.js';

export const mathCall = (p: WasmPrinter, fn: MathName, args: readonly Expr[]): Code => {
  const xs = args.map((a) => p.as(a, 'f'));
  const unary = UNARY_INLINE[fn];
  if (unary !== undefined && xs.length === 1) return op(unary, xs[0]!);
  if ((fn === 'min' || fn === 'max') && xs.length >= 1) {
    // f64.min/max are IEEE minimum/maximum: NaN if either is NaN, min(−0, +0) = −0, as Math.min/max
    const code = fn === 'min' ? OP.f64Min : OP.f64Max;
    return xs.slice(1).reduce((acc, x) => op(code, acc, x), xs[0]!);
  }
  if (fn === 'fround' && xs.length === 1) return op(OP.f64PromoteF32, op(OP.f32DemoteF64, xs[0]!));
  if (fn === 'isfinite' && xs.length === 1) {
    // x − x is 0 exactly when x is finite (NaN and ±∞ give NaN)
    const t = p.tmp('f');
    return op(OP.f64ConvertI32S, op(OP.f64Eq, op(OP.f64Sub, tee(t, xs[0]!), get(t)), f64Const(0)));
  }
  if (fn === 'sign' && xs.length === 1) {
    // (x > 0) − (x < 0): 0 for ±0 and NaN, as ops/math.ts sign
    const t = p.tmp('f');
    return op(OP.f64ConvertI32S, op(OP.i32Sub, op(OP.f64Gt, tee(t, xs[0]!), f64Const(0)), op(OP.f64Lt, get(t), f64Const(0))));
  }
  if (fn === 'sigmoid' && xs.length === 1) {
    // ops/math.ts sigmoid with Math.exp imported: x ≥ 0 ? 1/(1 + e⁻ˣ) : eˣ/(1 + eˣ), the same operations
    const t = p.tmp('f'),
      e = p.tmp('f');
    const exp = (x: Code) => call(p.ctx.mathImport('exp', 1), [x]);
    const pos = op(OP.f64Div, f64Const(1), op(OP.f64Add, f64Const(1), exp(op(OP.f64Neg, get(t)))));
    const negative = op(OP.f64Div, tee(e, exp(get(t))), op(OP.f64Add, f64Const(1), get(e)));
    return ifElse(op(OP.f64Ge, tee(t, xs[0]!), f64Const(0)), F64, pos, negative);
  }
  if (fn === 'pow' && xs.length === 2) {
    // ops/math.ts pow: 1ʸ = 1 and (−1)^±∞ = 1, else Math.pow (JavaScript's **)
    const x = p.tmp('f'),
      y = p.tmp('f');
    const one = op(
      OP.i32Or,
      op(OP.f64Eq, tee(x, xs[0]!), f64Const(1)),
      op(OP.i32And, op(OP.f64Eq, get(x), f64Const(-1)), op(OP.f64Eq, op(OP.f64Abs, tee(y, xs[1]!)), f64Const(Infinity))),
    );
    return ifElse(one, F64, f64Const(1), call(p.ctx.mathImport('pow', 2), [get(x), get(y)]));
  }
  return call(p.ctx.mathImport(fn, xs.length), xs);
};
