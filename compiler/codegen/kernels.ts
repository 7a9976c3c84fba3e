// Loop nests for the kernel shapes codegen needs: a fused elementwise map, a reduction (with its
// producer fused in), and strided copies. Dims that are contiguous for every operand are collapsed
// into one loop, so a plain elementwise chain runs as a single flat loop.
import { affine, comment, let_, letMut, load, loop, num, set, store, v, type Expr, type Stmt } from '../loops/loops.js';
import { contiguousStrides } from '../ops/ndarray.js';

/** A leaf read of a buffer with strides over the kernel's loop shape (0 where broadcast). */
export interface Leaf {
  readonly buf: string;
  readonly offset: number;
  readonly strides: readonly number[];
}

/** Builds the scalar expression of a kernel, given how to read leaves at the (collapsed) loop indices. */
export type ExprBuilder = (read: (leaf: Leaf) => Expr, axisIndex: (axis: number) => Expr) => Expr;

/** Groups of adjacent loop axes that can be merged: every stride vector is contiguous across them. */
export const collapse = (shape: readonly number[], vectors: readonly (readonly number[])[], barriers: ReadonlySet<number> = new Set()): number[][] => {
  const groups: number[][] = [];
  shape.forEach((_, d) => {
    const g = groups[groups.length - 1];
    const prev = g ? g[g.length - 1]! : -1;
    const ok = g !== undefined && !barriers.has(d) && vectors.every((s) => s[prev] === s[d]! * shape[d]!);
    if (ok) g.push(d);
    else groups.push([d]);
  });
  return groups;
};

const groupShape = (shape: readonly number[], groups: readonly number[][]): number[] => groups.map((g) => g.reduce((p, d) => p * shape[d]!, 1));
const groupStrides = (strides: readonly number[], groups: readonly number[][]): number[] => groups.map((g) => strides[g[g.length - 1]!]!);

/** One basis vector per loop axis, so `axisIndex(d)` (iota) takes part in collapsing like a leaf would. */
const axisVector = (rank: number, d: number): number[] => [...Array(rank).keys()].map((i) => (i === d ? 1 : 0));

/** Collects the leaves an ExprBuilder reads, so collapse() can see their strides. */
const probe = (rank: number, build: ExprBuilder): number[][] => {
  const vecs: number[][] = [];
  build(
    (leaf) => {
      vecs.push([...leaf.strides]);
      return num(0);
    },
    (axis) => {
      vecs.push(axisVector(rank, axis));
      return num(0);
    },
  );
  return vecs;
};

const nest = (loopShape: readonly number[], names: readonly string[], body: readonly Stmt[]): Stmt[] => {
  let inner: Stmt[] = [...body];
  for (let d = loopShape.length - 1; d >= 0; d--) inner = [loop(names[d]!, loopShape[d]!, inner)];
  return inner;
};

/** out[i] = f(leaves at i) over `shape`, out contiguous. */
export const mapKernel = (out: string, shape: readonly number[], build: ExprBuilder, fresh: (h: string) => string, note: string): Stmt[] => {
  const outStrides = contiguousStrides(shape);
  const groups = collapse(shape, [outStrides, ...probe(shape.length, build)]);
  const gShape = groupShape(shape, groups);
  const names = gShape.map(() => fresh('i'));
  const idx = names.map(v);
  const read = (leaf: Leaf) => load(leaf.buf, affine(leaf.offset, idx, groupStrides(leaf.strides, groups)));
  const axisIndex = (axis: number) => affine(0, idx, groupStrides(axisVector(shape.length, axis), groups));
  const e = build(read, axisIndex);
  return [comment(note), ...nest(gShape, names, [store(out, affine(0, idx, groupStrides(outStrides, groups)), e)])];
};

/**
 * Reduction of f(leaves) over `axes` of `shape` into `out` (keepdims layout, contiguous).
 * Suffix reductions keep a local accumulator; others accumulate into `out` in input row-major order,
 * which keeps reads sequential (e.g. the bias gradient Σ_b over a [B, N] cotangent).
 */
