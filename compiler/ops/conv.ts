// 2-D convolution in NCHW layout (x: [N, C, H, W], w: [C_out, C/groups, KH, KW]) with stride, padding
// (top, bottom, left, right), dilation and groups, plus its two gradients as primitives of their own:
// the input gradient (a transposed convolution) and the filter gradient. All three are bilinear, so
// each one's derivative is written with the other two, and second derivatives work.
// Code generation: direct loop nests with every size, stride and padding a constant.
import { add, bin, comment, let_, letMut, load, loop, mul, num, set, store, v, when, type Expr, type Stmt } from '../loops/loops.js';
import { isShapeError, shapeError, type ShapeError } from '../types/shapes.js';
import { type Dim, type TensorType, fmtShape } from '../types/types.js';
import { forEachIndex, nd } from './ndarray.js';
import { freshNames, type Attrs, type GenKit, type KernelArgs, type OpDef, type OpSample } from './op.js';

/** A window's placement on the image: strides, paddings (top, bottom, left, right) and dilations. */
export interface Window {
  sh: number;
  sw: number;
  pt: number;
  pb: number;
  pl: number;
  pr: number;
  dh: number;
  dw: number;
}

/** The window attributes every windowed op (convolutions, im2col/col2im) carries. */
export const windowOf = (a: Attrs): Window => {
  const [sh, sw] = a['stride'] as number[],
    [pt, pb, pl, pr] = a['pad'] as number[],
    [dh, dw] = a['dilation'] as number[];
  return { sh: sh!, sw: sw!, pt: pt!, pb: pb!, pl: pl!, pr: pr!, dh: dh!, dw: dw! };
};

interface Geom extends Window {
  groups: number;
}

const geom = (a: Attrs): Geom => ({ ...windowOf(a), groups: a['groups'] as number });

/** Positions along one axis: ⌊(n + pads − d·(k−1) − 1)/s⌋ + 1; an explanation when that is not whole. */
export const outSize = (n: number, k: number, s: number, p0: number, p1: number, d: number): number | string => {
  const span = n + p0 + p1 - d * (k - 1) - 1;
  if (span < 0) return `a kernel of ${k} (dilation ${d}) does not fit in ${n} + padding ${p0 + p1}`;
  if (span % s !== 0)
    return (
      `a kernel of ${k} with stride ${s} on ${n} (padding ${p0}+${p1}) gives ${(span / s + 1).toFixed(2)}` +
      ` positions; choose padding so that ${n} + padding − ${d * (k - 1) + 1} is divisible by ${s}`
    );
  return span / s + 1;
};

const num4 = (s: readonly Dim[]): s is readonly [Dim, number, number, number] =>
  s.length === 4 && typeof s[1] === 'number' && typeof s[2] === 'number' && typeof s[3] === 'number';

/** conv2d's output shape from x and w, or the reason there is none. */
const convShape = (x: TensorType, w: TensorType, a: Attrs): Dim[] | ShapeError => {
  if (!num4(x.shape)) return shapeError(`conv2d needs an input [N, C, H, W] with fixed C, H, W, got ${fmtShape(x.shape)}`, 0);
  if (w.shape.length !== 4 || !w.shape.every((d) => typeof d === 'number'))
    return shapeError(`conv2d needs a filter [C_out, C_in/groups, KH, KW], got ${fmtShape(w.shape)}`, 1);
  const g = geom(a);
  const [, C, H, W] = x.shape,
    [Co, Cg, KH, KW] = w.shape as number[];
  if (C % g.groups !== 0 || Co! % g.groups !== 0) return shapeError(`groups = ${g.groups} must divide the ${C} input and ${Co} output channels`, 1);
  if (Cg !== C / g.groups)
    return shapeError(`the filter ${fmtShape(w.shape)} expects ${Cg! * g.groups} input channels, the input ${fmtShape(x.shape)} has ${C}`, 1);
  const oh = outSize(H, KH!, g.sh, g.pt, g.pb, g.dh),
    ow = outSize(W, KW!, g.sw, g.pl, g.pr, g.dw);
  if (typeof oh === 'string') return shapeError(`conv2d height: ${oh}`, 0);
  if (typeof ow === 'string') return shapeError(`conv2d width: ${ow}`, 0);
  return [x.shape[0], Co!, oh, ow];
};

