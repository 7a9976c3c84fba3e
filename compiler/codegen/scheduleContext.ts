// The state one `schedule` call builds (kernels, temporaries, input slots, where each value is in memory)
// and the operations on it that every placement shares: naming, new temporaries and kernels, and making a
// value present in memory on first need (a late kernel, a view, a constant fill or a contiguous copy).
// What each placement's kernel looks like is nodeKernels.ts; the node walk and outputs are schedule.ts.
import { InternalError } from '../diagnostics/diagnostic.js';
import type { DimEnv } from '../ir/bind.js';
import type { IrFunction, Node } from '../ir/ir.js';
import { externBuffers, loadsIn, num, stmtExprs, type Expr, type Stmt } from '../loops/loops.js';
import { size } from '../ops/ndarray.js';
import type { Emit } from '../ops/op.js';
import { opDef } from '../ops/registry.js';
import { fmtType } from '../types/types.js';
import type { KernelPlan, NodeId, Placement } from './fusion.js';
import { graphOf } from './fusionRules.js';
import { mapKernel } from './kernels.js';
import { contiguous, isContiguous, leafOf, memoryLeaves, treeExpr, type Located } from './placement.js';
import type { InputSlot, Kernel, Schedule, SubSchedule, TempBuffer } from './scheduleTypes.js';
import { simdOperands, type Addressing } from './simdOperands.js';

export const where = (n: Node): string =>
  `${n.op} -> ${fmtType(n.type)}${n.label ? ` ${n.label}` : ''}${n.backward ? ' (backward)' : ''} @${n.span.file}:${n.span.start}`;

/** What a schedule of one function is made in: the fixed inputs (`f`, its plan `P`, …) and the growing results. */
export interface ScheduleContext {
  readonly f: IrFunction;
  readonly env: DimEnv;
  readonly prefix: string;
  readonly off: ReadonlySet<string>;
  readonly addressing: Addressing;
  readonly P: ReadonlyMap<NodeId, Placement>;
  readonly g: ReturnType<typeof graphOf>;
  readonly node: (id: NodeId) => Node;
  readonly kernels: Kernel[];
  readonly subs: SubSchedule[];
  readonly temps: TempBuffer[];
  readonly inputs: InputSlot[];
  /** Where each value is in memory (a view's contiguous copy, once made, replaces the view). */
  readonly at: Map<NodeId, Located>;
  readonly fresh: (hint: string) => string;
  /** A new temporary of `shape` (`body`: a loop body's arena of that many bytes instead). */
  readonly newTemp: (shape: readonly number[], note: string, body?: number) => string;
  readonly pushKernel: (body: Stmt[], writes: readonly string[], reads: readonly string[], note: string) => void;
  /** A kernel writing `writes`, reading every other buffer its body loads from. */
  readonly addKernel: (body: Stmt[], writes: string, note: string) => void;
  /** Value `id` in memory (contiguous, if `needDense`); a late kernel, view or constant fill is made on first need. */
  readonly memory: (id: NodeId, needDense?: boolean) => Located;
  readonly locateView: (id: NodeId, copySource: boolean) => Located;
  /** The expression of the elementwise tree rooted at `id` over shape `S` (`s`: values already in variables). */
  readonly exprOf: (id: NodeId, S: readonly number[], s?: ReadonlyMap<NodeId, Expr>, asRoot?: boolean) => ReturnType<typeof treeExpr>;
  /** Makes the values a tree reads from memory (late kernels are emitted here, in the order the tree reads them). */
  readonly ready: (id: NodeId, s?: ReadonlyMap<NodeId, unknown>, asRoot?: boolean) => void;
  readonly simd: ReturnType<typeof simdOperands>;
  /** The schedule of a loop body (`prefix` names its kernels and buffers apart). */
  readonly scheduleBody: (body: IrFunction, prefix: string) => Schedule;
}

/** The kernel of a node placed in a buffer, given its plan: nodeKernels.ts's `emitPlaced`. */
export type EmitPlaced = (cx: ScheduleContext, id: NodeId, plan: KernelPlan) => Located;

export const scheduleContext = (
  fixed: Pick<ScheduleContext, 'f' | 'env' | 'prefix' | 'off' | 'addressing' | 'P' | 'scheduleBody'>,
  emitPlaced: EmitPlaced,
): ScheduleContext => {
  const { f, env, prefix, off, addressing, P } = fixed;
  const g = graphOf(f, env);
  const node = (id: NodeId) => g.nodes.get(id)!;
  const kernels: Kernel[] = [];
  const temps: TempBuffer[] = [];
  const inputs: InputSlot[] = [];
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
  const fail = (id: NodeId): never => {
    throw new InternalError(`schedule: %${id} (${P.get(id)?.k}) is read before it is in memory`);
  };
  const tree = { placements: P, node, shape: g.shape, memory: (id: NodeId) => at.get(id) ?? fail(id) };
  const exprOf = (id: NodeId, S: readonly number[], s?: ReadonlyMap<NodeId, Expr>, asRoot = false) => treeExpr(tree, id, S, s, asRoot);
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

  const memory = (id: NodeId, needDense = false): Located => {
    const p = P.get(id)!;
    let l = at.get(id);
    if (!l && p.k === 'buffer') l = emitPlaced(cx, id, p.kernel);
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
  const cx: ScheduleContext = {
    ...fixed,
    g,
    node,
    kernels,
    subs: [],
    temps,
    inputs,
    at,
    fresh,
    newTemp,
    pushKernel,
    addKernel,
    memory,
    locateView,
    exprOf,
    ready,
    simd,
  };
  return cx;
};
