// E0404: which value of a failed training step first became NaN or ±Inf. The step (forward, backward,
// clipping, update) is re-run in float64 by the interpreter on the very inputs the compiled step got
// (its parameters are untouched: the guard stopped it), and the first non-finite node in program order
// is named with its op, its line and whether it is in the forward or the backward pass.
import type { FloatArray, Tensor, TensorData } from '../../runtime/tensor.js';
import { setOwn } from '../../runtime/tensor.js';
import { error, note } from '../diagnostics/codes.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { interpret } from '../ir/interp.js';
import { CONST, INPUT, neededFrom, type IrFunction } from '../ir/ir.js';
import { bindInputs } from '../pipeline.js';
import { nd } from '../ops/ndarray.js';
import type { NdArray } from '../ops/op.js';
import { GRAD_GUARD } from '../train/step.js';
import { RunError } from './errors.js';
import type { Model } from './model.js';

export interface FailedStep {
  readonly group: string;
  readonly groups: number;
  /** The group's training step as built (before optimization passes). */
  readonly fn: IrFunction;
  /** The step number that failed (1-based; the last good one is t − 1). */
  readonly t: number;
  /** The compiled step's outputs (loss, gradient norm) from the failed run. */
  readonly outputs: Readonly<Record<string, FloatArray>>;
}

const firstBad = (f: IrFunction, values: ReadonlyMap<number, NdArray>) => {
  for (const n of f.nodes) {
    if (n.op === INPUT || n.op === CONST) continue;
    const v = values.get(n.id);
    if (v?.data.some((x: number) => !Number.isFinite(x))) return n;
  }
  return undefined;
};

export const nonFinite = (
  model: Model,
  s: FailedStep,
  tensorValue: (name: string) => TensorData | undefined,
  batch: Readonly<Record<string, Tensor>>,
): RunError => {
  const loss = s.outputs['loss']?.[0] ?? NaN;
  const norm = s.outputs[GRAD_GUARD]?.[0];
  const notes: Diagnostic['notes'][number][] = [];
  try {
    const inputs: Record<string, NdArray> = Object.create(null);
    for (const n of s.fn.nodes) {
      if (n.op !== INPUT) continue;
      const name = n.attrs['name'] as string;
      const data = tensorValue(name);
      if (!data) continue;
      const shape = Object.hasOwn(batch, name) ? [...batch[name]!.shape] : (n.type.shape as number[]);
      setOwn(inputs, name, nd(shape, Float64Array.from(data)));
    }
    const env = bindInputs(s.fn, Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, { data: v.data, shape: v.shape }]))).env;
    // only what the step's outputs and updates read: an output the loss does not need (a 100-step
    // sampler, say) would otherwise be interpreted too, for seconds or minutes
    const keep = neededFrom(s.fn, [...s.fn.outputs.map((o) => o.id), ...s.fn.updates.map((u) => u.value)]);
    const step: IrFunction = { ...s.fn, nodes: s.fn.nodes.filter((n) => keep.has(n.id)) };
    const bad = firstBad(step, interpret(step, inputs, env).values);
    if (bad) {
      const what = `${bad.op}${bad.label ? ` ('${bad.label}')` : ''}`;
      notes.push(
        note(
          bad.backward
            ? `the first non-finite value comes from the backward pass: the gradient through this ${what}`
            : `the first non-finite value comes from this ${what} in the forward pass`,
          bad.span,
        ),
      );
    } else {
      notes.push(
        note('in float64 every value of the step is finite: a float32 overflow; try a smaller learning rate, clip_norm, or inputs of a smaller scale'),
      );
    }
  } catch (e) {
    notes.push(note(`(dlm could not re-run the step to locate the value: ${(e as Error).message})`));
  }
  const where = s.groups > 1 ? ` in the step of loss '${s.group}'` : '';
  const head = Number.isFinite(loss)
    ? `a gradient became non-finite (‖g‖ = ${norm}) at step ${s.t}${where}, with a finite loss ${loss}`
    : `the loss became ${loss} at step ${s.t}${where}`;
  return new RunError([error('E0404', model.ir.span, `${head}; every parameter and optimizer state is as it was after step ${s.t - 1}`, notes)]);
};
