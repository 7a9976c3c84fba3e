// The grammar: precedence and associativity, every construct, syntax errors with positions, and the
// parse∘print round trip on generated modules. Also that the generated Ohm bundle matches the grammar.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, test } from 'vitest';
import type * as A from '../compiler/ast/ast.js';
import { printExpr, printModule } from '../compiler/ast/print.js';
import { lineCol } from '../compiler/diagnostics/span.js';
import { parse } from '../compiler/parse/parse.js';
import { moduleArb, stripSpans } from './helpers/astArbitrary.js';

const mod = (text: string): A.Module => {
  const r = parse({ path: 't.dlm', text });
  if (E.isLeft(r)) throw new Error(r.left.map((d) => d.message).join('\n'));
  return r.right;
};
const expr = (text: string): string => {
  const m = mod(`fn f() = ${text}`);
  return printExpr((m.items[0] as A.FnDecl).body);
};
/** Fully parenthesized form, to see the tree. */
const tree = (e: A.Expr): string => {
  switch (e.kind) {
    case 'Binary':
      return `(${tree(e.left)} ${e.op} ${tree(e.right)})`;
    case 'Unary':
      return `(-${tree(e.operand)})`;
    case 'Call':
      return `${tree(e.callee)}(${e.args.map((a) => (a.name ? `${a.name.name}=` : '') + tree(a.value)).join(', ')})`;
    case 'Member':
      return `${tree(e.object)}.${e.name.name}`;
    default:
      return printExpr(e);
  }
};
const treeOf = (text: string) => tree((mod(`fn f() = ${text}`).items[0] as A.FnDecl).body);

describe('precedence', () => {
  test.each([
    ['a + b * c', '(a + (b * c))'],
    ['a - b - c', '((a - b) - c)'],
    ['-x ** 2', '(-(x ** 2))'],
    ['2 ** -1', '(2 ** (-1))'],
    ['a ** b ** c', '(a ** (b ** c))'],
    ['a @ b + c', '((a @ b) + c)'],
    ['a + b < c * d', '((a + b) < (c * d))'],
    ['grad(f)(x)', 'grad(f)(x)'],
    ['nn.Dense(1, 2)', 'nn.Dense(1, 2)'],
    ['sum(x, axis = -1, keepdims = true)', 'sum(x, axis=(-1), keepdims=true)'],
  ])('%s', (src, want) => expect(treeOf(src)).toBe(want));

  test('numbers keep their value and text', () => {
    const e = (mod('fn f() = 2.5E+4').items[0] as A.FnDecl).body;
    expect(e).toMatchObject({ kind: 'Num', value: 25000, text: '2.5E+4' });
    expect(expr('.5 + 1e-3')).toBe('.5 + 1e-3');
  });
  test('indexing and slices', () => expect(expr('x[:, 0:10, 2, 1:, :3]')).toBe('x[:, 0:10, 2, 1:, :3]'));
});

describe('statement ends', () => {
  test('a line starting with ( or [ begins a new statement instead of calling the line before', () => {
    const body = (text: string) => (mod(text).items[0] as A.FnDecl).body as A.Expr & { kind: 'Block' };
    const b = body('fn f(x) {\n  let v = mean(x)\n  (x - v) / v\n}');
    expect(b.lets).toHaveLength(1);
    expect(printExpr(b.result)).toBe('(x - v) / v');
    const c = body('fn f(x) {\n  let v = g(x)   // a note\n  [v, v]\n}');
    expect(c.result.kind).toBe('List');
    // a call still spans lines when its '(' is on the callee's line
    expect(printExpr(body('fn f(x) {\n  g(x,\n    (y))\n}').result)).toBe('g(x, y)');
  });
  test('offsets are unchanged', () => {
    const text = 'fn f(x) {\n  let v = mean(x)\n  (x - v) / v\n}';
    const e = (mod(text).items[0] as A.FnDecl).body as A.Expr & { kind: 'Block' };
    expect(text.slice(e.result.span.start, e.result.span.end)).toBe('(x - v) / v');
  });
});

describe('syntax errors', () => {
  const at = (text: string) => {
    const r = parse({ path: 't.dlm', text });
    if (E.isRight(r)) throw new Error('parsed');
    const d = r.left[0]!;
    const { line, col } = lineCol({ path: 't.dlm', text }, d.span!.start);
    return `${d.code} ${line}:${col}`;
  };
  test('a missing bracket is reported where it is missing', () => expect(at('model M {\n  input x: f32[B, 3\n  output y = x\n}')).toBe('E0001 2:20'));
  test('comparisons do not chain', () => expect(at('fn f(a, b, c) = a < b < c')).toBe('E0001 1:23'));
  test('an unknown character', () => expect(at('fn f(x) = x $ 2')).toBe('E0001 1:13'));
  test('a positional argument after a keyword argument', () => expect(at('fn f(x) = g(a = 1, 2)')).toBe('E0003 1:20'));
  test('a number too large', () => expect(at('fn f(x) = 1e999')).toBe('E0002 1:11'));
  test('the message says what was expected and what was found', () => {
    const r = parse({ path: 't.dlm', text: 'fn f(x) = (x' });
    expect(E.isLeft(r) && r.left[0]!.message).toMatch(/expected .*"\)".*found the end of the file/);
  });
});

describe('round trip', () => {
  test('parse(print(ast)) = ast on generated modules', () => {
    fc.assert(
      fc.property(moduleArb, (m) => {
        const text = printModule(m);
        const r = parse({ path: 'gen.dlm', text });
        if (E.isLeft(r)) throw new Error(`${text}\n${r.left.map((d) => d.message).join('\n')}`);
        expect(stripSpans(r.right)).toEqual(stripSpans(m));
      }),
      { numRuns: 400, seed: 9 },
    );
  });
  test('the examples and stdlib print back to equivalent programs', () => {
    for (const f of ['examples/mnist_mlp.dlm', 'examples/xor.dlm', 'examples/linear_regression.dlm', 'stdlib/nn.dlm', 'stdlib/prelude.dlm']) {
      const m = mod(readFileSync(f, 'utf8'));
      expect(stripSpans(mod(printModule(m)))).toEqual(stripSpans(m));
    }
  });
});

test('the generated grammar bundle is fresh (npm run gen)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dlm-gen-'));
  cpSync('compiler/grammar/dlm.ohm', join(dir, 'dlm.ohm'));
  execFileSync(process.execPath, ['node_modules/@ohm-js/cli/index.js', 'generateBundles', '--withTypes', '--esm', join(dir, 'dlm.ohm')], { stdio: 'ignore' });
  for (const f of ['dlm.ohm-bundle.js', 'dlm.ohm-bundle.d.ts']) {
    expect(readFileSync(join(dir, f), 'utf8')).toBe(readFileSync(join('compiler/grammar', f), 'utf8'));
  }
});
