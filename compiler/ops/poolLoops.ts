// The loop nests of max pooling's kernels (compiler/ops/pool.ts): per window, the first maximum and its
// index (`windows`), and the gradient's two-pass form where the windows tile the input (`tiledGrad`).
import { add, bin, comment, let_, letMut, load, loop, mul, num, sel, set, store, v, when, type Expr, type Stmt } from '../loops/loops.js';
import { fmtShape } from '../types/types.js';
import { size } from './ndarray.js';
import type { KernelArgs } from './op.js';
import { poolAxes } from './poolGeometry.js';

// flat indices: ((nc·S0 + i0)·S1 + i1)·S2 + … with every size a constant
const flat = (base: Expr, ix: readonly Expr[], sizes: readonly number[]) => ix.reduce<Expr>((e, i, j) => add(mul(e, num(sizes[j]!)), i), base);

/**
 * The loop nest of the kernels: per window, find the first maximum, then `done(value, index)`. Without
 * `withAt` (the forward value only) the index is not tracked, and an element replaces the best so far
 * when [x > best] + [x ≠ x] > 0: the same values, as the first element the index rule takes always
 * either beats −∞ or equals it (−∞ kept).
 */
export const windows = (
  k: KernelArgs,
  xs: readonly number[],
  os: readonly number[],
  X: string,
  done: (best: Expr, at: Expr, o: Expr, found: boolean, first: Expr) => Stmt[],
  withAt = true,
): Stmt[] => {
  const axes = poolAxes(k.attrs),
    r = axes.length;
  const sp = xs.slice(2),
    osp = os.slice(2);
  const nc = k.fresh('nc'),
    best = k.fresh('best'),
    at = k.fresh('at');
  const o = axes.map(() => k.fresh('o')),
    kk = axes.map(() => k.fresh('k')),
    p = axes.map(() => k.fresh('p'));
  const idx = flat(v(nc), p.map(v), sp),
    out = flat(v(nc), o.map(v), osp);
  // p = o·s − p0 + k·d lies in [−p0, (O − 1)·s − p0 + (K − 1)·d]: a bound that no tap can cross is not tested
  const inBounds = p.flatMap((q, i) => [
    ...(axes[i]!.p0 > 0 ? [bin('>=', v(q), num(0))] : []),
    ...((osp[i]! - 1) * axes[i]!.s - axes[i]!.p0 + (axes[i]!.k - 1) * axes[i]!.d >= sp[i]! ? [bin('<', v(q), num(sp[i]!))] : []),
  ]);
  // Without leading padding every window's first tap (k = 0 on every axis) is inside the input (poolOut),
  // so the index rule's "the first element always" is the start: best, at = x[first], first, and the
  // rest is [x > best] + [x ≠ x] > 0 (the first tap, seen again, changes nothing: x > x is false, a NaN
  // replaces itself). Otherwise `takes` above: [x > best] + [x ≠ x] + [at < 0] > 0.
  const firstInside = withAt && axes.every((q) => q.p0 === 0);
  const first = flat(
    v(nc),
    o.map((q, i) => mul(v(q), num(axes[i]!.s))),
    sp,
  );
  // strictly greater keeps the first maximum in row-major order
  const beats = add(bin('>', load(X, idx), v(best)), bin('!=', load(X, idx), load(X, idx)));
  const pick = withAt
    ? when([...inBounds, bin('>', firstInside ? beats : add(beats, bin('<', v(at), num(0))), num(0))], [set(best, load(X, idx)), set(at, idx)])
    : when([...inBounds, bin('>', beats, num(0))], [set(best, load(X, idx))]);
  let taps: Stmt[] = [pick];
  for (let i = r - 1; i >= 0; i--) {
    const pos: Stmt = { k: 'let', name: p[i]!, e: add(add(mul(v(o[i]!), num(axes[i]!.s)), num(-axes[i]!.p0)), mul(v(kk[i]!), num(axes[i]!.d))) };
    taps = [loop(kk[i]!, axes[i]!.k, [pos, ...taps])];
  }
  const start = firstInside ? [letMut(best, load(X, first)), letMut(at, first)] : [letMut(best, num(-Infinity)), ...(withAt ? [letMut(at, num(-1))] : [])];
  let body: Stmt[] = [...start, ...taps, ...done(v(best), v(at), out, firstInside, first)];
  for (let i = r - 1; i >= 0; i--) body = [loop(o[i]!, osp[i]!, body)];
  const desc = axes.map((q) => `${q.k}/${q.s}/${q.p0}+${q.p1}/${q.d}`).join(' × ');
  const title = `max pool (window/stride/pads/dilation) ${desc}${k.attrs['ceil'] === true ? ' ceil' : ''} on ${fmtShape(xs)}`;
  return [comment(title), loop(nc, xs[0]! * xs[1]!, body)];
};

