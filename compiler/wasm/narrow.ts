// Loop IR → loop IR rewrites the WebAssembly printer applies to each kernel body first; each keeps
// every store and its value exactly (the kernel-level property in tests/wasm.test.ts checks them).
//
// Bounds narrowing: a loop whose body is pure lets and then one `if` guarding an offset of the loop
// variable, the shape of a padded convolution's im2col gather and col2im scatter,
//
//   for v in [from, to) { let w = v + c; if (w >= 0 && w < K && rest) body }
//
// runs over the iterations where the guard holds instead, v in [max(from, −c), min(to, K − c)),
// with only `rest` left to test (iterations outside did nothing but compute the lets). Conditions the
// loop cannot change (a max pool's row bound inside its column loop) are tested once, before it.
import { COMPARISONS, bin, rewriteExpr, sel, type Expr, type Stmt } from '../loops/loops.js';

/** Whether e reads none of `vars` (and no memory: the bounds are computed before the loop). */
export const invariant = (e: Expr, vars: ReadonlySet<string>): boolean => {
  switch (e.k) {
    case 'num':
      return Number.isInteger(e.v) && !Object.is(e.v, -0);
    case 'var':
      return !vars.has(e.name);
    case 'bin':
      return (e.op === '+' || e.op === '-' || e.op === '*') && invariant(e.a, vars) && invariant(e.b, vars);
    case 'negate':
      return invariant(e.a, vars);
    default:
      return false;
  }
};

/** c with e = v + c (c invariant), or undefined. */
export const offsetOf = (e: Expr, v: string, vars: ReadonlySet<string>): Expr | undefined => {
  if (e.k === 'var' && e.name === v) return { k: 'num', v: 0 };
  if (e.k !== 'bin' || (e.op !== '+' && e.op !== '-')) return undefined;
  const a = offsetOf(e.a, v, vars);
  if (a && invariant(e.b, vars)) return bin(e.op, a, e.b);
  if (e.op === '+' && invariant(e.a, vars)) {
    const b = offsetOf(e.b, v, vars);
    if (b) return bin('+', e.a, b);
  }
  return undefined;
};

const max = (a: Expr, b: Expr): Expr => sel(bin('>', a, b), a, b);
const min = (a: Expr, b: Expr): Expr => sel(bin('<', a, b), a, b);

const narrowFor = (s: Stmt & { k: 'for' }): Stmt => {
  const body = s.body.map(narrowStmt);
  const last = body[body.length - 1];
  const lets = body.slice(0, -1);
  if (s.step !== 1 || !last || last.k !== 'if' || !lets.every((x) => (x.k === 'let' && !x.mutable) || x.k === 'comment')) return { ...s, body };
  // names the loop defines or that change inside it: bounds must not read them
  const local = new Set<string>([s.v]);
  for (const x of lets) if (x.k === 'let') local.add(x.name);
  const offsets = new Map<string, Expr>();
  for (const x of lets) {
    if (x.k !== 'let') continue;
    const c = offsetOf(x.e, s.v, local);
    if (c) offsets.set(x.name, c);
  }
  const offsetOfVar = (e: Expr): Expr | undefined => (e.k === 'var' ? (e.name === s.v ? { k: 'num', v: 0 } : offsets.get(e.name)) : offsetOf(e, s.v, local));
  let from = s.from,
    to = s.to;
  const rest: Expr[] = [];
  // conditions the loop does not change (and that read no memory) are tested once, before it
  const hoisted: Expr[] = [];
  for (const c of last.conds) {
    if (c.k === 'bin' && COMPARISONS.has(c.op) && invariant(c.a, local) && invariant(c.b, local)) {
      hoisted.push(c);
      continue;
    }
    if (c.k === 'bin' && c.op === '>=' && c.b.k === 'num' && c.b.v === 0) {
      const off = offsetOfVar(c.a);
      if (off) {
        from = max(from, bin('-', { k: 'num', v: 0 }, off)); // v + off ≥ 0  ⇔  v ≥ −off
        continue;
      }
    }
    if (c.k === 'bin' && c.op === '<' && invariant(c.b, local)) {
      const off = offsetOfVar(c.a);
      if (off) {
        to = min(to, bin('-', c.b, off)); // v + off < K  ⇔  v < K − off
        continue;
      }
    }
    rest.push(c);
  }
  if (rest.length === last.conds.length) return { ...s, body };
  const inner = rest.length ? [{ ...last, conds: rest }] : last.body;
  const loop: Stmt = { ...s, from, to, body: [...lets, ...inner] };
  return hoisted.length ? { k: 'if', conds: hoisted, body: [loop] } : loop;
};

