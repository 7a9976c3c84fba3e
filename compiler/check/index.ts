// Indexing `x[i, a:b, ::s, none, idx]` like NumPy. Ranges with step 1 become one slice (a strided view),
// integer positions a slice plus a reshape that drops the axis, `none` a new axis of size 1, a step other
// than 1 (negative too) and an integer tensor index a take along that axis (gather, whose gradient is a
// scatter-add). Bounds are compile-time numbers; negative positions count from the end. As in NumPy and
// PyTorch, slice bounds past either end are clamped to the axis (an empty range gives a size-0 axis),
// while an integer position out of range and a zero step are errors.
import type { Expr, IndexItem } from '../ast/ast.js';
import { printExpr } from '../ast/print.js';
import type { Span } from '../diagnostics/span.js';
import { dimAdd, fmtDim } from '../types/dims.js';
import type { Dim } from '../types/types.js';
import type { Elab } from './elab.js';
import { ERROR, type Binding } from './scope.js';

/** NumPy's normalization of one slice bound on an axis of known size d: count negatives from the end, then clamp to [0, d]. */
const clampBound = (v: number, d: number): number => (v < 0 ? Math.max(0, d + v) : Math.min(v, d));

/** The positions a:b:s selects on an axis of size d (NumPy's slice.indices), s ≠ 0. */
export const stepPositions = (start: number | undefined, stop: number | undefined, s: number, d: number): number[] => {
  let a: number, b: number;
  if (s > 0) {
    a = start === undefined ? 0 : clampBound(start, d);
    b = stop === undefined ? d : clampBound(stop, d);
  } else {
    // counting down: bounds clamp to [−1, d − 1], where −1 means "before the first element"
    const down = (v: number) => (v < 0 ? Math.max(-1, d + v) : Math.min(v, d - 1));
    a = start === undefined ? d - 1 : down(start);
    b = stop === undefined ? -1 : down(stop);
  }
  const n = Math.max(0, Math.ceil((b - a) / s));
  return Array.from({ length: n }, (_, k) => a + k * s);
};

const written = (it: IndexItem & { kind: 'Slice' }): string =>
  `${it.start ? printExpr(it.start) : ''}:${it.end ? printExpr(it.end) : ''}${it.step ? `:${printExpr(it.step)}` : ''}`;

/** take(x, idx) along `axis`: gather on the axis moved to the front, then moved back in place of idx's axes. */
const takeAlong = (c: Elab, x: number, idx: number, axis: number, span: Span): Binding => {
  const rank = c.type(x).shape.length,
    ni = c.type(idx).shape.length;
  const front =
    axis === 0 ? { k: 'tensor' as const, id: x } : c.op('transpose', [x], { perm: [axis, ...[...Array(rank).keys()].filter((i) => i !== axis)] }, span);
  if (front.k !== 'tensor') return front;
  const g = c.op('gather', [front.id, idx], {}, span);
  if (g.k !== 'tensor' || axis === 0) return g;
  const perm = [...[...Array(axis).keys()].map((i) => ni + i), ...[...Array(ni).keys()], ...[...Array(rank - 1 - axis).keys()].map((i) => ni + axis + i)];
  return c.op('transpose', [g.id], { perm }, span);
};

