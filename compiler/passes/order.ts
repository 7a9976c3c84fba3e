// Updates as early as possible: the nodes that only compute a parameter's (or optimizer slot's) new
// value move up to just after the last node that still reads the old value or feeds them. Codegen
// follows node order, so a layer's weight gradient and update then run as soon as backpropagation has
// passed that layer instead of after the whole backward pass: what they read dies sooner (a smaller
// arena), and the update can still be written in place (nothing after it reads the old value).
import { CONST, INPUT, type IrFunction, type Node } from '../ir/ir.js';
import type { Pass } from './pass.js';

export const order: Pass = {
  name: 'order',
  doc: 'move each update, with the nodes only it uses, right after the last reader of the old value',
  run: (f: IrFunction): IrFunction => {
    if (f.updates.length === 0) return f;
    // Inputs and constants depend on nothing: first, so that an update can move above the point where
    // the step builder happened to create the learning-rate input.
    const leaf = (n: Node) => n.op === INPUT || n.op === CONST;
    let nodes = [...f.nodes.filter(leaf), ...f.nodes.filter((n) => !leaf(n))];
    const users = (list: readonly Node[]) => {
      const u = new Map<number, number[]>();
      for (const n of list) for (const i of n.inputs) u.set(i, [...(u.get(i) ?? []), n.id]);
      return u;
    };
    const pinned = new Set([...f.outputs.map((o) => o.id), ...f.updates.map((u) => u.value)]);
    for (const up of f.updates) {
      const use = users(nodes);
      const pos = new Map(nodes.map((n, i) => [n.id, i]));
      const byId = new Map(nodes.map((n) => [n.id, n]));
      // The chain: the new value and, backwards, every node all of whose users are in the chain.
      const chain = new Set([up.value]);
      if ((use.get(up.value) ?? []).length > 0 || f.outputs.some((o) => o.id === up.value)) continue;
      const stack = [up.value];
      while (stack.length) {
        for (const i of byId.get(stack.pop()!)!.inputs) {
          const n = byId.get(i)!;
          if (chain.has(i) || pinned.has(i) || n.inputs.length === 0) continue;
          if ((use.get(i) ?? []).every((u) => chain.has(u))) {
            chain.add(i);
            stack.push(i);
          }
        }
      }
      // It can run once every input from outside is ready and nothing else reads the old value.
      let after = -1;
      for (const id of chain) for (const i of byId.get(id)!.inputs) if (!chain.has(i)) after = Math.max(after, pos.get(i)!);
      for (const r of use.get(up.target) ?? []) if (!chain.has(r)) after = Math.max(after, pos.get(r)!);
      let first = Infinity;
      for (const id of chain) first = Math.min(first, pos.get(id)!);
      if (first <= after) continue; // already as early as it can be
      const moving = nodes.filter((n) => chain.has(n.id));
      const rest = nodes.filter((n) => !chain.has(n.id));
      const at = rest.findIndex((n) => pos.get(n.id)! > after);
      nodes = at < 0 ? [...rest, ...moving] : [...rest.slice(0, at), ...moving, ...rest.slice(at)];
    }
    return { ...f, nodes };
  },
};
