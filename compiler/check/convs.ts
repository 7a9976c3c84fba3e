// Convolution built-ins: conv1d, conv2d and conv3d with stride, padding (a number, one per axis,
// [before, after] per axis, `same` or `valid`), dilation and groups, and conv_transpose2d with groups,
// dilation and output_padding. conv2d is the conv2d primitive, lowered to im2col + matmul when
// groups = 1; conv1d is conv2d over [N, C, 1, L]; conv3d is conv2d over the depth windows stacked into
// the channel axis:
//   y[n, co, od] = Σ_kd conv2d(x[n, :, od·sd − pd + kd·dd], w[co, :, kd])   (a sum over depth taps)
// written as one conv2d on [N·OD, C·KD, H, W] with the filter reshaped to [C_out, C/groups·KD, KH, KW]
// (each group's channels stay contiguous), so gradients and second derivatives come from conv2d's.
import type { Span } from '../diagnostics/span.js';
import { outSize } from '../ops/conv.js';
import type { OpName } from '../ops/registry.js';
import { dimMul } from '../types/dims.js';
import { type Dim, fmtShape } from '../types/types.js';
import type { CallArgs } from './args.js';
import { AXES, checkNames, get, ints, padArg, shapeErr, spatialInput, type Arg } from './convArgs.js';
import type { ExprElab } from './expr.js';
import { ERROR, type Binding } from './scope.js';

export interface ConvGeom {
  stride: number[];
  pad: number[];
  dilation: number[];
  groups: number;
}

const opper =
  (x: ExprElab, span: Span) =>
  (name: OpName, ins: number[], attrs: Record<string, unknown>): number | undefined => {
    const r = x.c.op(name, ins, attrs, span);
    return r.k === 'tensor' ? r.id : undefined;
  };

/** conv over x [N, C, …spatial] and w [C_out, C/groups, …kernel] (rank 4: conv2d; rank 5: conv3d), shapes already checked. */
export const convLowered = (x: ExprElab, xi: number, wi: number, g: ConvGeom, span: Span): number | undefined =>
  x.c.type(xi).shape.length === 5 ? conv3dLowered(x, xi, wi, g, span) : conv2dLowered(x, xi, wi, g, span);

const conv2dLowered = (x: ExprElab, xi: number, wi: number, g: ConvGeom, span: Span): number | undefined => {
  const direct = x.c.op('conv2d', [xi, wi], { ...g }, span);
  if (direct.k !== 'tensor') return undefined;
  // grouped convolutions, and every one under convLowering: 'direct' (check/options.ts), stay loop nests
  if (g.groups !== 1 || x.c.lowering.convLowering === 'direct') return direct.id;
  // y[n] = W [Co, C·KH·KW] @ cols[n] [C·KH·KW, OH·OW]: a batched matmul whose result is already NCHW.
  // The direct node above only checked the shapes and is left for dead-code elimination.
  const op = opper(x, span);
  const [N, C] = x.c.type(xi).shape as [Dim, number];
  const [Co, , KH, KW] = x.c.type(wi).shape as number[] as [number, number, number, number];
  const [, , OH, OW] = x.c.type(direct.id).shape as [Dim, number, number, number];
  const cols = op('im2col', [xi], { stride: g.stride, pad: g.pad, dilation: g.dilation, k_hw: [KH, KW] });
  const c3 = cols === undefined ? undefined : op('reshape', [cols], { shape: [N, C * KH * KW, OH * OW] });
  const w2 = op('reshape', [wi], { shape: [Co, C * KH * KW] });
  const y3 = c3 === undefined || w2 === undefined ? undefined : op('matmul', [w2, c3], {});
  return y3 === undefined ? undefined : op('reshape', [y3], { shape: [N, Co, OH, OW] });
};

