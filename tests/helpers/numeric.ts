// One-op programs, finite differences and the random-direction VJP check (JAX's check_vjp) in float64.
//
// Tolerance policy. With ε = 1e-6, a central difference (f(x+εv) − f(x−εv))/2ε errs by truncation
// O(ε²·|f‴|) ≈ 1e-12 for our bounded inputs, plus rounding O(u·|f|/ε) with u = 2⁻⁵³ ≈ 1.1e-16, i.e.
// ≈ 1e-10·|f|. Comparing ⟨ct, J·v⟩ with ⟨Jᵀ·ct, v⟩ therefore allows 1e-6·(1 + |a| + |b|): five orders of
// magnitude above the expected error, and far below the O(1) relative error of a wrong rule.
// Float32 kernels are compared with the float64 interpreter at 1e-4·(1 + |b|) per element: each stored
// value is rounded (2⁻²⁴ ≈ 6e-8) and one-op kernels chain at most a few dozen such roundings.
import { vjp } from '../../compiler/autodiff/grad.js';
import { IrBuilder } from '../../compiler/ir/builder.js';
import { interpret } from '../../compiler/ir/interp.js';
import type { IrFunction } from '../../compiler/ir/ir.js';
import { NO_SPAN } from '../../compiler/diagnostics/span.js';
import { nd } from '../../compiler/ops/ndarray.js';
import type { NdArray, OpDef, OpSample } from '../../compiler/ops/op.js';
import type { DType } from '../../compiler/types/types.js';

export const EPS = 1e-6;
export const closeF64 = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-6 * (1 + Math.abs(a) + Math.abs(b));
export const closeF32 = (got: number, want: number): boolean =>
  (Number.isNaN(got) && Number.isNaN(want)) || got === want || Math.abs(got - want) <= 1e-4 * (1 + Math.abs(want));

/** in0, in1, … → op → `out`; with `withCt`, also the vjp of the op seeded by input `ct`, as outputs d0, d1, … */
export const opProgram = (op: OpDef, sample: OpSample, dtypes: readonly DType[], withCt = false): { f: IrFunction; grads: number[] } => {
  const b = new IrBuilder();
  const ins = sample.shapes.map((s, i) => b.input(`in${i}`, 'input', { dtype: dtypes[i]!, shape: s }, NO_SPAN));
  const from = b.nodes.length;
  const out = b.opNamed(op.name, ins, sample.attrs);
  const outputs = [{ name: 'out', id: out }];
  const grads: number[] = [];
  if (withCt) {
    const ct = b.input('ct', 'input', b.type(out), NO_SPAN);
    const wrt = ins.filter((_, i) => dtypes[i] === 'f32');
    const gs = vjp(b, { from, out, wrt, seed: ct });
    gs.forEach((g, k) => {
      if (g !== null) {
        outputs.push({ name: `d${ins.indexOf(wrt[k]!)}`, id: g });
        grads.push(ins.indexOf(wrt[k]!));
      }
    });
  }
  return { f: b.finish(op.name, outputs), grads };
};

export const arrays = (sample: OpSample, inputs: readonly Float64Array[]): Record<string, NdArray> =>
  Object.fromEntries(sample.shapes.map((s, i) => [`in${i}`, nd(s, inputs[i]!)]));

export const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/** ⟨ct, J·v⟩ by central differences and ⟨Jᵀ·ct, v⟩ by the derivative rule, for random ct and v. */
export const checkVjp = (op: OpDef, sample: OpSample, dtypes: readonly DType[], inputs: readonly Float64Array[], rand: () => number) => {
  const { f: fwd } = opProgram(op, sample, dtypes);
  const { f, grads } = opProgram(op, sample, dtypes, true);
  const env = new Map<string, number>();
  const base = arrays(sample, inputs);
  const out = interpret(fwd, base, env).outputs['out']!;
  const ct = out.data.map(() => rand());
  const v = inputs.map((x, i) => (dtypes[i] === 'f32' ? x.map(() => rand()) : new Float64Array(x.length)));
  const moved = (h: number) =>
    arrays(
      sample,
      inputs.map((x, i) => x.map((xi, j) => xi + h * v[i]![j]!)),
    );
  const fp = interpret(fwd, moved(EPS), env).outputs['out']!.data,
    fm = interpret(fwd, moved(-EPS), env).outputs['out']!.data;
  const jv = fp.map((p, i) => (p - fm[i]!) / (2 * EPS));
  const numeric = dot(ct, jv);
  const r = interpret(f, { ...base, ct: nd(out.shape, ct) }, env).outputs;
  const symbolic = grads.reduce((s, i) => s + dot(r[`d${i}`]!.data, v[i]!), 0);
  return { numeric, symbolic, ok: closeF64(numeric, symbolic) };
};
