// Movement primitives: they only rearrange elements. reshape/transpose/broadcast_to/slice are strided
// views (no copy unless a producer must be materialized); pad and concat copy pieces into a filled output.
import { dimAdd, dimDiv, dimMul, dimSub, fmtDim } from '../types/dims.js';
import { normAxis, numel, shapeError } from '../types/shapes.js';
import { type Dim, type Shape, fmtShape } from '../types/types.js';
import { contiguousStrides, forEachIndex, nd, broadcastStrides, at } from './ndarray.js';
import type { Attrs, GenKit, GradBuilder, OpDef, Signature, StridedView, Value } from './op.js';
import { broadcastToRows, concatRows, padRows, reshapeRows, sliceRows, transposeRows } from './rows.js';

const dims = (a: Attrs, key: string): Dim[] => [...(a[key] as readonly Dim[])];
const ints = (a: Attrs, key: string): number[] => [...(a[key] as readonly number[])];

/** Sum a cotangent of shape `from` down to the broadcast source shape `to` (NumPy broadcasting in reverse). */
export const unbroadcast = (b: GradBuilder, ct: Value, from: Shape, to: Shape): Value => {
  const lead = from.length - to.length;
  const axes: number[] = [];
  from.forEach((d, i) => {
    if (i < lead || (to[i - lead] === 1 && d !== 1)) axes.push(i);
  });
  const summed = axes.length ? b.op('sum', [ct], { axes, keepdims: true }) : ct;
  return lead > 0 || axes.length ? b.op('reshape', [summed], { shape: to }) : ct;
};

const isContiguous = (shape: readonly number[], v: StridedView): boolean => {
  const cs = contiguousStrides(shape);
  return shape.every((d, i) => d === 1 || v.strides[i] === cs[i]);
};

/**
 * A reshape of a strided view as a strided view, when one exists (NumPy's no-copy reshape): output dims
 * are formed from groups of consecutive input dims with equal products; a group of several input dims
 * must be mergeable (stride_k = stride_k+1 · dim_k+1), and its output dims take strides from the
 * innermost input stride outwards. Splitting a strided dim is always possible. null: a copy is needed.
 */
const reshapeView = (inShape: readonly number[], outShape: readonly number[], v: StridedView): StridedView | null => {
  if (isContiguous(inShape, v)) return { offset: v.offset, strides: contiguousStrides(outShape) };
  if (inShape.some((d) => d === 0)) return null;
  const ins = inShape.map((d, i) => [d, v.strides[i]!] as const).filter(([d]) => d !== 1);
  const strides = outShape.map(() => 0);
  let i = 0,
    o = 0;
  while (o < outShape.length) {
    if (outShape[o] === 1) {
      o++;
      continue;
    }
    if (i >= ins.length) return null;
    const [i0, o0] = [i, o];
    let pin = ins[i]![0],
      pout = outShape[o]!;
    while (pin !== pout) {
      if (pin < pout) {
        if (++i >= ins.length) return null;
        pin *= ins[i]![0];
      } else {
        if (++o >= outShape.length) return null;
        pout *= outShape[o]!;
      }
    }
    for (let k = i0; k < i; k++) if (ins[k]![1] !== ins[k + 1]![1] * ins[k + 1]![0]) return null;
    let st = ins[i]![1];
    for (let q = o; q >= o0; q--) {
      strides[q] = outShape[q] === 1 ? 0 : st;
      st *= outShape[q]!;
    }
    i++;
    o++;
  }
  return i === ins.length ? { offset: v.offset, strides } : null;
};

/** Evaluate a view-type op by reading the input through the view it describes. */
const evalView =
  (emit: OpDef['emit']) => (ins: readonly { shape: readonly number[]; data: Float64Array }[], attrs: Attrs, out: { shape: readonly number[] }) => {
    const x = ins[0]!;
    if (emit.kind !== 'view') throw new Error('not a view op');
    const v = emit.view(x.shape, out.shape, attrs, { offset: 0, strides: contiguousStrides(x.shape) })!;
    const r = nd(out.shape);
    forEachIndex(out.shape, (flat, idx) => {
      r.data[flat] = at(x, v.offset, v.strides, idx);
    });
    return r;
  };