export const reduceKernel = (
  out: string,
  shape: readonly number[],
  axes: readonly number[],
  identity: number,
  combine: (acc: Expr, x: Expr) => Expr,
  build: ExprBuilder,
  fresh: (h: string) => string,
  note: string,
): Stmt[] => {
  const keptShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const os = contiguousStrides(keptShape).map((s, i) => (axes.includes(i) ? 0 : s));
  const outSize = keptShape.reduce((p, q) => p * q, 1);
  const rank = shape.length;
  const suffix = axes.every((a) => a >= rank - axes.length);
  const barrier = new Set(suffix ? [rank - axes.length] : []);
  const groups = collapse(shape, [os, ...probe(rank, build)], barrier);
  const gShape = groupShape(shape, groups);
  const names = gShape.map(() => fresh('i'));
  const idx = names.map(v);
  const read = (leaf: Leaf) => load(leaf.buf, affine(leaf.offset, idx, groupStrides(leaf.strides, groups)));
  const axisIndex = (axis: number) => affine(0, idx, groupStrides(axisVector(rank, axis), groups));
  const e = build(read, axisIndex);
  const outIndex = affine(0, idx, groupStrides(os, groups));
  if (suffix) {
    const nOuter = groups.filter((g) => g[0]! < rank - axes.length).length;
    const acc = fresh('acc');
    const inner = nest(gShape.slice(nOuter), names.slice(nOuter), [set(acc, combine(v(acc), e))]);
    return [comment(note), ...nest(gShape.slice(0, nOuter), names.slice(0, nOuter), [letMut(acc, num(identity)), ...inner, store(out, outIndex, v(acc))])];
  }
  const z = fresh('i');
  return [comment(note), loop(z, outSize, [store(out, v(z), num(identity))]), ...nest(gShape, names, [store(out, outIndex, combine(load(out, outIndex), e))])];
};

/** Copies a strided view of `shape` into `out` at element offset `start` per axis of outShape. */
export const copyKernel = (
  out: string,
  outShape: readonly number[],
  start: readonly number[],
  shape: readonly number[],
  leaf: Leaf,
  fresh: (h: string) => string,
): Stmt[] => {
  const os = contiguousStrides(outShape);
  const base = start.reduce((s, st, i) => s + st * os[i]!, 0);
  const groups = collapse(shape, [os, leaf.strides]);
  const gShape = groupShape(shape, groups);
  const names = gShape.map(() => fresh('i'));
  const idx = names.map(v);
  const src = load(leaf.buf, affine(leaf.offset, idx, groupStrides(leaf.strides, groups)));
  return nest(gShape, names, [store(out, affine(base, idx, groupStrides(os, groups)), src)]);
};

export const fillKernel = (out: string, size: number, value: number, fresh: (h: string) => string): Stmt[] => {
  const i = fresh('i');
  return [loop(i, size, [store(out, v(i), num(value))])];
};

/** A reduction computed per row inside a row kernel: acc = combine(acc, f(leaves)) over the inner axes. */
export interface RowReduction {
  readonly acc: string;
  readonly identity: number;
  readonly combine: (acc: Expr, x: Expr) => Expr;
  readonly build: ExprBuilder;
}

/**
 * Reductions over the trailing axes of `shape` and the elementwise map that consumes them, as one loop
 * nest: for each index of the leading `nOuter` axes, each reduction runs over the row into a local
 * accumulator (a later one may read an earlier one's), then `rowLets` (values that depend only on the
 * row, e.g. log Σ) are computed once, then the map stores the row. Softmax is one pass of reading
 * x per reduction and one of writing instead of four kernels with buffers between them.
 */
export const rowKernel = (
  out: string,
  shape: readonly number[],
  nOuter: number,
  reductions: readonly RowReduction[],
  rowLets: readonly { readonly name: string; readonly build: ExprBuilder }[],
  build: ExprBuilder,
  fresh: (h: string) => string,
  note: string,
): Stmt[] => {
  const rank = shape.length;
  const outStrides = contiguousStrides(shape);
  const vecs = [outStrides, ...probe(rank, build), ...reductions.flatMap((r) => probe(rank, r.build)), ...rowLets.flatMap((l) => probe(rank, l.build))];
  const groups = collapse(shape, vecs, new Set([nOuter]));
  const gShape = groupShape(shape, groups);
  const names = gShape.map(() => fresh('i'));
  const idx = names.map(v);
  const read = (leaf: Leaf) => load(leaf.buf, affine(leaf.offset, idx, groupStrides(leaf.strides, groups)));
  const axisIndex = (axis: number) => affine(0, idx, groupStrides(axisVector(rank, axis), groups));
  const nOuterGroups = groups.filter((g) => g[0]! < nOuter).length;
  const innerNest = (body: readonly Stmt[]) => nest(gShape.slice(nOuterGroups), names.slice(nOuterGroups), body);
  const row: Stmt[] = [];
  for (const r of reductions) row.push(letMut(r.acc, num(r.identity)), ...innerNest([set(r.acc, r.combine(v(r.acc), r.build(read, axisIndex)))]));
  // per-row values do not vary along the row: read them at inner index 0 (outside the inner loops)
  const rowIdx = idx.map((e, g) => (g < nOuterGroups ? e : num(0)));
  const readRow = (leaf: Leaf) => load(leaf.buf, affine(leaf.offset, rowIdx, groupStrides(leaf.strides, groups)));
  const axisRow = (axis: number) => affine(0, rowIdx, groupStrides(axisVector(rank, axis), groups));
  for (const l of rowLets) row.push(let_(l.name, l.build(readRow, axisRow)));
  row.push(...innerNest([store(out, affine(0, idx, groupStrides(outStrides, groups)), build(read, axisIndex))]));
  return [comment(note), ...nest(gShape.slice(0, nOuterGroups), names.slice(0, nOuterGroups), row)];
};