const conv3dLowered = (x: ExprElab, xi: number, wi: number, g: ConvGeom, span: Span): number | undefined => {
  const op = opper(x, span);
  const [N, C, D, H, W] = x.c.type(xi).shape as [Dim, number, number, number, number];
  const [Co, Cg, KD, KH, KW] = x.c.type(wi).shape as number[] as [number, number, number, number, number];
  const [sd, pd0, pd1, dd] = [g.stride[0]!, g.pad[0]!, g.pad[1]!, g.dilation[0]!];
  const OD = outSize(D, KD, sd, pd0, pd1, dd) as number;
  // zeros before and after the depth axis; sd − 1 more after, so every strided window below can be
  // sliced as OD·sd planes and the first of each sd kept
  const padded = op('pad', [xi], { before: [0, 0, pd0, 0, 0], after: [0, 0, pd1 + sd - 1, 0, 0] });
  if (padded === undefined) return undefined;
  const taps: number[] = [];
  for (let kd = 0; kd < KD; kd++) {
    let t = op('slice', [padded], { begin: [0, 0, kd * dd, 0, 0], end: [N, C, kd * dd + OD * sd, H, W] });
    if (t !== undefined && sd > 1) {
      const r = op('reshape', [t], { shape: [N, C, OD, sd, H, W] });
      t = r === undefined ? undefined : op('slice', [r], { begin: [0, 0, 0, 0, 0, 0], end: [N, C, OD, 1, H, W] });
    }
    const s = t === undefined ? undefined : op('reshape', [t], { shape: [N, C, 1, OD, H, W] });
    if (s === undefined) return undefined;
    taps.push(s);
  }
  const stacked = taps.length === 1 ? taps[0] : op('concat', taps, { axis: 2 });
  const perm = stacked === undefined ? undefined : op('transpose', [stacked], { perm: [0, 3, 1, 2, 4, 5] });
  const x2 = perm === undefined ? undefined : op('reshape', [perm], { shape: [dimMul(N, OD), C * KD, H, W] });
  const w2 = op('reshape', [wi], { shape: [Co, Cg * KD, KH, KW] });
  if (x2 === undefined || w2 === undefined) return undefined;
  const y2 = conv2dLowered(x, x2, w2, { stride: g.stride.slice(1), pad: g.pad.slice(2), dilation: g.dilation.slice(1), groups: g.groups }, span);
  if (y2 === undefined) return undefined;
  const [, , OH, OW] = x.c.type(y2).shape as [Dim, number, number, number];
  const y5 = op('reshape', [y2], { shape: [N, OD, Co, OH, OW] });
  return y5 === undefined ? undefined : op('transpose', [y5], { perm: [0, 2, 1, 3, 4] });
};

/** `same` keeps ⌈size/stride⌉ positions (an odd remainder goes after); `valid` is no padding; else padArg. */
const convPadding = (x: ExprElab, g: Arg, sp: readonly number[], k: readonly number[], s: readonly number[], d: readonly number[]): number[] | undefined => {
  if (g?.v.k === 'word' && g.v.name === 'valid') return new Array<number>(2 * sp.length).fill(0);
  if (g?.v.k === 'word' && g.v.name === 'same') {
    return sp.flatMap((n, i) => {
      const total = Math.max((Math.ceil(n / s[i]!) - 1) * s[i]! + d[i]! * (k[i]! - 1) + 1 - n, 0);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    });
  }
  return padArg(x, g, sp.length);
};

/** Channels, groups and window fit, as located E0251/E0252 diagnostics naming both shapes; the output's spatial sizes. */
const checkConv = (x: ExprElab, fn: string, a: CallArgs, span: Span, xs: readonly Dim[], ws: readonly Dim[], g: ConvGeom): number[] | undefined => {
  const ops = [
    { what: 'the input', shape: xs, span: get(a, 0, 'x')?.span },
    { what: 'the filter', shape: ws, span: get(a, 1, 'w')?.span },
  ];
  const r = xs.length - 2;
  const C = xs[1] as number,
    Co = ws[0] as number,
    Cg = ws[1] as number;
  if (C % g.groups !== 0 || Co % g.groups !== 0) {
    shapeErr(x, 'E0251', span, `${fn}: groups = ${g.groups} must divide the ${C} input and ${Co} output channels`, ops);
    return undefined;
  }
  if (Cg * g.groups !== C) {
    const per = g.groups > 1 ? ` (${Cg} per group × ${g.groups} groups)` : '';
    shapeErr(x, 'E0251', span, `${fn}: the filter ${fmtShape(ws)} expects ${Cg * g.groups} input channels${per}, the input ${fmtShape(xs)} has ${C}`, ops);
    return undefined;
  }
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const [n, k, d] = [xs[i + 2] as number, ws[i + 2] as number, g.dilation[i]!];
    const room = n + g.pad[2 * i]! + g.pad[2 * i + 1]! - d * (k - 1) - 1;
    if (room < 0) {
      const where = r === 1 ? ':' : ` ${AXES[r]!.split(/, | and /)[i]}:`,
        kernel = `${k}${d > 1 ? ` (dilation ${d})` : ''}`;
      shapeErr(x, 'E0252', span, `${fn}${where} a kernel of ${kernel} does not fit in ${n} + padding ${g.pad[2 * i]! + g.pad[2 * i + 1]!}`, ops);
      return undefined;
    }
    out.push(Math.floor(room / g.stride[i]!) + 1);
  }
  return out;
};

