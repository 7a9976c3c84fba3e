// Optimized IR + concrete dims → kernels over named buffers, following the fusion plan (fusion.ts):
// every node's placement is decided there; here each node placed in a buffer becomes a kernel (at its
// own place in node order, or a `late` one just before the first kernel that reads it), views and
// loop results are located in memory, and outputs get buffers of their own. Nothing here decides fusion.
import { InternalError } from '../diagnostics/diagnostic.js';
import type { DimEnv } from '../ir/bind.js';
import { inputName, inputRole, type IrFunction, type Node } from '../ir/ir.js';
import { scanInfo } from '../ir/scan.js';
import { affine, externBuffers, load, loadsIn, num, stmtExprs, type Expr, type Stmt } from '../loops/loops.js';
import { size } from '../ops/ndarray.js';
import type { Emit } from '../ops/op.js';
import { opDef } from '../ops/registry.js';
import { fmtType } from '../types/types.js';
import { planFusion, type KernelPlan, type NodeId, type Placement } from './fusion.js';
import { graphOf } from './fusionRules.js';
import { copyKernel, fillKernel, mapKernel, reduceKernel, rowKernel, type RowReduction } from './kernels.js';
import { contiguous, effective, isContiguous, leafOf, memoryLeaves, treeExpr, type Located } from './placement.js';
import { scheduleScan } from './scanKernel.js';
import type { InputSlot, Kernel, Schedule, SubSchedule, TempBuffer } from './scheduleTypes.js';
import { simdOperands, type Addressing } from './simdOperands.js';
export { CODEGEN_STEPS, type CodegenStep } from './fusionRules.js';
export { HOME_ROLES, lastWriter, type InputSlot, type Kernel, type Schedule, type TempBuffer } from './scheduleTypes.js';

const where = (n: Node): string =>
  `${n.op} -> ${fmtType(n.type)}${n.label ? ` ${n.label}` : ''}${n.backward ? ' (backward)' : ''} @${n.span.file}:${n.span.start}`;

/**
 * `prefix` names the kernels and buffers of a loop body apart from its parent's. `addressing`: whether
 * every buffer has an address (WebAssembly, C), so no input is copied for a matmul kernel (simdOperands.ts).
 * `P`: the fusion plan of `f` (compiler/pipeline.ts makes it as its own phase; loop bodies plan their own here).
 */
