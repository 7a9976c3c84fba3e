// Reverse-mode differentiation of IR into IR. Done here once for all ops: reverse traversal, fan-out
// accumulation, symbolic zeros (null), un-broadcasting cotangents to each input's shape, and stamping
// backward nodes with the forward node's span. Per-op rules come from OPS[op].vjp.
import { InternalError } from '../diagnostics/diagnostic.js';
import type { IrBuilder } from '../ir/builder.js';
import { CONST, INPUT, type Node } from '../ir/ir.js';
import { SCAN, SCAN_OUT } from '../ir/scan.js';
import { scanVjp } from './scan.js';
import { expandCheckpoints } from './checkpoint.js';
import { CUSTOM_VJP, customVjp } from '../ir/custom.js';
import { unbroadcast } from '../ops/movement.js';
import type { Value } from '../ops/op.js';
import { opDef } from '../ops/registry.js';
import { sameShape } from '../types/types.js';

export interface VjpRequest {
  /** Index into b.nodes where the differentiated region starts (earlier nodes are constants to it). */
  readonly from: number;
  /** The value being differentiated and its cotangent (defaults to 1 for a scalar)... */
  readonly out?: Value;
  readonly seed?: Value;
  /** ...or several values with their cotangents (a loop body's outputs). */
  readonly seeds?: readonly { readonly out: Value; readonly seed: Value }[];
  /** Values to differentiate with respect to. */
  readonly wrt: readonly Value[];
  /**
   * Values the program reads besides the differentiated ones (its other outputs, such as the logits of a
   * training step): what they need of a checkpointed loop is computed by its segmented loop too, so the
   * loop does not also run as it was, storing every step (a third pass over the forward steps).
   */
  readonly reads?: readonly Value[];
}

/** Appends the backward program to `b`; returns one cotangent per `wrt` (null = identically zero). */
export const vjp = (b: IrBuilder, request: VjpRequest): (Value | null)[] => vjpReading(b, request).grads;

/** `vjp`, and what each of `request.reads` became (a checkpointed loop's result is replaced by its segmented loop's). */
export const vjpReading = (b: IrBuilder, request: VjpRequest): { grads: (Value | null)[]; reads: Value[] } => {
  // loops with checkpoint = k become loops over segments first (autodiff/checkpoint.ts)
  const targets = [...(request.out !== undefined ? [request.out] : []), ...(request.seeds ?? []).map((x) => x.out)];
  const moved = expandCheckpoints(b, request.from, targets, request.reads ?? []);
  const reads = (request.reads ?? []).map((v) => moved.get(v) ?? v);
  return { grads: differentiate(b, moved.size === 0 ? request : renamed(request, (v) => moved.get(v) ?? v)), reads };
};

