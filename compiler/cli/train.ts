// `dlm train`: the main job. Settings come from the model's `train { … }` block, overridden by flags.
// Loads data (the bundled MNIST digits by default), trains with a progress bar, reports held-out
// accuracy, and writes an atomic safetensors checkpoint, a JSONL log and an SVG of the curves.
// Ctrl-C stops after the current batch and saves a checkpoint.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describeAugment, parseAugment, type Augment } from '../../runtime/data/augment.js';
import type { Dataset } from '../../runtime/data/dataset.js';
import { ProgressBar } from '../../runtime/progress.js';
import { evaluate, fitAsync, type RunState } from '../api/fit.js';
import { formatScores } from '../api/metrics.js';
import type { Model } from '../api/model.js';
import { Trainer } from '../api/trainer.js';
import { makeSchedule, type ScheduleName } from '../train/schedules.js';
import { initFrom, loadParams } from './checkpoints.js';
import { loadEvaluation, loadTraining, META_KEY, parseMeta, type DataSettings } from './data.js';
import { EXIT, UsageError, type Out } from './io.js';
import { parseRunState, RunFiles, runPaths } from './run.js';
import { checkLabels, parseSaveEvery, validateSettings } from './trainSettings.js';
import { loadCheckpointFile } from '../../runtime/dlmCheckpoint.js';
import { DataError } from '../../runtime/data/errors.js';

/** Every setting; flags given on the command line win over the model's train block. */
export interface TrainSettings extends DataSettings {
  epochs: number;
  batch: number;
  schedule: string;
  warmup: number;
  lr?: number;
  optimizer?: string;
  out?: string;
  clipNorm?: number;
  clipValue?: number;
  log?: string;
  resume?: string;
  initFrom?: string;
  classes?: number;
  earlyStopping?: number;
  augmentShift?: number;
  augment?: string;
  /** How often to save: N (epochs), Nepochs or Nsteps (default every epoch); keep the K most recent numbered copies. */
  saveEvery?: string;
  keep?: number;
}

const DEFAULTS: TrainSettings = { data: 'mnist', epochs: 10, batch: 32, seed: 0, valFraction: 0.1, schedule: 'constant', warmup: 0 };
const FROM_BLOCK: Record<string, keyof TrainSettings> = {
  epochs: 'epochs',
  batch: 'batch',
  lr: 'lr',
  schedule: 'schedule',
  warmup: 'warmup',
  early_stopping: 'earlyStopping',
  clip_norm: 'clipNorm',
  clip_value: 'clipValue',
  val_fraction: 'valFraction',
  seed: 'seed',
  augment_shift: 'augmentShift',
  data: 'data',
};

export const resolveSettings = (model: Model, flags: Partial<TrainSettings>): TrainSettings => {
  const block: Partial<Record<keyof TrainSettings, unknown>> = {};
  for (const [k, v] of Object.entries(model.ir.train?.settings ?? {})) if (Object.hasOwn(FROM_BLOCK, k)) block[FROM_BLOCK[k]!] = v;
  return { ...DEFAULTS, ...(block as Partial<TrainSettings>), ...flags };
};

/** `--out FILE.safetensors`, or `--out DIR` (an existing directory, or a path ending in '/'): DIR/<Model>.safetensors. */
export const checkpointPath = (model: Model, out: string | undefined): string => {
  if (out === undefined) return join('checkpoints', `${model.name}.safetensors`);
  let isDir = /[/\\]$/.test(out);
  try {
    isDir ||= statSync(out).isDirectory();
  } catch {
    /* a new file */
  }
  return isDir ? join(out, `${model.name}.safetensors`) : out;
};

/** Settings a resumed run takes from its checkpoint (flags given again override them). */
const SAVED: readonly (keyof TrainSettings)[] = [
  'data',
  'epochs',
  'batch',
  'seed',
  'valFraction',
  'schedule',
  'warmup',
  'lr',
  'optimizer',
  'clipNorm',
  'clipValue',
  'limit',
  'labelColumn',
  'classes',
  'earlyStopping',
  'augmentShift',
  'saveEvery',
  'keep',
  'valData',
  'testData',
  'features',
  'header',
  'normalize',
  'augment',
];