/** Visits every in-bounds tap (n, co, oh, ow, ci, kh, kw, h, w) — the reference semantics of all three ops. */
const taps = (
  xs: readonly number[],
  ws: readonly number[],
  os: readonly number[],
  g: Geom,
  f: (n: number, co: number, oh: number, ow: number, ci: number, kh: number, kw: number, h: number, w: number) => void,
): void => {
  const [N, , H, W] = xs as [number, number, number, number];
  const [Co, Cg, KH, KW] = ws as [number, number, number, number];
  const [, , OH, OW] = os as [number, number, number, number];
  const per = Co / g.groups;
  for (let n = 0; n < N; n++)
    for (let co = 0; co < Co; co++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          for (let c = 0; c < Cg; c++)
            for (let kh = 0; kh < KH; kh++)
              for (let kw = 0; kw < KW; kw++) {
                const h = oh * g.sh - g.pt + kh * g.dh,
                  w = ow * g.sw - g.pl + kw * g.dw;
                if (h >= 0 && h < H && w >= 0 && w < W) f(n, co, oh, ow, Math.floor(co / per) * Cg + c, kh, kw, h, w);
              }
        }
};

const at = (s: readonly number[], a: number, b: number, c: number, d: number) => ((a * s[1]! + b) * s[2]! + c) * s[3]! + d;
const atE = (s: readonly number[], a: Expr, b: Expr, c: Expr, d: Expr): Expr => add(mul(add(mul(add(mul(a, num(s[1]!)), b), num(s[2]!)), c), num(s[3]!)), d);

/** Index expressions of one tap: ci is the input channel, c its index within the group (the filter's axis 1). */
interface TapVars {
  n: Expr;
  co: Expr;
  oh: Expr;
  ow: Expr;
  ci: Expr;
  c: Expr;
  kh: Expr;
  kw: Expr;
  h: Expr;
  w: Expr;
}

/**
 * The loop nest of all three kernels: n, group, co, oh, ow, then c, kh, kw with bounds checks on h and w.
 * `tap` gives the statements for one tap; `around` wraps the tap loops of one output position.
 */
const nest = (
  k: KernelArgs,
  xs: readonly number[],
  ws: readonly number[],
  os: readonly number[],
  tap: (t: TapVars) => Stmt[],
  around: (taps: Stmt[], t: TapVars) => Stmt[] = (s) => s,
): Stmt[] => {
  const g = geom(k.attrs);
  const [N, , H, W] = xs as [number, number, number, number];
  const [Co, Cg, KH, KW] = ws as [number, number, number, number];
  const [, , OH, OW] = os as [number, number, number, number];
  const per = Co / g.groups;
  const [n, gr, cog, oh, ow, c, kh, kw, h, w] = freshNames(k, ['n', 'g', 'co', 'oh', 'ow', 'c', 'kh', 'kw', 'h', 'w']);
  const t: TapVars = {
    n: v(n),
    co: add(mul(v(gr), num(per)), v(cog)),
    oh: v(oh),
    ow: v(ow),
    ci: add(mul(v(gr), num(Cg)), v(c)),
    c: v(c),
    kh: v(kh),
    kw: v(kw),
    h: v(h),
    w: v(w),
  };
  const inner = loop(kw, KW, [
    let_(w, add(mul(v(ow), num(g.sw)), num(-g.pl + 0))),
    when(
      [bin('>=', add(v(w), mul(v(kw), num(g.dw))), num(0)), bin('<', add(v(w), mul(v(kw), num(g.dw))), num(W))],
      tap({ ...t, w: add(v(w), mul(v(kw), num(g.dw))) }),
    ),
  ]);
  const tapLoops = loop(c, Cg, [
    loop(kh, KH, [
      let_(h, add(add(mul(v(oh), num(g.sh)), num(-g.pt)), mul(v(kh), num(g.dh)))),
      when([bin('>=', v(h), num(0)), bin('<', v(h), num(H))], [inner]),
    ]),
  ]);
  const body = around([tapLoops], t);
  return [
    comment(
      `conv NCHW ${fmtShape(xs)} * ${fmtShape(ws)} → ${fmtShape(os)}, stride ${g.sh}×${g.sw}, pad ` +
        `${g.pt},${g.pb},${g.pl},${g.pr}, dilation ${g.dh}×${g.dw}, groups ${g.groups}`,
    ),
    loop(n, N, [loop(gr, g.groups, [loop(cog, per, [loop(oh, OH, [loop(ow, OW, body)])])])]),
  ];
};