/**
 * Floor mode, as PyTorch: input rows past the last window are dropped. The padding after each axis
 * becomes what the last window reaches, (o − 1)·s + d·(k − 1) + 1 − n − p_before; where that is
 * negative the input is cut instead, so the convolution's sizes divide exactly.
 */
const floorFit = (
  x: ExprElab,
  xi: number,
  sp: readonly number[],
  ks: readonly number[],
  outs: readonly number[],
  g: ConvGeom,
  span: Span,
): { xi: number; g: ConvGeom } | undefined => {
  const far = sp.map((n, i) => (outs[i]! - 1) * g.stride[i]! + g.dilation[i]! * (ks[i]! - 1) + 1 - n - g.pad[2 * i]!);
  const pad = g.pad.map((p, j) => (j % 2 === 0 ? p : Math.max(far[(j - 1) / 2]!, 0)));
  if (far.every((f) => f >= 0)) return { xi, g: { ...g, pad } };
  const shape = x.c.type(xi).shape;
  const cut = x.c.op('slice', [xi], { begin: shape.map(() => 0), end: [shape[0]!, shape[1]!, ...sp.map((n, i) => Math.min(n, n + far[i]!))] }, span);
  return cut.k === 'tensor' ? { xi: cut.id, g: { ...g, pad } } : undefined;
};

const layouts = ['', '[C_out, C_in/groups, K]', '[C_out, C_in/groups, KH, KW]', '[C_out, C_in/groups, KD, KH, KW]'];

/** conv{r}d(x, w, stride = 1, padding = 0, dilation = 1, groups = 1), in floor mode (floorFit). */
export const convNd =
  (r: 1 | 2 | 3) =>
  (x: ExprElab, a: CallArgs, span: Span): Binding => {
    const fn = `conv${r}d`;
    if (!checkNames(x, a, span, fn, ['x', 'w', 'stride', 'padding', 'dilation', 'groups'])) return ERROR;
    if (!get(a, 0, 'x') || !get(a, 1, 'w')) return x.c.err('E0104', span, `${fn} needs an input and a filter: ${fn}(x, w, stride = 1, padding = 0)`);
    const inp = spatialInput(x, get(a, 0, 'x'), fn, r, span);
    const wa = get(a, 1, 'w')!;
    const wi = x.c.tensor(wa.v, wa.span);
    const stride = ints(x, get(a, 2, 'stride'), r, new Array<number>(r).fill(1), 'stride', 1);
    const dil = ints(x, get(a, 4, 'dilation'), r, new Array<number>(r).fill(1), 'dilation', 1);
    const groups = ints(x, get(a, 5, 'groups'), 1, [1], 'groups', 1)?.[0];
    if (!inp || wi === undefined || !stride || !dil || groups === undefined) return ERROR;
    const ws = x.c.type(wi).shape;
    if (ws.length !== r + 2 || ws.some((d) => typeof d !== 'number')) {
      return shapeErr(x, 'E0251', wa.span, `${fn} takes a filter ${layouts[r]} with fixed sizes, got ${fmtShape(ws)}`, [
        { what: 'the input', shape: inp.shape, span: get(a, 0, 'x')!.span },
        { what: 'the filter', shape: ws, span: wa.span },
      ]);
    }
    const pad = convPadding(x, get(a, 3, 'padding'), inp.sp, ws.slice(2) as number[], stride, dil);
    if (!pad) return ERROR;
    const outs = checkConv(x, fn, a, span, inp.shape, ws, { stride, pad, dilation: dil, groups });
    const fit = outs && floorFit(x, inp.id, inp.sp, ws.slice(2) as number[], outs, { stride, pad, dilation: dil, groups }, span);
    if (!fit) return ERROR;
    const g = fit.g;
    if (r !== 1) {
      const y = convLowered(x, fit.xi, wi, g, span);
      return y === undefined ? ERROR : { k: 'tensor', id: y };
    }
    const op = opper(x, span);
    const [N, C] = inp.shape as [Dim, number];
    const x2 = op('reshape', [fit.xi], { shape: [N, C, 1, x.c.type(fit.xi).shape[2]!] });
    const w2 = op('reshape', [wi], { shape: [ws[0]!, ws[1]!, 1, ws[2]!] });
    const g2: ConvGeom = { stride: [1, ...stride], pad: [0, 0, ...g.pad], dilation: [1, ...dil], groups };
    const y = x2 === undefined || w2 === undefined ? undefined : convLowered(x, x2, w2, g2, span);
    const y1 = y === undefined ? undefined : op('reshape', [y], { shape: [N, ws[0]!, x.c.type(y).shape[3]!] });
    return y1 === undefined ? ERROR : { k: 'tensor', id: y1 };
  };

