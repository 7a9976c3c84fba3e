// Indexing `x[i, a:b, :]`: ranges become a slice, integer positions a slice plus a reshape that drops
// the axis. Bounds are compile-time numbers; negative positions count from the end.
import type { Expr } from '../ast/ast.js';
import { dimAdd } from '../types/dims.js';
import type { Dim } from '../types/types.js';
import type { Elab } from './elab.js';
import { ERROR, type Binding } from './scope.js';

export const indexTensor = (c: Elab, id: number, e: Expr & { kind: 'Index' }, ev: (x: Expr) => Binding): Binding => {
  const shape = c.type(id).shape;
  if (e.indices.length > shape.length) return c.err('E0203', e.span, `${e.indices.length} indices for a tensor of rank ${shape.length}`);
  const begin: number[] = [], end: Dim[] = [], drop: number[] = [];
  const bound = (x: Expr | undefined, axis: number, dflt: Dim): Dim | undefined => {
    if (!x) return dflt;
    const v = c.staticInt(ev(x), x.span, 'an index');
    if (v === undefined) return undefined;
    const d = shape[axis]!;
    // On a symbolic axis a negative position stays negative (the slice counts it from the end).
    return v < 0 && typeof d === 'number' ? d + v : v;
  };
  for (let axis = 0; axis < shape.length; axis++) {
    const it = e.indices[axis];
    const d = shape[axis]!;
    if (!it) { begin.push(0); end.push(d); continue; }
    if (it.kind === 'At') {
      const p = bound(it.value, axis, 0);
      if (p === undefined) return ERROR;
      if (typeof p !== 'number') return ERROR;
      if (typeof d === 'number' && (p < 0 || p >= d)) return c.err('E0203', it.span, `index ${p} is out of range for axis ${axis} of size ${d}`);
      begin.push(p); end.push(p < 0 ? dimAdd(d, p + 1) : p + 1); drop.push(axis);
      continue;
    }
    const b = bound(it.start, axis, 0), en = bound(it.end, axis, d);
    if (b === undefined || en === undefined) return ERROR;
    if (typeof b !== 'number') return ERROR;
    begin.push(b); end.push(typeof en === 'number' && en < 0 ? dimAdd(d, en) : en);
  }
  const sliced = c.op('slice', [id], { begin, end }, e.span);
  if (sliced.k !== 'tensor' || drop.length === 0) return sliced;
  return c.op('reshape', [sliced.id], { shape: c.type(sliced.id).shape.filter((_, i) => !drop.includes(i)) }, e.span);
};