const viewOp = (
  name: string,
  doc: string,
  shape: OpDef['shape'],
  view: (inShape: readonly number[], outShape: readonly number[], a: Attrs, v: StridedView) => StridedView | null,
  vjp: OpDef['vjp'],
  gen: (k: GenKit) => { shapes: number[][]; attrs: Attrs },
  algebra?: OpDef['algebra'],
): OpDef => {
  const emit = { kind: 'view', view } as const;
  // slice is reached through indexing syntax; the others through built-ins that validate their attributes.
  const positive = { positive: ([x]: readonly boolean[]) => x! };
  return {
    name,
    arity: 1,
    kind: 'movement',
    doc,
    shape,
    eval: evalView(emit),
    emit,
    vjp,
    differentiable: true,
    gen,
    internal: name === 'slice',
    algebra: { ...positive, ...algebra },
  };
};

const sameDims = (a: Shape, b: Shape): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

const reshape = viewOp(
  'reshape',
  'same elements in a new shape (row-major order)',
  ([x], a) => {
    const s = dims(a, 'shape');
    const n1 = numel(x!.shape),
      n2 = numel(s);
    if (n1 !== n2) return shapeError(`cannot reshape ${fmtShape(x!.shape)} (${fmtDim(n1)} elements) to ${fmtShape(s)} (${fmtDim(n2)} elements)`, 0);
    return { dtype: x!.dtype, shape: s };
  },
  (inShape, outShape, _a, v) => reshapeView(inShape, outShape, v),
  (b, _ct, n) => [b.op('reshape', [_ct], { shape: n.inTypes[0]!.shape })],
  (k) => {
    const s = k.shape(0, 3, 4);
    return { shapes: [s], attrs: { shape: [s.reduce((p, q) => p * q, 1)] } };
  },
  { collapse: (_inner, outer) => outer, noop: (t, a) => sameDims(t.shape, dims(a, 'shape')), rows: reshapeRows },
);

const transpose = viewOp(
  'transpose',
  'permute axes: out axis i is input axis perm[i]',
  ([x], a) => {
    const p = ints(a, 'perm');
    const r = x!.shape.length;
    if (p.length !== r || [...p].sort((u, w) => u - w).some((q, i) => q !== i))
      return shapeError(`perm [${p.join(', ')}] is not a permutation of the ${r} axes of ${fmtShape(x!.shape)}`, 0);
    return { dtype: x!.dtype, shape: p.map((i) => x!.shape[i]!) };
  },
  (_i, _o, a, v) => ({ offset: v.offset, strides: ints(a, 'perm').map((i) => v.strides[i]!) }),
  (b, ct, n) => {
    const p = ints(n.attrs, 'perm');
    const inv = p.map((_, i) => p.indexOf(i));
    return [b.op('transpose', [ct], { perm: inv })];
  },
  (k) => {
    const s = k.shape(1, 3, 4);
    const p = [...s.keys()];
    for (let i = p.length - 1; i > 0; i--) {
      const j = k.int(0, i);
      [p[i], p[j]] = [p[j]!, p[i]!];
    }
    return { shapes: [s], attrs: { perm: p } };
  },
  // transpose(transpose(x, p1), p2) = transpose(x, p1 ∘ p2)
  {
    collapse: (inner, outer) => ({ perm: ints(outer, 'perm').map((i) => ints(inner, 'perm')[i]!) }),
    noop: (_t, a) => ints(a, 'perm').every((p, i) => p === i),
    stacked: (a) => ({ perm: [0, ...ints(a, 'perm').map((p) => p + 1)] }),
    rows: transposeRows,
  },
);

