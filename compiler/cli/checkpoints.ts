// Checkpoints of a model (and its optimizer and run): dlm's safetensors layout (runtime/dlmCheckpoint.ts),
// checked against the model before anything is copied in, so a bad file never half-loads.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { loadCheckpointFile, saveCheckpointFile, type CheckpointParts, type DlmCheckpoint } from '../../runtime/dlmCheckpoint.js';
import { DataError } from '../../runtime/data/errors.js';
import { setOwn, type Tensor } from '../../runtime/tensor.js';
import type { Model } from '../api/model.js';
import type { Trainer } from '../api/trainer.js';
import { fmtType } from '../types/types.js';
import { UsageError } from './io.js';

/** A hash of the parameter names and types: a checkpoint only loads into a model with the same layout. */
export const modelHash = (model: Model): string =>
  createHash('sha256')
    .update([...model.ir.params, ...model.ir.states].map((p) => `${p.name}:${fmtType(p.type)}`).join(';'))
    .digest('hex')
    .slice(0, 16);

export interface SaveOptions {
  /** More dlm metadata (epochs, seed, source, interrupted, run, …). */
  readonly info?: Readonly<Record<string, string>>;
  /** The best parameters so far (early stopping). */
  readonly best?: Readonly<Record<string, Float32Array>>;
  /** The caller's own strings and tensors (class names, normalization statistics). */
  readonly extra?: Readonly<Record<string, string>>;
  readonly extraTensors?: Readonly<Record<string, Tensor>>;
}

const shapeOf = (model: Model, name: string): number[] => [...model.ir.params, ...model.ir.states].find((p) => p.name === name)!.type.shape as number[];

const nullRecord = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;

/** Saves parameters, states and (with a trainer) optimizer state and step, atomically. */
export const saveCheckpoint = (model: Model, trainer: Trainer | undefined, path: string, o: SaveOptions = {}): void => {
  const parts = {
    model: nullRecord<Tensor>(),
    optimizer: nullRecord<Tensor>(),
    best: nullRecord<Tensor>(),
    extraTensors: { ...o.extraTensors },
    info: { model: model.name, model_hash: modelHash(model), ...(trainer ? { optimizer: trainer.config.optimizer, step: String(trainer.t) } : {}), ...o.info },
    extra: { ...o.extra },
  } satisfies CheckpointParts;
  for (const p of model.ir.params) setOwn(parts.model, p.name, { data: model.params[p.name]!, shape: p.type.shape as number[] });
  for (const p of model.ir.states) setOwn(parts.model, p.name, { data: model.states[p.name]!, shape: p.type.shape as number[] });
  if (trainer) for (const s of trainer.slots) setOwn(parts.optimizer, s.name, { data: trainer.state[s.name]!, shape: shapeOf(model, s.param) });
  for (const [k, a] of Object.entries(o.best ?? {})) setOwn(parts.best, k, { data: a, shape: shapeOf(model, k) });
  saveCheckpointFile(path, parts);
};

const own = <T>(r: Record<string, T>, k: string): T | undefined => (Object.hasOwn(r, k) ? r[k] : undefined);
const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

/** float32 data of a tensor meant for a float parameter, or the reason it cannot be one. */
const asFloat32 = (c: DlmCheckpoint, key: string, t: Tensor): Float32Array | string => {
  if (t.data instanceof Int32Array) return `is ${own(c.dtypes, key) ?? 'I32'} (integers), not a float tensor`;
  const f = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
  for (let i = 0; i < f.length; i++) if (!Number.isFinite(f[i]!)) return `holds ${f[i]} at element ${i}: the checkpoint's parameters are not finite`;
  return f;
};

/** Everything that differs between a checkpoint's parameters and the model's (missing, extra, shapes, dtypes, values). */
const differences = (model: Model, c: DlmCheckpoint): { problems: string[]; data: Map<string, Float32Array> } => {
  const problems: string[] = [];
  const data = new Map<string, Float32Array>();
  const declared = [...model.ir.params, ...model.ir.states];
  for (const p of declared) {
    const t = own(c.model, p.name);
    if (!t) {
      problems.push(`missing '${p.name}' (${fmtType(p.type)})`);
      continue;
    }
    const want = p.type.shape as number[];
    if (t.shape.join(',') !== want.join(',')) {
      problems.push(`'${p.name}' has shape ${fmt(t.shape)} but ${model.name} declares ${fmt(want)}`);
      continue;
    }
    const f = asFloat32(c, p.name, t);
    if (typeof f === 'string') problems.push(`'${p.name}' ${f}`);
    else data.set(p.name, f);
  }
  const names = new Set(declared.map((p) => p.name));
  const legacy = !Object.hasOwn(c.info, 'schema'); // schema 1 kept optimizer state as `optimizer.<slot>` among the parameters
  for (const k of Object.keys(c.model))
    if (!names.has(k) && !(legacy && k.startsWith('optimizer.'))) problems.push(`extra '${k}' ${fmt(c.model[k]!.shape)}, which ${model.name} does not declare`);
  return { problems, data };
};

