// The math table (ops/math.ts) and what is built on it: erf, exact and tanh GELU, the `inf` name. Values
// are PyTorch 2's in float64 (torch.erf, F.gelu with approximate='none' and 'tanh').
import { describe, expect, test } from 'vitest';
import { PRELUDE } from '../compiler/codegen/emitJs.js';
import { MATH, type MathFn } from '../compiler/ops/math.js';
import { compileErr, compileOk } from './helpers/compile.js';

const xs = [-3, -1, 0, 0.5, 1, 2.7, Infinity, -Infinity];
const TORCH = {
  erf: [-0.9999779095030014, -0.8427007929497149, 0, 0.5204998778130465, 0.8427007929497149, 0.9998656672600594, 1, -1],
  gelu: [-0.00404969409489031, -0.15865525393145702, 0, 0.34573123063700656, 0.841344746068543, 2.6906391707317905, Infinity, NaN],
  gelu_tanh: [-0.0036373920817729943, -0.1588080093917233, 0, 0.34571400982514394, 0.8411919906082768, 2.6911124053605326, Infinity, NaN],
  dgelu: [-0.01194564720418392, -0.08331547058768635, 0.5, 0.8674951246561629, 1.0833154705876864, 1.0246695501959004],
};
const close = (a: number, b: number): boolean => Object.is(a, b) || Math.abs(a - b) <= 4e-15 * Math.max(1, Math.abs(b));

const outputs = (body: string): Record<string, number[]> => {
  const m = compileOk(`fn f(x) = sum(gelu(x))\nmodel M {\n  input x: f32[${xs.length}]\n${body}\n}`).model();
  const out = m.forward({ x: { data: Float64Array.from(xs) as unknown as Float32Array, shape: [xs.length] } }, 'f64');
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, [...t.data]]));
};

describe('erf and GELU', () => {
  test('erf, gelu (exact by default), gelu(approximate = tanh) and the exact derivative agree with PyTorch', () => {
    const r = outputs(
      '  output e = erf(x)\n  output g = gelu(x)\n  output t = gelu(x, approximate = tanh)\n  output n = gelu(x, approximate = none)\n' +
        '  output d = grad(f)(x[0:6])',
    );
    const check = (got: number[], want: number[], what: string) =>
      want.forEach((w, i) => {
        expect(close(got[i]!, w), `${what}(${xs[i]}) = ${got[i]}, want ${w}`).toBe(true);
      });
    check(r['e']!, TORCH.erf, 'erf');
    check(r['g']!, TORCH.gelu, 'gelu');
    check(r['n']!, TORCH.gelu, 'gelu');
    check(r['t']!, TORCH.gelu_tanh, 'gelu_tanh');
    check(r['d']!, TORCH.dgelu, "gelu'");
  });
  test('erf is accurate to a few ulp across its range (against its own symmetry and limits)', () => {
    const erf = MATH.erf.impl;
    for (let x = -6.5; x <= 6.5; x += 0.0137) expect(erf(-x)).toBe(-erf(x));
    expect(Object.is(erf(-0), -0)).toBe(true);
    expect(erf(1e-300)).toBe(1.1283791670955126e-300);
    expect(Number.isNaN(erf(NaN))).toBe(true);
    // erf(x) = 1 − 2.2090496998585441e-5 at x = 3 (erfc(3) known to 17 digits)
    expect(Math.abs(erf(3) - (1 - 2.2090496998585441e-5))).toBeLessThan(2.3e-16);
  });
  test('an unknown approximation is a located error', () => {
    const d = compileErr(`model M {\n  input x: f32[2]\n  output y = gelu(x, approximate = sigmoid)\n}`);
    expect(d[0]!.code).toBe('E0105');
    expect(d[0]!.message).toContain('none or tanh');
  });
});

describe('inf', () => {
  test('inf and -inf are numbers; 1e400 is an error that points to inf', () => {
    const r = outputs('  output a = x * 0 + inf\n  output b = maximum(x, -inf)\n  output c = where(x > 0, x, -inf)');
    expect(r['a']!.slice(0, 6)).toEqual([Infinity, Infinity, Infinity, Infinity, Infinity, Infinity]);
    expect(r['b']).toEqual(xs);
    expect(r['c']).toEqual([-Infinity, -Infinity, -Infinity, 0.5, 1, 2.7, Infinity, -Infinity]);
    const d = compileErr('fn f(x) = x - 1e400');
    expect(d[0]!.code).toBe('E0002');
    expect(d[0]!.notes.map((n) => n.message).join(' ')).toContain('inf');
  });
  test('inf is not a dimension', () => {
    expect(compileErr('model M {\n  input x: f32[2]\n  output y = broadcast_to(x, [inf, 2])\n}')[0]!.code).toBe('E0206');
  });
});

describe('the math table', () => {
  test('every function without a JavaScript builtin is defined in the generated prelude from its implementation', () => {
    const text = PRELUDE.join('\n');
    for (const [name, f] of Object.entries(MATH) as [string, MathFn][]) {
      if (f.builtin) expect(f.builtin).toMatch(/^(Math|Number)\.[a-zA-Z0-9]+$/);
      else expect(text).toContain(`const ${name} = (${f.impl.toString()});`);
    }
    // the printed prelude is self-contained: evaluating it defines the same functions
    const defined = new Function(
      `${text}\nreturn { ${Object.entries(MATH)
        .filter(([, f]) => !(f as MathFn).builtin)
        .map(([n]) => n)
        .join(', ')} };`,
    )() as Record<string, (...a: number[]) => number>;
    for (const x of [-7, -2.5, -1e-9, 0, 0.3, 2.5, 4, 7]) {
      expect(defined['erf']!(x)).toBe(MATH.erf.impl(x));
      expect(defined['sigmoid']!(x)).toBe(MATH.sigmoid.impl(x));
      expect(defined['round']!(x + 0.5)).toBe(MATH.round.impl(x + 0.5));
    }
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5].map(MATH.round.impl)).toEqual([0, 2, 2, -0, -2, -2]);
  });
});
