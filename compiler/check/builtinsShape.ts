// Built-ins that rearrange or construct tensors of static shape, lowered to movement primitives and
// iota: flip, roll, tile/repeat, zeros/ones/full/eye/arange/linspace, and the logical reductions any/all.
import type { Span } from '../diagnostics/span.js';
import { dimMul, dimSub, fmtDim } from '../types/dims.js';
import { normAxis } from '../types/shapes.js';
import type { Dim, DType } from '../types/types.js';
import { arg, axesArg, boolArg, checkArity, dimsArg, tensorArg, type Builtin, type CallArgs } from './args.js';
import type { ExprElab } from './expr.js';
import { ERROR, describe, type Binding } from './scope.js';
import { primitiveBuilder } from './primitiveBuilder.js';

const nodes = primitiveBuilder;
type Nodes = ReturnType<typeof nodes>;

/** x with `idx` (i32 positions) taken along `ax`: transpose ax to the front, gather rows, transpose back. */
const takeAxis = (N: Nodes, id: number, rank: number, ax: number, idx: number | undefined): number | undefined => {
  const front = [ax, ...[...Array(rank).keys()].filter((i) => i !== ax)];
  const moved = ax === 0 ? id : N.op('transpose', [id], { perm: front });
  const g = N.op('gather', [moved, idx]);
  if (ax === 0) return g;
  const back = front.map((_, i) => front.indexOf(i));
  return N.op('transpose', [g], { perm: back });
};

/** flip(x, axis = all): x reversed along the axes (torch.flip, np.flip). */
const flip: Builtin = (x, a, span) => {
  if (!checkArity(x, a, span, 'flip', ['x', 'axis'], 1)) return ERROR;
  const id = tensorArg(x, a, 0, 'x', span);
  if (id === undefined) return ERROR;
  const shape = x.c.type(id).shape;
  const axes = axesArg(x, arg(a, 1, 'axis'), shape.length);
  if (!axes) return ERROR;
  const N = nodes(x, span);
  let cur: number | undefined = id;
  for (const ax of axes) {
    const n = shape[ax]!;
    // positions n − 1, n − 2, …, 0
    const idx = N.op('sub', [N.num(dimSub(n, 1), 'i32'), N.op('iota', [], { n })]);
    cur = takeAxis(N, cur!, shape.length, ax, idx);
  }
  return N.done(cur);
};

/** roll(x, shifts, axis = none): entries move `shift` places along each axis, wrapping around (torch.roll); without axis, over x flattened. */
const roll: Builtin = (x, a, span) => {
  if (!checkArity(x, a, span, 'roll', ['x', 'shifts', 'axis'], 2)) return ERROR;
  const id = tensorArg(x, a, 0, 'x', span);
  const sg = arg(a, 1, 'shifts')!;
  const shifts = dimsArg(x, sg, 'shifts');
  if (id === undefined || !shifts) return ERROR;
  const shape = x.c.type(id).shape;
  const N = nodes(x, span);
  const ag = arg(a, 2, 'axis');
  const flat = !ag || (ag.v.k === 'word' && ag.v.name === 'none');
  const total = shape.reduce<Dim>((p, d) => dimMul(p, d), 1);
  const src = flat ? N.op('reshape', [id], { shape: [total] }) : id;
  const sh = flat ? [total] : shape;
  const axes = flat ? [0] : (ag!.v.k === 'list' ? ag!.v.items : [ag!.v]).map((v) => x.c.staticInt(v, ag!.span, 'axis'));
  if (axes.some((q) => q === undefined)) return ERROR;
  if (axes.length !== shifts.length) return x.c.err('E0203', sg.span, `roll takes one shift per axis: ${shifts.length} shifts for ${axes.length} axes`);
  let cur = src;
  for (let k = 0; k < axes.length; k++) {
    const ax = normAxis(axes[k]!, sh.length);
    if (ax === undefined) return x.c.err('E0203', ag!.span, `axis ${axes[k]} is out of range for a tensor of rank ${sh.length}`);
    const n = sh[ax]!,
      s0 = shifts[k]!;
    if (typeof n !== 'number' || typeof s0 !== 'number') {
      return x.c.err('E0203', span, `roll needs a fixed axis size and shift, got size ${fmtDim(n)} and shift ${fmtDim(s0)}`);
    }
    const s = n === 0 ? 0 : ((s0 % n) + n) % n;
    if (s === 0) continue;
    // out = [x[n − s:], x[:n − s]] along ax
    const part = (from: number, to: number) =>
      N.op('slice', [cur], { begin: sh.map((_, i) => (i === ax ? from : 0)), end: sh.map((d, i) => (i === ax ? to : d)) });
    cur = N.op('concat', [part(n - s, n), part(0, n - s)], { axis: ax });
  }
  return N.done(flat ? N.op('reshape', [cur], { shape }) : cur);
};

