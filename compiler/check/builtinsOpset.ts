// Built-ins over the axis primitives (ops/argmax.ts, sort.ts, along.ts, linrec.ts): argmax/argmin, sort,
// argsort, topk, take_along_axis, scatter/scatter_add, cumsum/cumprod/prod and linrec itself. Each
// checks its compile-time arguments here and lowers to primitives, so gradients come from theirs.
// A 0-d tensor takes axis 0 or −1 (PyTorch): the result is computed on it viewed as [1].
import type { Span } from '../diagnostics/span.js';
import { normAxis } from '../types/shapes.js';
import { dimMul, fmtDim } from '../types/dims.js';
import { fmtShape, type Dim, type DType } from '../types/types.js';
import { arg, axesArg, boolArg, checkArity, tensorArg, type Builtin } from './args.js';
import type { ExprElab } from './expr.js';
import { ERROR, type Binding } from './scope.js';
import { einsum } from './einsum.js';
import { primitiveBuilder } from './primitiveBuilder.js';

type Arg = { v: Binding; span: Span } | undefined;

const builder = primitiveBuilder;

/** One axis (default `dflt`, normalized), or 'scalar' for axis 0 / −1 of a 0-d tensor; undefined after a diagnostic. */
const oneAxis = (x: ExprElab, g: Arg, rank: number, span: Span, dflt?: number): number | 'scalar' | undefined => {
  if (!g && dflt === undefined) {
    x.c.err('E0104', span, "missing argument 'axis'");
    return undefined;
  }
  const n = g ? x.c.staticInt(g.v, g.span, 'axis') : dflt!;
  if (n === undefined) return undefined;
  if (rank === 0 && (n === 0 || n === -1)) return 'scalar';
  const a = normAxis(n, rank);
  if (a === undefined) {
    x.c.err('E0203', g?.span ?? span, `axis ${n} is out of range for a tensor of rank ${rank}`);
    return undefined;
  }
  return a;
};

const isNone = (g: Arg): boolean => !g || (g.v.k === 'word' && g.v.name === 'none');

/** argmax/argmin(x, axis = none, keepdims = false); without an axis, the index into x flattened (torch.argmax). */
const argBest =
  (name: string, negate: boolean): Builtin =>
  (x, a, span) => {
    if (!checkArity(x, a, span, name, ['x', 'axis', 'keepdims'], 1)) return ERROR;
    const id = tensorArg(x, a, 0, 'x', span);
    if (id === undefined) return ERROR;
    const B = builder(x, span);
    const shape = x.c.type(id).shape;
    const keep = boolArg(x, arg(a, 2, 'keepdims'), 'keepdims');
    const src = negate ? B.op('neg', [id]) : id;
    const g = arg(a, 1, 'axis');
    if (isNone(g) || shape.length === 0) {
      if (!isNone(g) && oneAxis(x, g, 0, span) === undefined) return ERROR;
      const flat = B.op('reshape', [src], { shape: [shape.reduce<Dim>((p, d) => dimMul(p, d), 1)] });
      const r = B.op('argmax', [flat], { axis: 0, keepdims: false });
      return B.done(keep ? B.op('reshape', [r], { shape: shape.map(() => 1) }) : r);
    }
    const ax = oneAxis(x, g, shape.length, span);
    if (ax === undefined || ax === 'scalar') return ERROR;
    if (shape[ax] === 0) return x.c.err('E0203', span, `${name} over axis ${ax} of ${fmtShape(shape)}, which is empty`);
    return B.done(B.op('argmax', [src], { axis: ax, keepdims: keep }));
  };

const sortBuiltin =
  (name: string, values: boolean): Builtin =>
  (x, a, span) => {
    if (!checkArity(x, a, span, name, ['x', 'axis', 'descending'], 1)) return ERROR;
    const id = tensorArg(x, a, 0, 'x', span);
    if (id === undefined) return ERROR;
    const ax = oneAxis(x, arg(a, 1, 'axis'), x.c.type(id).shape.length, span, -1);
    if (ax === undefined) return ERROR;
    const B = builder(x, span);
    const desc = boolArg(x, arg(a, 2, 'descending'), 'descending');
    if (ax === 'scalar') return values ? { k: 'tensor', id } : B.done(B.num(0, 'i32'));
    const idx = B.op('argsort', [id], { axis: ax, descending: desc });
    return B.done(values ? B.op('take_along', [id, idx], { axis: ax }) : idx);
  };

