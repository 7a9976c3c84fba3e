// A call's arguments as the checker sees them (positional and keyword, each with its span), the type of a
// built-in, and the readers of compile-time arguments every built-in shares (arity, axes, dims, flags).
import type { Span } from '../diagnostics/span.js';
import { normAxis } from '../types/shapes.js';
import type { Dim } from '../types/types.js';
import type { ExprElab } from './expr.js';
import type { Binding, Scope } from './scope.js';

export interface CallArgs {
  readonly pos: readonly { readonly v: Binding; readonly span: Span }[];
  readonly kw: ReadonlyMap<string, { readonly v: Binding; readonly span: Span }>;
}

export type Builtin = (x: ExprElab, args: CallArgs, span: Span, scope: Scope) => Binding;

/** Positional-or-keyword argument lookup with a default. */
export const arg = (a: CallArgs, i: number, name: string): { v: Binding; span: Span } | undefined => a.pos[i] ?? a.kw.get(name);

export const checkArity = (x: ExprElab, a: CallArgs, span: Span, fn: string, names: readonly string[], required: number): boolean => {
  if (a.pos.length > names.length) {
    x.c.err('E0104', span, `${fn} takes at most ${names.length} arguments, got ${a.pos.length}`);
    return false;
  }
  for (const [k, v] of a.kw)
    if (!names.includes(k)) {
      x.c.err('E0104', v.span, `${fn} has no argument '${k}' (it takes ${names.join(', ')})`);
      return false;
    }
  for (let i = 0; i < required; i++)
    if (!arg(a, i, names[i]!)) {
      x.c.err('E0104', span, `${fn} is missing argument '${names[i]}'`);
      return false;
    }
  return true;
};

export const tensorArg = (x: ExprElab, a: CallArgs, i: number, name: string, _span: Span): number | undefined => {
  const g = arg(a, i, name);
  return g ? x.c.tensor(g.v, g.span) : undefined;
};

/** Axes as a sorted list of non-negative ints; `all` or missing means every axis. */
export const axesArg = (x: ExprElab, g: { v: Binding; span: Span } | undefined, rank: number): number[] | undefined => {
  if (!g || g.v.k === 'all') return [...Array(rank).keys()];
  const items = g.v.k === 'list' ? g.v.items : [g.v];
  const out: number[] = [];
  for (const it of items) {
    const n = x.c.staticInt(it, g.span, 'axis');
    if (n === undefined) return undefined;
    if (rank === 0 && (n === 0 || n === -1)) continue; // a 0-d tensor takes axis 0 / −1 as PyTorch does: no axis
    const a = normAxis(n, rank);
    if (a === undefined) {
      x.c.err('E0203', g.span, `axis ${n} is out of range for a tensor of rank ${rank}`);
      return undefined;
    }
    if (out.includes(a)) {
      x.c.err('E0203', g.span, `axis ${n} is repeated`);
      return undefined;
    }
    out.push(a);
  }
  return out.sort((p, q) => p - q);
};

export const dimsArg = (x: ExprElab, g: { v: Binding; span: Span }, what: string): Dim[] | undefined => {
  const items = g.v.k === 'list' ? g.v.items : [g.v];
  const out: Dim[] = [];
  for (const it of items) {
    const d = x.c.staticValue(it, g.span, what);
    if (d === undefined) return undefined;
    if (typeof d === 'number' && !Number.isInteger(d)) {
      x.c.err('E0206', g.span, `${what} must be integers, found ${d}`);
      return undefined;
    }
    out.push(d);
  }
  return out;
};

export const boolArg = (x: ExprElab, g: { v: Binding; span: Span } | undefined, what: string): boolean => {
  if (!g) return false;
  const v = x.c.staticValue(g.v, g.span, what);
  return v !== undefined && v !== 0;
};
