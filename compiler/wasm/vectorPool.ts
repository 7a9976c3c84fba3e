// A max pool's forward loop (ops/pool.ts `windows` without the index) printed four outputs at a time
// on f32x4 lanes, storing exactly the bits the scalar printer stores. The loop it recognises, over the
// last output axis o (stride 2 along the row):
//   for o in [a, b) { let mut best = −∞; <taps: constant-bound loops and lets>
//     if (guards…, ((X[i] > best) + (X[i] != X[i])) > 0) best = X[i]; …; Y[q + o] = best }
// with every tap's index i = r + 2·o + c (r the same affine form for every tap, c a constant), the
// store's index q + o, and each guard either free of o (a row bound: kept as a branch) or an affine
// bound on o alone (a column bound: evaluated here, for every o, to find the outputs whose every tap
// is inside the row). Four outputs o…o+3 read taps 2o + c + {0, 2, 4, 6}: the even or the odd lanes of
// eight consecutive floats, picked by i8x16.shuffle. The running maximum mirrors the scalar rule
// lane by lane: take x where x > best or x ≠ x (v128.bitselect on f32x4.gt | f32x4.ne), so a NaN
// wins and propagates (the last NaN of a window), and of equal values (±0, ties) the first is kept;
// f32x4.max would differ on both. The scalar path rounds its f64 maximum back to float32, which quiets
// a signalling NaN (sets bit 22): the lanes do the same to a NaN result before the store.
// Eight floats may be read where the scalar reads seven: only when the eighth is a tap the scalar
// reads itself under the same guards (so it is inside the buffer). Outputs outside the vector range
// (padding, a width not a multiple of 4) run the scalar body. Float32 modules only.
import { loadsIn, type Expr, type Stmt } from '../loops/loops.js';
import { OP, V128, doWhile, get, i32, ifElse, op, set, v128Load, v128Store, type Code } from '../../runtime/wasm/encode.js';
import type { WasmPrinter } from './emitWasm.js';
import { invariant, substitute } from './narrow.js';
import { isIntLiteral } from './wasmOps.js';

/** How often the form was used, and whether it may be (tests check it is used, and compare with it off). */
export const vectorPoolStats = { loops: 0, enabled: true };

const simd = (code: number): number[] => [0xfd, ...(code < 0x80 ? [code] : [(code & 0x7f) | 0x80, code >> 7])];
const V = { shuffle: 0x0d, const: 0x0c, and: 0x4e, or: 0x50, bitselect: 0x52, ne: 0x42, gt: 0x44 };
const bytesOf = (words: readonly number[]): number[] => [...new Uint8Array(new Uint32Array(words).buffer)];
const v128Const = (word: number): Code => [...simd(V.const), ...bytesOf([word, word, word, word])];
/** Lanes 0, 2 (even) or 1, 3 (odd) of a, then of b: floats 2k + parity of the eight a:b holds. */
const pick = (a: Code, b: Code, parity: 0 | 1): Code => {
  const lanes = [0, 2, 4, 6].map((l) => l + parity).flatMap((l) => [0, 1, 2, 3].map((byte) => 4 * l + byte));
  return [...a, ...b, ...simd(V.shuffle), ...lanes];
};
const vop = (code: number, ...args: readonly Code[]): Code => [...args.flat(), ...simd(code)];

/** An integer affine form Σ coef·var + c, or undefined where e is not one. */
interface Lin {
  m: Map<string, number>;
  c: number;
}
const lin = (e: Expr): Lin | undefined => {
  switch (e.k) {
    case 'num':
      return isIntLiteral(e.v) ? { m: new Map(), c: e.v } : undefined;
    case 'var':
      return { m: new Map([[e.name, 1]]), c: 0 };
    case 'negate': {
      const a = lin(e.a);
      return a && scale(a, -1);
    }
    case 'bin': {
      const [a, b] = [lin(e.a), lin(e.b)];
      if (!a || !b) return undefined;
      if (e.op === '+' || e.op === '-') {
        const s = e.op === '+' ? 1 : -1;
        const m = new Map(a.m);
        for (const [k, x] of b.m) m.set(k, (m.get(k) ?? 0) + s * x);
        return { m, c: a.c + s * b.c };
      }
      if (e.op === '*') return !a.m.size ? scale(b, a.c) : !b.m.size ? scale(a, b.c) : undefined;
      return undefined;
    }
    default:
      return undefined;
  }
};
const scale = (a: Lin, k: number): Lin => ({ m: new Map([...a.m].map(([v, x]) => [v, x * k])), c: a.c * k });
/** The variable part of a form without `v`, as a key (zero coefficients dropped). */
const restKey = (a: Lin, v: string): string => JSON.stringify([...a.m].filter(([k, x]) => k !== v && x !== 0).sort(([p], [q]) => (p < q ? -1 : 1)));

