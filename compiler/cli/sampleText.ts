// `dlm sample` for character-level language models (an i32[B, T] input and [B, T, V] logits): starts
// n words from the boundary token and draws each next character from softmax(logits / temperature),
// feeding it back, until the model ends the word or T − 1 letters are written. Seeded: same seed, same words.
import { Rng } from '../../runtime/random.js';
import { LETTERS, decodeWord } from '../../runtime/data/text.js';
import type { Model } from '../api/model.js';
import { outputType } from '../api/metrics.js';
import { selectOutputs } from '../train/step.js';
import { UsageError, type Out } from './io.js';

export interface TextSampleFlags {
  readonly output: string;
  readonly n: number;
  readonly seed: number;
  readonly temperature: number;
}

/** Whether an output is next-token logits over an i32 sequence input (then `sample` writes text). */
export const isLanguageModel = (model: Model, output: string): boolean => {
  const input = model.ir.inputs.find((i) => i.role === 'input');
  const t = outputType(model, output);
  return input?.type.dtype === 'i32' && input.type.shape.length === 2 && t?.shape.length === 3;
};

export const generateWords = (model: Model, f: TextSampleFlags): string[] => {
  if (!(f.temperature > 0)) throw new UsageError(`--temperature must be positive, got ${f.temperature}`);
  const input = model.ir.inputs.find((i) => i.role === 'input')!;
  const T = Number(input.type.shape[1]);
  if (!Number.isInteger(T)) throw new UsageError(`the sequence length of '${input.name}' must be a number to sample, got ${String(input.type.shape[1])}`);
  const fn = selectOutputs(model.ir.fn, [f.output]);
  const rng = new Rng(f.seed);
  const x = new Int32Array(f.n * T);
  const done = new Uint8Array(f.n);
  const len = new Int32Array(f.n);
  for (let t = 0; t + 1 < T && !done.every(Boolean); t++) {
    const logits = model.run(fn, { [input.name]: { data: x, shape: [f.n, T] } }).outputs[f.output]!;
    const V = logits.length / (f.n * T);
    for (let i = 0; i < f.n; i++) {
      if (done[i]) continue;
      // softmax(z / τ) sampled by inverse CDF, shifted by the max for stability
      const row = logits.subarray((i * T + t) * V, (i * T + t + 1) * V);
      let m = -Infinity;
      for (const z of row) m = Math.max(m, z / f.temperature);
      const p = Array.from(row, (z) => Math.exp(z / f.temperature - m));
      let u = rng.uniform() * p.reduce((a, b) => a + b, 0),
        c = 0;
      while (c < V - 1 && u >= p[c]!) u -= p[c++]!;
      if (c === 0 || c >= LETTERS.length) {
        done[i] = 1;
        continue;
      }
      x[i * T + t + 1] = c;
      len[i] = t + 1;
    }
  }
  return Array.from({ length: f.n }, (_, i) => decodeWord(x.subarray(i * T + 1, i * T + 1 + len[i]!)));
};

export const sampleTextCommand = (out: Out, model: Model, f: TextSampleFlags): void => {
  const words = generateWords(model, f);
  out.log(words.join('\n'));
  out.err(`${words.length} words sampled from '${f.output}' (temperature ${f.temperature}, seed ${f.seed})`);
};
