// A pass is a named pure function IrFunction → IrFunction. Passes never mutate their input and never
// switch on op names: they use the registry's fields (kind, eval) and structural tags only.
import { CONST, type IrFunction, type Node } from '../ir/ir.js';
import { opDef } from '../ops/registry.js';
import { verify } from '../ir/verify.js';
import { mapBodies } from '../ir/scan.js';

export interface Pass {
  readonly name: string;
  readonly doc: string;
  run(f: IrFunction): IrFunction;
}

export interface PassOptions {
  /** Run verify() after every pass (tests do; the CLI does with --verify). */
  readonly verify?: boolean;
  /** Names of passes to skip, for debugging (`dlm compile --no-pass cse`). */
  readonly disable?: readonly string[];
  /** Called with each pass's name, its output and its time in ms (`dlm compile --timings`). */
  readonly onPass?: (name: string, f: IrFunction, ms: number) => void;
}

export const runPasses = (passes: readonly Pass[], f: IrFunction, opts: PassOptions = {}): IrFunction => {
  let cur = f;
  for (const p of passes) {
    if (opts.disable?.includes(p.name)) continue;
    const t0 = performance.now();
    // Loop bodies first (innermost first), then the function itself.
    cur = p.run(mapBodies(cur, (body) => p.run(body)));
    if (opts.verify) verify(cur);
    opts.onPass?.(p.name, cur, performance.now() - t0);
  }
  return cur;
};

/**
 * Rebuilds a function after replacing some nodes by others (id → id); inputs of later nodes are remapped.
 * A visitor may also return new nodes ending with the node's replacement, which keeps the node's id.
 */
export const rewrite = (f: IrFunction, visit: (n: Node, remap: (id: number) => number) => Node | number | readonly Node[]): IrFunction => {
  const alias = new Map<number, number>();
  const remap = (id: number): number => alias.get(id) ?? id;
  const nodes: Node[] = [];
  for (const n0 of f.nodes) {
    const n = n0.inputs.some((i) => alias.has(i)) ? { ...n0, inputs: n0.inputs.map(remap) } : n0;
    const r = visit(n, remap);
    if (typeof r === 'number') alias.set(n.id, remap(r));
    else if (Array.isArray(r)) nodes.push(...(r as readonly Node[]));
    else nodes.push(r as Node);
  }
  return {
    ...f,
    nodes,
    outputs: f.outputs.map((o) => ({ ...o, id: remap(o.id) })),
    updates: f.updates.map((u) => ({ ...u, value: remap(u.value) })),
  };
};

/** The value of a scalar constant, seen through one-input movement ops (a broadcast or reshaped 0 is 0). */
export const constantThroughViews = (node: (id: number) => Node | undefined, id: number): number | undefined => {
  const n = node(id);
  if (!n) return undefined;
  if (n.op === CONST) return typeof n.attrs['value'] === 'number' ? n.attrs['value'] : undefined;
  const def = opDef(n.op);
  if (def?.kind !== 'movement' || n.inputs.length !== 1) return undefined;
  const c = constantThroughViews(node, n.inputs[0]!);
  // pad(c) is c only where it is not padding: a constant only if the fill is c too
  return def.emit.kind === 'pieces' && !Object.is(def.emit.fill, c) ? undefined : c;
};

/**
 * Nodes that replace `n` by a constant of its type: the scalar itself (keeping n's id), or a scalar with
 * id `fresh` and its broadcast to n's shape (keeping n's id).
 */
export const constantLike = (n: Node, value: number, fresh: number): Node | Node[] => {
  const dtype = n.type.dtype === 'f32' ? 'f32' : 'i32';
  const k: Node = {
    id: fresh,
    op: CONST,
    inputs: [],
    attrs: { value, dtype },
    type: { dtype, shape: [] },
    span: n.span,
    ...(n.backward ? { backward: true } : {}),
  };
  return n.type.shape.length === 0 ? { ...k, id: n.id } : [k, { ...n, op: 'broadcast_to', inputs: [k.id], attrs: { shape: n.type.shape } }];
};
