// Ops that work along one axis (cumulative recurrences, argmax, sorting, gathers along an axis) see a
// tensor as lines: outer × inner lines of n elements, element k of a line at base + k·inner with
// base = o·n·inner + q. These helpers walk the lines in the interpreter and in generated kernels alike.
import { add, mul, num, v, loop, type Expr, type Stmt } from '../loops/loops.js';
import { shapeError, type ShapeError } from '../types/shapes.js';
import { fmtShape, type Dim, type TensorType } from '../types/types.js';
import { size } from './ndarray.js';
import type { Attrs, GenKit } from './op.js';

export interface Lines {
  readonly outer: number;
  readonly n: number;
  readonly inner: number;
}

export const linesOf = (shape: readonly number[], axis: number): Lines => ({
  outer: size(shape.slice(0, axis)),
  n: shape[axis] ?? 1,
  inner: size(shape.slice(axis + 1)),
});

/** f(base, stride) for every line of `shape` along `axis`, in row-major order of (o, q). */
export const forEachLine = (shape: readonly number[], axis: number, f: (base: number, stride: number, n: number) => void): void => {
  const { outer, n, inner } = linesOf(shape, axis);
  for (let o = 0; o < outer; o++) for (let q = 0; q < inner; q++) f(o * n * inner + q, inner, n);
};

/** Loops over the lines of `shape` along `axis`; body(base) gets the line's first flat index. */
export const lineLoops = (fresh: (hint: string) => string, shape: readonly number[], axis: number, body: (base: Expr, l: Lines) => Stmt[]): Stmt[] => {
  const l = linesOf(shape, axis);
  if (l.outer * l.inner === 0) return [];
  const [o, q] = [fresh('o'), fresh('q')];
  return [loop(o, l.outer, [loop(q, l.inner, body(add(mul(v(o), num(l.n * l.inner)), v(q)), l))])];
};

/**
 * Loops over lines of two tensors that agree on every axis but `axis` (sizes n1 and n2 there): body gets
 * both line bases at the same (o, q), o·n1·inner + q and o·n2·inner + q.
 */
export const pairLoops = (
  fresh: (hint: string) => string,
  shape1: readonly number[],
  n2: number,
  axis: number,
  body: (base1: Expr, base2: Expr, l: Lines) => Stmt[],
): Stmt[] => {
  const l = linesOf(shape1, axis);
  if (l.outer * l.inner === 0) return [];
  const [o, q] = [fresh('o'), fresh('q')];
  return [loop(o, l.outer, [loop(q, l.inner, body(add(mul(v(o), num(l.n * l.inner)), v(q)), add(mul(v(o), num(n2 * l.inner)), v(q)), l))])];
};

/** f(base1, base2, stride, n1) for line pairs as pairLoops. */
export const forEachPair = (
  shape1: readonly number[],
  n2: number,
  axis: number,
  f: (base1: number, base2: number, stride: number, n1: number) => void,
): void => {
  const { outer, n, inner } = linesOf(shape1, axis);
  for (let o = 0; o < outer; o++) for (let q = 0; q < inner; q++) f(o * n * inner + q, o * n2 * inner + q, inner, n);
};

/** base + k·stride as an index expression. */
export const along = (base: Expr, k: Expr, stride: number): Expr => add(base, mul(k, num(stride)));

export const axisAttr = (a: Attrs): number => a['axis'] as number;

/** The axis attribute checked against the rank (the built-ins normalize it; the rule re-checks). */
export const checkAxis = (name: string, t: TensorType, a: Attrs): ShapeError | undefined => {
  const ax = a['axis'];
  return typeof ax === 'number' && Number.isInteger(ax) && ax >= 0 && ax < t.shape.length
    ? undefined
    : shapeError(`${name}: axis ${String(ax)} is out of range for ${fmtShape(t.shape)}`, 0);
};

export const sameShape = (a: readonly Dim[], b: readonly Dim[]): boolean => a.length === b.length && a.every((d, i) => String(d) === String(b[i]));

/** A shape of rank ≥ 1 and an axis of it, for property tests. */
export const genAxis = (k: GenKit, maxRank = 3): { shape: number[]; axis: number } => {
  const shape = k.shape(1, maxRank, 4);
  return { shape, axis: k.int(0, shape.length - 1) };
};
