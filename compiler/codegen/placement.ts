// Where each node of a function lives once it is compiled (the fusion plan, codegen/fusion.ts, decides;
// the scheduler, codegen/schedule.ts, follows), and the scalar expression of a fused tree of nodes —
// the one walk over placements that both the planner (to check a kernel it is about to fuse) and the
// scheduler (to build that kernel) use.
import { InternalError } from '../diagnostics/diagnostic.js';
import type { Node } from '../ir/ir.js';
import { num, type Expr } from '../loops/loops.js';
import { contiguousStrides } from '../ops/ndarray.js';
import type { StridedView } from '../ops/op.js';
import { opDef } from '../ops/registry.js';
import type { ExprBuilder, Leaf } from './kernels.js';

export type NodeId = number;

/** What the kernel of a node placed in a buffer computes. */
export type KernelPlan =
  /** An elementwise tree rooted at the node, one store per element. */
  | { readonly k: 'map' }
  /**
   * The tree and the reductions over trailing axes it reads, as one loop nest: per index of the first
   * `nOuter` axes, each of `rows` (dependency order) over the row, then the per-row values `lets`, then the row.
   */
  | { readonly k: 'row'; readonly rows: readonly NodeId[]; readonly lets: readonly NodeId[]; readonly nOuter: number }
  /** Contraction `contraction` with the tree as its epilogue; `acc` (the contraction or a flat reshape of it) is the accumulator. */
  | { readonly k: 'epilogue'; readonly contraction: NodeId; readonly acc: NodeId; readonly groups: readonly (readonly number[])[] }
  | { readonly k: 'reduce' | 'contraction' | 'pieces' | 'kernel' | 'scan' };

export type Placement =
  /** An argument of the function: its own buffer. */
  | { readonly k: 'input' }
  /** A number known at compile time, written into expressions; `stored`: also filled into a buffer for readers that need memory. */
  | { readonly k: 'constant'; readonly value: number; readonly stored: boolean }
  /**
   * A strided view of its input's memory, no copy. `copySource`: the view needs its input contiguous (a reshape
   * of a transpose). `contiguousCopy`: the first reader that needs contiguous memory (a kernel, a loop
   * capture, an output) makes a contiguous copy, and every reader after it reads the copy.
   */
  | { readonly k: 'view'; readonly copySource: boolean; readonly contiguousCopy: boolean; readonly late: boolean }
  /** Evaluated inside the loop of each kernel that reads it. */
  | { readonly k: 'inline' }
  /** A broadcast of an unmaterialized value: its readers evaluate `of` at their own loop indices. */
  | { readonly k: 'broadcast'; readonly of: NodeId }
  /** A reduction computed inside the row kernels of the roots that read it (their KernelPlan lists it). */
  | { readonly k: 'row' }
  /** A contraction (or a flat reshape of one) whose results are stored through the epilogue of `root`'s kernel. */
  | { readonly k: 'epilogue'; readonly contraction: NodeId; readonly root: NodeId }
  /** Its own kernel into a new contiguous buffer. `late`: emitted just before the first kernel that reads it (a declined fusion). */
  | { readonly k: 'buffer'; readonly kernel: KernelPlan; readonly late: boolean }
  /** A window of a loop's carries, stored by the loop's kernel; `contiguousCopy` as for a view. */
  | { readonly k: 'loopResult'; readonly contiguousCopy: boolean }
  /** Read by nothing that is computed. */
  | { readonly k: 'unused' };

/** A value in memory: a strided view of buffer `buf` of shape `shape`. */
export interface Located {
  readonly buf: string;
  readonly view: StridedView;
  readonly shape: readonly number[];
}

export const contiguous = (buf: string, shape: readonly number[], offset = 0): Located => ({ buf, view: { offset, strides: contiguousStrides(shape) }, shape });

export const isContiguous = (l: Located): boolean => {
  const c = contiguousStrides(l.shape);
  return l.view.offset === 0 && l.view.strides.every((s, i) => l.shape[i] === 1 || s === c[i]);
};

