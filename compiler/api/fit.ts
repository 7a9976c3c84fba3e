// The epoch loop behind `dlm train` and the library's fit(): shuffled mini-batches from a seeded
// generator, the compiled step, optional image augmentation, validation each epoch, early
// stopping (restoring the best parameters), cancellation through an AbortSignal, and checkpoints of
// the run's state (RunState) from which it continues exactly as if never interrupted.
import { augmentImages, type Augment } from '../../runtime/data/augment.js';
import { batches } from '../../runtime/data/batches.js';
import type { Dataset } from '../../runtime/data/dataset.js';
import { Rng, type RngState } from '../../runtime/random.js';
import { setOwn, type Tensor } from '../../runtime/tensor.js';
import { accuracyCount, classOutput, labelledCount, metricKind, scalarOutputs, Scorer, type Scores } from './metrics.js';
import type { Model } from './model.js';
import type { StepResult, Trainer } from './trainer.js';
import { GRAD_GUARD, GRAD_NORM } from '../train/step.js';

export interface FitOptions {
  readonly epochs: number;
  readonly batchSize: number;
  readonly seed?: number;
  /** Learning rate for a given epoch (0-based) and step within it; default: constant. */
  readonly schedule?: (epoch: number, step: number, stepsPerEpoch: number) => number;
  /** Stop after this many epochs without a lower validation loss, keeping the best parameters. */
  readonly earlyStopping?: number;
  /** Shift 28×28-style images by up to this many pixels (random, per batch). */
  readonly augmentShift?: number;
  /** Seeded image augmentation of training batches (flip, crop, noise); augmentShift N is { crop: N }. */
  readonly augment?: Augment;
  readonly signal?: AbortSignal;
  readonly onBatch?: (info: {
    epoch: number;
    done: number;
    total: number;
    loss: number;
    accuracy: number | undefined;
    mae?: number | undefined;
    terms: Readonly<Record<string, number>>;
  }) => void;
  readonly onEpoch?: (info: EpochReport) => void;
  /** Continue a run from this state (with the trainer's parameters, optimizer state and t restored). */
  readonly resume?: RunState;
  /** The best parameters so far of the resumed run (early stopping). */
  readonly resumeBest?: Readonly<Record<string, Float32Array>>;
  /** Periodic saves, a save at the end, on a stop by signal, and of the last good state on E0404. */
  readonly checkpoint?: Checkpointing;
}

export interface EpochReport {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly trainAccuracy?: number;
  readonly valLoss?: number;
  readonly valAccuracy?: number;
  /** For float targets (regression): mean absolute error on the training batches and validation, and R² on validation. */
  readonly trainMae?: number;
  readonly valMae?: number;
  readonly valR2?: number;
  readonly seconds: number;
  readonly samplesPerSecond: number;
  readonly lr: number;
  /** Epoch means of the model's scalar outputs (the terms of a composite loss). */
  readonly terms?: Readonly<Record<string, number>>;
}

export interface FitResult {
  readonly epochs: EpochReport[];
  readonly stopped: 'done' | 'early' | 'aborted';
  readonly bestEpoch?: number;
}

/**
 * How dataset columns feed the model: the single input gets x (reshaped), the single target gets y —
 * integer labels as they are, one-hot rows for an f32[B, K] target fed one class index per row, float
 * values (regression, several target columns, 0/1 for a binary model) as f32 of the target's shape.
 */
