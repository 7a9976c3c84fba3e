// im2col and its adjoint col2im: the patches a convolution reads, laid out so that the convolution
// becomes one batched matrix product W [C_out, C·KH·KW] @ cols[n] [C·KH·KW, OH·OW] whose result is already
// NCHW. cols[n, c, kh, kw, oh, ow] = x[n, c, oh·s − p + kh·d, ow·s − p + kw·d], or 0 in the padding.
// col2im sums patches back onto the image (the derivative of im2col); each is the other's derivative.
import { add, comment, loop, mul, num, sel, store, v, when, load, bin, let_, type Expr, type Stmt } from '../loops/loops.js';
import { shapeError } from '../types/shapes.js';
import { type Dim, fmtShape } from '../types/types.js';
import { nd } from './ndarray.js';
import { freshNames, type Attrs, type KernelArgs, type OpDef, type OpSample } from './op.js';
import { outSize, windowOf, type Window } from './conv.js';

interface G extends Window {
  KH: number;
  KW: number;
}
const geom = (a: Attrs): G => {
  const [KH, KW] = a['k_hw'] as number[];
  return { ...windowOf(a), KH: KH!, KW: KW! };
};

const colsShape = (xs: readonly Dim[], g: G): Dim[] | string => {
  if (xs.length !== 4 || typeof xs[2] !== 'number' || typeof xs[3] !== 'number') return `im2col needs [N, C, H, W] with fixed H and W, got ${fmtShape(xs)}`;
  const oh = outSize(xs[2], g.KH, g.sh, g.pt, g.pb, g.dh),
    ow = outSize(xs[3], g.KW, g.sw, g.pl, g.pr, g.dw);
  if (typeof oh === 'string') return `height: ${oh}`;
  if (typeof ow === 'string') return `width: ${ow}`;
  return [xs[0]!, xs[1]!, g.KH, g.KW, oh, ow];
};

/** Visits (flat index into cols, flat index into x or −1 in the padding). */
const pairs = (xs: readonly number[], cs: readonly number[], g: G, f: (col: number, img: number) => void): void => {
  const [N, C, H, W] = xs as [number, number, number, number];
  const [, , , , OH, OW] = cs as [number, number, number, number, number, number];
  let col = 0;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let kh = 0; kh < g.KH; kh++)
        for (let kw = 0; kw < g.KW; kw++)
          for (let oh = 0; oh < OH; oh++)
            for (let ow = 0; ow < OW; ow++) {
              const h = oh * g.sh - g.pt + kh * g.dh,
                w = ow * g.sw - g.pl + kw * g.dw;
              f(col++, h >= 0 && h < H && w >= 0 && w < W ? ((n * C + c) * H + h) * W + w : -1);
            }
};

/**
 * The flat offsets a nest reads and writes: cols[n, c, kh, kw, oh, 0] (cols is [N, C, KH, KW, OH, OW])
 * and image[n, c, h, w], over the nest's loop variables.
 */
const indices = (g: ReturnType<typeof geom>, xs: readonly number[], cs: readonly number[], i: Record<'n' | 'c' | 'kh' | 'kw' | 'oh' | 'h' | 'w', string>) => {
  const [, C, H, W] = xs as [number, number, number, number];
  const [, , , , OH, OW] = cs as [number, number, number, number, number, number];
  const rowBase = mul(add(mul(add(mul(add(mul(add(mul(v(i.n), num(C)), v(i.c)), num(g.KH)), v(i.kh)), num(g.KW)), v(i.kw)), num(OH)), v(i.oh)), num(OW));
  const img = add(mul(add(mul(add(mul(v(i.n), num(C)), v(i.c)), num(H)), v(i.h)), num(W)), v(i.w));
  return { rowBase, img };
};

/** `rows` for every image, channel and kernel position: for n, c, kh, kw. */
const overPatches = (g: ReturnType<typeof geom>, N: number, C: number, i: Record<'n' | 'c' | 'kh' | 'kw', string>, rows: Stmt): Stmt =>
  loop(i.n, N, [loop(i.c, C, [loop(i.kh, g.KH, [loop(i.kw, g.KW, [rows])])])]);

