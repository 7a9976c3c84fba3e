// `dlm run` / `dlm predict`: outputs of a model for given inputs. Targets are never required: outputs
// that read a target are skipped (with a note) unless the targets are given. With a checkpoint trained
// on a file, the input is normalized with the stored training statistics and class outputs are also
// given as class names.
import { loadCheckpointFile } from '../../runtime/dlmCheckpoint.js';
import { applyNormalization } from '../../runtime/data/normalize.js';
import type { Tensor } from '../../runtime/tensor.js';
import { classOutput } from '../api/metrics.js';
import type { Model, RunOptions } from '../api/model.js';
import { loadParams } from './checkpoints.js';
import { parseMeta } from './data.js';
import type { Out } from './io.js';

type Named = { shape: number[]; data: string[] };

export const predict = (
  out: Out,
  model: Model,
  inputs: Record<string, Tensor>,
  checkpoint: string | undefined,
  mode: RunOptions = {},
): Record<string, Tensor | Named> => {
  if (checkpoint) loadParams(model, checkpoint);
  const meta = checkpoint ? parseMeta(loadCheckpointFile(checkpoint).info) : undefined;
  const input = model.ir.inputs.find((i) => i.role === 'input');
  const given = { ...inputs };
  if (meta?.normalization && input && Object.hasOwn(given, input.name)) {
    const t = given[input.name]!;
    const x = Float32Array.from(t.data);
    applyNormalization(x, meta.normalization);
    given[input.name] = { data: x, shape: t.shape };
    out.err(`note: ${input.name} normalized (${meta.normalization.kind}) with the training statistics stored in ${checkpoint}`);
  }
  const hasTargets = model.ir.inputs.some((i) => i.role === 'target' && Object.hasOwn(given, i.name));
  if (!hasTargets) {
    const free = new Set(model.targetFreeOutputs());
    const skipped = model.ir.outputs.filter((o) => !free.has(o));
    const targets = model.ir.inputs
      .filter((i) => i.role === 'target')
      .map((i) => `--input ${i.name}=FILE`)
      .join(' ');
    const one = skipped.length === 1,
      names = skipped.map((o) => `'${o}'`).join(', ');
    const why = `${one ? 'it reads' : 'they read'} a target (give ${targets} to compute ${one ? 'it' : 'them'})`;
    if (skipped.length) out.err(`note: skipped output${one ? '' : 's'} ${names}: ${why}`);
  }
  const result: Record<string, Tensor | Named> = hasTargets ? model.evaluate(given, mode) : model.forward(given, mode);
  const co = classOutput(model);
  const names = meta?.classNames;
  const scores = co ? result[co] : undefined;
  if (names && co && scores && 'data' in scores && !Array.isArray(scores.data)) {
    const t = scores as Tensor;
    const rows = t.shape[0] ?? 1,
      k = t.data.length / rows;
    const data = Array.from({ length: rows }, (_, r) => {
      if (k === 1) return names[t.data[r]! > 0.5 ? 1 : 0] ?? '?';
      let best = 0;
      for (let j = 1; j < k; j++) if (t.data[r * k + j]! > t.data[r * k + best]!) best = j;
      return names[best] ?? '?';
    });
    result[`${co}_class`] = { shape: [rows], data };
  }
  return result;
};
