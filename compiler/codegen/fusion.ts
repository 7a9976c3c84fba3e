// The fusion plan: where every node of a function lives — its own buffer, a view of another's memory,
// a constant, inline in its readers' loops, a per-row reduction inside a row kernel, or a contraction
// whose results are stored through an elementwise epilogue — decided here, once, in node order. The
// scheduler (schedule.ts) only turns these placements into kernels.
//
// Decisions, in the order the nodes come:
//   • elementwise: fused into its only reader when that loop visits each element once (a reduction, an
//     elementwise op of the same size, a broadcast inside a row kernel); recomputed in each reader when it
//     costs ≤ CHEAP_OPS operations; inline when all its readers end in one loop; otherwise a kernel root.
//   • reduction over trailing axes read only by elementwise ops: a row reduction (computed in the readers'
//     row kernel); otherwise its own kernel.
//   • contraction whose only reader (possibly through a flat reshape) is elementwise of its shape: an
//     epilogue candidate; otherwise its own kernel.
//   • view: a broadcast of an unmaterialized value stays unmaterialized; a flat reshape of an epilogue
//     candidate stays one; otherwise a strided view of its input's memory.
// A kernel root decides its kernel: the epilogue of the one candidate it reads, when every leaf of the tree
// is contiguous across the axes the contraction's index merges; else a row kernel, when every row
// reduction it reads runs over the trailing axes of its very shape; else a map. Candidates a root could not
// take become buffers of their own, made just before the first kernel that reads them (`late`).
import { InternalError } from '../diagnostics/diagnostic.js';
import type { DimEnv } from '../ir/bind.js';
import { CONST, INPUT, type IrFunction } from '../ir/ir.js';
import { SCAN, SCAN_OUT, outWindow, scanInfo, windowStart } from '../ir/scan.js';
import { num } from '../loops/loops.js';
import { size } from '../ops/ndarray.js';
import { opDef } from '../ops/registry.js';
import { dimEval } from '../types/dims.js';
import { CHEAP_OPS, axisGroups, graphOf, sameDims } from './fusionRules.js';
import { contiguous, effective, isContiguous, memoryLeaves, treeExpr, type KernelPlan, type Located, type NodeId, type Placement } from './placement.js';
export type { KernelPlan, NodeId, Placement } from './placement.js';