const narrowStmt = (s: Stmt): Stmt => {
  if (s.k === 'for') return narrowFor(s);
  if (s.k === 'if') return { ...s, body: s.body.map(narrowStmt) };
  return s;
};

// ---- guards that always hold ---------------------------------------------------------------------------
// With loop bounds that are constants, each loop variable lies in [from, to − 1] and each integral let in
// an interval computed from its expression; a bounds test such as `h >= 0 && h < 28` that holds over the
// whole interval (an unpadded pool or convolution) is dropped before narrowing.

type Interval = readonly [number, number];
type Env = ReadonlyMap<string, Interval>;

const interval = (e: Expr, env: Env): Interval | undefined => {
  switch (e.k) {
    case 'num':
      return Number.isInteger(e.v) && Math.abs(e.v) < 2 ** 31 ? [e.v, e.v] : undefined;
    case 'var':
      return env.get(e.name);
    case 'negate': {
      const a = interval(e.a, env);
      return a && [-a[1], -a[0]];
    }
    case 'bin': {
      const a = interval(e.a, env),
        b = interval(e.b, env);
      if (!a || !b) return undefined;
      if (e.op === '+') return [a[0] + b[0], a[1] + b[1]];
      if (e.op === '-') return [a[0] - b[1], a[1] - b[0]];
      if (e.op === '*') {
        const xs = [a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1]];
        return [xs.reduce((m, x) => Math.min(m, x)), xs.reduce((m, x) => Math.max(m, x))];
      }
      return undefined;
    }
    default:
      return undefined;
  }
};

/** Whether a comparison holds for every value in the intervals of its sides. */
const alwaysTrue = (c: Expr, env: Env): boolean => {
  if (c.k !== 'bin') return false;
  const a = interval(c.a, env),
    b = interval(c.b, env);
  if (!a || !b) return false;
  switch (c.op) {
    case '<':
      return a[1] < b[0];
    case '<=':
      return a[1] <= b[0];
    case '>':
      return a[0] > b[1];
    case '>=':
      return a[0] >= b[1];
    default:
      return false;
  }
};

const assignedIn = (ss: readonly Stmt[], out = new Set<string>()): Set<string> => {
  for (const s of ss) {
    if (s.k === 'set' || (s.k === 'let' && s.mutable)) out.add(s.name);
    if (s.k === 'for') {
      out.add(s.v);
      assignedIn(s.body, out);
    }
    if (s.k === 'if') assignedIn(s.body, out);
  }
  return out;
};

const dropProven = (ss: readonly Stmt[], outer: Env): Stmt[] => {
  const env = new Map(outer);
  const out: Stmt[] = [];
  for (const s of ss) {
    if (s.k === 'let') {
      const r = s.mutable ? undefined : interval(s.e, env);
      if (r) env.set(s.name, r);
      else env.delete(s.name);
      out.push(s);
    } else if (s.k === 'set') {
      env.delete(s.name);
      out.push(s);
    } else if (s.k === 'for') {
      const lo = interval(s.from, env),
        hi = interval(s.to, env);
      const inner = new Map(env);
      for (const x of assignedIn(s.body)) inner.delete(x);
      if (lo && hi && s.step > 0 && !assignedIn(s.body).has(s.v)) inner.set(s.v, [lo[0], hi[1] - 1]);
      else inner.delete(s.v);
      out.push({ ...s, body: dropProven(s.body, inner) });
      env.delete(s.v);
    } else if (s.k === 'if') {
      const conds = s.conds.filter((c) => !alwaysTrue(c, env));
      const body = dropProven(s.body, env);
      if (conds.length) out.push({ ...s, conds, body });
      else out.push(...body);
    } else out.push(s);
  }
  return out;
};

export const narrowBounds = (ss: readonly Stmt[]): Stmt[] => dropProven(ss, new Map()).map(narrowStmt);

/** e with the variables `lets` defines replaced by their expressions (to see an index as an offset of a loop variable). */
export const substitute = (e: Expr, lets: ReadonlyMap<string, Expr>): Expr => rewriteExpr(e, (x) => (x.k === 'var' ? (lets.get(x.name) ?? x) : undefined));
