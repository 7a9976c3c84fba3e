// A region of the builder's nodes turned into a function of its own (a scan's step, a custom-gradient
// function's primal and rule): nodes outside the region that it reads become inputs named capName(j)
// (their ids are the captures, in order), and outer constants are copied in instead of captured.
import type { IrBuilder } from '../ir/builder.js';
import { CONST, INPUT, type IrFunction, type Node } from '../ir/ir.js';

export const regionFunction = (
  b: IrBuilder,
  region: readonly Node[],
  inRegion: ReadonlySet<number>,
  outs: readonly number[],
  names: { readonly fn: string; readonly capture: (j: number) => string; readonly output: (i: number) => string },
): { fn: IrFunction; captures: number[] } => {
  const captures: number[] = [];
  const capId = new Map<number, number>();
  const copied: Node[] = [];
  const ref = (id: number): number => {
    if (inRegion.has(id)) return id;
    let r = capId.get(id);
    if (r !== undefined) return r;
    const outer = b.node(id);
    r = b.freshId();
    if (outer.op === CONST) copied.push({ ...outer, id: r });
    else {
      copied.push({ id: r, op: INPUT, inputs: [], attrs: { name: names.capture(captures.length), role: 'input' }, type: outer.type, span: outer.span });
      captures.push(id);
    }
    capId.set(id, r);
    return r;
  };
  const nodes = region.filter((n) => inRegion.has(n.id)).map((n) => (n.inputs.some((i) => !inRegion.has(i)) ? { ...n, inputs: n.inputs.map(ref) } : n));
  const outputs = outs.map((id, i) => ({ name: names.output(i), id: ref(id) }));
  const fn: IrFunction = {
    name: names.fn,
    nodes: [...nodes.filter((n) => n.op === INPUT), ...copied, ...nodes.filter((n) => n.op !== INPUT)],
    outputs,
    updates: [],
  };
  return { fn, captures };
};
