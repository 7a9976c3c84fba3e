// Loading models through the library (saving: save.ts), in the CLI's checkpoint layout (compiler/cli/checkpoints.ts
// writes and validates files; this adds bytes, for browsers and for callers that store them elsewhere):
// parameters and states by name, optimizer state, and dlm's metadata.
import * as E from 'fp-ts/lib/Either.js';
import { decodeSafetensors, loadSafetensors } from '../../runtime/checkpoint.js';
import { DataError } from '../../runtime/data/errors.js';
import { loadParams } from '../cli/checkpoints.js';
import { DiagnosticError } from '../diagnostics/diagnostic.js';
import type { Model, ModelOptions } from './model.js';
import { Trainer } from './trainer.js';
import type { TrainConfig } from '../train/step.js';
import { compile, render, type Program } from '../compile.js';

const OPTIMIZER = 'optimizer.';

export { saveModel } from './save.js';

/** Copies a checkpoint's bytes into a model (and trainer) after checking every name and shape. */
const loadBytes = (model: Model, bytes: Uint8Array, trainer?: Trainer): void => {
  const name = '<checkpoint bytes>';
  const { tensors, metadata } = decodeSafetensors(bytes, name);
  const own = (k: string) => (Object.hasOwn(tensors, k) ? tensors[k] : undefined);
  for (const p of [...model.ir.params, ...model.ir.states]) {
    const t = own(p.name);
    if (!t) throw new DataError(name, `no tensor '${p.name}' for parameter ${p.name} of ${model.name}`);
    const want = model.shapeOf(p.name);
    const got = t.shape.join(', ');
    if (got !== want.join(', ')) throw new DataError(name, `'${p.name}' has shape [${got}] but ${model.name} declares [${want.join(', ')}]`);
    if (!(t.data instanceof Float32Array)) throw new DataError(name, `'${p.name}' is not float32`);
  }
  if (trainer && metadata['optimizer'] && metadata['optimizer'] !== trainer.config.optimizer) {
    throw new DataError(name, `trained with ${metadata['optimizer']}, not ${trainer.config.optimizer}`);
  }
  for (const p of model.ir.params) model.params[p.name]!.set(own(p.name)!.data);
  for (const p of model.ir.states) model.states[p.name]!.set(own(p.name)!.data);
  if (trainer) {
    // Optimizer state as '@optimizer/<slot>' (checkpoint schema 2) or 'optimizer.<slot>' (schema 1).
    for (const s of trainer.slots) {
      const t = own(`@optimizer/${s.name}`) ?? own(OPTIMIZER + s.name);
      if (t) trainer.state[s.name]!.set(t.data);
    }
    trainer.t = Number(metadata['step'] ?? 0);
  }
};

export interface LoadOptions extends ModelOptions {
  /** Which model of the source (default: the one the checkpoint names, else the last one). */
  readonly model?: string;
  /** Path of the source, for diagnostics and relative imports. */
  readonly path?: string;
}

/**
 * A model of `source` (.dlm text, or a compiled Program) with the parameters of `checkpoint` (a file
 * path or safetensors bytes, e.g. written by `dlm train` or `model.save()`).
 */
export const loadModel = (source: string | Program, checkpoint: string | Uint8Array, opts: LoadOptions = {}): Model => {
  let program: Program;
  if (typeof source === 'string') {
    const r = compile(source, opts.path ? { path: opts.path } : {});
    if (E.isLeft(r)) throw new DiagnosticError(r.left, render(r.left));
    program = r.right;
  } else program = source;
  const named = (typeof checkpoint === 'string' ? loadSafetensors(checkpoint) : decodeSafetensors(checkpoint, '<checkpoint bytes>')).metadata['model'];
  const pick = opts.model ?? (named !== undefined && program.modelNames.includes(named) ? named : undefined);
  const model = program.model(pick, opts);
  if (typeof checkpoint === 'string') loadParams(model, checkpoint);
  else loadBytes(model, checkpoint);
  return model;
};

/** A Trainer for `model` that continues from a checkpoint's optimizer state and step count. */
export const loadTrainer = (model: Model, checkpoint: string | Uint8Array, cfg: Partial<TrainConfig> = {}): Trainer => {
  const trainer = new Trainer(model, cfg);
  if (typeof checkpoint === 'string') loadParams(model, checkpoint, trainer);
  else loadBytes(model, checkpoint, trainer);
  return trainer;
};
