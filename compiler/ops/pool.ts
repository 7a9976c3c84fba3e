// Max pooling over NCHW windows (size, stride, padding) and its gradient. The gradient goes entirely to
// the first maximum of each window in row-major order, as PyTorch does; padding never wins a window;
// a NaN in a window is its maximum (PyTorch propagates NaN too).
// maxpool2d_grad is linear in its cotangent but not differentiated further (no second derivatives
// through max pooling).
import { add, bin, comment, letMut, load, loop, mul, num, set, store, v, when, type Expr, type Stmt } from '../loops/loops.js';
import { shapeError } from '../types/shapes.js';
import { type Dim, type TensorType, fmtShape } from '../types/types.js';
import { nd } from './ndarray.js';
import type { Attrs, KernelArgs, NdArray, OpDef, OpSample } from './op.js';

interface P { kh: number; kw: number; sh: number; sw: number; pt: number; pl: number; pb: number; pr: number }
const geom = (a: Attrs): P => {
  const [kh, kw] = a['size'] as number[], [sh, sw] = a['stride'] as number[], [pt, pb, pl, pr] = a['pad'] as number[];
  return { kh: kh!, kw: kw!, sh: sh!, sw: sw!, pt: pt!, pb: pb!, pl: pl!, pr: pr! };
};

const poolShape = (x: TensorType, a: Attrs): Dim[] | string => {
  const s = x.shape;
  if (s.length !== 4 || typeof s[2] !== 'number' || typeof s[3] !== 'number') return `max pooling needs [N, C, H, W] with fixed H and W, got ${fmtShape(s)}`;
  const g = geom(a);
  if (g.pt >= g.kh || g.pb >= g.kh || g.pl >= g.kw || g.pr >= g.kw) return `padding must be smaller than the window ${g.kh}×${g.kw}`;
  // floor mode: a ragged last window is dropped (PyTorch's default): ⌊(H + pads − k)/s⌋ + 1
  const oh = Math.floor((s[2] + g.pt + g.pb - g.kh) / g.sh) + 1, ow = Math.floor((s[3] + g.pl + g.pr - g.kw) / g.sw) + 1;
  if (oh < 1 || ow < 1) return `a ${g.kh}×${g.kw} window does not fit in ${s[2]}×${s[3]} with padding ${g.pt}+${g.pb}, ${g.pl}+${g.pr}`;
  return [s[0]!, s[1]!, oh, ow];
};

/**
 * Whether element x replaces the window's best so far (PyTorch's rule): the first element always, then
 * any larger one or any NaN. So a window of −∞ sends its gradient to its first element, and a NaN
 * propagates, its gradient going to the window's last NaN.
 */
const takes = (x: number, best: number, at: number): boolean => x > best || Number.isNaN(x) || at < 0;

/** For every output position, the flat input index of the first maximum of its window (−1 if all padding). */
const argmaxes = (x: NdArray, os: readonly number[], g: P): Int32Array => {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [, , OH, OW] = os as [number, number, number, number];
  const out = new Int32Array(N * C * OH * OW);
  let o = 0;
  for (let nc = 0; nc < N * C; nc++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    let best = -Infinity, at = -1;
    for (let kh = 0; kh < g.kh; kh++) for (let kw = 0; kw < g.kw; kw++) {
      const h = oh * g.sh - g.pt + kh, w = ow * g.sw - g.pl + kw;
      if (h < 0 || h >= H || w < 0 || w >= W) continue;
      const i = (nc * H + h) * W + w;
      if (takes(x.data[i]!, best, at)) { best = x.data[i]!; at = i; }
    }
    out[o++] = at;
  }
  return out;
};

/** The loop nest of both kernels: per window, find the first maximum, then `done(value, index)`. */
const windows = (k: KernelArgs, xs: readonly number[], os: readonly number[], X: string, done: (best: Expr, at: Expr, o: Expr) => Stmt[]): Stmt[] => {
  const g = geom(k.attrs);
  const [N, C, H, W] = xs as [number, number, number, number];
  const [, , OH, OW] = os as [number, number, number, number];
  const [nc, oh, ow, kh, kw, best, at, h, w] = ['nc', 'oh', 'ow', 'kh', 'kw', 'best', 'at', 'h', 'w'].map(k.fresh) as [string, string, string, string, string, string, string, string, string];
  const idx = add(mul(add(mul(v(nc), num(H)), v(h)), num(W)), v(w));
  const o = add(mul(add(mul(v(nc), num(OH)), v(oh)), num(OW)), v(ow));
  const inner: Stmt[] = [
    { k: 'let', name: h, e: add(add(mul(v(oh), num(g.sh)), num(-g.pt)), v(kh)) },
    { k: 'let', name: w, e: add(add(mul(v(ow), num(g.sw)), num(-g.pl)), v(kw)) },
    // `takes` above: [x > best] + [x ≠ x] + [at < 0] > 0; strictly greater keeps the first maximum in row-major order
    when([bin('>=', v(h), num(0)), bin('<', v(h), num(H)), bin('>=', v(w), num(0)), bin('<', v(w), num(W)),
      bin('>', add(add(bin('>', load(X, idx), v(best)), bin('!=', load(X, idx), load(X, idx))), bin('<', v(at), num(0))), num(0))],
      [set(best, load(X, idx)), set(at, idx)]),
  ];
  return [comment(`max pool ${g.kh}×${g.kw} stride ${g.sh}×${g.sw} on ${fmtShape(xs)}`),
    loop(nc, N * C, [loop(oh, OH, [loop(ow, OW, [letMut(best, num(-Infinity)), letMut(at, num(-1)),
      loop(kh, g.kh, [loop(kw, g.kw, inner)]), ...done(v(best), v(at), o)])])])];
};

