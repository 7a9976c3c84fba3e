// How each primitive is written in ONNX (opset 18): one rule per op, kept beside the op records so
// nothing outside compiler/ops/ names an op. The exporter (compiler/export/onnx/) walks the IR and asks
// this table; an op without a rule, or with an `unsupported` entry, becomes a diagnostic (E0801).
import type { DType, TensorType } from '../../types/types.js';
import type { OnnxBuilder, OnnxNodeView, OnnxRule } from './onnxApi.js';
import { backwardOnlyRules } from './rule.js';
import { ONNX_MATH_RULES } from './onnxMath.js';
import { uniformOnnx } from './onnxRandom.js';
import { floorPads } from '../poolGeometry.js';

const ints = (n: OnnxNodeView, key: string): number[] => [...(n.attrs[key] as readonly number[])];

/** One ONNX op on inputs cast to `compute` (default: the output type), the result cast to the output type. */
const direct = (opType: string, compute?: (n: OnnxNodeView) => DType): OnnxRule => ({
  emit: (g, n) => {
    const t = compute ? compute(n) : n.type.dtype === 'bool' ? 'f32' : n.type.dtype;
    const [y] = g.node(
      opType,
      n.inputs.map((x, i) => g.cast(x, n.inTypes[i]!.dtype, t)),
    );
    return g.cast(y!, t, n.type.dtype);
  },
});

const compareIn = (n: OnnxNodeView): DType => (n.inTypes.every((t) => t.dtype === 'i32') ? 'i32' : 'f32');
const compare = (opType: string, negate = false): OnnxRule => ({
  emit: (g, n) => {
    const t = compareIn(n);
    const [y] = g.node(
      opType,
      n.inputs.map((x, i) => g.cast(x, n.inTypes[i]!.dtype, t)),
    );
    return negate ? g.node('Not', [y!])[0]! : y!;
  },
});

const reduce = (opType: string): OnnxRule => ({
  emit: (g, n) => {
    const axes = ints(n, 'axes');
    const x = g.cast(n.inputs[0]!, n.inTypes[0]!.dtype, n.type.dtype);
    if (axes.length === 0) return g.node('Identity', [x])[0]!;
    return g.node(opType, [x, g.ints(axes)], { keepdims: n.attrs['keepdims'] === true ? 1 : 0 })[0]!;
  },
});

/** dlm pads are [top, bottom, left, right]; ONNX's are [top, left, bottom, right]. */
const onnxPads = (p: readonly number[]): number[] => [p[0]!, p[2]!, p[1]!, p[3]!];

const maxPoolOnnx = (g: OnnxBuilder, n: OnnxNodeView): string => {
  const p = floorPads(n.inTypes[0]!.shape.slice(2) as number[], n.attrs);
  const r = p.length / 2;
  const padded = p.some((q) => q > 0)
    ? g.node(
        'Pad',
        [n.inputs[0]!, g.dims([0, 0, ...p.filter((_, i) => i % 2 === 0), 0, 0, ...p.filter((_, i) => i % 2 === 1)]), g.constant([-Infinity], n.type.dtype)],
        { mode: 'constant' },
      )[0]!
    : n.inputs[0]!;
  return g.node('MaxPool', [padded], {
    kernel_shape: ints(n, 'size'),
    strides: ints(n, 'stride'),
    dilations: (n.attrs['dilation'] as number[] | undefined) ?? new Array<number>(r).fill(1),
  })[0]!;
};

const full = (t: TensorType, axis: number, end: unknown): boolean => t.shape[axis] === end;

