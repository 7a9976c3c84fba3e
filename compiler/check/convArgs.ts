// Argument reading shared by the convolution, pooling and upsampling built-ins: per-axis integers
// (a number or one per spatial axis), padding (a number, one per axis, or before/after for every axis),
// flags, and the located E025x diagnostics that name the shapes involved.
import type { Span } from '../diagnostics/span.js';
import { note } from '../diagnostics/codes.js';
import { type Dim, fmtShape } from '../types/types.js';
import type { CallArgs } from './args.js';
import type { ExprElab } from './expr.js';
import { ERROR, describe, type Binding } from './scope.js';

export type Arg = { readonly v: Binding; readonly span: Span } | undefined;

export const get = (a: CallArgs, i: number, name: string): Arg => a.pos[i] ?? a.kw.get(name);

export const checkNames = (x: ExprElab, a: CallArgs, span: Span, fn: string, names: readonly string[]): boolean => {
  for (const [k, g] of a.kw)
    if (!names.includes(k)) {
      x.c.err('E0104', g.span, `${fn} has no argument '${k}' (it takes ${names.join(', ')})`);
      return false;
    }
  if (a.pos.length > names.length) {
    x.c.err('E0104', span, `${fn} takes at most ${names.length} arguments`);
    return false;
  }
  return true;
};

export const AXES: readonly string[] = ['', 'length', 'height and width', 'depth, height and width'];
const listOf = (r: number, what: string) => (r === 1 ? `a number` : `a number or a list of ${r} (${AXES[r]})`) + ` for ${what}`;

/** Static ints, one per spatial axis: a number (every axis) or a list of r. `min`: the smallest allowed value. */
export const ints = (x: ExprElab, g: Arg, r: number, dflt: readonly number[], what: string, min: number): number[] | undefined => {
  if (!g) return [...dflt];
  const items = g.v.k === 'list' ? g.v.items : [g.v];
  if (g.v.k === 'list' && items.length !== r) {
    x.c.err('E0250', g.span, `${what} takes ${listOf(r, what)}, found a list of ${items.length}`);
    return undefined;
  }
  const out: number[] = [];
  for (const it of items) {
    const n = x.c.staticInt(it, g.span, what);
    if (n === undefined) return undefined;
    if (n < min) {
      x.c.err('E0250', g.span, `${what} must be at least ${min}, found ${n}`);
      return undefined;
    }
    out.push(n);
  }
  return out.length === 1 ? new Array<number>(r).fill(out[0]!) : out;
};

/**
 * Padding as [before, after] for every spatial axis: a number (all sides), one per axis (both sides
 * of it), or 2r values before/after in axis order ([top, bottom, left, right] for 2-D). `words`
 * handles `same`/`valid` where the caller supports them.
 */
export const padArg = (x: ExprElab, g: Arg, r: number, what = 'padding'): number[] | undefined => {
  if (!g) return new Array<number>(2 * r).fill(0);
  const items = g.v.k === 'list' ? g.v.items : [g.v];
  const forms =
    r === 1
      ? 'a number or [left, right]'
      : r === 2
        ? 'a number, [ph, pw] or [top, bottom, left, right]'
        : 'a number, [pd, ph, pw] or [front, back, top, bottom, left, right]';
  if (g.v.k !== 'list' && g.v.k !== 'static') {
    x.c.err('E0250', g.span, `${what} takes ${forms}, found ${describe(g.v)}`);
    return undefined;
  }
  if (g.v.k === 'list' && items.length !== r && items.length !== 2 * r) {
    x.c.err('E0250', g.span, `${what} takes ${forms}, found a list of ${items.length}`);
    return undefined;
  }
  const p: number[] = [];
  for (const it of items) {
    const n = x.c.staticInt(it, g.span, what);
    if (n === undefined) return undefined;
    if (n < 0) {
      x.c.err('E0250', g.span, `${what} must not be negative, found ${n} (use pad(…) with a negative width to crop)`);
      return undefined;
    }
    p.push(n);
  }
  if (p.length === 1) return new Array<number>(2 * r).fill(p[0]!);
  return p.length === r ? p.flatMap((q) => [q, q]) : p;
};

/** A static flag: true/false or 1/0; absent = `dflt`. */
export const flag = (x: ExprElab, g: Arg, what: string, dflt: boolean): boolean | undefined => {
  if (!g) return dflt;
  const v = x.c.staticValue(g.v, g.span, what);
  return v === undefined ? undefined : v !== 0;
};

/** A static tensor argument with fixed sizes past the batch axis, of rank r + 2 ([N, C, spatial…]). */
export const spatialInput = (x: ExprElab, g: Arg, fn: string, r: number, span: Span): { id: number; shape: readonly Dim[]; sp: number[] } | undefined => {
  if (!g) {
    x.c.err('E0104', span, `${fn} needs an input`);
    return undefined;
  }
  const id = x.c.tensor(g.v, g.span);
  if (id === undefined) return undefined;
  const shape = x.c.type(id).shape;
  const layout = ['[N, C, L]', '[N, C, H, W]', '[N, C, D, H, W]'][r - 1]!;
  if (shape.length !== r + 2 || shape.slice(1).some((d) => typeof d !== 'number')) {
    x.c.err('E0251', g.span, `${fn} takes an input ${layout} with fixed sizes after the batch axis, got ${fmtShape(shape)}`, [
      note(`the input is ${fmtShape(shape)}`, g.span),
    ]);
    return undefined;
  }
  return { id, shape, sp: shape.slice(2) as number[] };
};

/** E025x with notes naming the operands' shapes. */
export const shapeErr = (
  x: ExprElab,
  code: 'E0251' | 'E0252' | 'E0253',
  span: Span,
  message: string,
  operands: readonly { what: string; shape: readonly Dim[]; span?: Span | undefined }[],
): Binding => {
  x.c.err(
    code,
    span,
    message,
    operands.map((o) => note(`${o.what} is ${fmtShape(o.shape)}`, o.span)),
  );
  return ERROR;
};
