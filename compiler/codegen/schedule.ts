// Optimized IR + concrete dims → kernels over named buffers. Decides what is materialized:
// elementwise nodes used once by an elementwise op or a reduction of the same size are fused into
// their consumer's loop; movement ops become strided views of existing buffers (no copy); reductions,
// contractions and pad/concat get their own kernels. Codegen asks the op registry, never op names.
import { InternalError } from '../diagnostics/diagnostic.js';
import { type DimEnv, concreteShape } from '../ir/bind.js';
import { CONST, INPUT, inputName, inputRole, type InputRole, type IrFunction, type Node } from '../ir/ir.js';
import { affine, externBuffers, load, loadsIn, num, stmtExprs, type Expr, type Stmt } from '../loops/loops.js';
import { contiguousStrides, size } from '../ops/ndarray.js';
import type { ContractionArgs, Emit, StridedView } from '../ops/op.js';
import { opDef } from '../ops/registry.js';
import { dimEval } from '../types/dims.js';
import { fmtType } from '../types/types.js';
import { copyKernel, fillKernel, mapKernel, reduceKernel, rowKernel, type ExprBuilder, type Leaf, type RowReduction } from './kernels.js';
import { SCAN, SCAN_OUT, scanInfo } from '../ir/scan.js';
import { scheduleScan, type SubSchedule } from './scanKernel.js';
import { CHEAP_OPS, axisGroups, callsFunction, sameDims } from './fusionRules.js';
import { HOME_ROLES, type InputSlot, type Kernel, type Schedule, type TempBuffer } from './scheduleTypes.js';
export { CODEGEN_STEPS, type CodegenStep } from './fusionRules.js';

export { HOME_ROLES, lastWriter, type InputSlot, type Kernel, type Schedule, type TempBuffer } from './scheduleTypes.js';

type Val =
  | { readonly k: 'view'; readonly buf: string; readonly view: StridedView; readonly shape: readonly number[] }
  | { readonly k: 'inline'; readonly node: Node; readonly shape: readonly number[] }
  | { readonly k: 'const'; readonly value: number; readonly shape: readonly number[] }
  /** A contraction whose only consumer is elementwise: emitted later with that consumer as its epilogue. */
  | { readonly k: 'deferred'; readonly node: Node; readonly shape: readonly number[]; readonly mm: readonly number[] }
  /** A reduction over trailing axes whose consumers are elementwise: computed inside their row kernel. */
  | { readonly k: 'row'; readonly node: Node; readonly shape: readonly number[] };

const where = (n: Node): string => `${n.op} -> ${fmtType(n.type)}${n.label ? ` ${n.label}` : ''}${n.backward ? ' (backward)' : ''} @${n.span.file}:${n.span.start}`;

/**
 * `prefix` names the kernels and buffers of a loop body apart from its parent's. `native`: the module is
 * C (compiler/native), where every buffer has an address, so no input is copied for a matmul kernel.
 */
/** A native fused epilogue's product scratch, in elements (128 KiB): the C kernels pack B once per call, so they want whole products. */
const NATIVE_ROW_BUDGET = 1 << 15;

