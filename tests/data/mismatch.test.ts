// Each way data can fail to fit the model is its own diagnostic (E07xx), naming the file, the column or
// array, what was found and what is declared, with the fix; exit 1, never a stack trace or E0403.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { encodeNpy } from '../../runtime/data/npy.js';
import { encodeNpz } from '../../runtime/data/npz.js';
import { BINARY, csv, dlm, scratch, twoFeatureRows } from './helpers.js';

const { dir, file, path } = scratch('mismatch');
const CLS = file(
  'cls.dlm',
  `import nn
model Cls {
  input  x: f32[B, 2]
  target y: i32[B]
  layer  l = nn.Dense(2, 3)
  output logits = l(x)
  loss   nn.cross_entropy(logits, y)
}
`,
);
const BIN = file('bin.dlm', BINARY);
const ok = file('ok.csv', csv('a,b,label', twoFeatureRows(20, 1)));
const fails = async (code: string, args: string[], ...patterns: (string | RegExp)[]) => {
  const r = await dlm('train', ...args, '--epochs', '1', '--out', path('x.safetensors'));
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toContain(`error[${code}]`);
  for (const p of patterns)
    if (typeof p === 'string') expect(r.stderr).toContain(p);
    else expect(r.stderr).toMatch(p);
  expect(r.stderr).not.toMatch(/internal error|E0403/);
};

describe('data that does not fit the model', () => {
  test('E0703: a fractional label for an integer target suggests a float target', () =>
    fails(
      'E0703',
      [CLS, '--data', file('frac.csv', 'a,b,label\n1,2,0.5\n3,4,1\n')],
      `${CLS}:4:10`,
      'frac.csv: line 2: label 0.5 is not a class index in 0…2',
      'declare `target y: f32[B, 1]`',
    ));

  test('E0703: more classes in the file than the model scores', () =>
    fails('E0703', [CLS, '--data', file('four.csv', 'a,b,k\n1,2,w\n3,4,x\n5,6,y\n7,8,z\n')], 'has 4 classes (w, x, y, z), but the model scores 3'));

  test('E0703: two label columns for a one-value target', () =>
    fails(
      'E0703',
      [BIN, '--data', file('two.csv', 'a,b,c,d\n1,2,0,1\n3,4,1,0\n'), '--label-column', 'c,d', '--features', 'a,b'],
      "label columns 'c', 'd'",
      'target y is f32[B] (1 per example)',
    ));

  test('E0704: an unknown column lists the columns', () =>
    fails('E0704', [CLS, '--data', ok, '--label-column', 'kind'], 'no label column "kind": the file has columns "a", "b", "label"'));

  test('E0705: text in a feature column', () =>
    fails('E0705', [CLS, '--data', file('txt.csv', 'name,a,b,label\nx,1,2,0\ny,3,4,1\n')], 'feature column "name" is "x", not a number', '--features'));

  test('E0706: a missing value names the row and column, and --drop-missing skips it', async () => {
    const m = file('miss.csv', 'a,b,label\n1,2,0\n3,,1\n5,6,1\n7,8,0\n9,1,1\n');
    await fails('E0706', [CLS, '--data', m], 'line 3: column "b" has no value; pass --drop-missing');
    const r = await dlm('train', CLS, '--data', m, '--drop-missing', '--epochs', '1', '--out', path('d.safetensors'));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('1 row with missing values dropped');
  });

  test('E0708: a test file with a class the training file does not have', async () => {
    const tr = file(
      'tr.csv',
      csv(
        'a,b,k',
        twoFeatureRows(20, 2).map(([a, b, c]) => [a, b, c ? 'p' : 'q']),
      ),
    );
    await fails(
      'E0708',
      [CLS, '--data', tr, '--test-data', file('te.csv', 'a,b,k\n1,2,p\n3,4,r\n')],
      'class "r" in column "k" is not one of the training data\'s classes (p, q)',
    );
  });

  test('E0709: a text file for a model without a fixed-length token input', () =>
    fails('E0709', [CLS, '--data', file('w.txt', 'abc\n')], 'a text file feeds a language model with an input i32[B, T]'));

  test('E0710: an .npz without the arrays the model needs lists what it has', () =>
    fails(
      'E0710',
      [CLS, '--data', file('a.npz', encodeNpz({ features_a: encodeNpy({ data: new Float32Array(4), shape: [2, 2] }) }))],
      'no array for input x',
      'the file has features_a',
    ));

  test('E0702: an array of the wrong shape suggests a reshape', () => {
    mkdirSync(join(dir, 'arr'));
    writeFileSync(join(dir, 'arr', 'x.npy'), encodeNpy({ data: new Float32Array(12), shape: [4, 3] }));
    writeFileSync(join(dir, 'arr', 'y.npy'), encodeNpy({ data: new Int32Array(4), shape: [4] }));
    return fails('E0702', [CLS, '--data', join(dir, 'arr')], 'array x.npy has shape [4, 3], but input x is f32[B, 2]', 'reshape x.npy');
  });

  test('E0711: an option for another kind of data', () =>
    fails('E0711', [CLS, '--data', ok, '--resize'], '--resize applies to image folders, and this is a table'));

  test('E0712: a model with two inputs cannot be fed from one file', async () => {
    const two = file('two.dlm', 'model Two {\n  input a: f32[B, 1]\n  input b: f32[B, 1]\n  target y: f32[B, 1]\n  loss mean(square(a + b - y))\n}\n');
    await fails('E0712', [two, '--data', ok], `${two}:3:9`, 'declares 2 inputs and 1 target');
  });

  test('E0701: malformed files name the line', () =>
    fails('E0701', [CLS, '--data', file('ragged.csv', 'a,b,label\n1,2,0\n1,2\n')], 'ragged.csv: line 3: expected 3 columns (a, b, label), found 2'));
});