export const batchFeeder = (model: Model) => {
  const input = model.ir.inputs.find((i) => i.role === 'input');
  const target = model.ir.inputs.find((i) => i.role === 'target');
  if (!input) throw new Error(`model ${model.name} has no input`);
  const featureShape = input.type.shape.slice(1).map(Number);
  const targetShape = target ? target.type.shape.slice(1).map(Number) : [];
  const width = targetShape.reduce((a, b) => a * b, 1);
  const floatTarget = target?.type.dtype === 'f32';
  let hot = new Float32Array(0);
  let ids = new Int32Array(0);
  let ys = new Float32Array(0);
  return (x: Float32Array, y: Int32Array | Float32Array, count: number): Record<string, Tensor> => {
    // token ids are stored as floats in the dataset; an i32 input gets them as integers
    if (input.type.dtype === 'i32') {
      if (ids.length !== x.length) ids = new Int32Array(x.length);
      ids.set(x);
    }
    const feed: Record<string, Tensor> = Object.create(null);
    setOwn(feed, input.name, { data: input.type.dtype === 'i32' ? ids : x, shape: [count, ...featureShape] });
    if (target) {
      const shape = [count, ...targetShape];
      if (floatTarget && width > 1 && y.length === count) {
        if (hot.length !== count * width) hot = new Float32Array(count * width);
        else hot.fill(0);
        for (let i = 0; i < count; i++) hot[i * width + y[i]!] = 1;
        setOwn(feed, target.name, { data: hot, shape });
      } else if (floatTarget) {
        if (y instanceof Float32Array) setOwn(feed, target.name, { data: y, shape });
        else {
          if (ys.length !== y.length) ys = new Float32Array(y.length);
          ys.set(y);
          setOwn(feed, target.name, { data: ys, shape });
        }
      } else setOwn(feed, target.name, { data: y instanceof Int32Array ? y : Int32Array.from(y), shape });
    }
    return feed;
  };
};

export interface Evaluation extends Scores {
  readonly loss: number;
  readonly accuracy: number | undefined;
  readonly terms: Record<string, number>;
}

/** Mean loss, the model's metric (accuracy over labelled positions, or MAE and R²) and the mean of every other scalar output. */
export const evaluate = (model: Model, ds: Dataset, batchSize: number): Evaluation => {
  const feed = batchFeeder(model);
  const scorer = new Scorer(metricKind(model, ds), classOutput(model));
  const scalars = scalarOutputs(model);
  const terms: Record<string, number> = Object.fromEntries(scalars.map((k) => [k, 0]));
  let loss = 0;
  for (const b of batches(ds, { batchSize, shuffle: false })) {
    const r = model.run(model.ir.fn, feed(b.x, b.y, b.count));
    loss += r.outputs['loss']![0]! * b.count;
    for (const k of scalars) terms[k] = terms[k]! + (r.outputs[k]![0]! * b.count) / ds.count;
    scorer.add(r.outputs, b.y, b.count);
  }
  const scores = scorer.result();
  return { ...scores, loss: loss / ds.count, accuracy: scores.accuracy, terms };
};

/** Where a run is: enough to continue it exactly (same batches, dropout keys, schedule, sums, early stopping). */
export interface RunState {
  /** Epochs completed. */
  readonly epoch: number;
  /** Steps taken in the epoch in progress (0 at an epoch boundary). */
  readonly step: number;
  /** The data-order generator as at the start of the epoch in progress; the augmentation one as now. */
  readonly rng: RngState;
  readonly augRng: RngState;
  /** Running sums of the epoch in progress, so its report comes out as if never interrupted. */
  readonly acc: EpochSums;
  /** Early stopping: the best validation loss so far (null: none yet), its epoch, epochs since. */
  readonly best: number | null;
  readonly bestEpoch?: number;
  readonly since: number;
  /** The run reached its last epoch or stopped early. */
  readonly done: boolean;
}

interface EpochSums {
  loss: number;
  correct: number;
  labelled: number;
  seen: number;
  normSum: number;
  clipped: number;
  seconds: number;
  sums: Record<string, number>;
  /** Σ|ŷ − y| and the number of values, for float targets (the training MAE). */
  absErr?: number;
  values?: number;
}

export interface Checkpointing {
  /** Call save at the end of every n-th epoch (default 1) … */
  readonly everyEpochs?: number;
  /** … and/or after every n-th step (counted over the whole run). */
  readonly everySteps?: number;
  /**
   * Saves the trainer's parameters and optimizer state with this run state (and, with early stopping,
   * the best parameters so far). `why`: a periodic save, the run's end, a stop on signal, or a step
   * that failed (E0404: the parameters are the last good ones).
   */
  readonly save: (why: 'epoch' | 'steps' | 'end' | 'stop' | 'error', state: RunState, best?: Readonly<Record<string, Float32Array>>) => void;
}

