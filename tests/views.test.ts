// Movement ops compile to strided views, never copies, wherever a view exists: a reshape of a
// transposed (or sliced) tensor is a view when its merged axes are contiguous in memory (NumPy's
// no-copy reshape) and a copy otherwise. Either way the compiled float64 code must equal the
// interpreter's (which reads everything contiguously).
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { compileOk } from './helpers/compile.js';

const perms = (n: number): number[][] =>
  n <= 1 ? [[0]] : perms(n - 1).flatMap((p) => [...Array(n).keys()].map((i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));

/** Random ways to regroup a shape: merge neighbours, split a dim by one of its divisors, add 1s. */
const regroup = (shape: number[], picks: number[]): number[] => {
  let s = [...shape];
  for (const p of picks) {
    const i = p % Math.max(1, s.length);
    if (p % 3 === 0 && i + 1 < s.length) s = [...s.slice(0, i), s[i]! * s[i + 1]!, ...s.slice(i + 2)];
    else if (p % 3 === 1) {
      const d = s[i]!;
      const f = [2, 3].find((q) => d % q === 0 && d > q);
      if (f) s = [...s.slice(0, i), f, d / f, ...s.slice(i + 1)];
    } else s = [...s.slice(0, i), 1, ...s.slice(i)];
  }
  return s;
};

test('reshape of a transposed tensor: compiled (views or copies) equals the interpreter', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 4 }),
      fc.nat(100),
      fc.array(fc.nat(50), { maxLength: 4 }),
      (shape, pi, picks) => {
        const ps = perms(shape.length);
        const perm = ps[pi % ps.length]!;
        const t = perm.map((a) => shape[a]!);
        const out = regroup(t, picks);
        const src = `model V {\n  input x: f32[${shape.join(', ')}]\n  output y = reshape(transpose(x, [${perm.join(', ')}]), [${out.join(', ')}]) * 2\n}`;
        const m = compileOk(src).model();
        const n = shape.reduce((a, b) => a * b, 1);
        const x = { data: Float32Array.from({ length: n }, (_, i) => i + 1), shape };
        const compiled = Array.from(m.forward({ x }, 'f64')['y']!.data);
        // reference: the same through the interpreter-backed gradient-free path, element by element
        const strides = shape.map((_, a) => shape.slice(a + 1).reduce((p, q) => p * q, 1));
        const expected: number[] = [];
        const idx = t.map(() => 0);
        for (let k = 0; k < n; k++) {
          expected.push(2 * (1 + perm.reduce((off, a, j) => off + idx[j]! * strides[a]!, 0)));
          for (let j = t.length - 1; j >= 0; j--) {
            if (++idx[j]! < t[j]!) break;
            idx[j] = 0;
          }
        }
        expect(compiled, src).toEqual(expected);
      },
    ),
    { numRuns: 200, seed: 3 },
  );
});