/** What a checkpoint to resume says about its run: its settings, run state and best validation loss. */
const resumeInfo = (path: string): { settings: Partial<TrainSettings>; run?: RunState; bestVal?: number } => {
  if (!existsSync(path)) throw new UsageError(`checkpoint not found: ${path}`);
  const { info } = loadCheckpointFile(path);
  const settings: Partial<TrainSettings> = {};
  if (Object.hasOwn(info, 'settings')) {
    let saved: unknown;
    try {
      saved = JSON.parse(info['settings']!);
    } catch {
      saved = undefined;
    }
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
    out.log(
      `${s.resume}: this run already ${run.done ? 'finished' : 'trained'} ${run.epoch} epoch${run.epoch === 1 ? '' : 's'}` +
        ` of ${s.epochs}; nothing to train (pass --epochs N with N > ${run.epoch} to train longer)`,
    );
    return EXIT.ok;
  }
  // SIGINT / SIGTERM: finish the step, save, exit 130 / 143. A second signal cannot interrupt the save
  // (it is synchronous; the handler stays installed and only answers once the save is done).
  const abort = new AbortController();
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (stoppedBy) {
      out.err(`${sig} again: still saving the checkpoint; it will be complete in a moment`);
      return;
    }
    stoppedBy = sig;
    out.err(`\n${sig}: stopping after this step and saving a checkpoint…`);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const { train, val, test, lines, meta: dataMeta } = loadTraining(s, model);
    checkLabels(model, train, s.data);
    const trainer = new Trainer(model, {
      ...(s.optimizer ? { optimizer: s.optimizer } : {}),
      ...(s.lr !== undefined ? { hyper: { lr: s.lr } } : {}),
      ...(s.clipNorm !== undefined ? { clipNorm: s.clipNorm } : {}),
      ...(s.clipValue !== undefined ? { clipValue: s.clipValue } : {}),
    });
    const ck = s.resume ? loadParams(model, s.resume, trainer) : undefined;
    if (s.initFrom) out.err(`initialized ${initFrom(model, s.initFrom).join(', ')} from ${s.initFrom}`);
    mkdirSync(dirname(path), { recursive: true });
    const files = new RunFiles(
      runPaths(path, s.log),
      s.keep ?? 0,
      s.resume ? { epochs: run?.epoch ?? 0, log: runPaths(s.resume).log, ...(resumed?.bestVal !== undefined ? { bestVal: resumed.bestVal } : {}) } : undefined,
    );
    const hp = Object.entries(trainer.config.hyper ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    out.err(`dlm train: ${model.name} from ${basename(file)} — ${model.paramCount().toLocaleString('en-US')} parameters, ${trainer.config.optimizer}(${hp})`);
    out.err(optimizerLine(model, s, trainer.config.optimizer, hp));
    for (const l of lines) out.err(l);
    out.err(`batch ${s.batch}, ${s.epochs} epochs, seed ${s.seed}${s.earlyStopping !== undefined ? `, early stopping after ${s.earlyStopping}` : ''}`);
    const augment = augmentOption(s, train, out);
    if (s.resume)
      out.err(
        run
          ? `resuming ${s.resume} after epoch ${run.epoch}${run.step ? `, step ${run.step} of epoch ${run.epoch + 1}` : ''} (step ${trainer.t} in all)`
          : `resuming ${s.resume} from step ${trainer.t} (it holds no run state: epochs count from 1)`,
      );
    const resumeCommand = `dlm train ${file} --resume ${path}`;
    const info: Record<string, string> = {
      epochs: String(s.epochs),
      seed: String(s.seed),
      source: basename(file),
      [META_KEY]: JSON.stringify(dataMeta),
      settings: JSON.stringify(Object.fromEntries(SAVED.filter((k) => s[k] !== undefined).map((k) => [k, s[k]]))),
    };
    let bar: ProgressBar | undefined;
    const t0 = performance.now();
    const every = parseSaveEvery(s.saveEvery);
    const result = await fitAsync(trainer, train, val.count ? val : undefined, {
      epochs: s.epochs,
      batchSize: s.batch,
      seed: s.seed,
      signal: abort.signal,
      schedule: makeSchedule(s.schedule as ScheduleName, { base: trainer.lr, epochs: s.epochs, warmupSteps: s.warmup }),
      ...(s.earlyStopping !== undefined ? { earlyStopping: s.earlyStopping } : {}),
      ...augment,
      ...(run ? { resume: run } : {}),
      ...(ck && Object.keys(ck.best).length ? { resumeBest: Object.fromEntries(Object.entries(ck.best).map(([k, t]) => [k, Float32Array.from(t.data)])) } : {}),
      checkpoint: {
        ...every,
        save: (why, state, best) => {
          files.save(model, trainer, state, { ...info, status: why }, best);
          if (why === 'error')
            out.err(`saved the last good state (after step ${trainer.t}) to ${path}; continue with: ${resumeCommand} (perhaps with a smaller --lr)`);
        },
      },
      onBatch: ({ epoch, done, total, loss, accuracy, mae, terms }) => {
        if (!bar) bar = new ProgressBar({ total, label: `epoch ${epoch + 1}/${s.epochs}`, stream: out.progress ?? { write: () => true } });
        bar.update(done, { loss, ...terms, ...(accuracy !== undefined ? { acc: accuracy } : {}), ...(mae !== undefined ? { mae } : {}) });
      },
      onEpoch: (r) => {
        bar?.finish({
          loss: r.trainLoss,
          ...(r.terms ?? {}),
          ...(r.trainAccuracy !== undefined ? { acc: r.trainAccuracy } : {}),
          ...(r.valLoss !== undefined ? { val_loss: r.valLoss } : {}),
          ...(r.valAccuracy !== undefined ? { val_acc: r.valAccuracy } : {}),
          ...(r.trainMae !== undefined ? { mae: r.trainMae } : {}),
          ...(r.valMae !== undefined ? { val_mae: r.valMae, val_r2: r.valR2! } : {}),
        });
        bar = undefined;
        files.addEpoch(r, model, info);
      },
    });
    if (result.stopped === 'aborted') {
      bar?.finish({});
      out.log(`stopped by ${stoppedBy} after ${files.epochs.length} complete epochs; checkpoint: ${path}\ncontinue with: ${resumeCommand}`);
      return stoppedBy === 'SIGINT' ? EXIT.sigint : EXIT.sigterm;
    }
    if (result.stopped === 'early')
      out.err(`early stopping: no better validation loss for ${s.earlyStopping} epochs; kept the parameters of epoch ${result.bestEpoch}`);
    const secs = (performance.now() - t0) / 1000;
    const t = evaluate(model, test, 256);
    const metrics = Object.entries(t.terms)
      .map(([k, v]) => `, ${k} ${v.toFixed(4)}`)
      .join('');
    const score = formatScores(t);
    out.log(`test: loss ${t.loss.toFixed(4)}${score ? `, ${score}` : ''}${metrics} on ${test.count} held-out samples (${secs.toFixed(1)} s of training)`);
    out.log(`checkpoint: ${path}\nlog: ${files.paths.log}\ncurves: ${files.paths.curves}`);
    return EXIT.ok;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
};

/** `dlm eval`: loss and the model's metric for a checkpoint: a --data file whole, else the training run's held-out data. */
export const evalCommand = (out: Out, model: Model, flags: Partial<TrainSettings> & { checkpoint: string }): void => {
  loadParams(model, flags.checkpoint);
  const meta = parseMeta(loadCheckpointFile(flags.checkpoint).info);
  const { test, source, how } = loadEvaluation(flags, model, meta);
  const r = evaluate(model, test, 256);
  const score = formatScores(r);
  out.log(`${model.name} on ${test.count} examples of ${source} (${how}): loss ${r.loss.toFixed(4)}${score ? `, ${score}` : ''}`);
};

/** --augment (or the older --augment-shift N, which is crop:N), said in the header; images only. */
const augmentOption = (s: TrainSettings, train: Dataset, out: Out): { augment?: Augment } => {
  if (!s.augment && !s.augmentShift) return {};
  const a = s.augment ? parseAugment(s.augment) : { crop: s.augmentShift! };
  if (typeof a === 'string') throw new UsageError(a);
  if (train.featureShape.length !== 2 && train.featureShape.length !== 3) {
    throw new UsageError(`--augment applies to images ([C, H, W] or [H, W] per example); these examples have shape [${train.featureShape.join(', ')}]`);
  }
  out.err(`augmentation: ${describeAugment(a)} (training batches only, seeded)`);
  return { augment: a };
};

/** Which optimizer trains, and where that choice came from (a flag, the model, or dlm's default). */
const optimizerLine = (model: Model, s: TrainSettings, name: string, hp: string): string => {
  const from = s.optimizer
    ? '--optimizer'
    : model.ir.optimizer
      ? "the model's optimizer line"
      : "dlm's default: the model declares no optimizer (add one, or pass --optimizer)";
  return `optimizer: ${name}(${hp}) from ${from}${s.lr !== undefined ? ', lr from --lr' : ''}`;
};
