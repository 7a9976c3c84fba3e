// The C printer's variable types (compiler/native/emitC.ts), which need no C compiler to check: a real
// variable whose every value is an element as it is (a load, a literal the element type holds exactly,
// another such variable, a select of them) is declared `elem`, and read as `(real)` so arithmetic on it
// stays double's, as the JavaScript backend computes it. The values are the same: the native backend's
// equality with JavaScript on max pooling (with NaN, ties and padding) is tests/native_kernels.test.ts's.
import { expect, test } from 'vitest';
import { CPrinter, type CReal } from '../compiler/native/emitC.js';
import { bin, let_, letMut, load, loop, mul, num, sel, set, store, v, type Stmt } from '../compiler/loops/loops.js';

const print = (body: readonly Stmt[], elem: CReal = 'f32'): string => {
  const p = new CPrinter(elem);
  p.infer(body);
  return p.stmts(body, '').join('\n');
};

/** best = x[0]; for i: best = x[i] > best ? x[i] : best; y[0] = best — a running maximum. */
const runningMax = (init = load('x', num(0))): Stmt[] => [
  letMut('best', init),
  loop('i', 8, [set('best', sel(bin('>', load('x', v('i')), v('best')), load('x', v('i')), v('best')))]),
  store('y', num(0), v('best')),
];

test('a running maximum of loaded elements is an elem, read as real', () => {
  const c = print(runningMax());
  expect(c).toMatch(/^elem best = x\[0\];/m);
  expect(c).toContain('x[i] > ((real)best)');
  expect(c).toContain('y[0] = ((real)best);');
});

test('−∞ and other literals float32 holds exactly keep it an elem; one it does not hold makes it real', () => {
  expect(print(runningMax(num(-Infinity)))).toMatch(/^elem best = \(-INFINITY\);/m);
  expect(print(runningMax(num(0.5)))).toMatch(/^elem best = 0\.5;/m);
  expect(print(runningMax(num(0.1)))).toMatch(/^real best = 0\.1;/m);
  // a float64 module's elements are doubles: every literal is exact there
  expect(print(runningMax(num(0.1)), 'f64')).toMatch(/^elem best = 0\.1;/m);
});

test('a value computed by arithmetic makes a variable real, and with it every variable it flows into', () => {
  const body: Stmt[] = [letMut('a', load('x', num(0))), letMut('b', v('a')), set('a', mul(v('a'), num(3))), store('y', num(0), v('b'))];
  const c = print(body);
  expect(c).toMatch(/^real a = x\[0\];/m);
  expect(c).toMatch(/^real b = a;/m);
  // an elem read in arithmetic is promoted first: the product is double's, as in JavaScript
  const sq = print([let_('e', load('x', num(0))), store('y', num(0), mul(v('e'), v('e')))]);
  expect(sq).toContain('y[0] = ((real)e) * ((real)e);');
});
