// Upsampling / interpolation over the trailing 1, 2 or 3 axes of [N, C, …] (PyTorch's F.interpolate with
// mode nearest, or linear/bilinear/trilinear with align_corners), and its adjoint. Separable: along each
// axis an output index o reads input indices i0, i1 with weights w0, w1, as PyTorch 1.13 computes them:
//   nearest: i = o if out = n; ⌊o/2⌋ if out = 2n; else min(⌊fl(o·s)⌋, n − 1) with s and the product in
//            float32 (s = 1/scale_factor or n/out)
//   linear:  src = s·o (align_corners) or max(s·(o + ½) − ½, 0), with s = (n − 1)/(out − 1) (align_corners;
//            0 when out = 1) or 1/scale_factor or n/out, in float64; i0 = ⌊src⌋, i1 = i0 + [i0 < n − 1],
//            w1 = src − i0, w0 = 1 − w1; out = n copies.
// A value is the nested sum over axes, outermost first: v = w0·v(i0, rest) + w1·v(i1, rest), as PyTorch's
// CPU kernel; the interpreter and the generated loops evaluate the same expression in the same order.
// `factor` (the scale factors, or [] when sized) only tells exporters which of F.interpolate's forms to use.
// The adjoint (upsample_grad) adds w·g back at every tap read; each is the other's derivative.
import { bin, call, comment, load, loop, num, sel, store, v, type Expr, type Stmt } from '../loops/loops.js';
import { shapeError } from '../types/shapes.js';
import { type Dim, type TensorType, fmtShape } from '../types/types.js';
import { nd } from './ndarray.js';
import type { Attrs, AttrSchema, GenKit, KernelArgs, OpDef, OpSample } from './op.js';

/** The arithmetic the index rule needs, for numbers (the interpreter) and for loop expressions (codegen). */
interface Arith<T> {
  c(x: number): T;
  add(a: T, b: T): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T): T;
  floor(a: T): T;
  fround(a: T): T;
  min(a: T, b: T): T;
  max(a: T, b: T): T;
  lt(a: T, b: T): T;
  sel(c: T, a: T, b: T): T;
}
const NUM: Arith<number> = {
  c: (x) => x,
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  floor: Math.floor,
  fround: Math.fround,
  min: Math.min,
  max: Math.max,
  lt: (a, b) => (a < b ? 1 : 0),
  sel: (c, a, b) => (c ? a : b),
};
const EXPR: Arith<Expr> = {
  c: num,
  add: (a, b) => bin('+', a, b),
  sub: (a, b) => bin('-', a, b),
  mul: (a, b) => bin('*', a, b),
  floor: (a) => call('floor', a),
  fround: (a) => call('fround', a),
  min: (a, b) => call('min', a, b),
  max: (a, b) => call('max', a, b),
  lt: (a, b) => bin('<', a, b),
  sel,
};

/** The taps of output index o along one axis of input size n: one (nearest) or two (linear) index/weight pairs. */
const taps = <T>(A: Arith<T>, o: T, n: number, out: number, a: Attrs, axis: number): { i: T; w?: T }[] => {
  const s = (a['scale'] as number[])[axis]!;
  if (out === n) return [{ i: o }];
  if (a['mode'] === 'nearest') {
    if (out === 2 * n) return [{ i: A.floor(A.mul(o, A.c(0.5))) }];
    return [{ i: A.min(A.floor(A.fround(A.mul(o, A.c(s)))), A.c(n - 1)) }];
  }
  const src = a['align'] === true ? A.mul(A.c(s), o) : A.max(A.sub(A.mul(A.c(s), A.add(o, A.c(0.5))), A.c(0.5)), A.c(0));
  const i0 = A.floor(src);
  const w1 = A.sub(src, i0);
  return [
    { i: i0, w: A.sub(A.c(1), w1) },
    { i: A.add(i0, A.sel(A.lt(i0, A.c(n - 1)), A.c(1), A.c(0))), w: w1 },
  ];
};

/**
 * The scale each axis's rule uses, from PyTorch's definitions: for nearest float32(1/scale_factor) or
 * float32(n/out); for linear (n − 1)/(out − 1) with align_corners (0 if out = 1), else 1/scale_factor or n/out.
 */
export const upsampleScales = (
  mode: 'nearest' | 'linear',
  align: boolean,
  ins: readonly number[],
  outs: readonly number[],
  factors?: readonly number[],
): number[] =>
  ins.map((n, i) => {
    const out = outs[i]!,
      f = factors?.[i];
    if (mode === 'nearest') return Math.fround(f !== undefined && f > 0 ? 1 / f : n / out);
    if (align) return out > 1 ? (n - 1) / (out - 1) : 0;
    return f !== undefined && f > 0 ? 1 / f : n / out;
  });

