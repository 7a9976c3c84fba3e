// Checks of `dlm train`'s numbers before anything runs: every numeric setting in its range (a usage
// error naming the flag, or the train block's setting), --save-every's form, and class labels
// against the model's number of classes (naming the data file and row) when batches are built.
import type { Dataset } from '../../runtime/data/dataset.js';
import { DataError } from '../../runtime/data/errors.js';
import type { Model } from '../api/model.js';
import { classOutput } from '../api/metrics.js';
import { UsageError } from './io.js';
import type { TrainSettings } from './train.js';

type Rule = { flag: string; block?: string; int?: boolean; min: number; strict?: boolean; max?: number; maxStrict?: boolean };
const RULES: Partial<Record<keyof TrainSettings, Rule>> = {
  epochs: { flag: 'epochs', block: 'epochs', int: true, min: 1 },
  batch: { flag: 'batch', block: 'batch', int: true, min: 1 },
  seed: { flag: 'seed', block: 'seed', int: true, min: 0, max: 2 ** 32 - 1 },
  valFraction: { flag: 'val-fraction', block: 'val_fraction', min: 0, max: 1, maxStrict: true },
  warmup: { flag: 'warmup', block: 'warmup', int: true, min: 0 },
  lr: { flag: 'lr', block: 'lr', min: 0, strict: true },
  clipNorm: { flag: 'clip-norm', block: 'clip_norm', min: 0, strict: true },
  clipValue: { flag: 'clip-value', block: 'clip_value', min: 0, strict: true },
  limit: { flag: 'limit', int: true, min: 1 },
  classes: { flag: 'classes', int: true, min: 1 },
  earlyStopping: { flag: 'early-stopping', block: 'early_stopping', int: true, min: 1 },
  augmentShift: { flag: 'augment-shift', block: 'augment_shift', int: true, min: 0 },
  keep: { flag: 'keep', int: true, min: 0 },
};

/** Every numeric setting in range; a UsageError names the flag (or the train block setting) and the value. */
export const validateSettings = (s: TrainSettings, flags: Partial<TrainSettings>): void => {
  for (const [key, r] of Object.entries(RULES) as [keyof TrainSettings, Rule][]) {
    const v = s[key];
    if (v === undefined) continue;
    const where = Object.hasOwn(flags, key) || !r.block ? `--${r.flag}` : `train setting '${r.block}'`;
    const upper = r.max !== undefined ? ` and ${r.maxStrict ? '<' : '≤'} ${r.max}` : '';
    const range = `${r.int ? 'an integer' : 'a number'} ${r.strict ? '>' : '≥'} ${r.min}${upper}`;
    const n = v as number;
    const bad =
      typeof v !== 'number' ||
      !Number.isFinite(n) ||
      (r.int && !Number.isSafeInteger(n)) ||
      (r.strict ? n <= r.min : n < r.min) ||
      (r.max !== undefined && (r.maxStrict ? n >= r.max : n > r.max));
    if (bad) throw new UsageError(`${where} must be ${range}, got ${v}`);
  }
  parseSaveEvery(s.saveEvery);
};

/** `--save-every N` (epochs), `Nepochs`, or `Nsteps`: how often the run saves its checkpoint (default every epoch). */
export const parseSaveEvery = (v: string | undefined): { everyEpochs?: number; everySteps?: number } => {
  if (v === undefined) return { everyEpochs: 1 };
  const m = /^(\d+)\s*(epochs?|e|steps?|s)?$/.exec(v.trim());
  const n = m ? Number(m[1]) : NaN;
  if (!m || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`--save-every expects N (epochs), Nepochs or Nsteps with N ≥ 1, got '${v}'`);
  return m[2]?.startsWith('s') ? { everySteps: n, everyEpochs: 1 } : { everyEpochs: n };
};

/** The number of classes integer labels index: the one-hot width of an f32[B, K] target, or the scored output's last dim. */
const classCount = (model: Model): number | undefined => {
  const target = model.ir.inputs.find((i) => i.role === 'target');
  if (!target) return undefined;
  if (target.type.dtype === 'f32') {
    const k = target.type.shape.length === 2 ? Number(target.type.shape[1]) : 1;
    return k > 1 ? k : undefined;
  }
  const out = classOutput(model);
  const o = out ? model.ir.fn.nodes.find((n) => n.id === model.ir.fn.outputs.find((x) => x.name === out)?.id) : undefined;
  const k = o ? Number(o.type.shape.at(-1)) : NaN;
  return Number.isInteger(k) && k > 0 ? k : undefined;
};

/** Class labels are integers in [0, classes) (−1 marks sequence padding); the error names the file and row. */
export const checkLabels = (model: Model, ds: Dataset, file: string): void => {
  const k = classCount(model);
  // float labels are values (regression, several target columns): datafit.ts checks them against the target
  if (k === undefined || ds.y instanceof Float32Array) return;
  const per = (ds.labelShape ?? []).reduce((a, b) => a * b, 1);
  const seq = per > 1;
  for (let i = 0; i < ds.y.length; i++) {
    const y = ds.y[i]!;
    if ((y >= 0 && y < k) || (seq && y === -1)) continue;
    throw new DataError(file, `row ${Math.floor(i / per) + 1} has label ${y}, but ${model.name} has ${k} classes (labels 0…${k - 1})`);
  }
};
