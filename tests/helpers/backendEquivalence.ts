// The property every backend passes against the JavaScript one (tests/wasm.test.ts, tests/native.test.ts):
// random programs' forward passes and gradients equal, float64 to 1e-12 and float32 to float32 rounding.
import * as E from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import { expect } from 'vitest';
import { randomInputs } from '../../compiler/api/gradcheck.js';
import { compile } from '../../compiler/index.js';
import type { BackendChoice } from '../../compiler/native/backend.js';
import { programArb } from '../../compiler/testing/programs.js';
import { Rng } from '../../runtime/random.js';

/** max |a − b| / (1 + |a|) over two arrays of the same length. */
export const relDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(b.length).toBe(a.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!) / (1 + Math.abs(a[i]!)));
  return d;
};

/** Asserts, on `numRuns` random programs (seeded), that `backend` computes loss, gradients and outputs as 'js' does. */
export const assertBackendMatchesJs = (backend: Exclude<BackendChoice, 'js'>, numRuns: number, seed: number): void => {
  fc.assert(
    fc.property(programArb(2, 12), fc.nat(50), (p, inputSeed) => {
      const r = compile(p.source);
      if (E.isLeft(r)) throw new Error(p.source);
      const [js, other] = (['js', backend] as const).map((b) => r.right.model(undefined, { backend: b }));
      const ins = randomInputs(js!, new Rng(inputSeed), {});
      for (const [precision, tol] of [
        ['f64', 1e-12],
        ['f32', 1e-5],
      ] as const) {
        const a = js!.valueAndGrad(ins, precision),
          b = other!.valueAndGrad(ins, precision);
        expect(relDiff([a.loss], [b.loss]), `${precision} loss of\n${p.source}`).toBeLessThanOrEqual(tol);
        for (const k of Object.keys(a.grads)) expect(relDiff(a.grads[k]!, b.grads[k]!), `${precision} grad ${k} of\n${p.source}`).toBeLessThanOrEqual(tol);
        const fa = js!.evaluate(ins, precision),
          fb = other!.evaluate(ins, precision);
        for (const k of Object.keys(fa)) expect(relDiff(fa[k]!.data, fb[k]!.data), `${precision} ${k} of\n${p.source}`).toBeLessThanOrEqual(tol);
      }
    }),
    { numRuns, seed },
  );
};