/** The shared loop nest: for each (n, c, kh, kw, oh, ow) inside the image, `body(colIndex, imgIndex)`. */
const nest = (k: KernelArgs, xs: readonly number[], cs: readonly number[], body: (col: Expr, img: Expr) => Stmt[]): Stmt[] => {
  const g = geom(k.attrs);
  const [N, C, H, W] = xs as [number, number, number, number];
  const [, , , , OH, OW] = cs as [number, number, number, number, number, number];
  const [n, c, kh, kw, oh, ow, h, w, base] = freshNames(k, ['n', 'c', 'kh', 'kw', 'oh', 'ow', 'h', 'w', 'o']);
  // cols is [N, C, KH, KW, OH, OW]: the innermost loop walks a row of output positions
  const { rowBase, img } = indices(g, xs, cs, { n, c, kh, kw, oh, h, w });
  const col = add(v(base), v(ow));
  const inner = loop(ow, OW, [
    let_(w, add(add(mul(v(ow), num(g.sw)), num(-g.pl)), mul(v(kw), num(g.dw)))),
    when([bin('>=', v(w), num(0)), bin('<', v(w), num(W))], body(col, img)),
  ]);
  const rows = loop(oh, OH, [
    let_(h, add(add(mul(v(oh), num(g.sh)), num(-g.pt)), mul(v(kh), num(g.dh)))),
    when([bin('>=', v(h), num(0)), bin('<', v(h), num(H))], [let_(base, rowBase), inner]),
  ]);
  return [comment(`im2col ${fmtShape(xs)} ↔ ${fmtShape(cs)}`), overPatches(g, N, C, { n, c, kh, kw }, rows)];
};

/** min(max(e, 0), hi) */
const clamp = (e: Expr, hi: number): Expr => sel(bin('<', e, num(0)), num(0), sel(bin('>', e, num(hi)), num(hi), e));

/**
 * im2col writing every element once, for a stride of 1 along the width: per row of output positions
 * inside the image, zeros for ow < lo, the copy for lo ≤ ow < hi (w = ow − p + kw·d inside the image:
 * a contiguous run the printers copy as vectors), zeros after; a row outside the image is all zeros.
 * No pass of zeros over the whole buffer first.
 */
const splitNest = (k: KernelArgs, xs: readonly number[], cs: readonly number[]): Stmt[] => {
  const g = geom(k.attrs);
  const [N, C, H, W] = xs as [number, number, number, number];
  const [, , , , OH, OW] = cs as [number, number, number, number, number, number];
  const [n, c, kh, kw, oh, h, w, base, lo, hi] = freshNames(k, ['n', 'c', 'kh', 'kw', 'oh', 'h', 'w', 'o', 'lo', 'hi']);
  const { rowBase, img } = indices(g, xs, cs, { n, c, kh, kw, oh, h, w });
  const shift = add(num(-g.pl), mul(v(kw), num(g.dw)));
  const zeros = (from: Expr, to: Expr): Stmt => {
    const z = k.fresh('ow');
    return loop(z, to, [store(k.out, add(v(base), v(z)), num(0))], from);
  };
  const ow = k.fresh('ow');
  const inside: Stmt[] = [
    // w ≥ 0 ⟺ ow ≥ p − kw·d; w < W ⟺ ow < W + p − kw·d
    let_(lo, clamp(add(num(g.pl), mul(v(kw), num(-g.dw))), OW)),
    let_(hi, clamp(add(num(W + g.pl), mul(v(kw), num(-g.dw))), OW)),
    zeros(num(0), v(lo)),
    loop(ow, v(hi), [let_(w, add(v(ow), shift)), store(k.out, add(v(base), v(ow)), load(k.ins[0]!, img))], v(lo)),
    zeros(v(hi), num(OW)),
  ];
  const rows = loop(oh, OH, [
    let_(h, add(add(mul(v(oh), num(g.sh)), num(-g.pt)), mul(v(kh), num(g.dh)))),
    let_(base, rowBase),
    when([bin('>=', v(h), num(0)), bin('<', v(h), num(H))], inside),
    when([bin('<', v(h), num(0))], [zeros(num(0), num(OW))]),
    when([bin('>=', v(h), num(H))], [zeros(num(0), num(OW))]),
  ]);
  return [comment(`im2col ${fmtShape(xs)} → ${fmtShape(cs)}, each element written once`), overPatches(g, N, C, { n, c, kh, kw }, rows)];
};

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const zero = (out: string, n: number, fresh: (h: string) => string): Stmt => {
  const i = fresh('i');
  return loop(i, n, [store(out, v(i), num(0))]);
};

