// Which variables of a loop-IR body are integral, for the printers of typed languages (C, WebAssembly):
// the loop IR is untyped, as JavaScript is. Optimistic start — every loop variable and every assigned
// variable is integral — then, to a fixpoint, drop each variable with an assignment the printer's
// `isInt` does not call integral (it reads `ints` as it stands, so a drop can cause others).
// `narrowByAssignments` is that fixpoint for any such property (the C printer's element-valued variables).
import type { Expr, Stmt } from './loops.js';

/** Every value assigned to each variable of `body` (lets and sets, in order), and its loop variables. */
const assignments = (body: readonly Stmt[]): { assigned: Map<string, Expr[]>; loopVars: Set<string> } => {
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
  return { assigned, loopVars };
};

/** Drops from `has`, to a fixpoint, each variable (not `pinned`) with an assigned value `ok` rejects; `ok` reads `has` as it stands. */
const dropToFixpoint = (assigned: ReadonlyMap<string, Expr[]>, has: Set<string>, ok: (e: Expr) => boolean, pinned: (name: string) => boolean): void => {
  for (let changed = true; changed; ) {
    changed = false;
    for (const [name, es] of assigned)
      if (has.has(name) && !pinned(name) && !es.every(ok)) {
        has.delete(name);
        changed = true;
      }
  }
};

/**
 * Fills `ints` with the integral variables of `body`. `pinLoopVars`: loop variables stay integral even
 * when a `set` gives one a real value (WebAssembly's loops count in i32 locals).
 */
export const inferIntegral = (body: readonly Stmt[], ints: Set<string>, isInt: (e: Expr) => boolean, pinLoopVars: boolean): void => {
  const { assigned, loopVars } = assignments(body);
  for (const l of loopVars) ints.add(l);
  for (const name of assigned.keys()) ints.add(name);
  dropToFixpoint(assigned, ints, isInt, (name) => pinLoopVars && loopVars.has(name));
};

/** Fills `has` with the assigned variables of `body` outside `exclude` whose every assigned value `ok` accepts (optimistic start, then the fixpoint). */
export const narrowByAssignments = (body: readonly Stmt[], exclude: ReadonlySet<string>, has: Set<string>, ok: (e: Expr) => boolean): void => {
  const { assigned } = assignments(body);
  for (const name of assigned.keys()) if (!exclude.has(name)) has.add(name);
  dropToFixpoint(assigned, has, ok, () => false);
};
