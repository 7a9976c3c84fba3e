// The kernel of each node the fusion plan placed in a buffer, by its kernel plan: an elementwise map, a
// row-fused softmax-like kernel, a contraction with its fused epilogue, a reduction, pieces (concat, pad),
// an op's own kernel, or a scan (scanKernel.ts). It follows the plan; it decides nothing.
import { affine, load, type Expr, type Stmt } from '../loops/loops.js';
import { size } from '../ops/ndarray.js';
import type { Emit } from '../ops/op.js';
import { scanInfo } from '../ir/scan.js';
import { opDef } from '../ops/registry.js';
import type { KernelPlan, NodeId } from './fusion.js';
import { copyKernel, fillKernel, mapKernel, reduceKernel, rowKernel, type RowReduction } from './kernels.js';
import { contiguous, effective, leafOf, type Located } from './placement.js';
import { scheduleScan } from './scanKernel.js';
import { where, type ScheduleContext } from './scheduleContext.js';

/** Emits contraction `id` into `into` (a new buffer by default), with an optional fused epilogue. */
const emitContraction = (cx: ScheduleContext, id: NodeId, epilogue?: (acc: Expr, idx: readonly Expr[]) => Expr, into?: string, note?: string): Located => {
  const { g, node, memory, simd } = cx;
  const n = node(id);
  const emit = opDef(n.op)!.emit as Emit & { kind: 'contraction' };
  const shape = g.shape(id);
  const float = [n, ...n.inputs.map(node)].every((m) => m.type.dtype === 'f32');
  const [a, b0] = n.inputs.map((i) => memory(i)) as [Located, Located];
  const fast = simd.kernel(float, a, where(n));
  const b = fast ? simd.addressable(b0) : b0;
  const buf = into ?? cx.newTemp(shape, where(n));
  const body = emit.kernel({
    out: buf,
    a: { buf: a.buf, view: a.view },
    b: { buf: b.buf, view: b.view },
    outShape: shape,
    inShapes: [a.shape, b.shape],
    fresh: cx.fresh,
    ...(epilogue ? { epilogue } : {}),
    ...(fast ? { simd: fast } : {}),
  });
  cx.addKernel([...body], buf, note ?? where(n));
  return contiguous(buf, shape);
};

/** Matmul + bias + activation as one kernel: the elementwise tree is evaluated as each output is stored. */
const emitEpilogue = (cx: ScheduleContext, id: NodeId, plan: KernelPlan & { k: 'epilogue' }, buf: string, note: string): void => {
  const shape = cx.g.shape(id);
  cx.ready(id, new Map([[plan.acc, true]]), true);
  const last = plan.groups.map((gr) => gr[gr.length - 1]!);
  const epilogue = (acc: Expr, idx: readonly Expr[]): Expr =>
    cx.exprOf(
      id,
      shape,
      new Map([[plan.acc, acc]]),
      true,
    )(
      (leaf) =>
        load(
          leaf.buf,
          affine(
            leaf.offset,
            idx,
            last.map((a) => leaf.strides[a]!),
          ),
        ),
      (axis) => idx[plan.groups.findIndex((x) => x.includes(axis))]!,
    );
  emitContraction(cx, plan.contraction, epilogue, buf, `${cx.node(id).op} of ${cx.node(plan.contraction).op}: ${note}`);
};

/** A row kernel: the row reductions, then the per-row values, then the root, over each of `nOuter` rows. */
const emitRow = (cx: ScheduleContext, id: NodeId, plan: KernelPlan & { k: 'row' }, buf: string, note: string): void => {
  const { node, exprOf, ready, fresh } = cx;
  const shape = cx.g.shape(id);
  const treeNode = (i: NodeId): NodeId => effective(cx.P, i);
  const rowNote = `row-fused ${note}`;
  const s = new Map<NodeId, Expr>();
  const reductions: RowReduction[] = plan.rows.map((r) => {
    const red = node(treeNode(r));
    const e = opDef(red.op)!.emit as Emit & { kind: 'reduce' };
    const acc = fresh('row');
    const out = { acc, identity: e.identity, combine: e.combine, build: exprOf(red.inputs[0]!, shape, new Map(s)) };
    s.set(r, { k: 'var', name: acc });
    return out;
  });
  const lets = plan.lets.map((l) => {
    const name = fresh('rowv');
    const out = { name, build: exprOf(l, shape, new Map(s)) };
    s.set(l, { k: 'var', name });
    return out;
  });
  ready(id, s, true);
  for (const r of plan.rows) ready(node(treeNode(r)).inputs[0]!, s);
  for (const l of plan.lets) for (const i of node(treeNode(l)).inputs) ready(i, s);
  cx.addKernel(rowKernel(buf, shape, plan.nOuter, reductions, lets, exprOf(id, shape, s, true), fresh, rowNote), buf, rowNote);
};