export const conv2d = convNd(2);

/**
 * conv_transpose2d(x, w, stride = 1, padding = 0, output_padding = 0, groups = 1, dilation = 1): the
 * transpose of conv2d, w: [C_in, C_out/groups, KH, KW] as in PyTorch. Output size
 * (H − 1)·s − p_before − p_after + d·(KH − 1) + 1 + output_padding. It is the conv2d_input_grad
 * primitive of a conv2d whose padding after is p_after − output_padding (the extra rows are input rows
 * of that convolution), so its derivatives are conv2d and the filter gradient.
 */
export const convTranspose2d = (x: ExprElab, a: CallArgs, span: Span): Binding => {
  const fn = 'conv_transpose2d';
  if (!checkNames(x, a, span, fn, ['x', 'w', 'stride', 'padding', 'output_padding', 'groups', 'dilation'])) return ERROR;
  if (!get(a, 0, 'x') || !get(a, 1, 'w')) return x.c.err('E0104', span, 'conv_transpose2d needs an input and a filter');
  const inp = spatialInput(x, get(a, 0, 'x'), fn, 2, span);
  const wa = get(a, 1, 'w')!;
  const wi = x.c.tensor(wa.v, wa.span);
  const stride = ints(x, get(a, 2, 'stride'), 2, [1, 1], 'stride', 1),
    dil = ints(x, get(a, 6, 'dilation'), 2, [1, 1], 'dilation', 1);
  const pg = get(a, 3, 'padding');
  if (pg?.v.k === 'word') return x.c.err('E0250', pg.span, 'conv_transpose2d takes a numeric padding (a number, [ph, pw] or [top, bottom, left, right])');
  const pad = padArg(x, pg, 2);
  const opad = ints(x, get(a, 4, 'output_padding'), 2, [0, 0], 'output_padding', 0);
  const groups = ints(x, get(a, 5, 'groups'), 1, [1], 'groups', 1)?.[0];
  if (!inp || wi === undefined || !stride || !dil || !pad || !opad || groups === undefined) return ERROR;
  const xs = inp.shape,
    ws = x.c.type(wi).shape;
  const ops = [
    { what: 'the input', shape: xs, span: get(a, 0, 'x')!.span },
    { what: 'the filter', shape: ws, span: wa.span },
  ];
  if (ws.length !== 4 || ws.some((d) => typeof d !== 'number')) {
    return shapeErr(x, 'E0251', wa.span, `conv_transpose2d takes a filter [C_in, C_out/groups, KH, KW] with fixed sizes, got ${fmtShape(ws)}`, ops);
  }
  const [Ci, , KH, KW] = ws as number[] as [number, number, number, number];
  if (Ci !== xs[1]) {
    return shapeErr(x, 'E0251', span, `conv_transpose2d: the filter ${fmtShape(ws)} expects ${Ci} input channels, the input ${fmtShape(xs)} has ${xs[1]}`, ops);
  }
  if (Ci % groups !== 0) return shapeErr(x, 'E0251', span, `conv_transpose2d: groups = ${groups} must divide the ${Ci} input channels`, ops);
  for (let i = 0; i < 2; i++) {
    if (opad[i]! >= Math.max(stride[i]!, dil[i]!)) {
      const why = `output_padding ${opad[i]} must be smaller than the stride ${stride[i]} or the dilation ${dil[i]} (as PyTorch)`;
      return shapeErr(x, 'E0253', get(a, 4, 'output_padding')!.span, `conv_transpose2d: ${why}`, ops);
    }
  }
  const out = [0, 1].map((i) => (inp.sp[i]! - 1) * stride[i]! - pad[2 * i]! - pad[2 * i + 1]! + dil[i]! * ([KH, KW][i]! - 1) + 1 + opad[i]!);
  if (out.some((o) => o < 1)) return shapeErr(x, 'E0253', span, `conv_transpose2d: the output would be ${out.join('×')}; reduce the padding`, ops);
  const attrs = { stride, pad: [pad[0]!, pad[1]! - opad[0]!, pad[2]!, pad[3]! - opad[1]!], dilation: dil, groups, in_hw: out };
  return x.c.op('conv2d_input_grad', [inp.id, wi], attrs, span, [get(a, 0, 'x')!.span, wa.span]);
};
