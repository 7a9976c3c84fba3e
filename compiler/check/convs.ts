// Built-ins for convolutional networks: conv2d with stride/padding/dilation/groups (padding as a number,
// [ph, pw], [top, bottom, left, right], `same` or `valid`), and pooling written with existing primitives
// (a slice, a reshape into windows, and max or sum over the window axes).
import type { Span } from '../diagnostics/span.js';
import { note } from '../diagnostics/codes.js';
import { outSize } from '../ops/conv.js';
import { type Dim, fmtShape } from '../types/types.js';
import type { CallArgs } from './builtins.js';
import type { ExprElab } from './expr.js';
import { ERROR, describe, type Binding } from './scope.js';

const get = (a: CallArgs, i: number, name: string) => a.pos[i] ?? a.kw.get(name);

/** A static int or a pair of them (for height and width). */
const pair = (x: ExprElab, g: { v: Binding; span: Span } | undefined, dflt: number, what: string): [number, number] | undefined => {
  if (!g) return [dflt, dflt];
  if (g.v.k === 'list' && g.v.items.length === 2) {
    const [a, b] = g.v.items.map((it) => x.c.staticInt(it, g.span, what));
    return a === undefined || b === undefined ? undefined : [a, b];
  }
  const n = x.c.staticInt(g.v, g.span, what);
  return n === undefined ? undefined : [n, n];
};

const checkNames = (x: ExprElab, a: CallArgs, span: Span, fn: string, names: readonly string[]): boolean => {
  for (const [k, g] of a.kw) if (!names.includes(k)) { x.c.err('E0104', g.span, `${fn} has no argument '${k}' (it takes ${names.join(', ')})`); return false; }
  if (a.pos.length > names.length) { x.c.err('E0104', span, `${fn} takes at most ${names.length} arguments`); return false; }
  return true;
};

export const conv2d = (x: ExprElab, a: CallArgs, span: Span): Binding => {
  if (!checkNames(x, a, span, 'conv2d', ['x', 'w', 'stride', 'padding', 'dilation', 'groups'])) return ERROR;
  const xa = get(a, 0, 'x'), wa = get(a, 1, 'w');
  if (!xa || !wa) return x.c.err('E0104', span, 'conv2d needs an input and a filter: conv2d(x, w, stride = 1, padding = 0)');
  const xi = x.c.tensor(xa.v, xa.span), wi = x.c.tensor(wa.v, wa.span);
  const stride = pair(x, get(a, 2, 'stride'), 1, 'stride'), dil = pair(x, get(a, 4, 'dilation'), 1, 'dilation');
  const gg = get(a, 5, 'groups');
  const groups = gg ? x.c.staticInt(gg.v, gg.span, 'groups') : 1;
  if (xi === undefined || wi === undefined || !stride || !dil || groups === undefined) return ERROR;
  const xs = x.c.type(xi).shape, ws = x.c.type(wi).shape;
  if (xs.length !== 4 || ws.length !== 4 || typeof xs[2] !== 'number' || typeof xs[3] !== 'number' || typeof ws[2] !== 'number' || typeof ws[3] !== 'number') {
    return x.c.err('E0203', span, `conv2d takes x: [N, C, H, W] and w: [C_out, C_in/groups, KH, KW] with fixed sizes, got ${fmtShape(xs)} and ${fmtShape(ws)}`, [note('dlm uses the NCHW layout')]);
  }
  const pad = padding(x, get(a, 3, 'padding'), [xs[2], xs[3]], [ws[2], ws[3]], stride, dil);
  if (!pad) return ERROR;
  const attrs = { stride, pad, dilation: dil, groups };
  const direct = x.c.op('conv2d', [xi, wi], attrs, span, [xa.span, wa.span]);
  if (direct.k !== 'tensor' || groups !== 1 || CONV_LOWERING === 'direct') return direct;
  // Lower to im2col + matmul (the faster form here, see README); the direct node above only checked the
  // shapes and is left for dead-code elimination.
  return im2colConv(x, xi, wi, attrs, x.c.type(direct.id).shape, span);
};

/** How conv2d is lowered: 'im2col' (patches, then the tiled matmul kernel) or 'direct' loop nests. */
export const CONV_LOWERING: 'im2col' | 'direct' = (typeof process === 'undefined' ? undefined : process.env['DLM_CONV']) === 'direct' ? 'direct' : 'im2col';

