// Plumbing shared by op families: standard shape rules, dtype promotion and small IR-building shorthands
// for derivative rules (so a vjp reads like the formula it implements).
import { broadcastShapes, isShapeError, shapeError, type ShapeError } from '../types/shapes.js';
import type { DType, TensorType } from '../types/types.js';
import type { GenKit, GradBuilder, SpecialValue, Value } from './op.js';

export const isNumeric = (d: DType): boolean => d === 'f32' || d === 'i32' || d === 'bool';

/** f32 wins; otherwise integers stay integers (bool counts as integer 0/1). */
export const promote = (ds: readonly DType[]): DType => (ds.includes('f32') ? 'f32' : 'i32');

export const broadcastType = (ins: readonly TensorType[], dtype: DType): TensorType | ShapeError => {
  const s = broadcastShapes(ins.map((t) => t.shape));
  return isShapeError(s) ? s : { dtype, shape: s };
};

export const needFloat = (name: string, t: TensorType, operand = 0): ShapeError | undefined =>
  t.dtype === 'f32' ? undefined : shapeError(`${name} expects a float tensor (f32), got ${t.dtype}; use cast(x, f32)`, operand, 'E0204');

// ---- shorthands used by vjp rules ---------------------------------------------------------------
export const add = (b: GradBuilder, x: Value, y: Value): Value => b.op('add', [x, y]);
export const sub = (b: GradBuilder, x: Value, y: Value): Value => b.op('sub', [x, y]);
export const mul = (b: GradBuilder, x: Value, y: Value): Value => b.op('mul', [x, y]);
export const div = (b: GradBuilder, x: Value, y: Value): Value => b.op('div', [x, y]);
export const neg = (b: GradBuilder, x: Value): Value => b.op('neg', [x]);
export const where = (b: GradBuilder, c: Value, x: Value, y: Value): Value => b.op('where', [c, x, y]);
export const toF32 = (b: GradBuilder, x: Value): Value => b.op('cast', [x], { dtype: 'f32' });

/**
 * ct·∂ for partials that can be infinite (log, sqrt, div, pow at their singular points): where the
 * cotangent is exactly zero the product is zero, not NaN. This is what makes `where(x > 0, log(x), 0)`
 * differentiable at x = 0: `where` sends a zero cotangent into the untaken branch, and it stays zero.
 */
export const maskedMul = (b: GradBuilder, ct: Value, partial: Value): Value => where(b, b.op('ne', [ct, b.num(0)]), mul(b, ct, partial), b.num(0));
export const maskedDiv = (b: GradBuilder, ct: Value, denom: Value): Value => where(b, b.op('ne', [ct, b.num(0)]), div(b, ct, denom), b.num(0));

/** Random shapes of rank 0–3 with small dims, as tests like them. */
export const smallShape = (k: GenKit): number[] => k.shape(0, 3, 4);

/** A pair of shapes that broadcast together: start from one shape and replace some dims by 1 or drop leading axes. */
export const broadcastablePair = (k: GenKit): [number[], number[]] => {
  const full = k.shape(0, 3, 4);
  const squash = (s: number[]): number[] => {
    const drop = k.int(0, s.length);
    return s.slice(drop).map((d) => (k.bool() ? d : 1));
  };
  return k.bool() ? [full, squash(full)] : [squash(full), full];
};

/** Special values as [inputs, result] pairs (OpDef.special). */
export const sv = (...cases: readonly (readonly [readonly number[], number])[]): SpecialValue[] => cases.map(([at, out]) => ({ at, out }));