const sample = (k: { int(lo: number, hi: number): number; pick<T>(xs: readonly T[]): T }): { x: number[]; attrs: Attrs; cols: number[] } => {
  const [sh, sw, dh, dw, KH, KW] = [k.int(1, 2), k.int(1, 2), k.int(1, 2), k.int(1, 2), k.int(1, 3), k.int(1, 3)];
  const [OH, OW] = [k.int(1, 3), k.int(1, 3)];
  const pad = [k.int(0, 1), k.int(0, 1), k.int(0, 1), k.int(0, 1)];
  let H = (OH - 1) * sh + dh * (KH - 1) + 1 - pad[0]! - pad[1]!,
    W = (OW - 1) * sw + dw * (KW - 1) + 1 - pad[2]! - pad[3]!;
  if (H < 1 || W < 1) {
    pad.fill(0);
    H = (OH - 1) * sh + dh * (KH - 1) + 1;
    W = (OW - 1) * sw + dw * (KW - 1) + 1;
  }
  const [N, C] = [k.int(1, 2), k.int(1, 2)];
  return { x: [N, C, H, W], attrs: { stride: [sh, sw], pad, dilation: [dh, dw], k_hw: [KH, KW] }, cols: [N, C, KH, KW, OH, OW] };
};

export const IM2COL: OpDef = {
  name: 'im2col',
  arity: 1,
  attrs: { stride: 'ints', pad: 'ints', dilation: 'ints', k_hw: 'ints' },
  kind: 'movement',
  internal: true,
  doc: 'convolution patches: cols[n, c, kh, kw, oh, ow] = x[n, c, oh·s − p + kh·d, ow·s − p + kw·d] (0 in the padding)',
  shape: ([x], a) => {
    const s = colsShape(x!.shape, geom(a));
    return typeof s === 'string' ? shapeError(s, 0) : { dtype: x!.dtype, shape: s };
  },
  eval: ([x], a, out) => {
    const r = nd(out.shape);
    pairs(x!.shape, out.shape, geom(a), (col, img) => {
      if (img >= 0) r.data[col] = x!.data[img]!;
    });
    return r;
  },
  emit: {
    kind: 'kernel',
    kernel: (k) => {
      const g = geom(k.attrs);
      const copy = nest(k, k.inShapes[0]!, k.outShape, (col, img) => [store(k.out, col, load(k.ins[0]!, img))]);
      // without padding every position is inside the image: nothing to zero
      if (g.pt === 0 && g.pb === 0 && g.pl === 0 && g.pr === 0) return copy;
      return g.sw === 1 ? splitNest(k, k.inShapes[0]!, k.outShape) : [zero(k.out, size(k.outShape), k.fresh), ...copy];
    },
  },
  vjp: (b, ct, n) => [b.op('col2im', [ct], { ...n.attrs, in_hw: [n.inTypes[0]!.shape[2]!, n.inTypes[0]!.shape[3]!], channels: n.inTypes[0]!.shape[1]! })],
  differentiable: true,
  gen: (k): OpSample => {
    const s = sample(k);
    return { shapes: [s.x], attrs: s.attrs };
  },
};

/** col2im(cols) → image [N, C, H, W]: every patch entry added back at the pixel it was read from. */
export const COL2IM: OpDef = {
  name: 'col2im',
  arity: 1,
  attrs: { stride: 'ints', pad: 'ints', dilation: 'ints', k_hw: 'ints', in_hw: 'ints', channels: 'int' },
  kind: 'movement',
  internal: true,
  doc: 'the adjoint of im2col: x[n, c, h, w] = Σ of the cols entries that read pixel (h, w)',
  shape: ([c], a) => {
    const [H, W] = a['in_hw'] as number[];
    const C = a['channels'] as number;
    const want = colsShape([c!.shape[0]!, C, H!, W!], geom(a));
    if (typeof want === 'string' || want.length !== c!.shape.length || want.some((d, i) => d !== c!.shape[i]))
      return shapeError(`col2im: ${fmtShape(c!.shape)} are not the patches of a [${fmtShape([c!.shape[0]!, C, H!, W!])}] image`, 0);
    return { dtype: c!.dtype, shape: [c!.shape[0]!, C, H!, W!] };
  },
  eval: ([c], a, out) => {
    const r = nd(out.shape);
    pairs(out.shape, c!.shape, geom(a), (col, img) => {
      if (img >= 0) r.data[img]! += c!.data[col]!;
    });
    return r;
  },
  emit: {
    kind: 'kernel',
    kernel: (k) => [
      zero(k.out, size(k.outShape), k.fresh),
      ...nest(k, k.outShape, k.inShapes[0]!, (col, img) => [store(k.out, img, add(load(k.out, img), load(k.ins[0]!, col)))]),
    ],
  },
  vjp: (b, ct, n) => [b.op('im2col', [ct], Object.fromEntries(Object.entries(n.attrs).filter(([key]) => key !== 'in_hw' && key !== 'channels')))],
  differentiable: true,
  gen: (k): OpSample => {
    const s = sample(k);
    return { shapes: [s.cols], attrs: { ...s.attrs, in_hw: [s.x[2]!, s.x[3]!], channels: s.x[1]! } };
  },
};
