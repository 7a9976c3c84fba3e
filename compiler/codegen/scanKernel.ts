// Code for `scan`: the body is scheduled as a program of its own (its kernels become module-level
// functions with a name prefix, its buffers a region of the arena), and the scan becomes one kernel:
//   copy the initial carries in; for each step: copy the step's slices in, call the body's kernels,
//   copy the new carries back (and into their stacked output when kept).
// Carries and slices are small next to the body's work (a matmul per step), so copies are cheap.
import { InternalError } from '../diagnostics/diagnostic.js';
import type { DimEnv } from '../ir/bind.js';
import type { Node } from '../ir/ir.js';
import { SCAN_OUT, bodyInputName, outWindow, scanInfo, scanLength, windowStart } from '../ir/scan.js';
import { add, bin, callKernel, comment, let_, load, loop, mul, num, store, v, type Expr, type Stmt } from '../loops/loops.js';
import { size } from '../ops/ndarray.js';
import type { Schedule, SubSchedule } from './scheduleTypes.js';

export interface ScanContext {
  readonly env: DimEnv;
  readonly prefix: string;
  readonly consumers: readonly Node[];
  shape(id: number): readonly number[];
  /** The value in a contiguous buffer at offset 0. */
  contiguous(id: number): string;
  /** The value as a strided view of some buffer (no copy when it already is one). */
  strided(id: number): { readonly buf: string; readonly offset: number; readonly strides: readonly number[] };
  /** A new temp; `body`: the arena of loop body `body` (its size comes from the memory plan). */
  newTemp(shape: readonly number[], note: string, body?: number): string;
  pushKernel(body: Stmt[], writes: readonly string[], reads: readonly string[], note: string): void;
  setView(id: number, buf: string, offset: number, shape: readonly number[]): void;
  fresh(hint: string): string;
  scheduleBody(n: Node, prefix: string): Schedule;
}

/** dst[dstOff + i] = src[srcOff + i] for i < n */
const copy = (fresh: (h: string) => string, dst: string, dstOff: Expr, src: string, srcOff: Expr, n: number): Stmt => {
  const i = fresh('i');
  return loop(i, n, [store(dst, add(dstOff, v(i)), load(src, add(srcOff, v(i))))]);
};

/**
 * Copies a strided view of `shape` (element index offset + Σ iₐ·strides[a]) into a contiguous dst: a
 * sequence read along axis 1 is B rows of a step each, without first transposing the whole sequence.
 */
const gather = (fresh: (h: string) => string, dst: string, src: string, srcOff: Expr, shape: readonly number[], strides: readonly number[]): Stmt[] => {
  // merge axes that are contiguous in the source, so the innermost loop is as long as possible
  const dims: [number, number][] = [];
  shape.forEach((d, a) => {
    if (d === 1) return;
    const last = dims[dims.length - 1];
    if (last && last[1] === strides[a]! * d) {
      last[0] *= d;
      last[1] = strides[a]!;
    } else dims.push([d, strides[a]!]);
  });
  if (dims.length === 0) return [copy(fresh, dst, num(0), src, srcOff, 1)];
  const idx = dims.map(() => fresh('g'));
  let dstIndex: Expr = num(0),
    srcIndex: Expr = srcOff,
    inner = 1;
  for (let a = dims.length - 1; a >= 0; a--) {
    dstIndex = add(dstIndex, mul(v(idx[a]!), num(inner)));
    srcIndex = add(srcIndex, mul(v(idx[a]!), num(dims[a]![1])));
    inner *= dims[a]![0];
  }
  let body: Stmt = store(dst, dstIndex, load(src, srcIndex));
  for (let a = dims.length - 1; a >= 0; a--) body = loop(idx[a]!, dims[a]![0], [body]);
  return [body];
};

