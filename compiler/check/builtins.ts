// Language built-ins that take compile-time arguments (axes, shapes, dtypes) and map onto primitives
// with attributes. Attribute-free primitives (exp, where, maximum, …) are called directly by name.
import type { Span } from '../diagnostics/span.js';
import { normAxis } from '../types/shapes.js';
import { dimAdd, dimDiv, dimMul, fmtDim } from '../types/dims.js';
import type { Dim, DType } from '../types/types.js';
import { ERROR, describe, type Binding, type Scope } from './scope.js';
import type { ExprElab } from './expr.js';
import { convNd, convTranspose2d } from './convs.js';
import { avgPool, maxPool } from './pools.js';
import { upsample } from './upsample.js';
import { scanBuiltin } from './scan.js';
import { OPSET_BUILTINS } from './builtinsOpset.js';
import { SHAPE_BUILTINS } from './builtinsShape.js';
import { arg, axesArg, boolArg, checkArity, dimsArg, tensorArg, type Builtin } from './args.js';
import { RANDOM_KEY, TRAINING_FLAG } from './hypers.js';

/** The prelude's scope: every module scope descends from it, and it from the root of built-ins. */
const preludeScope = (s: Scope): Scope => {
  let cur = s;
  while (cur.parent?.parent) cur = cur.parent;
  return cur;
};

const reduction = (prim: string): Builtin => (x, a, span) => {
  if (!checkArity(x, a, span, prim, ['x', 'axis', 'keepdims'], 1)) return ERROR;
  const id = tensorArg(x, a, 0, 'x', span);
  if (id === undefined) return ERROR;
  const axes = axesArg(x, arg(a, 1, 'axis'), x.c.type(id).shape.length);
  if (!axes) return ERROR;
  return x.c.op(prim, [id], { axes, keepdims: boolArg(x, arg(a, 2, 'keepdims'), 'keepdims') }, span, [arg(a, 0, 'x')!.span]);
};

