// Classification metrics over logits (or probabilities): accuracy and the confusion matrix.
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

/** The output used for accuracy: the first one with one entry (or one score per class) per example. */
export const classOutput = (model: Model): string | undefined => {
  const target = model.ir.inputs.find((i) => i.role === 'target');
  if (!target) return undefined;
  // integer labels [B, …] are scored by an output [B, …, classes]; anything else by a [B, K] output
  const rank = target.type.dtype === 'i32' ? target.type.shape.length + 1 : 2;
  return model.ir.outputs.find((o) => outputRank(model, o) === rank);
};

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