const zero = (out: string, size: number, fresh: (h: string) => string): Stmt => {
  const i = fresh('i');
  return loop(i, size, [store(out, v(i), num(0))]);
};
const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

const baseAttrs = (k: GenKit): Attrs => {
  const s = [k.int(1, 2), k.int(1, 2)],
    d = [k.int(1, 2), k.int(1, 2)];
  return { stride: s, pad: [k.int(0, 2), k.int(0, 2), k.int(0, 2), k.int(0, 2)], dilation: d, groups: k.pick([1, 1, 2]) };
};
/** Shapes for which every conv size divides evenly: spatial sizes are chosen from the output back. */
const sample = (k: GenKit): { x: number[]; w: number[]; o: number[]; attrs: Attrs } => {
  const a = baseAttrs(k);
  const g = geom(a);
  const [KH, KW] = [k.int(1, 3), k.int(1, 3)];
  const [OH, OW] = [k.int(1, 3), k.int(1, 3)];
  const H = (OH - 1) * g.sh + g.dh * (KH - 1) + 1 - g.pt - g.pb,
    W = (OW - 1) * g.sw + g.dw * (KW - 1) + 1 - g.pl - g.pr;
  const fix = H < 1 || W < 1 ? { ...a, pad: [0, 0, 0, 0] } : a;
  const g2 = geom(fix);
  const H2 = (OH - 1) * g2.sh + g2.dh * (KH - 1) + 1 - g2.pt - g2.pb,
    W2 = (OW - 1) * g2.sw + g2.dw * (KW - 1) + 1 - g2.pl - g2.pr;
  const Cg = k.int(1, 2),
    per = k.int(1, 2);
  const N = k.int(1, 2);
  return { x: [N, Cg * g2.groups, H2, W2], w: [per * g2.groups, Cg, KH, KW], o: [N, per * g2.groups, OH, OW], attrs: fix };
};

/** A multiply-add per tap: 2 · |forward output| · (filter size / output channels), for all three convolutions. */
const convFlops = (y: readonly number[], w: readonly number[]): number => (2 * y.reduce((p, d) => p * d, 1) * w.reduce((p, d) => p * d, 1)) / w[0]!;

export const CONV2D: OpDef = {
  name: 'conv2d',
  arity: 2,
  attrs: { stride: 'ints', pad: 'ints', dilation: 'ints', groups: 'int' },
  kind: 'contraction',
  jvp: 'bilinear',
  internal: true,
  doc: 'y[n, co, oh, ow] = Σ_{ci, kh, kw} x[n, ci, oh·s − p + kh·d, ow·s − p + kw·d] · w[co, ci, kh, kw] (NCHW, zero padding)',
  shape: ([x, w], a) => {
    const s = convShape(x!, w!, a);
    return isShapeError(s) ? s : { dtype: 'f32', shape: s };
  },
  flops: ([, w], o) => convFlops(o, w!),
  eval: ([x, w], a, out) => {
    const r = nd(out.shape);
    taps(x!.shape, w!.shape, out.shape, geom(a), (n, co, oh, ow, ci, kh, kw, h, ww) => {
      r.data[at(out.shape, n, co, oh, ow)]! += x!.data[at(x!.shape, n, ci, h, ww)]! * w!.data[at(w!.shape, co, ci % w!.shape[1]!, kh, kw)]!;
    });
    return r;
  },
  emit: {
    kind: 'kernel',
    kernel: (k) => {
      const [xs, ws] = k.inShapes as [number[], number[]];
      const [X, Wt] = k.ins as [string, string];
      const acc = k.fresh('acc');
      return nest(
        k,
        xs,
        ws,
        k.outShape,
        (t) => [set(acc, add(v(acc), mul(load(X, atE(xs, t.n, t.ci, t.h, t.w)), load(Wt, atE(ws, t.co, t.c, t.kh, t.kw)))))],
        (body, t) => [letMut(acc, num(0)), ...body, store(k.out, atE(k.outShape, t.n, t.co, t.oh, t.ow), v(acc))],
      );
    },
  },
  vjp: (b, ct, n) => {
    const [x, w] = n.inputs as [number, number];
    const xs = n.inTypes[0]!.shape,
      ws = n.inTypes[1]!.shape;
    return [
      b.op('conv2d_input_grad', [ct, w], { ...n.attrs, in_hw: [xs[2]!, xs[3]!] }),
      b.op('conv2d_filter_grad', [x, ct], { ...n.attrs, k_hw: [ws[2]!, ws[3]!] }),
    ];
  },
  differentiable: true,
  gen: (k): OpSample => {
    const s = sample(k);
    return { shapes: [s.x, s.w], attrs: s.attrs };
  },
};

