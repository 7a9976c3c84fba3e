// Embedding lookup and its gradient.
//   gather(table [V, …R], idx i32[…I]) → […I, …R]:  out[i, r] = table[idx[i], r]
//   scatter_add(src […I, …R], idx i32[…I]; n = V) → [V, …R]:  out[v, r] = Σ_{i: idx[i] = v} src[i, r]
// They are each other's transpose: the cotangent of gather's table is scatter_add of its cotangent, and
// the cotangent of scatter_add's source is gather of its cotangent. An index outside 0 ≤ idx < V reads
// zeros and scatters nothing (JAX's "fill" mode), so a bad token id never reads foreign memory.
import { add, bin, comment, load, loop, mul, num, sel, store, v, when, type Stmt } from '../loops/loops.js';
import { shapeError } from '../types/shapes.js';
import { type Dim, fmtShape } from '../types/types.js';
import { nd, size } from './ndarray.js';
import { freshNames, type KernelArgs, type OpDef } from './op.js';
import { gatherRows } from './rows.js';

const rowSize = (shape: readonly number[]): number => size(shape.slice(1));

const gatherKernel = (k: KernelArgs): Stmt[] => {
  const [T, I] = k.ins as [string, string];
  const V = k.inShapes[0]![0]!,
    R = rowSize(k.inShapes[0]!),
    n = size(k.inShapes[1]!);
  const [i, j, r] = freshNames(k, ['i', 'j', 'row']);
  const inRange = [bin('>=', v(r), num(0)), bin('<', v(r), num(V))];
  return [
    comment(`gather ${n} rows of ${R} from a table of ${V}`),
    loop(i, n, [
      { k: 'let', name: r, e: load(I, v(i)) },
      loop(j, R, [store(k.out, add(mul(v(i), num(R)), v(j)), sel(inRange[0]!, sel(inRange[1]!, load(T, add(mul(v(r), num(R)), v(j))), num(0)), num(0)))]),
    ]),
  ];
};

const scatterKernel = (k: KernelArgs): Stmt[] => {
  const [S, I] = k.ins as [string, string];
  const V = k.outShape[0]!,
    R = rowSize(k.outShape),
    n = size(k.inShapes[1]!);
  const [z, i, j, r] = freshNames(k, ['z', 'i', 'j', 'row']);
  return [
    comment(`scatter-add ${n} rows of ${R} into ${V}`),
    loop(z, V * R, [store(k.out, v(z), num(0))]),
    loop(i, n, [
      { k: 'let', name: r, e: load(I, v(i)) },
      when(
        [bin('>=', v(r), num(0)), bin('<', v(r), num(V))],
        [loop(j, R, [store(k.out, add(mul(v(r), num(R)), v(j)), add(load(k.out, add(mul(v(r), num(R)), v(j))), load(S, add(mul(v(i), num(R)), v(j)))))])],
      ),
    ]),
  ];
};

export const GATHER: OpDef = {
  name: 'gather',
  arity: 2,
  kind: 'movement',
  internal: false,
  doc: 'rows of a table by integer index (embedding lookup): gather(table [V, …], idx […]) → [idx…, …]; out-of-range rows are zero',
  shape: ([t, i]) => {
    if (t!.shape.length < 1) return shapeError(`gather needs a table of rank ≥ 1, got ${fmtShape(t!.shape)}`, 0);
    if (i!.dtype !== 'i32') return shapeError(`gather needs i32 indices, got ${i!.dtype}`, 1);
    return { dtype: t!.dtype, shape: [...i!.shape, ...t!.shape.slice(1)] };
  },
  eval: ([t, i], _a, out) => {
    const V = t!.shape[0]!,
      R = rowSize(t!.shape);
    const r = nd(out.shape);
    i!.data.forEach((row, q) => {
      if (row >= 0 && row < V) r.data.set(t!.data.subarray(row * R, row * R + R), q * R);
    });
    return r;
  },
  emit: { kind: 'kernel', kernel: gatherKernel },
  vjp: (b, ct, n) => [b.op('scatter_add', [ct, n.inputs[1]!], { n: n.inTypes[0]!.shape[0]! }), null],
  differentiable: true,
  algebra: { rows: gatherRows },
  gen: (k) => {
    const t = k.shape(1, 3, 4);
    const idx = k.shape(1, 2, 3);
    return { shapes: [t, idx], attrs: {}, dtypes: ['f32', 'i32'] };
  },
};

export const SCATTER_ADD: OpDef = {
  name: 'scatter_add',
  arity: 2,
  attrs: { n: 'int' },
  kind: 'movement',
  internal: true,
  doc: 'sums rows into a table of n rows by integer index (the transpose of gather)',
  shape: ([s, i], a) => {
    const n = a['n'] as Dim;
    const lead = i!.shape.length;
    if (i!.dtype !== 'i32' || s!.shape.length < lead || s!.shape.slice(0, lead).some((d, q) => String(d) !== String(i!.shape[q]))) {
      return shapeError(`scatter_add needs source rows ${fmtShape(s!.shape)} indexed by ${fmtShape(i!.shape)} (i32)`, 0);
    }
    return { dtype: s!.dtype, shape: [n, ...s!.shape.slice(lead)] };
  },
  eval: ([s, i], _a, out) => {
    const V = out.shape[0]!,
      R = rowSize(out.shape);
    const r = nd(out.shape);
    i!.data.forEach((row, q) => {
      if (row >= 0 && row < V) for (let j = 0; j < R; j++) r.data[row * R + j]! += s!.data[q * R + j]!;
    });
    return r;
  },
  emit: { kind: 'kernel', kernel: scatterKernel },
  vjp: (b, ct, n) => [b.op('gather', [ct, n.inputs[1]!]), null],
  differentiable: true,
  gen: (k) => {
    const idx = k.shape(1, 2, 3);
    const row = k.shape(0, 2, 3);
    return { shapes: [[...idx, ...row], idx], attrs: { n: k.int(1, 4) }, dtypes: ['f32', 'i32'] };
  },
};
