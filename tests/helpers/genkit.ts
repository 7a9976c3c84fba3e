// A GenKit (what op entries use to describe their test inputs) backed by fast-check's fc.gen(), so
// generated shapes and attributes shrink; plus input values that respect each op's domain.
import fc from 'fast-check';
import type { GenKit, OpDef, OpSample } from '../../compiler/ops/op.js';
import type { DType } from '../../compiler/types/types.js';

export const genKit = (g: fc.GeneratorValue): GenKit => ({
  int: (lo, hi) => g(fc.integer, { min: lo, max: Math.max(lo, hi) }),
  bool: () => g(fc.boolean),
  pick: (xs) => xs[g(fc.integer, { min: 0, max: xs.length - 1 })]!,
  shape: (minRank, maxRank, maxDim = 4) => g(fc.array, fc.integer({ min: 1, max: maxDim }), { minLength: minRank, maxLength: maxRank }),
});

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Values for one operand: in [lo, hi] with a random sign for 'nonzero'; 0/1 for bool; small ints for i32. */
const valuesArb = (n: number, dtype: DType, domain: OpDef['domain']): fc.Arbitrary<number[]> => {
  if (dtype === 'bool') return fc.array(fc.integer({ min: 0, max: 1 }), { minLength: n, maxLength: n });
  if (dtype === 'i32') return fc.array(fc.integer({ min: -3, max: 3 }), { minLength: n, maxLength: n });
  const mag = fc.double({ min: 0.2, max: 3, noNaN: true });
  const v =
    domain === 'positive'
      ? mag
      : domain === 'nonzero'
        ? fc.tuple(mag, fc.boolean()).map(([m, s]) => (s ? m : -m))
        : domain === 'unit'
          ? fc.double({ min: -0.9, max: 0.9, noNaN: true })
          : domain === 'above-one'
            ? fc.double({ min: 1.2, max: 4, noNaN: true })
            : fc.double({ min: -3, max: 3, noNaN: true });
  return fc.array(v, { minLength: n, maxLength: n });
};

export interface OpCase {
  readonly sample: OpSample;
  readonly dtypes: readonly DType[];
  readonly inputs: readonly Float64Array[];
}

export const opCaseArb = (op: OpDef): fc.Arbitrary<OpCase> =>
  fc
    .gen()
    .map((g) => op.gen(genKit(g)))
    .chain((sample) => {
      const dtypes = sample.shapes.map((_, i) => sample.dtypes?.[i] ?? 'f32');
      if (op.domain === 'away-from-ties') {
        // Distinct multiples of 0.01 across all operands: no two values within 0.01, so finite differences
        // never straddle a tie (ties are tested exactly, elsewhere).
        const total = sample.shapes.reduce((s, sh) => s + size(sh), 0);
        return fc.uniqueArray(fc.integer({ min: -300, max: 300 }), { minLength: total, maxLength: total }).map((vals) => {
          let k = 0;
          return { sample, dtypes, inputs: sample.shapes.map((sh) => Float64Array.from({ length: size(sh) }, () => vals[k++]! / 100)) };
        });
      }
      return fc
        .tuple(...sample.shapes.map((s, i) => valuesArb(size(s), dtypes[i]!, op.domain)))
        .map((vals) => ({ sample, dtypes, inputs: vals.map((v) => Float64Array.from(v)) }));
    });