/** topk(x, k, axis = -1, largest = true): the k largest (smallest) along axis, sorted, ties in index order. */
const topk =
  (values: boolean): Builtin =>
  (x, a, span) => {
    const name = values ? 'topk' : 'topk_indices';
    if (!checkArity(x, a, span, name, ['x', 'k', 'axis', 'largest'], 2)) return ERROR;
    const id = tensorArg(x, a, 0, 'x', span);
    const kg = arg(a, 1, 'k')!;
    const k = x.c.staticInt(kg.v, kg.span, 'k');
    if (id === undefined || k === undefined) return ERROR;
    const shape = x.c.type(id).shape;
    const ax0 = oneAxis(x, arg(a, 2, 'axis'), shape.length, span, -1);
    if (ax0 === undefined) return ERROR;
    const B = builder(x, span);
    const scalar = ax0 === 'scalar';
    const src = scalar ? B.op('reshape', [id], { shape: [1] }) : id;
    const ax = scalar ? 0 : ax0;
    const n = scalar ? 1 : shape[ax]!;
    if (k < 0 || (typeof n === 'number' && k > n)) return x.c.err('E0203', kg.span, `topk: k = ${k} is out of range for axis ${ax} of size ${fmtDim(n)}`);
    const largest = arg(a, 3, 'largest') ? boolArg(x, arg(a, 3, 'largest'), 'largest') : true;
    const full = B.op('argsort', [src], { axis: ax, descending: largest });
    const sh = B.type(full!).shape;
    const idx = B.op('slice', [full], { begin: sh.map(() => 0), end: sh.map((d, i) => (i === ax ? k : d)) });
    const r = values ? B.op('take_along', [src, idx], { axis: ax }) : idx;
    return B.done(scalar && k === 1 ? B.op('reshape', [r], { shape: [] }) : r);
  };

/** take_along_axis(x, idx, axis): x's entries along axis at the i32 positions idx (np.take_along_axis, torch.gather). */
const takeAlong: Builtin = (x, a, span) => {
  if (!checkArity(x, a, span, 'take_along_axis', ['x', 'idx', 'axis'], 3)) return ERROR;
  const id = tensorArg(x, a, 0, 'x', span),
    ig = arg(a, 1, 'idx')!;
  const idx = x.c.tensor(ig.v, ig.span, 'i32');
  if (id === undefined || idx === undefined) return ERROR;
  const ax = oneAxis(x, arg(a, 2, 'axis'), x.c.type(id).shape.length, span);
  if (ax === undefined) return ERROR;
  if (ax === 'scalar') return x.c.err('E0203', span, 'take_along_axis needs a tensor of rank ≥ 1');
  const fit = fitIndex(x, 'take_along_axis', x.c.type(id).shape, x.c.type(idx).shape, ax, ig.span);
  if (!fit) return ERROR;
  const B = builder(x, span);
  // idx may be shorter than x on the other axes (torch.gather): read the leading part of x there
  const src = fit.every((d) => d === 0)
    ? id
    : B.op('slice', [id], { begin: fit.map(() => 0), end: x.c.type(id).shape.map((d, i) => (fit[i] ? x.c.type(idx).shape[i]! : d)) });
  return B.done(B.op('take_along', [src, idx], { axis: ax }));
};

