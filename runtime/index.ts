// dlm's runtime: what a compiled model needs without the compiler — tensors, the module loader for
// generated code, seeded randomness and initializers, data loaders, checkpoints and the progress bar.
export * from './tensor.js';
export { instantiate, type CompiledModule, type HomeSlot, type Precision } from './compiled.js';
export { Rng } from './random.js';
export { initialize, INIT_NAMES, type InitSpec } from './init.js';
export { saveSafetensors, loadSafetensors, decodeSafetensors, encodeSafetensors, type Safetensors } from './checkpoint.js';
export {
  CHECKPOINT_SCHEMA,
  decodeCheckpoint,
  encodeCheckpoint,
  loadCheckpointFile,
  saveCheckpointFile,
  type CheckpointParts,
  type DlmCheckpoint,
} from './dlmCheckpoint.js';
export { writeFileAtomic, WriteError, type WriteFs, type WriteOptions } from './write.js';
export { loadBundledMnist } from './data/mnist.js';
export { readIdx } from './data/idx.js';
export { readNpy, writeNpy } from './data/npy.js';
export { readCsv } from './data/csv.js';
export { readJsonTensor } from './data/json.js';
export { batches, normalize, splitValidation } from './data/batches.js';
export type { Dataset } from './data/dataset.js';
export { DataError } from './data/errors.js';
export { ProgressBar } from './progress.js';