const broadcastTo = viewOp(
  'broadcast_to',
  'stretch size-1 axes and add leading axes (NumPy rules)',
  ([x], a) => {
    const s = dims(a, 'shape');
    const lead = s.length - x!.shape.length;
    if (lead < 0 || x!.shape.some((d, i) => d !== 1 && d !== s[lead + i])) return shapeError(`cannot broadcast ${fmtShape(x!.shape)} to ${fmtShape(s)}`, 0);
    return { dtype: x!.dtype, shape: s };
  },
  (inShape, outShape, _a, v) => {
    const bs = broadcastStrides(inShape, outShape);
    const lead = outShape.length - inShape.length;
    return { offset: v.offset, strides: outShape.map((_, i) => (bs[i] === 0 ? 0 : v.strides[i - lead]!)) };
  },
  (b, ct, n) => [unbroadcast(b, ct, n.type.shape, n.inTypes[0]!.shape)],
  (k) => {
    const s = k.shape(1, 3, 4);
    return { shapes: [s.map((d) => (k.bool() ? 1 : d))], attrs: { shape: [k.int(1, 3), ...s] } };
  },
  { collapse: (_inner, outer) => outer, noop: (t, a) => sameDims(t.shape, dims(a, 'shape')), rows: broadcastToRows },
);

// slice: begin (ints; a negative begin counts from the end of its axis, so `x[-1]` works on a symbolic
// axis T) and end (dims, so `x[:, 0:B]`-style full ranges of symbolic axes work), step 1.
const beginDim = (d: Dim, b: number): Dim => (b < 0 ? dimAdd(d, b) : b);
const slice = viewOp(
  'slice',
  'contiguous sub-range begin ≤ i < end on every axis',
  ([x], a) => {
    const beg = ints(a, 'begin'),
      end = dims(a, 'end');
    if (beg.length !== x!.shape.length || end.length !== x!.shape.length) return shapeError(`slice needs a range per axis of ${fmtShape(x!.shape)}`, 0);
    const out: Dim[] = [];
    for (let i = 0; i < beg.length; i++) {
      const d = x!.shape[i]!,
        e = end[i]!,
        b = beginDim(d, beg[i]!);
      const len = dimSub(e, b);
      if (
        (typeof b === 'number' && b < 0) ||
        (typeof len === 'number' && len < 0) ||
        (typeof d === 'number' && typeof e === 'number' && e > d) ||
        (typeof e !== 'number' && e !== d && typeof d === 'number')
      ) {
        return shapeError(`slice ${fmtDim(b)}:${fmtDim(e)} is out of range for axis ${i} of size ${fmtDim(d)}`, 0);
      }
      out.push(len);
    }
    return { dtype: x!.dtype, shape: out };
  },
  (inShape, _o, a, v) => ({
    offset: v.offset + ints(a, 'begin').reduce((s, bgn, i) => s + (bgn < 0 ? inShape[i]! + bgn : bgn) * v.strides[i]!, 0),
    strides: v.strides,
  }),
  (b, ct, n) => {
    // The cotangent is zero outside the window: pad it back (from-the-end axes: concat zero blocks).
    const inShape = n.inTypes[0]!.shape;
    const beg = ints(n.attrs, 'begin'),
      end = dims(n.attrs, 'end');
    const after = inShape.map((d, i) => (beg[i]! < 0 ? 0 : dimSub(d, end[i]!)));
    let g = b.op('pad', [ct], { before: beg.map((x) => Math.max(0, x)), after });
    beg.forEach((x, i) => {
      if (x >= 0) return;
      const shape = b.type(g).shape;
      const zeros = (len: Dim) => b.op('broadcast_to', [b.num(0)], { shape: shape.map((d, j) => (j === i ? len : d)) });
      const tail = dimSub(inShape[i]!, end[i]!);
      const parts = [zeros(beginDim(inShape[i]!, x)), g, ...(tail === 0 ? [] : [zeros(tail)])];
      g = b.op('concat', parts, { axis: i });
    });
    return [g];
  },
  (k) => {
    const s = k.shape(1, 3, 4);
    const begin = s.map((d) => k.int(0, d - 1));
    const fromEnd = k.bool();
    return { shapes: [s], attrs: { begin: fromEnd ? begin.map((x, i) => x - s[i]!) : begin, end: s.map((d, i) => k.int(begin[i]! + 1, d)) } };
  },
  { window: (t, a) => ints(a, 'begin').map((x, i) => beginDim(t.shape[i]!, x)), rows: sliceRows },
);

