// Stable forms of numerically fragile compositions, rewritten BEFORE differentiation so the gradient is
// derived from the stable form too. The rules live with the ops (algebra.stabilize / logOf /
// complementOf / positive); this pass only walks the program and asks them. What it achieves:
//   log(softmax(x))         = log(e / Σe)  → (x − m) − log Σ e^(x−m)        (log-softmax, never −inf)
//   log(σ(z))               → min(z, 0) − log(1 + e^−|z|)                   (= −softplus(−z))
//   log(1 − σ(z))           → log σ(−z) → −softplus(z)                      (no cancellation near 1)
//   log(clip(σ(z), ε, 1−ε)) → where(…, log ε, …, log σ(z) stable)          (BCE written on probabilities)
// so `-mean(y·log(softmax(z)))` and `binary_cross_entropy(sigmoid(z), y)` become the from-logits losses.
import { IrBuilder } from '../ir/builder.js';
import { nextNodeId, type IrFunction, type Node } from '../ir/ir.js';
import type { Rewriter, Value } from '../ops/op.js';
import { opDef } from '../ops/registry.js';
import { sameType } from '../types/types.js';
import { constantThroughViews, type Pass } from './pass.js';

/** The rewritten function and, for every replaced node, the value that now stands for it. */
export const stabilizeWithMap = (f: IrFunction): { fn: IrFunction; alias: ReadonlyMap<number, number> } => {
  const b = new IrBuilder();
  b.reserveIdsBelow(nextNodeId(f.nodes));
  const alias = new Map<number, number>();
  const remap = (id: number): number => alias.get(id) ?? id;
  const positiveMemo = new Map<number, boolean>();

  const constant = (v: Value): number | undefined => constantThroughViews((id) => b.node(id), v);
  const positive = (v: Value): boolean => {
    const hit = positiveMemo.get(v);
    if (hit !== undefined) return hit;
    const k = constant(v);
    const n = b.node(v);
    const rule = opDef(n.op)?.algebra?.positive;
    const p = k !== undefined ? k > 0 : rule?.(n.inputs.map(positive)) === true;
    positiveMemo.set(v, p);
    return p;
  };
  const ask = (v: Value, which: 'logOf' | 'complementOf' | 'expOf'): Value | undefined => {
    const n = b.node(v);
    return opDef(n.op)?.algebra?.[which]?.(r, n.inputs);
  };
  const r: Rewriter = {
    op: (name, inputs, attrs) => b.op(name, inputs, attrs),
    num: (value) => b.num(value),
    type: (v) => b.type(v),
    constant,
    positive,
    stableLog: (v) => ask(v, 'logOf'),
    stableComplement: (v) => ask(v, 'complementOf'),
    stableExp: (v) => ask(v, 'expOf'),
  };

  for (const n0 of f.nodes) {
    const n: Node = n0.inputs.some((i) => alias.has(i)) ? { ...n0, inputs: n0.inputs.map(remap) } : n0;
    b.adopt(n);
    const rule = opDef(n.op)?.algebra?.stabilize;
    if (!rule) continue;
    const view = { inputs: n.inputs, out: n.id, attrs: n.attrs, inTypes: n.inputs.map((i) => b.type(i)), type: n.type };
    const out = b.at(n.span, () => rule(r, view), n.backward ?? false);
    // Only an exact type match replaces the node (a rewrite never changes broadcasting or dtype).
    if (out !== undefined && out !== n.id && sameType(b.type(out), n.type)) alias.set(n.id, out);
  }
  return {
    fn: { ...f, nodes: b.nodes, outputs: f.outputs.map((o) => ({ ...o, id: remap(o.id) })), updates: f.updates.map((u) => ({ ...u, value: remap(u.value) })) },
    alias,
  };
};

export const stabilize: Pass = {
  name: 'stabilize',
  doc: 'stable forms before differentiation: log∘softmax → log-softmax, log σ → −softplus, 1 − σ(z) → σ(−z)',
  run: (f) => stabilizeWithMap(f).fn,
};
