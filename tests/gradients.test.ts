// Whole-program gradient property: random well-typed .dlm programs (2–20 ops, broadcasting, reductions,
// matmuls, stdlib composites) have symbolic gradients that agree with float64 central differences, and
// compiled float32 gradients that agree with the float64 ones. A failure shrinks to a minimal program,
// printed as .dlm source with the seed.
import * as E from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { gradcheck } from '../compiler/api/gradcheck.js';
import { compile, render } from '../compiler/index.js';
import { programArb } from '../compiler/testing/programs.js';

const RUNS = Number(process.env['DLM_PROGRAM_RUNS'] ?? 1000);

describe('random programs', () => {
  test(`gradients agree with finite differences (${RUNS} programs)`, () => {
    fc.assert(
      fc.property(programArb(2, 20), fc.nat(1000), (p, seed) => {
        const r = compile(p.source, { path: '<generated>.dlm' });
        if (E.isLeft(r)) throw new Error(`generated program does not compile:\n${p.source}\n${render(r.left)}`);
        const report = gradcheck(r.right.model(undefined, { seed }), { seed, directions: 1, elementwiseUpTo: 0 });
        if (!report.ok) {
          const worst = report.params
            .filter((q) => !q.ok)
            .map((q) => `${q.name}: rel ${q.maxRelError.toExponential(2)}, f32 ${q.f32RelError.toExponential(2)}`);
          throw new Error(`gradient mismatch (seed ${seed}) in\n${p.source}\n${worst.join('\n')}`);
        }
      }),
      { numRuns: RUNS, seed: 20261123 },
    );
    expect(true).toBe(true);
  }, 300_000);
});
