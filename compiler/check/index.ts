// Indexing `x[i, a:b, :]`: ranges become a slice, integer positions a slice plus a reshape that drops
// the axis. Bounds are compile-time numbers; negative positions count from the end. As in NumPy and
// PyTorch, slice bounds past either end are clamped to the axis (an empty range gives a size-0 axis),
// while an integer position out of range is an error.
import type { Expr } from '../ast/ast.js';
import { printExpr } from '../ast/print.js';
import { dimAdd, fmtDim } from '../types/dims.js';
import type { Dim } from '../types/types.js';
import type { Elab } from './elab.js';
import { ERROR, type Binding } from './scope.js';

/** NumPy's normalization of one slice bound on an axis of known size d: count negatives from the end, then clamp to [0, d]. */
const clampBound = (v: number, d: number): number => (v < 0 ? Math.max(0, d + v) : Math.min(v, d));

export const indexTensor = (c: Elab, id: number, e: Expr & { kind: 'Index' }, ev: (x: Expr) => Binding): Binding => {
  const shape = c.type(id).shape;
  if (e.indices.length > shape.length) return c.err('E0203', e.span, `${e.indices.length} indices for a tensor of rank ${shape.length}`);
  const begin: number[] = [], end: Dim[] = [], drop: number[] = [];
  const int = (x: Expr): number | undefined => c.staticInt(ev(x), x.span, 'an index');
  for (let axis = 0; axis < shape.length; axis++) {
    const it = e.indices[axis];
    const d = shape[axis]!;
    if (!it) { begin.push(0); end.push(d); continue; }
    if (it.kind === 'At') {
      const v = int(it.value);
      if (v === undefined) return ERROR;
      if (typeof d === 'number' && (v < -d || v >= d)) return c.err('E0203', it.span, `index ${v} is out of range for axis ${axis} of size ${d}`);
      // On a symbolic axis a negative position stays negative (the slice counts it from the end).
      const p = v < 0 && typeof d === 'number' ? d + v : v;
      begin.push(p); end.push(p < 0 ? dimAdd(d, p + 1) : p + 1); drop.push(axis);
      continue;
    }
    const s = it.start ? int(it.start) : 0, en = it.end ? int(it.end) : undefined;
    if (s === undefined || (it.end && en === undefined)) return ERROR;
    if (typeof d === 'number') {
      const b = clampBound(s, d), t = en === undefined ? d : clampBound(en, d);
      begin.push(b); end.push(Math.max(b, t));
      continue;
    }
    // A symbolic axis cannot be clamped: a negative start stays negative (counted from the end at run time).
    if (s < 0 && en !== undefined && en >= 0) {
      const written = `${it.start ? printExpr(it.start) : ''}:${it.end ? printExpr(it.end) : ''}`;
      return c.err('E0203', it.span, `slice ${written} on axis ${axis} of symbolic size ${fmtDim(d)} counts its start from the end and its end from the start, `
        + 'so its length depends on the size; write both from the same end');
    }
    begin.push(s);
    end.push(en === undefined ? d : en < 0 ? dimAdd(d, en) : s >= 0 ? Math.max(s, en) : en);
  }
  const sliced = c.op('slice', [id], { begin, end }, e.span);
  if (sliced.k !== 'tensor' || drop.length === 0) return sliced;
  return c.op('reshape', [sliced.id], { shape: c.type(sliced.id).shape.filter((_, i) => !drop.includes(i)) }, e.span);
};
