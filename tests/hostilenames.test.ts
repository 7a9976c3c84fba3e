// Names that are also JavaScript object keys (toString, constructor, __proto__, …) or dlm's own
// checkpoint words (optimizer, __metadata__, step): as parameters, layers, inputs, targets, outputs,
// losses, optimizers, optimizer settings and train settings, each either passes `dlm check` and then
// trains, saves, loads and runs, or is rejected by check with a diagnostic. Never exit 3.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadSafetensors } from '../runtime/checkpoint.js';
import { scratchDir } from './helpers/scratch.js';
import { runCli as run } from './helpers/cli.js';

const NAMES = ['toString', 'constructor', '__proto__', 'prototype', 'hasOwnProperty', 'valueOf', 'optimizer', '__metadata__', 'step'];
const dir = scratchDir('dlm-names-');
const DATA = join(dir, 'd.csv');
writeFileSync(DATA, ['a,b,label', ...Array.from({ length: 24 }, (_, i) => `${(i % 4) / 4},${(i % 3) / 3},${i % 2}`)].join('\n') + '\n');
const X = join(dir, 'x.json');
writeFileSync(X, JSON.stringify([[0.5, 0.25]]));
const Y = join(dir, 'y.json');
writeFileSync(Y, JSON.stringify([1]));

let counter = 0;
/** check, then train (saving), eval and predict from the checkpoint; all exit 0. */
const roundTrip = async (src: string, input: string, full = false, more: string[] = []) => {
  const f = join(dir, `m${counter++}.dlm`);
  writeFileSync(f, src);
  const c = await run('check', f);
  expect(c.code, c.stderr).toBe(0);
  const ck = f.replace('.dlm', '.safetensors');
  const t = await run('train', f, '--data', DATA, '--epochs', '1', '--batch', '8', '--out', ck);
  expect(t.code, t.stderr + t.stdout).toBe(0);
  const p = await run('predict', f, '--checkpoint', ck, '--input', `${input}=${X}`, ...more);
  expect(p.code, p.stderr).toBe(0);
  if (full) {
    const e = await run('eval', f, '--data', DATA, '--checkpoint', ck);
    expect(e.code, e.stderr).toBe(0);
    const again = await run('train', f, '--data', DATA, '--epochs', '2', '--batch', '8', '--resume', ck, '--out', ck);
    expect(again.code, again.stderr).toBe(0);
  }
  return { ck, predicted: JSON.parse(p.stdout) as Record<string, unknown> };
};

/** Either a clean diagnostic from check (exit 1 with a code), or check passes and the model round-trips. */
const rejectedOrWorks = async (src: string, input: string) => {
  const f = join(dir, `m${counter++}.dlm`);
  writeFileSync(f, src);
  const c = await run('check', f);
  if (c.code === 1) {
    expect(c.stderr).toMatch(/error\[E\d{4}\]/);
    return 'rejected';
  }
  expect(c.code, c.stderr).toBe(0);
  await roundTrip(src, input, true);
  return 'works';
};

describe('hostile names', () => {
  test('as parameters, all in one model', async () => {
    const params = NAMES.map((n) => `  param ${n}: f32[2] = zeros`).join('\n');
    const sum = NAMES.map((n) => `x * ${n}`).join(' + ');
    const src =
      `import nn\n` +
      `model P {\n` +
      `  input x: f32[B, 2]\n` +
      `  target y: i32[B]\n` +
      `${params}\n` +
      `  layer l = nn.Dense(2, 2)\n` +
      `  output logits = l(x) + ${sum}\n` +
      `  loss nn.cross_entropy(logits, y)\n` +
      `  optimizer adam(lr = 0.1)\n` +
      `}\n`;
    const { ck } = await roundTrip(src, 'x', true);
    const keys = Object.keys(loadSafetensors(ck).tensors);
    for (const n of NAMES) expect(keys).toContain(n === '__metadata__' ? '@model/__metadata__' : n);
    expect(keys).toContain('@optimizer/__proto__.m');
  }, 60_000);

  test('layers named like the words themselves', async () => {
    const rs: string[] = [];
    for (const n of ['__proto__', 'constructor', 'optimizer']) {
      rs.push(
        await rejectedOrWorks(
          `import nn\n` +
            `model L {\n` +
            `  input x: f32[B, 2]\n` +
            `  target y: i32[B]\n` +
            `  layer ${n} = nn.Dense(2, 2)\n` +
            `  output logits = ${n}(x)\n` +
            `  loss nn.cross_entropy(logits, y)\n` +
            `  optimizer adam(lr = 0.1)\n` +
            `}\n`,
          'x',
        ),
      );
    }
    expect(rs).toEqual(['works', 'works', 'works']);
  }, 60_000);

  test('as inputs, targets and outputs', async () => {
    for (let i = 0; i < NAMES.length; i++) {
      const [inp, tgt, out] = [NAMES[i]!, NAMES[(i + 1) % NAMES.length]!, NAMES[(i + 2) % NAMES.length]!];
      const src =
        `import nn\n` +
        `model IO {\n` +
        `  input ${inp}: f32[B, 2]\n` +
        `  target ${tgt}: i32[B]\n` +
        `  layer l = nn.Dense(2, 2)\n` +
        `  output ${out} = l(${inp})\n` +
        `  loss nn.cross_entropy(${out}, ${tgt})\n` +
        `  optimizer sgd(lr = 0.1)\n` +
        `}\n`;
      const { predicted } = await roundTrip(src, inp);
      expect(Object.hasOwn(predicted, out), `output ${out}`).toBe(true);
    }
  }, 60_000);

  test('as loss names of a two-loss model', async () => {
    const [a, b] = ['__proto__', 'constructor'];
    const src =
      `import nn\n` +
      `model G {\n` +
      `  input x: f32[B, 2]\n` +
      `  target y: i32[B]\n` +
      `  layer g = nn.Dense(2, 2)\n` +
      `  layer d = nn.Dense(2, 2)\n` +
      `  output logits = d(x)\n` +
      `  loss ${a} = nn.cross_entropy(d(x), y) trains d with adam(lr = 0.01)\n` +
      `  loss ${b} = nn.cross_entropy(g(x), y) trains g with sgd(lr = 0.05)\n` +
      `}\n`;
    const { ck, predicted } = await roundTrip(src, 'x', true, ['--input', `y=${Y}`]);
    expect(Object.keys(predicted)).toEqual(expect.arrayContaining([a, b]));
    expect(Object.keys(loadSafetensors(ck).tensors)).toContain(`@optimizer/${a}/d.W.m`);
  }, 60_000);

  test('as optimizers, optimizer settings and train settings: check rejects them with a diagnostic', async () => {
    for (const n of NAMES) {
      const base = (opt: string, train = '') =>
        `import nn\n` +
        `model O {\n` +
        `  input x: f32[B, 2]\n` +
        `  target y: i32[B]\n` +
        `  layer l = nn.Dense(2, 2)\n` +
        `  output logits = l(x)\n` +
        `  loss nn.cross_entropy(logits, y)\n` +
        `  optimizer ${opt}\n` +
        `${train}}\n`;
      for (const src of [base(`${n}(lr = 0.1)`), base(`adam(${n} = 1)`), base('adam(lr = 0.1)', `  train {\n    ${n} = 1\n  }\n`)]) {
        const f = join(dir, `o${counter++}.dlm`);
        writeFileSync(f, src);
        const c = await run('check', f);
        expect(c.code, `${n}: ${c.stderr}`).toBe(1);
        expect(c.stderr).toMatch(/error\[E01\d\d\]/);
      }
    }
  }, 60_000);
});