const failWith = (path: string, head: string, problems: string[], hint?: string): never => {
  const list = problems.slice(0, 12).join('\n  ') + (problems.length > 12 ? `\n  … and ${problems.length - 12} more` : '');
  throw new DataError(path, `${head}:\n  ${list}${hint ? `\n${hint}` : ''}`);
};

/**
 * Loads parameters (and, with a trainer, optimizer state and step) after checking every name, shape,
 * dtype, value and the model hash: nothing is copied unless everything fits. Returns the checkpoint.
 */
export const loadParams = (model: Model, path: string, trainer?: Trainer): DlmCheckpoint => {
  if (!existsSync(path)) throw new UsageError(`checkpoint not found: ${path}`);
  const c = loadCheckpointFile(path);
  const { problems, data } = differences(model, c);
  const saved = own(c.info, 'model');
  if (problems.length)
    failWith(path, `does not fit model ${model.name}${saved !== undefined && saved !== model.name ? ` (it was saved from ${saved})` : ''}`, problems);
  const hash = own(c.info, 'model_hash');
  if (hash !== undefined && hash !== modelHash(model))
    failWith(path, `model_hash ${hash} differs from ${model.name}'s ${modelHash(model)}`, ['the parameter names and shapes agree, but their types differ']);
  let slots: Map<string, Float32Array> | undefined;
  let step = 0;
  if (trainer) {
    const hint = `to start a fresh optimizer from these parameters, use --init-from ${path} instead of --resume`;
    const opt = own(c.info, 'optimizer');
    if (opt === undefined) failWith(path, 'has no optimizer state, so training cannot resume from it', ['it holds parameters only'], hint);
    if (opt !== trainer.config.optimizer)
      failWith(path, `was trained with ${opt}, not ${trainer.config.optimizer}`, ['its optimizer state does not apply'], hint);
    const bad: string[] = [];
    slots = new Map();
    for (const s of trainer.slots) {
      const t = own(c.optimizer, s.name),
        want = shapeOf(model, s.param);
      if (!t) {
        bad.push(`missing optimizer state '${s.name}' (${opt}'s ${s.slot} of ${s.param})`);
        continue;
      }
      if (t.shape.join(',') !== want.join(',')) {
        bad.push(`optimizer state '${s.name}' has shape ${fmt(t.shape)}, ${s.param} is ${fmt(want)}`);
        continue;
      }
      const f = asFloat32(c, `@optimizer/${s.name}`, t);
      if (typeof f === 'string') bad.push(`optimizer state '${s.name}' ${f}`);
      else slots.set(s.name, f);
    }
    const wanted = new Set(trainer.slots.map((s) => s.name));
    for (const k of Object.keys(c.optimizer)) if (!wanted.has(k)) bad.push(`extra optimizer state '${k}'`);
    if (bad.length) failWith(path, `has optimizer state that does not fit ${trainer.config.optimizer} with these settings`, bad, hint);
    const t = Number(own(c.info, 'step') ?? '0');
    if (!Number.isSafeInteger(t) || t < 0) failWith(path, 'has a bad step count', [`step = ${JSON.stringify(own(c.info, 'step'))}`]);
    step = t;
  }
  // Only after every check passed: nothing is half-loaded.
  for (const p of model.ir.params) model.params[p.name]!.set(data.get(p.name)!);
  for (const p of model.ir.states) model.states[p.name]!.set(data.get(p.name)!);
  if (trainer && slots) {
    for (const [k, f] of slots) trainer.state[k]!.set(f);
    trainer.t = step;
  }
  return c;
};

/**
 * Copies the parameters a checkpoint shares with this model (same name and shape) and leaves the rest
 * as initialized: layer-wise pretraining, transfer. Returns the names loaded.
 */
export const initFrom = (model: Model, path: string): string[] => {
  if (!existsSync(path)) throw new UsageError(`checkpoint not found: ${path}`);
  const c = loadCheckpointFile(path);
  const problems: string[] = [];
  const take: [string, Float32Array][] = [];
  for (const p of [...model.ir.params, ...model.ir.states]) {
    const t = own(c.model, p.name);
    if (!t) continue;
    if (t.shape.join(',') !== (p.type.shape as number[]).join(',')) {
      problems.push(`'${p.name}' has shape ${fmt(t.shape)} but ${model.name} declares ${fmt(p.type.shape as number[])}`);
      continue;
    }
    const f = asFloat32(c, p.name, t);
    if (typeof f === 'string') problems.push(`'${p.name}' ${f}`);
    else take.push([p.name, f]);
  }
  if (problems.length) failWith(path, `cannot initialize ${model.name}`, problems);
  if (take.length === 0) throw new DataError(path, `shares no parameter with ${model.name}`);
  for (const [k, f] of take) (own(model.params, k) ?? model.states[k]!).set(f);
  return take.map(([k]) => k);
};
