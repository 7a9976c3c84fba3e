// An elementwise float32 loop printed four lanes at a time (f32x4), where that stores the same values
// as the scalar printer: `for v in [a, b) out[p + v] = e` whose loads are each contiguous in v (index
// q + v) or the same for every v (a splat), and whose value is computed in f64 and rounded once, at
// the store, by the scalar printer. Four lanes compute in float32, so they equal it only where no
// rounding happens before the store:
//   exact (V): float32 loads, constants float32 represents, −V, |V|, min/max(V, V), selects of V;
//   rounded once (R): V + V, V − V, V · V, V / V, √V, and −R, |R| (sign and magnitude commute with
//   rounding): allowed only as the stored value or an arm of the stored select, since a float32 R fed
//   to another operation would round twice where f64 rounds once;
//   conditions: comparisons of V with V, and of V ± V with 0 (an exact sum of two floats is 0 exactly
//   when its rounding is, and has its sign), so relu(x + b) and a bias add qualify.
// A load inside a select's arm must also be read by its condition (then every lane may read it: the
// scalar printer reads it exactly where the condition holds, or the select already reads both arms).
// The store's buffer is read only at the store's own index (an update in place). Ragged ends: the
// scalar body.
import type { Expr, Stmt } from '../loops/loops.js';
import { OP, doWhile, get, i32, ifElse, op, set, v128Load, v128Load32Splat, v128Store, type Code } from '../../runtime/wasm/encode.js';
import type { WasmPrinter } from './emitWasm.js';
import { invariant, offsetOf, substitute } from './narrow.js';

type Cls = 'V' | 'R+' | 'R';

const simd = (code: number): number[] => [0xfd, ...(code < 0x80 ? [code] : [(code & 0x7f) | 0x80, code >> 7])];
const F32X4: Record<string, number> = { '+': 0xe4, '-': 0xe5, '*': 0xe6, '/': 0xe7 };
const CMP4: Record<string, number> = { '==': 0x41, '!=': 0x42, '<': 0x43, '>': 0x44, '<=': 0x45, '>=': 0x46 };
const f32Bits = (x: number): number[] => [...new Uint8Array(new Float32Array([x]).buffer)];

/** `(a < b) != 0` (a comparison tested as a value, as lowerings write a condition) is `a < b`. */
const unwrap = (c: Expr): Expr => (c.k === 'bin' && c.op === '!=' && c.b.k === 'num' && c.b.v === 0 && c.a.k === 'bin' && CMP4[c.a.op] !== undefined ? c.a : c);