const im2colConv = (x: ExprElab, xi: number, wi: number, attrs: Record<string, unknown>, outShape: readonly Dim[], span: Span): Binding => {
  const [N, C] = x.c.type(xi).shape as [Dim, number];
  const [Co, , KH, KW] = x.c.type(wi).shape as number[] as [number, number, number, number];
  const [, , OH, OW] = outShape as [Dim, number, number, number];
  const op = (name: string, ins: number[], a: Record<string, unknown>): number | undefined => { const r = x.c.op(name, ins, a, span); return r.k === 'tensor' ? r.id : undefined; };
  // y[n] = W [Co, C·KH·KW] @ cols[n] [C·KH·KW, OH·OW]: a batched matmul whose result is already NCHW
  const cols = op('im2col', [xi], { stride: attrs['stride'], pad: attrs['pad'], dilation: attrs['dilation'], k_hw: [KH, KW] });
  const c3 = cols === undefined ? undefined : op('reshape', [cols], { shape: [N, C * KH * KW, OH * OW] });
  const w2 = op('reshape', [wi], { shape: [Co, C * KH * KW] });
  const y3 = c3 === undefined || w2 === undefined ? undefined : op('matmul', [w2, c3], {});
  const y = y3 === undefined ? undefined : op('reshape', [y3], { shape: [N, Co, OH, OW] });
  return y === undefined ? ERROR : { k: 'tensor', id: y };
};

/** [top, bottom, left, right]; `same` keeps ⌈size/stride⌉ positions (any odd remainder at the bottom/right). */
const padding = (x: ExprElab, g: { v: Binding; span: Span } | undefined, hw: [number, number], k: [number, number], s: [number, number], d: [number, number]): number[] | undefined => {
  if (!g) return [0, 0, 0, 0];
  if (g.v.k === 'word') {
    if (g.v.name === 'valid') return [0, 0, 0, 0];
    const total = [0, 1].map((i) => Math.max((Math.ceil(hw[i]! / s[i]!) - 1) * s[i]! + d[i]! * (k[i]! - 1) + 1 - hw[i]!, 0));
    return [Math.floor(total[0]! / 2), total[0]! - Math.floor(total[0]! / 2), Math.floor(total[1]! / 2), total[1]! - Math.floor(total[1]! / 2)];
  }
  if (g.v.k === 'list' && g.v.items.length === 4) {
    const p = g.v.items.map((it) => x.c.staticInt(it, g.span, 'padding'));
    return p.some((q) => q === undefined) ? undefined : (p as number[]);
  }
  const p = pair(x, g, 0, 'padding');
  return p ? [p[0], p[0], p[1], p[1]] : undefined;
};

/**
 * max_pool2d(x, size, stride = size, padding = 0) — the maxpool2d primitive (the gradient goes to the
 * first maximum of each window, as in PyTorch); avg_pool2d(x, size, stride = size, padding = 0) — a
 * depthwise convolution with the constant kernel 1/(kh·kw) (padding counts as zeros).
 */
