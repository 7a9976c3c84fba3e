// How each primitive is written in PyTorch: one rule per op giving a Python expression, beside the op
// records so nothing outside compiler/ops/ names an op. dlm's derivative conventions are PyTorch's
// (relu′(0) = 0, ½ at maximum/minimum ties, amax shares ties), so autograd through these expressions
// gives dlm's gradients. Helpers (_gather_rows, _uniform, _im2col, …) are in the generated file's preamble.
import type { Dim, DType } from '../../types/types.js';
import type { TorchEmitter, TorchNodeView, TorchRule } from './torchApi.js';
import { backwardOnlyRules } from './rule.js';
import { TORCH_MATH_RULES } from './torchMath.js';
import { floorPads } from '../poolGeometry.js';

const ints = (n: TorchNodeView, key: string): number[] => [...(n.attrs[key] as readonly number[])];
const tuple = (xs: readonly (number | string)[]): string => (xs.length === 1 ? `(${xs[0]},)` : `(${xs.join(', ')})`);

/** f(x) on the operand converted to the output type. */
const fn = (f: string): TorchRule => ({ emit: (py, n) => `${f}(${py.tensorAs(0, n.type.dtype === 'bool' ? 'f32' : n.type.dtype)})` });

/** An infix operator on operands converted to `compute` (default: the output type); Python scalars stay scalars. */
const infix = (op: string, compute?: DType): TorchRule => ({
  emit: (py, n) => `(${py.as(0, compute ?? n.type.dtype)} ${op} ${py.as(1, compute ?? n.type.dtype)})`,
});
const compare = (op: string): TorchRule => ({ emit: (_py, n) => `(${n.args[0]} ${op} ${n.args[1]})` });

const reduce = (f: string): TorchRule => ({
  emit: (py, n) => `${f}(${py.tensorAs(0, n.type.dtype)}, dim=${tuple(ints(n, 'axes'))}, keepdim=${n.attrs['keepdims'] === true ? 'True' : 'False'})`,
});

