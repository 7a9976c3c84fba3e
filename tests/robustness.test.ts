// The front end never throws on any input: random text, and valid programs with random edits, always
// give diagnostics or a program — the whole check phase included, not only the parser.
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { compile } from '../compiler/index.js';

const corpus = [
  ...readdirSync('examples')
    .filter((f) => f.endsWith('.dlm'))
    .map((f) => readFileSync(`examples/${f}`, 'utf8')),
  readFileSync('stdlib/nn.dlm', 'utf8') +
    '\nmodel M {\n  input x: f32[B, 4]\n  layer d = Dense(4, 2)\n  output y = softmax(d(x))\n  loss mse(y, x[:, 0:2])\n}\n',
];
const TOKENS = [
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ',',
  ':',
  '=',
  '@',
  '**',
  '-',
  '+',
  'B',
  '0',
  '1e400',
  'let',
  'layer',
  'param',
  'model',
  'fn',
  'grad',
  'x',
  '\n',
  ' ',
  '"',
  '/*',
  '//',
  '.',
  'nn.',
  'import nn',
  '__proto__',
];

const edit = fc.record({ at: fc.nat(), del: fc.nat(6), ins: fc.constantFrom(...TOKENS) });
const neverThrows = (text: string) => {
  const r = compile(text, { path: 'fuzz.dlm' });
  expect(r._tag === 'Left' || r._tag === 'Right').toBe(true);
  if (r._tag === 'Left') for (const d of r.left) expect(d.code).toMatch(/^E0[0-3]\d\d$/);
};

describe('the front end never throws', () => {
  test('on random text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), neverThrows), { numRuns: 500, seed: 1 });
  });
  test('on random token soup', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }), (ts) => neverThrows(ts.join(' '))),
      { numRuns: 500, seed: 2 },
    );
  });
  test('on valid programs with random edits', () => {
    fc.assert(
      fc.property(fc.constantFrom(...corpus), fc.array(edit, { minLength: 1, maxLength: 4 }), (src, edits) => {
        let t = src;
        for (const e of edits) {
          const at = e.at % (t.length + 1);
          t = t.slice(0, at) + e.ins + t.slice(at + e.del);
        }
        neverThrows(t);
      }),
      { numRuns: 600, seed: 3 },
    );
  }, 120_000);
});
