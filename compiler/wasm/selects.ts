// Branch-free printing of the loop IR's conditionals in WebAssembly (emitWasm.ts's printer calls these):
// which select arms may be evaluated whatever the condition, the select of f64 values through their bits,
// and an `if` that only assigns locals (a max pool's running maximum) printed as selects.
import { loadsIn, type Expr, type Stmt } from '../loops/loops.js';
import { OP, get, ifElse, set, type Code } from '../../runtime/wasm/encode.js';
import type { WasmPrinter } from './emitWasm.js';
import { loadsOrVars, replaceLoads, unconditionalLoads } from './loopFacts.js';
import type { T } from './wasmOps.js';

/**
 * Whether an arm of a select may be evaluated whatever the condition (wasm's `select`, no branch to
 * mispredict on data: relu(x + b), a max pool's running maximum): no calls (cost), and every load in
 * it is in bounds whenever the condition's loads are — the same load, or the same index into a buffer
 * at least as large as one the condition reads (sizes known: not a loop body's parameters).
 */
export const safeArm = (p: WasmPrinter, arm: Expr, c: Expr): boolean => {
  if (plain(arm)) return true;
  if (!p.ctx.bufferSize) return false;
  const inCond = loadsIn(c);
  const ok = (e: Expr): boolean => {
    switch (e.k) {
      case 'num':
      case 'var':
        return true;
      case 'call':
        return false;
      case 'load': {
        const key = JSON.stringify(e.index);
        const size = p.isParam(e.buf) ? undefined : p.ctx.bufferSize!(e.buf);
        return (
          size !== undefined &&
          inCond.some((l) => {
            if (JSON.stringify(l.index) !== key || p.isParam(l.buf)) return false;
            const s = p.ctx.bufferSize!(l.buf);
            return s !== undefined && s <= size;
          })
        );
      }
      case 'negate':
        return ok(e.a);
      case 'sel':
        return ok(e.c) && ok(e.a) && ok(e.b);
      case 'bin':
        return ok(e.a) && ok(e.b);
    }
  };
  return ok(arm);
};

/** Reads each distinct load once into a fresh f64 local: the code, and load (by structure) → its variable. */
export const loadOnce = (p: WasmPrinter, loads: readonly (Expr & { k: 'load' })[]): { pre: Code; map: Map<string, string> } => {
  const map = new Map<string, string>();
  const pre: number[] = [];
  for (const l of loads) {
    const key = JSON.stringify(l);
    if (map.has(key)) continue;
    const t = p.tmpVar('f');
    pre.push(...set(t.idx, p.expr(l)));
    map.set(key, t.name);
  }
  return { pre, map };
};

/**
 * `c ? a : b` without a branch. V8 compiles an f64 `select` to a branch on x64 (no conditional move
 * between float registers), so f64 values go through their bits: an i64 select (cmov) between
 * i64.reinterpret_f64 of both, 4× faster on data-dependent conditions (relu, a running maximum).
 */
export const selectCode = (t: T, a: Code, b: Code, c: Code): Code => {
  if (t === 'i') return [...a, ...b, ...c, OP.select];
  return [...a, OP.i64ReinterpretF64, ...b, OP.i64ReinterpretF64, ...c, OP.select, OP.f64ReinterpretI64];
};

/** A pure expression without loads or calls is cheap and safe to evaluate on both arms (`select`). */
const plain = (e: Expr): boolean => {
  switch (e.k) {
    case 'num':
    case 'var':
      return true;
    case 'load':
    case 'call':
      return false;
    case 'negate':
      return plain(e.a);
    case 'sel':
      return plain(e.c) && plain(e.a) && plain(e.b);
    case 'bin':
      return plain(e.a) && plain(e.b);
  }
};

/**
 * An `if` whose body only assigns locals from values safe to evaluate whenever its last condition is
 * (a max pool's `best = x; at = i`) assigns through selects, `x = c ? e : x`, with the earlier
 * conditions (bounds, which guard the loads) still a branch, as the C printer does.
 */
export const selectIf = (p: WasmPrinter, s: Stmt & { k: 'if' }): Code | undefined => {
  const last = s.conds[s.conds.length - 1];
  if (!last || !s.body.length || !s.body.every((b) => b.k === 'set' && safeArm(p, b.e, last))) return undefined;
  // a later value may read an earlier variable's old value: keep the branch then
  if (s.body.some((b, i) => s.body.slice(i + 1).some((later) => loadsOrVars(later).has((b as Stmt & { k: 'set' }).name)))) return undefined;
  const c = p.tmp('i');
  // the condition's loads are read once, before it, and shared by the values (a max pool's x)
  const { pre, map } = loadOnce(p, unconditionalLoads(last));
  const sets = s.body.flatMap((b) => {
    const x = b as Stmt & { k: 'set' };
    const l = p.local(x.name);
    return set(l.idx, selectCode(l.t, p.as(replaceLoads(x.e, map), l.t), get(l.idx), get(c)));
  });
  let code: Code = [...pre, ...set(c, p.cond(replaceLoads(last, map))), ...sets];
  for (let i = s.conds.length - 2; i >= 0; i--) code = ifElse(p.cond(s.conds[i]!), undefined, code);
  return code;
};