const varsOf = (e: Expr, out: string[] = []): string[] => {
  if (e.k === 'var') out.push(e.name);
  else if (e.k === 'load') varsOf(e.index, out);
  else if (e.k === 'negate') varsOf(e.a, out);
  else if (e.k === 'bin') varsOf(e.b, varsOf(e.a, out));
  else if (e.k === 'sel') varsOf(e.b, varsOf(e.a, varsOf(e.c, out)));
  else if (e.k === 'call') for (const a of e.args) varsOf(a, out);
  return out;
};

interface Tap {
  /** The load's index with every tap variable replaced by its constant. */
  index: Expr;
  c: number;
  /** Guards free of o (branches), and column bounds as (coef, const, op): coef·o + const op 0. */
  guards: Expr[];
  cols: { k: number; c: number; op: string }[];
  guardKey: string;
}

const CMP: Record<string, (a: number) => boolean> = {
  '<': (a) => a < 0,
  '<=': (a) => a <= 0,
  '>': (a) => a > 0,
  '>=': (a) => a >= 0,
  '==': (a) => a === 0,
  '!=': (a) => a !== 0,
};

/** Loops this form printed as its own scalar head and tail: never taken again. */
const scalarParts = new WeakSet<Stmt>();

export const vectorPool = (pr: WasmPrinter, s: Stmt & { k: 'for' }): Code | undefined => {
  if (pr.ctx.elem !== 'f32' || s.step !== 1 || scalarParts.has(s) || !vectorPoolStats.enabled) return undefined;
  if (s.from.k !== 'num' || s.to.k !== 'num' || !isIntLiteral(s.from.v) || !isIntLiteral(s.to.v)) return undefined;
  const body = s.body.filter((x) => x.k !== 'comment');
  const [init, st] = [body[0], body[body.length - 1]];
  if (init?.k !== 'let' || !init.mutable || init.e.k !== 'num' || init.e.v !== -Infinity) return undefined;
  const best = init.name;
  if (st?.k !== 'store' || st.e.k !== 'var' || st.e.name !== best || pr.type(st.index) !== 'i') return undefined;
  const out = lin(st.index);
  if (out?.m.get(s.v) !== 1) return undefined;

  // the taps, their loop variables replaced by constants
  const raw: { conds: Expr[]; load: Expr & { k: 'load' } }[] = [];
  // names the body defines: what the lanes compute may read none of them (only o and outer variables)
  const inner = new Set<string>([best]);
  const walk = (ss: readonly Stmt[], env: Map<string, Expr>): boolean => {
    for (const x of ss) {
      if (x.k === 'comment') continue;
      if (x.k === 'let' && !x.mutable && x.name !== best) {
        inner.add(x.name);
        env.set(x.name, substitute(x.e, env));
      } else if (x.k === 'for') {
        if (x.from.k !== 'num' || x.to.k !== 'num' || !isIntLiteral(x.from.v) || !isIntLiteral(x.to.v) || !Number.isInteger(x.step) || x.step <= 0)
          return false;
        inner.add(x.v);
        for (let k = x.from.v; k < x.to.v; k += x.step) if (raw.length > 16 || !walk(x.body, new Map(env).set(x.v, { k: 'num', v: k }))) return false;
      } else if (x.k === 'if') {
        const [set0] = x.body;
        if (x.body.length !== 1 || set0?.k !== 'set' || set0.name !== best || set0.e.k !== 'load') return false;
        raw.push({ conds: x.conds.map((c) => substitute(c, env)), load: substitute(set0.e, env) as Expr & { k: 'load' } });
      } else return false;
    }
    return true;
  };
  if (!walk(body.slice(1, -1), new Map()) || !raw.length || raw.length > 16) return undefined;

  const taps: Tap[] = [];
  let rest: string | undefined;
  if (varsOf(st.index).some((x) => inner.has(x))) return undefined;
  const only = new Set([s.v, best]);
  for (const t of raw) {
    const L = t.load;
    if (L.buf !== raw[0]!.load.buf || L.buf === st.buf || pr.type(L.index) !== 'i') return undefined;
    // the last condition is exactly `((L > best) + (L != L)) > 0`: any other test declines
    const key = JSON.stringify(L);
    const last = t.conds[t.conds.length - 1];
    const same = (e: Expr) => JSON.stringify(e) === key;
    if (last?.k !== 'bin' || last.op !== '>' || last.b.k !== 'num' || last.b.v !== 0 || last.a.k !== 'bin' || last.a.op !== '+') return undefined;
    const [gt, ne] = [last.a.a, last.a.b];
    if (gt.k !== 'bin' || gt.op !== '>' || !same(gt.a) || gt.b.k !== 'var' || gt.b.name !== best) return undefined;
    if (ne.k !== 'bin' || ne.op !== '!=' || !same(ne.a) || !same(ne.b)) return undefined;
    const f = lin(L.index);
    if (f?.m.get(s.v) !== 2) return undefined;
    const r = restKey(f, s.v);
    if (rest !== undefined && r !== rest) return undefined;
    rest = r;
    const guards: Expr[] = [];
    const cols: Tap['cols'] = [];
    for (const c of t.conds.slice(0, -1)) {
      if (loadsIn(c).length) return undefined;
      if (invariant(c, only)) {
        guards.push(c);
        continue;
      }
      if (c.k !== 'bin' || CMP[c.op] === undefined || pr.type(c.a) !== 'i' || pr.type(c.b) !== 'i') return undefined;
      const d = lin({ k: 'bin', op: '-', a: c.a, b: c.b });
      if (!d || [...d.m].some(([k, x]) => k !== s.v && x !== 0)) return undefined;
      cols.push({ k: d.m.get(s.v) ?? 0, c: d.c, op: c.op });
    }
    if ([L.index, ...t.conds.slice(0, -1)].some((e) => varsOf(e).some((x) => inner.has(x)))) return undefined;
    taps.push({ index: L.index, c: f.c, guards, cols, guardKey: JSON.stringify(guards) });
  }

  // the outputs whose every tap passes its column bounds: one run [lo, hi)
  const inside = (o: number) => taps.every((t) => t.cols.every((b) => CMP[b.op]!(b.k * o + b.c)));
  let lo = s.from.v;
  while (lo < s.to.v && !inside(lo)) lo++;
  let hi = lo;
  while (hi < s.to.v && inside(hi)) hi++;
  const vecEnd = lo + 4 * Math.floor((hi - lo) / 4);
  if (vecEnd === lo) return undefined;

  // each tap's eight floats: from its own first (even lanes) when the next float is a tap under the
  // same guards, else from the float before it (odd lanes) when that one is
  const plan = taps.map((t) => {
    const has = (c: number) => taps.some((u) => u.c === c && u.guardKey === t.guardKey);
    return has(t.c + 1) ? { start: 0, parity: 0 as const } : has(t.c - 1) ? { start: -1, parity: 1 as const } : undefined;
  });
  if (plan.some((p) => !p)) return undefined;

  // v128 locals: an i32 temporary's index, then ours after it (the printer's locals are I32 or F64)
  const v128s = (n: number): number[] => {
    const before = pr.tmp('i');
    for (let i = 0; i < n; i++) pr.locals.push(V128);
    return Array.from({ length: n }, (_, i) => before + 1 + i);
  };
  const [vb, vx] = v128s(2) as [number, number];
  const pairs: number[][] = [];
  const src = raw[0]!.load.buf;
  const j = pr.local(s.v).idx;
  const groups: Code[] = [];
  for (let g = 0; g < taps.length; ) {
    let e = g;
    while (e < taps.length && taps[e]!.guardKey === taps[g]!.guardKey) e++;
    const code: number[] = [];
    // taps under the same guards whose eight floats start at the same place share the two loads
    const loaded = new Map<number, number[]>();
    for (let t = g; t < e; t++) {
      const tap = taps[t]!,
        p = plan[t]!;
      let pair = loaded.get(tap.c + p.start);
      if (!pair) {
        if (pairs.length <= loaded.size) pairs.push(v128s(2));
        pair = pairs[loaded.size]!;
        loaded.set(tap.c + p.start, pair);
        const at = pr.address(src, p.start ? { k: 'bin', op: '+', a: tap.index, b: { k: 'num', v: p.start } } : tap.index);
        const addr = pr.tmp('i');
        code.push(...set(addr, at.addr), ...set(pair[0]!, v128Load(get(addr), at.offset)), ...set(pair[1]!, v128Load(get(addr), at.offset + 16)));
      }
      code.push(
        ...set(vx, pick(get(pair[0]!), get(pair[1]!), p.parity)),
        ...set(vb, vop(V.bitselect, get(vx), get(vb), vop(V.or, vop(V.gt, get(vx), get(vb)), vop(V.ne, get(vx), get(vx))))),
      );
    }
    let guarded: Code = code;
    for (let i = taps[g]!.guards.length - 1; i >= 0; i--) guarded = ifElse(pr.cond(taps[g]!.guards[i]!), undefined, guarded);
    groups.push(guarded);
    g = e;
  }
  const dst = pr.address(st.buf, st.index);
  const quiet = vop(V.or, get(vb), vop(V.and, vop(V.ne, get(vb), get(vb)), v128Const(0x00400000)));
  const vector = doWhile(
    [...set(vb, v128Const(0xff800000)), ...groups.flat(), ...v128Store(dst.addr, quiet, dst.offset), ...set(j, op(OP.i32Add, get(j), i32(4)))],
    op(OP.i32LtS, get(j), i32(vecEnd)),
  );
  const part = (from: number, to: number): Code => {
    if (to <= from) return [];
    const loop: Stmt = { ...s, from: { k: 'num', v: from }, to: { k: 'num', v: to } };
    scalarParts.add(loop);
    return pr.stmts([loop]);
  };
  vectorPoolStats.loops++;
  return [...part(s.from.v, lo), ...set(j, i32(lo)), ...vector, ...part(vecEnd, s.to.v)];
};