const sample = (k: { int(lo: number, hi: number): number }): { x: number[]; attrs: Attrs } => {
  const [kh, kw] = [k.int(1, 3), k.int(1, 3)];
  const [sh, sw] = [k.int(1, 3), k.int(1, 3)];
  const pad = [k.int(0, kh - 1), k.int(0, kh - 1), k.int(0, kw - 1), k.int(0, kw - 1)];
  return { x: [k.int(1, 2), k.int(1, 2), k.int(kh, 5), k.int(kw, 5)], attrs: { size: [kh, kw], stride: [sh, sw], pad } };
};

export const MAXPOOL2D: OpDef = {
  name: 'maxpool2d', arity: 1, kind: 'reduce', internal: true,
  doc: 'max over NCHW windows (size, stride, padding; floor mode); the gradient goes to the first maximum of each window; '
    + 'a window with a NaN gives NaN (its gradient to the last NaN), an all −∞ window gives −∞ (its gradient to its first element)',
  shape: ([x], a) => { const s = poolShape(x!, a); return typeof s === 'string' ? shapeError(s, 0) : { dtype: x!.dtype, shape: s }; },
  eval: ([x], a, out) => {
    const r = nd(out.shape);
    argmaxes(x!, out.shape, geom(a)).forEach((i, o) => { r.data[o] = i < 0 ? -Infinity : x!.data[i]!; });
    return r;
  },
  emit: { kind: 'kernel', kernel: (k) => windows(k, k.inShapes[0]!, k.outShape, k.ins[0]!, (best, _at, o) => [store(k.out, o, best)]) },
  vjp: (b, ct, n) => [b.op('maxpool2d_grad', [n.inputs[0]!, ct], n.attrs)],
  differentiable: true,
  domain: 'away-from-ties',
  gen: (k): OpSample => { const s = sample(k); return { shapes: [s.x], attrs: s.attrs }; },
};

export const MAXPOOL2D_GRAD: OpDef = {
  name: 'maxpool2d_grad', arity: 2, kind: 'reduce', internal: true,
  doc: 'the gradient of maxpool2d: each window’s cotangent added at the first maximum of that window',
  shape: ([x, g], a) => {
    const s = poolShape(x!, a);
    if (typeof s === 'string') return shapeError(s, 0);
    if (s.length !== g!.shape.length || s.some((d, i) => d !== g!.shape[i])) return shapeError(`maxpool2d_grad: cotangent ${fmtShape(g!.shape)} is not the pooled shape ${fmtShape(s)}`, 1);
    return { dtype: 'f32', shape: x!.shape };
  },
  eval: ([x, g], a) => {
    const r = nd(x!.shape);
    argmaxes(x!, g!.shape, geom(a)).forEach((i, o) => { if (i >= 0) r.data[i]! += g!.data[o]!; });
    return r;
  },
  emit: {
    kind: 'kernel',
    kernel: (k) => {
      const [xs] = k.inShapes as [number[], number[]];
      const [X, G] = k.ins as [string, string];
      const i = k.fresh('i');
      const zero = loop(i, xs.reduce((p, q) => p * q, 1), [store(k.out, v(i), num(0))]);
      return [zero, ...windows(k, xs, k.inShapes[1]!, X, (_best, at, o) => [when([bin('>=', at, num(0))], [store(k.out, at, add(load(k.out, at), load(G, o)))])])];
    },
  },
  vjp: () => [null, null],
  differentiable: false,
  gen: (k): OpSample => {
    const s = sample(k);
    const os = poolShape({ dtype: 'f32', shape: s.x }, s.attrs) as number[];
    return { shapes: [s.x, os], attrs: s.attrs };
  },
};
