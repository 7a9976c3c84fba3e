// Binding symbolic dims to concrete sizes from the shapes of actual inputs (at call time), and
// evaluating every type of a function under such a binding.
import { dimEval, fmtDim } from '../types/dims.js';
import { type Shape, fmtShape } from '../types/types.js';

export type DimEnv = Map<string, number>;

/** Unify a declared shape with an actual one; returns an error message or undefined. */
export const bindShape = (declared: Shape, actual: readonly number[], env: DimEnv): string | undefined => {
  if (declared.length !== actual.length) return `expected rank ${declared.length} ${fmtShape(declared)}, got rank ${actual.length} [${actual.join(', ')}]`;
  // Plain names first, so composite dims like 2*B can be checked after.
  for (let i = 0; i < declared.length; i++) {
    const d = declared[i]!;
    if (typeof d === 'string' && /^[A-Za-z_]\w*$/.test(d)) {
      const have = env.get(d);
      if (have === undefined) env.set(d, actual[i]!);
      else if (have !== actual[i]) return `axis ${i} is ${d} = ${have} elsewhere, but this input has ${actual[i]}`;
    }
  }
  for (let i = 0; i < declared.length; i++) {
    const want = dimEval(declared[i]!, env);
    if (want === undefined) return `cannot determine ${fmtDim(declared[i]!)} for axis ${i}`;
    if (want !== actual[i]) return `expected ${fmtShape(declared)}, got [${actual.join(', ')}] (axis ${i} should be ${want})`;
  }
  return undefined;
};

export const concreteShape = (s: Shape, env: ReadonlyMap<string, number>): number[] =>
  s.map((d) => {
    const v = dimEval(d, env);
    if (v === undefined) throw new Error(`unbound dim ${fmtDim(d)}`);
    return v;
  });