const prod = (s: readonly number[]) => s.reduce((p, q) => p * q, 1);

const upShape = (x: TensorType, a: Attrs, name: string): Dim[] | string => {
  const out = a['out'] as number[];
  if (x.shape.length !== out.length + 2 || x.shape.slice(2).some((d) => typeof d !== 'number')) {
    return `${name}: ${out.length} output sizes for an input ${fmtShape(x.shape)}`;
  }
  return [x.shape[0]!, x.shape[1]!, ...out];
};

/** Visits every output position with its flat input base per (n, c) and the nested taps (reference semantics). */
const evalUp = (xs: readonly number[], os: readonly number[], a: Attrs, f: (o: number, taps: { i: number; w?: number }[][], inBase: number) => void): void => {
  const sp = xs.slice(2),
    osp = os.slice(2),
    r = sp.length;
  const tables = osp.map((out, ax) => Array.from({ length: out }, (_, o) => taps(NUM, o, sp[ax]!, out, a, ax)));
  const inner = prod(sp),
    outer = prod(osp);
  const idx = new Array<number>(r).fill(0);
  for (let nc = 0; nc < xs[0]! * xs[1]!; nc++)
    for (let flat = 0; flat < outer; flat++) {
      for (let i = r - 1, q = flat; i >= 0; i--) {
        idx[i] = q % osp[i]!;
        q = Math.floor(q / osp[i]!);
      }
      f(
        nc * outer + flat,
        idx.map((o, ax) => tables[ax]![o]!),
        nc * inner,
      );
    }
};

/** Σ over the nested taps (outermost axis first) of weight products times leaf(flat input offset). */
const nested = <T>(A: Arith<T>, tp: readonly { i: T; w?: T }[][], sizes: readonly number[], leaf: (offset: T) => T, ax = 0, off: T = A.c(0)): T => {
  if (ax === tp.length) return leaf(off);
  const terms = tp[ax]!.map((t) => {
    const inner = nested(A, tp, sizes, leaf, ax + 1, A.add(A.mul(off, A.c(sizes[ax]!)), t.i));
    return t.w === undefined ? inner : A.mul(inner, t.w);
  });
  return terms.slice(1).reduce((s, t) => A.add(s, t), terms[0]!);
};

/** Visits every tap of the nested sum as (flat offset, product of weights), in the nested order. */
const scatter = <T>(
  A: Arith<T>,
  tp: readonly { i: T; w?: T }[][],
  sizes: readonly number[],
  f: (offset: T, w: T | undefined) => void,
  ax = 0,
  off: T = A.c(0),
  w: T | undefined = undefined,
): void => {
  if (ax === tp.length) {
    f(off, w);
    return;
  }
  for (const t of tp[ax]!) {
    const ww = t.w === undefined ? w : w === undefined ? t.w : A.mul(w, t.w);
    scatter(A, tp, sizes, f, ax + 1, A.add(A.mul(off, A.c(sizes[ax]!)), t.i), ww);
  }
};

/** The loop nest of both kernels over (n·c, output index per axis), with the taps as expressions. */
type TapBody = (o: Expr, tp: { i: Expr; w?: Expr }[][], base: Expr) => Stmt[];
const kernelNest = (k: KernelArgs, xs: readonly number[], os: readonly number[], body: TapBody): Stmt[] => {
  const sp = xs.slice(2),
    osp = os.slice(2),
    r = sp.length;
  const nc = k.fresh('nc'),
    o = osp.map(() => k.fresh('o'));
  const tp = osp.map((out, ax) => taps(EXPR, v(o[ax]!), sp[ax]!, out, k.attrs, ax));
  const flat = o.reduce<Expr>((e, q, j) => bin('+', bin('*', e, num(osp[j]!)), v(q)), v(nc));
  let stmts = body(flat, tp, bin('*', v(nc), num(prod(sp))));
  for (let i = r - 1; i >= 0; i--) stmts = [loop(o[i]!, osp[i]!, stmts)];
  return [comment(`upsample ${k.attrs['mode'] as string} ${fmtShape(xs)} → ${fmtShape(os)}`), loop(nc, xs[0]! * xs[1]!, stmts)];
};

const sample = (k: GenKit): { x: number[]; attrs: Attrs } => {
  const r = k.int(1, 3),
    mode = k.pick(['nearest', 'linear'] as const),
    align = mode === 'linear' && k.bool();
  const sp = Array.from({ length: r }, () => k.int(1, r === 3 ? 3 : 4));
  const useFactor = k.bool();
  const factors = sp.map(() => k.pick([0.5, 1.5, 2, 3]));
  const out = sp.map((n, i) => (useFactor ? Math.max(1, Math.floor(n * factors[i]!)) : k.int(1, r === 3 ? 4 : 6)));
  const scale = upsampleScales(mode, align, sp, out, useFactor ? factors : undefined);
  return { x: [k.int(1, 2), k.int(1, 2), ...sp], attrs: { mode, align, out, scale, factor: useFactor ? factors : [] } };
};

