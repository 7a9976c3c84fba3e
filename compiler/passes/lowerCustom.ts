// Custom gradients are for differentiation only: once gradients are built, each custom_vjp node
// (compiler/ir/custom.ts) is its first input, the function's value. First in the pipeline, and applied
// again by specialize (compiler/pipeline.ts) so code generation never sees one even with passes disabled.
import { CUSTOM_VJP } from '../ir/custom.js';
import type { IrFunction } from '../ir/ir.js';
import { mapBodies } from '../ir/scan.js';
import { rewrite, type Pass } from './pass.js';

export const lowerCustom: Pass = {
  name: 'lower-custom',
  doc: "replace each custom-gradient node by the function's value (differentiation already used its rule)",
  run: (f) => (f.nodes.some((n) => n.op === CUSTOM_VJP) ? rewrite(f, (n) => (n.op === CUSTOM_VJP ? n.inputs[0]! : n)) : f),
};

/** lowerCustom on a function and every loop body in it. */
export const lowerAllCustom = (f: IrFunction): IrFunction => lowerCustom.run(mapBodies(f, (body) => lowerCustom.run(body)));
