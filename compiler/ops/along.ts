// Gathers and scatters along one axis by integer index (torch.gather / scatter_add, np.take_along_axis):
//   take_along(x, idx; axis)        out[…, j, …] = x[…, idx[…, j, …], …]     (shape of idx)
//   scatter_along(src, idx; axis, n) out[…, i, …] = Σ_{j: idx[…, j, …] = i} src[…, j, …]   (axis size n)
// idx has x's shape except along `axis`. They are each other's transpose, so each is the other's
// derivative (the gradient of sort/topk values reaches exactly the selected positions). An index outside
// 0 ≤ i < n reads 0 and scatters nothing, as `gather` (PyTorch raises; dlm never reads foreign memory).
import { add, bin, let_, load, loop, num, store, v, when, type Stmt } from '../loops/loops.js';
import { shapeError } from '../types/shapes.js';
import { fmtShape, type Dim, type TensorType } from '../types/types.js';
import { along, axisAttr, checkAxis, forEachPair, genAxis, pairLoops } from './lines.js';
import { nd } from './ndarray.js';
import type { Attrs, KernelArgs, OpDef } from './op.js';

/** idx must match the other operand's shape on every axis but `axis`. */
const matches = (name: string, x: TensorType, idx: TensorType, a: Attrs) => {
  const err = checkAxis(name, x, a);
  if (err) return err;
  if (idx.dtype !== 'i32') return shapeError(`${name} needs i32 indices, got ${idx.dtype}`, 1);
  const ax = axisAttr(a);
  if (idx.shape.length !== x.shape.length || idx.shape.some((d, i) => i !== ax && String(d) !== String(x.shape[i]))) {
    return shapeError(`${name}: indices ${fmtShape(idx.shape)} must have the shape ${fmtShape(x.shape)} except along axis ${ax}`, 1);
  }
  return undefined;
};

const takeKernel = (k: KernelArgs): Stmt[] => {
  const [X, I] = k.ins as [string, string];
  const axis = axisAttr(k.attrs),
    nx = k.inShapes[0]![axis]!;
  return pairLoops(k.fresh, k.outShape, nx, axis, (ib, xb, l) => {
    const j = k.fresh('j'),
      r = k.fresh('r');
    return [
      loop(j, l.n, [
        let_(r, load(I, along(ib, v(j), l.inner))),
        store(k.out, along(ib, v(j), l.inner), num(0)),
        when([bin('>=', v(r), num(0)), bin('<', v(r), num(nx))], [store(k.out, along(ib, v(j), l.inner), load(X, along(xb, v(r), l.inner)))]),
      ]),
    ];
  });
};

const scatterKernel = (k: KernelArgs): Stmt[] => {
  const [S, I] = k.ins as [string, string];
  const axis = axisAttr(k.attrs),
    n = k.outShape[axis]!;
  const z = k.fresh('z');
  return [
    loop(
      z,
      k.outShape.reduce((p, d) => p * d, 1),
      [store(k.out, v(z), num(0))],
    ),
    ...pairLoops(k.fresh, k.inShapes[0]!, n, axis, (sb, ob, l) => {
      const j = k.fresh('j'),
        r = k.fresh('r'),
        at = k.fresh('at');
      return [
        loop(j, l.n, [
          let_(r, load(I, along(sb, v(j), l.inner))),
          when(
            [bin('>=', v(r), num(0)), bin('<', v(r), num(n))],
            [let_(at, along(ob, v(r), l.inner)), store(k.out, v(at), add(load(k.out, v(at)), load(S, along(sb, v(j), l.inner))))],
          ),
        ]),
      ];
    }),
  ];
};

