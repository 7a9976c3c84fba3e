// Which variables of a loop-IR body are integral, for the printers of typed languages (C, WebAssembly):
// the loop IR is untyped, as JavaScript is. Optimistic start — every loop variable and every assigned
// variable is integral — then, to a fixpoint, drop each variable with an assignment the printer's
// `isInt` does not call integral (it reads `ints` as it stands, so a drop can cause others).
import type { Expr, Stmt } from './loops.js';

/**
 * Fills `ints` with the integral variables of `body`. `pinLoopVars`: loop variables stay integral even
 * when a `set` gives one a real value (WebAssembly's loops count in i32 locals).
 */
export const inferIntegral = (body: readonly Stmt[], ints: Set<string>, isInt: (e: Expr) => boolean, pinLoopVars: boolean): void => {
  const assigned = new Map<string, Expr[]>();
  const loopVars = new Set<string>();
  const walk = (ss: readonly Stmt[]) => {
    for (const s of ss) {
      if (s.k === 'for') {
        loopVars.add(s.v);
        walk(s.body);
      } else if (s.k === 'if') walk(s.body);
      else if (s.k === 'let' || s.k === 'set') {
        const a = assigned.get(s.name) ?? [];
        a.push(s.e);
        assigned.set(s.name, a);
      }
    }
  };
  walk(body);
  for (const l of loopVars) ints.add(l);
  for (const name of assigned.keys()) ints.add(name);
  for (let changed = true; changed; ) {
    changed = false;
    for (const [name, es] of assigned)
      if (ints.has(name) && !(pinLoopVars && loopVars.has(name)) && !es.every(isInt)) {
        ints.delete(name);
        changed = true;
      }
  }
};
