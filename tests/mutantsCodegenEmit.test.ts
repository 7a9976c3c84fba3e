// Checks of the JavaScript printer (compiler/codegen/emitJs.ts) written to kill the mutants `npm run mutate`
// left surviving there (docs/mutation.md lists them, and why the rest are equivalent): the exact text printed
// for each kind of expression and statement, and what `ident`, `lit` and `safeComment` accept and reject.
import { describe, expect, test } from 'vitest';
import { expr, ident, lit, PRELUDE, safeComment, stmts } from '../compiler/codegen/emitJs.js';
import { num as n, sel, v as x, type BinOp, type Expr, type Stmt } from '../compiler/loops/loops.js';
import { mathPrelude } from '../compiler/ops/math.js';

// a raw binary node (loops.ts's `bin` folds constants; this does not)
const b = (op: BinOp, a: Expr, c: Expr): Expr => ({ k: 'bin', op, a, b: c });
const one = (s: Stmt, indent = ''): string[] => stmts([s], indent);

describe('emitJs.ts: names, numbers and comments', () => {
  test('ident accepts generated identifiers and nothing else', () => {
    for (const name of ['A', 'Z', 'a', 'z', '_', '$', 'x09', 'aAZaz_$', 'Ab', 'b_1']) expect(ident(name)).toBe(name);
    // the neighbours of each range, a leading digit, a space at either end, an empty name
    for (const name of ['', '0x', '9', '@', '[', '`', '{', 'x/', 'x:', 'x@', 'x[', 'x`', 'x{', ' a', 'a ', 'a-b', 'a.b', 'a\n'])
      expect(() => ident(name), JSON.stringify(name)).toThrow(`codegen: '${name}' is not a generated identifier`);
  });

  test('lit prints every number JavaScript reads back as the same value, and rejects anything else', () => {
    expect(lit(Number.NaN)).toBe('NaN');
    expect(lit(Infinity)).toBe('Infinity');
    expect(lit(-Infinity)).toBe('-Infinity');
    expect(lit(-0)).toBe('-0');
    expect(lit(0)).toBe('0');
    expect(lit(1.5)).toBe('1.5');
    expect(lit(-2)).toBe('-2');
    expect(lit(1e300)).toBe('1e+300');
    expect(() => lit('1' as unknown as number)).toThrow('codegen: non-numeric literal');
    expect(() => lit(undefined as unknown as number)).toThrow('codegen: non-numeric literal');
  });

  test('safeComment keeps its allowed characters, replaces the rest, breaks `//` and keeps 160 characters', () => {
    const allowed = "AZaz09_ .,:;=@%#()[]+-<>'|/^ BMyq5";
    expect(safeComment(allowed)).toBe(allowed);
    expect(safeComment('a*/b')).toBe('a?/b');
    expect(safeComment('/*x*/')).toBe('/?x?/');
    expect(safeComment('`{}"!\n\\*&?~$')).toBe('????????????');
    expect(safeComment('a//b')).toBe('a/?b');
    expect(safeComment('///')).toBe('/?/');
    expect(safeComment('x'.repeat(200))).toBe('x'.repeat(160));
    expect(safeComment('y'.repeat(160))).toBe('y'.repeat(160));
  });
});

