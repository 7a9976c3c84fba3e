// Metrics that follow the model: accuracy (and the confusion matrix) for class outputs — softmax scores
// or a single sigmoid probability — and mean absolute error and R² for float targets.
import { labelsPerRow, type Dataset } from '../../runtime/data/dataset.js';
import type { TensorType } from '../types/types.js';
import type { Model } from './model.js';

/** Rows whose argmax is the label, over `count` rows (a negative label is padding and never counts). */
export const accuracyCount = (logits: ArrayLike<number>, labels: ArrayLike<number>, count: number): number => {
  const k = logits.length / count;
  let correct = 0;
  for (let i = 0; i < count; i++) if (labels[i]! >= 0 && argmaxRow(logits, i, k) === labels[i]) correct++;
  return correct;
};

/** How many labels are real (not −1 padding). */
export const labelledCount = (labels: ArrayLike<number>): number => {
  let n = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]! >= 0) n++;
  return n;
};

const argmaxRow = (logits: ArrayLike<number>, row: number, k: number): number => {
  if (k === 1) return logits[row]! > 0.5 ? 1 : 0; // a single probability (e.g. a sigmoid output): threshold ½
  let best = 0;
  for (let j = 1; j < k; j++) if (logits[row * k + j]! > logits[row * k + best]!) best = j;
  return best;
};

export const accuracy = (logits: ArrayLike<number>, labels: ArrayLike<number>): number => accuracyCount(logits, labels, labels.length) / labels.length;

/** m[true][predicted] counts over `classes` classes. */
export const confusionMatrix = (logits: ArrayLike<number>, labels: ArrayLike<number>, classes: number): number[][] => {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  const k = logits.length / labels.length;
  for (let i = 0; i < labels.length; i++) m[labels[i]!]![argmaxRow(logits, i, k)]! += 1;
  return m;
};

/**
 * The output scored against the target: integer labels [B, …] by an output [B, …, classes]; a float
 * target by the output of the same shape (one probability per example for a binary model, one value per
 * target column for regression), else by a [B, K] output (one score per class for one-hot targets).
 */
export const classOutput = (model: Model): string | undefined => {
  const target = model.ir.inputs.find((i) => i.role === 'target');
  if (!target) return undefined;
  if (target.type.dtype === 'i32') return model.ir.outputs.find((o) => outputRank(model, o) === target.type.shape.length + 1);
  const same = model.ir.outputs.find((o) => sameShape(outputType(model, o)?.shape, target.type.shape));
  return same ?? model.ir.outputs.find((o) => outputRank(model, o) === 2);
};

const sameShape = (a: readonly unknown[] | undefined, b: readonly unknown[]): boolean =>
  a !== undefined && a.length === b.length && a.every((d, i) => String(d) === String(b[i]));

export type MetricKind = 'classes' | 'values';

/**
 * What the scored output is: class predictions or measured values. Integer targets and one-hot targets
 * fed from one label per row are classes; a float target is classes when the data says so (string class
 * labels, or every label 0 or 1 — a binary model), else values (regression: MAE and R²).
 */
export const metricKind = (model: Model, ds: Dataset): MetricKind | undefined => {
  const target = model.ir.inputs.find((i) => i.role === 'target');
  if (!target || !classOutput(model)) return undefined;
  if (target.type.dtype === 'i32') return 'classes';
  const width = target.type.shape.slice(1).reduce<number>((a, d) => a * Number(d), 1);
  if (width > 1 && labelsPerRow(ds) === 1) return 'classes';
  if (ds.task) return ds.task;
  for (let i = 0; i < ds.y.length; i++) if (ds.y[i] !== 0 && ds.y[i] !== 1) return 'values';
  return 'classes';
};

export interface Scores {
  readonly accuracy?: number | undefined;
  readonly mae?: number;
  readonly r2?: number;
}

/**
 * Accumulates a metric over batches. For values: MAE = mean |ŷ − y| over all entries, and
 * R² = 1 − Σ(ŷ − y)² / Σ(y − ȳ)² per target column, averaged over columns (scikit-learn's default).
 */
export class Scorer {
  private correct = 0;
  private labelled = 0;
  private abs = 0;
  private n = 0;
  private sy: Float64Array = new Float64Array(0);
  private syy: Float64Array = new Float64Array(0);
  private sres: Float64Array = new Float64Array(0);

  constructor(
    readonly kind: MetricKind | undefined,
    readonly output: string | undefined,
  ) {}

  add(outputs: Readonly<Record<string, ArrayLike<number>>>, y: ArrayLike<number>, count: number): void {
    if (!this.kind || !this.output) return;
    const p = outputs[this.output]!;
    if (this.kind === 'classes') {
      this.correct += accuracyCount(p, y, y.length);
      this.labelled += labelledCount(y);
      return;
    }
    const k = y.length / count;
    if (this.sy.length !== k) {
      this.sy = new Float64Array(k);
      this.syy = new Float64Array(k);
      this.sres = new Float64Array(k);
    }
    for (let i = 0; i < y.length; i++) {
      const d = p[i]! - y[i]!,
        j = i % k;
      this.abs += Math.abs(d);
      this.sy[j] = this.sy[j]! + y[i]!;
      this.syy[j] = this.syy[j]! + y[i]! * y[i]!;
      this.sres[j] = this.sres[j]! + d * d;
    }
    this.n += count;
  }

  result(): Scores {
    if (this.kind === 'classes') return { accuracy: this.correct / Math.max(1, this.labelled) };
    if (this.kind !== 'values' || this.n === 0) return {};
    let r2 = 0;
    for (let j = 0; j < this.sy.length; j++) {
      const tot = this.syy[j]! - this.sy[j]! ** 2 / this.n;
      r2 += (tot > 0 ? 1 - this.sres[j]! / tot : 0) / this.sy.length;
    }
    return { mae: this.abs / (this.n * this.sy.length), r2 };
  }
}

/** "accuracy 97.10%" or "MAE 2.31, R² 0.871" (empty when the model has no scored output). */
export const formatScores = (s: Scores): string =>
  s.accuracy !== undefined ? `accuracy ${(100 * s.accuracy).toFixed(2)}%` : s.mae !== undefined ? `MAE ${s.mae.toPrecision(4)}, R² ${s.r2!.toFixed(4)}` : '';

/** Scalar outputs other than the loss (the named terms of a composite loss, e.g. reconstruction and KL). */
export const scalarOutputs = (model: Model): string[] => model.ir.outputs.filter((o) => outputRank(model, o) === 0);

/** The outputs a training step computes besides the loss: the logged scalars and the scored one. */
export const trainingOutputs = (model: Model): string[] => {
  const scored = classOutput(model);
  return [...scalarOutputs(model), ...(scored ? [scored] : [])];
};

/** The type of a model output, by name. */
export const outputType = (model: Model, name: string): TensorType | undefined => {
  const id = model.ir.fn.outputs.find((q) => q.name === name)?.id;
  return model.ir.fn.nodes.find((x) => x.id === id)?.type;
};

const outputRank = (model: Model, name: string): number | undefined => outputType(model, name)?.shape.length;
