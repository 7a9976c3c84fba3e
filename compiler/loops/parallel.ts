// Which top-level kernels a printer splits over threads (native: moduleC.ts prints them as units of
// the kernels' pool, runtime/native/poolC.ts): a kernel whose body is one loop, large enough, whose
// iterations are independent. Independent is proved, not assumed:
//   • every index of a buffer the loop writes is affine in the loop variables, c·v + Σ cᵢ·wᵢ + c₀ with
//     constant bounds for the inner ones, every access of that buffer has the same c > 0, and all of
//     them together stay in a window of c elements, so iteration v touches only [c·v + lo, c·v + lo + c);
//   • variables assigned inside are declared inside (nothing is carried from one iteration to the next);
//   • no calls of other kernels and no matrix-product kernels (they have threads of their own).
// Each element is then computed by one iteration exactly as in the serial loop: the same bits for any
// thread count.
import type { Expr, Stmt } from './loops.js';

/** At least this many element stores (iterations × inner trip counts) for the threads to pay off. */
export const PARALLEL_STORES = 1 << 16;

type Linear = Map<string, number>; // variable → coefficient; '' → the constant

const lin = (e: Expr, lets: ReadonlyMap<string, Linear>, loops: ReadonlySet<string>): Linear | undefined => {
  const scale = (l: Linear, s: number): Linear => new Map([...l].map(([k, c]) => [k, c * s]));
  const plus = (a: Linear, b: Linear, s = 1): Linear => {
    const r = new Map(a);
    for (const [k, c] of b) r.set(k, (r.get(k) ?? 0) + s * c);
    return r;
  };
  switch (e.k) {
    case 'num':
      return Number.isInteger(e.v) ? new Map([['', e.v]]) : undefined;
    case 'var':
      return loops.has(e.name) ? new Map([[e.name, 1]]) : lets.get(e.name);
    case 'negate': {
      const a = lin(e.a, lets, loops);
      return a && scale(a, -1);
    }
    case 'bin': {
      if (e.op !== '+' && e.op !== '-' && e.op !== '*') return undefined;
      const [a, b] = [lin(e.a, lets, loops), lin(e.b, lets, loops)];
      if (!a || !b) return undefined;
      if (e.op !== '*') return plus(a, b, e.op === '+' ? 1 : -1);
      const constant = (l: Linear) => [...l.keys()].every((k) => k === '' || l.get(k) === 0);
      if (constant(a)) return scale(b, a.get('') ?? 0);
      if (constant(b)) return scale(a, b.get('') ?? 0);
      return undefined;
    }
    default:
      return undefined;
  }
};

export interface ParallelLoop {
  readonly loop: Stmt & { k: 'for' };
  /** The outer loop's trip count (from 0, step 1). */
  readonly n: number;
}

/** The kernel's one loop if its iterations may run on any threads (see the header), else undefined. */
export const parallelLoop = (body: readonly Stmt[]): ParallelLoop | undefined => {
  const stmts = body.filter((s) => s.k !== 'comment');
  if (stmts.length !== 1 || stmts[0]!.k !== 'for') return undefined;
  const loop = stmts[0] as Stmt & { k: 'for' };
  if (loop.from.k !== 'num' || loop.from.v !== 0 || loop.to.k !== 'num' || loop.step !== 1 || !Number.isInteger(loop.to.v)) return undefined;
  const n = loop.to.v;
  // inner loop variables in scope: [from, to)
  const ranges = new Map<string, readonly [number, number]>();
  const vars = () => new Set([loop.v, ...ranges.keys()]);
  const lets = new Map<string, Linear>();
  const declared = new Set<string>();
  // per buffer: each access's coefficient on the loop variable and its offsets' range within an iteration
  const accesses = new Map<string, { c: number; lo: number; hi: number }[]>();
  const written = new Set<string>();
  let ok = true,
    stores = 0;
  const access = (buf: string, index: Expr) => {
    const l = lin(index, lets, vars());
    let a = { c: Number.NaN, lo: 0, hi: 0 };
    if (l) {
      let lo = l.get('') ?? 0,
        hi = lo;
      for (const [k, coef] of l) {
        if (k === '' || k === loop.v || coef === 0) continue;
        const r = ranges.get(k);
        if (!r || r[1] <= r[0]) {
          lo = Number.NaN;
          break;
        }
        const [x, y] = [coef * r[0], coef * (r[1] - 1)];
        lo += Math.min(x, y);
        hi += Math.max(x, y);
      }
      a = { c: l.get(loop.v) ?? 0, lo, hi };
    }
    const list = accesses.get(buf) ?? [];
    list.push(a);
    accesses.set(buf, list);
  };
  const expr = (e: Expr): void => {
    switch (e.k) {
      case 'load':
        access(e.buf, e.index);
        expr(e.index);
        break;
      case 'bin':
        expr(e.a);
        expr(e.b);
        break;
      case 'negate':
        expr(e.a);
        break;
      case 'call':
        e.args.forEach(expr);
        break;
      case 'sel':
        expr(e.c);
        expr(e.a);
        expr(e.b);
        break;
      default:
        break;
    }
  };
  const walk = (ss: readonly Stmt[], trips: number): void => {
    for (const s of ss) {
      if (!ok) return;
      switch (s.k) {
        case 'comment':
          break;
        case 'let': {
          expr(s.e);
          declared.add(s.name);
          const l = s.mutable ? undefined : lin(s.e, lets, vars());
          if (l) lets.set(s.name, l);
          else lets.delete(s.name);
          break;
        }
        case 'set':
          expr(s.e);
          if (!declared.has(s.name)) ok = false;
          lets.delete(s.name);
          break;
        case 'store':
          expr(s.e);
          expr(s.index);
          access(s.buf, s.index);
          written.add(s.buf);
          stores += trips;
          break;
        case 'if':
          s.conds.forEach(expr);
          walk(s.body, trips);
          break;
        case 'for': {
          if (s.from.k !== 'num' || s.to.k !== 'num' || s.step !== 1 || s.v === loop.v || ranges.has(s.v)) {
            ok = false;
            return;
          }
          ranges.set(s.v, [s.from.v, s.to.v]);
          walk(s.body, trips * Math.max(0, s.to.v - s.from.v));
          ranges.delete(s.v);
          break;
        }
        default:
          ok = false;
          return;
      }
    }
  };
  walk(loop.body, n);
  if (!ok || stores < PARALLEL_STORES || n < 2) return undefined;
  for (const buf of written) {
    const list = accesses.get(buf)!;
    const c = list[0]!.c;
    if (!(c > 0) || list.some((a) => a.c !== c || Number.isNaN(a.lo))) return undefined;
    const lo = list.reduce((m, a) => Math.min(m, a.lo), Infinity),
      hi = list.reduce((m, a) => Math.max(m, a.hi), -Infinity);
    if (hi - lo >= c) return undefined;
  }
  return { loop, n };
};