export const schedule = (f: IrFunction, env: DimEnv, prefix = '', off: ReadonlySet<string> = new Set(), native = false): Schedule => {
  const EPILOGUE_FUSION = !off.has('epilogue');
  const SIMD = !off.has('simd');
  const kernels: Kernel[] = [];
  const subs: SubSchedule[] = [];
  const temps: TempBuffer[] = [];
  const vals = new Map<number, Val>();
  const shapes = new Map<number, number[]>();
  const consumers = new Map<number, Node[]>();
  for (const n of f.nodes) for (const i of n.inputs) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const escapes = new Set<number>([...f.outputs.map((o) => o.id), ...f.updates.map((u) => u.value)]);
  let counter = 0;
  const fresh = (h: string) => `${h}_${counter++}`;

  const newTemp = (shape: readonly number[], note: string): string => {
    const name = `${prefix}t${temps.length}`;
    temps.push({ name, size: size(shape), note });
    return name;
  };
  const addKernel = (body: Stmt[], writes: string, note: string): void => {
    const reads = new Set<string>();
    const walk = (ss: readonly Stmt[]): void => ss.forEach((s) => {
      for (const e of stmtExprs(s)) for (const l of loadsIn(e)) reads.add(l.buf);
      if (s.k === 'extern') externBuffers(s).forEach((b) => reads.add(b));
      if (s.k === 'for' || s.k === 'if') walk(s.body);
    });
    walk(body);
    reads.delete(writes);
    kernels.push({ name: `${prefix}k${kernels.length}`, body, writes: [writes], reads: [...reads], note });
  };

  const leafOf = (val: Val & { k: 'view' }, loopShape: readonly number[]): Leaf => {
    const lead = loopShape.length - val.shape.length;
    return {
      buf: val.buf, offset: val.view.offset,
      strides: loopShape.map((d, i) => (i < lead || (val.shape[i - lead] === 1 && d !== 1) ? 0 : val.view.strides[i - lead]!)),
    };
  };

  /** The scalar expression of value `id` at the kernel's loop indices (loop shape `S`). */
  const exprOf = (id: number, S: readonly number[], subs?: ReadonlyMap<number, Expr>): ExprBuilder => (read, axisIndex) => {
    const go = (vid: number): Expr => {
      let val = vals.get(vid)!;
      const sub = subs?.get(vid);
      if (sub) return sub;
      if (val.k === 'deferred') val = undefer(vid);
      if (val.k === 'row') val = unrow(vid);
      if (val.k === 'const') return num(val.value);
      if (val.k === 'view') return read(leafOf(val, S));
      const n = val.node;
      const def = opDef(n.op)!;
      if (def.emit.kind !== 'scalar') throw new InternalError(`inline node ${n.op} is not elementwise`);
      const lead = S.length - val.shape.length;
      return def.emit.expr(n.inputs.map(go), n.attrs, (axis) => axisIndex(lead + axis), val.shape);
    };
    return go(id);
  };

  /** Emits a contraction's kernel into `buf` (a new buffer by default), with an optional fused epilogue. */
  const emitContraction = (id: number, epilogue?: ContractionArgs['epilogue'], into?: string, note?: string): Val & { k: 'view' } => {
    const node = f.nodes.find((n) => n.id === id)!;
    const emit = opDef(node.op)!.emit as Emit & { kind: 'contraction' };
    const shape = shapes.get(id)!;
    const float = [node, ...node.inputs.map((i) => f.nodes.find((m) => m.id === i)!)].every((m) => m.type.dtype === 'f32');
    const [a, b0] = node.inputs.map((i) => materialize(i)) as [Val & { k: 'view' }, Val & { k: 'view' }];
    const simd = SIMD && float ? { scratch: (n: number) => newTemp([n], `scratch of ${where(node)}`), copyA: !inMemory(a.buf), ...(native ? { rowBudget: NATIVE_ROW_BUDGET } : {}) } : undefined;
    const b = simd ? addressable(b0) : b0;
    const buf = into ?? newTemp(shape, where(node));
    const body = emit.kernel({ out: buf, a: { buf: a.buf, view: a.view }, b: { buf: b.buf, view: b.view }, outShape: shape, inShapes: [a.shape, b.shape], fresh, ...(epilogue ? { epilogue } : {}), ...(simd ? { simd } : {}) });
    addKernel([...body], buf, note ?? where(node));
    const out = { k: 'view', buf, view: { offset: 0, strides: contiguousStrides(shape) }, shape } as const;
    if (!into) vals.set(id, out);
    return out;
  };

  /**
   * A value the SIMD kernels can address: arena temps and parameter/state inputs live in the module's
   * WebAssembly memory (module.ts simdHomes); a batch input is copied into the arena for this one use,
   * so the copy lives no longer than the kernel reading it (a matmul's A operand is instead copied a
   * panel of rows at a time by the kernel: ops/matmulSimd.ts). A loop body's inputs are all in memory
   * (their scan passes arena buffers, homes, or such copies).
   */
  const inMemory = (buf: string): boolean => {
    const slot = inputs.find((x) => x.buf === buf);
    return native || !slot || prefix !== '' || HOME_ROLES.has(slot.role);
  };
  const addressable = (val: Val & { k: 'view' }): Val & { k: 'view' } => {
    const slot = inputs.find((x) => x.buf === val.buf);
    if (!slot || slot.dtype !== 'f32' || inMemory(val.buf)) return val; // integers never reach a SIMD kernel
    const buf = newTemp(slot.shape, `copy of input ${slot.name} for a SIMD kernel`);
    const whole = { buf: slot.buf, offset: 0, strides: contiguousStrides(slot.shape) };
    addKernel(copyKernel(buf, slot.shape, slot.shape.map(() => 0), slot.shape, whole, fresh), buf, `copy of input ${slot.name} into WebAssembly memory`);
    return { ...val, buf };
  };

  /** Emits a deferred contraction without an epilogue; a reshape of it becomes a view of its buffer. */
  const undefer = (id: number): Val & { k: 'view' } => {
    const dv = vals.get(id) as Val & { k: 'deferred' };
    const mmVal = vals.get(dv.node.id)!;
    const mm = mmVal.k === 'deferred' ? emitContraction(dv.node.id) : (mmVal as Val & { k: 'view' });
    if (id === dv.node.id) return mm;
    const out = { k: 'view', buf: mm.buf, view: { offset: 0, strides: contiguousStrides(dv.shape) }, shape: dv.shape } as const;
    vals.set(id, out);
    return out;
  };

  /** Whether a contraction's only consumer (possibly through one flat reshape) is elementwise, same shape. */
  const epilogueConsumer = (n: Node, shape: readonly number[]): boolean => {
    const cs = consumers.get(n.id) ?? [];
    if (cs.length !== 1) return false;
    const c = cs[0]!;
    const kind = opDef(c.op)?.emit.kind;
    if (kind === 'scalar') return sameDims(concreteShape(c.type.shape, env), shape);
    if (kind !== 'view' || escapes.has(c.id)) return false;
    const next = consumers.get(c.id) ?? [];
    return next.length === 1 && opDef(next[0]!.op)?.emit.kind === 'scalar' && sameDims(concreteShape(next[0]!.type.shape, env), concreteShape(c.type.shape, env));
  };

  /**
   * The epilogue of a fused elementwise tree rooted at `id`, whose deferred leaf `d` is the accumulator.
   * The matmul's index has one entry per group of the tree's axes; a leaf must be contiguous across the
   * axes of a group (true for bias vectors and same-shape tensors), otherwise there is no epilogue.
   */
  const epilogueFor = (id: number, shape: readonly number[], d: number, groups: readonly number[][]): ContractionArgs['epilogue'] | undefined => {
    const strideOf = (strides: readonly number[]): number[] | undefined => {
      const out: number[] = [];
      for (const g of groups) {
        for (let q = 0; q + 1 < g.length; q++) if (strides[g[q]!] !== strides[g[q + 1]!]! * shape[g[q + 1]!]!) return undefined;
        out.push(strides[g[g.length - 1]!]!);
      }
      return out;
    };
    let ok = true;
    const build = (acc: Expr, idx: readonly Expr[]): Expr => exprOf(id, shape, new Map([[d, acc]]))(
      (leaf) => { const st = strideOf(leaf.strides); if (!st) { ok = false; return num(0); } return load(leaf.buf, affine(leaf.offset, idx, st)); },
      (axis) => { const g = groups.findIndex((x) => x.includes(axis)); if (groups[g]!.length !== 1) ok = false; return idx[g]!; });
    build(num(0), groups.map(() => num(0)));
    return ok ? build : undefined;
  };

  /** Emits reduction node `n` (output `shape`) as its own kernel into a new buffer. */
  const emitReduction = (n: Node, shape: readonly number[]): Val & { k: 'view' } => {
    const emit = opDef(n.op)!.emit as Emit & { kind: 'reduce' };
    const inShape = shapes.get(n.inputs[0]!)!;
    const buf = newTemp(shape, where(n));
    addKernel(reduceKernel(buf, inShape, n.attrs['axes'] as readonly number[], emit.identity, emit.combine, exprOf(n.inputs[0]!, inShape), fresh, where(n)), buf, where(n));
    const out = { k: 'view', buf, view: { offset: 0, strides: contiguousStrides(shape) }, shape } as const;
    vals.set(n.id, out);
    return out;
  };

  /** Emits a row-deferred reduction as its own kernel (a consumer could not take it into its row kernel). */
  const unrow = (id: number): Val & { k: 'view' } => {
    const r = vals.get(id) as Val & { k: 'row' };
    return emitReduction(r.node, r.shape);
  };

  /** The node whose loop an elementwise node ends up in: follow single elementwise consumers of equal size. */
  const rootOf = (c: Node): Node | undefined => {
    if (opDef(c.op)?.emit.kind !== 'scalar') return undefined;
    const next = consumers.get(c.id) ?? [];
    if (escapes.has(c.id) || next.length !== 1) return c;
    const d = next[0]!;
    if (opDef(d.op)?.emit.kind !== 'scalar' || size(concreteShape(d.type.shape, env)) !== size(concreteShape(c.type.shape, env))) return c;
    return rootOf(d);
  };
  const sameRoot = (cs: readonly Node[]): boolean => {
    const roots = cs.map(rootOf);
    return roots[0] !== undefined && roots.every((r) => r === roots[0]);
  };

  /** Whether view node `v` only broadcasts its input of shape `inShape` (right-aligned, size-1 axes stretched). */
  const isBroadcast = (v: Node, inShape: readonly number[]): boolean => {
    const out = concreteShape(v.type.shape, env);
    const emit = opDef(v.op)?.emit;
    if (emit?.kind !== 'view' || out.length < inShape.length) return false;
    const lead = out.length - inShape.length;
    if (!inShape.every((d, i) => d === 1 || d === out[i + lead])) return false;
    const contiguous = { offset: 0, strides: contiguousStrides(inShape) };
    const view = emit.view(inShape, out, v.attrs, contiguous);
    const broadcast = leafOf({ k: 'view', buf: '', view: contiguous, shape: inShape }, out).strides;
    return view !== null && view.offset === 0 && out.every((d, a) => d === 1 || view.strides[a] === broadcast[a]);
  };

  /** Whether an inline expression reads a row-deferred reduction. */
  const readsRow = (id: number): boolean => {
    const val = vals.get(id)!;
    return val.k === 'row' || (val.k === 'inline' && val.node.inputs.some(readsRow));
  };

  /**
   * A row kernel for root `id` (loop shape `shape`), if every reduction it reads runs over the same
   * trailing axes of that very shape: the reductions in dependency order, the per-row values (shape 1 on
   * the reduced axes) computed once per row, then the root. undefined: no row fusion here.
   */
  const rowFusion = (id: number, shape: readonly number[], out: string, note: string): Stmt[] | undefined => {
    const rows: number[] = [];
    const visit = (vid: number): void => {
      const val = vals.get(vid)!;
      if (val.k === 'row') { if (!rows.includes(vid)) { visit(val.node.inputs[0]!); rows.push(vid); } return; }
      if (val.k === 'inline') val.node.inputs.forEach(visit);
    };
    visit(id);
    if (rows.length === 0 || deferredIn(id).length) return undefined;
    const rank = shape.length;
    let nOuter = -1;
    for (const r of rows) {
      const n = (vals.get(r) as Val & { k: 'row' }).node;
      const axes = n.attrs['axes'] as readonly number[];
      const k = rank - axes.length;
      if (!sameDims(shapes.get(n.inputs[0]!)!, shape) || !axes.every((a) => a >= k) || (nOuter >= 0 && k !== nOuter)) return undefined;
      nOuter = k;
    }
    const subs = new Map<number, Expr>();
    const reductions: RowReduction[] = rows.map((r) => {
      const n = (vals.get(r) as Val & { k: 'row' }).node;
      const emit = opDef(n.op)!.emit as Emit & { kind: 'reduce' };
      const acc = fresh('row');
      const red = { acc, identity: emit.identity, combine: emit.combine, build: exprOf(n.inputs[0]!, shape, new Map(subs)) };
      subs.set(r, { k: 'var', name: acc });
      return red;
    });
    // Per-row values: inline nodes on the root's path that read a reduction and are 1 on every reduced axis.
    const lets: { name: string; build: ExprBuilder }[] = [];
    const perRow = (vid: number): void => {
      const val = vals.get(vid)!;
      if (val.k !== 'inline' || subs.has(vid) || !readsRow(vid)) return;
      const lead = rank - val.shape.length;
      if (lead <= nOuter && val.shape.every((d, i) => i + lead < nOuter || d === 1)) {
        const name = fresh('rowv');
        lets.push({ name, build: exprOf(vid, shape, new Map(subs)) });
        subs.set(vid, { k: 'var', name });
        return;
      }
      val.node.inputs.forEach(perRow);
    };
    perRow(id);
    return rowKernel(out, shape, nOuter, reductions, lets, exprOf(id, shape, subs), fresh, note);
  };

  /** The deferred contractions an inline expression reads. */
  const deferredIn = (id: number, found: number[] = []): number[] => {
    const val = vals.get(id)!;
    if (val.k === 'deferred') found.push(id);
    else if (val.k === 'inline') val.node.inputs.forEach((i) => deferredIn(i, found));
    return found;
  };

  /** Ensures a value lives in a buffer (possibly strided); inline expressions and constants get a kernel. */
  const materialize = (id: number, forceContiguous = false): Val & { k: 'view' } => {
    const val = vals.get(id)!;
    const shape = shapes.get(id)!;
    if (val.k === 'deferred') return undefer(id);
    if (val.k === 'row') return unrow(id);
    if (val.k === 'view' && !forceContiguous) return val;
    if (val.k === 'view' && val.view.offset === 0 && val.view.strides.every((s, i) => shape[i] === 1 || s === contiguousStrides(shape)[i])) return val;
    const node = f.nodes.find((n) => n.id === id)!;
    const buf = newTemp(shape, where(node));
    const deferred = val.k === 'inline' ? [...new Set(deferredIn(id))] : [];
    const d = deferred.length === 1 ? deferred[0]! : undefined;
    const dv = d === undefined ? undefined : vals.get(d)!;
    const groups = dv?.k === 'deferred' && sameDims(dv.shape, shape) ? axisGroups(shape, dv.mm) : undefined;
    const epilogue = groups && dv?.k === 'deferred' ? epilogueFor(id, shape, d!, groups) : undefined;
    if (epilogue && dv?.k === 'deferred') {
      // Matmul + bias + activation as one kernel: the elementwise tree is evaluated as each output is stored.
      emitContraction(dv.node.id, epilogue, buf, `${node.op} of ${dv.node.op}: ${where(node)}`);
    } else {
      const rowNote = `row-fused ${where(node)}`;
      const row = val.k === 'inline' && !off.has('fusion') ? rowFusion(id, shape, buf, rowNote) : undefined;
      if (row) addKernel(row, buf, rowNote);
      else addKernel(mapKernel(buf, shape, exprOf(id, shape), fresh, where(node)), buf, where(node));
    }
    const out = { k: 'view', buf, view: { offset: 0, strides: contiguousStrides(shape) }, shape } as const;
    vals.set(id, out);
    return out;
  };

  /** Whether elementwise node `n`'s own expression (inputs aside) calls a function (exp, log, …). */
  const callsInExpr = (n: Node): boolean => {
    const emit = opDef(n.op)?.emit;
    return emit?.kind !== 'scalar' || callsFunction(emit.expr(n.inputs.map(() => num(0)), n.attrs, () => num(0), concreteShape(n.type.shape, env)));
  };

  /** Operations an inline expression of `n` costs (buffers and constants are free); ∞ with a call or a deferred matmul. */
  const inlineCost = (n: Node): number => {
    if (callsInExpr(n)) return Infinity;
    return n.inputs.reduce((c, i) => {
      const v = vals.get(i)!;
      return c + (v.k === 'view' || v.k === 'const' ? 0 : v.k === 'inline' ? inlineCost(v.node) : Infinity);
    }, 1);
  };

  const inputs: InputSlot[] = [];
  for (const n of f.nodes) {
    const shape = concreteShape(n.type.shape, env);
    shapes.set(n.id, shape);
    if (n.op === INPUT) {
      const buf = `in${inputs.length}`;
      inputs.push({ name: inputName(n), role: inputRole(n), buf, shape, dtype: n.type.dtype, node: n });
      vals.set(n.id, { k: 'view', buf, view: { offset: 0, strides: contiguousStrides(shape) }, shape });
      continue;
    }
    if (n.op === CONST) {
      const value = dimEval(n.attrs['value'] as number | string, env);
      if (value === undefined) throw new InternalError(`unbound dim in constant %${n.id}`);
      vals.set(n.id, { k: 'const', value, shape });
      continue;
    }
    if (n.op === SCAN_OUT) continue; // set by its scan
    if (n.op === SCAN) {
      subs.push(scheduleScan({
        env, prefix, consumers: consumers.get(n.id) ?? [], fresh,
        shape: (id) => shapes.get(id)!,
        contiguous: (id) => (SIMD ? addressable(materialize(id, true)) : materialize(id, true)).buf,
        strided: (id) => {
          const c = vals.get(id)!;
          if (c.k === 'const') {
            // a constant sequence (a zero cotangent) is one element read with stride 0 everywhere
            const buf = newTemp([1], `constant ${c.value} read by ${where(n)}`);
            addKernel(fillKernel(buf, 1, c.value, fresh), buf, `constant ${c.value}`);
            return { buf, offset: 0, strides: c.shape.map(() => 0) };
          }
          const v = materialize(id);
          // a broadcast (stride 0) is fine to read from; any strided window of a buffer is
          return { buf: v.buf, offset: v.view.offset, strides: v.view.strides.map((st, a) => (v.shape[a] === 1 ? 0 : st)) };
        },
        newTemp,
        pushKernel: (body, writes, reads, note) => kernels.push({ name: `${prefix}k${kernels.length}`, body, writes: [...new Set(writes)], reads: [...new Set(reads)].filter((r) => !writes.includes(r)), note }),
        setView: (id, buf, offset, shape) => vals.set(id, { k: 'view', buf, view: { offset, strides: contiguousStrides(shape) }, shape }),
        scheduleBody: (scan, p) => schedule(scanInfo(scan).body, env, p, off, native),
      }, n, where(n), subs.length));
      continue;
    }
    const def = opDef(n.op);
    if (!def) throw new InternalError(`codegen: unknown op ${n.op}`);
    const emit = def.emit;
    const note = where(n);
    switch (emit.kind) {
      case 'scalar': {
        const cs = consumers.get(n.id) ?? [];
        const only = cs.length === 1 ? cs[0]! : undefined;
        const onlyKind = only === undefined ? undefined : opDef(only.op)?.emit.kind;
        // Fused into its only consumer when that loop visits each element once: a reduction's loop runs over
        // this node's shape, an elementwise consumer's over its own. A per-row value read by a broadcasting
        // consumer stays inline too: its row kernel computes it once per row.
        const intoOnly = (): boolean => {
          if (onlyKind === 'reduce') return true;
          if (onlyKind === 'scalar') return size(concreteShape(only!.type.shape, env)) === size(shape) || n.inputs.some(readsRow);
          return onlyKind === 'view' && isBroadcast(only!, shape) && n.inputs.some(readsRow);
        };
        const fusable = !off.has('fusion') && only !== undefined && !escapes.has(n.id) && intoOnly();
        // A few operations (no function call) on values already in buffers, used by several (or
        // broadcasting) consumers, are recomputed in each instead of stored: a ReLU's mask x > 0 is
        // read by the forward select and by the backward one, a one-hot by the loss and its gradient.
        const cheap = !off.has('fusion') && cs.length > 0 && !escapes.has(n.id)
          && cs.every((c) => { const k = opDef(c.op)?.emit.kind; return k === 'scalar' || k === 'reduce'; })
          && inlineCost(n) <= CHEAP_OPS;
        // Read several times inside one fused expression (a ReLU reads its input twice: where(x > 0, x, 0)):
        // inline, so the root evaluates it at each use — a matmul's bias add then stays in its epilogue.
        const oneRoot = !off.has('fusion') && cs.length > 1 && !escapes.has(n.id) && sameRoot(cs)
          && !callsInExpr(n)
          && n.inputs.every((i) => { const v = vals.get(i)!; return v.k !== 'inline' || inlineCost(v.node) <= CHEAP_OPS; });
        const allConst = n.inputs.length > 0 && n.inputs.every((i) => vals.get(i)!.k === 'const');
        if (allConst && n.inputs.every((i) => shapes.get(i)!.length === 0) && shape.length === 0) {
          // Fold scalar constant arithmetic right here.
          const ins = n.inputs.map((i) => ({ shape: [] as number[], data: Float64Array.of((vals.get(i) as { value: number }).value) }));
          vals.set(n.id, { k: 'const', value: def.eval(ins, n.attrs, { dtype: n.type.dtype, shape: [] }).data[0]!, shape });
        } else {
          vals.set(n.id, { k: 'inline', node: n, shape });
          if (!fusable && !cheap && !oneRoot) materialize(n.id, true);
        }
        break;
      }
      case 'view': {
        const inId = n.inputs[0]!;
        const inVal = vals.get(inId)!;
        if (inVal.k === 'const') { vals.set(n.id, { k: 'const', value: inVal.value, shape }); break; }
        // Broadcasting an unmaterialized value: its consumers evaluate it at their own loop indices.
        if ((inVal.k === 'inline' || inVal.k === 'row') && !off.has('fusion') && isBroadcast(n, shapes.get(inId)!)) { vals.set(n.id, inVal); break; }
        if (inVal.k === 'deferred') {
          // a reshape keeps the flat layout, so the epilogue can still be fused through it
          const inShape = shapes.get(inId)!;
          const v0 = emit.view(inShape, shape, n.attrs, { offset: 0, strides: contiguousStrides(inShape) });
          if (v0 && v0.offset === 0 && sameDims(v0.strides, contiguousStrides(shape))) { vals.set(n.id, { ...inVal, shape }); break; }
        }
        let src = materialize(inId);
        let view = emit.view(shapes.get(inId)!, shape, n.attrs, src.view);
        if (!view) { src = materialize(inId, true); view = emit.view(shapes.get(inId)!, shape, n.attrs, src.view)!; }
        vals.set(n.id, { k: 'view', buf: src.buf, view, shape });
        break;
      }
      case 'reduce': {
        const inShape = shapes.get(n.inputs[0]!)!;
        const axes = n.attrs['axes'] as readonly number[];
        // Over trailing axes, read only by elementwise ops: let their row kernel compute it.
        const cs = consumers.get(n.id) ?? [];
        if (!off.has('fusion') && !escapes.has(n.id) && axes.length > 0 && axes.every((a) => a >= inShape.length - axes.length)
          && cs.length > 0 && cs.every((c) => opDef(c.op)?.emit.kind === 'scalar')) {
          vals.set(n.id, { k: 'row', node: n, shape });
          break;
        }
        emitReduction(n, shape);
        break;
      }
      case 'pieces': {
        const buf = newTemp(shape, note);
        const srcs = n.inputs.map((i) => materialize(i));
        const starts = emit.pieces(n.inputs.map((i) => shapes.get(i)!), n.attrs);
        const body: Stmt[] = [...fillKernel(buf, size(shape), emit.fill, fresh)];
        srcs.forEach((s, k) => body.push(...copyKernel(buf, shape, starts[k]!, s.shape, leafOf(s, s.shape), fresh)));
        addKernel(body, buf, note);
        vals.set(n.id, { k: 'view', buf, view: { offset: 0, strides: contiguousStrides(shape) }, shape });
        break;
      }
      case 'kernel': {
        const srcs = n.inputs.map((i) => materialize(i, true));
        const buf = newTemp(shape, note);
        const scratch = (m: number) => newTemp([m], `scratch of ${note}`);
        addKernel([...emit.kernel({ out: buf, ins: srcs.map((v) => v.buf), outShape: shape, inShapes: srcs.map((v) => v.shape), attrs: n.attrs, fresh, scratch })], buf, note);
        vals.set(n.id, { k: 'view', buf, view: { offset: 0, strides: contiguousStrides(shape) }, shape });
        break;
      }
      case 'contraction': {
        // Defer when the only consumer is an elementwise op of the same shape: it becomes the epilogue.
        if (EPILOGUE_FUSION && !escapes.has(n.id) && epilogueConsumer(n, shape)) {
          n.inputs.forEach((i) => materialize(i));
          vals.set(n.id, { k: 'deferred', node: n, shape, mm: shape });
        } else emitContraction(n.id);
        break;
      }
    }
  }

  // Outputs and updates each get a contiguous buffer of their own that no input aliases.
  const owned = new Set<string>();
  const own = (id: number): string => {
    let val = materialize(id, true);
    const whole = temps.find((t) => t.name === val.buf)?.size === size(shapes.get(id)!);
    if (val.buf.startsWith('in') || owned.has(val.buf) || !whole) {
      const shape = shapes.get(id)!;
      const buf = newTemp(shape, `copy of %${id}`);
      addKernel(copyKernel(buf, shape, shape.map(() => 0), shape, leafOf(val, shape), fresh), buf, `copy of %${id}`);
      val = { k: 'view', buf, view: { offset: 0, strides: contiguousStrides(shape) }, shape };
    }
    owned.add(val.buf);
    return val.buf;
  };
  // A value listed under two output names (a model's first loss is also `loss`) is stored once.
  const outputBuf = new Map<number, string>();
  const ownOutput = (id: number): string => outputBuf.get(id) ?? (outputBuf.set(id, own(id)), outputBuf.get(id)!);
  const outputs = f.outputs.map((o) => ({ name: o.name, buf: ownOutput(o.id), shape: shapes.get(o.id)! }));
  const updates = f.updates.map((u) => ({ input: inputs.findIndex((s) => s.node.id === u.target), buf: own(u.value) }));
  const guards = (f.guards ?? []).map((g) => outputs.find((o) => o.name === g)!.buf);
  return { kernels, temps, inputs, outputs, updates, guards, subs };
};