const differentiate = (b: IrBuilder, req: VjpRequest): (Value | null)[] => {
  const region = b.nodes.slice(req.from);
  // Only nodes that depend on a wrt value need cotangents.
  const live = new Set<number>(req.wrt);
  for (const n of region) if (n.inputs.some((i) => live.has(i))) live.add(n.id);
  const cts = new Map<number, Value>();
  const accumulate = (target: Node, ct: Value): void => {
    let c = ct;
    if (!sameShape(b.type(c).shape, target.type.shape)) c = unbroadcast(b, c, b.type(c).shape, target.type.shape);
    const prev = cts.get(target.id);
    cts.set(target.id, prev === undefined ? c : b.op('add', [prev, c]));
  };
  if (req.out !== undefined) {
    const outNode = b.node(req.out);
    b.at(
      outNode.span,
      () => {
        const seed = req.seed ?? (outNode.type.shape.length === 0 ? b.num(1) : b.op('broadcast_to', [b.num(1)], { shape: outNode.type.shape }));
        cts.set(outNode.id, seed);
      },
      true,
    );
  }
  for (const s of req.seeds ?? []) if (live.has(s.out)) b.at(b.node(s.out).span, () => accumulate(b.node(s.out), s.seed), true);
  for (let k = region.length - 1; k >= 0; k--) {
    const n = region[k]!;
    if (n.op === SCAN && live.has(n.id)) {
      const outs = region.filter((m) => m.op === SCAN_OUT && m.inputs[0] === n.id && cts.has(m.id)).map((m) => ({ out: m, ct: cts.get(m.id)! }));
      if (outs.length === 0) continue;
      const grads = b.at(n.span, () => scanVjp(b, n, outs, vjp, (i) => live.has(n.inputs[i]!)), true);
      b.at(
        n.span,
        () =>
          grads.forEach((g, i) => {
            const x = b.node(n.inputs[i]!);
            if (g !== null && live.has(x.id)) accumulate(x, g);
          }),
        true,
      );
      continue;
    }
    if (n.op === SCAN_OUT) continue;
    const ct = cts.get(n.id);
    if (ct === undefined || !live.has(n.id) || n.op === INPUT || n.op === CONST) continue;
    if (n.op === CUSTOM_VJP) {
      // a function's own rule (fn … grad (x, dy) = …), inlined with this node's cotangent
      const grads = b.at(n.span, () => customVjp(b, n, ct), true);
      b.at(
        n.span,
        () =>
          grads.forEach((g, i) => {
            const x = b.node(n.inputs[i]!);
            if (g !== null && x.type.dtype === 'f32' && live.has(x.id)) accumulate(x, g);
          }),
        true,
      );
      continue;
    }
    if (n.type.dtype !== 'f32') continue; // integer and boolean results carry no gradient
    const def = opDef(n.op);
    if (!def) throw new InternalError(`autodiff: unknown op ${n.op}`);
    if (!def.differentiable) continue;
    const ins = n.inputs.map((i) => b.node(i));
    const grads = b.at(n.span, () => def.vjp(b, ct, { inputs: n.inputs, out: n.id, attrs: n.attrs, inTypes: ins.map((x) => x.type), type: n.type }), true);
    b.at(
      n.span,
      () =>
        grads.forEach((g, i) => {
          const x = ins[i]!;
          if (g === null || g === undefined || x.type.dtype !== 'f32' || !live.has(x.id)) return;
          accumulate(x, g);
        }),
      true,
    );
  }
  return req.wrt.map((w) => cts.get(w) ?? null);
};

const renamed = (r: VjpRequest, f: (v: Value) => Value): VjpRequest => ({
  from: r.from,
  wrt: r.wrt.map(f),
  ...(r.out !== undefined ? { out: f(r.out) } : {}),
  ...(r.seed !== undefined ? { seed: r.seed } : {}),
  ...(r.seeds ? { seeds: r.seeds.map((x) => ({ out: f(x.out), seed: x.seed })) } : {}),
});

/** Cotangents of a scalar `out` with respect to `wrt`, a zero tensor where there is none (training steps). */
export const gradientsOf = (b: IrBuilder, out: Value, wrt: readonly Value[]): Value[] => gradientsReading(b, out, wrt, []).grads;

/** `gradientsOf`, for a program that also reads `reads` (its outputs): the values to read them from (see VjpRequest.reads). */
export const gradientsReading = (b: IrBuilder, out: Value, wrt: readonly Value[], reads: readonly Value[]): { grads: Value[]; reads: Value[] } =>
  b.at(b.node(out).span, () => {
    const r = vjpReading(b, { from: 0, out, wrt, reads });
    return { grads: r.grads.map((g, i) => g ?? zerosLike(b, wrt[i]!)), reads: r.reads };
  });

/** A materialized zero of the given value's type, for callers that need a tensor where the gradient is zero. */
export const zerosLike = (b: IrBuilder, like: Value): Value => {
  const t = b.type(like);
  return t.shape.length === 0 ? b.num(0) : b.op('broadcast_to', [b.num(0)], { shape: t.shape });
};
