// Facts about loop-IR expressions and statements that the WebAssembly printer (emitWasm.ts) uses to
// choose a shorter encoding: which loads always run, loads replaced by variables, what a statement
// reads, and how many statements a loop body runs.
import { rewriteExpr, type Expr, type Stmt } from '../loops/loops.js';

/** Loads an expression always evaluates (not under a select's arm), outer ones first. */
export const unconditionalLoads = (e: Expr, out: (Expr & { k: 'load' })[] = []): (Expr & { k: 'load' })[] => {
  if (e.k === 'load') out.push(e);
  else if (e.k === 'bin') {
    unconditionalLoads(e.a, out);
    unconditionalLoads(e.b, out);
  } else if (e.k === 'negate') unconditionalLoads(e.a, out);
  else if (e.k === 'call') for (const x of e.args) unconditionalLoads(x, out);
  else if (e.k === 'sel') unconditionalLoads(e.c, out);
  return out;
};

/** e with every load equal to one of `loads` (by structure) replaced by its variable. */
export const replaceLoads = (e: Expr, loads: ReadonlyMap<string, string>): Expr =>
  rewriteExpr(e, (x) => {
    const v = x.k === 'load' ? loads.get(JSON.stringify(x)) : undefined;
    return v !== undefined ? { k: 'var', name: v } : undefined;
  });

/** The variables a statement's expressions read. */
export const loadsOrVars = (s: Stmt): Set<string> => {
  const out = new Set<string>();
  const walk = (e: Expr): void => {
    if (e.k === 'var') out.add(e.name);
    else if (e.k === 'bin') {
      walk(e.a);
      walk(e.b);
    } else if (e.k === 'negate') walk(e.a);
    else if (e.k === 'load') walk(e.index);
    else if (e.k === 'call') e.args.forEach(walk);
    else if (e.k === 'sel') {
      walk(e.c);
      walk(e.a);
      walk(e.b);
    }
  };
  if (s.k === 'set' || s.k === 'let') walk(s.e);
  return out;
};

/** Statements a body runs per pass, nested loops counted by their passes where constant (else 8). */
export const weight = (ss: readonly Stmt[]): number =>
  ss.reduce((w, s) => {
    if (s.k === 'for') {
      const n = s.from.k === 'num' && s.to.k === 'num' ? Math.ceil((s.to.v - s.from.v) / s.step) : 8;
      return w + 1 + Math.max(0, n) * weight(s.body);
    }
    return w + 1 + (s.k === 'if' ? weight(s.body) : 0);
  }, 0);