export const pool = (kind: 'max' | 'avg') => (x: ExprElab, a: CallArgs, span: Span): Binding => {
  const fn = `${kind}_pool2d`;
  if (!checkNames(x, a, span, fn, ['x', 'size', 'stride', 'padding'])) return ERROR;
  const xa = get(a, 0, 'x');
  if (!xa) return x.c.err('E0104', span, `${fn} needs an input`);
  const xi = x.c.tensor(xa.v, xa.span);
  const size = pair(x, get(a, 1, 'size'), 2, 'size');
  const stride = get(a, 2, 'stride') ? pair(x, get(a, 2, 'stride'), 2, 'stride') : size;
  const pad = pair(x, get(a, 3, 'padding'), 0, 'padding');
  if (xi === undefined || !size || !stride || !pad) return ERROR;
  const s = x.c.type(xi).shape;
  if (s.length !== 4 || typeof s[1] !== 'number') return x.c.err('E0203', span, `${fn} takes [N, C, H, W], got ${fmtShape(s)}`);
  const padding = [pad[0], pad[0], pad[1], pad[1]];
  if (kind === 'max') return x.c.op('maxpool2d', [xi], { size, stride, pad: padding }, span, [xa.span]);
  const C = s[1];
  if (typeof s[2] !== 'number' || typeof s[3] !== 'number') return x.c.err('E0203', span, `${fn} needs fixed H and W, got ${fmtShape(s)}`);
  // Floor mode, as max pooling: rows and columns no window reaches are cut off, and the far padding
  // shrinks to what the last window uses.
  const fit = (n: number, k: number, st: number, p: number): [number, number] => {
    const o = Math.floor((n + 2 * p - k) / st) + 1;
    const far = (o - 1) * st + k - p - n;
    return far >= 0 ? [n, far] : [n + far, 0];
  };
  const [h, pb] = fit(s[2], size[0], stride[0], pad[0]), [wd, pr] = fit(s[3], size[1], stride[1], pad[1]);
  let src = xi;
  if (h !== s[2] || wd !== s[3]) {
    const cut = x.c.op('slice', [xi], { begin: [0, 0, 0, 0], end: [s[0]!, C, h, wd] }, span);
    if (cut.k !== 'tensor') return cut;
    src = cut.id;
  }
  const w = x.c.b.at(span, () => x.c.b.op('broadcast_to', [x.c.b.num(1 / (size[0] * size[1]))], { shape: [C, 1, size[0], size[1]] }));
  return x.c.op('conv2d', [src, w], { stride, pad: [pad[0], pb, pad[1], pr], dilation: [1, 1], groups: C }, span, [xa.span]);
};

/**
 * conv_transpose2d(x, w, stride, padding): the transpose of conv2d (a "deconvolution" for decoders and
 * generators), with w: [C_in, C_out, KH, KW] as in PyTorch. Output size (H − 1)·s − pads + d·(KH − 1) + 1.
 * It is the conv2d_input_grad primitive, so its derivatives are conv2d and the filter gradient.
 */
export const convTranspose2d = (x: ExprElab, a: CallArgs, span: Span): Binding => {
  if (!checkNames(x, a, span, 'conv_transpose2d', ['x', 'w', 'stride', 'padding', 'dilation'])) return ERROR;
  const xa = get(a, 0, 'x'), wa = get(a, 1, 'w');
  if (!xa || !wa) return x.c.err('E0104', span, 'conv_transpose2d needs an input and a filter');
  const xi = x.c.tensor(xa.v, xa.span), wi = x.c.tensor(wa.v, wa.span);
  const stride = pair(x, get(a, 2, 'stride'), 1, 'stride'), dil = pair(x, get(a, 4, 'dilation'), 1, 'dilation');
  if (xi === undefined || wi === undefined || !stride || !dil) return ERROR;
  const xs = x.c.type(xi).shape, ws = x.c.type(wi).shape;
  if (xs.length !== 4 || ws.length !== 4 || typeof xs[2] !== 'number' || typeof xs[3] !== 'number' || typeof ws[2] !== 'number' || typeof ws[3] !== 'number') {
    return x.c.err('E0203', span, `conv_transpose2d takes x: [N, C_in, H, W] and w: [C_in, C_out, KH, KW] with fixed sizes, got ${fmtShape(xs)} and ${fmtShape(ws)}`);
  }
  const pg = get(a, 3, 'padding');
  const p: [number, number] | undefined = pg?.v.k === 'word' ? undefined : pg ? pair(x, pg, 0, 'padding') : [0, 0];
  if (!p) return pg?.v.k === 'word' ? x.c.err('E0203', pg.span, 'conv_transpose2d takes a numeric padding') : ERROR;
  const H = (xs[2] - 1) * stride[0] - 2 * p[0] + dil[0] * (ws[2] - 1) + 1, W = (xs[3] - 1) * stride[1] - 2 * p[1] + dil[1] * (ws[3] - 1) + 1;
  if (H < 1 || W < 1) return x.c.err('E0203', span, `conv_transpose2d: the output would be ${H}×${W}`);
  return x.c.op('conv2d_input_grad', [xi, wi], { stride, pad: [p[0], p[0], p[1], p[1]], dilation: dil, groups: 1, in_hw: [H, W] }, span, [xa.span, wa.span]);
};