describe('emitJs.ts: expressions', () => {
  test('numbers, names, loads, negation and calls', () => {
    expect(expr(n(2))).toBe('2');
    expect(expr(n(0))).toBe('0');
    expect(expr(n(-2))).toBe('(-2)');
    expect(expr(n(-0))).toBe('(-0)');
    expect(expr(n(-Infinity))).toBe('(-Infinity)');
    expect(expr(x('v1'))).toBe('v1');
    expect(() => expr(x('1v'))).toThrow('is not a generated identifier');
    expect(expr({ k: 'load', buf: 'buf', index: b('+', x('i'), n(1)) })).toBe('buf[(i + 1)]');
    expect(() => expr({ k: 'load', buf: 'b-1', index: n(0) })).toThrow('is not a generated identifier');
    expect(expr({ k: 'negate', a: x('y') })).toBe('(-y)');
    expect(expr({ k: 'call', fn: 'exp', args: [x('y')] })).toBe('Math.exp(y)');
    expect(expr({ k: 'call', fn: 'max', args: [x('y'), n(3)] })).toBe('Math.max(y, 3)');
    // no builtin: the prelude's own function
    expect(expr({ k: 'call', fn: 'pow', args: [x('y'), n(-1)] })).toBe('pow(y, (-1))');
    expect(expr({ k: 'call', fn: 'sigmoid', args: [] })).toBe('sigmoid()');
  });

  test('arithmetic is parenthesized; a comparison as a value is 1 or 0; JavaScript’s strict equality', () => {
    expect(expr(b('+', x('a'), x('c')))).toBe('(a + c)');
    expect(expr(b('/', x('a'), n(2)))).toBe('(a / 2)');
    expect(expr(b('<', x('a'), x('c')))).toBe('(a < c ? 1 : 0)');
    expect(expr(b('<=', x('a'), x('c')))).toBe('(a <= c ? 1 : 0)');
    expect(expr(b('>', x('a'), x('c')))).toBe('(a > c ? 1 : 0)');
    expect(expr(b('>=', x('a'), x('c')))).toBe('(a >= c ? 1 : 0)');
    expect(expr(b('==', x('a'), x('c')))).toBe('(a === c ? 1 : 0)');
    expect(expr(b('!=', x('a'), x('c')))).toBe('(a !== c ? 1 : 0)');
  });

  test('a select’s condition: a comparison as is, `c != 0` of a comparison c as c, anything else `!== 0`', () => {
    const lt = b('<', x('a'), x('c'));
    expect(expr(sel(lt, x('p'), x('q')))).toBe('(a < c ? p : q)');
    expect(expr(sel(x('m'), x('p'), x('q')))).toBe('(m !== 0 ? p : q)');
    expect(expr(sel(b('+', x('a'), x('c')), x('p'), x('q')))).toBe('((a + c) !== 0 ? p : q)');
    expect(expr(sel(b('!=', lt, n(0)), x('p'), x('q')))).toBe('(a < c ? p : q)');
    expect(expr(sel(b('!=', b('==', x('a'), n(1)), n(0)), x('p'), x('q')))).toBe('(a === 1 ? p : q)');
    // each part of that rule: the outer `!=`, its 0, a number there, a comparison inside
    expect(expr(sel(b('==', lt, n(0)), x('p'), x('q')))).toBe('((a < c ? 1 : 0) === 0 ? p : q)');
    expect(expr(sel(b('!=', lt, n(1)), x('p'), x('q')))).toBe('((a < c ? 1 : 0) !== 1 ? p : q)');
    expect(expr(sel(b('!=', lt, x('z')), x('p'), x('q')))).toBe('((a < c ? 1 : 0) !== z ? p : q)');
    expect(expr(sel(b('!=', x('m'), n(0)), x('p'), x('q')))).toBe('(m !== 0 ? p : q)');
    expect(expr(sel(b('!=', b('-', x('a'), x('c')), n(0)), x('p'), x('q')))).toBe('((a - c) !== 0 ? p : q)');
    // as a value, `c != 0` of a comparison keeps its 1/0 form around the condition c
    expect(expr(b('!=', lt, n(0)))).toBe('(a < c ? 1 : 0)');
  });
});

