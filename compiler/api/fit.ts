// The epoch loop behind `dlm train` and the library's fit(): shuffled mini-batches from a seeded
// generator, the compiled step, optional random-shift augmentation, validation each epoch, early
// stopping (restoring the best parameters), and cancellation through an AbortSignal.
import { augmentShift, batches } from '../../runtime/data/batches.js';
import type { Dataset } from '../../runtime/data/dataset.js';
import { Rng } from '../../runtime/random.js';
import { setOwn, type Tensor } from '../../runtime/tensor.js';
import { accuracyCount, classOutput, labelledCount, scalarOutputs } from './metrics.js';
import type { Model } from './model.js';
import type { Trainer } from './trainer.js';
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
  readonly signal?: AbortSignal;
  readonly onBatch?: (info: { epoch: number; done: number; total: number; loss: number; accuracy: number | undefined; terms: Readonly<Record<string, number>> }) => void;
  readonly onEpoch?: (info: EpochReport) => void;
}

export interface EpochReport {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly trainAccuracy?: number;
  readonly valLoss?: number;
  readonly valAccuracy?: number;
  readonly seconds: number;
  readonly samplesPerSecond: number;
  readonly lr: number;
  /** Epoch means of the model's scalar outputs (the terms of a composite loss). */
  readonly terms?: Readonly<Record<string, number>>;
}

export interface FitResult { readonly epochs: EpochReport[]; readonly stopped: 'done' | 'early' | 'aborted'; readonly bestEpoch?: number }

/** How dataset columns feed the model: the single input gets x (reshaped), the single target gets y. */
export const batchFeeder = (model: Model) => {
  const input = model.ir.inputs.find((i) => i.role === 'input');
  const target = model.ir.inputs.find((i) => i.role === 'target');
  if (!input) throw new Error(`model ${model.name} has no input`);
  const featureShape = input.type.shape.slice(1).map(Number);
  // f32[B, K] targets with K > 1 take one-hot labels; f32[B] or f32[B, 1] take the label as a number (0/1).
  const width = target && target.type.shape.length === 2 ? Number(target.type.shape[1]) : 1;
  const oneHot = target && target.type.dtype === 'f32' && width > 1 ? width : 0;
  const floatTarget = target && target.type.dtype === 'f32' && !oneHot;
  let hot = new Float32Array(0);
  let ids = new Int32Array(0);
  return (x: Float32Array, y: Int32Array, count: number): Record<string, Tensor> => {
    // token ids are stored as floats in the dataset; an i32 input gets them as integers
    if (input.type.dtype === 'i32') { if (ids.length !== x.length) ids = new Int32Array(x.length); ids.set(x); }
    const feed: Record<string, Tensor> = Object.create(null);
    setOwn(feed, input.name, { data: input.type.dtype === 'i32' ? ids : x, shape: [count, ...featureShape] });
    if (target) {
      if (oneHot) {
        if (hot.length !== count * oneHot) hot = new Float32Array(count * oneHot); else hot.fill(0);
        for (let i = 0; i < count; i++) hot[i * oneHot + y[i]!] = 1;
        setOwn(feed, target.name, { data: hot, shape: [count, oneHot] });
      } else if (floatTarget) setOwn(feed, target.name, { data: Float32Array.from(y), shape: target.type.shape.length === 2 ? [count, 1] : [count] });
      else setOwn(feed, target.name, { data: y, shape: [count, ...target.type.shape.slice(1).map(Number)] });
    }
    return feed;
  };
};

/** Mean loss, accuracy (over labelled positions) and the mean of every other scalar output (metrics). */
export const evaluate = (model: Model, ds: Dataset, batchSize: number): { loss: number; accuracy: number | undefined; terms: Record<string, number> } => {
  const feed = batchFeeder(model);
  const out = classOutput(model);
  const scalars = scalarOutputs(model);
  const terms: Record<string, number> = Object.fromEntries(scalars.map((k) => [k, 0]));
  let loss = 0, correct = 0, labelled = 0;
  for (const b of batches(ds, { batchSize, shuffle: false })) {
    const r = model.run(model.ir.fn, feed(b.x, b.y, b.count));
    loss += r.outputs['loss']![0]! * b.count;
    for (const k of scalars) terms[k] = terms[k]! + r.outputs[k]![0]! * b.count / ds.count;
    if (out) { correct += accuracyCount(r.outputs[out]!, b.y, b.y.length); labelled += labelledCount(b.y); }
  }
  return { loss: loss / ds.count, accuracy: out ? correct / Math.max(1, labelled) : undefined, terms };
};