const piecesEval =
  (fill: number, pieces: (inShapes: readonly (readonly number[])[], a: Attrs) => readonly (readonly number[])[]): OpDef['eval'] =>
  (ins, a, out) => {
    const r = nd(out.shape);
    r.data.fill(fill);
    const os = contiguousStrides(out.shape);
    const starts = pieces(
      ins.map((x) => x.shape),
      a,
    );
    ins.forEach((x, k) => {
      forEachIndex(x.shape, (flat, idx) => {
        let o = 0;
        for (let d = 0; d < idx.length; d++) o += (idx[d]! + starts[k]![d]!) * os[d]!;
        r.data[o] = x.data[flat]!;
      });
    });
    return r;
  };

const padPieces = (_s: readonly (readonly number[])[], a: Attrs) => [ints(a, 'before')];
const pad: OpDef = {
  name: 'pad',
  arity: 1,
  attrs: { before: 'ints', after: 'ints' },
  kind: 'movement',
  internal: true,
  doc: 'zero padding: `before[i]` and `after[i]` zeros around axis i (the built-in pad crops for negative widths and fills with `value`)',
  shape: ([x], a) => {
    const before = ints(a, 'before'),
      after = dims(a, 'after');
    if (before.length !== x!.shape.length || after.length !== x!.shape.length) return shapeError(`pad needs before/after per axis of ${fmtShape(x!.shape)}`, 0);
    return { dtype: x!.dtype, shape: x!.shape.map((d, i) => dimAdd(dimAdd(d, before[i]!), after[i]!)) };
  },
  eval: piecesEval(0, padPieces),
  emit: { kind: 'pieces', fill: 0, pieces: padPieces },
  algebra: { regions: (_ins, a) => [ints(a, 'before')], rows: padRows },
  vjp: (b, ct, n) => {
    const before = ints(n.attrs, 'before');
    return [b.op('slice', [ct], { begin: before, end: n.inTypes[0]!.shape.map((d, i) => dimAdd(d, before[i]!)) })];
  },
  differentiable: true,
  gen: (k) => {
    const s = k.shape(1, 3, 3);
    return { shapes: [s], attrs: { before: s.map(() => k.int(0, 2)), after: s.map(() => k.int(0, 2)) } };
  },
};

/** Where each input of a concat starts in its output (symbolic sizes give symbolic offsets). */
const concatOffsets = <D extends Dim>(shapes: readonly (readonly D[])[], a: Attrs): D[][] => {
  const axis = normAxis(a['axis'] as number, shapes[0]!.length)!;
  let acc: Dim = 0;
  return shapes.map((s) => {
    const st = s.map((_, i) => (i === axis ? acc : 0)) as D[];
    acc = dimAdd(acc, s[axis]!);
    return st;
  });
};
const concatPieces = (shapes: readonly (readonly number[])[], a: Attrs) => concatOffsets(shapes, a);
const concat: OpDef = {
  name: 'concat',
  arity: 'variadic',
  attrs: { axis: 'int' },
  kind: 'movement',
  doc: 'join tensors along an existing axis',
  shape: (ins, a) => {
    const first = ins[0]!;
    const axis = normAxis(a['axis'] as number, first.shape.length);
    if (axis === undefined) return shapeError(`concat axis ${a['axis']} is out of range for rank ${first.shape.length}`, 0);
    let total: Dim = 0;
    for (let k = 0; k < ins.length; k++) {
      const t = ins[k]!;
      if (t.shape.length !== first.shape.length || t.shape.some((d, i) => i !== axis && d !== first.shape[i])) {
        return shapeError(`concat along axis ${axis}: ${fmtShape(t.shape)} does not match ${fmtShape(first.shape)} off that axis`, k);
      }
      total = dimAdd(total, t.shape[axis]!);
    }
    return { dtype: ins.some((t) => t.dtype === 'f32') ? 'f32' : first.dtype, shape: first.shape.map((d, i) => (i === axis ? total : d)) };
  },
  eval: piecesEval(0, concatPieces),
  emit: { kind: 'pieces', fill: 0, pieces: concatPieces },
  algebra: {
    regions: (ins, a) =>
      concatOffsets(
        ins.map((t) => t.shape),
        a,
      ),
    rows: concatRows,
  },
  vjp: (b, ct, n) => {
    const starts = concatOffsets(
      n.inTypes.map((t) => t.shape),
      n.attrs,
    );
    return n.inTypes.map((t, k) => {
      const begin = starts[k]!;
      if (begin.some((d) => typeof d !== 'number')) throw new Error('concat gradient needs concrete offsets');
      return b.op('slice', [ct], { begin: begin as number[], end: t.shape.map((d, i) => dimAdd(begin[i]!, d)) });
    });
  },
  differentiable: true,
  gen: (k) => {
    const s = k.shape(1, 3, 3);
    const axis = k.int(0, s.length - 1);
    const n = k.int(1, 3);
    return { shapes: [...Array(n)].map(() => s.map((d, i) => (i === axis ? k.int(1, 3) : d))), attrs: { axis } };
  },
};