export const TAKE_ALONG: OpDef = {
  name: 'take_along',
  arity: 2,
  attrs: { axis: 'int' },
  kind: 'movement',
  internal: true,
  doc: 'entries along an axis at integer positions: out[…, j, …] = x[…, idx[…, j, …], …] (torch.gather, np.take_along_axis); out-of-range positions read 0',
  shape: ([x, i], a) => matches('take_along', x!, i!, a) ?? { dtype: x!.dtype, shape: i!.shape },
  eval: ([x, i], a, out) => {
    const r = nd(out.shape);
    const nx = x!.shape[axisAttr(a)]!;
    forEachPair(i!.shape, nx, axisAttr(a), (ib, xb, s, ni) => {
      for (let j = 0; j < ni; j++) {
        const p = i!.data[ib + j * s]!;
        r.data[ib + j * s] = p >= 0 && p < nx ? x!.data[xb + p * s]! : 0;
      }
    });
    return r;
  },
  emit: { kind: 'kernel', kernel: takeKernel },
  edges: [
    {
      ins: [
        [5, NaN, 7],
        [2, -1, 3, 0],
      ],
      dtypes: ['f32', 'i32'],
      attrs: { axis: 0 },
      out: [7, 0, 0, 5],
    },
  ],
  differs: 'an index out of range reads 0 (torch.gather raises an error), so no index reads foreign memory',
  vjp: (b, ct, n) => [b.op('scatter_along', [ct, n.inputs[1]!], { axis: axisAttr(n.attrs), n: n.inTypes[0]!.shape[axisAttr(n.attrs)]! }), null],
  differentiable: true,
  gen: (k) => {
    const { shape, axis } = genAxis(k);
    const ishape = shape.map((d, i) => (i === axis ? k.int(0, 4) : d));
    return { shapes: [shape, ishape], attrs: { axis }, dtypes: ['f32', 'i32'] };
  },
};

export const SCATTER_ALONG: OpDef = {
  name: 'scatter_along',
  arity: 2,
  attrs: { axis: 'int', n: 'int' },
  kind: 'movement',
  internal: true,
  doc:
    'sums entries into an axis of size n at integer positions: out[…, idx[…, j, …], …] += src[…, j, …] (the transpose of take_along); ' +
    'out-of-range positions are dropped',
  shape: ([s, i], a) => {
    const n = a['n'] as Dim;
    const err = checkAxis('scatter_along', s!, a) ?? matches('scatter_along', s!, i!, a);
    if (err) return err;
    if (String(s!.shape[axisAttr(a)]) !== String(i!.shape[axisAttr(a)])) {
      return shapeError(`scatter_along: source ${fmtShape(s!.shape)} and indices ${fmtShape(i!.shape)} differ`, 1);
    }
    return { dtype: s!.dtype, shape: s!.shape.map((d, q) => (q === axisAttr(a) ? n : d)) };
  },
  eval: ([s, i], a, out) => {
    const r = nd(out.shape);
    const n = out.shape[axisAttr(a)]!;
    forEachPair(i!.shape, n, axisAttr(a), (ib, ob, st, ni) => {
      for (let j = 0; j < ni; j++) {
        const p = i!.data[ib + j * st]!;
        if (p >= 0 && p < n) r.data[ob + p * st]! += s!.data[ib + j * st]!;
      }
    });
    return r;
  },
  emit: { kind: 'kernel', kernel: scatterKernel },
  edges: [
    {
      ins: [
        [1, 2, NaN, 4],
        [0, 0, 5, -1],
      ],
      dtypes: ['f32', 'i32'],
      attrs: { axis: 0, n: 2 },
      out: [3, 0],
    },
  ],
  differs: 'an index out of range is dropped (torch.scatter_add raises an error)',
  vjp: (b, ct, n) => [b.op('take_along', [ct, n.inputs[1]!], { axis: axisAttr(n.attrs) }), null],
  differentiable: true,
  gen: (k) => {
    const { shape, axis } = genAxis(k);
    return { shapes: [shape, shape], attrs: { axis, n: k.int(0, 4) }, dtypes: ['f32', 'i32'] };
  },
};
