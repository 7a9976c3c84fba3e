// dlm's checkpoint layout inside a safetensors file: name spaces that no legal dlm identifier can
// collide with. Identifiers are [A-Za-z_][A-Za-z0-9_]* joined by '.', so keys containing '@' or '/'
// are never a parameter path:
//
//   <path>                  parameters and states by their model path (l1.W, bn.running_mean), as
//                           PyTorch's state_dict names them, so load_state_dict of the file works
//   @model/__metadata__     the one parameter path safetensors reserves (a top-level `__metadata__`)
//   @optimizer/<slot>       optimizer state (l1.W.m; g_loss/gen.W.m for a model with several losses)
//   @best/<path>            the best parameters so far, when early stopping keeps them
//   @extra/<name>           tensors a caller stores (normalization statistics, …)
//   __metadata__            strings: dlm's own keys (format, schema, model, model_hash, optimizer,
//                           step, run, …) and the caller's as `extra.<name>`
//
// Schema 1 (no `schema` key, dlm before the name spaces) stored optimizer state as `optimizer.<slot>`;
// it is still read.
import { DataError } from './data/errors.js';
import { decodeSafetensors, encodeSafetensors, loadSafetensors, type Safetensors } from './checkpoint.js';
import { setOwn, type Tensor } from './tensor.js';
import { writeFileAtomic } from './write.js';

export const CHECKPOINT_SCHEMA = '2';

export interface DlmCheckpoint {
  /** Parameters and states by model path. */
  readonly model: Record<string, Tensor>;
  /** Optimizer state by slot name. */
  readonly optimizer: Record<string, Tensor>;
  /** The best parameters so far (early stopping). */
  readonly best: Record<string, Tensor>;
  /** The caller's own tensors. */
  readonly extraTensors: Record<string, Tensor>;
  /** dlm's metadata (format, schema, model, model_hash, optimizer, step, run, …). */
  readonly info: Record<string, string>;
  /** The caller's own strings (class names, …). */
  readonly extra: Record<string, string>;
  /** The stored dtype of every key of the file (for messages). */
  readonly dtypes: Record<string, string>;
}

export type CheckpointParts = Partial<Omit<DlmCheckpoint, 'dtypes'>>;

const RESERVED = '__metadata__';
const SPACES = { optimizer: '@optimizer/', best: '@best/', extraTensors: '@extra/' } as const;
const modelKey = (path: string): string => (path === RESERVED || path.includes('@') || path.includes('/') ? `@model/${path}` : path);

const empty = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;

/** The safetensors bytes of a checkpoint. */
export const encodeCheckpoint = (c: CheckpointParts): Uint8Array => {
  const tensors = empty<Tensor>();
  for (const [k, t] of Object.entries(c.model ?? {})) setOwn(tensors, modelKey(k), t);
  for (const space of ['optimizer', 'best', 'extraTensors'] as const)
    for (const [k, t] of Object.entries(c[space] ?? {})) setOwn(tensors, SPACES[space] + k, t);
  const meta = empty<string>();
  for (const [k, v] of Object.entries(c.info ?? {})) meta[k] = v;
  meta['format'] = 'dlm';
  meta['schema'] = CHECKPOINT_SCHEMA;
  for (const [k, v] of Object.entries(c.extra ?? {})) meta[`extra.${k}`] = v;
  return encodeSafetensors(tensors, meta);
};

/** Writes a checkpoint completely or not at all (runtime/write.ts). */
export const saveCheckpointFile = (path: string, c: CheckpointParts): void => writeFileAtomic(path, encodeCheckpoint(c));

/** Splits a validated safetensors file into dlm's name spaces. */
export const splitCheckpoint = (st: Safetensors, name: string): DlmCheckpoint => {
  const c: DlmCheckpoint = { model: empty(), optimizer: empty(), best: empty(), extraTensors: empty(), info: empty(), extra: empty(), dtypes: st.dtypes };
  const schema = st.metadata['schema'];
  if (schema !== undefined && schema !== '1' && schema !== CHECKPOINT_SCHEMA) {
    throw new DataError(name, `checkpoint schema ${JSON.stringify(schema)} is newer than this dlm reads (${CHECKPOINT_SCHEMA}); upgrade dlm`);
  }
  const legacy = schema === undefined || schema === '1';
  for (const [k, v] of Object.entries(st.metadata)) {
    if (k.startsWith('extra.')) c.extra[k.slice(6)] = v;
    else c.info[k] = v;
  }
  for (const [k, t] of Object.entries(st.tensors)) {
    if (legacy) {
      setOwn(c.model, k, t);
      if (k.startsWith('optimizer.')) setOwn(c.optimizer, k.slice(10), t);
      continue;
    }
    if (!k.startsWith('@')) {
      setOwn(c.model, k, t);
      continue;
    }
    const space = (['optimizer', 'best', 'extraTensors'] as const).find((s) => k.startsWith(SPACES[s]));
    if (space) setOwn(c[space], k.slice(SPACES[space].length), t);
    else if (k.startsWith('@model/')) setOwn(c.model, k.slice(7), t);
    else throw new DataError(name, `tensor '${k}' is in no dlm name space (@model/, @optimizer/, @best/, @extra/)`);
  }
  return c;
};

export const decodeCheckpoint = (bytes: Uint8Array, name: string): DlmCheckpoint => splitCheckpoint(decodeSafetensors(bytes, name), name);

/** Reads and validates a checkpoint file (see loadSafetensors), split into its name spaces. */
export const loadCheckpointFile = (path: string): DlmCheckpoint => splitCheckpoint(loadSafetensors(path), path);