/**
 * Whether maxpool_grad takes the two-pass kernel: the windows tile the input (every element in exactly one
 * window: size = stride, no leading padding or dilation, O·s = N) and the last axis has at least
 * TILED_MIN_ROW windows. The passes pay where a row of windows fills vectors and the scatter's zero pass
 * and read-modify-write leave the cache (LeNet-5's 6×28×28 gradient: 260 → 155 µs); on short rows the
 * scatter is faster (its 16×10×10 one: 63 µs, 90–105 µs in two passes).
 */
export const TILED_MIN_ROW = 8;
export const tiles = (k: KernelArgs, xs: readonly number[], os: readonly number[]): boolean => {
  const axes = poolAxes(k.attrs);
  // the last tap's offset from the first, Σ (kᵢ − 1)·Πⱼ>ᵢ Nⱼ, must be exact in a float32
  const span = axes.reduce((e, q, i) => e + (q.k - 1) * size(xs.slice(i + 3)), 0);
  return (
    span < 2 ** 24 &&
    os[os.length - 1]! >= TILED_MIN_ROW &&
    axes.every((q, i) => q.p0 === 0 && (q.d === 1 || q.k === 1) && q.s === q.k && os[i + 2]! * q.s === xs[i + 2]!)
  );
};

/**
 * maxpool_grad where the windows tile the input, in two passes that write every element once (no zeros
 * first, no read-modify-write at a computed index, which kept the window loop from vectorizing): the
 * first stores each window's choice as an offset from its first element, at − first (a small integer,
 * exact in a float), at that first element; the second reads it back and writes the window's taps,
 * out[p] = [p − first = choice] · (0 + g[o]).
 */
export const tiledGrad = (k: KernelArgs, xs: readonly number[], os: readonly number[], X: string, G: string): Stmt[] => {
  const axes = poolAxes(k.attrs),
    sp = xs.slice(2),
    osp = os.slice(2);
  const choose = windows(k, xs, os, X, (_best, at, _o, _found, first) => [store(k.out, first, bin('-', at, first))]);
  const nc = k.fresh('nc'),
    choice = k.fresh('choice'),
    g = k.fresh('g'),
    base = k.fresh('first');
  const o = axes.map(() => k.fresh('o')),
    kk = axes.map(() => k.fresh('k'));
  const first = flat(
    v(nc),
    o.map((q, i) => mul(v(q), num(axes[i]!.s))),
    sp,
  );
  const p = flat(
    v(nc),
    o.map((q, i) => add(mul(v(q), num(axes[i]!.s)), v(kk[i]!))),
    sp,
  );
  // 0 + g, as the scatter's zero + g: a −0 cotangent gives +0
  let taps: Stmt[] = [store(k.out, p, sel(bin('==', bin('-', p, v(base)), v(choice)), bin('+', num(0), v(g)), num(0)))];
  for (let i = axes.length - 1; i >= 0; i--) taps = [loop(kk[i]!, axes[i]!.k, taps)];
  let body: Stmt[] = [let_(base, first), let_(choice, load(k.out, v(base))), let_(g, load(G, flat(v(nc), o.map(v), osp))), ...taps];
  for (let i = axes.length - 1; i >= 0; i--) body = [loop(o[i]!, osp[i]!, body)];
  return [...choose, comment('each window: its choice back, then its taps'), loop(nc, xs[0]! * xs[1]!, body)];
};

/** `s` where the window had an input element (at ≥ 0); found: every window has one, so no test. */
export const atIndex = (at: Expr, found: boolean, s: Stmt): Stmt => (found ? s : when([bin('>=', at, num(0))], [s]));
