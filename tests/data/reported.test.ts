// The failures reported in issue 16, reproduced: eval scored only a 20% split of a test file; eval
// without --data fell back to MNIST for any model and failed with a batch-shape error; a file that does
// not fit the model gave E0403; predict required targets; binary models had no accuracy; regression
// models had no MAE/R².
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { saveCheckpoint } from '../../compiler/cli/checkpoints.js';
import { compileFile } from '../../compiler/index.js';
import { BINARY, csv, dlm, linearRows, REGRESSION, scratch, twoFeatureRows } from './helpers.js';

const { file, path } = scratch('reported');
const BIN = file('bin.dlm', BINARY),
  REG = file('reg.dlm', REGRESSION);
const train = file('train.csv', csv('a,b,label', twoFeatureRows(200, 1)));
const test100 = file('test.csv', csv('a,b,label', twoFeatureRows(100, 2)));

describe('reported failures', () => {
  test('eval --data scores the whole file (100 of 100 rows), and train --test-data too', async () => {
    const ck = path('bin.safetensors');
    const t = await dlm('train', BIN, '--data', train, '--test-data', test100, '--epochs', '2', '--out', ck);
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/on 100 held-out samples/);
    expect(t.stderr).toMatch(/100 test \(--test-data .*test\.csv, scored whole\)/);
    const e = await dlm('eval', BIN, '--checkpoint', ck, '--data', test100);
    expect(e.code).toBe(0);
    expect(e.stdout).toMatch(/on 100 examples of .*test\.csv \(the whole file\)/);
  }, 60_000);

  test("eval without --data uses the training run's held-out data, never MNIST for a non-MNIST model", async () => {
    const ck = path('bin2.safetensors');
    expect((await dlm('train', BIN, '--data', train, '--epochs', '1', '--out', ck)).code).toBe(0);
    const e = await dlm('eval', BIN, '--checkpoint', ck);
    expect(e.code).toBe(0);
    expect(e.stdout).toMatch(/on 40 examples of .*train\.csv \(its seeded 20% test split/);
    // a checkpoint that records no data (saved by the library): the MNIST default does not fit, and says so
    const r = compileFile(BIN);
    if (r._tag === 'Left') throw new Error('does not compile');
    const bare = path('bare.safetensors');
    saveCheckpoint(r.right.model(), undefined, bare, {});
    const b = await dlm('eval', BIN, '--checkpoint', bare);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain('error[E0702]');
    expect(b.stderr).toMatch(/examples of shape \[28, 28\], but input x is f32\[B, 2\] \(2 values per example\)/);
    expect(b.stderr).toContain('no --data given: the default is the bundled MNIST digits');
    expect(b.stderr).not.toContain('E0403');
  }, 60_000);

  test('a file with 3 feature columns for input f32[B, 2] is E0702 at the declaration, naming the columns and the fix', async () => {
    const three = file('three.csv', 'a,b,c,label\n1,2,3,0\n4,5,6,1\n');
    const r = await dlm('train', BIN, '--data', three);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${BIN}:3:10: error[E0702]: ${three}: the file has 3 feature values per row (columns 'a', 'b', 'c'), but input x is f32[B, 2]`);
    expect(r.stderr).toContain('--features');
    expect(r.stderr).toContain("the label column is 'label'");
  });

  test('predict never requires targets: outputs that read one are skipped with a note', async () => {
    const m = file('acc.dlm', BINARY.replace('  loss', '  output err = mean(square(p - y))\n  loss'));
    const x = file(
      'x.json',
      JSON.stringify([
        [0.9, 0.8],
        [0.1, 0.2],
      ]),
    );
    const p = await dlm('predict', m, '--input', `x=${x}`);
    expect(p.code).toBe(0);
    expect(JSON.parse(p.stdout).p.shape).toEqual([2]);
    expect(JSON.parse(p.stdout).err).toBeUndefined();
    expect(p.stderr).toMatch(/skipped output 'err': it reads a target \(give --input y=FILE/);
  });

  test('a binary model (sigmoid, f32[B] target) reports accuracy', async () => {
    const r = await dlm('train', BIN, '--data', train, '--out', path('b3.safetensors'));
    expect(r.code).toBe(0);
    expect(Number(/accuracy ([\d.]+)%/.exec(r.stdout)?.[1])).toBeGreaterThan(85);
  }, 60_000);

  test('a regression model (float target) reports MAE and R², in the log too', async () => {
    const data = file('lin.csv', csv('a,b,y', linearRows(300, 3)));
    const ck = path('reg.safetensors');
    const r = await dlm('train', REG, '--data', data, '--out', ck);
    expect(r.code).toBe(0);
    const m = /MAE ([\d.]+), R² ([\d.-]+)/.exec(r.stdout);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeLessThan(0.1);
    expect(Number(m![2])).toBeGreaterThan(0.98);
    const log = readFileSync(ck.replace('.safetensors', '.log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(log.at(-1).valR2).toBeGreaterThan(0.9);
    expect(log.at(-1).trainAccuracy).toBeUndefined();
  }, 60_000);
});
