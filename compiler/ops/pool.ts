// Max pooling over the trailing 2 (NCHW) or 3 (NCDHW) axes: window size, stride, padding (before and
// after on every axis), dilation and ceil mode, and its gradient. The gradient goes entirely to the
// first maximum of each window in row-major order, as PyTorch does; padding never wins a window; a NaN
// in a window is its maximum (PyTorch propagates NaN too).
// The gradient ops are linear in their cotangent: maxpool_grad's derivative is maxpool_at and back, so
// second derivatives through max pooling work (zero with respect to x, whose windows' choices are
// piecewise constant).
import { add, load, loop, num, store, v, type Expr } from '../loops/loops.js';
import { shapeError } from '../types/shapes.js';
import { fmtShape } from '../types/types.js';
import { nd, size } from './ndarray.js';
import type { Attrs, AttrSchema, GenKit, NdArray, OpDef, OpSample } from './op.js';
import { poolAxes, poolShape } from './poolGeometry.js';
import { atIndex, TILED_MIN_ROW, tiledGrad, tiles, windows } from './poolLoops.js';

/**
 * Whether element x replaces the window's best so far (PyTorch's rule): the first element always, then
 * any larger one or any NaN. So a window of −∞ sends its gradient to its first element, and a NaN
 * propagates, its gradient going to the window's last NaN.
 */
const takes = (x: number, best: number, at: number): boolean => x > best || Number.isNaN(x) || at < 0;

/** For every output position, the flat input index of the first maximum of its window (−1 if no input in it). */
const argmaxes = (x: NdArray, os: readonly number[], a: Attrs): Int32Array => {
  const axes = poolAxes(a),
    r = axes.length;
  const sp = x.shape.slice(2),
    osp = os.slice(2);
  const inner = size(sp),
    outer = size(osp);
  const out = new Int32Array(size(x.shape.slice(0, 2)) * outer);
  const o = new Array<number>(r).fill(0),
    kk = new Array<number>(r).fill(0);
  for (let nc = 0; nc < x.shape[0]! * x.shape[1]!; nc++)
    for (let flat = 0; flat < outer; flat++) {
      for (let i = r - 1, f = flat; i >= 0; i--) {
        o[i] = f % osp[i]!;
        f = Math.floor(f / osp[i]!);
      }
      let best = -Infinity,
        at = -1;
      for (let t = 0; t < size(axes.map((q) => q.k)); t++) {
        for (let i = r - 1, f = t; i >= 0; i--) {
          kk[i] = f % axes[i]!.k;
          f = Math.floor(f / axes[i]!.k);
        }
        let idx = 0,
          inside = true;
        for (let i = 0; i < r; i++) {
          const p = o[i]! * axes[i]!.s - axes[i]!.p0 + kk[i]! * axes[i]!.d;
          if (p < 0 || p >= sp[i]!) inside = false;
          idx = idx * sp[i]! + p;
        }
        if (!inside) continue;
        const i = nc * inner + idx;
        if (takes(x.data[i]!, best, at)) {
          best = x.data[i]!;
          at = i;
        }
      }
      out[nc * outer + flat] = at;
    }
  return out;
};

const sample = (k: GenKit, r: number): { x: number[]; attrs: Attrs } => {
  const size: number[] = [],
    stride: number[] = [],
    pad: number[] = [],
    dilation: number[] = [],
    x = [k.int(1, 2), k.int(1, 2)];
  // a third of the samples: windows that tile the input, rows of TILED_MIN_ROW or more (maxpool_grad's two-pass kernel)
  if (k.int(0, 2) === 0) {
    for (let i = 0; i < r; i++) {
      const kk = k.int(1, 3);
      size.push(kk);
      stride.push(kk);
      dilation.push(1);
      pad.push(0, 0);
      x.push(kk * (i === r - 1 ? TILED_MIN_ROW : 1));
    }
    // one image of one channel: the long rows make the input large enough for the property tests
    return { x: [1, 1, ...x.slice(2)], attrs: { size, stride, pad, dilation, ceil: k.bool() } };
  }
  for (let i = 0; i < r; i++) {
    const kk = k.int(1, 3),
      d = k.int(1, 2);
    size.push(kk);
    stride.push(k.int(1, 3));
    dilation.push(d);
    pad.push(k.int(0, d * (kk - 1)), k.int(0, d * (kk - 1)));
    // at least d elements, so a window starting in the padding has a tap inside the input
    x.push(k.int(Math.max(1, d, d * (kk - 1) + 1 - pad[2 * i]! - pad[2 * i + 1]!), r === 3 ? 4 : 5));
  }
  return { x, attrs: { size, stride, pad, dilation, ceil: k.bool() } };
};