export const vectorMap = (pr: WasmPrinter, s: Stmt & { k: 'for' }): Code | undefined => {
  if (pr.ctx.elem !== 'f32' || s.step !== 1) return undefined;
  const st = s.body[s.body.length - 1];
  const lets = s.body.slice(0, -1);
  if (st?.k !== 'store' || !lets.every((x) => x.k === 'let' && !x.mutable)) return undefined;
  if (pr.type(s.from) !== 'i' || pr.type(s.to) !== 'i') return undefined;
  const defs = new Map<string, Expr>();
  for (const x of lets) if (x.k === 'let') defs.set(x.name, substitute(x.e, defs));
  const loopVars = new Set([s.v]);
  const index = substitute(st.index, defs);
  if (!offsetOf(index, s.v, loopVars)) return undefined;
  const value = substitute(st.e, defs);
  const key = JSON.stringify(index);

  const loadKind = (e: Expr & { k: 'load' }): 'vec' | 'splat' | undefined => {
    if (e.buf === st.buf && JSON.stringify(e.index) !== key) return undefined;
    if (offsetOf(e.index, s.v, loopVars)) return 'vec';
    return invariant(e.index, loopVars) ? 'splat' : undefined;
  };
  const loads = (e: Expr, out: string[] = []): string[] => {
    if (e.k === 'load') out.push(JSON.stringify(e));
    else if (e.k === 'bin') loads(e.b, loads(e.a, out));
    else if (e.k === 'negate') loads(e.a, out);
    else if (e.k === 'sel') loads(e.b, loads(e.a, loads(e.c, out)));
    else if (e.k === 'call') for (const a of e.args) loads(a, out);
    return out;
  };
  const cond = (c0: Expr): boolean => {
    const c = unwrap(c0);
    if (c.k !== 'bin' || CMP4[c.op] === undefined) return false;
    const [a, b] = [cls(c.a), cls(c.b)];
    const zero = (e: Expr) => e.k === 'num' && e.v === 0;
    return (a === 'V' && b === 'V') || (a === 'R+' && zero(c.b)) || (b === 'R+' && zero(c.a));
  };
  const cls = (e: Expr): Cls | undefined => {
    switch (e.k) {
      case 'num':
        return Number.isNaN(e.v) || Math.fround(e.v) === e.v ? 'V' : undefined;
      case 'var':
        return undefined;
      case 'load':
        return loadKind(e) ? 'V' : undefined;
      case 'negate':
        return cls(e.a);
      case 'bin': {
        if (F32X4[e.op] === undefined || cls(e.a) !== 'V' || cls(e.b) !== 'V') return undefined;
        return e.op === '+' || e.op === '-' ? 'R+' : 'R';
      }
      case 'call': {
        const xs = e.args.map(cls);
        if ((e.fn === 'abs' || e.fn === 'sqrt') && xs.length === 1) return e.fn === 'sqrt' ? (xs[0] === 'V' ? 'R' : undefined) : xs[0];
        return (e.fn === 'min' || e.fn === 'max') && xs.length === 2 && xs.every((x) => x === 'V') ? 'V' : undefined;
      }
      case 'sel': {
        if (!cond(e.c)) return undefined;
        const inCond = new Set(loads(e.c));
        if (![...loads(e.a), ...loads(e.b)].every((l) => inCond.has(l))) return undefined;
        const [a, b] = [cls(e.a), cls(e.b)];
        if (!a || !b) return undefined;
        return a === 'V' && b === 'V' ? 'V' : 'R';
      }
    }
  };
  // the stored value may be rounded once; anything below it must be exact (cls checks operands)
  if (!cls(value)) return undefined;

  const vec = (e: Expr): Code => {
    switch (e.k) {
      case 'num':
        return [0x43, ...f32Bits(e.v), ...simd(0x13)];
      case 'load': {
        const { addr, offset } = pr.address(e.buf, e.index);
        return loadKind(e) === 'vec' ? v128Load(addr, offset) : v128Load32Splat(addr, offset);
      }
      case 'negate':
        return [...vec(e.a), ...simd(0xe1)];
      case 'bin':
        return [...vec(e.a), ...vec(e.b), ...simd(F32X4[e.op]!)];
      case 'call':
        if (e.fn === 'abs') return [...vec(e.args[0]!), ...simd(0xe0)];
        if (e.fn === 'sqrt') return [...vec(e.args[0]!), ...simd(0xe3)];
        return [...vec(e.args[0]!), ...vec(e.args[1]!), ...simd(e.fn === 'min' ? 0xe8 : 0xe9)];
      case 'sel': {
        const c = unwrap(e.c) as Expr & { k: 'bin' };
        // v128.bitselect(a, b, mask): a's bits where the lane's comparison holds, b's elsewhere
        return [...vec(e.a), ...vec(e.b), ...vec(c.a), ...vec(c.b), ...simd(CMP4[c.op]!), ...simd(0x52)];
      }
      case 'var':
        throw new Error('vectorMap: a variable as a value');
    }
  };
  const j = pr.local(s.v).idx;
  const to = pr.tmp('i');
  const { addr, offset } = pr.address(st.buf, index);
  const next = (n: number): Code => set(j, op(OP.i32Add, get(j), i32(n)));
  const fits = (n: number): Code => op(OP.i32LeS, op(OP.i32Add, get(j), i32(n)), get(to));
  return [
    ...set(j, pr.expr(s.from)),
    ...set(to, pr.expr(s.to)),
    ...ifElse(fits(4), undefined, doWhile([...v128Store(addr, vec(value), offset), ...next(4)], fits(4))),
    ...ifElse(op(OP.i32LtS, get(j), get(to)), undefined, doWhile([...pr.stmts(s.body), ...next(1)], op(OP.i32LtS, get(j), get(to)))),
  ];
};