export const scheduleScan = (ctx: ScanContext, n: Node, note: string, subIndex: number): SubSchedule => {
  const s = scanInfo(n);
  const T = scanLength(s, ctx.env);
  const prefix = `${ctx.prefix}s${subIndex}_`;
  const sub = ctx.scheduleBody(n, prefix);
  const arena = ctx.newTemp([0], `arena of the body of ${note}`, subIndex);
  const carryIds = n.inputs.slice(0, s.carries),
    xsIds = n.inputs.slice(s.carries, s.carries + s.xs),
    capIds = n.inputs.slice(s.carries + s.xs);
  const carrySizes = carryIds.map((id) => size(ctx.shape(id)));
  const inits = carryIds.map((id) => ctx.strided(id));
  const seqs = xsIds.map((id) => ctx.strided(id));
  const caps = capIds.map((id) => ctx.contiguous(id));
  const carry = carryIds.map((id, k) => ctx.newTemp(ctx.shape(id), `carry ${k} of ${note}`));
  const slice = xsIds.map((id, i) => ctx.newTemp(ctx.shape(id).slice(1), `step slice ${i} of ${note}`));
  const reads = (k: number) => ctx.consumers.filter((c) => c.op === SCAN_OUT && outWindow(c).index === k);
  const stacked = carryIds.map((id, k) =>
    s.keep[k] === 'all' && reads(k).some((c) => outWindow(c).window !== 'last')
      ? ctx.newTemp([T + 1, ...ctx.shape(id)], `stacked carry ${k} of ${note}`)
      : undefined,
  );

  // Body input buffers → the buffers the scan kernel passes.
  const bind = new Map<string, string>();
  for (const inp of sub.inputs) {
    const group = inp.name[0] as 'c' | 'x' | 'k',
      i = Number(inp.name.slice(1));
    const buf = group === 'c' ? carry[i] : group === 'x' ? slice[i] : caps[i];
    if (buf === undefined || inp.name !== bodyInputName(group, i)) throw new InternalError(`scan body input ${inp.name} has no buffer`);
    bind.set(inp.buf, buf);
  }
  const body: Stmt[] = [comment(note)];
  const f = ctx.fresh;
  carry.forEach((c, k) => {
    const init = inits[k]!;
    body.push(...gather(f, c, init.buf, num(init.offset), ctx.shape(carryIds[k]!), init.strides));
    if (stacked[k]) body.push(copy(f, stacked[k]!, num((s.reverse ? T : 0) * carrySizes[k]!), c, num(0), carrySizes[k]!));
  });
  const step = f('step'),
    t = f('t');
  const inner: Stmt[] = [let_(t, s.reverse ? bin('-', num(T - 1), v(step)) : v(step))];
  slice.forEach((x, i) => {
    const q = seqs[i]!;
    inner.push(...gather(f, x, q.buf, add(num(q.offset), mul(v(t), num(q.strides[0]!))), ctx.shape(xsIds[i]!).slice(1), q.strides.slice(1)));
  });
  for (const k of sub.kernels)
    inner.push(
      callKernel(
        k.name,
        [...k.writes, ...k.reads].map((b) => bind.get(b) ?? b),
      ),
    );
  sub.outputs.forEach((o, k) => {
    inner.push(copy(f, carry[k]!, num(0), o.buf, num(0), carrySizes[k]!));
    if (stacked[k]) inner.push(copy(f, stacked[k]!, mul(s.reverse ? v(t) : add(v(t), num(1)), num(carrySizes[k]!)), o.buf, num(0), carrySizes[k]!));
  });
  body.push(loop(step, T, inner));
  ctx.pushKernel(
    body,
    [...stacked.filter((x): x is string => x !== undefined), ...carry, ...slice, arena],
    [...inits.map((q) => q.buf), ...seqs.map((q) => q.buf), ...caps],
    note,
  );

  // The results, as views: a window of the stacked carry, or the running carry for 'last'.
  for (const c of ctx.consumers) {
    if (c.op !== SCAN_OUT) continue;
    const { index, window } = outWindow(c);
    const shape = ctx.shape(carryIds[index]!);
    if (window === 'last' || !stacked[index]) {
      if (window !== 'last') throw new InternalError('scan: a window of an unstacked carry');
      ctx.setView(c.id, carry[index]!, 0, shape);
    } else ctx.setView(c.id, stacked[index]!, windowStart(s.reverse, window) * carrySizes[index]!, [T, ...shape]);
  }
  return { prefix, schedule: sub, arena };
};