/** The leaf read of `l` at the indices of a loop over `loopShape` (right-aligned; stride 0 where broadcast). */
export const leafOf = (l: Located, loopShape: readonly number[]): Leaf => {
  const lead = loopShape.length - l.shape.length;
  return {
    buf: l.buf,
    offset: l.view.offset,
    strides: loopShape.map((d, i) => (i < lead || (l.shape[i - lead] === 1 && d !== 1) ? 0 : l.view.strides[i - lead]!)),
  };
};

/** The node a value is evaluated as: a broadcast of an unmaterialized value is that value. */
export const effective = (P: ReadonlyMap<NodeId, Placement>, id: NodeId): NodeId => {
  const p = P.get(id)!;
  return p.k === 'broadcast' ? effective(P, p.of) : id;
};

export interface TreeSource {
  readonly placements: ReadonlyMap<NodeId, Placement>;
  node(id: NodeId): Node;
  shape(id: NodeId): readonly number[];
  /** Where a value that is neither inline nor constant is (the planner may decide it here). */
  memory(id: NodeId): Located;
}

/** How a tree node is read: expanded (`inline`, its inputs read in turn), a number, or from memory. */
const treeStep = (
  P: ReadonlyMap<NodeId, Placement>,
  node: (id: NodeId) => Node,
  vid: NodeId,
  asRoot: boolean,
): { k: 'expand'; e: NodeId } | { k: 'through'; e: NodeId } | { k: 'constant'; value: number } | { k: 'memory'; e: NodeId } => {
  const e = effective(P, vid);
  const p = P.get(e)!;
  if (p.k === 'constant') return { k: 'constant', value: p.value };
  // a kernel root is expanded although it is placed in a buffer; a broadcast made a root is its input's tree
  if (asRoot && opDef(node(e).op)?.emit.kind === 'view') return { k: 'through', e: node(e).inputs[0]! };
  return p.k === 'inline' || asRoot ? { k: 'expand', e } : { k: 'memory', e };
};

/**
 * The scalar expression of value `id` at the indices of a loop over `S`: inline nodes are expanded,
 * constants written as numbers, everything else read from memory; `subs` replaces values by expressions
 * (an accumulator, a per-row value). `asRoot`: `id` is the root of the kernel being built.
 */
export const treeExpr =
  (src: TreeSource, id: NodeId, S: readonly number[], subs?: ReadonlyMap<NodeId, Expr>, asRoot = false): ExprBuilder =>
  (read, axisIndex) => {
    const go = (vid: NodeId, top: boolean): Expr => {
      const sub = subs?.get(vid);
      if (sub) return sub;
      const step = treeStep(src.placements, src.node, vid, top);
      if (step.k === 'constant') return num(step.value);
      if (step.k === 'through') return go(step.e, false);
      if (step.k === 'memory') return read(leafOf(src.memory(step.e), S));
      const n = src.node(step.e);
      const def = opDef(n.op)!;
      if (def.emit.kind !== 'scalar') throw new InternalError(`inline node ${n.op} is not elementwise`);
      const shape = src.shape(step.e);
      const lead = S.length - shape.length;
      return def.emit.expr(
        n.inputs.map((i) => go(i, false)),
        n.attrs,
        // an axis of size 1 is broadcast: index 0 there, whatever the loop's index (iota(1) + v is v)
        (axis) => (shape[axis] === 1 ? num(0) : axisIndex(lead + axis)),
        shape,
      );
    };
    return go(id, asRoot);
  };

/** Visits, in the order treeExpr reads them, the values a tree reads from memory. */
export const memoryLeaves = (
  P: ReadonlyMap<NodeId, Placement>,
  node: (id: NodeId) => Node,
  id: NodeId,
  visit: (id: NodeId) => void,
  subs?: ReadonlyMap<NodeId, unknown>,
  asRoot = false,
): void => {
  const go = (vid: NodeId, top: boolean): void => {
    if (subs?.has(vid)) return;
    const step = treeStep(P, node, vid, top);
    if (step.k === 'through') go(step.e, false);
    else if (step.k === 'expand') for (const i of node(step.e).inputs) go(i, false);
    else if (step.k === 'memory') visit(step.e);
  };
  go(id, asRoot);
};
