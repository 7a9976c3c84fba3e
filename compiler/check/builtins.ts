// The composite built-ins: each checks its compile-time arguments and lowers the call to several
// primitives (take, flip, einsum, the convolutions' im2col + matmul), or to a primitive it validates and
// extends (pad's negative widths crop, argmax's axis = none flattens). Primitives callable by name take
// their signature from the registry instead (OpDef.call, read by check/call.ts); the two sets of names
// are disjoint, so no entry here stands in front of an op (tests/registry.test.ts checks).
import { normAxis } from '../types/shapes.js';
import { dimAdd, dimMul, fmtDim } from '../types/dims.js';
import type { Dim } from '../types/types.js';
import { ERROR, describe, type Scope } from './scope.js';
import { convNd, convTranspose2d } from './convs.js';
import { avgPool, maxPool } from './pools.js';
import { upsample } from './upsample.js';
import { scanBuiltin } from './scan.js';
import { OPSET_BUILTINS } from './builtinsOpset.js';
import { SHAPE_BUILTINS } from './builtinsShape.js';
import { arg, axesArg, checkArity, dimsArg, tensorArg, type Builtin } from './args.js';
import { RANDOM_KEY, TRAINING_FLAG } from './hypers.js';

/** The prelude's scope: every module scope descends from it, and it from the root of built-ins. */
const preludeScope = (s: Scope): Scope => {
  let cur = s;
  while (cur.parent?.parent) cur = cur.parent;
  return cur;
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
    const id = tensorArg(x, a, 0, 'x', span),
      ig = arg(a, 1, 'idx');
    const idx = ig ? x.c.tensor(ig.v, ig.span, 'i32') : undefined;
    const ax0 = arg(a, 2, 'axis') ? x.c.staticInt(arg(a, 2, 'axis')!.v, span, 'axis') : 0;
    if (id === undefined || idx === undefined || ax0 === undefined) return ERROR;
    const rank = x.c.type(id).shape.length,
      ni = x.c.type(idx).shape.length;
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
  /**
   * pad(x, before, after, value = 0): `before[i]`/`after[i]` entries of `value` around axis i. A negative
   * width crops that many entries instead (PyTorch's F.pad), written as a slice so its gradient is the slice's.
   * A non-zero value fills through where(pad(1s), pad(x), value), so the gradient never reaches the fill.
   */
  pad: (x, a, span) => {
    if (!checkArity(x, a, span, 'pad', ['x', 'before', 'after', 'value'], 3)) return ERROR;
    const id = tensorArg(x, a, 0, 'x', span);
    const before = dimsArg(x, arg(a, 1, 'before')!, 'before'),
      after = dimsArg(x, arg(a, 2, 'after')!, 'after');
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
      if (bad >= 0)
        return x.c.err(
          'E0203',
          span,
          `pad crops ${-Math.min(0, before[bad] as number) - Math.min(0, Number(after[bad]))} entries from axis ${bad} of size ${fmtDim(shape[bad]!)}`,
        );
      const begin = before.map((d) => Math.max(0, -(d as number)));
      const end = shape.map((d, i) => (neg(after[i]!) ? dimAdd(d, after[i]!) : d));
      const cut = x.c.op('slice', [id], { begin, end }, span);
      if (cut.k !== 'tensor') return cut;
      src = cut.id;
    }
    const pb = before.map((d) => Math.max(0, d as number)),
      pa = after.map((d) => (neg(d) ? 0 : d));
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
    const form = !ap || (ap.v.k === 'word' && ap.v.name === 'none') ? 'gelu_erf' : ap.v.k === 'primitive' && ap.v.name === 'tanh' ? 'gelu_tanh' : undefined;
    if (!form) return x.c.err('E0105', ap!.span, `gelu's approximate is none or tanh (as PyTorch's approximate='none'|'tanh'), found ${describe(ap!.v)}`);
    const fn = preludeScope(scope).lookup(form)?.binding;
    if (fn?.k !== 'fn') return x.c.err('E0101', span, `the prelude defines no ${form}`);
    return x.callFn(fn.decl, fn.scope, { pos: [arg(a, 0, 'x')!], kw: new Map() }, span, 'gelu');
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