// ---- their calls from .dlm (check/call.ts reads these) --------------------------------------------
const X = { name: 'x', kind: 'tensor' } as const;

/** reshape(x, shape): one −1 in `shape` is inferred from the element count. */
const reshapeCall: Signature = {
  params: [X, { name: 'shape', kind: 'dims' }],
  resolve: (a, [x]) => {
    const shape = dims(a, 'shape');
    const known = shape.filter((d) => d !== -1);
    if (shape.length - known.length > 1) return shapeError('reshape can infer at most one -1 dimension');
    if (known.length === shape.length) return a;
    const rest = dimDiv(
      x!.shape.reduce<Dim>((p, d) => dimMul(p, d), 1),
      known.reduce<Dim>((p, d) => dimMul(p, d), 1),
    );
    if (rest === undefined) return shapeError('cannot infer the -1 in reshape: a tensor does not divide evenly');
    shape[shape.indexOf(-1)] = rest;
    return { ...a, shape };
  },
};

/** transpose(x, perm = reversed axes) (NumPy's default); negative entries count from the end. */
const transposeCall: Signature = {
  params: [X, { name: 'perm', kind: 'dims', optional: true }],
  resolve: (a, [x]) => {
    const rank = x!.shape.length;
    return { ...a, perm: a['perm'] ? dims(a, 'perm').map((d) => (Number(d) < 0 ? Number(d) + rank : Number(d))) : [...Array(rank).keys()].reverse() };
  },
};

/** concat(xs, axis = 0) over a non-empty list. */
const concatCall: Signature = {
  params: [
    { name: 'xs', kind: 'tensors', example: 'concat([a, b], axis = 1)' },
    { name: 'axis', kind: 'int', optional: true },
  ],
  resolve: (a, [x]) => {
    const ax = (a['axis'] as number | undefined) ?? 0;
    const n = normAxis(ax, x!.shape.length);
    return n === undefined ? shapeError(`concat axis ${ax} is out of range for rank ${x!.shape.length}`) : { ...a, axis: n };
  },
};

/** The names of the movement primitives, declared rather than inferred from the table so that derivative rules can take
 * an OpName (ops/op.ts: inferring them would make the table's type depend on itself). */
export type MovementName = 'reshape' | 'transpose' | 'broadcast_to' | 'concat' | 'slice' | 'pad';

export const MOVEMENT: Readonly<Record<MovementName, OpDef>> = {
  reshape: { ...reshape, attrs: { shape: 'dims' }, call: reshapeCall },
  transpose: { ...transpose, attrs: { perm: 'ints' }, call: transposeCall },
  broadcast_to: { ...broadcastTo, attrs: { shape: 'dims' }, call: { params: [X, { name: 'shape', kind: 'dims' }] } },
  slice: { ...slice, attrs: { begin: 'ints', end: 'dims' } },
  pad,
  concat: { ...concat, call: concatCall },
};