const trainScores = (acc: EpochSums, kind: string | undefined): { accuracy: number | undefined; mae?: number } =>
  kind === 'classes'
    ? { accuracy: acc.correct / Math.max(1, acc.labelled) }
    : kind === 'values'
      ? { accuracy: undefined, mae: (acc.absErr ?? 0) / Math.max(1, acc.values ?? 0) }
      : { accuracy: undefined };

type Mutable = { epochs: EpochReport[]; stopped: FitResult['stopped']; bestEpoch?: number };

/** Yields after every batch, so the async driver can let signals and timers run. */
function* training(trainer: Trainer, train: Dataset, val: Dataset | undefined, opts: FitOptions, result: Mutable): Generator<void> {
  const model = trainer.model;
  const feed = batchFeeder(model);
  const out = classOutput(model);
  const kind = metricKind(model, train);
  const scalars = scalarOutputs(model);
  const clipNorm = trainer.config.clipNorm;
  const rng = new Rng(opts.seed ?? 0);
  const augRng = rng.fork(1);
  const stepsPerEpoch = Math.ceil(train.count / opts.batchSize);
  const aug: Augment | undefined = opts.augment ?? (opts.augmentShift ? { crop: opts.augmentShift } : undefined);
  const image = train.featureShape.length === 2 || train.featureShape.length === 3;
  const from = opts.resume;
  let best = from?.best ?? Infinity,
    since = from?.since ?? 0;
  if (from?.bestEpoch !== undefined) result.bestEpoch = from.bestEpoch;
  let bestParams: Record<string, Float32Array> | undefined = opts.resumeBest ? { ...opts.resumeBest } : undefined;
  if (from) {
    rng.setState(from.rng);
    augRng.setState(from.augRng);
  }
  const fresh = (): EpochSums => ({
    loss: 0,
    correct: 0,
    labelled: 0,
    seen: 0,
    normSum: 0,
    clipped: 0,
    seconds: 0,
    sums: Object.fromEntries(scalars.map((k) => [k, 0])),
  });
  // position: epochs completed and steps into the next one
  let done = from?.epoch ?? 0,
    step = from?.step ?? 0,
    acc = from ? structuredClone(from.acc) : fresh();
  let epochRng = rng.getState();
  let t0 = performance.now();
  const state = (finished: boolean): RunState => ({
    epoch: done,
    step,
    rng: epochRng,
    augRng: augRng.getState(),
    acc: { ...acc, sums: { ...acc.sums }, seconds: acc.seconds + (performance.now() - t0) / 1000 },
    best: Number.isFinite(best) ? best : null,
    ...(result.bestEpoch !== undefined ? { bestEpoch: result.bestEpoch } : {}),
    since,
    done: finished,
  });
  const ck = opts.checkpoint;
  const stop = (why: 'stop' | 'end', finished: boolean) => ck?.save(why, state(finished), bestParams);
  const means = (): Record<string, number> => {
    const m: Record<string, number> = {};
    for (const k of scalars) setOwn(m, k, acc.sums[k]! / Math.max(1, acc.seen));
    if (clipNorm !== undefined && step > 0) {
      m['grad_norm'] = acc.normSum / step;
      m['clipped'] = acc.clipped / step;
    }
    return m;
  };
  while (done < opts.epochs) {
    const epoch = done;
    t0 = performance.now();
    epochRng = rng.getState();
    const skip = step; // batches already trained before the interruption (replayed unchanged: same order)
    let i = 0;
    for (const b of batches(train, { batchSize: opts.batchSize, shuffle: true, rng })) {
      if (i++ < skip) continue;
      if (opts.signal?.aborted) {
        result.stopped = 'aborted';
        stop('stop', false);
        return;
      }
      if (opts.schedule) trainer.lr = opts.schedule(epoch, step, stepsPerEpoch);
      if (aug && image) augmentImages(b.x, b.count, train.featureShape, aug, augRng);
      let r: StepResult;
      try {
        r = trainer.step(feed(b.x, b.y, b.count));
      } catch (e) {
        ck?.save('error', state(false), bestParams);
        throw e;
      }
      acc.loss += r.loss * b.count;
      if (out && kind === 'classes') {
        acc.correct += accuracyCount(r.outputs[out]!, b.y, b.y.length);
        acc.labelled += labelledCount(b.y);
      }
      if (out && kind === 'values') {
        const p = r.outputs[out]!;
        for (let j = 0; j < b.y.length; j++) acc.absErr = (acc.absErr ?? 0) + Math.abs(p[j]! - b.y[j]!);
        acc.values = (acc.values ?? 0) + b.y.length;
      }
      acc.seen += b.count;
      step++;
      for (const k of scalars)
        setOwn(acc.sums, k, acc.sums[k]! + ((r.losses && Object.hasOwn(r.losses, k) ? r.losses[k] : undefined) ?? r.outputs[k]![0]!) * b.count);
      // With clip_norm: the global gradient norm before clipping (epoch mean) and the share of steps clipped.
      const norm = (r.outputs[GRAD_NORM] ?? r.outputs[GRAD_GUARD])?.[0];
      if (norm !== undefined && clipNorm !== undefined) {
        acc.normSum += norm;
        acc.clipped += norm > clipNorm ? 1 : 0;
      }
      opts.onBatch?.({ epoch, done: acc.seen, total: train.count, loss: acc.loss / acc.seen, ...trainScores(acc, kind), terms: means() });
      if (ck?.everySteps && trainer.t % ck.everySteps === 0 && step < stepsPerEpoch) ck.save('steps', state(false), bestParams);
      yield;
    }
    const seconds = acc.seconds + (performance.now() - t0) / 1000;
    const v = val ? evaluate(model, val, 256) : undefined;
    const terms = means();
    const report: EpochReport = {
      epoch: epoch + 1,
      trainLoss: acc.loss / acc.seen,
      seconds,
      samplesPerSecond: acc.seen / seconds,
      lr: trainer.lr,
      ...(Object.keys(terms).length ? { terms } : {}),
      ...(kind === 'classes' ? { trainAccuracy: trainScores(acc, kind).accuracy! } : kind === 'values' ? { trainMae: trainScores(acc, kind).mae! } : {}),
      ...(v ? { valLoss: v.loss } : {}),
      ...(v?.accuracy !== undefined ? { valAccuracy: v.accuracy } : {}),
      ...(v?.mae !== undefined ? { valMae: v.mae, valR2: v.r2! } : {}),
    };
    result.epochs.push(report);
    step = 0;
    acc = fresh();
    let early = false;
    if (opts.earlyStopping !== undefined && v) {
      if (v.loss < best) {
        best = v.loss;
        since = 0;
        result.bestEpoch = epoch + 1;
        bestParams = Object.fromEntries(Object.entries(model.params).map(([k, a]) => [k, a.slice()]));
      } else early = ++since >= opts.earlyStopping;
    }
    done = epoch + 1;
    epochRng = rng.getState();
    t0 = performance.now();
    opts.onEpoch?.(report);
    if (early) for (const [k, a] of Object.entries(bestParams ?? {})) model.params[k]!.set(a);
    if (early || done >= opts.epochs) {
      stop('end', true);
      if (early) result.stopped = 'early';
      return;
    }
    if (ck && done % (ck.everyEpochs ?? 1) === 0) ck.save('epoch', state(false), bestParams);
  }
  stop('end', true); // nothing left to train (a resumed run that had already reached its epochs)
}

/** Trains synchronously (tests, scripts). */
export const fit = (trainer: Trainer, train: Dataset, val: Dataset | undefined, opts: FitOptions): EpochReport[] => {
  const result = { epochs: [] as EpochReport[], stopped: 'done' as FitResult['stopped'] };
  for (const _ of training(trainer, train, val, opts, result)) {
    /* run to the end */
  }
  return result.epochs;
};

/** Trains without blocking the event loop for long: cancellable with opts.signal (Ctrl-C in the CLI). */
export const fitAsync = async (trainer: Trainer, train: Dataset, val: Dataset | undefined, opts: FitOptions): Promise<FitResult> => {
  const result: { epochs: EpochReport[]; stopped: FitResult['stopped']; bestEpoch?: number } = { epochs: [], stopped: 'done' };
  let n = 0;
  for (const _ of training(trainer, train, val, opts, result)) {
    if (++n % 16 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return result;
};