export const BUILTINS: Readonly<Record<string, Builtin>> = {
  ...OPSET_BUILTINS,
  ...SHAPE_BUILTINS,
  scan: scanBuiltin,
  conv1d: convNd(1),
  conv2d: convNd(2),
  conv3d: convNd(3),
  conv_transpose2d: convTranspose2d,
  max_pool1d: maxPool(1),
  max_pool2d: maxPool(2),
  max_pool3d: maxPool(3),
  avg_pool1d: avgPool(1),
  avg_pool2d: avgPool(2),
  avg_pool3d: avgPool(3),
  upsample: upsample('upsample'),
  interpolate: upsample('interpolate'),
  sum: reduction('sum'),
  max: reduction('max'),
  /** count(x, axis): how many elements a reduction over `axis` combines (a possibly symbolic number). */
  count: (x, a, span) => {
    if (!checkArity(x, a, span, 'count', ['x', 'axis'], 1)) return ERROR;
    const id = tensorArg(x, a, 0, 'x', span);
    if (id === undefined) return ERROR;
    const s = x.c.type(id).shape;
    const axes = axesArg(x, arg(a, 1, 'axis'), s.length);
    return axes ? { k: 'static', value: axes.reduce<Dim>((p, i) => dimMul(p, s[i]!), 1) } : ERROR;
  },
  /** dim(x, axis): the size of one axis. */
  dim: (x, a, span) => {
    if (!checkArity(x, a, span, 'dim', ['x', 'axis'], 2)) return ERROR;
    const id = tensorArg(x, a, 0, 'x', span);
    const ax = x.c.staticInt(arg(a, 1, 'axis')!.v, span, 'axis');
    if (id === undefined || ax === undefined) return ERROR;
    const s = x.c.type(id).shape;
    const n = normAxis(ax, s.length);
    return n === undefined ? x.c.err('E0203', span, `axis ${ax} is out of range for rank ${s.length}`) : { k: 'static', value: s[n]! };
  },
  reshape: (x, a, span) => {
    if (!checkArity(x, a, span, 'reshape', ['x', 'shape'], 2)) return ERROR;
    const id = tensorArg(x, a, 0, 'x', span);
    const shape = dimsArg(x, arg(a, 1, 'shape')!, 'shape');
    if (id === undefined || !shape) return ERROR;
    // One -1 is inferred from the element count.
    const known = shape.filter((d) => d !== -1);
    if (shape.length - known.length > 1) return x.c.err('E0203', span, 'reshape can infer at most one -1 dimension');
    if (known.length < shape.length) {
      const total = x.c.type(id).shape.reduce<Dim>((p, d) => dimMul(p, d), 1);
      const rest = dimDiv(total, known.reduce<Dim>((p, d) => dimMul(p, d), 1));
      if (rest === undefined) return x.c.err('E0203', span, `cannot infer the -1 in reshape: ${describe({ k: 'tensor', id })} does not divide evenly`);
      shape[shape.indexOf(-1)] = rest;
    }
    return x.c.op('reshape', [id], { shape }, span, [arg(a, 0, 'x')!.span]);
  },
  transpose: (x, a, span) => {
    if (!checkArity(x, a, span, 'transpose', ['x', 'perm'], 1)) return ERROR;
    const id = tensorArg(x, a, 0, 'x', span);
    if (id === undefined) return ERROR;
    const rank = x.c.type(id).shape.length;
    const g = arg(a, 1, 'perm');
    // Default: reverse the axes (NumPy). Negative entries count from the end.
    const perm = g ? dimsArg(x, g, 'perm')?.map((d) => (Number(d) < 0 ? Number(d) + rank : Number(d))) : [...Array(rank).keys()].reverse();
    return perm ? x.c.op('transpose', [id], { perm }, span) : ERROR;
  },
  /** The last two axes swapped (batched transpose, as for K in Q·Kᵀ). */
  matrix_transpose: (x, a, span) => {
    if (!checkArity(x, a, span, 'matrix_transpose', ['x'], 1)) return ERROR;
    const id = tensorArg(x, a, 0, 'x', span);
    if (id === undefined) return ERROR;
    const rank = x.c.type(id).shape.length;
    if (rank < 2) return x.c.err('E0203', span, `matrix_transpose needs rank ≥ 2, got rank ${rank}`);
    const perm = [...Array(rank).keys()];
    [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
    return x.c.op('transpose', [id], { perm }, span);
  },
  /** take(x, idx, axis): entries of x at integer positions along one axis (NumPy's take). */
  take: (x, a, span) => {
    if (!checkArity(x, a, span, 'take', ['x', 'idx', 'axis'], 2)) return ERROR;
    const id = tensorArg(x, a, 0, 'x', span), ig = arg(a, 1, 'idx');
    const idx = ig ? x.c.tensor(ig.v, ig.span, 'i32') : undefined;
    const ax0 = arg(a, 2, 'axis') ? x.c.staticInt(arg(a, 2, 'axis')!.v, span, 'axis') : 0;
    if (id === undefined || idx === undefined || ax0 === undefined) return ERROR;
    const rank = x.c.type(id).shape.length, ni = x.c.type(idx).shape.length;
    const ax = normAxis(ax0, rank);
    if (ax === undefined) return x.c.err('E0203', span, `axis ${ax0} is out of range for rank ${rank}`);
    const front = ax === 0 ? { k: 'tensor' as const, id } : x.c.op('transpose', [id], { perm: [ax, ...[...Array(rank).keys()].filter((i) => i !== ax)] }, span);
    if (front.k !== 'tensor') return ERROR;
    const g = x.c.op('gather', [front.id, idx], {}, span);
    if (g.k !== 'tensor' || ax === 0) return g;
    // [idx…, x₀…x_{ax−1}, x_{ax+1}…] → [x₀…x_{ax−1}, idx…, x_{ax+1}…]
    const perm = [...[...Array(ax).keys()].map((i) => ni + i), ...[...Array(ni).keys()], ...[...Array(rank - 1 - ax).keys()].map((i) => ni + ax + i)];
    return x.c.op('transpose', [g.id], { perm }, span);
  },
  broadcast_to: (x, a, span) => {
    if (!checkArity(x, a, span, 'broadcast_to', ['x', 'shape'], 2)) return ERROR;
    const id = tensorArg(x, a, 0, 'x', span);
    const shape = dimsArg(x, arg(a, 1, 'shape')!, 'shape');
    return id === undefined || !shape ? ERROR : x.c.op('broadcast_to', [id], { shape }, span);
  },
  expand_dims: (x, a, span) => {
    if (!checkArity(x, a, span, 'expand_dims', ['x', 'axis'], 2)) return ERROR;
    const id = tensorArg(x, a, 0, 'x', span);
    const ax = x.c.staticInt(arg(a, 1, 'axis')!.v, span, 'axis');
    if (id === undefined || ax === undefined) return ERROR;
    const s = [...x.c.type(id).shape];
    const n = normAxis(ax, s.length + 1);
    if (n === undefined) return x.c.err('E0203', span, `axis ${ax} is out of range`);
    s.splice(n, 0, 1);
    return x.c.op('reshape', [id], { shape: s }, span);
  },
  squeeze: (x, a, span) => {
    if (!checkArity(x, a, span, 'squeeze', ['x', 'axis'], 1)) return ERROR;
    const id = tensorArg(x, a, 0, 'x', span);
    if (id === undefined) return ERROR;
    const s = x.c.type(id).shape;
    const axes = arg(a, 1, 'axis') ? axesArg(x, arg(a, 1, 'axis'), s.length) : s.flatMap((d, i) => (d === 1 ? [i] : []));
    if (!axes) return ERROR;
    // an axis whose size is not 1 stays (PyTorch's squeeze(dim) is then a no-op; NumPy raises)
    const drop = axes.filter((i) => s[i] === 1);
    return drop.length ? x.c.op('reshape', [id], { shape: s.filter((_, i) => !drop.includes(i)) }, span) : { k: 'tensor', id };
  },
  concat: (x, a, span) => {
    if (!checkArity(x, a, span, 'concat', ['xs', 'axis'], 1)) return ERROR;
    const g = arg(a, 0, 'xs')!;
    if (g.v.k !== 'list' || g.v.items.length === 0) return x.c.err('E0105', g.span, 'concat takes a non-empty list of tensors, e.g. concat([a, b], axis = 1)');
    const ids = g.v.items.map((it) => x.c.tensor(it, g.span));
    if (ids.some((i) => i === undefined)) return ERROR;
    const rank = x.c.type(ids[0]!).shape.length;
    const ax = arg(a, 1, 'axis') ? x.c.staticInt(arg(a, 1, 'axis')!.v, span, 'axis') : 0;
    const n = ax === undefined ? undefined : normAxis(ax, rank);
    return n === undefined ? x.c.err('E0203', span, `concat axis ${ax} is out of range for rank ${rank}`) : x.c.op('concat', ids as number[], { axis: n }, span);
  },
  /**
   * pad(x, before, after, value = 0): `before[i]`/`after[i]` entries of `value` around axis i. A negative
   * width crops that many entries instead (PyTorch's F.pad), written as a slice so its gradient is the slice's.
   * A non-zero value fills through where(pad(1s), pad(x), value), so the gradient never reaches the fill.
   */
  pad: (x, a, span) => {
    if (!checkArity(x, a, span, 'pad', ['x', 'before', 'after', 'value'], 3)) return ERROR;
    const id = tensorArg(x, a, 0, 'x', span);
    const before = dimsArg(x, arg(a, 1, 'before')!, 'before'), after = dimsArg(x, arg(a, 2, 'after')!, 'after');
    const vg = arg(a, 3, 'value');
    const value = vg ? x.c.staticValue(vg.v, vg.span, 'the pad value') : 0;
    if (id === undefined || !before || !after || value === undefined) return ERROR;
    if (typeof value !== 'number') return x.c.err('E0206', vg!.span, 'the pad value must be a number');
    const shape = x.c.type(id).shape;
    if (before.length !== shape.length || after.length !== shape.length) {
      return x.c.err('E0203', span, `pad needs one width per axis: ${shape.length} axes, got ${before.length} before and ${after.length} after`);
    }
    if (before.some((d) => typeof d !== 'number')) return x.c.err('E0206', arg(a, 1, 'before')!.span, 'pad widths before an axis must be numbers');
    const neg = (d: Dim): boolean => typeof d === 'number' && d < 0;
    let src = id;
    if (before.some(neg) || after.some(neg)) {
      const cropped = shape.map((d, i) => dimAdd(d, dimAdd(Math.min(0, before[i] as number), neg(after[i]!) ? after[i]! : 0)));
      const bad = cropped.findIndex((d) => typeof d === 'number' && d < 0);
      if (bad >= 0) return x.c.err('E0203', span, `pad crops ${-Math.min(0, before[bad] as number) - Math.min(0, Number(after[bad]))} entries from axis ${bad} of size ${fmtDim(shape[bad]!)}`);
      const begin = before.map((d) => Math.max(0, -(d as number)));
      const end = shape.map((d, i) => (neg(after[i]!) ? dimAdd(d, after[i]!) : d));
      const cut = x.c.op('slice', [id], { begin, end }, span);
      if (cut.k !== 'tensor') return cut;
      src = cut.id;
    }
    const pb = before.map((d) => Math.max(0, d as number)), pa = after.map((d) => (neg(d) ? 0 : d));
    if (pb.every((d) => d === 0) && pa.every((d) => d === 0)) return { k: 'tensor', id: src };
    const padded = x.c.op('pad', [src], { before: pb, after: pa }, span);
    if (value === 0 || padded.k !== 'tensor') return padded;
    const b = x.c.b;
    const inside = b.at(span, () => b.op('pad', [b.op('broadcast_to', [b.num(1)], { shape: x.c.type(src).shape })], { before: pb, after: pa }));
    return x.c.op('where', [inside, padded.id, b.at(span, () => b.num(value))], {}, span);
  },
  /** gelu(x, approximate = none | tanh): the prelude's gelu_erf (exact, PyTorch's default) or gelu_tanh. */
  gelu: (x, a, span, scope) => {
    if (!checkArity(x, a, span, 'gelu', ['x', 'approximate'], 1)) return ERROR;
    const ap = arg(a, 1, 'approximate');
    const form = !ap || (ap.v.k === 'word' && ap.v.name === 'none') ? 'gelu_erf' : ap.v.k === 'builtin' && ap.v.name === 'tanh' ? 'gelu_tanh' : undefined;
    if (!form) return x.c.err('E0105', ap!.span, `gelu's approximate is none or tanh (as PyTorch's approximate='none'|'tanh'), found ${describe(ap!.v)}`);
    const fn = preludeScope(scope).lookup(form)?.binding;
    if (fn?.k !== 'fn') return x.c.err('E0101', span, `the prelude defines no ${form}`);
    return x.callFn(fn.decl, fn.scope, { pos: [arg(a, 0, 'x')!], kw: new Map() }, span, 'gelu');
  },
  iota: (x, a, span) => {
    if (!checkArity(x, a, span, 'iota', ['n'], 1)) return ERROR;
    const n = x.c.staticValue(arg(a, 0, 'n')!.v, span, 'iota length');
    return n === undefined ? ERROR : x.c.op('iota', [], { n }, span);
  },
  cast: (x, a, span) => {
    if (!checkArity(x, a, span, 'cast', ['x', 'dtype'], 2)) return ERROR;
    const id = tensorArg(x, a, 0, 'x', span);
    const d = arg(a, 1, 'dtype')!;
    if (d.v.k !== 'dtype') return x.c.err('E0105', d.span, `cast needs an element type (f32, i32, bool), found ${describe(d.v)}`);
    return id === undefined ? ERROR : x.c.op('cast', [id], { dtype: d.v.dtype as DType }, span);
  },
  /** rand(shape): uniform [0, 1) numbers, new on every training step, fixed for a given key. */
  rand: (x, a, span) => {
    if (!checkArity(x, a, span, 'rand', ['shape'], 1)) return ERROR;
    const shape = dimsArg(x, arg(a, 0, 'shape')!, 'shape');
    return shape ? x.c.op('uniform', [x.c.hyper(RANDOM_KEY, span)], { shape, stream: x.c.streams++ }, span) : ERROR;
  },
  rand_like: (x, a, span) => {
    if (!checkArity(x, a, span, 'rand_like', ['x'], 1)) return ERROR;
    const id = tensorArg(x, a, 0, 'x', span);
    return id === undefined ? ERROR : x.c.op('uniform', [x.c.hyper(RANDOM_KEY, span)], { shape: x.c.type(id).shape, stream: x.c.streams++ }, span);
  },
  /** 1 while training (dropout active), 0 when evaluating or predicting. */
  training: (x, a, span) => (checkArity(x, a, span, 'training', [], 0) ? { k: 'tensor', id: x.c.hyper(TRAINING_FLAG, span) } : ERROR),
  grad: (x, a, span) => {
    if (!checkArity(x, a, span, 'grad', ['f', 'wrt'], 1)) return ERROR;
    const wrt = arg(a, 1, 'wrt') ? x.c.staticInt(arg(a, 1, 'wrt')!.v, span, 'wrt') : 0;
    return wrt === undefined ? ERROR : { k: 'grad', of: arg(a, 0, 'f')!.v, wrt, withValue: false };
  },
};