/** scatter_add(x, idx, src, axis): x plus src summed into the positions idx along axis; scatter: src replaces them. */
const scatter =
  (add: boolean): Builtin =>
  (x, a, span) => {
    const name = add ? 'scatter_add' : 'scatter';
    if (!checkArity(x, a, span, name, ['x', 'idx', 'src', 'axis'], 4)) return ERROR;
    const id = tensorArg(x, a, 0, 'x', span),
      ig = arg(a, 1, 'idx')!;
    const idx = x.c.tensor(ig.v, ig.span, 'i32');
    const src0 = tensorArg(x, a, 2, 'src', span);
    if (id === undefined || idx === undefined || src0 === undefined) return ERROR;
    const shape = x.c.type(id).shape;
    const ax = oneAxis(x, arg(a, 3, 'axis'), shape.length, span);
    if (ax === undefined) return ERROR;
    if (ax === 'scalar') return x.c.err('E0203', span, `${name} needs a tensor of rank ≥ 1`);
    const B = builder(x, span);
    const ishape = x.c.type(idx).shape;
    // a scalar src is spread over the indexed positions (torch.Tensor.scatter_ with a value)
    const src = x.c.type(src0).shape.length === 0 && ishape.length > 0 ? B.op('broadcast_to', [src0], { shape: ishape }) : src0;
    const fit = fitIndex(x, name, shape, ishape, ax, ig.span);
    if (!fit) return ERROR;
    // src may be larger than the indices (torch): its leading part is used
    const st = x.c.type(src!).shape;
    const longer = (d: Dim, i: number) =>
      String(d) === String(ishape[i]) || (typeof d === 'number' && typeof ishape[i] === 'number' && d >= (ishape[i] as number));
    if (st.length !== ishape.length || !st.every(longer)) {
      return x.c.err(
        'E0203',
        arg(a, 2, 'src')!.span,
        `${name}: src ${fmtShape(st)} must have the rank of the indices ${fmtShape(ishape)} and be at least as long on every axis`,
      );
    }
    const srcUsed = st.every((d, i) => String(d) === String(ishape[i])) ? src : B.op('slice', [src], { begin: st.map(() => 0), end: ishape });
    const n = shape[ax]!;
    // indices shorter than x on the other axes (torch) touch only the leading part: pad the scattered sums with zeros
    const grow = (v: number | undefined) => (fit.every((d) => d === 0) ? v : B.op('pad', [v], { before: fit.map(() => 0), after: fit }));
    const summed = grow(B.op('scatter_along', [srcUsed, idx], { axis: ax, n }));
    if (add) return B.done(B.op('add', [id, summed]));
    // scatter: a position written k > 0 times gets the mean of its k sources (exact for equal sources; torch keeps an unspecified one)
    const count = grow(B.op('scatter_along', [B.op('broadcast_to', [B.num(1)], { shape: ishape }), idx], { axis: ax, n }));
    const hit = B.op('gt', [count, B.num(0)]);
    return B.done(B.op('where', [hit, B.op('div', [summed, B.op('maximum', [count, B.num(1)])]), id]));
  };

/**
 * Indices for x along `ax`: the same rank, and on every other axis no longer than x (torch.gather/scatter).
 * Returns, per axis, how much shorter idx is (0 on `ax`), or undefined after a diagnostic.
 */
const fitIndex = (x: ExprElab, name: string, shape: readonly Dim[], ishape: readonly Dim[], ax: number, span: Span): number[] | undefined => {
  const fits = (d: Dim, i: number) =>
    i === ax || String(d) === String(shape[i]) || (typeof d === 'number' && typeof shape[i] === 'number' && d <= (shape[i] as number));
  if (ishape.length !== shape.length || !ishape.every(fits)) {
    x.c.err('E0203', span, `${name}: indices ${fmtShape(ishape)} must have the rank of x ${fmtShape(shape)} and be no longer on the axes other than ${ax}`);
    return undefined;
  }
  return shape.map((d, i) => (i === ax || String(d) === String(ishape[i]) ? 0 : (d as number) - (ishape[i] as number)));
};

/** x viewed as [1] for a 0-d tensor, and back. */
const lineView = (x: ExprElab, span: Span, id: number, g: Arg, dflt?: number) => {
  const rank = x.c.type(id).shape.length;
  const ax = oneAxis(x, g, rank, span, dflt);
  if (ax === undefined) return undefined;
  const B = builder(x, span);
  if (ax !== 'scalar') return { B, src: id, ax, back: (r: number | undefined) => r };
  return { B, src: B.op('reshape', [id], { shape: [1] })!, ax: 0, back: (r: number | undefined) => B.op('reshape', [r], { shape: [] }) };
};

/** linrec(a, b, axis, reverse = false): h₀ = b₀, h_k = a_k·h_{k−1} + b_k (a broadcast to b). */
const linrec: Builtin = (x, a, span) => {
  if (!checkArity(x, a, span, 'linrec', ['a', 'b', 'axis', 'reverse'], 3)) return ERROR;
  const ai = tensorArg(x, a, 0, 'a', span),
    bi = tensorArg(x, a, 1, 'b', span);
  if (ai === undefined || bi === undefined) return ERROR;
  const L = lineView(x, span, bi, arg(a, 2, 'axis'));
  if (!L) return ERROR;
  const shape = L.B.type(L.src).shape;
  const av = L.B.op('broadcast_to', [ai], { shape });
  return L.B.done(L.back(L.B.op('linrec', [av, L.src], { axis: L.ax, reverse: boolArg(x, arg(a, 3, 'reverse'), 'reverse') })));
};