/** tile(x, reps) (np.tile; torch's x.repeat(reps)): x repeated reps[i] times along axis i; short reps or short shapes get leading 1s. */
const tile =
  (name: string): Builtin =>
  (x, a, span) => {
    if (!checkArity(x, a, span, name, ['x', 'reps'], 2)) return ERROR;
    const id = tensorArg(x, a, 0, 'x', span);
    const rg = arg(a, 1, 'reps')!;
    const reps0 = dimsArg(x, rg, 'reps');
    if (id === undefined || !reps0) return ERROR;
    if (reps0.some((r) => typeof r === 'number' && r < 0))
      return x.c.err('E0203', rg.span, `${name} counts must be ≥ 0, got [${reps0.map(fmtDim).join(', ')}]`);
    const shape0 = x.c.type(id).shape;
    if (name === 'repeat' && reps0.length < shape0.length) {
      return x.c.err('E0203', rg.span, `repeat needs at least one count per axis: ${reps0.length} for rank ${shape0.length}`);
    }
    const rank = Math.max(reps0.length, shape0.length);
    const reps = [...Array(rank - reps0.length).fill(1), ...reps0] as Dim[];
    const shape = [...Array(rank - shape0.length).fill(1), ...shape0] as Dim[];
    const N = nodes(x, span);
    const spread = N.op('reshape', [id], { shape: shape.flatMap((d) => [1, d]) });
    const big = N.op('broadcast_to', [spread], { shape: shape.flatMap((d, i) => [reps[i]!, d]) });
    return N.done(N.op('reshape', [big], { shape: shape.map((d, i) => dimMul(reps[i]!, d)) }));
  };

const dtypeArg = (x: ExprElab, g: { v: Binding; span: Span } | undefined, dflt: DType): DType | undefined => {
  if (!g) return dflt;
  if (g.v.k === 'dtype') return g.v.dtype as DType;
  x.c.err('E0105', g.span, `dtype must be f32, i32 or bool, found ${describe(g.v)}`);
  return undefined;
};

/** full(shape, value, dtype = f32), zeros(shape, dtype), ones(shape, dtype). */
const fill =
  (name: string, value?: number): Builtin =>
  (x, a, span) => {
    const names = value === undefined ? ['shape', 'value', 'dtype'] : ['shape', 'dtype'];
    if (!checkArity(x, a, span, name, names, names.length - 1)) return ERROR;
    const shape = dimsArg(x, arg(a, 0, 'shape')!, 'shape');
    const vg = value === undefined ? arg(a, 1, 'value')! : undefined;
    const v = vg ? x.c.staticValue(vg.v, vg.span, 'the fill value') : value;
    const dtype = dtypeArg(x, arg(a, names.length - 1, 'dtype'), 'f32');
    if (!shape || v === undefined || !dtype) return ERROR;
    if (typeof v !== 'number') return x.c.err('E0206', vg!.span, 'the fill value must be a number');
    const bad = shape.find((d) => typeof d === 'number' && (d < 0 || !Number.isInteger(d)));
    if (bad !== undefined) return x.c.err('E0203', arg(a, 0, 'shape')!.span, `${name}: a dimension must be a non-negative integer, got ${bad}`);
    const N = nodes(x, span);
    const c = dtype === 'f32' ? N.num(v) : N.op('cast', [N.num(v)], { dtype });
    return N.done(N.op('broadcast_to', [c], { shape }));
  };

const staticNum = (x: ExprElab, a: CallArgs, i: number, name: string): number | undefined => {
  const g = arg(a, i, name);
  if (!g) return undefined;
  const v = x.c.staticValue(g.v, g.span, name);
  if (v !== undefined && typeof v !== 'number') {
    x.c.err('E0206', g.span, `${name} must be a number, found the symbolic ${v}`);
    return undefined;
  }
  return v;
};

/** eye(n, m = n): the n×m identity (f32). */
const eye: Builtin = (x, a, span) => {
  if (!checkArity(x, a, span, 'eye', ['n', 'm'], 1)) return ERROR;
  const n = x.c.staticValue(arg(a, 0, 'n')!.v, span, 'eye size');
  const m = arg(a, 1, 'm') ? x.c.staticValue(arg(a, 1, 'm')!.v, span, 'eye size') : n;
  if (n === undefined || m === undefined) return ERROR;
  const N = nodes(x, span);
  const rows = N.op('reshape', [N.op('iota', [], { n })], { shape: [n, 1] }),
    cols = N.op('reshape', [N.op('iota', [], { n: m })], { shape: [1, m] });
  return N.done(N.op('cast', [N.op('eq', [rows, cols])], { dtype: 'f32' }));
};

