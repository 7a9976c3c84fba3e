// Saving a model (and its trainer's optimizer state) through the library: to a file in the CLI's
// checkpoint layout, or to safetensors bytes for browsers and callers that store them elsewhere.
// Loading is in persist.ts, which compiles source and so sits above the model in the import order.
import { encodeSafetensors } from '../../runtime/checkpoint.js';
import { setOwn, type Tensor } from '../../runtime/tensor.js';
import { modelHash, saveCheckpoint } from '../cli/checkpoints.js';
import type { Model } from './model.js';
import type { Trainer } from './trainer.js';

/** Schema-1 name of an optimizer slot in byte checkpoints (loadBytes also reads schema 2's '@optimizer/'). */
const OPTIMIZER = 'optimizer.';

/** Writes a checkpoint to `path` (atomically), or returns its bytes when no path is given. */
export function saveModel(model: Model, path: string, trainer?: Trainer): undefined;
export function saveModel(model: Model, path?: undefined, trainer?: Trainer): Uint8Array;
export function saveModel(model: Model, path?: string, trainer?: Trainer): Uint8Array | undefined {
  if (path !== undefined) {
    saveCheckpoint(model, trainer, path, {});
    return undefined;
  }
  const tensors: Record<string, Tensor> = Object.create(null);
  for (const p of model.ir.params) setOwn(tensors, p.name, { data: model.params[p.name]!, shape: model.shapeOf(p.name) });
  for (const p of model.ir.states) setOwn(tensors, p.name, { data: model.states[p.name]!, shape: model.shapeOf(p.name) });
  if (trainer) for (const s of trainer.slots) setOwn(tensors, OPTIMIZER + s.name, { data: trainer.state[s.name]!, shape: model.shapeOf(s.param) });
  return encodeSafetensors(tensors, {
    format: 'dlm',
    model: model.name,
    model_hash: modelHash(model),
    ...(trainer ? { optimizer: trainer.config.optimizer, step: String(trainer.t) } : {}),
  });
}
