// Small facts the scheduler decides fusion with, and the code generation steps that can be switched
// off by name. Kept apart from schedule.ts so that file stays about what gets materialized where.
import type { Expr } from '../loops/loops.js';

/** Largest inline expression recomputed at each use rather than stored. */
export const CHEAP_OPS = 3;

export const callsFunction = (e: Expr): boolean =>
  e.k === 'call' || (e.k === 'bin' && (callsFunction(e.a) || callsFunction(e.b))) || (e.k === 'negate' && callsFunction(e.a))
  || (e.k === 'sel' && (callsFunction(e.c) || callsFunction(e.a) || callsFunction(e.b))) || (e.k === 'load' && callsFunction(e.index));

export const sameDims = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/** Groups consecutive axes of `shape` whose sizes multiply to each dim of `target` (a flat reshape). */
export const axisGroups = (shape: readonly number[], target: readonly number[]): number[][] | undefined => {
  const groups: number[][] = [];
  let d = 0;
  for (const t of target) {
    const g: number[] = [];
    let p = 1;
    while (d < shape.length && p < t) { p *= shape[d]!; g.push(d++); }
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
