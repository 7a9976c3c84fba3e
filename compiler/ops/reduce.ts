// Reductions over a set of axes (attrs: axes = normalized axis list, keepdims). sum and max are the
// primitives; mean, logsumexp, softmax are stdlib composites. Max ties split the gradient evenly among
// the tied elements, and a NaN is the maximum (torch.max's conventions).
import { bin, call } from '../loops/loops.js';
import { isShapeError, normAxes, reduceShape } from '../types/shapes.js';
import type { Shape } from '../types/types.js';
import { add, div, mul, toF32 } from './helpers.js';
import { forEachIndex, nd, size, contiguousStrides } from './ndarray.js';
import type { Attrs, GenKit, GradBuilder, NdArray, OpDef, Value } from './op.js';
import { reduceRows } from './rows.js';

const axesOf = (a: Attrs): number[] => [...(a['axes'] as readonly number[])];
const keep = (a: Attrs): boolean => a['keepdims'] === true;

/** Bring a reduced cotangent back to the input's shape: reshape to keepdims form, then broadcast. */
export const expandBack = (b: GradBuilder, ct: Value, inShape: Shape, axes: readonly number[]): Value => {
  const kept = reduceShape(inShape, axes, true);
  return b.op('broadcast_to', [b.op('reshape', [ct], { shape: kept })], { shape: inShape });
};

const evalReduce = (x: NdArray, a: Attrs, init: number, f: (acc: number, v: number) => number): NdArray => {
  const axes = axesOf(a);
  const outShape = reduceShape(x.shape, axes, true) as number[];
  const out = nd(outShape);
  out.data.fill(init);
  const os = contiguousStrides(outShape);
  forEachIndex(x.shape, (flat, idx) => {
    let o = 0;
    for (let d = 0; d < idx.length; d++) if (!axes.includes(d)) o += idx[d]! * os[d]!;
    out.data[o] = f(out.data[o]!, x.data[flat]!);
  });
  return keep(a) ? out : nd(reduceShape(x.shape, axes, false) as number[], out.data);
};

const genReduce = (k: GenKit) => {
  const shape = k.shape(1, 3, 4);
  const axes = [...Array(shape.length).keys()].filter(() => k.bool());
  return { shapes: [shape], attrs: { axes: axes.length ? axes : [shape.length - 1], keepdims: k.bool() } };
};

const reduce = (
  name: string,
  doc: string,
  identity: number,
  f: (acc: number, v: number) => number,
  combine: OpDef['emit'] & { kind: 'reduce' },
  vjp: OpDef['vjp'],
): OpDef => ({
  name,
  arity: 1,
  kind: 'reduce',
  attrs: { axes: 'ints', keepdims: { kind: 'bool', optional: true } },
  doc,
  shape: ([x], a) => {
    const axes = normAxes(a['axes'] as readonly number[] | undefined, x!.shape.length);
    if (isShapeError(axes)) return axes;
    return { dtype: x!.dtype === 'bool' ? 'i32' : x!.dtype, shape: reduceShape(x!.shape, axes, keep(a)) };
  },
  eval: ([x], a) => evalReduce(x!, a, identity, f),
  emit: combine,
  vjp,
  differentiable: true,
  gen: genReduce,
  algebra: { positive: ([x]) => x!, rows: reduceRows },
  // sum(x, axis = all, keepdims = false)
  call: {
    params: [
      { name: 'x', kind: 'tensor' },
      { name: 'axis', kind: 'axes', attr: 'axes', optional: true },
      { name: 'keepdims', kind: 'bool', optional: true },
    ],
  },
  ...(name === 'max' ? { domain: 'away-from-ties' as const, differs: 'the max of an empty axis is −∞, its identity; torch.amax raises an error' } : {}),
});

/** The names of the reductions, declared rather than inferred from the table so that derivative rules can take
 * an OpName (ops/op.ts: inferring them would make the table's type depend on itself). */
export type ReduceName = 'sum' | 'max';

export const REDUCE: Readonly<Record<ReduceName, OpDef>> = {
  sum: reduce(
    'sum',
    'sum over axes; over an empty axis it is 0',
    0,
    (s, v) => s + v,
    { kind: 'reduce', identity: 0, combine: (acc, x) => bin('+', acc, x) },
    (b, ct, n) => [expandBack(b, ct, n.inTypes[0]!.shape, axesOf(n.attrs))],
  ),
  max: reduce(
    'max',
    'maximum over axes; ties share the gradient equally; a NaN is the maximum and shares the gradient with the other NaNs; ' + 'over an empty axis it is −∞',
    -Infinity,
    Math.max,
    { kind: 'reduce', identity: -Infinity, combine: (acc, x) => call('max', acc, x) },
    (b, ct, n) => {
      const x = n.inputs[0]!;
      const inShape = n.inTypes[0]!.shape;
      const axes = axesOf(n.attrs);
      // the maxima: x = max, or x is NaN (then the max is NaN and the gradient goes to the NaNs, as torch.max)
      const hit = add(b, toF32(b, b.op('eq', [x, expandBack(b, n.out, inShape, axes)])), toF32(b, b.op('ne', [x, x])));
      const count = b.op('sum', [hit], { axes, keepdims: true });
      return [mul(b, expandBack(b, ct, inShape, axes), div(b, hit, b.op('broadcast_to', [count], { shape: inShape })))];
    },
  ),
};

export const reducedSize = (shape: readonly number[], axes: readonly number[]): number => size(axes.map((a) => shape[a]!));
