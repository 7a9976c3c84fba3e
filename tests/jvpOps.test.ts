// Forward mode per primitive: every registry op has a forward-mode rule (declared in its file, or its
// kind's default: see compiler/autodiff/jvp.ts) or is marked unsupported with a reason, reported as
// E0312 at the node; and each rule, on the op's own generated samples, gives J·v equal to central
// differences and ⟨u, J·v⟩ equal to ⟨Jᵀu, v⟩ from the op's vjp, in float64.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { JvpError, jvpProgram, jvpRuleOf } from '../compiler/autodiff/jvp.js';
import { OPS } from '../compiler/ops/registry.js';
import { isShapeError } from '../compiler/types/shapes.js';
import { Rng } from '../runtime/random.js';
import { opCaseArb } from './helpers/genkit.js';
import { checkJvp } from './helpers/jvpCheck.js';
import { arrays, opProgram } from './helpers/numeric.js';

const ops = Object.values(OPS);

describe('forward-mode rules of the registry', () => {
  test('every op has a rule or is marked unsupported with a reason', () => {
    const missing = ops.filter((op) => jvpRuleOf(op) === 'unsupported' && !(typeof op.jvp === 'object' && op.jvp.unsupported.length > 10)).map((op) => op.name);
    expect(missing).toEqual([]);
  });

  test.each(ops.filter((op) => jvpRuleOf(op) === 'unsupported').map((op) => [op.name, op] as const))('%s: forward mode reports E0312 at the node', (_name, op) => {
    fc.assert(fc.property(opCaseArb(op), ({ sample, dtypes }) => {
      const { f } = opProgram(op, sample, dtypes);
      try { jvpProgram(f, ['in0']); } catch (e) {
        expect(e).toBeInstanceOf(JvpError);
        expect((e as JvpError).diagnostic.code).toBe('E0312');
        expect((e as JvpError).diagnostic.message).toContain(op.name);
        return;
      }
      throw new Error('no error');
    }), { numRuns: 3, seed: 46 });
  });

  const supported = ops.filter((op) => op.differentiable && jvpRuleOf(op) !== 'unsupported' && jvpRuleOf(op) !== 'zero');
  test.each(supported.map((op) => [op.name, jvpRuleOf(op), op] as const))('%s (%s): J·v agrees with finite differences and with the vjp', (_name, _rule, op) => {
    fc.assert(fc.property(opCaseArb(op), fc.nat(), ({ sample, dtypes, inputs }, seed) => {
      const t = op.shape(sample.shapes.map((s, i) => ({ dtype: dtypes[i]!, shape: s })), sample.attrs);
      if (isShapeError(t) || t.dtype !== 'f32') return;
      const { f } = opProgram(op, sample, dtypes);
      const rng = new Rng(seed);
      const wrt = sample.shapes.flatMap((_, i) => (dtypes[i] === 'f32' ? [`in${i}`] : []));
      checkJvp(f, arrays(sample, inputs), new Map(), wrt, () => rng.normal(), `${op.name} ${JSON.stringify(sample)}`);
    }), { numRuns: 25, seed: 47 });
  });

  test('ops without a derivative have no tangent', () => {
    for (const op of ops.filter((o) => !o.differentiable && typeof o.jvp !== 'function')) expect(jvpRuleOf(op)).toBe('zero');
  });
});