export const ONNX_RULES: Readonly<Record<string, OnnxRule>> = {
  ...backwardOnlyRules((what) => `${what} appears only in gradient programs, which are not exported`),
  ...ONNX_MATH_RULES,
  neg: direct('Neg'),
  exp: direct('Exp'),
  log: direct('Log'),
  sqrt: direct('Sqrt'),
  abs: direct('Abs'),
  sign: direct('Sign'),
  tanh: direct('Tanh'),
  sigmoid: direct('Sigmoid'),
  sin: direct('Sin'),
  cos: direct('Cos'),
  stop_gradient: direct('Identity'),
  cast: { emit: (g, n) => g.cast(n.inputs[0]!, n.inTypes[0]!.dtype, n.type.dtype) },
  add: direct('Add'),
  sub: direct('Sub'),
  mul: direct('Mul'),
  div: direct('Div', () => 'f32'),
  pow: direct('Pow', () => 'f32'),
  maximum: direct('Max'),
  minimum: direct('Min'),
  lt: compare('Less'),
  le: compare('LessOrEqual'),
  gt: compare('Greater'),
  ge: compare('GreaterOrEqual'),
  eq: compare('Equal'),
  ne: compare('Equal', true),
  where: {
    emit: (g, n) => {
      const [c, x, y] = n.inputs.map((v, i) => g.cast(v, n.inTypes[i]!.dtype, i === 0 ? 'bool' : n.type.dtype));
      return g.node('Where', [c!, x!, y!])[0]!;
    },
  },
  sum: reduce('ReduceSum'),
  max: reduce('ReduceMax'),
  matmul: direct('MatMul'),
  reshape: { emit: (g, n) => g.node('Reshape', [n.inputs[0]!, g.dims(n.type.shape)], { allowzero: 1 })[0]! },
  transpose: { emit: (g, n) => g.node('Transpose', [n.inputs[0]!], { perm: ints(n, 'perm') })[0]! },
  broadcast_to: { emit: (g, n) => g.node('Expand', [n.inputs[0]!, g.dims(n.type.shape)])[0]! },
  slice: {
    // begin < 0 counts from the end, as ONNX's starts do; an end equal to the whole axis needs no shape.
    emit: (g, n) => {
      const t = n.inTypes[0]!,
        begin = ints(n, 'begin'),
        end = n.attrs['end'] as readonly (number | string)[];
      const axes = begin.map((_, i) => i).filter((i) => begin[i] !== 0 || !full(t, i, end[i]));
      if (axes.length === 0) return g.node('Identity', [n.inputs[0]!])[0]!;
      const ends = g.dims(axes.map((i) => (full(t, i, end[i]) ? 2 ** 62 : end[i]!)));
      return g.node('Slice', [n.inputs[0]!, g.ints(axes.map((i) => begin[i]!)), ends, g.ints(axes)])[0]!;
    },
  },
  pad: {
    emit: (g, n) => {
      const pads = g.dims([...ints(n, 'before'), ...(n.attrs['after'] as readonly (number | string)[])]);
      return g.node('Pad', [n.inputs[0]!, pads, g.constant([0], n.type.dtype)], { mode: 'constant' })[0]!;
    },
  },
  concat: {
    emit: (g, n) =>
      g.node(
        'Concat',
        n.inputs.map((x, i) => g.cast(x, n.inTypes[i]!.dtype, n.type.dtype)),
        { axis: n.attrs['axis'] as number },
      )[0]!,
  },
  // dlm gives zero rows for indices outside [0, V); ONNX Gather rejects them, so they read row 0 and are masked.
  gather: {
    emit: (g, n) => {
      const [table, idx] = n.inputs as [string, string];
      const V = n.inTypes[0]!.shape[0]!,
        rank = n.inTypes[1]!.shape.length,
        rowRank = n.inTypes[0]!.shape.length - 1;
      const zero = g.constant([0], 'i32');
      const rowsIn = typeof V === 'number' ? g.constant([V], 'i32') : g.node('Cast', [g.node('Squeeze', [g.dims([V]), g.ints([0])])[0]!], { to: 6 })[0]!;
      const [lo] = g.node('GreaterOrEqual', [idx, zero]),
        [hi] = g.node('Less', [idx, rowsIn]);
      const [ok] = g.node('And', [lo!, hi!]);
      const [rows] = g.node('Gather', [table, g.node('Where', [ok!, idx, zero])[0]!], { axis: 0 });
      const mask = rowRank ? g.node('Unsqueeze', [ok!, g.ints([...Array(rowRank)].map((_, i) => rank + i))])[0]! : ok!;
      return g.node('Where', [mask, rows!, g.constant([0], n.type.dtype)])[0]!;
    },
  },
  iota: {
    emit: (g, n) => {
      const scalar = (v: string) => g.node('Squeeze', [v, g.ints([0])])[0]!;
      const [r] = g.node('Range', [scalar(g.ints([0])), scalar(g.dims([n.type.shape[0]!])), scalar(g.ints([1]))]);
      return g.node('Cast', [r!], { to: 6 })[0]!;
    },
  },
  uniform: { emit: uniformOnnx },
  conv2d: {
    emit: (g, n) =>
      g.node('Conv', [n.inputs[0]!, n.inputs[1]!], {
        strides: ints(n, 'stride'),
        pads: onnxPads(ints(n, 'pad')),
        dilations: ints(n, 'dilation'),
        group: n.attrs['groups'] as number,
      })[0]!,
  },
  // conv_transpose2d: the input gradient of a convolution; output_padding restores sizes the stride dropped.
  conv2d_input_grad: {
    emit: (g, n) => {
      // a negative padding after (conv_transpose2d's output_padding) is ONNX's output_padding
      const [sh, sw] = ints(n, 'stride'),
        [pt, pb, pl, pr] = ints(n, 'pad').map((p) => Math.max(p, 0)),
        [dh, dw] = ints(n, 'dilation'),
        [H, W] = ints(n, 'in_hw');
      const [, , OH, OW] = n.inTypes[0]!.shape as number[],
        [, , KH, KW] = n.inTypes[1]!.shape as number[];
      const size = (o: number, s: number, p0: number, p1: number, d: number, k: number) => (o - 1) * s - p0 - p1 + d * (k - 1) + 1;
      return g.node('ConvTranspose', [n.inputs[0]!, n.inputs[1]!], {
        strides: [sh!, sw!],
        pads: onnxPads([pt!, pb!, pl!, pr!]),
        dilations: [dh!, dw!],
        group: n.attrs['groups'] as number,
        output_padding: [H! - size(OH!, sh!, pt!, pb!, dh!, KH!), W! - size(OW!, sw!, pl!, pr!, dw!, KW!)],
      })[0]!;
    },
  },
  // Patches as a depthwise convolution with one-hot filters (exact: each output is one input times 1).
  im2col: {
    emit: (g, n) => {
      const [KH, KW] = ints(n, 'k_hw') as [number, number];
      const C = n.inTypes[0]!.shape[1] as number;
      const eye = new Array<number>(C * KH * KW * KH * KW).fill(0);
      for (let c = 0; c < C; c++) for (let k = 0; k < KH * KW; k++) eye[(c * KH * KW + k) * KH * KW + k] = 1;
      const w = g.constant(eye, 'f32', [C * KH * KW, 1, KH, KW]);
      const [y] = g.node('Conv', [n.inputs[0]!, w], { strides: ints(n, 'stride'), pads: onnxPads(ints(n, 'pad')), dilations: ints(n, 'dilation'), group: C });
      return g.node('Reshape', [y!, g.dims(n.type.shape)], { allowzero: 1 })[0]!;
    },
  },
  // The padding (ceil mode as more padding after, floorPads) is an explicit −∞ Pad: MaxPool's own pads
  // must be smaller than the undilated window.
  maxpool2d: { emit: (g, n) => maxPoolOnnx(g, n) },
  maxpool3d: { emit: (g, n) => maxPoolOnnx(g, n) },
  upsample: {
    unsupported: "upsample: ONNX Resize computes its source indices in its own arithmetic, which can pick other pixels than PyTorch's rule that dlm follows",
  },
  argmax: { unsupported: 'argmax has no ONNX form in the exporter yet (ONNX ArgMax does not define how NaN compares)' },
  argsort: { unsupported: 'argsort (sort, topk) has no ONNX form in the exporter yet' },
  linrec: { unsupported: 'linrec (cumsum, cumprod, prod, discounted_cumsum) has no ONNX form in the exporter yet' },
  take_along: { unsupported: 'take_along (sort and topk values, take_along_axis) has no ONNX form in the exporter yet' },
  scatter_along: { unsupported: 'scatter_along (scatter, scatter_add along an axis) has no ONNX form in the exporter yet' },
};

export const onnxRule = (op: string): OnnxRule | undefined => (Object.hasOwn(ONNX_RULES, op) ? ONNX_RULES[op] : undefined);