describe('emitJs.ts: statements', () => {
  test('comments, kernel calls, lets and stores, at the given indent', () => {
    expect(one({ k: 'comment', text: 'a*/b' }, '    ')).toEqual(['    // a?/b']);
    expect(one({ k: 'call', fn: 'k1', args: ['a', 'b'] }, '  ')).toEqual(['  k1(a, b);']);
    expect(one({ k: 'call', fn: 'k1', args: [] })).toEqual(['k1();']);
    expect(() => one({ k: 'call', fn: 'k1', args: ['a b'] })).toThrow('is not a generated identifier');
    expect(one({ k: 'let', name: 't', e: b('+', x('a'), n(1)) })).toEqual(['const t = a + 1;']);
    expect(one({ k: 'let', name: 't', e: b('<', x('a'), n(1)), mutable: true })).toEqual(['let t = (a < 1 ? 1 : 0);']);
    expect(one({ k: 'let', name: 't', e: { k: 'negate', a: x('a') }, mutable: false })).toEqual(['const t = (-a);']);
    expect(one({ k: 'let', name: 't', e: n(-1) })).toEqual(['const t = (-1);']);
    expect(one({ k: 'store', buf: 'o', index: b('*', x('i'), n(2)), e: b('-', x('a'), x('c')) }, ' ')).toEqual([' o[i * 2] = a - c;']);
  });

  test('a set of `acc + e` or `acc * e` prints `acc += e` / `acc *= e`, anything else in full', () => {
    const acc = x('acc');
    expect(one({ k: 'set', name: 'acc', e: b('+', acc, b('*', x('a'), x('c'))) }, '  ')).toEqual(['  acc += a * c;']);
    expect(one({ k: 'set', name: 'acc', e: b('*', acc, x('a')) })).toEqual(['acc *= a;']);
    expect(one({ k: 'set', name: 'acc', e: b('-', acc, x('a')) })).toEqual(['acc = acc - a;']);
    expect(one({ k: 'set', name: 'acc', e: b('/', acc, x('a')) })).toEqual(['acc = acc / a;']);
    expect(one({ k: 'set', name: 'acc', e: b('<', acc, x('a')) })).toEqual(['acc = (acc < a ? 1 : 0);']);
    expect(one({ k: 'set', name: 'acc', e: b('+', x('a'), acc) })).toEqual(['acc = a + acc;']);
    expect(one({ k: 'set', name: 'acc', e: b('+', x('other'), x('a')) })).toEqual(['acc = other + a;']);
    expect(one({ k: 'set', name: 'acc', e: b('+', n(1), x('a')) })).toEqual(['acc = 1 + a;']);
    expect(one({ k: 'set', name: 'acc', e: x('a') })).toEqual(['acc = a;']);
    expect(() => one({ k: 'set', name: 'a-c', e: b('+', x('a-c'), x('a')) })).toThrow('is not a generated identifier');
  });

  test('if: the conditions joined by &&, the body indented by two more spaces', () => {
    const body: Stmt[] = [{ k: 'store', buf: 'o', index: x('i'), e: n(1) }];
    expect(one({ k: 'if', conds: [b('<', x('i'), n(4)), x('m')], body }, '  ')).toEqual(['  if (i < 4 && m !== 0) {', '    o[i] = 1;', '  }']);
    expect(one({ k: 'if', conds: [b('>=', x('i'), n(0))], body: [] })).toEqual(['if (i >= 0) {', '}']);
  });

  test('for: ++ for a step of 1, += otherwise; bounds without outer parentheses; the body indented', () => {
    const body: Stmt[] = [{ k: 'set', name: 's', e: b('+', x('s'), x('i')) }];
    expect(one({ k: 'for', v: 'i', from: n(0), to: x('n'), step: 1, body }, ' ')).toEqual([' for (let i = 0; i < n; i++) {', '   s += i;', ' }']);
    expect(one({ k: 'for', v: 'j', from: b('+', x('a'), n(1)), to: b('*', x('n'), n(2)), step: 3, body: [] })).toEqual([
      'for (let j = a + 1; j < n * 2; j += 3) {',
      '}',
    ]);
    expect(() => one({ k: 'for', v: '1i', from: n(0), to: n(1), step: 1, body: [] })).toThrow('is not a generated identifier');
    // nested: the inner body two more spaces in
    expect(one({ k: 'for', v: 'i', from: n(0), to: n(2), step: 1, body: [{ k: 'for', v: 'k', from: n(0), to: n(2), step: 2, body }] })).toEqual([
      'for (let i = 0; i < 2; i++) {',
      '  for (let k = 0; k < 2; k += 2) {',
      '    s += i;',
      '  }',
      '}',
    ]);
    expect(stmts([], '  ')).toEqual([]);
  });

  test('extern calls: numbers as expressions, buffers as byte addresses of float32 elements', () => {
    const s: Stmt = {
      k: 'extern',
      fn: 'mm_strided',
      out: 'C',
      args: [
        b('+', x('m'), n(1)),
        n(3),
        { k: 'ptr', buf: 'A', index: n(0) },
        { k: 'ptr', buf: 'B', index: x('i') },
        { k: 'ptr', buf: 'C', index: n(2) },
        { k: 'ptr', buf: 'D', index: b('+', x('i'), n(1)) },
      ],
    };
    expect(one(s, '  ')).toEqual(['  mm_strided(m + 1, 3, A.byteOffset, B.byteOffset + (i * 4), C.byteOffset + 8, D.byteOffset + ((i + 1) * 4));']);
    expect(() => one({ k: 'extern', fn: 'mm_strided', out: 'C', args: [{ k: 'ptr', buf: 'C-', index: n(0) }] })).toThrow('is not a generated identifier');
  });

  test('the generated code runs: a loop with a select, a compound assignment and a store', () => {
    const body = stmts(
      [
        { k: 'let', name: 's', e: n(0), mutable: true },
        {
          k: 'for',
          v: 'i',
          from: n(0),
          to: n(5),
          step: 1,
          body: [
            { k: 'set', name: 's', e: b('+', x('s'), sel(b('!=', b('<', x('i'), n(2)), n(0)), n(-1), { k: 'load', buf: 'xs', index: x('i') })) },
            { k: 'store', buf: 'out', index: x('i'), e: x('s') },
          ],
        },
      ],
      '  ',
    );
    const run = new Function('xs', 'out', body.join('\n')) as (xs: number[], out: number[]) => void;
    const out = [0, 0, 0, 0, 0];
    run([10, 20, 30, 40, 50], out);
    expect(out).toEqual([-1, -2, 28, 68, 118]);
  });

  test('the prelude: strict mode, then a comment, then the math functions without a builtin', () => {
    expect(PRELUDE[0]).toBe('"use strict";');
    expect(PRELUDE[1]).toBe('// math functions without a JavaScript builtin, printed from their implementations in ops/math.ts');
    expect(PRELUDE.slice(2)).toEqual(mathPrelude());
    expect(PRELUDE.length).toBeGreaterThan(3);
  });
});
