// `dlm/testing`: what users' property-test suites need to verify their models' derivatives — the
// gradient checker, and fast-check arbitraries for shapes, tensors and whole random programs.
import type { Arbitrary } from 'fast-check';
import { fc } from './fastCheck.js';
import * as E from 'fp-ts/lib/Either.js';
import { gradcheck, type GradcheckOptions, type GradcheckReport } from '../api/gradcheck.js';
import { compile, render } from '../index.js';

export { gradcheck, randomInputs, type GradcheckOptions, type GradcheckReport, type ParamCheck } from '../api/gradcheck.js';
export type { RuleCheck } from '../api/gradcheckRules.js';
export { programArb, programFromRecipe, stepArb, type GeneratedProgram, type Step } from './programs.js';

/** Shapes of rank minRank…maxRank with dims in 1…maxDim. */
export const shapeArb = (minRank = 0, maxRank = 3, maxDim = 4): Arbitrary<number[]> =>
  fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: minRank, maxLength: maxRank });

/** A float32 tensor of the given shape with values in [min, max]. */
export const tensorArb = (shape: readonly number[], min = -3, max = 3): Arbitrary<{ data: Float32Array; shape: number[] }> =>
  fc
    .array(fc.float({ min: Math.fround(min), max: Math.fround(max), noNaN: true }), {
      minLength: shape.reduce((a, b) => a * b, 1),
      maxLength: shape.reduce((a, b) => a * b, 1),
    })
    .map((xs) => ({ data: Float32Array.from(xs), shape: [...shape] }));

/** Compiles `source` and gradchecks its model for one seed; throws with the rendered report on failure. */
export const checkModelGradients = (source: string, opts: GradcheckOptions & { model?: string; path?: string } = {}): GradcheckReport => {
  const r = compile(source, { path: opts.path ?? '<model>.dlm' });
  if (E.isLeft(r)) throw new Error(render(r.left));
  const report = gradcheck(r.right.model(opts.model, { seed: opts.seed ?? 0 }), opts);
  if (!report.ok) {
    const bad = report.params
      .filter((p) => !p.ok)
      .map((p) => `  ${p.loss ? `${p.loss}: ` : ''}${p.name}: relative error ${p.maxRelError.toExponential(2)}, f32 ${p.f32RelError.toExponential(2)}`);
    throw new Error(`gradient check failed (seed ${opts.seed ?? 0}):\n${bad.join('\n')}`);
  }
  return report;
};