const DOC_TAIL =
  'the gradient goes to the first maximum of each window; a window with a NaN gives NaN (its gradient to the last NaN), ' +
  'an all −∞ window gives −∞ (its gradient to its first element); a window with no input element (dilation skipping it) gives −∞ and no gradient';

/** A pooling node's window: its size, stride, padding and dilation per spatial axis, and ceil mode. */
const POOL_ATTRS: AttrSchema = { size: 'ints', stride: 'ints', pad: 'ints', dilation: 'ints', ceil: 'bool' };

const maxPool = (r: 2 | 3): OpDef => ({
  name: `maxpool${r}d`,
  arity: 1,
  attrs: POOL_ATTRS,
  kind: 'reduce',
  internal: true,
  doc: `max over ${r === 2 ? 'NCHW' : 'NCDHW'} windows (size, stride, padding before/after each axis, dilation, floor or ceil mode as PyTorch); ${DOC_TAIL}`,
  shape: ([x], a) => {
    const s = poolShape(x!, a, r);
    return typeof s === 'string' ? shapeError(s, 0) : { dtype: x!.dtype, shape: s };
  },
  eval: ([x], a, out) => {
    const res = nd(out.shape);
    argmaxes(x!, out.shape, a).forEach((i, o) => {
      res.data[o] = i < 0 ? -Infinity : x!.data[i]!;
    });
    return res;
  },
  emit: { kind: 'kernel', kernel: (k) => windows(k, k.inShapes[0]!, k.outShape, k.ins[0]!, (best, _at, o) => [store(k.out, o, best)], false) },
  vjp: (b, ct, n) => [b.op(`maxpool${r}d_grad`, [n.inputs[0]!, ct], n.attrs)],
  // forward mode: the tangent at each window's first maximum (maxpool_at), the transpose of its vjp
  jvp: (b, t, n) => (t[0] ? b.op(`maxpool${r}d_at`, [n.inputs[0]!, t[0]], n.attrs) : null),
  differentiable: true,
  domain: 'away-from-ties',
  gen: (k): OpSample => {
    const s = sample(k, r);
    return { shapes: [s.x], attrs: s.attrs };
  },
  flops: (_ins, o, a) => size(o) * size(poolAxes(a).map((q) => q.k)),
});

