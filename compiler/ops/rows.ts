// Row independence: which ops can run one row at a time along an axis of their result. passes/sinkRows.ts
// uses it to move the row-wise work around a checkpointed loop (an input projection x·Wx + b over
// [T, B, D], a readout and per-step loss over the stacked states) into the loop's step, so that nothing
// of size T·(width) outlives the step. A rule (OpDef.algebra.rows) says: row i of the result along
// `axis` is the same op applied to row i of each input along `row`, or to a whole input (see RowRule).
// Elementwise ops share one rule (broadcasting); ops without a rule are treated as mixing rows.
import type { Dim, TensorType } from '../types/types.js';
import { dimMul } from '../types/dims.js';
import type { Attrs, NodeView, OpDef, RowInput, RowRule } from './op.js';

const WHOLE: RowInput = { whole: true };
const ints = (a: Attrs, key: string): number[] => [...(a[key] as readonly number[])];
const without = <T>(xs: readonly T[], i: number): T[] => xs.filter((_, j) => j !== i);

/** The rule for node `n` along `axis`, or undefined when its rows mix (or the op has no rule). */
export const rowsOf = (def: OpDef, n: NodeView, axis: number): RowRule | undefined => {
  if (axis < 0 || axis >= n.type.shape.length) return undefined;
  const rule = def.algebra?.rows ?? (def.kind === 'elementwise' ? broadcastRows : undefined);
  return rule?.(n, axis);
};

/**
 * NumPy broadcasting, right-aligned: an input reaching the axis with its full extent is read row by
 * row, one with extent 1 there (or not reaching it) is the same for every row. Elementwise ops whose
 * value depends on the element's position (iota, which has no inputs; the random generators, which
 * have a `shape` attribute) have none.
 */
export const broadcastRows = (n: NodeView, axis: number): RowRule | undefined => {
  if ('shape' in n.attrs || n.inTypes.length === 0) return undefined;
  const r = n.type.shape.length;
  return { inputs: n.inTypes.map((t) => aligned(t.shape, r, axis, n.type.shape[axis]!)), attrs: n.attrs };
};

const aligned = (shape: readonly Dim[], outRank: number, axis: number, extent: Dim): RowInput => {
  const q = axis - (outRank - shape.length);
  if (q < 0) return WHOLE;
  return shape[q] === extent ? { row: q } : { whole: true, drop: q };
};

/** sum/max over axes that do not include the row axis. */
export const reduceRows = (n: NodeView, axis: number): RowRule | undefined => {
  const axes = ints(n.attrs, 'axes'),
    keep = n.attrs['keepdims'] === true;
  const kept = [...n.inTypes[0]!.shape.keys()].filter((d) => keep || !axes.includes(d));
  const q = kept[axis];
  if (q === undefined || axes.includes(q)) return undefined;
  return { inputs: [{ row: q }], attrs: { ...n.attrs, axes: axes.map((d) => (d > q ? d - 1 : d)) } };
};

export const transposeRows = (n: NodeView, axis: number): RowRule => {
  const p = ints(n.attrs, 'perm'),
    q = p[axis]!;
  return { inputs: [{ row: q }], attrs: { perm: without(p, axis).map((d) => (d > q ? d - 1 : d)) } };
};

/** A reshape that keeps the row axis whole: the same extent, and the same number of elements before it. */
export const reshapeRows = (n: NodeView, axis: number): RowRule | undefined => {
  const inShape = n.inTypes[0]!.shape,
    out = n.type.shape;
  const before = (s: readonly Dim[], i: number): Dim => s.slice(0, i).reduce<Dim>((p, d) => dimMul(p, d), 1);
  const q = inShape.findIndex((d, i) => d === out[axis] && String(before(inShape, i)) === String(before(out, axis)));
  return q < 0 ? undefined : { inputs: [{ row: q }], attrs: { shape: without(out, axis) } };
};

export const broadcastToRows = (n: NodeView, axis: number): RowRule => {
  const out = n.type.shape;
  return { inputs: [aligned(n.inTypes[0]!.shape, out.length, axis, out[axis]!)], attrs: { shape: without(out, axis) } };
};

/** A slice that takes the whole row axis. */
export const sliceRows = (n: NodeView, axis: number): RowRule | undefined => {
  const begin = ints(n.attrs, 'begin'),
    end = n.attrs['end'] as readonly Dim[];
  if (begin[axis] !== 0 || end[axis] !== n.inTypes[0]!.shape[axis]) return undefined;
  return { inputs: [{ row: axis }], attrs: { begin: without(begin, axis), end: without(end, axis) } };
};

/** concat along another axis (every input is then read row by row). */
export const concatRows = (n: NodeView, axis: number): RowRule | undefined => {
  const rank = n.type.shape.length,
    c = ((n.attrs['axis'] as number) + rank) % rank;
  if (c === axis) return undefined;
  return { inputs: n.inTypes.map(() => ({ row: axis })), attrs: { axis: c > axis ? c - 1 : c } };
};

/** pad with no padding on the row axis. */
export const padRows = (n: NodeView, axis: number): RowRule | undefined => {
  const before = ints(n.attrs, 'before'),
    after = n.attrs['after'] as readonly Dim[];
  if (before[axis] !== 0 || after[axis] !== 0) return undefined;
  return { inputs: [{ row: axis }], attrs: { before: without(before, axis), after: without(after, axis) } };
};

/** gather(table, idx): rows along an axis of the indices; the table is read whole. */
export const gatherRows = (n: NodeView, axis: number): RowRule | undefined =>
  axis < n.inTypes[1]!.shape.length ? { inputs: [WHOLE, { row: axis }], attrs: n.attrs } : undefined;

/**
 * matmul along a batch axis (broadcast like elementwise ops), each operand keeping its two matrix axes;
 * or along the rows of the left operand when the right one is a plain matrix and the left one has a
 * batch axis: out[…, b, t, n] = Σₖ x[…, b, t, k]·W[k, n], so row t is x[…, :, t, :]·W (b takes t's place).
 */
export const matmulRows = (n: NodeView, axis: number): RowRule | undefined => {
  const r = n.type.shape.length;
  const [x, w] = n.inTypes as [TensorType, TensorType];
  if (axis === r - 2 && w.shape.length === 2 && x.shape.length >= 3) return { inputs: [{ row: x.shape.length - 2 }, WHOLE], attrs: n.attrs };
  if (axis >= r - 2) return undefined;
  return { inputs: n.inTypes.map((t) => aligned(t.shape.slice(0, -2), r - 2, axis, n.type.shape[axis]!)), attrs: n.attrs };
};