export const schedule = (
  f: IrFunction,
  env: DimEnv,
  prefix = '',
  off: ReadonlySet<string> = new Set(),
  addressing: Addressing = 'js',
  P: ReadonlyMap<NodeId, Placement> = planFusion(f, env, off),
): Schedule => {
  const g = graphOf(f, env);
  const node = (id: NodeId) => g.nodes.get(id)!;
  const kernels: Kernel[] = [];
  const subs: SubSchedule[] = [];
  const temps: TempBuffer[] = [];
  const inputs: InputSlot[] = [];
  /** Where each value is in memory (a view's contiguous copy, once made, replaces the view). */
  const at = new Map<NodeId, Located>();
  let counter = 0;
  const fresh = (h: string) => `${h}_${counter++}`;

  const newTemp = (shape: readonly number[], note: string, body?: number): string => {
    const name = `${prefix}t${temps.length}`;
    temps.push({ name, size: body === undefined ? size(shape) : 0, note, ...(body === undefined ? {} : { body }) });
    return name;
  };
  const pushKernel = (body: Stmt[], writes: readonly string[], reads: readonly string[], note: string): void => {
    const w = [...new Set(writes)];
    kernels.push({ name: `${prefix}k${kernels.length}`, body, writes: w, reads: [...new Set(reads)].filter((r) => !w.includes(r)), note });
  };
  const addKernel = (body: Stmt[], writes: string, note: string): void => {
    const reads = new Set<string>();
    const walk = (ss: readonly Stmt[]): void =>
      ss.forEach((s) => {
        for (const e of stmtExprs(s)) for (const l of loadsIn(e)) reads.add(l.buf);
        if (s.k === 'extern') for (const b of externBuffers(s)) reads.add(b);
        if (s.k === 'for' || s.k === 'if') walk(s.body);
      });
    walk(body);
    reads.delete(writes);
    pushKernel(body, [writes], [...reads], note);
  };
  const tree = { placements: P, node, shape: g.shape, memory: (id: NodeId) => at.get(id) ?? fail(id) };
  const fail = (id: NodeId): never => {
    throw new InternalError(`schedule: %${id} (${P.get(id)?.k}) is read before it is in memory`);
  };
  const exprOf = (id: NodeId, S: readonly number[], s?: ReadonlyMap<NodeId, Expr>, asRoot = false) => treeExpr(tree, id, S, s, asRoot);
  /** Makes the values a tree reads from memory (late kernels are emitted here, in the order the tree reads them). */
  const ready = (id: NodeId, s?: ReadonlyMap<NodeId, unknown>, asRoot = false): void =>
    memoryLeaves(
      P,
      node,
      id,
      (e) => {
        memory(e);
      },
      s,
      asRoot,
    );

  /** Value `id` in memory (contiguous, if `needDense`); a late kernel, view or constant fill is made on first need. */
  const memory = (id: NodeId, needDense = false): Located => {
    const p = P.get(id)!;
    let l = at.get(id);
    if (!l && p.k === 'buffer') l = emit(id, p.kernel);
    if (!l && p.k === 'view') l = locateView(id, p.copySource);
    if (!l && p.k === 'constant' && p.stored) {
      const shape = g.shape(id);
      const buf = newTemp(shape, where(node(id)));
      addKernel(
        mapKernel(buf, shape, () => num(p.value), fresh, where(node(id))),
        buf,
        where(node(id)),
      );
      l = contiguous(buf, shape);
      at.set(id, l);
    }
    if (!l) return fail(id);
    if (!needDense || isContiguous(l)) return l;
    if ((p.k !== 'view' && p.k !== 'loopResult') || !p.contiguousCopy) throw new InternalError(`schedule: %${id} needs a copy the plan did not make`);
    const shape = g.shape(id);
    const buf = newTemp(shape, where(node(id)));
    addKernel(
      mapKernel(buf, shape, (read) => read(leafOf(l!, shape)), fresh, where(node(id))),
      buf,
      where(node(id)),
    );
    at.set(id, contiguous(buf, shape));
    return at.get(id)!;
  };
  const locateView = (id: NodeId, copySource: boolean): Located => {
    const n = node(id),
      inId = n.inputs[0]!;
    const src = memory(inId, copySource);
    const view = (opDef(n.op)!.emit as Emit & { kind: 'view' }).view(g.shape(inId), g.shape(id), n.attrs, src.view);
    if (!view) throw new InternalError(`schedule: view %${id} cannot be expressed over its input`);
    const l = { buf: src.buf, view, shape: g.shape(id) };
    at.set(id, l);
    return l;
  };

  const simd = simdOperands({ on: !off.has('simd'), addressing, loopBody: prefix !== '', inputs, newTemp, addKernel, fresh });

  /** Emits contraction `id` into `into` (a new buffer by default), with an optional fused epilogue. */
  const emitContraction = (id: NodeId, epilogue?: (acc: Expr, idx: readonly Expr[]) => Expr, into?: string, note?: string): Located => {
    const n = node(id);
    const emit = opDef(n.op)!.emit as Emit & { kind: 'contraction' };
    const shape = g.shape(id);
    const float = [n, ...n.inputs.map(node)].every((m) => m.type.dtype === 'f32');
    const [a, b0] = n.inputs.map((i) => memory(i)) as [Located, Located];
    const fast = simd.kernel(float, a, where(n));
    const b = fast ? simd.addressable(b0) : b0;
    const buf = into ?? newTemp(shape, where(n));
    const body = emit.kernel({
      out: buf,
      a: { buf: a.buf, view: a.view },
      b: { buf: b.buf, view: b.view },
      outShape: shape,
      inShapes: [a.shape, b.shape],
      fresh,
      ...(epilogue ? { epilogue } : {}),
      ...(fast ? { simd: fast } : {}),
    });
    addKernel([...body], buf, note ?? where(n));
    return contiguous(buf, shape);
  };

  /** Emits the kernel of node `id`, placed in a buffer; returns where its value is. */
  const emit = (id: NodeId, plan: KernelPlan): Located => {
    const n = node(id),
      shape = g.shape(id),
      note = where(n);
    const done = (l: Located): Located => {
      at.set(id, l);
      return l;
    };
    switch (plan.k) {
      case 'map':
      case 'row':
      case 'epilogue': {
        const buf = newTemp(shape, note);
        if (plan.k === 'epilogue') {
          // Matmul + bias + activation as one kernel: the elementwise tree is evaluated as each output is stored.
          ready(id, new Map([[plan.acc, true]]), true);
          const last = plan.groups.map((gr) => gr[gr.length - 1]!);
          const epilogue = (acc: Expr, idx: readonly Expr[]): Expr =>
            exprOf(
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
          emitContraction(plan.contraction, epilogue, buf, `${n.op} of ${node(plan.contraction).op}: ${note}`);
        } else if (plan.k === 'row') {
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
          addKernel(rowKernel(buf, shape, plan.nOuter, reductions, lets, exprOf(id, shape, s, true), fresh, rowNote), buf, rowNote);
        } else {
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
        return done(emitContraction(id));
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
        subs.push(
          scheduleScan(
            {
              env,
              prefix,
              consumers: g.readers(id),
              fresh,
              newTemp,
              pushKernel,
              shape: g.shape,
              contiguous: (i) => simd.addressable(memory(i, true)).buf,
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
              setView: (i, buf, offset, s) => at.set(i, contiguous(buf, s, offset)),
              scheduleBody: (scan, p) => schedule(scanInfo(scan).body, env, p, off, addressing),
            },
            n,
            note,
            subs.length,
          ),
        );
        return done(contiguous('', [])); // its results are the loop results it locates
    }
  };
  const treeNode = (id: NodeId): NodeId => effective(P, id);

  for (const n of f.nodes) {
    const p = P.get(n.id)!;
    if (p.k === 'input') {
      const buf = `in${inputs.length}`;
      inputs.push({ name: inputName(n), role: inputRole(n), buf, shape: g.shape(n.id), dtype: n.type.dtype, node: n });
      at.set(n.id, contiguous(buf, g.shape(n.id)));
    } else if (p.k === 'view' && !p.late) locateView(n.id, p.copySource);
    else if (opDef(n.op)?.emit.kind === 'contraction' && (p.k === 'epilogue' || p.k === 'buffer')) {
      for (const i of n.inputs) memory(i);
      if (p.k === 'buffer' && !p.late) memory(n.id);
    } else if (p.k === 'buffer' && !p.late) memory(n.id);
  }

  // Outputs and updates each get a contiguous buffer of their own that no input aliases.
  const owned = new Set<string>();
  const own = (id: NodeId): string => {
    let val = memory(id, true);
    const whole = temps.find((t) => t.name === val.buf)?.size === size(g.shape(id));
    if (val.buf.startsWith('in') || owned.has(val.buf) || !whole) {
      const shape = g.shape(id);
      const buf = newTemp(shape, `copy of %${id}`);
      addKernel(
        copyKernel(
          buf,
          shape,
          shape.map(() => 0),
          shape,
          leafOf(val, shape),
          fresh,
        ),
        buf,
        `copy of %${id}`,
      );
      val = contiguous(buf, shape);
    }
    owned.add(val.buf);
    return val.buf;
  };
  // A value listed under two output names (a model's first loss is also `loss`) is stored once.
  const outputBuf = new Map<number, string>();
  const ownOutput = (id: number): string => {
    if (!outputBuf.has(id)) outputBuf.set(id, own(id));
    return outputBuf.get(id)!;
  };
  const outputs = f.outputs.map((o) => ({ name: o.name, buf: ownOutput(o.id), shape: g.shape(o.id) }));
  const updates = f.updates.map((u) => ({ input: inputs.findIndex((s) => s.node.id === u.target), buf: own(u.value) }));
  const guards = (f.guards ?? []).map((gd) => outputs.find((o) => o.name === gd)!.buf);
  return { kernels, temps, inputs, outputs, updates, guards, subs };
};