/** arange(end) or arange(start, end, step = 1): start + i·step for i < ⌈(end − start)/step⌉; i32 when all are integers. */
const arange: Builtin = (x, a, span) => {
  if (!checkArity(x, a, span, 'arange', ['start', 'end', 'step'], 1)) return ERROR;
  const p = [0, 1, 2].map((i) => staticNum(x, a, i, ['start', 'end', 'step'][i]!));
  if (p[0] === undefined || (arg(a, 1, 'end') && p[1] === undefined) || (arg(a, 2, 'step') && p[2] === undefined)) return ERROR;
  const [start, end, step] = p[1] === undefined ? [0, p[0], 1] : [p[0], p[1], p[2] ?? 1];
  if (step === 0 || !Number.isFinite(start) || !Number.isFinite(end!) || !Number.isFinite(step)) {
    return x.c.err('E0203', span, `arange(${start}, ${end}, ${step}) has no finite length`);
  }
  const n = Math.max(0, Math.ceil((end! - start) / step));
  const ints = [start, end!, step].every(Number.isInteger);
  const N = nodes(x, span);
  const i = N.op('iota', [], { n });
  if (ints) return N.done(N.op('add', [N.num(start, 'i32'), N.op('mul', [i, N.num(step, 'i32')])]));
  return N.done(N.op('add', [N.num(start), N.op('mul', [N.op('cast', [i], { dtype: 'f32' }), N.num(step)])]));
};

/** linspace(start, end, steps): torch's formula, start + i·Δ for i < steps/2 and end − (steps − 1 − i)·Δ after, Δ = (end − start)/(steps − 1). */
const linspace: Builtin = (x, a, span) => {
  if (!checkArity(x, a, span, 'linspace', ['start', 'end', 'steps'], 3)) return ERROR;
  const [start, end] = [staticNum(x, a, 0, 'start'), staticNum(x, a, 1, 'end')];
  const steps = x.c.staticInt(arg(a, 2, 'steps')!.v, span, 'steps');
  if (start === undefined || end === undefined || steps === undefined) return ERROR;
  if (steps < 0) return x.c.err('E0203', arg(a, 2, 'steps')!.span, `linspace needs steps ≥ 0, got ${steps}`);
  const N = nodes(x, span);
  const i = N.op('cast', [N.op('iota', [], { n: steps })], { dtype: 'f32' });
  const d = steps > 1 ? (end - start) / (steps - 1) : 0;
  const lo = N.op('add', [N.num(start), N.op('mul', [N.num(d), i])]);
  const hi = N.op('sub', [N.num(end), N.op('mul', [N.num(d), N.op('sub', [N.num(steps - 1), i])])]);
  if (steps === 1) return N.done(lo);
  return N.done(N.op('where', [N.op('lt', [i, N.num(Math.floor(steps / 2))]), lo, hi]));
};

/** any(x, axis = all, keepdims = false) / all(…): whether some / every entry is non-zero (NaN counts as non-zero), as bool. */
export const logical =
  (every: boolean): Builtin =>
  (x, a, span) => {
    const name = every ? 'all' : 'any';
    if (!checkArity(x, a, span, name, ['x', 'axis', 'keepdims'], 1)) return ERROR;
    const id = tensorArg(x, a, 0, 'x', span);
    if (id === undefined) return ERROR;
    const axes = axesArg(x, arg(a, 1, 'axis'), x.c.type(id).shape.length);
    if (!axes) return ERROR;
    const N = nodes(x, span);
    // any: max of [x ≠ 0] > 0; all: no [x = 0], i.e. max of [x = 0] ≤ 0 (an empty max is −∞: any = false, all = true)
    const hit = N.op('cast', [N.op(every ? 'eq' : 'ne', [id, N.num(0, x.c.type(id).dtype)])], { dtype: 'f32' });
    const m = N.op('max', [hit], { axes, keepdims: boolArg(x, arg(a, 2, 'keepdims'), 'keepdims') });
    return N.done(N.op(every ? 'le' : 'gt', [m, N.num(0)]));
  };

export const SHAPE_BUILTINS: Readonly<Record<string, Builtin>> = {
  flip,
  roll,
  tile: tile('tile'),
  repeat: tile('repeat'),
  zeros: fill('zeros', 0),
  ones: fill('ones', 1),
  full: fill('full'),
  eye,
  arange,
  linspace,
  any: logical(false),
};