/** A scan: its body scheduled on its own (scanKernel.ts), its sequences read in place where strides allow. */
const emitScan = (cx: ScheduleContext, id: NodeId, note: string): void => {
  const { g, P, memory, fresh, newTemp, addKernel } = cx;
  const n = cx.node(id);
  cx.subs.push(
    scheduleScan(
      {
        env: cx.env,
        prefix: cx.prefix,
        consumers: g.readers(id),
        fresh,
        newTemp,
        pushKernel: cx.pushKernel,
        shape: g.shape,
        contiguous: (i) => cx.simd.addressable(memory(i, true)).buf,
        strided: (i) => {
          const c = P.get(i)!;
          if (c.k === 'constant') {
            // a constant sequence (a zero cotangent) is one element read with stride 0 everywhere
            const buf = newTemp([1], `constant ${c.value} read by ${note}`);
            addKernel(fillKernel(buf, 1, c.value, fresh), buf, `constant ${c.value}`);
            return { buf, offset: 0, strides: g.shape(i).map(() => 0) };
          }
          const v = memory(i);
          // a broadcast (stride 0) is fine to read from; any strided window of a buffer is
          return { buf: v.buf, offset: v.view.offset, strides: v.view.strides.map((st, a) => (v.shape[a] === 1 ? 0 : st)) };
        },
        setView: (i, buf, offset, s) => cx.at.set(i, contiguous(buf, s, offset)),
        scheduleBody: (scan, p) => cx.scheduleBody(scanInfo(scan).body, p),
      },
      n,
      note,
      cx.subs.length,
    ),
  );
};

/** Emits the kernel of node `id`, placed in a buffer; returns where its value is. */
export const emitPlaced = (cx: ScheduleContext, id: NodeId, plan: KernelPlan): Located => {
  const { g, node, memory, newTemp, addKernel, exprOf, ready, fresh } = cx;
  const n = node(id),
    shape = g.shape(id),
    note = where(n);
  const done = (l: Located): Located => {
    cx.at.set(id, l);
    return l;
  };
  switch (plan.k) {
    case 'map':
    case 'row':
    case 'epilogue': {
      const buf = newTemp(shape, note);
      if (plan.k === 'epilogue') emitEpilogue(cx, id, plan, buf, note);
      else if (plan.k === 'row') emitRow(cx, id, plan, buf, note);
      else {
        ready(id, undefined, true);
        addKernel(mapKernel(buf, shape, exprOf(id, shape, undefined, true), fresh, note), buf, note);
      }
      return done(contiguous(buf, shape));
    }
    case 'reduce': {
      const e = opDef(n.op)!.emit as Emit & { kind: 'reduce' };
      const inShape = g.shape(n.inputs[0]!);
      const buf = newTemp(shape, note);
      ready(n.inputs[0]!);
      const axes = n.attrs['axes'] as readonly number[];
      addKernel(reduceKernel(buf, inShape, axes, e.identity, e.combine, exprOf(n.inputs[0]!, inShape), fresh, note), buf, note);
      return done(contiguous(buf, shape));
    }
    case 'contraction':
      return done(emitContraction(cx, id));
    case 'pieces': {
      const e = opDef(n.op)!.emit as Emit & { kind: 'pieces' };
      const buf = newTemp(shape, note);
      const srcs = n.inputs.map((i) => memory(i));
      const starts = e.pieces(n.inputs.map(g.shape), n.attrs);
      const body: Stmt[] = [...fillKernel(buf, size(shape), e.fill, fresh)];
      for (const [k, s] of srcs.entries()) body.push(...copyKernel(buf, shape, starts[k]!, s.shape, leafOf(s, s.shape), fresh));
      addKernel(body, buf, note);
      return done(contiguous(buf, shape));
    }
    case 'kernel': {
      const e = opDef(n.op)!.emit as Emit & { kind: 'kernel' };
      const srcs = n.inputs.map((i) => memory(i, true));
      const buf = newTemp(shape, note);
      const scratch = (m: number) => newTemp([m], `scratch of ${note}`);
      const body = e.kernel({ out: buf, ins: srcs.map((v) => v.buf), outShape: shape, inShapes: srcs.map((v) => v.shape), attrs: n.attrs, fresh, scratch });
      addKernel([...body], buf, note);
      return done(contiguous(buf, shape));
    }
    case 'scan':
      emitScan(cx, id, note);
      return done(contiguous('', [])); // its results are the loop results it locates
  }
};
