// Small facts the fusion planner (fusion.ts) decides with — the shape of the graph around a node,
// never where anything was placed — and the code generation steps that can be switched off by name.
import { concreteShape, type DimEnv } from '../ir/bind.js';
import type { IrFunction, Node } from '../ir/ir.js';
import { num, type Expr } from '../loops/loops.js';
import { contiguousStrides, size } from '../ops/ndarray.js';
import { opDef } from '../ops/registry.js';
import { leafOf } from './placement.js';

/** Largest inline expression recomputed at each use rather than stored. */
export const CHEAP_OPS = 3;

export const callsFunction = (e: Expr): boolean =>
  e.k === 'call' ||
  (e.k === 'bin' && (callsFunction(e.a) || callsFunction(e.b))) ||
  (e.k === 'negate' && callsFunction(e.a)) ||
  (e.k === 'sel' && (callsFunction(e.c) || callsFunction(e.a) || callsFunction(e.b))) ||
  (e.k === 'load' && callsFunction(e.index));

export const sameDims = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/** Groups consecutive axes of `shape` whose sizes multiply to each dim of `target` (a flat reshape). */
export const axisGroups = (shape: readonly number[], target: readonly number[]): number[][] | undefined => {
  const groups: number[][] = [];
  let d = 0;
  for (const t of target) {
    const g: number[] = [];
    let p = 1;
    while (d < shape.length && p < t) {
      p *= shape[d]!;
      g.push(d++);
    }
    if (g.length === 0 && d < shape.length && shape[d] === 1) g.push(d++);
    if (p !== t || g.length === 0) return undefined;
    groups.push(g);
  }
  return d === shape.length ? groups : undefined;
};

/** Code generation steps that can be switched off by name (`dlm compile --no-pass fusion`), for measuring. */
export const CODEGEN_STEPS = {
  fusion: 'elementwise chains and the reductions consuming them become one loop',
  epilogue: 'an elementwise consumer of a matmul or convolution is computed as each output is stored',
  inplace: 'new parameter and optimizer values are written into their own arrays (codegen/inplace.ts)',
  reuse: 'buffers whose lifetimes do not overlap share arena memory (codegen/plan.ts)',
  simd: 'float32 matrix products call WebAssembly SIMD kernels (runtime/wasm); always off in float64',
} as const;
export type CodegenStep = keyof typeof CODEGEN_STEPS;

/** The graph around each node: its readers, whether it leaves the function, its concrete shape, its op's emit kind. */
export const graphOf = (f: IrFunction, env: DimEnv) => {
  const consumers = new Map<number, Node[]>();
  for (const n of f.nodes) for (const i of n.inputs) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const escapes = new Set<number>([...f.outputs.map((o) => o.id), ...f.updates.map((u) => u.value)]);
  const shapes = new Map(f.nodes.map((n) => [n.id, concreteShape(n.type.shape, env)]));
  const nodes = new Map(f.nodes.map((n) => [n.id, n]));
  const kind = (n: Node) => opDef(n.op)?.emit.kind;
  const readers = (id: number): readonly Node[] => consumers.get(id) ?? [];
  const shape = (id: number): readonly number[] => shapes.get(id)!;

  /** The node whose loop an elementwise node ends up in: follow single elementwise consumers of equal size. */
  const rootOf = (c: Node): Node | undefined => {
    if (kind(c) !== 'scalar') return undefined;
    const next = readers(c.id);
    if (escapes.has(c.id) || next.length !== 1) return c;
    const d = next[0]!;
    if (kind(d) !== 'scalar' || size(shape(d.id)) !== size(shape(c.id))) return c;
    return rootOf(d);
  };
  const sameRoot = (cs: readonly Node[]): boolean => {
    const roots = cs.map(rootOf);
    return roots[0] !== undefined && roots.every((r) => r === roots[0]);
  };

  /** Whether view node `v` only broadcasts its input of shape `inShape` (right-aligned, size-1 axes stretched). */
  const isBroadcast = (v: Node, inShape: readonly number[]): boolean => {
    const out = shape(v.id);
    const emit = opDef(v.op)?.emit;
    if (emit?.kind !== 'view' || out.length < inShape.length) return false;
    const lead = out.length - inShape.length;
    if (!inShape.every((d, i) => d === 1 || d === out[i + lead])) return false;
    const contiguous = { offset: 0, strides: contiguousStrides(inShape) };
    const view = emit.view(inShape, out, v.attrs, contiguous);
    const broadcast = leafOf({ buf: '', view: contiguous, shape: inShape }, out).strides;
    return view !== null && view.offset === 0 && out.every((d, a) => d === 1 || view.strides[a] === broadcast[a]);
  };

  /** Whether a contraction's only consumer (possibly through one flat reshape) is elementwise, same shape. */
  const epilogueConsumer = (n: Node): boolean => {
    const cs = readers(n.id);
    if (cs.length !== 1) return false;
    const c = cs[0]!;
    if (kind(c) === 'scalar') return sameDims(shape(c.id), shape(n.id));
    if (kind(c) !== 'view' || escapes.has(c.id)) return false;
    const next = readers(c.id);
    return next.length === 1 && kind(next[0]!) === 'scalar' && sameDims(shape(next[0]!.id), shape(c.id));
  };

  /** Whether elementwise node `n`'s own expression (inputs aside) calls a function (exp, log, …). */
  const callsInExpr = (n: Node): boolean => {
    const emit = opDef(n.op)?.emit;
    return (
      emit?.kind !== 'scalar' ||
      callsFunction(
        emit.expr(
          n.inputs.map(() => num(0)),
          n.attrs,
          () => num(0),
          shape(n.id),
        ),
      )
    );
  };

  return { nodes, readers, escapes, shape, kind, rootOf, sameRoot, isBroadcast, epilogueConsumer, callsInExpr };
};
export type FusionGraph = ReturnType<typeof graphOf>;