/** Output shape of the input gradient: the convolution's input shape, from g, w and attrs.in_hw. */
const inputGradShape = (g: TensorType, w: TensorType, a: Attrs): Dim[] | ShapeError => {
  if (g.shape.length !== 4 || w.shape.length !== 4 || !w.shape.every((d) => typeof d === 'number'))
    return shapeError(`conv2d_input_grad needs 4-D operands, got ${fmtShape(g.shape)} and ${fmtShape(w.shape)}`, 0);
  if (g.shape[1] !== w.shape[0])
    return shapeError(`conv2d_input_grad: ${fmtShape(g.shape)} has ${g.shape[1]} channels, the filter ${fmtShape(w.shape)} has ${w.shape[0]}`, 1);
  const [H, W] = a['in_hw'] as number[];
  const x = { dtype: 'f32' as const, shape: [g.shape[0]!, (w.shape[1] as number) * geom(a).groups, H!, W!] };
  const y = convShape(x, w, a);
  if (isShapeError(y)) return y;
  if (y[2] !== g.shape[2] || y[3] !== g.shape[3])
    return shapeError(`conv2d_input_grad: a ${H}×${W} input gives ${y[2]}×${y[3]} outputs, not ${g.shape[2]}×${g.shape[3]}`, 0);
  return x.shape;
};

const filterGradShape = (x: TensorType, g: TensorType, a: Attrs): Dim[] | ShapeError => {
  if (!num4(x.shape) || g.shape.length !== 4 || typeof g.shape[1] !== 'number')
    return shapeError(`conv2d_filter_grad needs 4-D operands, got ${fmtShape(x.shape)} and ${fmtShape(g.shape)}`, 0);
  const [KH, KW] = a['k_hw'] as number[];
  const groups = geom(a).groups;
  const w = { dtype: 'f32' as const, shape: [g.shape[1], x.shape[1] / groups, KH!, KW!] };
  const y = convShape(x, w, a);
  if (isShapeError(y)) return y;
  if (y[0] !== g.shape[0] || y[2] !== g.shape[2] || y[3] !== g.shape[3])
    return shapeError(`conv2d_filter_grad: ${fmtShape(x.shape)} gives outputs ${fmtShape(y)}, not ${fmtShape(g.shape)}`, 1);
  return w.shape;
};

const without = (a: Attrs, ...keys: string[]): Attrs => Object.fromEntries(Object.entries(a).filter(([k]) => !keys.includes(k)));