/** cumsum/cumprod(x, axis, reverse = false). */
const cumulative =
  (name: string, product: boolean): Builtin =>
  (x, a, span) => {
    if (!checkArity(x, a, span, name, ['x', 'axis', 'reverse'], 2)) return ERROR;
    const id = tensorArg(x, a, 0, 'x', span);
    if (id === undefined) return ERROR;
    const L = lineView(x, span, id, arg(a, 1, 'axis'));
    if (!L) return ERROR;
    const r = cum(L.B, L.src, L.ax, product, boolArg(x, arg(a, 2, 'reverse'), 'reverse'));
    return L.B.done(L.back(r));
  };

/** cumsum = linrec(1, x); cumprod = linrec(x, [x₀, −0, −0, …]) (from the last element when reversed). */
const cum = (B: ReturnType<typeof builder>, src: number, ax: number, product: boolean, reverse: boolean): number | undefined => {
  const t = B.type(src);
  const dtype: DType = t.dtype === 'f32' ? 'f32' : 'i32';
  if (!product) return B.op('linrec', [B.op('broadcast_to', [B.num(1, dtype)], { shape: t.shape }), src], { axis: ax, reverse });
  const n = t.shape[ax]!;
  const pos = B.op('reshape', [B.op('iota', [], { n })], { shape: t.shape.map((d, i) => (i === ax ? d : 1)) });
  // the first step is at position 0, or n − 1 (pos + 1 = n) when reversed
  const isFirst = reverse ? B.op('eq', [B.op('add', [pos, B.num(1, 'i32')]), B.num(n, 'i32')]) : B.op('eq', [pos, B.num(0, 'i32')]);
  const b = B.op('where', [isFirst, src, B.num(dtype === 'f32' ? -0 : 0, dtype)]);
  return B.op('linrec', [src, b], { axis: ax, reverse });
};

/** prod(x, axis = all, keepdims = false): the reversed cumprod's first entry along the reduced axes, flattened. */
const prod: Builtin = (x, a, span) => {
  if (!checkArity(x, a, span, 'prod', ['x', 'axis', 'keepdims'], 1)) return ERROR;
  const id = tensorArg(x, a, 0, 'x', span);
  if (id === undefined) return ERROR;
  const shape = x.c.type(id).shape;
  const axes = axesArg(x, arg(a, 1, 'axis'), shape.length);
  if (!axes) return ERROR;
  const keep = boolArg(x, arg(a, 2, 'keepdims'), 'keepdims');
  const B = builder(x, span);
  const kept = [...shape.keys()].filter((i) => !axes.includes(i));
  const outShape = keep ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : kept.map((i) => shape[i]!);
  if (axes.length === 0) return { k: 'tensor', id };
  const N = axes.reduce<Dim>((p, i) => dimMul(p, shape[i]!), 1);
  if (N === 0) return B.done(B.op('broadcast_to', [B.num(1, x.c.type(id).dtype)], { shape: outShape }));
  const perm = [...kept, ...axes];
  const moved = perm.every((p, i) => p === i) ? id : B.op('transpose', [id], { perm });
  const lines = B.op('reshape', [moved], { shape: [...kept.map((i) => shape[i]!), N] });
  const r = cum(B, lines!, kept.length, true, true);
  const first = B.op('slice', [r], { begin: [...kept.map(() => 0), 0], end: [...kept.map((i) => shape[i]!), 1] });
  return B.done(B.op('reshape', [first], { shape: outShape }));
};

export const OPSET_BUILTINS: Readonly<Record<string, Builtin>> = {
  argmax: argBest('argmax', false),
  argmin: argBest('argmin', true),
  sort: sortBuiltin('sort', true),
  argsort: sortBuiltin('argsort', false),
  topk: topk(true),
  topk_indices: topk(false),
  take_along_axis: takeAlong,
  scatter_add: scatter(true),
  scatter: scatter(false),
  linrec,
  cumsum: cumulative('cumsum', false),
  cumprod: cumulative('cumprod', true),
  prod,
  einsum,
};