export const TORCH_RULES: Readonly<Record<string, TorchRule>> = {
  ...backwardOnlyRules((what) => `${what} appears only in gradient programs; PyTorch's autograd makes its own`),
  ...TORCH_MATH_RULES,
  neg: { emit: (py, n) => `(-${py.as(0, n.type.dtype)})` },
  exp: fn('torch.exp'),
  log: fn('torch.log'),
  sqrt: fn('torch.sqrt'),
  abs: fn('torch.abs'),
  sign: fn('torch.sign'),
  tanh: fn('torch.tanh'),
  sigmoid: fn('torch.sigmoid'),
  sin: fn('torch.sin'),
  cos: fn('torch.cos'),
  stop_gradient: { emit: (py) => `${py.tensor(0)}.detach()` },
  cast: {
    emit: (py, n) =>
      n.type.dtype === n.inTypes[0]!.dtype
        ? py.tensor(0)
        : n.type.dtype === 'bool'
          ? `(${py.tensor(0)} != 0)`
          : `${py.tensor(0)}.to(${py.dtype(n.type.dtype)})`,
  },
  add: infix('+'),
  sub: infix('-'),
  mul: infix('*'),
  div: infix('/', 'f32'),
  pow: { emit: (py) => `torch.pow(${py.tensor(0)}, ${py.as(1, 'f32')})` },
  maximum: { emit: (py, n) => `torch.maximum(${py.tensorAs(0, n.type.dtype)}, ${py.tensorAs(1, n.type.dtype)})` },
  minimum: { emit: (py, n) => `torch.minimum(${py.tensorAs(0, n.type.dtype)}, ${py.tensorAs(1, n.type.dtype)})` },
  lt: compare('<'),
  le: compare('<='),
  gt: compare('>'),
  ge: compare('>='),
  eq: compare('=='),
  ne: compare('!='),
  where: { emit: (py, n) => `torch.where(${py.tensorAs(0, 'bool')}, ${py.tensorAs(1, n.type.dtype)}, ${py.tensorAs(2, n.type.dtype)})` },
  sum: reduce('torch.sum'),
  max: reduce('torch.amax'),
  matmul: { emit: (py) => `torch.matmul(${py.tensor(0)}, ${py.tensor(1)})` },
  reshape: { emit: (py, n) => `${py.tensor(0)}.reshape(${py.shape(n.type.shape)})` },
  transpose: { emit: (py, n) => `${py.tensor(0)}.permute(${tuple(ints(n, 'perm'))})` },
  broadcast_to: { emit: (py, n) => `${py.tensor(0)}.expand(${py.shape(n.type.shape)})` },
  slice: {
    emit: (py, n) => {
      const begin = ints(n, 'begin'),
        end = n.attrs['end'] as readonly (number | string)[],
        t = n.inTypes[0]!;
      const parts = begin.map((b, i) => (b === 0 && end[i] === t.shape[i] ? ':' : `${b}:${end[i] === t.shape[i] ? '' : py.dim(end[i]!)}`));
      while (parts.length && parts[parts.length - 1] === ':') parts.pop();
      return parts.length ? `${py.tensor(0)}[${parts.join(', ')}]` : py.tensor(0);
    },
  },
  pad: {
    emit: (py, n) => {
      const before = ints(n, 'before'),
        after = n.attrs['after'] as readonly (number | string)[];
      const pads = before.map((_, i) => before.length - 1 - i).flatMap((i) => [before[i]!, py.dim(after[i]!)]);
      return `F.pad(${py.tensor(0)}, ${tuple(pads)})`;
    },
  },
  concat: { emit: (py, n) => `torch.cat([${n.args.map((_, i) => py.tensorAs(i, n.type.dtype)).join(', ')}], dim=${n.attrs['axis'] as number})` },
  gather: { emit: (py) => `_gather_rows(${py.tensor(0)}, ${py.tensor(1)})` },
  iota: { emit: (py, n) => `torch.arange(${py.dim(n.type.shape[0]!)}, device=dev)` },
  uniform: { emit: (py, n) => `_uniform(${n.args[0]}, ${n.attrs['stream'] as number}, ${py.shape(n.type.shape)}, fd, dev)` },
  conv2d: {
    emit: (py, n) =>
      `_conv2d(${py.tensor(0)}, ${py.tensor(1)}, stride=${tuple(ints(n, 'stride'))}, pad=${tuple(ints(n, 'pad'))}` +
      `, dilation=${tuple(ints(n, 'dilation'))}, groups=${n.attrs['groups'] as number})`,
  },
  conv2d_input_grad: {
    emit: (py, n) =>
      `_conv_transpose2d(${py.tensor(0)}, ${py.tensor(1)}, stride=${tuple(ints(n, 'stride'))}, pad=${tuple(ints(n, 'pad'))}` +
      `, dilation=${tuple(ints(n, 'dilation'))}, groups=${n.attrs['groups'] as number}, size=${tuple(ints(n, 'in_hw'))})`,
  },
  im2col: {
    emit: (py, n) =>
      `_im2col(${py.tensor(0)}, ${tuple(ints(n, 'k_hw'))}, stride=${tuple(ints(n, 'stride'))}, pad=${tuple(ints(n, 'pad'))}` +
      `, dilation=${tuple(ints(n, 'dilation'))})`,
  },
  // ceil mode as floor mode over more padding after (floorPads), so the exported windows are dlm's exactly
  maxpool2d: {
    emit: (py, n) =>
      `_max_pool2d(${py.tensor(0)}, ${tuple(ints(n, 'size'))}, stride=${tuple(ints(n, 'stride'))}, ` +
      `pad=${tuple(floorPads(n.inTypes[0]!.shape.slice(2) as number[], n.attrs))}, dilation=${tuple((n.attrs['dilation'] as number[] | undefined) ?? [1, 1])})`,
  },
  maxpool3d: {
    emit: (py, n) =>
      `_max_pool3d(${py.tensor(0)}, ${tuple(ints(n, 'size'))}, stride=${tuple(ints(n, 'stride'))}, ` +
      `pad=${tuple(floorPads(n.inTypes[0]!.shape.slice(2) as number[], n.attrs))}, dilation=${tuple(ints(n, 'dilation'))})`,
  },
  // F.interpolate by the same argument the model gave (size or scale_factor), so PyTorch's index rule is the same
  upsample: {
    emit: (py, n) => {
      const factor = n.attrs['factor'] as number[],
        r = (n.attrs['out'] as number[]).length,
        linear = n.attrs['mode'] === 'linear';
      const how = factor.length ? `scale_factor=${tuple(factor)}` : `size=${tuple(ints(n, 'out'))}`;
      const mode = linear ? ['linear', 'bilinear', 'trilinear'][r - 1]! : 'nearest';
      return `F.interpolate(${py.tensor(0)}, ${how}, mode='${mode}'${linear ? `, align_corners=${n.attrs['align'] === true ? 'True' : 'False'}` : ''})`;
    },
  },
  // argmax and sort are torch's own conventions (first tie, NaN the largest, stable order): tests/opsetTorch.test.ts
  argmax: {
    emit: (py, n) =>
      `torch.argmax(${py.tensor(0)}, dim=${Number(n.attrs['axis'])}, keepdim=${n.attrs['keepdims'] === true ? 'True' : 'False'})` + `.to(${py.dtype('i32')})`,
  },
  argsort: {
    emit: (py, n) =>
      `torch.sort(${py.tensor(0)}, dim=${Number(n.attrs['axis'])}, descending=${n.attrs['descending'] === true ? 'True' : 'False'}, ` +
      `stable=True)[1].to(${py.dtype('i32')})`,
  },
  // cumsum, cumprod, prod, discounted_cumsum: the recurrence as a Python loop over the axis (_linrec in the preamble)
  linrec: {
    emit: (py, n) =>
      `_linrec(${py.tensorAs(0, n.type.dtype)}, ${py.tensorAs(1, n.type.dtype)}, ${Number(n.attrs['axis'])}, ` +
      `${n.attrs['reverse'] === true ? 'True' : 'False'})`,
  },
  // torch.gather / scatter_add raise on an index out of range, where dlm reads 0 and drops the entry: clamp and mask
  take_along: {
    emit: (py, n) => {
      const ax = Number(n.attrs['axis']),
        len = py.dim(n.inTypes[0]!.shape[ax]!),
        x = py.tensor(0),
        i = py.tensor(1);
      if (n.inTypes[0]!.shape[ax] === 0) return `torch.zeros(${py.shape(n.type.shape)}, dtype=${x}.dtype)`; // nothing to read
      return (
        `torch.where((${i} >= 0) & (${i} < ${len}), torch.gather(${x}, ${ax}, ${i}.clamp(0, max(${len} - 1, 0)).long()), ` +
        `torch.zeros((), dtype=${x}.dtype))`
      );
    },
  },
  scatter_along: {
    emit: (py, n) => {
      const ax = Number(n.attrs['axis']),
        len = py.dim(n.attrs['n'] as Dim),
        s = py.tensor(0),
        i = py.tensor(1);
      if (n.attrs['n'] === 0) return `torch.zeros(${py.shape(n.type.shape)}, dtype=${s}.dtype)`;
      return (
        `torch.zeros(${py.shape(n.type.shape)}, dtype=${s}.dtype).scatter_add(${ax}, ${i}.clamp(0, max(${len} - 1, 0)).long(), ` +
        `torch.where((${i} >= 0) & (${i} < ${len}), ${s}, torch.zeros((), dtype=${s}.dtype)))`
      );
    },
  },
};

export const torchRule = (op: string): TorchRule | undefined => (Object.hasOwn(TORCH_RULES, op) ? TORCH_RULES[op] : undefined);

export type { TorchEmitter };
