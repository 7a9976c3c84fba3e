// The loop IR's operations as WebAssembly opcodes, for the printer (emitWasm.ts): comparisons and
// arithmetic in i32 and f64, the math functions wasm has with exactly JavaScript's results, and the
// rule for which number literals are i32. Math functions wasm has with JavaScript's exact results are
// inlined (sqrt, abs, floor, ceil, trunc, min, max, fround, round half to even, sign, isfinite); the
// others are imported from JavaScript (Math.exp, …, and ops/math.ts's own implementations), so they
// give the JavaScript backend's values bit for bit.
import { InternalError } from '../diagnostics/diagnostic.js';
import type { MathName } from '../ops/math.js';
import { OP } from '../../runtime/wasm/encode.js';

/** A loop-IR value's wasm type: i32 (integral) or f64. */
export type T = 'i' | 'f';

export const I32_CMP: Record<string, number> = { '<': OP.i32LtS, '<=': OP.i32LeS, '>': OP.i32GtS, '>=': OP.i32GeS, '==': OP.i32Eq, '!=': OP.i32Ne };
export const F64_CMP: Record<string, number> = { '<': OP.f64Lt, '<=': OP.f64Le, '>': OP.f64Gt, '>=': OP.f64Ge, '==': OP.f64Eq, '!=': OP.f64Ne };
export const I32_ARITH: Record<string, number> = { '+': OP.i32Add, '-': OP.i32Sub, '*': OP.i32Mul };
export const F64_ARITH: Record<string, number> = { '+': OP.f64Add, '-': OP.f64Sub, '*': OP.f64Mul, '/': OP.f64Div };

/** Functions inlined as wasm instructions, with exactly Math's results (−0 and NaN included: IEEE 754 min/max/floor/…). */
export const UNARY_INLINE: Partial<Record<MathName, number>> = {
  sqrt: OP.f64Sqrt,
  abs: OP.f64Abs,
  floor: OP.f64Floor,
  ceil: OP.f64Ceil,
  trunc: OP.f64Trunc,
  // round half to even (ops/math.ts round) is IEEE roundTiesToEven: f64.nearest
  round: OP.f64Nearest,
};

/** Every math function the printer inlines (the others are imported from JavaScript). */
export const INLINED: ReadonlySet<MathName> = new Set([...(Object.keys(UNARY_INLINE) as MathName[]), 'min', 'max', 'fround', 'isfinite', 'sign', 'sigmoid']);

/** A validated number literal: integral values under 2³¹ (not −0) are i32, everything else f64. */
export const isIntLiteral = (v: number): boolean => Number.isInteger(v) && Math.abs(v) < 2 ** 31 && !Object.is(v, -0);
export const checkNumber = (v: unknown): number => {
  if (typeof v !== 'number') throw new InternalError('codegen: non-numeric literal');
  return v;
};