/** Yields after every batch, so the async driver can let signals and timers run. */
function* training(trainer: Trainer, train: Dataset, val: Dataset | undefined, opts: FitOptions, result: { epochs: EpochReport[]; stopped: FitResult['stopped']; bestEpoch?: number }): Generator<void> {
  const model = trainer.model;
  const feed = batchFeeder(model);
  const out = classOutput(model);
  const scalars = scalarOutputs(model);
  const clipNorm = trainer.config.clipNorm;
  const rng = new Rng(opts.seed ?? 0);
  const augRng = rng.fork(1);
  const stepsPerEpoch = Math.ceil(train.count / opts.batchSize);
  const [h, w] = train.featureShape.length >= 2 ? train.featureShape.slice(-2) as [number, number] : [0, 0];
  let best = Infinity, since = 0;
  let bestParams: Record<string, Float32Array> | undefined;
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    const t0 = performance.now();
    let loss = 0, correct = 0, labelled = 0, seen = 0, step = 0, normSum = 0, clippedSteps = 0;
    const sums: Record<string, number> = Object.fromEntries(scalars.map((k) => [k, 0]));
    const means: Record<string, number> = {};
    for (const b of batches(train, { batchSize: opts.batchSize, shuffle: true, rng })) {
      if (opts.signal?.aborted) { result.stopped = 'aborted'; return; }
      if (opts.schedule) trainer.lr = opts.schedule(epoch, step, stepsPerEpoch);
      if (opts.augmentShift && h) augmentShift(b.x, b.count, h, w, opts.augmentShift, augRng);
      const r = trainer.step(feed(b.x, b.y, b.count));
      loss += r.loss * b.count;
      if (out) { correct += accuracyCount(r.outputs[out]!, b.y, b.y.length); labelled += labelledCount(b.y); }
      seen += b.count;
      step++;
      for (const k of scalars) { sums[k] = (sums[k] ?? 0) + (r.losses?.[k] ?? r.outputs[k]![0]!) * b.count; means[k] = sums[k]! / seen; }
      // With clip_norm: the global gradient norm before clipping (epoch mean) and the share of steps clipped.
      const norm = (r.outputs[GRAD_NORM] ?? r.outputs[GRAD_GUARD])?.[0];
      if (norm !== undefined && clipNorm !== undefined) {
        normSum += norm; clippedSteps += norm > clipNorm ? 1 : 0;
        means['grad_norm'] = normSum / step; means['clipped'] = clippedSteps / step;
      }
      opts.onBatch?.({ epoch, done: seen, total: train.count, loss: loss / seen, accuracy: out ? correct / Math.max(1, labelled) : undefined, terms: means });
      yield;
    }
    const seconds = (performance.now() - t0) / 1000;
    const v = val ? evaluate(model, val, 256) : undefined;
    const report: EpochReport = {
      epoch: epoch + 1, trainLoss: loss / seen, seconds, samplesPerSecond: seen / seconds, lr: trainer.lr,
      ...(Object.keys(means).length ? { terms: { ...means } } : {}),
      ...(out ? { trainAccuracy: correct / Math.max(1, labelled) } : {}),
      ...(v ? { valLoss: v.loss, ...(v.accuracy !== undefined ? { valAccuracy: v.accuracy } : {}) } : {}),
    };
    result.epochs.push(report);
    opts.onEpoch?.(report);
    if (opts.earlyStopping !== undefined && v) {
      if (v.loss < best) { best = v.loss; since = 0; result.bestEpoch = epoch + 1; bestParams = Object.fromEntries(Object.entries(model.params).map(([k, a]) => [k, a.slice()])); }
      else if (++since >= opts.earlyStopping) {
        for (const [k, a] of Object.entries(bestParams ?? {})) model.params[k]!.set(a);
        result.stopped = 'early';
        return;
      }
    }
  }
}

/** Trains synchronously (tests, scripts). */
export const fit = (trainer: Trainer, train: Dataset, val: Dataset | undefined, opts: FitOptions): EpochReport[] => {
  const result = { epochs: [] as EpochReport[], stopped: 'done' as FitResult['stopped'] };
  for (const _ of training(trainer, train, val, opts, result)) { /* run to the end */ }
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
