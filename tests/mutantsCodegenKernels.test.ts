// Checks of the loop nests codegen builds (compiler/codegen/kernels.ts), written to kill the mutants
// `npm run mutate` left surviving there (docs/mutation.md lists them, and why the rest are equivalent):
// compiled float64 values (JavaScript backend) against the interpreter.
import { describe, expect, test } from 'vitest';
import { fnOf, worst } from './helpers/compiledVsInterp.js';
import { collapse } from '../compiler/codegen/kernels.js';

describe('kernels.ts: reductions', () => {
  test('a reduction over a leading and a trailing axis (not a suffix) accumulates into the output', () => {
    // axes [0, 2] of [2, 3, 4]: 2 is trailing but 0 is not, so no local accumulator over the row (kills 90:18, `every` → `some`)
    const f = fnOf('model R {\n  input u: f32[2, 3, 4]\n  output s = sum(u * 2, axis = [0, 2])\n}');
    expect(worst(f)).toBeLessThan(1e-12);
  });
});

describe('kernels.ts: row kernels', () => {
  test('a per-row value that reads a transposed input keeps the outer axes apart', () => {
    // softmax over the last axis of a [2, 3, 4] value, scaled per row by t transposed: the row kernel's outer
    // axes 0 and 1 could merge for x but not for the per-row value's leaf (kills 161:123)
    const f = fnOf(
      'model R {\n  input x: f32[2, 3, 4]\n  input t: f32[3, 2, 1]\n  let e = exp(x)\n' +
        '  let z = sum(e, axis = -1, keepdims = true) * transpose(t, [1, 0, 2])\n  output y = e / z\n}',
    );
    expect(worst(f)).toBeLessThan(1e-12);
  });
  test('a row reduction and a map that read element positions (a random draw) see the inner loop index', () => {
    // rand_like(x) hashes each element's flat index inside a row softmax (exp is stored: it is read twice)
    const f = fnOf('model R {\n  input x: f32[2, 3, 4]\n  let e = exp(x + rand_like(x))\n  output y = e / sum(e, axis = -1, keepdims = true)\n}');
    expect(worst(f)).toBeLessThan(1e-12);
  });

  test('a row reduction and a map that read an axis position (iota) see the inner loop index', () => {
    // w = x · iota(4) is inline (cheap) in both the row sum and the division, so the row kernel's
    // reduction and map each read axis 2's index (kills 167:21; exp(x · iota) would be stored, read twice)
    const f = fnOf('model R {\n  input x: f32[2, 3, 4]\n  let w = x * cast(iota(4), f32)\n  output y = w / sum(x * x + w, axis = -1, keepdims = true)\n}');
    expect(worst(f)).toBeLessThan(1e-12);
  });

  test('a per-row value that reads element positions (a random draw per row) sees the outer loop indices', () => {
    // rand([2, 3, 1]) varies per row only, so it is computed once per row with axisRow (kills 175:19)
    const f = fnOf(
      'model R {\n  input x: f32[2, 3, 4]\n  let e = exp(x)\n' + '  let z = sum(e, axis = -1, keepdims = true) * (1 + rand([2, 3, 1]))\n  output y = e / z\n}',
    );
    expect(worst(f)).toBeLessThan(1e-12);
  });
});

describe('kernels.ts: collapse', () => {
  test('with no stride vectors to keep apart every axis merges into one group, the first starting it', () => {
    // the first axis has no group to join: `g !== undefined` → `true` would push onto none (kills 23:16)
    expect(collapse([2, 3, 4], [])).toEqual([[0, 1, 2]]);
    expect(collapse([2, 3, 4], [], new Set([1]))).toEqual([[0], [1, 2]]);
  });
});