/** `off`: code generation steps switched off by name ('fusion', 'epilogue'). */
export const planFusion = (f: IrFunction, env: DimEnv, off: ReadonlySet<string> = new Set()): Map<NodeId, Placement> => {
  const FUSION = !off.has('fusion'),
    EPILOGUE = !off.has('epilogue');
  const g = graphOf(f, env);
  const P = new Map<NodeId, Placement>();
  const layouts = new Map<NodeId, Located>();
  const node = (id: NodeId) => g.nodes.get(id)!;
  const own = (id: NodeId): Located => contiguous(`%${id}`, g.shape(id));
  const place = (id: NodeId, p: Placement, at?: Located): void => {
    P.set(id, p);
    if (at) layouts.set(id, at);
  };
  const buffer = (id: NodeId, kernel: KernelPlan, late: boolean): Located => {
    place(id, { k: 'buffer', kernel, late }, own(id));
    return own(id);
  };

  /** Where value `id` is in memory for a reader that needs it there (contiguous, if `dense`); declines fusions as needed. */
  const memory = (id: NodeId, dense = false): Located => {
    const p = P.get(id)!;
    switch (p.k) {
      case 'epilogue':
        return decline(id, p.contraction);
      case 'row':
        return reduction(id, true);
      case 'inline':
      case 'broadcast':
        return root(id, true);
      case 'constant':
        place(id, { ...p, stored: true }, own(id));
        return own(id);
      case 'view':
      case 'loopResult': {
        const at = layouts.get(id)!;
        if (!dense || isContiguous(at)) return at;
        place(id, { ...p, contiguousCopy: true }, own(id)); // read from the copy from now on
        return own(id);
      }
      case 'unused':
        throw new InternalError(`fusion: %${id} is read but unused`);
      default:
        return layouts.get(id)!;
    }
  };
  const tree = { placements: P, node, shape: g.shape, memory: (id: NodeId) => memory(id) };
  /** Declines the epilogue of contraction `c`, read here through `id` (itself or a flat reshape of it). */
  const decline = (id: NodeId, c: NodeId): Located => {
    if (P.get(c)!.k === 'epilogue') buffer(c, { k: 'contraction' }, true);
    if (id === c) return layouts.get(c)!;
    place(id, { k: 'view', copySource: false, contiguousCopy: false, late: true }, contiguous(`%${c}`, g.shape(id)));
    return layouts.get(id)!;
  };
  /** Every value a tree reads from memory is placed there (the tree's own kernel is decided). */
  const settle = (id: NodeId, subs?: ReadonlyMap<NodeId, unknown>): void =>
    memoryLeaves(
      P,
      node,
      id,
      (e) => {
        memory(e);
      },
      subs,
    );
  const reduction = (id: NodeId, late: boolean): Located => {
    const at = buffer(id, { k: 'reduce' }, late);
    settle(node(id).inputs[0]!);
    return at;
  };

  /** The epilogue candidates an inline tree reads. */
  const candidatesIn = (id: NodeId, found: NodeId[] = []): NodeId[] => {
    const e = effective(P, id);
    const p = P.get(e)!;
    if (p.k === 'epilogue') found.push(e);
    else if (p.k === 'inline') for (const i of node(e).inputs) candidatesIn(i, found);
    return found;
  };
  const readsRow = (id: NodeId): boolean => {
    const e = effective(P, id);
    const p = P.get(e)!;
    return p.k === 'row' || (p.k === 'inline' && node(e).inputs.some(readsRow));
  };
  /** Operations an inline expression of `id` costs (memory and constants are free); ∞ with a call, a candidate or a row reduction. */
  const inlineCost = (id: NodeId): number => {
    const n = node(id);
    if (g.callsInExpr(n)) return Infinity;
    return n.inputs.reduce((c, i) => {
      const e = effective(P, i);
      const k = P.get(e)!.k;
      return c + (k === 'inline' ? inlineCost(e) : k === 'row' || k === 'epilogue' ? Infinity : 0);
    }, 1);
  };

  /**
   * The epilogue of candidate `d` (of contraction `c`) for the tree rooted at `id`: the contraction's index
   * has one entry per group of the tree's axes, so every leaf must be contiguous across the axes of a group
   * (bias vectors and same-shape tensors are) and no op may read a single axis of a merged group.
   */
  const epilogue = (id: NodeId, d: NodeId, c: NodeId): KernelPlan | undefined => {
    const shape = g.shape(id);
    const groups = sameDims(g.shape(d), shape) ? axisGroups(shape, g.shape(c)) : undefined;
    if (!groups) return undefined;
    const merged = (strides: readonly number[]): boolean =>
      groups.every((gr) => gr.every((a, q) => q + 1 >= gr.length || strides[a] === strides[gr[q + 1]!]! * shape[gr[q + 1]!]!));
    let ok = true;
    treeExpr(
      tree,
      id,
      shape,
      new Map([[d, num(0)]]),
    )(
      (leaf) => {
        if (!merged(leaf.strides)) ok = false;
        return num(0);
      },
      (axis) => {
        if (groups.find((x) => x.includes(axis))!.length !== 1) ok = false;
        return num(0);
      },
    );
    return ok ? { k: 'epilogue', contraction: c, acc: d, groups } : undefined;
  };

  /** A row kernel for root `id`, if every row reduction it reads runs over the same trailing axes of its shape. */
  const rowKernel = (id: NodeId): KernelPlan | undefined => {
    const shape = g.shape(id),
      rank = shape.length;
    const rows: NodeId[] = [];
    const visit = (vid: NodeId): void => {
      const e = effective(P, vid);
      const p = P.get(e)!;
      if (p.k === 'row') {
        if (!rows.includes(vid)) {
          visit(node(e).inputs[0]!);
          rows.push(vid);
        }
        return;
      }
      if (p.k === 'inline') node(e).inputs.forEach(visit);
    };
    visit(id);
    if (rows.length === 0 || candidatesIn(id).length) return undefined;
    let nOuter = -1;
    for (const r of rows) {
      const red = node(effective(P, r));
      const axes = red.attrs['axes'] as readonly number[];
      const k = rank - axes.length;
      if (!sameDims(g.shape(red.inputs[0]!), shape) || !axes.every((a) => a >= k) || (nOuter >= 0 && k !== nOuter)) return undefined;
      nOuter = k;
    }
    // Per-row values: inline nodes on the root's path (not the root: it is the kernel's output) that read a
    // reduction and are 1 on every reduced axis — a root of that shape has reduced axes of size 1. A value
    // of lower rank (one reading a scalar sum) lines up with the root's trailing axes, as broadcasting does:
    // those it has must be outer or 1.
    const lets: NodeId[] = [];
    const perRow = (vid: NodeId): void => {
      const e = effective(P, vid);
      const p = P.get(e)!;
      if (p.k !== 'inline' || rows.includes(vid) || lets.includes(vid) || !readsRow(vid)) return;
      const s = g.shape(e);
      const lead = rank - s.length;
      if (vid !== id && s.every((d, i) => i + lead < nOuter || d === 1)) {
        lets.push(vid);
        return;
      }
      node(e).inputs.forEach(perRow);
    };
    perRow(id);
    return { k: 'row', rows, lets, nOuter };
  };

  /** Decides the kernel of tree root `id` (an inline value, or a broadcast of one, that must be in memory). */
  const root = (id: NodeId, late: boolean): Located => {
    const found = [...new Set(candidatesIn(id))];
    const d = found.length === 1 ? found[0]! : undefined;
    const c = d === undefined ? undefined : (P.get(d) as Placement & { k: 'epilogue' }).contraction;
    const fused = d !== undefined ? epilogue(id, d, c!) : undefined; // (its probe settled the tree's leaves)
    if (fused) {
      place(c!, { k: 'epilogue', contraction: c!, root: id });
      if (d !== c) place(d!, { k: 'epilogue', contraction: c!, root: id });
      return buffer(id, fused, late);
    }
    const rows = FUSION ? rowKernel(id) : undefined;
    if (rows?.k === 'row') {
      const subs = new Map<NodeId, true>([...rows.rows, ...rows.lets].map((r) => [r, true]));
      for (const r of rows.rows) settle(node(effective(P, r)).inputs[0]!, subs);
      for (const l of rows.lets) for (const i of node(effective(P, l)).inputs) settle(i, subs);
      settle(id, subs);
      return buffer(id, rows, late);
    }
    settle(id);
    return buffer(id, { k: 'map' }, late);
  };

  for (const n of f.nodes) {
    const shape = g.shape(n.id);
    if (n.op === INPUT) {
      place(n.id, { k: 'input' }, own(n.id));
      continue;
    }
    if (n.op === CONST) {
      const value = dimEval(n.attrs['value'] as number | string, env);
      if (value === undefined) throw new InternalError(`unbound dim in constant %${n.id}`);
      place(n.id, { k: 'constant', value, stored: false });
      continue;
    }
    if (n.op === SCAN_OUT) continue; // placed by its scan
    if (n.op === SCAN) {
      const s = scanInfo(n);
      n.inputs.forEach((i, k) => {
        if (k >= s.carries + s.xs) memory(i, true);
        else if (P.get(i)!.k !== 'constant') memory(i);
      });
      place(n.id, { k: 'buffer', kernel: { k: 'scan' }, late: false });
      for (const c of g.readers(n.id)) {
        if (c.op !== SCAN_OUT) continue;
        const { index, window } = outWindow(c);
        const offset = window === 'last' ? 0 : windowStart(s.reverse, window) * size(g.shape(n.inputs[index]!));
        place(c.id, { k: 'loopResult', contiguousCopy: false }, contiguous(`%${n.id}.${index}`, g.shape(c.id), offset));
      }
      continue;
    }
    const def = opDef(n.op);
    if (!def) throw new InternalError(`codegen: unknown op ${n.op}`);
    const emit = def.emit;
    const escapes = g.escapes.has(n.id);
    switch (emit.kind) {
      case 'scalar': {
        const cs = g.readers(n.id);
        const only = cs.length === 1 ? cs[0]! : undefined;
        const onlyKind = only && g.kind(only);
        // Fused into its only consumer when that loop visits each element once: a reduction's loop runs over
        // this node's shape, an elementwise consumer's over its own. A per-row value read by a broadcasting
        // consumer stays inline too: its row kernel computes it once per row.
        const intoOnly = (): boolean => {
          if (onlyKind === 'reduce') return true;
          if (onlyKind === 'scalar') return size(g.shape(only!.id)) === size(shape) || n.inputs.some(readsRow);
          return onlyKind === 'view' && g.isBroadcast(only!, shape) && n.inputs.some(readsRow);
        };
        const fusable = FUSION && only !== undefined && !escapes && intoOnly();
        // A few operations (no function call) on values already in memory, used by several (or
        // broadcasting) consumers, are recomputed in each instead of stored: a ReLU's mask x > 0 is
        // read by the forward select and by the backward one, a one-hot by the loss and its gradient.
        const cheap = FUSION && cs.length > 0 && !escapes && cs.every((c) => g.kind(c) === 'scalar' || g.kind(c) === 'reduce') && inlineCost(n.id) <= CHEAP_OPS;
        // Read several times inside one fused expression (a ReLU reads its input twice: where(x > 0, x, 0)):
        // inline, so the root evaluates it at each use — a matmul's bias add then stays in its epilogue.
        const oneRoot =
          FUSION &&
          cs.length > 1 &&
          !escapes &&
          g.sameRoot(cs) &&
          !g.callsInExpr(n) &&
          n.inputs.every((i) => P.get(effective(P, i))!.k !== 'inline' || inlineCost(effective(P, i)) <= CHEAP_OPS);
        const consts = n.inputs.map((i) => P.get(i)!);
        if (consts.length > 0 && consts.every((p) => p.k === 'constant') && n.inputs.every((i) => g.shape(i).length === 0) && shape.length === 0) {
          // Scalar constant arithmetic is folded here.
          const ins = consts.map((p) => ({ shape: [] as number[], data: Float64Array.of((p as Placement & { k: 'constant' }).value) }));
          place(n.id, { k: 'constant', value: def.eval(ins, n.attrs, { dtype: n.type.dtype, shape: [] }).data[0]!, stored: false });
        } else {
          place(n.id, { k: 'inline' });
          if (!fusable && !cheap && !oneRoot) root(n.id, false);
        }
        break;
      }
      case 'view': {
        const inId = n.inputs[0]!;
        const inP = P.get(inId)!;
        if (inP.k === 'constant') {
          place(n.id, { k: 'constant', value: inP.value, stored: false });
          break;
        }
        // Broadcasting an unmaterialized value: its consumers evaluate it at their own loop indices.
        if ((inP.k === 'inline' || inP.k === 'row' || inP.k === 'broadcast') && FUSION && g.isBroadcast(n, g.shape(inId))) {
          place(n.id, { k: 'broadcast', of: inId });
          break;
        }
        if (inP.k === 'epilogue') {
          // a reshape keeps the flat layout, so the epilogue can still be fused through it
          const v0 = emit.view(g.shape(inId), shape, n.attrs, own(inId).view);
          if (v0 && v0.offset === 0 && sameDims(v0.strides, own(n.id).view.strides)) {
            place(n.id, { k: 'epilogue', contraction: inP.contraction, root: -1 });
            break;
          }
        }
        let src = memory(inId);
        let view = emit.view(g.shape(inId), shape, n.attrs, src.view);
        const copySource = !view;
        if (!view) {
          src = memory(inId, true);
          view = emit.view(g.shape(inId), shape, n.attrs, src.view)!;
        }
        place(n.id, { k: 'view', copySource, contiguousCopy: false, late: false }, { buf: src.buf, view, shape });
        break;
      }
      case 'reduce': {
        const axes = n.attrs['axes'] as readonly number[];
        const cs = g.readers(n.id);
        const inRank = g.shape(n.inputs[0]!).length;
        // A row kernel reads the reduction at the row it is in: its value must broadcast along the reduced
        // axes. With keepdims it does; without, right-aligned it would line up with the inner axes (x / sum(x,
        // axis = -1) on a square x reads s[j]), unless it holds one value.
        const constantAlongRow = shape.length === inRank || size(shape) === 1;
        if (
          FUSION &&
          !escapes &&
          constantAlongRow &&
          axes.length > 0 &&
          axes.every((a) => a >= inRank - axes.length) &&
          cs.length > 0 &&
          cs.every((c) => g.kind(c) === 'scalar')
        )
          place(n.id, { k: 'row' });
        else reduction(n.id, false);
        break;
      }
      case 'pieces':
        for (const i of n.inputs) memory(i);
        buffer(n.id, { k: 'pieces' }, false);
        break;
      case 'kernel':
        for (const i of n.inputs) memory(i, true);
        buffer(n.id, { k: 'kernel' }, false);
        break;
      case 'contraction':
        for (const i of n.inputs) memory(i);
        if (EPILOGUE && !escapes && g.epilogueConsumer(n)) place(n.id, { k: 'epilogue', contraction: n.id, root: -1 });
        else buffer(n.id, { k: 'contraction' }, false);
        break;
    }
  }
  for (const id of [...f.outputs.map((o) => o.id), ...f.updates.map((u) => u.value)]) memory(id, true);
  for (const [id, p] of P) if (p.k === 'epilogue' && p.root < 0) P.set(id, { k: 'unused' });
  return P;
};

/** A placement in words: `row`, `buffer (row kernel)`, `view (late)`, `broadcast of %4`, … */
export const describePlacement = (p: Placement): string => {
  const late = 'late' in p && p.late ? ', late' : '';
  switch (p.k) {
    case 'buffer':
      return `buffer (${p.kernel.k} kernel${late})`;
    case 'view':
      return `view${p.copySource ? ' of a contiguous copy' : ''}${p.contiguousCopy ? ', then copied' : ''}${late ? ' (late)' : ''}`;
    case 'constant':
      return `constant ${p.value}${p.stored ? ', stored' : ''}`;
    case 'broadcast':
      return `broadcast of %${p.of}`;
    case 'epilogue':
      return `epilogue of %${p.root}`;
    default:
      return p.k;
  }
};