export const indexTensor = (c: Elab, id: number, e: Expr & { kind: 'Index' }, ev: (x: Expr) => Binding): Binding => {
  const shape = c.type(id).shape;
  // `none` (NumPy's None / np.newaxis) takes no axis of x; a tensor index is evaluated once, here
  const values = e.indices.map((it) => (it.kind === 'At' ? ev(it.value) : undefined));
  if (values.some((v) => v?.k === 'error')) return ERROR;
  const isNew = (i: number) => values[i]?.k === 'word' && (values[i] as { name: string }).name === 'none';
  const used = e.indices.filter((_, i) => !isNew(i)).length;
  if (used > shape.length) return c.err('E0203', e.span, `${used} indices for a tensor of rank ${shape.length}`);
  const arrays = e.indices.flatMap((_, i) => (values[i]?.k === 'tensor' ? [i] : []));
  if (arrays.length > 1) return c.err('E0203', e.indices[arrays[1]!]!.span, 'only one integer tensor index is supported; use gather or take for more');
  const int = (x: Expr): number | undefined => c.staticInt(ev(x), x.span, 'an index');
  const begin: number[] = [],
    end: Dim[] = [];
  // what each output axis is: a new axis, or input axis `axis` (its size read after slicing)
  const plan: ({ k: 'new' } | { k: 'axis'; axis: number })[] = [];
  const steps: { axis: number; first: number; step: number; n: number }[] = [];
  let arrayAt: { axis: number; idx: number } | undefined;
  let axis = 0;
  for (let k = 0; k < e.indices.length; k++) {
    const it = e.indices[k]!;
    if (isNew(k)) {
      plan.push({ k: 'new' });
      continue;
    }
    const d = shape[axis]!;
    if (it.kind === 'At') {
      const v = values[k]!;
      if (v.k === 'tensor') {
        const t = c.type(v.id);
        if (t.dtype !== 'i32')
          return c.err('E0204', it.span, `a tensor index must be i32 (positions), got ${t.dtype}; boolean masks give data-dependent shapes`);
        begin.push(0);
        end.push(d);
        arrayAt = { axis: plan.length, idx: v.id };
        plan.push({ k: 'axis', axis });
        axis++;
        continue;
      }
      const p0 = c.staticInt(v, it.span, 'an index');
      if (p0 === undefined) return ERROR;
      if (typeof d === 'number' && (p0 < -d || p0 >= d)) return c.err('E0203', it.span, `index ${p0} is out of range for axis ${axis} of size ${d}`);
      // On a symbolic axis a negative position stays negative (the slice counts it from the end).
      const p = p0 < 0 && typeof d === 'number' ? d + p0 : p0;
      begin.push(p);
      end.push(p < 0 ? dimAdd(d, p + 1) : p + 1);
      axis++;
      continue;
    }
    const s = it.start ? int(it.start) : 0,
      en = it.end ? int(it.end) : undefined,
      st = it.step ? int(it.step) : 1;
    if (s === undefined || (it.end && en === undefined) || st === undefined) return ERROR;
    if (st === 0) return c.err('E0203', it.step!.span, `slice ${written(it)} has step 0`);
    plan.push({ k: 'axis', axis });
    if (st !== 1) {
      if (typeof d !== 'number')
        return c.err('E0203', it.span, `slice ${written(it)} has a step, which needs a fixed size, but axis ${axis} has symbolic size ${fmtDim(d)}`);
      const positions = stepPositions(it.start ? s : undefined, en, st, d);
      begin.push(0);
      end.push(d);
      steps.push({ axis, first: positions[0] ?? 0, step: st, n: positions.length });
      axis++;
      continue;
    }
    if (typeof d === 'number') {
      const b = clampBound(s, d),
        t = en === undefined ? d : clampBound(en, d);
      begin.push(b);
      end.push(Math.max(b, t));
      axis++;
      continue;
    }
    // A symbolic axis cannot be clamped: a negative start stays negative (counted from the end at run time).
    if (s < 0 && en !== undefined && en >= 0) {
      return c.err(
        'E0203',
        it.span,
        `slice ${written(it)} on axis ${axis} of symbolic size ${fmtDim(d)} counts its start from the end and its end from the start, ` +
          'so its length depends on the size; write both from the same end',
      );
    }
    begin.push(s);
    end.push(en === undefined ? d : en < 0 ? dimAdd(d, en) : s >= 0 ? Math.max(s, en) : en);
    axis++;
  }
  for (; axis < shape.length; axis++) {
    begin.push(0);
    end.push(shape[axis]!);
    plan.push({ k: 'axis', axis });
  }
  let cur: Binding = begin.every((b, i) => b === 0 && end[i] === shape[i]) ? { k: 'tensor', id } : c.op('slice', [id], { begin, end }, e.span);
  for (const st of steps) {
    if (cur.k !== 'tensor') return cur;
    // positions first + k·step, k < n, as an i32 vector: first + step·iota(n)
    const b = c.b;
    const idx = b.at(e.span, () => b.op('add', [b.num(st.first, 'i32'), b.op('mul', [b.num(st.step, 'i32'), b.op('iota', [], { n: st.n })])]));
    cur = takeAlong(c, cur.id, idx, st.axis, e.span);
  }
  if (cur.k !== 'tensor') return cur;
  const sliced = c.type(cur.id).shape;
  const outShape = plan.map((p) => (p.k === 'new' ? 1 : sliced[p.axis]!));
  if (outShape.length !== sliced.length || outShape.some((d, i) => d !== sliced[i])) cur = c.op('reshape', [cur.id], { shape: outShape }, e.span);
  if (cur.k !== 'tensor' || !arrayAt) return cur;
  return takeAlong(c, cur.id, arrayAt.idx, arrayAt.axis, e.span);
};