const DOC =
  'interpolation of [N, C, …] over its trailing 1–3 axes to sizes `out`, nearest or (bi/tri)linear with align_corners, ' +
  'exactly as PyTorch’s F.interpolate (float32 nearest indices, float64 linear weights); ' +
  'a NaN or ±∞ reaches every output that reads it (times a weight, 0 · ∞ = NaN, as PyTorch)';

/** An upsampling: its mode and corner alignment, output size, each axis's scale and the factors asked for ([] when sized). */
const UPSAMPLE_ATTRS: AttrSchema = { mode: ['nearest', 'linear'], align: 'bool', out: 'ints', scale: 'numbers', factor: 'numbers' };

export const UPSAMPLE: OpDef = {
  name: 'upsample',
  arity: 1,
  attrs: UPSAMPLE_ATTRS,
  kind: 'movement',
  internal: true,
  doc: DOC,
  shape: ([x], a) => {
    const s = upShape(x!, a, 'upsample');
    return typeof s === 'string' ? shapeError(s, 0) : { dtype: x!.dtype, shape: s };
  },
  eval: ([x], a, out) => {
    const r = nd(out.shape);
    evalUp(x!.shape, out.shape, a, (o, tp, base) => {
      r.data[o] = nested(NUM, tp, x!.shape.slice(2), (off) => x!.data[base + off]!);
    });
    return r;
  },
  emit: {
    kind: 'kernel',
    kernel: (k) =>
      kernelNest(k, k.inShapes[0]!, k.outShape, (o, tp, base) => [
        store(
          k.out,
          o,
          nested(EXPR, tp, k.inShapes[0]!.slice(2), (off) => load(k.ins[0]!, bin('+', base, off))),
        ),
      ]),
  },
  vjp: (b, ct, n) => [b.op('upsample_grad', [ct], { ...n.attrs, in: n.inTypes[0]!.shape.slice(2) as number[] })],
  differentiable: true,
  gen: (k): OpSample => {
    const s = sample(k);
    return { shapes: [s.x], attrs: s.attrs };
  },
  flops: (_ins, o, a) => prod(o) * 2 ** ((a['mode'] === 'nearest' ? 0 : 1) * (o.length - 2)),
};

export const UPSAMPLE_GRAD: OpDef = {
  name: 'upsample_grad',
  arity: 1,
  attrs: { ...UPSAMPLE_ATTRS, in: 'ints' },
  kind: 'movement',
  internal: true,
  doc: 'the adjoint of upsample: dx[n, c, i…] = Σ of w · g over the outputs whose taps read i',
  shape: ([g], a) => {
    const ins = a['in'] as number[];
    const s = upShape({ dtype: g!.dtype, shape: [g!.shape[0]!, g!.shape[1]!, ...ins] }, a, 'upsample_grad');
    if (typeof s === 'string' || s.some((d, i) => d !== g!.shape[i])) {
      return shapeError(`upsample_grad: ${fmtShape(g!.shape)} is not the upsampled shape of [${ins.join(', ')}]`, 0);
    }
    return { dtype: g!.dtype, shape: [g!.shape[0]!, g!.shape[1]!, ...ins] };
  },
  eval: ([g], a, out) => {
    const r = nd(out.shape);
    evalUp(out.shape, g!.shape, a, (o, tp, base) =>
      scatter(NUM, tp, out.shape.slice(2), (off, w) => {
        r.data[base + off]! += w === undefined ? g!.data[o]! : g!.data[o]! * w;
      }),
    );
    return r;
  },
  emit: {
    kind: 'kernel',
    kernel: (k) => {
      const i = k.fresh('i');
      const zero = loop(i, prod(k.outShape), [store(k.out, v(i), num(0))]);
      return [
        zero,
        ...kernelNest(k, k.outShape, k.inShapes[0]!, (o, tp, base) => {
          const out: Stmt[] = [];
          scatter(EXPR, tp, k.outShape.slice(2), (off, w) => {
            const at = bin('+', base, off);
            out.push(store(k.out, at, bin('+', load(k.out, at), w === undefined ? load(k.ins[0]!, o) : bin('*', load(k.ins[0]!, o), w))));
          });
          return out;
        }),
      ];
    },
  },
  vjp: (b, ct, n) => [b.op('upsample', [ct], Object.fromEntries(Object.entries(n.attrs).filter(([key]) => key !== 'in')))],
  differentiable: true,
  gen: (k): OpSample => {
    const s = sample(k);
    return { shapes: [[s.x[0]!, s.x[1]!, ...(s.attrs['out'] as number[])]], attrs: { ...s.attrs, in: s.x.slice(2) } };
  },
};