const maxPoolGrad = (r: 2 | 3): OpDef => ({
  name: `maxpool${r}d_grad`,
  arity: 2,
  attrs: POOL_ATTRS,
  kind: 'reduce',
  internal: true,
  doc: `the gradient of maxpool${r}d: each window’s cotangent added at the first maximum of that window`,
  shape: ([x, g], a) => {
    const s = poolShape(x!, a, r);
    if (typeof s === 'string') return shapeError(s, 0);
    if (s.length !== g!.shape.length || s.some((d, i) => d !== g!.shape[i])) {
      return shapeError(`maxpool${r}d_grad: cotangent ${fmtShape(g!.shape)} is not the pooled shape ${fmtShape(s)}`, 1);
    }
    return { dtype: 'f32', shape: x!.shape };
  },
  eval: ([x, g], a) => {
    const res = nd(x!.shape);
    argmaxes(x!, g!.shape, a).forEach((i, o) => {
      if (i >= 0) res.data[i]! += g!.data[o]!;
    });
    return res;
  },
  emit: {
    kind: 'kernel',
    kernel: (k) => {
      const [xs, os] = k.inShapes as [number[], number[]];
      const [X, G] = k.ins as [string, string];
      if (tiles(k, xs, os)) return tiledGrad(k, xs, os, X, G);
      const i = k.fresh('i');
      const zero = loop(i, size(xs), [store(k.out, v(i), num(0))]);
      const addAt = (at: Expr, o: Expr, found: boolean) => [atIndex(at, found, store(k.out, at, add(load(k.out, at), load(G, o))))];
      return [zero, ...windows(k, xs, k.inShapes[1]!, X, (_best, at, o, found) => addAt(at, o, found))];
    },
  },
  // linear in the cotangent g with transpose maxpool_at (the read at the same positions), piecewise
  // constant in x: so second derivatives through max pooling (grad of a gradient) work
  vjp: (b, ct, n) => [null, b.op(`maxpool${r}d_at`, [n.inputs[0]!, ct], n.attrs)],
  // linear in the cotangent, piecewise constant in x: the tangent is the same scatter of the cotangent's tangent
  jvp: (b, t, n) => (t[1] ? b.op(`maxpool${r}d_grad`, [n.inputs[0]!, t[1]], n.attrs) : null),
  differentiable: true,
  domain: 'away-from-ties',
  gen: (k): OpSample => {
    const s = sample(k, r);
    const os = poolShape({ dtype: 'f32', shape: s.x }, s.attrs, r);
    return { shapes: [s.x, typeof os === 'string' ? s.x : (os as number[])], attrs: s.attrs };
  },
});

/**
 * Max pooling's tangent: out[o] = t[the first maximum of x in window o] (0 for a window with no input),
 * t of x's shape. Linear in t (its vjp is maxpool_grad, the scatter to the same positions) and piecewise
 * constant in x, so forward and reverse mode pick the same element of each window, ties included.
 */
const maxPoolAt = (r: 2 | 3): OpDef => ({
  name: `maxpool${r}d_at`,
  arity: 2,
  attrs: POOL_ATTRS,
  kind: 'reduce',
  internal: true,
  doc: `t at the first maximum of x in each maxpool${r}d window of x (max pooling's forward-mode tangent; 0 for a window without input)`,
  shape: ([x, t], a) => {
    const s = poolShape(x!, a, r);
    if (typeof s === 'string') return shapeError(s, 0);
    const same = x!.shape.length === t!.shape.length && x!.shape.every((d, i) => d === t!.shape[i]);
    if (!same) return shapeError(`maxpool${r}d_at: ${fmtShape(t!.shape)} is not the shape of ${fmtShape(x!.shape)}`, 1);
    return { dtype: 'f32', shape: s };
  },
  eval: ([x, t], a, out) => {
    const res = nd(out.shape);
    argmaxes(x!, out.shape, a).forEach((i, o) => {
      res.data[o] = i < 0 ? 0 : t!.data[i]!;
    });
    return res;
  },
  emit: {
    kind: 'kernel',
    kernel: (k) => {
      const [X, T] = k.ins as [string, string];
      const i = k.fresh('i');
      const zero = loop(i, size(k.outShape), [store(k.out, v(i), num(0))]);
      return [zero, ...windows(k, k.inShapes[0]!, k.outShape, X, (_best, at, o, found) => [atIndex(at, found, store(k.out, o, load(T, at)))])];
    },
  },
  vjp: (b, ct, n) => [null, b.op(`maxpool${r}d_grad`, [n.inputs[0]!, ct], n.attrs)],
  jvp: (b, t, n) => (t[1] ? b.op(`maxpool${r}d_at`, [n.inputs[0]!, t[1]], n.attrs) : null),
  differentiable: true,
  domain: 'away-from-ties',
  gen: (k): OpSample => {
    const s = sample(k, r);
    return { shapes: [s.x, s.x], attrs: s.attrs };
  },
  flops: (_ins, o, a) => size(o) * size(poolAxes(a).map((q) => q.k)),
});

export const MAXPOOL2D = maxPool(2);
export const MAXPOOL2D_AT = maxPoolAt(2);
export const MAXPOOL3D_AT = maxPoolAt(3);
export const MAXPOOL2D_GRAD = maxPoolGrad(2);
export const MAXPOOL3D = maxPool(3);
export const MAXPOOL3D_GRAD = maxPoolGrad(3);
