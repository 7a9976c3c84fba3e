// Plain text for character-level language models: one example per line (a word, a name, a sentence).
// Token ids: 0 is the boundary ('.'), then the vocabulary's characters — a–z when the text has only
// those (the bundled word lists' ids), else every distinct character of the training file, sorted. A
// line c₁…cₙ becomes x = [0, c₁, …, cₙ, 0, …] and y = [c₁, …, cₙ, 0, −1, …] (−1: padding).
import { readFileSync } from 'node:fs';
import { LETTERS } from './text.js';
import { badFile, dataError } from './errors.js';
import type { ClassDataset } from './dataset.js';

export interface LinesOptions {
  /** Sequence length: lines of T or more characters are skipped (and counted). */
  readonly T: number;
  /** The training file's vocabulary (boundary first), for a validation or test file. */
  readonly vocab?: string;
  readonly limit?: number;
}

export const readLines = (file: string, o: LinesOptions): ClassDataset & { readonly vocab: string; readonly skipped: number } => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw badFile(file, `cannot read: ${(e as Error).message}`);
  }
  const all = text
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.length > 0);
  const fits = all.filter((l) => [...l].length < o.T);
  const lines = fits.slice(0, o.limit ?? Infinity),
    skipped = all.length - fits.length;
  if (lines.length === 0) {
    throw dataError(file, 'E0709', `no line shorter than ${o.T} characters (the model's sequence length ${o.T} holds the boundary and T − 1 characters)`);
  }
  const chars = [...new Set(lines.flatMap((l) => [...l]))].sort();
  const vocab = o.vocab ?? (chars.every((c) => LETTERS.includes(c) && c !== '.') ? LETTERS : '.' + chars.join(''));
  const ids = new Map([...vocab].map((c, i) => [c, i]));
  const T = o.T,
    n = lines.length;
  const x = new Float32Array(n * T),
    y = new Int32Array(n * T).fill(-1);
  lines.forEach((l, i) => {
    const cs = [...l];
    cs.forEach((c, t) => {
      const id = ids.get(c);
      if (id === undefined || id === 0) {
        throw dataError(file, 'E0708', `character ${JSON.stringify(c)} (example ${i + 1}) is not in the training text's vocabulary`);
      }
      x[i * T + t + 1] = id;
      y[i * T + t] = id;
    });
    y[i * T + cs.length] = 0;
  });
  return { x, y, count: n, featureShape: [T], labelShape: [T], vocab, skipped, task: 'classes' };
};