export const CONV2D_INPUT_GRAD: OpDef = {
  name: 'conv2d_input_grad',
  arity: 2,
  attrs: { stride: 'ints', pad: 'ints', dilation: 'ints', groups: 'int', in_hw: 'ints' },
  kind: 'contraction',
  jvp: 'bilinear',
  internal: true,
  doc: 'the input gradient of conv2d (a transposed convolution): dx[n, ci, h, w] = Σ g[n, co, oh, ow] · w[co, ci, kh, kw] over the taps that read (h, w)',
  shape: ([g, w], a) => {
    const s = inputGradShape(g!, w!, a);
    return isShapeError(s) ? s : { dtype: 'f32', shape: s };
  },
  flops: ([g, w]) => convFlops(g!, w!),
  eval: ([g, w], a, out) => {
    const r = nd(out.shape);
    taps(out.shape, w!.shape, g!.shape, geom(a), (n, co, oh, ow, ci, kh, kw, h, ww) => {
      r.data[at(out.shape, n, ci, h, ww)]! += g!.data[at(g!.shape, n, co, oh, ow)]! * w!.data[at(w!.shape, co, ci % w!.shape[1]!, kh, kw)]!;
    });
    return r;
  },
  emit: {
    kind: 'kernel',
    kernel: (k) => {
      const [gs, ws] = k.inShapes as [number[], number[]];
      const [G, Wt] = k.ins as [string, string];
      const gv = k.fresh('gv');
      return [
        zero(k.out, prod(k.outShape), k.fresh),
        ...nest(
          k,
          k.outShape,
          ws,
          gs,
          (t) => {
            const o = atE(k.outShape, t.n, t.ci, t.h, t.w);
            return [store(k.out, o, add(load(k.out, o), mul(v(gv), load(Wt, atE(ws, t.co, t.c, t.kh, t.kw)))))];
          },
          (body, t) => [let_(gv, load(G, atE(gs, t.n, t.co, t.oh, t.ow))), ...body],
        ),
      ];
    },
  },
  vjp: (b, ct, n) => {
    const [g, w] = n.inputs as [number, number];
    const ws = n.inTypes[1]!.shape;
    const conv = without(n.attrs, 'in_hw');
    return [b.op('conv2d', [ct, w], conv), b.op('conv2d_filter_grad', [ct, g], { ...conv, k_hw: [ws[2]!, ws[3]!] })];
  },
  differentiable: true,
  gen: (k): OpSample => {
    const s = sample(k);
    return { shapes: [s.o, s.w], attrs: { ...s.attrs, in_hw: [s.x[2]!, s.x[3]!] } };
  },
};

export const CONV2D_FILTER_GRAD: OpDef = {
  name: 'conv2d_filter_grad',
  arity: 2,
  attrs: { stride: 'ints', pad: 'ints', dilation: 'ints', groups: 'int', k_hw: 'ints' },
  kind: 'contraction',
  jvp: 'bilinear',
  internal: true,
  doc: 'the filter gradient of conv2d: dw[co, ci, kh, kw] = Σ_{n, oh, ow} x[n, ci, h, w] · g[n, co, oh, ow]',
  shape: ([x, g], a) => {
    const s = filterGradShape(x!, g!, a);
    return isShapeError(s) ? s : { dtype: 'f32', shape: s };
  },
  flops: ([, g], w) => convFlops(g!, w),
  eval: ([x, g], a, out) => {
    const r = nd(out.shape);
    taps(x!.shape, out.shape, g!.shape, geom(a), (n, co, oh, ow, ci, kh, kw, h, ww) => {
      r.data[at(out.shape, co, ci % out.shape[1]!, kh, kw)]! += x!.data[at(x!.shape, n, ci, h, ww)]! * g!.data[at(g!.shape, n, co, oh, ow)]!;
    });
    return r;
  },
  emit: {
    kind: 'kernel',
    kernel: (k) => {
      const [xs, gs] = k.inShapes as [number[], number[]];
      const [X, G] = k.ins as [string, string];
      const gv = k.fresh('gv');
      return [
        zero(k.out, prod(k.outShape), k.fresh),
        ...nest(
          k,
          xs,
          k.outShape,
          gs,
          (t) => {
            const o = atE(k.outShape, t.co, t.c, t.kh, t.kw);
            return [store(k.out, o, add(load(k.out, o), mul(v(gv), load(X, atE(xs, t.n, t.ci, t.h, t.w)))))];
          },
          (body, t) => [let_(gv, load(G, atE(gs, t.n, t.co, t.oh, t.ow))), ...body],
        ),
      ];
    },
  },
  vjp: (b, ct, n) => {
    const [x, g] = n.inputs as [number, number];
    const xs = n.inTypes[0]!.shape;
    const conv = without(n.attrs, 'k_hw');
    return [b.op('conv2d_input_grad', [g, ct], { ...conv, in_hw: [xs[2]!, xs[3]!] }), b.op('conv2d', [x, ct], conv)];
  },
  differentiable: true,
  gen: (k): OpSample => {
    const s = sample(k);
    return { shapes: [s.x, s.o], attrs: { ...s.attrs, k_hw: [s.w[2]!, s.w[3]!] } };
  },
};

export const CONV = { conv2d: CONV2D, conv2d_input_grad: CONV2D_INPUT_GRAD, conv2d_filter_grad: CONV2D_FILTER_GRAD } satisfies Record<string, OpDef>;
export { forEachIndex };
