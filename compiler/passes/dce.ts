// Dead-code elimination: keeps what outputs and updates need, plus every input (the signature).
import { INPUT, neededFrom, type IrFunction } from '../ir/ir.js';
import type { Pass } from './pass.js';

export const dce: Pass = {
  name: 'dce',
  doc: 'remove nodes that no output or update depends on',
  run: (f: IrFunction): IrFunction => {
    const needed = neededFrom(f, [...f.outputs.map((o) => o.id), ...f.updates.flatMap((u) => [u.value, u.target])]);
    return { ...f, nodes: f.nodes.filter((n) => n.op === INPUT || needed.has(n.id)) };
  },
};
