// Whether a forward program treats the rows of its batch independently, so that a standalone module
// may run a batch of a size it was not compiled for in chunks of sizes it was (B = 7 as 4 + 1 + 1 + 1).
// Structural conditions: one symbolic dim, the leading axis of every batch input and every output, and
// float32 inputs only. Then a numeric check in float64 with the reference interpreter: the outputs of a
// batch of 3 random rows must equal, row by row, those of each row alone (a batch statistic, a mean
// over B or a mixing of rows changes them for random inputs with probability 1).
import { RANDOM_KEY, TRAINING_FLAG } from '../check/hypers.js';
import type { DimEnv } from '../ir/bind.js';
import { interpret } from '../ir/interp.js';
import { INPUT, inputName, inputRole, type IrFunction } from '../ir/ir.js';
import { nd } from '../ops/ndarray.js';
import type { NdArray } from '../ops/op.js';
import { Rng } from '../../runtime/random.js';
import { dimNames } from '../types/dims.js';
import type { Model } from '../api/model.js';

const ROWS = 3;

/** The dim a batch can be split along, or undefined when the program may mix rows. */
export const rowDim = (model: Model, f: IrFunction, seed = 0): string | undefined => {
  const dims = [...new Set(f.nodes.flatMap((n) => n.type.shape.flatMap(dimNames)))];
  if (dims.length !== 1) return undefined;
  const d = dims[0]!;
  const batch = f.nodes.filter((n) => n.op === INPUT && (inputRole(n) === 'input' || inputRole(n) === 'target'));
  if (batch.some((n) => n.type.dtype !== 'f32' || n.type.shape[0] !== d || n.type.shape.slice(1).some((x) => typeof x !== 'number'))) return undefined;
  const outs = f.outputs.map((o) => f.nodes.find((n) => n.id === o.id)!);
  if (outs.some((n) => n.type.shape[0] !== d || n.type.shape.slice(1).some((x) => typeof x !== 'number'))) return undefined;

  const rng = new Rng(seed);
  const rows = new Map(
    batch.map((n) => {
      const width = (n.type.shape.slice(1) as number[]).reduce((a, b) => a * b, 1);
      return [inputName(n), { width, data: Float64Array.from({ length: ROWS * width }, () => rng.normal()) }];
    }),
  );
  const run = (from: number, count: number): Record<string, NdArray> => {
    const inputs: Record<string, NdArray> = Object.create(null);
    for (const n of f.nodes) {
      if (n.op !== INPUT) continue;
      const name = inputName(n);
      const r = rows.get(name);
      if (r) inputs[name] = nd([count, ...(n.type.shape.slice(1) as number[])], r.data.slice(from * r.width, (from + count) * r.width));
      else if (name === RANDOM_KEY) inputs[name] = nd([], Float64Array.of(model.opts.seed ?? 0));
      else if (name === TRAINING_FLAG) inputs[name] = nd([], Float64Array.of(0));
      else {
        const w = model.params[name] ?? model.states[name];
        if (!w) return {};
        inputs[name] = nd(model.shapeOf(name), Float64Array.from(w));
      }
    }
    const env: DimEnv = new Map([[d, count]]);
    return interpret(f, inputs, env).outputs;
  };
  const all = run(0, ROWS);
  for (let r = 0; r < ROWS; r++) {
    const one = run(r, 1);
    for (const o of f.outputs) {
      const a = all[o.name],
        b = one[o.name];
      if (!a || !b) return undefined;
      const w = b.data.length;
      for (let i = 0; i < w; i++) {
        const x = a.data[r * w + i]!,
          y = b.data[i]!;
        if (!(Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(y)))) return undefined;
      }
    }
  }
  return d;
};
